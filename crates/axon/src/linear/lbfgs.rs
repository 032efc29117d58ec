//! Limited-memory BFGS for a smooth function `f: ℝⁿ → ℝ`, the solver for problems too wide for
//! Newton's `n × n` system (L2 or unpenalised logistic regression with many columns, multinomial
//! fits with many classes × many features).
//!
//! ```text
//! d_k = −H_k ∇f(x_k)                 H_k from the last m pairs (s, y) by the two-loop recursion,
//!                                    H⁰ = (sᵀy / yᵀy) I
//! x_{k+1} = x_k + t_k d_k            t_k satisfies the strong Wolfe conditions
//!   f(x + t d) ≤ f(x) + c₁ t ∇fᵀd,   |∇f(x + t d)ᵀd| ≤ c₂ |∇fᵀd|      (c₁ = 10⁻⁴, c₂ = 0.9)
//! s = x_{k+1} − x_k,  y = ∇f_{k+1} − ∇f_k   (a pair is kept only when sᵀy > ε yᵀy)
//! ```
//!
//! The line search is Nocedal & Wright's Algorithm 3.5 (bracketing) with Algorithm 3.6 (zoom), the
//! trial step chosen by the minimiser of the cubic through the bracket's two ends (their values and
//! slopes), safeguarded to the inner 80 % of the bracket. The iteration stops when
//! `‖∇f‖∞ ≤ gtol` (the projected gradient of L-BFGS-B without bounds) or when the relative decrease
//! `(f_k − f_{k+1}) / max(|f_k|, |f_{k+1}|, 1) ≤ ftol` in `patience` iterations in a row, and
//! reports which. With `patience = 1` ([`LbfgsOptions::scipy`]) that is SciPy's L-BFGS-B rule, the
//! one scikit-learn's `lbfgs` solver stops by; with more (the default, 10) an iteration that halves
//! the smallest `‖∇f‖∞` seen does not count as stalled, so a tight `gtol` is still reached.
//! Near the optimum a change of `f` drowns in its rounding error before the gradient is small;
//! there a step is also accepted on Hager & Zhang's approximate Wolfe condition (`f` not above
//! its noise level, the slope reduced), so the iteration goes on by the gradient alone.
//!
//! The objective and gradient come from one closure, `f(x, grad) -> value`, which writes the
//! gradient into `grad`: the two share most of their work (for a GLM, `η = Xβ`).

use crate::error::{Error, Result};

/// Trial steps of one line search before it gives up.
const MAX_LINE_STEPS: usize = 40;
/// Relative rounding error assumed for a value of `f` (sums of many terms lose a few digits).
const VALUE_NOISE: f64 = 1e-13;

/// Settings of [`minimize`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LbfgsOptions {
    /// Pairs `(s, y)` kept (default 10).
    pub memory: usize,
    /// The most iterations (default 1000).
    pub max_iter: usize,
    /// Stop when `‖∇f‖∞ ≤ gtol` (default 10⁻⁸).
    pub gtol: f64,
    /// Stop when the relative decrease of `f` in one iteration is `≤ ftol` (default `64 ε`, as
    /// scikit-learn passes to SciPy).
    pub ftol: f64,
    /// Sufficient-decrease constant (default 10⁻⁴).
    pub c1: f64,
    /// Curvature constant (default 0.9).
    pub c2: f64,
    /// Iterations in a row with a relative decrease `≤ ftol` before the iteration stops (default
    /// 10, counting only iterations that do not halve the smallest `‖∇f‖∞` either; 1 is SciPy's
    /// rule, the first such iteration stops).
    pub patience: usize,
}

impl Default for LbfgsOptions {
    fn default() -> Self {
        LbfgsOptions {
            memory: 10,
            max_iter: 1000,
            gtol: 1e-8,
            ftol: 64.0 * f64::EPSILON,
            c1: 1e-4,
            c2: 0.9,
            patience: 10,
        }
    }
}

impl LbfgsOptions {
    /// SciPy's L-BFGS-B stopping rule as scikit-learn calls it: `gtol = 10⁻⁴` (its default `tol`),
    /// `ftol = 64 ε`, stop at the first iteration whose relative decrease is at most `ftol`.
    pub fn scipy() -> Self {
        LbfgsOptions { gtol: 1e-4, patience: 1, ..Default::default() }
    }

