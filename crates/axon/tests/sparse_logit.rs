//! Sparse L2 logistic regression on a real LibSVM file (`data/heart_scale`) against LIBLINEAR
//! (no intercept) and scikit-learn (unpenalised intercept): the objective each tool minimises
//! is reached to 1e-6 relative, and the coefficients agree. The reference numbers come from
//! `scripts/reference/sparse_fixtures.py`.

use std::path::PathBuf;

use axon::data::{read_libsvm, LibsvmOptions};
use axon::linear::{fit_sparse_logit, SparseLogitOptions, SparseSolver};
use serde_json::Value;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn fixture() -> Value {
    let text = std::fs::read_to_string(root().join("crates/axon/tests/fixtures/sparse_logit.json"))
        .unwrap();
    serde_json::from_str(&text).unwrap()
}

fn numbers(v: &Value) -> Vec<f64> {
    v.as_array().unwrap().iter().map(|x| x.as_f64().unwrap()).collect()
}

#[test]
fn heart_scale_reaches_the_liblinear_and_sklearn_objectives() {
    let data = read_libsvm(root().join("data/heart_scale"), &LibsvmOptions::default()).unwrap();
    assert_eq!((data.x.n_rows(), data.x.n_cols()), (270, 13));
    let y: Vec<f64> = data.labels.iter().map(|&l| f64::from(l > 0.0)).collect();
    let reference = fixture();
    for solver in [SparseSolver::Tron, SparseSolver::Lbfgs] {
        for (tool, fit_intercept) in [("liblinear", false), ("sklearn", true)] {
            let expected = &reference[tool];
            let opts =
                SparseLogitOptions { alpha: 1.0, fit_intercept, solver, tol: 1e-8, max_iter: 1000 };
            let fit = fit_sparse_logit(&data.x, &y, None, &opts).unwrap();
            let objective = expected["objective"].as_f64().unwrap();
            let rel = (fit.objective - objective).abs() / objective;
            assert!(fit.converged, "{solver:?} {tool}");
            assert!(rel < 1e-6, "{solver:?} vs {tool}: {} vs {objective}", fit.objective);
            // Never worse than the reference by more than rounding.
            assert!(fit.objective <= objective * (1.0 + 1e-12), "{solver:?} vs {tool}");
            for (a, b) in fit.coef.iter().zip(numbers(&expected["coef"])) {
                assert!((a - b).abs() < 1e-4 * (1.0 + b.abs()), "{solver:?} vs {tool}: {a} vs {b}");
            }
            if fit_intercept {
                let b = expected["intercept"].as_f64().unwrap();
                assert!((fit.intercept - b).abs() < 1e-4, "{} vs {b}", fit.intercept);
            }
        }
    }
}

#[test]
fn probabilities_of_a_fitted_model_need_its_width() {
    let data = read_libsvm(root().join("data/heart_scale"), &LibsvmOptions::default()).unwrap();
    let y: Vec<f64> = data.labels.iter().map(|&l| f64::from(l > 0.0)).collect();
    let fit = fit_sparse_logit(&data.x, &y, None, &SparseLogitOptions::default()).unwrap();
    let p = fit.predict_proba(&data.x).unwrap();
    let accuracy = p.iter().zip(&y).filter(|(p, y)| (**p >= 0.5) == (**y == 1.0)).count();
    assert!(accuracy > 220, "{accuracy} of 270");
    let narrow = data.x.take_rows(&[0, 1]);
    let wide = axon::sparse::Csr::new(20, vec![0, 0], vec![], vec![]).unwrap();
    assert_eq!(fit.predict_proba(&narrow).unwrap().len(), 2);
    assert!(fit.predict_proba(&wide).is_err());
}
