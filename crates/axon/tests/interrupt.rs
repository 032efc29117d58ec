//! The interrupt hook in every iterative fit: a hook that says stop on its `k`-th call ends each
//! solver (Newton, L-BFGS, coordinate descent, gradient ascent, SGD, the exact multinomial
//! logit, the softmax by L-BFGS, TRON and newGLMNET on sparse designs) with
//! `Error::Interrupted`, never with a result; a hook that never stops changes nothing; and the
//! hook is gone once `with_hook` returns.

use axon::interrupt::with_hook;
use axon::linear::{
    fit_binary, fit_multinomial, fit_softmax, fit_sparse_l1, fit_sparse_logit, BinaryData,
    BinaryOptions, Link, MultinomialData, MultinomialOptions, Penalty, SgdOptions, SoftmaxOptions,
    Solver, SparseL1Options, SparseLogitOptions, SparseSolver,
};
use axon::sparse::Csr;
use axon::{Error, Rng};
use faer::Mat;

/// 400 rows, an intercept and three normal features; a logistic binary outcome and three
/// classes, drawn by the seeded generator (neither is separable).
fn data() -> (Mat<f64>, Vec<f64>, Vec<usize>, Vec<String>) {
    let n = 400;
    let mut rng = Rng::seed(7);
    let x = Mat::from_fn(n, 4, |_, j| if j == 0 { 1.0 } else { rng.normal() });
    let score = |i: usize| x[(i, 1)] - 0.5 * x[(i, 2)] + 0.3 * x[(i, 3)];
    let y = (0..n).map(|i| f64::from(rng.uniform() < 1.0 / (1.0 + (-score(i)).exp()))).collect();
    let classes = (0..n).map(|i| (rng.below(3) + usize::from(score(i) > 1.0)) % 3).collect();
    let names = ["Intercept", "a", "b", "c"].map(String::from).to_vec();
    (x, y, classes, names)
}

/// A hook that says stop on its `k`-th call.
fn stop_at(k: usize) -> impl FnMut() -> bool {
    let mut calls = 0;
    move || {
        calls += 1;
        calls >= k
    }
}

#[test]
fn every_binary_solver_stops_with_interrupted() {
    let (x, y, _, names) = data();
    let data = BinaryData::new(x.as_ref(), &y, &names).unwrap();
    let solvers = [
        (Solver::Newton, Penalty::None),
        (Solver::lbfgs(), Penalty::L2(0.1)),
        (Solver::coordinate_descent(), Penalty::L1(0.5)),
        (
            Solver::GradientAscent { learning_rate: 1e-4, max_steps: 100_000, tol: 1e-12 },
            Penalty::None,
        ),
        (Solver::Sgd(SgdOptions::adam(0.01, 32, 50, 0)), Penalty::None),
    ];
    for (solver, penalty) in solvers {
        let opts = BinaryOptions { solver, penalty, ..BinaryOptions::new(Link::Logit, Some(0)) };
        let plain = fit_binary(&data, &opts).unwrap();
        let never = with_hook(|| false, || fit_binary(&data, &opts)).unwrap();
        assert_eq!(plain.coefficients, never.coefficients, "{solver:?}: a silent hook");
        let stopped = with_hook(stop_at(2), || fit_binary(&data, &opts));
        assert!(matches!(stopped, Err(Error::Interrupted)), "{solver:?}: {stopped:?}");
        // Outside the hook the same fit runs to the end again.
        assert_eq!(fit_binary(&data, &opts).unwrap().coefficients, plain.coefficients);
    }
}

#[test]
fn multinomial_fits_stop_with_interrupted() {
    let (x, _, classes, names) = data();
    let data = MultinomialData::new(x.as_ref(), &classes, &names).unwrap();
    let exact = || fit_multinomial(&data, &MultinomialOptions::new(Some(0)));
    assert!(exact().is_ok());
    assert!(matches!(with_hook(stop_at(2), exact), Err(Error::Interrupted)));
    let softmax = || fit_softmax(&data, &SoftmaxOptions::new(Penalty::L2(0.1), Some(0)));
    assert!(softmax().is_ok());
    assert!(matches!(with_hook(stop_at(2), softmax), Err(Error::Interrupted)));
}

#[test]
fn sparse_fits_stop_with_interrupted() {
    let (x, y, _, _) = data();
    let rows = (0..x.nrows()).map(|i| (1..4).map(|j| (j as u32 - 1, x[(i, j)])).collect());
    let csr = Csr::from_rows(3, rows).unwrap();
    for solver in [SparseSolver::Tron, SparseSolver::Lbfgs] {
        let opts = SparseLogitOptions { solver, alpha: 0.1, tol: 1e-12, ..Default::default() };
        assert!(fit_sparse_logit(&csr, &y, None, &opts).is_ok());
        let stopped = with_hook(stop_at(2), || fit_sparse_logit(&csr, &y, None, &opts));
        assert!(matches!(stopped, Err(Error::Interrupted)), "{solver:?}: {stopped:?}");
    }
    let opts = SparseL1Options { alpha: 0.05, tol: 1e-12, ..Default::default() };
    assert!(fit_sparse_l1(&csr, &y, None, &opts).is_ok());
    let stopped = with_hook(stop_at(2), || fit_sparse_l1(&csr, &y, None, &opts));
    assert!(matches!(stopped, Err(Error::Interrupted)), "{stopped:?}");
}