    fn validate(&self) -> Result<()> {
        if self.memory == 0 {
            return Err(Error::invalid("memory", 0, "L-BFGS needs at least one (s, y) pair"));
        }
        if !(self.gtol.is_finite() && self.gtol >= 0.0) {
            return Err(Error::invalid("gtol", self.gtol, "must be finite and ≥ 0"));
        }
        if self.patience == 0 {
            return Err(Error::invalid("patience", 0, "must be ≥ 1"));
        }
        if !(self.ftol.is_finite() && self.ftol >= 0.0) {
            return Err(Error::invalid("ftol", self.ftol, "must be finite and ≥ 0"));
        }
        if !(0.0 < self.c1 && self.c1 < self.c2 && self.c2 < 1.0) {
            let value = format!("c1 = {}, c2 = {}", self.c1, self.c2);
            return Err(Error::invalid("c1, c2", value, "need 0 < c1 < c2 < 1"));
        }
        Ok(())
    }
}

/// Why [`minimize`] stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LbfgsStop {
    /// `‖∇f‖∞ ≤ gtol`.
    Gradient,
    /// The relative decrease of `f` stayed at or below `ftol` for `patience` iterations in a row.
    RelativeDecrease,
    /// `max_iter` iterations taken.
    MaxIter,
    /// No step satisfying the strong Wolfe conditions was found (often: at the limit of
    /// floating-point precision).
    LineSearch,
}

/// What [`minimize`] found, and how honestly it got there.
#[derive(Debug, Clone)]
pub struct LbfgsReport {
    pub x: Vec<f64>,
    pub value: f64,
    pub gradient: Vec<f64>,
    /// `‖∇f(x)‖∞`.
    pub gradient_norm: f64,
    pub iterations: usize,
    /// Calls of the objective closure.
    pub evaluations: usize,
    /// `true` for [`LbfgsStop::Gradient`] and [`LbfgsStop::RelativeDecrease`].
    pub converged: bool,
    pub reason: LbfgsStop,
}

/// `(s, y, 1/sᵀy)`.
type Pair = (Vec<f64>, Vec<f64>, f64);

/// A point on the search line: step `t`, `φ(t) = f(x + t d)`, `φ'(t)`, and the gradient there.
#[derive(Debug, Clone)]
struct Trial {
    t: f64,
    value: f64,
    slope: f64,
    x: Vec<f64>,
    grad: Vec<f64>,
}

/// The objective with its evaluation count.
struct Counted<F> {
    f: F,
    evaluations: usize,
}

impl<F: FnMut(&[f64], &mut [f64]) -> f64> Counted<F> {
    fn eval(&mut self, x: &[f64], grad: &mut [f64]) -> f64 {
        self.evaluations += 1;
        let v = (self.f)(x, grad);
        if v.is_finite() && grad.iter().all(|g| g.is_finite()) {
            v
        } else {
            f64::INFINITY
        }
    }

    fn trial(&mut self, x0: &[f64], d: &[f64], t: f64) -> Trial {
        let x: Vec<f64> = x0.iter().zip(d).map(|(a, b)| a + t * b).collect();
        let mut grad = vec![0.0; x.len()];
        let value = self.eval(&x, &mut grad);
        Trial { t, value, slope: dot(&grad, d), x, grad }
    }
}

