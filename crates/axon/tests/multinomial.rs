//! Exact multinomial logit against statsmodels' `MNLogit` and scikit-learn's unpenalised
//! multinomial `LogisticRegression` (fixtures written by
//! `scripts/reference/multinomial_fixtures.py`): coefficients, standard errors and every
//! model-level statistic on iris (sepal length) and wine (four features); predicted probabilities
//! and labels; separation on iris' sepal measurements; the L2-penalised optimum; agreement with
//! the binary logit when `K = 2`.
//!
//! Run with `--nocapture` to see iteration counts and the largest difference of each quantity.

use axon::linear::{
    fit_binary, fit_multinomial, BinaryData, BinaryOptions, Link, MultinomialData, MultinomialFit,
    MultinomialOptions, MultinomialSummary, Penalty,
};
use axon::Error;
use faer::Mat;
use serde_json::Value;

fn fixture(name: &str) -> Value {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&text).unwrap()
}

fn floats(v: &Value) -> Vec<f64> {
    v.as_array().unwrap().iter().map(|x| x.as_f64().unwrap()).collect()
}

/// A per-class table `[[class 1 values], [class 2 values], …]`, flattened class by class.
fn by_class(v: &Value) -> Vec<f64> {
    v.as_array().unwrap().iter().flat_map(floats).collect()
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array().unwrap().iter().map(|x| x.as_str().unwrap().to_string()).collect()
}

/// A data set stored as `n`, `p`, row-major `x`, `y`, `names`, `classes`.
struct Case {
    x: Mat<f64>,
    y: Vec<usize>,
    names: Vec<String>,
    classes: Vec<String>,
}

impl Case {
    fn load(name: &str) -> (Value, Case) {
        let j = fixture(name);
        let (n, p) = (j["n"].as_u64().unwrap() as usize, j["p"].as_u64().unwrap() as usize);
        let flat = floats(&j["x"]);
        let case = Case {
            x: Mat::from_fn(n, p, |i, k| flat[i * p + k]),
            y: j["y"].as_array().unwrap().iter().map(|v| v.as_u64().unwrap() as usize).collect(),
            names: strings(&j["names"]),
            classes: strings(&j["classes"]),
        };
        (j, case)
    }

    fn data(&self) -> MultinomialData<'_> {
        MultinomialData::new(self.x.as_ref(), &self.y, &self.names)
            .unwrap()
            .with_classes(&self.classes)
            .unwrap()
    }

    fn fit(&self, opts: &MultinomialOptions) -> MultinomialFit {
        fit_multinomial(&self.data(), opts).unwrap()
    }
}

/// The largest `|got − want| / |want|`, asserted below `tol`.
fn check(what: &str, got: &[f64], want: &[f64], tol: f64) -> f64 {
    assert_eq!(got.len(), want.len(), "{what}: lengths");
    let worst = got
        .iter()
        .zip(want)
        .map(|(g, w)| if g == w { 0.0 } else { (g - w).abs() / w.abs() })
        .fold(0.0f64, f64::max);
    println!("  {what:<22} max rel diff {worst:.2e}");
    assert!(worst < tol, "{what}: got {got:?}, want {want:?} (max rel diff {worst:.2e})");
    worst
}

fn mle() -> MultinomialOptions {
    MultinomialOptions::new(Some(0))
}

fn column(s: &MultinomialSummary, f: impl Fn(&axon::linear::CoefficientRow) -> f64) -> Vec<f64> {
    s.coefficients.iter().map(|r| f(&r.coefficient)).collect()
}

