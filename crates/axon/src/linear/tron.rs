//! LIBLINEAR's trust-region Newton method (`tron.cpp`, Lin, Weng & Keerthi 2008) with its
//! preconditioned conjugate gradients (Hsia, Chiang & Lin 2018, LIBLINEAR ≥ 2.40), for any
//! smooth strictly convex problem that can give `F`, `∇F`, `H v` and the diagonal of `H`
//! ([`TronProblem`]): the sparse binary logit, and each class of a one-vs-rest fit.
//!
//! ```text
//! M = (1 − a) c I + a diag(H)       a = 0.01, c the penalty's scale (1 in LIBLINEAR's units)
//! step: min gᵀs + ½ sᵀHs  s.t. ‖s‖_M ≤ Δ     by PCG, stopped by the quadratic model:
//!       i (Q_i − Q_{i−1}) ≥ ε_cg Q_i        (ε_cg = 0.5, Q_i the model's value at CG step i)
//! accept when F(θ) − F(θ + s) > η₀ × predicted; Δ updated as tron.cpp does
//! stop when ‖∇F‖₂ ≤ tol ‖∇F(0)‖₂
//! ```
//!
//! Every vector is allocated once per fit ([`Workspace`]); the problem's products do the work.

use rayon::prelude::*;

/// What TRON needs of a problem.
pub(crate) trait TronProblem {
    fn dim(&self) -> usize;
    /// `F(θ)`; may remember what `gradient` needs (LIBLINEAR's `fun` then `grad`).
    fn value(&mut self, theta: &[f64]) -> f64;
    /// `∇F` at the `θ` of the last `value` call, into `grad`; fixes the Hessian at that `θ`.
    fn gradient(&mut self, theta: &[f64], grad: &mut [f64]);
    /// The diagonal of the Hessian fixed by the last `gradient` call.
    fn hessian_diagonal(&mut self, out: &mut [f64]);
    /// `H v` with the Hessian fixed by the last `gradient` call.
    fn hessian_times(&mut self, v: &[f64], out: &mut [f64]);
    /// The scale `c` of the identity part of the preconditioner (the L2 penalty, or 1).
    fn preconditioner_scale(&self) -> f64;
}

/// Outcome of [`tron`].
pub(crate) struct TronResult {
    pub theta: Vec<f64>,
    /// `F(θ)` and `‖∇F(θ)‖₂` at the estimate.
    pub value: f64,
    pub gradient_norm: f64,
    pub iterations: usize,
    pub converged: bool,
}

const ALPHA_PCG: f64 = 0.01;
/// Entries per task of the element-wise vector updates done across threads.
const CHUNK: usize = 1 << 15;
const EPS_CG: f64 = 0.5;

/// The vectors of one fit.
struct Workspace {
    grad: Vec<f64>,
    trial: Vec<f64>,
    m: Vec<f64>,
    s: Vec<f64>,
    r: Vec<f64>,
    z: Vec<f64>,
    d: Vec<f64>,
    hd: Vec<f64>,
    /// The residual of a CG step before it is accepted (`r` stays as it was on the boundary).
    r_next: Vec<f64>,
}