/// Minimises `f` from `x0`. `f(x, grad)` returns `f(x)` and writes `∇f(x)` into `grad`; a
/// non-finite value counts as `+∞` (the line search backs off).
pub fn minimize<F>(f: F, x0: Vec<f64>, opts: &LbfgsOptions) -> Result<LbfgsReport>
where
    F: FnMut(&[f64], &mut [f64]) -> f64,
{
    opts.validate()?;
    let mut obj = Counted { f, evaluations: 0 };
    let mut x = x0;
    let mut grad = vec![0.0; x.len()];
    let mut value = obj.eval(&x, &mut grad);
    if !value.is_finite() {
        return Err(Error::invalid("x0", "f(x0)", "the objective is not finite at the start"));
    }
    let mut history: Vec<Pair> = Vec::with_capacity(opts.memory);
    let mut iterations = 0;
    let mut stalled = 0;
    let mut best_gradient = max_abs(&grad);
    let reason = loop {
        if max_abs(&grad) <= opts.gtol {
            break LbfgsStop::Gradient;
        }
        if iterations == opts.max_iter {
            break LbfgsStop::MaxIter;
        }
        crate::interrupt::check()?;
        let mut d = direction(&grad, &history);
        let mut slope = dot(&grad, &d);
        if slope >= 0.0 || !slope.is_finite() {
            history.clear();
            d = grad.iter().map(|g| -g).collect();
            slope = dot(&grad, &d);
        }
        // The first step of steepest descent has no curvature to scale it: take length ≤ 1.
        let t0 = if history.is_empty() { (1.0 / norm2(&grad)).min(1.0) } else { 1.0 };
        let start = Trial { t: 0.0, value, slope, x: x.clone(), grad: grad.clone() };
        let Some(next) = line_search(&mut obj, &start, &d, t0, opts) else {
            break LbfgsStop::LineSearch;
        };
        iterations += 1;
        remember(&mut history, opts.memory, &next, &x, &grad);
        let decrease = (value - next.value) / value.abs().max(next.value.abs()).max(1.0);
        (x, grad, value) = (next.x, next.grad, next.value);
        // In the rounding regime (approximate Wolfe steps) f may not resolve progress that the
        // gradient still shows: with patience, stop only after several iterations without either.
        let g = max_abs(&grad);
        let halved = opts.patience > 1 && g < 0.5 * best_gradient;
        stalled = if decrease > opts.ftol || halved { 0 } else { stalled + 1 };
        best_gradient = best_gradient.min(g);
        if stalled == opts.patience {
            break if max_abs(&grad) <= opts.gtol {
                LbfgsStop::Gradient
            } else {
                LbfgsStop::RelativeDecrease
            };
        }
    };
    Ok(LbfgsReport {
        gradient_norm: max_abs(&grad),
        x,
        value,
        gradient: grad,
        iterations,
        evaluations: obj.evaluations,
        converged: matches!(reason, LbfgsStop::Gradient | LbfgsStop::RelativeDecrease),
        reason,
    })
}

/// Stores the pair `s = x₊ − x`, `y = ∇f₊ − ∇f` (with `1/sᵀy`) when its curvature is positive,
/// dropping the oldest beyond `memory`.
fn remember(history: &mut Vec<Pair>, memory: usize, next: &Trial, x: &[f64], grad: &[f64]) {
    let s: Vec<f64> = next.x.iter().zip(x).map(|(a, b)| a - b).collect();
    let y: Vec<f64> = next.grad.iter().zip(grad).map(|(a, b)| a - b).collect();
    let sy = dot(&s, &y);
    if sy > f64::EPSILON * dot(&y, &y) {
        if history.len() == memory {
            history.remove(0);
        }
        history.push((s, y, 1.0 / sy));
    }
}

/// `−H ∇f` by the two-loop recursion over the stored pairs (oldest first in `history`).
fn direction(grad: &[f64], history: &[Pair]) -> Vec<f64> {
    let mut q: Vec<f64> = grad.iter().map(|g| -g).collect();
    let mut alphas = vec![0.0; history.len()];
    for (i, (s, y, rho)) in history.iter().enumerate().rev() {
        alphas[i] = rho * dot(s, &q);
        axpy(&mut q, -alphas[i], y);
    }
    if let Some((s, y, _)) = history.last() {
        let gamma = dot(s, y) / dot(y, y);
        q.iter_mut().for_each(|v| *v *= gamma);
    }
    for (i, (s, y, rho)) in history.iter().enumerate() {
        let beta = rho * dot(y, &q);
        axpy(&mut q, alphas[i] - beta, s);
    }
    q
}

/// Nocedal & Wright Algorithm 3.5: grow the step until the strong Wolfe conditions hold or a
/// bracket is found, then [`zoom`].
fn line_search<F>(
    obj: &mut Counted<F>,
    start: &Trial,
    d: &[f64],
    t0: f64,
    opts: &LbfgsOptions,
) -> Option<Trial>
where
    F: FnMut(&[f64], &mut [f64]) -> f64,
{
    let mut prev = start.clone();
    let mut t = t0;
    for i in 0..MAX_LINE_STEPS {
        let cur = obj.trial(&start.x, d, t);
        let rises = i > 0 && cur.value >= prev.value && !approximate(start, &cur, opts);
        if !sufficient(start, &cur, opts) || rises {
            return zoom(obj, start, d, prev, cur, opts);
        }
        if cur.slope.abs() <= -opts.c2 * start.slope {
            return Some(cur);
        }
        if cur.slope >= 0.0 {
            return zoom(obj, start, d, cur, prev, opts);
        }
        t *= 2.0;
        prev = cur;
    }
    None
}