fn check_against_statsmodels(name: &str) {
    let (j, case) = Case::load(name);
    let data = case.data();
    let fit = case.fit(&mle());
    println!(
        "{name}: {} iterations (statsmodels {}), gradient norm {:.2e}",
        fit.iterations, j["iterations"], fit.gradient_norm
    );
    assert!(fit.converged && fit.warning.is_none());
    assert!(fit.gradient_norm < 1e-8, "gradient norm {}", fit.gradient_norm);
    let s = fit.summary(&data).unwrap();
    check("params", &column(&s, |r| r.estimate), &by_class(&j["params"]), 1e-5);
    check("bse", &column(&s, |r| r.std_error), &by_class(&j["bse"]), 1e-5);
    check("z", &column(&s, |r| r.z), &by_class(&j["tvalues"]), 1e-5);
    check("pvalues", &column(&s, |r| r.p_value), &by_class(&j["pvalues"]), 1e-5);
    check("ci_low", &column(&s, |r| r.ci_low), &by_class(&j["ci_low"]), 1e-5);
    check("ci_high", &column(&s, |r| r.ci_high), &by_class(&j["ci_high"]), 1e-5);
    let f = |k: &str| j[k].as_f64().unwrap();
    check("llf", &[s.log_likelihood], &[f("llf")], 1e-8);
    check("llnull", &[s.null_log_likelihood], &[f("llnull")], 1e-8);
    check("llr", &[s.llr], &[f("llr")], 1e-8);
    check("llr_pvalue", &[s.llr_p_value], &[f("llr_pvalue")], 1e-6);
    check("prsquared", &[s.pseudo_r2], &[f("prsquared")], 1e-8);
    check("aic", &[s.aic], &[f("aic")], 1e-8);
    check("bic", &[s.bic], &[f("bic")], 1e-8);
    assert_eq!(s.n_obs, f("nobs"));
    assert_eq!(s.df_model as f64, f("df_model"));
    assert_eq!(s.df_resid, f("df_resid"));
    let (p, k) = (case.x.ncols(), case.classes.len());
    assert_eq!(s.n_params, (k - 1) * p);
    // Rows run class by class, each over the columns, and carry the relative risk ratio.
    for (r, row) in s.coefficients.iter().enumerate() {
        assert_eq!(row.class_index, 1 + r / p);
        assert_eq!(row.class, case.classes[1 + r / p]);
        assert_eq!(row.coefficient.name, case.names[r % p]);
        let rrr = row.coefficient.odds_ratio.unwrap();
        assert!((rrr - row.coefficient.estimate.exp()).abs() <= 1e-15 * rrr.max(1.0));
    }
}

#[test]
fn iris_matches_statsmodels() {
    check_against_statsmodels("iris_mnlogit.json");
}

#[test]
fn wine_matches_statsmodels() {
    check_against_statsmodels("wine_mnlogit.json");
}

#[test]
fn predictions_match_scikit_learn() {
    for name in ["iris_mnlogit.json", "wine_mnlogit.json"] {
        let (j, case) = Case::load(name);
        let fit = case.fit(&mle());
        let prob = fit.predict_proba(case.x.as_ref()).unwrap();
        let (n, k) = (case.x.nrows(), case.classes.len());
        assert_eq!((prob.nrows(), prob.ncols()), (n, k));
        for (want_name, tol) in [("sklearn_proba", 1e-4), ("statsmodels_proba", 1e-8)] {
            let want = floats(&j[want_name]);
            let worst =
                (0..n * k).map(|t| (prob[(t / k, t % k)] - want[t]).abs()).fold(0.0f64, f64::max);
            println!("{name}: max |P − {want_name}| = {worst:.2e}");
            assert!(worst < tol, "{name}: {want_name} differs by {worst:.2e}");
        }
        for i in 0..n {
            let total: f64 = (0..k).map(|c| prob[(i, c)]).sum();
            assert!((total - 1.0).abs() < 1e-12);
        }
        let labels = fit.predict(case.x.as_ref()).unwrap();
        let want: Vec<usize> = j["sklearn_labels"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_u64().unwrap() as usize)
            .collect();
        assert_eq!(labels, want, "{name}: predicted labels");
    }
}

#[test]
fn covariance_is_the_symmetric_inverse_information() {
    let (j, case) = Case::load("wine_mnlogit.json");
    let fit = case.fit(&mle());
    let cov = fit.covariance.as_ref().unwrap();
    let m = cov.nrows();
    assert_eq!(m, 2 * case.x.ncols());
    for a in 0..m {
        for b in 0..m {
            assert!((cov[(a, b)] - cov[(b, a)]).abs() <= 1e-12 * cov[(a, a)].abs().max(1.0));
        }
    }
    let se: Vec<f64> = (0..m).map(|a| cov[(a, a)].sqrt()).collect();
    check("sqrt diag cov", &se, &by_class(&j["bse"]), 1e-5);
}

#[test]
fn separated_iris_sepals_are_an_error() {
    let (j, case) = Case::load("iris_sepal_separated_mnlogit.json");
    println!("statsmodels: {}", j["statsmodels_mnlogit"]);
    match fit_multinomial(&case.data(), &mle()) {
        Err(Error::Separation { variables, kind, detail }) => {
            println!("{kind}: {variables:?}: {detail}");
            assert!(!variables.is_empty());
            assert!(variables.iter().all(|v| v.starts_with("sepal_")), "{variables:?}");
        }
        other => panic!("expected a separation error, got {other:?}"),
    }
    // With a penalty the estimate exists and is finite.
    let fit = case.fit(&MultinomialOptions { penalty: Penalty::L2(0.1), ..mle() });
    assert!(fit.converged && (0..2).all(|k| (0..3).all(|r| fit.coefficients[(r, k)].abs() < 1e3)));
}