/// Minimises `F` from `θ = 0`.
pub(crate) fn tron<P: TronProblem>(problem: &mut P, tol: f64, max_iter: usize) -> TronResult {
    const ETA0: f64 = 1e-4;
    const ETA1: f64 = 0.25;
    const ETA2: f64 = 0.75;
    const SIGMA1: f64 = 0.25;
    const SIGMA2: f64 = 0.5;
    const SIGMA3: f64 = 4.0;
    let n = problem.dim();
    let zeros = || vec![0.0; n];
    let mut w = Workspace {
        grad: zeros(),
        trial: zeros(),
        m: zeros(),
        s: zeros(),
        r: zeros(),
        z: zeros(),
        d: zeros(),
        hd: zeros(),
        r_next: zeros(),
    };
    let mut theta = zeros();
    let mut f = problem.value(&theta);
    problem.gradient(&theta, &mut w.grad);
    let gnorm0 = norm(&w.grad);
    let done = |iterations, converged, theta, value, gradient_norm| TronResult {
        theta,
        value,
        gradient_norm,
        iterations,
        converged,
    };
    if gnorm0 == 0.0 {
        return done(0, true, theta, f, gnorm0);
    }
    preconditioner(&mut *problem, &mut w.m);
    let mut delta = w.grad.iter().zip(&w.m).map(|(g, m)| g * g / m).sum::<f64>().sqrt();
    let mut iterations = 0;
    // An interrupted fit stops as if at the limit; its caller turns it into the error.
    while iterations < max_iter && !crate::interrupt::stopped() {
        let reach_boundary = trpcg(&mut *problem, delta, &mut w);
        w.trial.iter_mut().zip(theta.iter().zip(&w.s)).for_each(|(t, (a, b))| *t = a + b);
        // gᵀs, sᵀr and ‖s‖²_M in one pass, each summed in index order from −0 as `dot`.
        let (mut gs, mut sr, mut sms) = (-0.0, -0.0, -0.0);
        for ((g, s), (r, m)) in w.grad.iter().zip(&w.s).zip(w.r.iter().zip(&w.m)) {
            gs += g * s;
            sr += s * r;
            sms += s * m * s;
        }
        let predicted = -0.5 * (gs - sr);
        let f_trial = problem.value(&w.trial);
        let actual = f - f_trial;
        let s_norm = sms.sqrt();
        if iterations == 0 && !reach_boundary {
            delta = delta.min(s_norm);
        }
        let alpha = if f_trial - f - gs <= 0.0 {
            SIGMA3
        } else {
            SIGMA1.max(-0.5 * (gs / (f_trial - f - gs)))
        };
        delta = if actual < ETA0 * predicted {
            (alpha * s_norm).min(SIGMA2 * delta)
        } else if actual < ETA1 * predicted {
            (SIGMA1 * delta).max((alpha * s_norm).min(SIGMA2 * delta))
        } else if actual < ETA2 * predicted {
            (SIGMA1 * delta).max((alpha * s_norm).min(SIGMA3 * delta))
        } else if reach_boundary {
            SIGMA3 * delta
        } else {
            delta.max((alpha * s_norm).min(SIGMA3 * delta))
        };
        iterations += 1;
        if actual > ETA0 * predicted {
            std::mem::swap(&mut theta, &mut w.trial);
            f = f_trial;
            problem.gradient(&theta, &mut w.grad);
            preconditioner(&mut *problem, &mut w.m);
            let gnorm = norm(&w.grad);
            if gnorm <= tol * gnorm0 {
                return done(iterations, true, theta, f, gnorm);
            }
        }
        // At the rounding floor of F no step can be told apart: as converged as F allows.
        if actual.abs() <= 1e-12 * f.abs() && predicted.abs() <= 1e-12 * f.abs() {
            return done(iterations, true, theta, f, norm(&w.grad));
        }
        if predicted <= 0.0 {
            break;
        }
    }
    let gnorm = norm(&w.grad);
    done(iterations, gnorm <= tol * gnorm0, theta, f, gnorm)
}

/// `M = (1 − a) c + a diag(H)`, kept positive.
fn preconditioner<P: TronProblem>(problem: &mut P, m: &mut [f64]) {
    problem.hessian_diagonal(m);
    let c = problem.preconditioner_scale();
    m.iter_mut().for_each(|v| {
        *v = (1.0 - ALPHA_PCG) * c + ALPHA_PCG * *v;
        if v.is_nan() || *v <= 0.0 {
            *v = 1.0;
        }
    });
}