/// Nocedal & Wright Algorithm 3.6: shrink the bracket `[lo, hi]` (`lo` the end with the lower
/// value satisfying sufficient decrease) by safeguarded cubic interpolation.
fn zoom<F>(
    obj: &mut Counted<F>,
    start: &Trial,
    d: &[f64],
    mut lo: Trial,
    mut hi: Trial,
    opts: &LbfgsOptions,
) -> Option<Trial>
where
    F: FnMut(&[f64], &mut [f64]) -> f64,
{
    for _ in 0..MAX_LINE_STEPS {
        let t = cubic_step(&lo, &hi);
        if (hi.t - lo.t).abs() <= f64::EPSILON * lo.t.abs().max(1.0) {
            break;
        }
        let cur = obj.trial(&start.x, d, t);
        let rises = cur.value >= lo.value && !approximate(start, &cur, opts);
        if !sufficient(start, &cur, opts) || rises {
            hi = cur;
        } else {
            if cur.slope.abs() <= -opts.c2 * start.slope {
                return Some(cur);
            }
            if cur.slope * (hi.t - lo.t) >= 0.0 {
                hi = lo;
            }
            lo = cur;
        }
    }
    // Out of precision: accept the best point if it lowered f at all.
    (lo.t > 0.0 && lo.value < start.value).then_some(lo)
}

/// Sufficient decrease: Armijo's `φ(t) ≤ φ(0) + c₁ t φ'(0)`, or its approximate form.
fn sufficient(start: &Trial, cur: &Trial, opts: &LbfgsOptions) -> bool {
    cur.value <= start.value + opts.c1 * cur.t * start.slope || approximate(start, cur, opts)
}

/// Hager & Zhang's approximate Wolfe condition, for steps whose change of `f` is below the
/// rounding error of `f` itself: `φ(t) ≤ φ(0) + ε|φ(0)|` and `φ'(t) ≤ (2c₁ − 1) φ'(0)`. There
/// values cannot rank points, slopes still can.
fn approximate(start: &Trial, cur: &Trial, opts: &LbfgsOptions) -> bool {
    let noise = VALUE_NOISE * (1.0 + start.value.abs());
    cur.value <= start.value + noise && cur.slope <= (2.0 * opts.c1 - 1.0) * start.slope
}

/// The minimiser of the cubic interpolating `φ` and `φ'` at both ends (N&W eq. 3.59), kept in
/// the inner 80 % of the bracket; the midpoint when the cubic has no usable minimiser.
fn cubic_step(a: &Trial, b: &Trial) -> f64 {
    let (lo, hi) = (a.t.min(b.t), a.t.max(b.t));
    let mid = 0.5 * (lo + hi);
    if !(a.value.is_finite() && b.value.is_finite()) {
        return mid;
    }
    let d1 = a.slope + b.slope - 3.0 * (a.value - b.value) / (a.t - b.t);
    let disc = d1 * d1 - a.slope * b.slope;
    if disc < 0.0 {
        return mid;
    }
    let d2 = (b.t - a.t).signum() * disc.sqrt();
    let t = b.t - (b.t - a.t) * (b.slope + d2 - d1) / (b.slope - a.slope + 2.0 * d2);
    let margin = 0.1 * (hi - lo);
    if t.is_finite() && t >= lo + margin && t <= hi - margin {
        t
    } else {
        mid
    }
}

pub(crate) fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

fn axpy(y: &mut [f64], a: f64, x: &[f64]) {
    y.iter_mut().zip(x).for_each(|(yi, xi)| *yi += a * xi);
}

fn norm2(v: &[f64]) -> f64 {
    dot(v, v).sqrt()
}