#[test]
fn perfect_separation_is_an_error() {
    // Three classes on a line, x < 3 class 0, 3..6 class 1, ≥ 6 class 2; z is noise.
    let xs = [0.5, 1.0, 2.0, 2.5, 3.5, 4.0, 5.0, 5.5, 6.5, 7.0, 8.0, 9.0];
    let zs = [0.3, -1.2, 0.8, 0.1, -0.4, 1.5, -0.7, 0.2, 0.9, -0.3, 0.6, -1.1];
    let y = [0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2];
    let x = Mat::from_fn(12, 3, |i, j| [1.0, xs[i], zs[i]][j]);
    let names: Vec<String> = ["Intercept", "x", "z"].iter().map(|s| s.to_string()).collect();
    let data = MultinomialData::new(x.as_ref(), &y, &names).unwrap();
    match fit_multinomial(&data, &mle()) {
        Err(Error::Separation { variables, kind, detail }) => {
            println!("{kind}: {variables:?}: {detail}");
            assert_eq!(kind, "perfect");
            assert!(variables.contains(&"x".to_string()), "{variables:?}");
        }
        other => panic!("expected a separation error, got {other:?}"),
    }
}

/// `∇` of the penalised objective, computed here from scratch: `Σᵢ (1[yᵢ = k] − pᵢₖ) xᵢ − α β̃ₖ`.
fn penalised_gradient(case: &Case, b: &Mat<f64>, alpha: f64) -> Vec<f64> {
    let (n, p, km1) = (case.x.nrows(), case.x.ncols(), b.ncols());
    let mut grad = vec![0.0; km1 * p];
    for i in 0..n {
        let eta: Vec<f64> =
            (0..km1).map(|k| (0..p).map(|j| case.x[(i, j)] * b[(j, k)]).sum()).collect();
        let denom = 1.0 + eta.iter().map(|e| e.exp()).sum::<f64>();
        for k in 0..km1 {
            let r = f64::from(case.y[i] == k + 1) - eta[k].exp() / denom;
            for j in 0..p {
                grad[k * p + j] += r * case.x[(i, j)];
            }
        }
    }
    for k in 0..km1 {
        for j in 1..p {
            grad[k * p + j] -= alpha * b[(j, k)];
        }
    }
    grad
}

#[test]
fn l2_penalised_fit_zeroes_the_penalised_gradient() {
    let alpha = 2.0;
    for name in ["wine_mnlogit.json", "iris_sepal_separated_mnlogit.json"] {
        let (_, case) = Case::load(name);
        let fit = case.fit(&MultinomialOptions { penalty: Penalty::L2(alpha), ..mle() });
        assert!(fit.converged && fit.covariance.is_none() && fit.is_penalised());
        let grad = penalised_gradient(&case, &fit.coefficients, alpha);
        let norm = grad.iter().map(|g| g * g).sum::<f64>().sqrt();
        println!("{name} penalised: {} iterations, gradient norm {norm:.2e}", fit.iterations);
        assert!(norm < 1e-8, "penalised gradient {grad:?}");
        assert!(matches!(fit.summary(&case.data()), Err(Error::InvalidArgument { .. })));
    }
    // The penalty shrinks the slopes of a fit whose MLE exists.
    let (_, case) = Case::load("wine_mnlogit.json");
    let slopes =
        |b: &Mat<f64>| (1..b.nrows()).map(|j| b[(j, 0)].powi(2) + b[(j, 1)].powi(2)).sum::<f64>();
    let pen = case.fit(&MultinomialOptions { penalty: Penalty::L2(alpha), ..mle() });
    assert!(slopes(&pen.coefficients) < slopes(&case.fit(&mle()).coefficients));
}

