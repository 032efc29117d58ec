//! Multi-class, L1 and elastic-net logistic regression on real sparse designs against the tools
//! users compare them with: the TF-IDF design of the spam sample's five `group`s (softmax
//! against scikit-learn, one-vs-rest against LIBLINEAR `-s 0`), LIBLINEAR `-s 6` (L1) on
//! `data/heart_scale` and on the same text design's spam / ham labels, and scikit-learn's saga
//! elastic net on heart_scale. Objectives to 1e-6 relative, the same number of non-zero
//! weights, probabilities and coefficients close. The reference numbers and the design file come
//! from `scripts/reference/sparse_multiclass_fixtures.py`.

use std::path::PathBuf;

use axon::data::{read_libsvm, LibsvmOptions, SparseData};
use axon::linear::{
    fit_sparse_l1, fit_sparse_one_vs_rest, fit_sparse_one_vs_rest_l1, fit_sparse_softmax,
    SparseL1Options, SparseLogitOptions, SparseMultiFit, SparseSolver,
};
use serde_json::Value;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn fixture() -> Value {
    let path = root().join("crates/axon/tests/fixtures/sparse_multiclass.json");
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn numbers(v: &Value) -> Vec<f64> {
    v.as_array().unwrap().iter().map(|x| x.as_f64().unwrap()).collect()
}

fn text_design() -> (SparseData, Vec<usize>) {
    let path = root().join("crates/axon/tests/fixtures/spam_groups.svm.gz");
    let data = read_libsvm(path, &LibsvmOptions::default()).unwrap();
    let y = data.labels.iter().map(|&l| l as usize).collect();
    (data, y)
}

fn close(got: f64, want: f64, rel: f64, what: &str) {
    assert!((got - want).abs() <= rel * want.abs().max(1.0), "{what}: {got} vs {want}");
}

/// Objective, every 97th coefficient of each class, intercepts.
fn compare(fit: &SparseMultiFit, expected: &Value, what: &str) {
    close(fit.objective, expected["objective"].as_f64().unwrap(), 1e-6, what);
    assert!(fit.converged, "{what}");
    let p = fit.n_features();
    for (k, row) in expected["coef_every_97th"].as_array().unwrap().iter().enumerate() {
        for (m, want) in numbers(row).into_iter().enumerate() {
            let got = fit.coef[k * p + 97 * m];
            assert!(
                (got - want).abs() < 1e-4 * (1.0 + want.abs()),
                "{what} class {k}: {got} vs {want}"
            );
        }
    }
    for (got, want) in fit.intercept.iter().zip(numbers(&expected["intercept"])) {
        assert!(
            (got - want).abs() < 1e-4 * (1.0 + want.abs()),
            "{what} intercept: {got} vs {want}"
        );
    }
}

#[test]
fn softmax_on_tfidf_groups_matches_sklearn() {
    let (data, y) = text_design();
    let reference = fixture();
    let shape = numbers(&reference["shape"]);
    assert_eq!((data.x.n_rows(), data.x.n_cols()), (shape[0] as usize, shape[1] as usize));
    let alpha = 1.0 / reference["softmax"]["C"].as_f64().unwrap();
    for (name, fit_intercept) in [("intercept", true), ("no_intercept", false)] {
        let opts = SparseLogitOptions {
            alpha,
            fit_intercept,
            tol: 1e-10,
            max_iter: 5000,
            ..Default::default()
        };
        let fit = fit_sparse_softmax(&data.x, &y, 5, None, &opts).unwrap();
        let expected = &reference["softmax"][name];
        compare(&fit, expected, &format!("softmax {name}"));
        let proba = fit.predict_proba(&data.x.take_rows(&(0..10).collect::<Vec<_>>())).unwrap();
        for (i, row) in expected["proba"].as_array().unwrap().iter().enumerate() {
            for (k, want) in numbers(row).into_iter().enumerate() {
                assert!((proba[i * 5 + k] - want).abs() < 1e-6, "row {i} class {k}");
            }
        }
    }
}

#[test]
fn one_vs_rest_on_tfidf_groups_matches_liblinear() {
    let (data, y) = text_design();
    let reference = fixture();
    let alpha = 1.0 / reference["ovr"]["C"].as_f64().unwrap();
    for solver in [SparseSolver::Tron, SparseSolver::Lbfgs] {
        for (name, fit_intercept) in [("intercept", true), ("no_intercept", false)] {
            let opts =
                SparseLogitOptions { alpha, fit_intercept, solver, tol: 1e-10, max_iter: 5000 };
            let fit = fit_sparse_one_vs_rest(&data.x, &y, 5, None, &opts).unwrap();
            compare(&fit, &reference["ovr"][name], &format!("ovr {solver:?} {name}"));
        }
    }
}

fn check_l1(x: &axon::sparse::Csr, y: &[f64], expected: &Value, c: f64, what: &str) {
    for (name, fit_intercept) in [("intercept", true), ("no_intercept", false)] {
        let opts =
            SparseL1Options { alpha: 1.0 / c, fit_intercept, tol: 1e-10, ..Default::default() };
        let fit = fit_sparse_l1(x, y, None, &opts).unwrap();
        let want = &expected[name];
        let what = format!("{what} {name}");
        assert!(fit.converged, "{what}");
        // The fixture is in axon's units: LIBLINEAR's ‖w‖₁ + C Σ loss divided by C.
        let objective = want["objective"].as_f64().unwrap();
        close(fit.objective, objective, 1e-6, &what);
        assert!(fit.objective <= objective * (1.0 + 1e-12), "{what}: worse than LIBLINEAR");
        let nnz = fit.coef.iter().filter(|v| **v != 0.0).count();
        assert_eq!(nnz as u64, want["nnz"].as_u64().unwrap(), "{what}");
        for (m, b) in numbers(&want["coef_every_97th"]).into_iter().enumerate() {
            let a = fit.coef[97 * m];
            assert!((a - b).abs() < 1e-4 * (1.0 + b.abs()), "{what} coef {}: {a} vs {b}", 97 * m);
        }
        if fit_intercept {
            let b = want["intercept"].as_f64().unwrap();
            assert!(
                (fit.intercept - b).abs() < 1e-4 * (1.0 + b.abs()),
                "{what}: {} vs {b}",
                fit.intercept
            );
        }
    }
}

#[test]
fn l1_matches_liblinear_s6_on_heart_scale_and_on_text() {
    let reference = fixture();
    let heart = read_libsvm(root().join("data/heart_scale"), &LibsvmOptions::default()).unwrap();
    let y: Vec<f64> = heart.labels.iter().map(|&l| f64::from(l > 0.0)).collect();
    let c = reference["l1_heart"]["C"].as_f64().unwrap();
    check_l1(&heart.x, &y, &reference["l1_heart"], c, "heart_scale");
    let (text, groups) = text_design();
    let spam: Vec<f64> = groups.iter().map(|&g| f64::from(g >= 3)).collect();
    let c = reference["l1_spam"]["C"].as_f64().unwrap();
    check_l1(&text.x, &spam, &reference["l1_spam"], c, "spam text");
}

#[test]
fn one_vs_rest_l1_on_tfidf_groups_matches_liblinear_s6() {
    let (data, y) = text_design();
    let reference = &fixture()["l1_ovr"];
    let alpha = 1.0 / reference["C"].as_f64().unwrap();
    for (name, fit_intercept) in [("intercept", true), ("no_intercept", false)] {
        let opts = SparseL1Options { alpha, fit_intercept, tol: 1e-10, ..Default::default() };
        let fit = fit_sparse_one_vs_rest_l1(&data.x, &y, 5, None, &opts).unwrap();
        let want = &reference[name];
        compare(&fit, want, &format!("ovr l1 {name}"));
        let p = fit.n_features();
        for (k, nnz) in numbers(&want["nnz"]).into_iter().enumerate() {
            let got = fit.coef[k * p..(k + 1) * p].iter().filter(|v| **v != 0.0).count();
            assert_eq!(got, nnz as usize, "ovr l1 {name} class {k}");
        }
    }
}

#[test]
fn elastic_net_matches_sklearn_saga_on_heart_scale() {
    let reference = &fixture()["elasticnet_heart"];
    let heart = read_libsvm(root().join("data/heart_scale"), &LibsvmOptions::default()).unwrap();
    let y: Vec<f64> = heart.labels.iter().map(|&l| f64::from(l > 0.0)).collect();
    let opts = SparseL1Options {
        alpha: 1.0 / reference["C"].as_f64().unwrap(),
        l1_ratio: reference["l1_ratio"].as_f64().unwrap(),
        fit_intercept: true,
        tol: 1e-10,
        max_iter: 1000,
    };
    let fit = fit_sparse_l1(&heart.x, &y, None, &opts).unwrap();
    assert!(fit.converged);
    let want = reference["objective"].as_f64().unwrap();
    close(fit.objective, want, 1e-6, "elastic net");
    // Never worse than the reference by more than rounding.
    assert!(fit.objective <= want * (1.0 + 1e-12));
    let nnz = fit.coef.iter().filter(|v| **v != 0.0).count();
    assert_eq!(nnz as u64, reference["nnz"].as_u64().unwrap());
    for (a, b) in fit.coef.iter().zip(numbers(&reference["coef"])) {
        assert!((a - b).abs() < 1e-4, "{a} vs {b}");
    }
}