pub(crate) fn max_abs(v: &[f64]) -> f64 {
    v.iter().fold(0.0, |m, x| m.max(x.abs()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rosenbrock(x: &[f64], g: &mut [f64]) -> f64 {
        let (a, b) = (x[0], x[1]);
        g[0] = -2.0 * (1.0 - a) - 400.0 * a * (b - a * a);
        g[1] = 200.0 * (b - a * a);
        (1.0 - a).powi(2) + 100.0 * (b - a * a).powi(2)
    }

    #[test]
    fn rosenbrock_reaches_its_minimum() {
        let opts = LbfgsOptions { gtol: 1e-10, ftol: 0.0, ..Default::default() };
        let r = minimize(rosenbrock, vec![-1.2, 1.0], &opts).unwrap();
        assert!(r.converged && r.reason == LbfgsStop::Gradient, "{r:?}");
        assert!((r.x[0] - 1.0).abs() < 1e-8 && (r.x[1] - 1.0).abs() < 1e-8, "{:?}", r.x);
        assert!(r.iterations < 100 && r.evaluations < 200, "{r:?}");
        assert!(r.gradient_norm <= 1e-10 && r.value < 1e-18);
    }

    #[test]
    fn quadratic_is_solved_exactly() {
        // f = ½ Σ a_i x_i² − b·x, minimum at x_i = b_i / a_i; condition number 10⁴.
        let a: Vec<f64> = (0..50).map(|i| 10f64.powf(4.0 * i as f64 / 49.0)).collect();
        let b: Vec<f64> = (0..50).map(|i| (i as f64).sin()).collect();
        let f = |x: &[f64], g: &mut [f64]| {
            let mut v = 0.0;
            for i in 0..x.len() {
                g[i] = a[i] * x[i] - b[i];
                v += 0.5 * a[i] * x[i] * x[i] - b[i] * x[i];
            }
            v
        };
        let opts = LbfgsOptions { gtol: 1e-12, ftol: 0.0, ..Default::default() };
        let r = minimize(f, vec![0.0; 50], &opts).unwrap();
        // Values of f stop resolving progress once ‖∇f‖ ~ √(ε |f| a_max) ≈ 10⁻⁶; slopes carry the
        // iteration on (approximate Wolfe) until the line search itself runs out of precision,
        // which is reported as such, with every x_i within ‖∇f‖∞ / a_i of x*.
        assert!(r.gradient_norm < 1e-5, "{r:?}");
        assert!(r.converged || r.reason == LbfgsStop::LineSearch, "{r:?}");
        for i in 0..50 {
            let err = (r.x[i] - b[i] / a[i]).abs();
            assert!(err < 1e-5 / a[i] + 1e-12, "x[{i}] = {} off by {err:.2e}", r.x[i]);
        }
    }

    #[test]
    fn max_iter_is_reported_as_not_converged() {
        let opts = LbfgsOptions { max_iter: 3, ..Default::default() };
        let r = minimize(rosenbrock, vec![-1.2, 1.0], &opts).unwrap();
        assert!(!r.converged && r.reason == LbfgsStop::MaxIter && r.iterations == 3, "{r:?}");
        assert!(r.gradient_norm > 1e-3);
    }

    #[test]
    fn scipy_rule_stops_at_the_first_small_decrease() {
        // gtol = 0 leaves the change of f as the only way to stop: SciPy's rule takes the first
        // iteration that decreases f by at most ftol, the default waits for ten in a row.
        let base = LbfgsOptions { gtol: 0.0, ftol: 1e-10, ..Default::default() };
        let patient = minimize(rosenbrock, vec![-1.2, 1.0], &base).unwrap();
        let scipy = LbfgsOptions { gtol: 0.0, ftol: 1e-10, ..LbfgsOptions::scipy() };
        let eager = minimize(rosenbrock, vec![-1.2, 1.0], &scipy).unwrap();
        assert_eq!(eager.reason, LbfgsStop::RelativeDecrease, "{eager:?}");
        assert!(eager.iterations < patient.iterations, "{eager:?} vs {patient:?}");
        assert!((eager.x[0] - 1.0).abs() < 1e-3, "{eager:?}");
    }

    #[test]
    fn bad_settings_are_errors() {
        let bad = LbfgsOptions { c1: 0.95, ..Default::default() };
        assert!(minimize(rosenbrock, vec![0.0, 0.0], &bad).is_err());
        let bad = LbfgsOptions { memory: 0, ..Default::default() };
        assert!(minimize(rosenbrock, vec![0.0, 0.0], &bad).is_err());
        let bad = LbfgsOptions { patience: 0, ..Default::default() };
        assert!(minimize(rosenbrock, vec![0.0, 0.0], &bad).is_err());
        let nan = |_: &[f64], _: &mut [f64]| f64::NAN;
        assert!(minimize(nan, vec![0.0], &LbfgsOptions::default()).is_err());
    }
}