#[test]
fn two_classes_reproduce_the_binary_logit() {
    let j = fixture("lbw_logit.json");
    let (n, p) = (j["n"].as_u64().unwrap() as usize, j["p"].as_u64().unwrap() as usize);
    let flat = floats(&j["x"]);
    let x = Mat::from_fn(n, p, |i, k| flat[i * p + k]);
    let yf = floats(&j["y"]);
    let y: Vec<usize> = yf.iter().map(|&v| v as usize).collect();
    let names = strings(&j["names"]);
    let binary = fit_binary(
        &BinaryData::new(x.as_ref(), &yf, &names).unwrap(),
        &BinaryOptions::new(Link::Logit, Some(0)),
    )
    .unwrap();
    let data = MultinomialData::new(x.as_ref(), &y, &names).unwrap();
    let multi = fit_multinomial(&data, &mle()).unwrap();
    let b: Vec<f64> = (0..p).map(|k| multi.coefficients[(k, 0)]).collect();
    check("K = 2 params", &b, &binary.coefficients, 1e-9);
    let s = multi.summary(&data).unwrap();
    let bin_cov = binary.covariance.as_ref().unwrap();
    let bse: Vec<f64> = (0..p).map(|k| bin_cov[(k, k)].sqrt()).collect();
    check("K = 2 bse", &column(&s, |r| r.std_error), &bse, 1e-8);
    check("K = 2 llf", &[s.log_likelihood], &[j["llf"].as_f64().unwrap()], 1e-10);
    check("K = 2 llnull", &[s.null_log_likelihood], &[j["llnull"].as_f64().unwrap()], 1e-10);
}

#[test]
fn hitting_max_iter_gives_a_warning_not_an_error() {
    let (_, case) = Case::load("wine_mnlogit.json");
    let fit = case.fit(&MultinomialOptions { max_iter: 2, ..mle() });
    assert!(!fit.converged && fit.iterations == 2);
    assert!(fit.warning.as_ref().unwrap().contains("did not converge"));
    let s = fit.summary(&case.data()).unwrap();
    assert!(!s.converged && s.warning.is_some());
}

#[test]
fn bad_input_is_an_error_not_a_panic() {
    let (_, case) = Case::load("iris_mnlogit.json");
    let x = case.x.as_ref();
    assert!(MultinomialData::new(x, &case.y[1..], &case.names).is_err());
    assert!(MultinomialData::new(x, &case.y, &case.names[1..]).is_err());
    // Class 1 missing: labels 0 and 2 only.
    let gap: Vec<usize> = case.y.iter().map(|&c| if c == 1 { 2 } else { c }).collect();
    assert!(MultinomialData::new(x, &gap, &case.names).is_err());
    let zeros = vec![0; case.y.len()];
    assert!(MultinomialData::new(x, &zeros, &case.names).is_err());
    assert!(case.data().with_classes(&case.classes[1..]).is_err());
    let mut bad = case.x.clone();
    bad[(4, 1)] = f64::INFINITY;
    assert!(MultinomialData::new(bad.as_ref(), &case.y, &case.names).is_err());
    let data = case.data();
    assert!(fit_multinomial(&data, &MultinomialOptions::new(Some(1))).is_err());
    assert!(fit_multinomial(&data, &MultinomialOptions { tol: -1.0, ..mle() }).is_err());
    assert!(fit_multinomial(
        &data,
        &MultinomialOptions { penalty: Penalty::L2(f64::NAN), ..mle() }
    )
    .is_err());
    let lasso = MultinomialOptions { penalty: Penalty::L1(1.0), ..mle() };
    assert!(matches!(fit_multinomial(&data, &lasso), Err(Error::InvalidArgument { .. })));
    let fit = case.fit(&mle());
    assert!(fit.predict_proba(Mat::<f64>::zeros(3, 5).as_ref()).is_err());
    assert!(fit.predict(Mat::<f64>::zeros(3, 1).as_ref()).is_err());
}

#[test]
fn collinear_columns_are_named() {
    let (_, case) = Case::load("wine_mnlogit.json");
    let (n, p) = (case.x.nrows(), case.x.ncols());
    let x = Mat::from_fn(n, p + 1, |i, k| {
        if k < p {
            case.x[(i, k)]
        } else {
            case.x[(i, 1)] - 3.0 * case.x[(i, 2)]
        }
    });
    let mut names = case.names.clone();
    names.push("mix".to_string());
    let data = MultinomialData::new(x.as_ref(), &case.y, &names).unwrap();
    let err = fit_multinomial(&data, &mle()).unwrap_err();
    assert!(err.to_string().contains("mix"), "{err}");
}

#[test]
fn summary_prints_a_table_and_serialises() {
    let (_, case) = Case::load("wine_mnlogit.json");
    let data = case.data();
    let s = case.fit(&mle()).summary(&data).unwrap();
    let text = s.to_string();
    println!("{text}");
    assert!(text.contains("class_1") && text.contains("alcalinity_of_ash"), "{text}");
    assert!(text.contains("-59.4460"), "{text}");
    let json = serde_json::to_value(&s).unwrap();
    let row = &json["coefficients"][5];
    assert_eq!(row["class"], "class_2");
    assert_eq!(row["class_index"], 2);
    assert_eq!(row["name"], "Intercept");
    assert!(row["std_error"].as_f64().unwrap() > 0.0);
    assert_eq!(json["n_params"], 10);
}