/// Preconditioned CG on `H s = −g` inside `‖s‖_M ≤ delta` (`tron.cpp`'s `trpcg`): leaves the
/// step in `w.s` and the residual `−g − H s` in `w.r`; returns whether the step reached the
/// boundary.
fn trpcg<P: TronProblem>(problem: &mut P, delta: f64, w: &mut Workspace) -> bool {
    let n = w.grad.len();
    w.s.fill(0.0);
    w.r.iter_mut().zip(&w.grad).for_each(|(r, g)| *r = -g);
    w.z.iter_mut().zip(&w.r).zip(&w.m).for_each(|((z, r), m)| *z = r / m);
    w.d.copy_from_slice(&w.z);
    let mut ztr = dot(&w.z, &w.r);
    let mut q = 0.0;
    let mut steps = 0;
    while steps < n.max(5) {
        if ztr <= 0.0 {
            break;
        }
        steps += 1;
        problem.hessian_times(&w.d, &mut w.hd);
        let curvature = dot(&w.d, &w.hd);
        let alpha = ztr / curvature;
        // s += α d, the next residual r − α Hd and z = r / M, with ‖s‖²_M, sᵀr, sᵀg and zᵀr.
        let (sts, str, stg, ztr_new) = cg_pass(alpha, w);
        let s_norm = sts.sqrt();
        if s_norm > delta || !(curvature.is_finite() && curvature > 0.0) {
            axpy(&mut w.s, -alpha, &w.d);
            let std = m_dot(&w.s, &w.m, &w.d);
            let sts = m_dot(&w.s, &w.m, &w.s);
            let dtd = m_dot(&w.d, &w.m, &w.d);
            let room = (delta * delta - sts).max(0.0);
            let rad = (std * std + dtd * room).sqrt();
            let tau = if std >= 0.0 { room / (std + rad) } else { (rad - std) / dtd };
            axpy(&mut w.s, tau, &w.d);
            axpy(&mut w.r, -tau, &w.hd);
            return true;
        }
        std::mem::swap(&mut w.r, &mut w.r_next);
        // The quadratic model's value Q = gᵀs + ½ sᵀHs = −½ (sᵀr − sᵀg).
        let q_new = -0.5 * (str - stg);
        let q_diff = q_new - q;
        if q_new > 0.0 || q_diff > 0.0 || steps as f64 * q_diff >= EPS_CG * q_new {
            break;
        }
        q = q_new;
        let beta = ztr_new / ztr;
        let chunks = w.d.par_chunks_mut(CHUNK).zip(w.z.par_chunks(CHUNK));
        chunks.for_each(|(d, z)| d.iter_mut().zip(z).for_each(|(di, zi)| *di = zi + beta * *di));
        ztr = ztr_new;
    }
    false
}

/// The sums of a CG step with step length `alpha`: `s += α d`, `r_next = r − α Hd` and
/// `z = r_next / M` element by element across threads (the divisions vectorised), then
/// `(sᵀM s, sᵀ r_next, sᵀg, zᵀ r_next)`, each summed in index order (the same bits as one
/// pass per sum), two on each of two threads.
fn cg_pass(alpha: f64, w: &mut Workspace) -> (f64, f64, f64, f64) {
    let n = w.s.len();
    let (s, d, m) = (&mut w.s[..n], &w.d[..n], &w.m[..n]);
    let (r, hd, r_next, z) = (&w.r[..n], &w.hd[..n], &mut w.r_next[..n], &mut w.z[..n]);
    let pieces = (s.par_chunks_mut(CHUNK).zip(r_next.par_chunks_mut(CHUNK)))
        .zip(z.par_chunks_mut(CHUNK))
        .enumerate();
    pieces.for_each(|(c, ((s, rn), z))| {
        let (at, len) = (c * CHUNK, s.len());
        let (d, m) = (&d[at..at + len], &m[at..at + len]);
        let (r, hd, rn, z) = (&r[at..at + len], &hd[at..at + len], &mut rn[..len], &mut z[..len]);
        for i in 0..len {
            s[i] += alpha * d[i];
            rn[i] = r[i] + -alpha * hd[i];
            z[i] = rn[i] / m[i];
        }
    });
    let (s, g, r_next, z) = (&w.s[..n], &w.grad[..n], &w.r_next[..n], &w.z[..n]);
    let ((sts, stg), (str, ztr)) = rayon::join(
        || {
            let (mut sts, mut stg) = (0.0, 0.0);
            for i in 0..n {
                sts += s[i] * m[i] * s[i];
                stg += s[i] * g[i];
            }
            (sts, stg)
        },
        || {
            let (mut str, mut ztr) = (0.0, 0.0);
            for i in 0..n {
                str += s[i] * r_next[i];
                ztr += z[i] * r_next[i];
            }
            (str, ztr)
        },
    );
    (sts, str, stg, ztr)
}

pub(crate) fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

pub(crate) fn norm(a: &[f64]) -> f64 {
    dot(a, a).sqrt()
}

fn m_dot(a: &[f64], m: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(m).zip(b).map(|((x, mi), y)| x * mi * y).sum()
}

fn axpy(y: &mut [f64], a: f64, x: &[f64]) {
    y.iter_mut().zip(x).for_each(|(yi, xi)| *yi += a * xi);
}
