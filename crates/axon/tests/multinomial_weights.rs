//! Frequency weights in every multinomial fit: integer weights must give the fit of the data with
//! every row repeated that many times — the exact `MNLogit` (Newton, with its covariance and
//! statistics), the symmetric softmax by L-BFGS (with and without class weights), one-vs-rest
//! and the same through `fit_linear` — and a class left without weight is refused by the exact
//! fit (its coefficients have no estimate).

use axon::linear::{
    fit_multinomial, fit_one_vs_rest, fit_softmax, BinaryOptions, ClassWeight, Link,
    MultinomialData, MultinomialOptions, Penalty, SoftmaxOptions,
};
use faer::Mat;
use serde_json::Value;

/// Wine's fixture (178 rows, intercept + four features, three classes).
fn wine() -> (Mat<f64>, Vec<usize>, Vec<String>) {
    let path = format!("{}/tests/fixtures/wine_mnlogit.json", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let j: Value = serde_json::from_str(&text).unwrap();
    let (n, p) = (j["n"].as_u64().unwrap() as usize, j["p"].as_u64().unwrap() as usize);
    let flat: Vec<f64> = j["x"].as_array().unwrap().iter().map(|v| v.as_f64().unwrap()).collect();
    let y = j["y"].as_array().unwrap().iter().map(|v| v.as_u64().unwrap() as usize).collect();
    let names = j["names"].as_array().unwrap().iter().map(|v| v.as_str().unwrap().into()).collect();
    let mut x = Mat::from_fn(n, p, |i, k| flat[i * p + k]);
    // Standardised features (the intercept, column 0, kept), so that L-BFGS converges tightly.
    for k in 1..p {
        let mean = x.col(k).iter().sum::<f64>() / n as f64;
        let sd = (x.col(k).iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n as f64).sqrt();
        (0..n).for_each(|i| x[(i, k)] = (x[(i, k)] - mean) / sd);
    }
    (x, y, names)
}

/// The data with weights `w` and the same data with every row repeated `wᵢ` times.
struct Pair {
    x: Mat<f64>,
    y: Vec<usize>,
    w: Vec<f64>,
    xr: Mat<f64>,
    yr: Vec<usize>,
    names: Vec<String>,
}

/// Weights 0, 1, 2, 3, 0, 1, … on wine.
fn weighted_and_repeated() -> Pair {
    let (x, y, names) = wine();
    let w: Vec<f64> = (0..y.len()).map(|i| (i % 4) as f64).collect();
    let rows: Vec<usize> = (0..y.len()).flat_map(|i| std::iter::repeat_n(i, i % 4)).collect();
    let xr = Mat::from_fn(rows.len(), x.ncols(), |r, j| x[(rows[r], j)]);
    let yr = rows.iter().map(|&i| y[i]).collect();
    Pair { x, y, w, xr, yr, names }
}

/// `max |a − b| / max(1, |b|)` elementwise below `tol`.
fn assert_close(what: &str, a: &Mat<f64>, b: &Mat<f64>, tol: f64) {
    assert_eq!((a.nrows(), a.ncols()), (b.nrows(), b.ncols()), "{what}: shapes");
    let worst = (0..a.nrows())
        .flat_map(|i| (0..a.ncols()).map(move |j| (i, j)))
        .map(|ij| (a[ij] - b[ij]).abs() / b[ij].abs().max(1.0))
        .fold(0.0f64, f64::max);
    assert!(worst < tol, "{what}: max |weighted − repeated| = {worst:.3e}");
}

#[test]
fn exact_fit_with_integer_weights_equals_row_repetition() {
    let Pair { x, y, w, xr, yr, names } = weighted_and_repeated();
    let weighted = MultinomialData::new(x.as_ref(), &y, &names).unwrap().with_weights(&w).unwrap();
    let repeated = MultinomialData::new(xr.as_ref(), &yr, &names).unwrap();
    let opts = MultinomialOptions::new(Some(0));
    let (a, b) =
        (fit_multinomial(&weighted, &opts).unwrap(), fit_multinomial(&repeated, &opts).unwrap());
    assert!(a.converged && b.converged);
    assert_close("coefficients", &a.coefficients, &b.coefficients, 1e-8);
    assert_close(
        "covariance",
        a.covariance.as_ref().unwrap(),
        b.covariance.as_ref().unwrap(),
        1e-8,
    );
    assert!((a.log_likelihood - b.log_likelihood).abs() < 1e-8);
    let (sa, sb) = (a.summary(&weighted).unwrap(), b.summary(&repeated).unwrap());
    assert_eq!(sa.n_obs, sb.n_obs);
    assert_eq!(sa.n_obs, w.iter().sum::<f64>());
    assert!((sa.null_log_likelihood - sb.null_log_likelihood).abs() < 1e-9);
    assert!((sa.aic - sb.aic).abs() < 1e-7 && (sa.bic - sb.bic).abs() < 1e-7);
    // Weights change the fit: the unweighted estimate differs.
    let plain = MultinomialData::new(x.as_ref(), &y, &names).unwrap();
    let c = fit_multinomial(&plain, &opts).unwrap();
    assert!((c.coefficients[(1, 0)] - a.coefficients[(1, 0)]).abs() > 1e-4);
    // The penalised exact fit too.
    let ridge = MultinomialOptions { penalty: Penalty::L2(0.5), ..opts };
    let (a, b) =
        (fit_multinomial(&weighted, &ridge).unwrap(), fit_multinomial(&repeated, &ridge).unwrap());
    assert_close("L2 coefficients", &a.coefficients, &b.coefficients, 1e-8);
}

#[test]
fn softmax_and_ovr_with_integer_weights_equal_row_repetition() {
    let Pair { x, y, w, xr, yr, names } = weighted_and_repeated();
    let weighted = MultinomialData::new(x.as_ref(), &y, &names).unwrap().with_weights(&w).unwrap();
    let repeated = MultinomialData::new(xr.as_ref(), &yr, &names).unwrap();
    for class_weight in [ClassWeight::None, ClassWeight::Balanced] {
        let opts = SoftmaxOptions {
            class_weight,
            tol: 1e-14,
            ..SoftmaxOptions::new(Penalty::L2(0.1), Some(0))
        };
        let (a, b) =
            (fit_softmax(&weighted, &opts).unwrap(), fit_softmax(&repeated, &opts).unwrap());
        if class_weight == ClassWeight::None {
            assert_close("softmax", &a.coefficients, &b.coefficients, 1e-8);
            assert!((a.log_likelihood - b.log_likelihood).abs() < 1e-7);
        } else {
            // Balanced weights come from the class counts of the rows, not of their weights
            // (scikit-learn's rule without sample weights), so the two differ.
            assert!(a.converged && b.converged);
        }
    }
    let opts = BinaryOptions { tol: 1e-12, ..BinaryOptions::new(Link::Logit, Some(0)) };
    let (a, b) =
        (fit_one_vs_rest(&weighted, &opts).unwrap(), fit_one_vs_rest(&repeated, &opts).unwrap());
    for (fa, fb) in a.fits.iter().zip(&b.fits) {
        let worst = fa
            .coefficients
            .iter()
            .zip(&fb.coefficients)
            .map(|(u, v)| (u - v).abs())
            .fold(0.0f64, f64::max);
        assert!(worst < 1e-8, "one-vs-rest: max |weighted − repeated| = {worst:.3e}");
    }
}

#[test]
fn weights_are_checked_and_an_unweighted_class_has_no_estimate() {
    let (x, y, names) = wine();
    let data = || MultinomialData::new(x.as_ref(), &y, &names).unwrap();
    assert!(data().with_weights(&[1.0; 3]).is_err(), "wrong length");
    let mut bad = vec![1.0; y.len()];
    bad[5] = -1.0;
    assert!(data().with_weights(&bad).is_err(), "negative");
    bad[5] = f64::NAN;
    assert!(data().with_weights(&bad).is_err(), "NaN");
    assert!(data().with_weights(&vec![0.0; y.len()]).is_err(), "all zero");
    let no_class_2: Vec<f64> = y.iter().map(|&c| f64::from(c != 2)).collect();
    let weighted = data().with_weights(&no_class_2).unwrap();
    let err = fit_multinomial(&weighted, &MultinomialOptions::new(Some(0))).unwrap_err();
    assert!(err.to_string().contains("no observation with positive weight"), "{err}");
    // Penalised, the class gets finite (very negative) scores.
    let ridge = SoftmaxOptions::new(Penalty::L2(1.0), Some(0));
    let fit = fit_softmax(&weighted, &ridge).unwrap();
    let proba = fit.predict_proba(x.as_ref()).unwrap();
    assert!((0..y.len()).all(|i| proba[(i, 2)] < 0.5));
}
