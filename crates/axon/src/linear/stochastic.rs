//! Mini-batch SGD (with momentum) and Adam for the logit, with every gradient taken by the autograd
//! engine, so that a learner can watch the same maximum-likelihood estimate reached slowly.
//!
//! With `N = Σᵢ wᵢ`, a batch `B` of the shuffled rows and `η = X_B β` (`X_B`: `(|B|, p)`,
//! `β`: `(p, 1)`), the batch loss is an unbiased estimate of `F(β) / N`:
//!
//! ```text
//! L_B(β) = n / (N |B|) · Σ_{i ∈ B} wᵢ (softplus(ηᵢ) − yᵢ ηᵢ) + λ₂ / (2N) ‖β̃‖²
//! SGD:   v ← μ v + ∇L_B,            β ← β − ηₑ v
//! Adam:  m ← β₁m + (1−β₁)∇L_B,  v ← β₂v + (1−β₂)∇L_B²,  β ← β − ηₑ m̂ / (√v̂ + ε)
//! ηₑ = η₀ / (1 + decay · e)         (epoch e = 0, 1, …)
//! ```
//!
//! The updates are [`crate::optim`]'s [`Sgd`] (momentum, no dampening: the buffer starts at the
//! first gradient, as `v = 0` would) and [`Adam`] (bias-corrected, no weight decay: the ridge is
//! in the loss) on one [`Param`] holding `β`, their learning rate set at every epoch.
//!
//! Rows are shuffled every epoch by `axon::Rng` from the given seed, so a run is reproducible.
//! The fit is reported as converged when the full mean gradient `‖∇F‖∞ / N` at the end is below
//! the options' `tol`. Its `iterations` are epochs, the unit the options count in (not updates).

use super::binary::{Link, Problem};
use super::lbfgs::max_abs;
use super::solver::{objective_and_gradient, SgdMethod, SgdOptions, SolverOutcome};
use crate::autograd::GradStore;
use crate::error::{Error, Result};
use crate::nn::Param;
use crate::optim::{Adam, AdamConfig, Optimizer, Sgd, SgdConfig};
use crate::{Rng, Tensor};

/// The optimizer of `method` over `beta`, at the learning rate `lr`.
fn optimizer(method: SgdMethod, beta: Param, lr: f64) -> Result<Box<dyn Optimizer>> {
    Ok(match method {
        SgdMethod::Momentum { momentum } => {
            let config = SgdConfig { lr, momentum, ..SgdConfig::default() };
            Box::new(Sgd::new(vec![beta], config)?)
        }
        SgdMethod::Adam { beta1, beta2, eps } => {
            let config = AdamConfig { lr, betas: (beta1, beta2), eps, weight_decay: 0.0 };
            Box::new(Adam::new(vec![beta], config)?)
        }
    })
}

/// The gradients of `L_B` at `b` (the current leaf of `β`, `p × 1`), by building the batch loss
/// from tensors and calling `backward`.
fn batch_gradient(
    problem: &Problem,
    rows: &[usize],
    b: &Tensor,
    scale: f64,
    mask: &Tensor,
) -> Result<GradStore> {
    let p = problem.p();
    let x: Vec<f64> = rows.iter().flat_map(|&i| (0..p).map(move |j| problem.x[(i, j)])).collect();
    let x = Tensor::from_vec(x, [rows.len(), p])?;
    let y =
        Tensor::from_vec(rows.iter().map(|&i| problem.y[i]).collect::<Vec<_>>(), [rows.len(), 1])?;
    let w: Vec<f64> = rows.iter().map(|&i| problem.weight(i)).collect();
    let w = Tensor::from_vec(w, [rows.len(), 1])?;
    let eta = x.matmul(b)?;
    let nll = eta.softplus()?.sub(&y.mul(&eta)?)?.mul(&w)?.sum_all()?;
    let ridge = b.mul(mask)?.square()?.sum_all()?.mul_scalar(0.5 * problem.alpha)?;
    let loss = nll.add(&ridge)?.mul_scalar(scale)?;
    loss.backward()
}

/// Mini-batch training from `β = 0`; `n_obs = Σ wᵢ`.
pub(crate) fn fit_sgd(problem: &Problem, o: &SgdOptions, n_obs: f64) -> Result<SolverOutcome> {
    if problem.link != Link::Logit {
        let reason = "SGD/Adam through the autograd engine fits the logit only";
        return Err(Error::invalid("link", problem.link.name(), reason));
    }
    let (n, p) = (problem.n(), problem.p());
    let mut order: Vec<usize> = (0..n).filter(|&i| problem.weight(i) > 0.0).collect();
    let mask: Vec<f64> = (0..p).map(|j| f64::from(Some(j) != problem.intercept)).collect();
    let mask = Tensor::from_vec(mask, [p, 1])?;
    let mut rng = Rng::seed(o.seed);
    let beta = Param::new("beta", Tensor::from_vec(vec![0.0; p], [p, 1])?);
    let mut optimizer = optimizer(o.method, beta.clone(), o.learning_rate)?;
    let rows = order.len() as f64;
    for epoch in 0..o.epochs {
        crate::interrupt::check()?;
        rng.shuffle(&mut order);
        optimizer.set_learning_rate(o.learning_rate / (1.0 + o.decay * epoch as f64))?;
        for batch in order.chunks(o.batch_size) {
            // The whole batch loss is multiplied by n / (N |B|); the ridge term, which must come
            // out as λ₂/(2N) ‖β̃‖², enters with λ₂ |B| / n to cancel the factor.
            let scale = rows / (n_obs * batch.len() as f64);
            let ridge_fix = batch.len() as f64 / rows;
            let sub = Problem { alpha: problem.alpha * ridge_fix, ..*problem };
            let grads = batch_gradient(&sub, batch, &beta.value(), scale, &mask)?;
            optimizer.step(&grads)?;
        }
    }
    let beta = beta.value().to_vec::<f64>()?;
    let mut grad = vec![0.0; p];
    objective_and_gradient(problem, &beta, &mut grad);
    let mean_grad = max_abs(&grad) / n_obs;
    let converged = mean_grad < o.tol;
    let warning = (!converged).then(|| {
        format!(
            "{} stopped after {} epochs with mean gradient ‖∇F‖∞/N = {mean_grad:.3e} above \
             tol = {:.1e}: not the optimum",
            if matches!(o.method, SgdMethod::Adam { .. }) { "Adam" } else { "SGD" },
            o.epochs,
            o.tol
        )
    });
    Ok(SolverOutcome {
        beta,
        iterations: o.epochs,
        converged,
        gradient_norm: grad.iter().map(|g| g * g).sum::<f64>().sqrt(),
        warning,
        stop: None,
    })
}
