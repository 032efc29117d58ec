//! Exact logit and probit against statsmodels (fixtures written by
//! `scripts/reference/linear_fixtures.py`): coefficients, standard errors, every model-level
//! statistic, HC0/HC1 and average marginal effects on the low-birth-weight data; separation
//! errors; the non-convergence warning; frequency weights; the L2-penalised optimum; results that
//! do not depend on the number of threads.
//!
//! Run with `--nocapture` to see the largest relative difference of each quantity.

use axon::linear::{
    fit_binary, fit_softmax, BinaryData, BinaryFit, BinaryOptions, CovType, FitSummary, Link,
    MultinomialData, Penalty, SoftmaxOptions, Solver,
};
use axon::{Error, Rng};
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

fn strings(v: &Value) -> Vec<String> {
    v.as_array().unwrap().iter().map(|x| x.as_str().unwrap().to_string()).collect()
}

/// A data set stored as `n`, `p`, row-major `x`, `y`, `names`.
struct Case {
    x: Mat<f64>,
    y: Vec<f64>,
    names: Vec<String>,
}

impl Case {
    fn from_json(j: &Value) -> Case {
        let (n, p) = (j["n"].as_u64().unwrap() as usize, j["p"].as_u64().unwrap() as usize);
        let flat = floats(&j["x"]);
        Case {
            x: Mat::from_fn(n, p, |i, k| flat[i * p + k]),
            y: floats(&j["y"]),
            names: strings(&j["names"]),
        }
    }

    fn data(&self) -> BinaryData<'_> {
        BinaryData::new(self.x.as_ref(), &self.y, &self.names).unwrap()
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

fn column<T>(rows: &[T], f: impl Fn(&T) -> f64) -> Vec<f64> {
    rows.iter().map(f).collect()
}

fn lbw(link: Link) -> (Value, Case) {
    let j = fixture(&format!("lbw_{}.json", link.name()));
    let case = Case::from_json(&j);
    (j, case)
}

fn options(link: Link) -> BinaryOptions {
    BinaryOptions::new(link, Some(0))
}

fn check_coefficients(s: &FitSummary, j: &Value) {
    let rows = &s.coefficients;
    check("params", &column(rows, |r| r.estimate), &floats(&j["params"]), 1e-6);
    check("bse", &column(rows, |r| r.std_error), &floats(&j["bse"]), 1e-6);
    check("z", &column(rows, |r| r.z), &floats(&j["tvalues"]), 1e-6);
    check("pvalues", &column(rows, |r| r.p_value), &floats(&j["pvalues"]), 1e-6);
    let ci: Vec<Vec<f64>> = j["conf_int"].as_array().unwrap().iter().map(floats).collect();
    check("ci_low", &column(rows, |r| r.ci_low), &column(&ci, |c| c[0]), 1e-6);
    check("ci_high", &column(rows, |r| r.ci_high), &column(&ci, |c| c[1]), 1e-6);
    let names: Vec<String> = rows.iter().map(|r| r.name.clone()).collect();
    assert_eq!(names, strings(&j["names"]));
}

fn check_model(s: &FitSummary, j: &Value) {
    let f = |k: &str| j[k].as_f64().unwrap();
    check("llf", &[s.log_likelihood], &[f("llf")], 1e-8);
    check("llnull", &[s.null_log_likelihood], &[f("llnull")], 1e-8);
    check("llr", &[s.llr], &[f("llr")], 1e-8);
    check("llr_pvalue", &[s.llr_p_value], &[f("llr_pvalue")], 1e-6);
    check("prsquared", &[s.pseudo_r2], &[f("prsquared")], 1e-8);
    check("aic", &[s.aic], &[f("aic")], 1e-8);
    check("bic", &[s.bic], &[f("bic")], 1e-8);
    check("deviance", &[s.deviance], &[-2.0 * f("llf")], 1e-8);
    assert_eq!(s.n_obs, f("nobs"));
    assert_eq!(s.df_model as f64, f("df_model"));
    assert_eq!(s.df_resid, f("df_resid"));
    assert_eq!(s.n_params, j["p"].as_u64().unwrap() as usize);
    assert!(s.converged && s.warning.is_none());
    assert!(s.gradient_norm < 1e-8, "gradient norm {}", s.gradient_norm);
}

fn check_against_statsmodels(link: Link) {
    let (j, case) = lbw(link);
    let data = case.data();
    let fit = fit_binary(&data, &options(link)).unwrap();
    println!(
        "{}: {} iterations (statsmodels {}), gradient norm {:.2e}",
        link.name(),
        fit.iterations,
        j["iterations"],
        fit.gradient_norm
    );
    let s = fit.summary(&data).unwrap();
    check_coefficients(&s, &j);
    check_model(&s, &j);
    let me = &s.marginal_effects;
    assert_eq!(column(me, |m| m.effect).len(), floats(&j["margeff"]).len());
    check("margeff", &column(me, |m| m.effect), &floats(&j["margeff"]), 1e-6);
    check("margeff_se", &column(me, |m| m.std_error), &floats(&j["margeff_se"]), 1e-6);
    check("margeff_p", &column(me, |m| m.p_value), &floats(&j["margeff_pvalues"]), 1e-6);
    assert_eq!(me.iter().map(|m| m.name.clone()).collect::<Vec<_>>(), strings(&j["margeff_names"]));
    let hc0 = fit.summary_with(&data, CovType::HC0).unwrap();
    check("bse HC0", &column(&hc0.coefficients, |r| r.std_error), &floats(&j["bse_hc0"]), 1e-6);
    let hc1 = fit.summary_with(&data, CovType::HC1).unwrap();
    let want = floats(&j["bse_hc1_scaled"]);
    check("bse HC1", &column(&hc1.coefficients, |r| r.std_error), &want, 1e-6);
    // The odds ratios of a logit are e^β with the interval's ends exponentiated.
    for r in &s.coefficients {
        assert_eq!(r.odds_ratio.is_some(), link == Link::Logit);
        if let Some(or) = r.odds_ratio {
            assert!((or - r.estimate.exp()).abs() < 1e-15 * or.max(1.0));
            assert!((r.odds_ratio_ci_high.unwrap() - r.ci_high.exp()).abs() < 1e-12);
        }
    }
    let json = serde_json::to_value(&s).unwrap();
    assert_eq!(json["link"], link.name());
    assert_eq!(json["cov_type"], "nonrobust");
}

#[test]
fn logit_matches_statsmodels_on_lbw() {
    check_against_statsmodels(Link::Logit);
}

#[test]
fn probit_matches_statsmodels_on_lbw() {
    check_against_statsmodels(Link::Probit);
}

#[test]
fn covariance_matches_statsmodels_cov_params() {
    for link in [Link::Logit, Link::Probit] {
        let (j, case) = lbw(link);
        let fit = fit_binary(&case.data(), &options(link)).unwrap();
        let cov = fit.covariance.as_ref().unwrap();
        let want: Vec<Vec<f64>> = j["cov_params"].as_array().unwrap().iter().map(floats).collect();
        let p = want.len();
        let got: Vec<f64> = (0..p * p).map(|k| cov[(k / p, k % p)]).collect();
        check("cov_params", &got, &want.concat(), 1e-6);
    }
}

#[test]
fn separation_is_an_error_naming_the_variables() {
    let j = fixture("separation.json");
    for set in j["data_sets"].as_array().unwrap() {
        let case = Case::from_json(set);
        let expected = strings(&set["expected_variables"]);
        for link in [Link::Logit, Link::Probit] {
            let result = fit_binary(&case.data(), &options(link));
            if let Err(err) = &result {
                assert!(err.to_string().contains(&expected[0]), "{err}");
            }
            match result {
                Err(Error::Separation { variables, kind, detail }) => {
                    println!("{} {}: {kind}: {variables:?}: {detail}", set["name"], link.name());
                    assert_eq!(variables, expected, "{} {}", set["name"], link.name());
                    assert_eq!(kind, set["kind"].as_str().unwrap(), "{}", set["name"]);
                }
                other => panic!(
                    "{} {}: expected a separation error, got {other:?}",
                    set["name"],
                    link.name()
                ),
            }
        }
    }
}

#[test]
fn separation_by_a_combination_is_found_without_an_intercept_too() {
    // y = 1 exactly when x1 + x2 > 0 and no column separates alone; no intercept column.
    let rows = [(1.0, -0.5, 1.0), (-1.0, 2.0, 1.0), (2.0, -1.5, 1.0), (0.3, 0.1, 1.0)];
    let zeros = [(-1.0, 0.5, 0.0), (1.0, -2.0, 0.0), (-2.0, 1.5, 0.0), (-0.3, -0.1, 0.0)];
    let all: Vec<_> = rows.iter().chain(&zeros).collect();
    let x = Mat::from_fn(all.len(), 2, |i, j| if j == 0 { all[i].0 } else { all[i].1 });
    let y: Vec<f64> = all.iter().map(|r| r.2).collect();
    let names = vec!["x1".to_string(), "x2".to_string()];
    let data = BinaryData::new(x.as_ref(), &y, &names).unwrap();
    for link in [Link::Logit, Link::Probit] {
        let err = fit_binary(&data, &BinaryOptions::new(link, None)).unwrap_err();
        match err {
            Error::Separation { variables, kind, .. } => {
                assert_eq!(kind, "perfect");
                assert_eq!(variables, names);
            }
            other => panic!("{other:?}"),
        }
    }
}

#[test]
fn hitting_max_iter_gives_a_warning_not_an_error() {
    for link in [Link::Logit, Link::Probit] {
        let (_, case) = lbw(link);
        let data = case.data();
        let fit = fit_binary(&data, &BinaryOptions { max_iter: 2, ..options(link) }).unwrap();
        assert!(!fit.converged);
        assert_eq!(fit.iterations, 2);
        let warning = fit.warning.clone().unwrap();
        assert!(warning.contains("did not converge"), "{warning}");
        let s = fit.summary(&data).unwrap();
        assert!(!s.converged && s.warning.is_some());
    }
}

#[test]
fn frequency_weights_equal_duplicated_rows() {
    for link in [Link::Logit, Link::Probit] {
        let (_, case) = lbw(link);
        let (n, p) = (case.x.nrows(), case.x.ncols());
        let weights: Vec<f64> = (0..n).map(|i| ((i * 7) % 4) as f64).collect();
        let rows: Vec<usize> =
            (0..n).flat_map(|i| std::iter::repeat_n(i, weights[i] as usize)).collect();
        let x = Mat::from_fn(rows.len(), p, |r, k| case.x[(rows[r], k)]);
        let y: Vec<f64> = rows.iter().map(|&i| case.y[i]).collect();
        let long = BinaryData::new(x.as_ref(), &y, &case.names).unwrap();
        let short = case.data().with_weights(&weights).unwrap();
        let a = fit_binary(&long, &options(link)).unwrap();
        let b = fit_binary(&short, &options(link)).unwrap();
        check("weighted params", &b.coefficients, &a.coefficients, 1e-9);
        for cov in [CovType::NonRobust, CovType::HC0, CovType::HC1] {
            let (sa, sb) =
                (a.summary_with(&long, cov).unwrap(), b.summary_with(&short, cov).unwrap());
            let se = |s: &FitSummary| column(&s.coefficients, |r| r.std_error);
            check("weighted se", &se(&sb), &se(&sa), 1e-8);
            let me = |s: &FitSummary| column(&s.marginal_effects, |m| m.std_error);
            check("weighted margeff se", &me(&sb), &me(&sa), 1e-8);
            let model = |s: &FitSummary| {
                vec![s.log_likelihood, s.null_log_likelihood, s.llr_p_value, s.aic, s.bic, s.n_obs]
            };
            check("weighted model stats", &model(&sb), &model(&sa), 1e-10);
        }
    }
}

#[test]
fn l2_penalised_fit_zeroes_the_penalised_gradient() {
    let alpha = 3.0;
    for link in [Link::Logit, Link::Probit] {
        let (_, case) = lbw(link);
        let data = case.data();
        let fit =
            fit_binary(&data, &BinaryOptions { penalty: Penalty::L2(alpha), ..options(link) })
                .unwrap();
        assert!(fit.converged && fit.covariance.is_none());
        let beta = &fit.coefficients;
        let (n, p) = (case.x.nrows(), case.x.ncols());
        let mut grad = vec![0.0; p];
        for i in 0..n {
            let eta: f64 = (0..p).map(|k| case.x[(i, k)] * beta[k]).sum();
            let prob = link.cdf(eta);
            // dℓ/dη = (y − F) f / (F (1 − F)), which is y − σ for the logit.
            let r = (case.y[i] - prob) * link.pdf(eta) / (prob * (1.0 - prob));
            for (k, g) in grad.iter_mut().enumerate() {
                *g += r * case.x[(i, k)];
            }
        }
        for k in 1..p {
            grad[k] -= alpha * beta[k];
        }
        let norm = grad.iter().map(|g| g * g).sum::<f64>().sqrt();
        println!(
            "{} penalised: {} iterations, gradient norm {norm:.2e}",
            link.name(),
            fit.iterations
        );
        assert!(norm < 1e-8, "penalised gradient {grad:?}");
        let mle = fit_binary(&data, &options(link)).unwrap();
        let slopes = |b: &[f64]| b[1..].iter().map(|v| v * v).sum::<f64>();
        assert!(slopes(beta) < slopes(&mle.coefficients));
        assert!(matches!(fit.summary(&data), Err(Error::InvalidArgument { .. })));
    }
}

#[test]
fn penalised_fit_of_separated_data_is_finite() {
    let j = fixture("separation.json");
    let case = Case::from_json(&j["data_sets"][0]);
    let opts = BinaryOptions { penalty: Penalty::L2(0.1), ..options(Link::Logit) };
    let fit = fit_binary(&case.data(), &opts).unwrap();
    assert!(fit.converged && fit.coefficients.iter().all(|b| b.abs() < 100.0));
}

#[test]
fn predictions_are_probabilities() {
    let (_, case) = lbw(Link::Probit);
    let fit = fit_binary(&case.data(), &options(Link::Probit)).unwrap();
    let prob = fit.predict_proba(case.x.as_ref()).unwrap();
    assert!(prob.iter().all(|&q| q > 0.0 && q < 1.0));
    let mean: f64 = prob.iter().sum::<f64>() / prob.len() as f64;
    assert!((mean - 59.0 / 189.0).abs() < 0.01, "mean fitted probability {mean}");
    let narrow = Mat::<f64>::zeros(3, 2);
    assert!(fit.predict_proba(narrow.as_ref()).is_err());
}

#[test]
fn bad_input_is_an_error_not_a_panic() {
    let (_, case) = lbw(Link::Logit);
    let mut y = case.y.clone();
    y[3] = 2.0;
    assert!(BinaryData::new(case.x.as_ref(), &y, &case.names).is_err());
    assert!(BinaryData::new(case.x.as_ref(), &case.y[1..], &case.names).is_err());
    assert!(BinaryData::new(case.x.as_ref(), &case.y, &case.names[1..]).is_err());
    let mut x = case.x.clone();
    x[(5, 3)] = f64::NAN;
    assert!(BinaryData::new(x.as_ref(), &case.y, &case.names).is_err());
    assert!(case.data().with_weights(&vec![-1.0; case.y.len()]).is_err());
    let data = case.data();
    assert!(fit_binary(&data, &BinaryOptions::new(Link::Logit, Some(3))).is_err());
    assert!(fit_binary(&data, &BinaryOptions { tol: 0.0, ..options(Link::Logit) }).is_err());
    let zeros = vec![0.0; case.y.len()];
    assert!(fit_binary(
        &BinaryData::new(case.x.as_ref(), &zeros, &case.names).unwrap(),
        &options(Link::Logit)
    )
    .is_err());
}

#[test]
fn collinear_columns_are_named() {
    let (_, case) = lbw(Link::Logit);
    let (n, p) = (case.x.nrows(), case.x.ncols());
    // A tenth column: age + 2 lwt.
    let x = Mat::from_fn(n, p + 1, |i, k| {
        if k < p {
            case.x[(i, k)]
        } else {
            case.x[(i, 3)] + 2.0 * case.x[(i, 4)]
        }
    });
    let mut names = case.names.clone();
    names.push("age_lwt".to_string());
    let data = BinaryData::new(x.as_ref(), &case.y, &names).unwrap();
    let err = fit_binary(&data, &options(Link::Logit)).unwrap_err();
    assert!(err.to_string().contains("age_lwt"), "{err}");
}

#[test]
fn summary_prints_a_results_table() {
    let (_, case) = lbw(Link::Logit);
    let data = case.data();
    let table = fit_binary(&data, &options(Link::Logit)).unwrap().summary(&data).unwrap();
    let text = table.to_string();
    println!("{text}");
    assert!(text.contains("P>|z|") && text.contains("C(race)[T.white]"), "{text}");
    assert!(text.contains("-100.7240"), "{text}");
}

/// Fits `f` on a rayon pool of `threads` threads.
fn on_threads<T: Send>(threads: usize, f: impl FnOnce() -> T + Send) -> T {
    rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap().install(f)
}

/// Row blocks are summed in one fixed order, so a fit on one thread and on two agrees to the
/// last bit: L-BFGS (penalised), Newton with its covariance (unpenalised), and the softmax fit.
/// The data (40 000 × 40) spans several groups of blocks, so two threads do split the work.
#[test]
fn fits_are_bit_identical_for_any_number_of_threads() {
    let (n, p) = (40_000, 40);
    let mut rng = Rng::seed(3);
    let x = Mat::from_fn(n, p, |_, j| if j == 0 { 1.0 } else { rng.normal() });
    let eta = |i: usize| (1..p).map(|j| x[(i, j)] * (j as f64).sin()).sum::<f64>() * 0.3;
    let y: Vec<f64> =
        (0..n).map(|i| f64::from(rng.uniform() < 1.0 / (1.0 + (-eta(i)).exp()))).collect();
    let names: Vec<String> = (0..p).map(|j| format!("x{j}")).collect();
    let data = BinaryData::new(x.as_ref(), &y, &names).unwrap();
    let lbfgs = BinaryOptions {
        penalty: Penalty::L2(1.0),
        solver: Solver::lbfgs(),
        ..BinaryOptions::new(Link::Logit, Some(0))
    };
    let newton =
        BinaryOptions { solver: Solver::Newton, ..BinaryOptions::new(Link::Logit, Some(0)) };
    for opts in [lbfgs, newton] {
        let fit = |t| on_threads(t, || fit_binary(&data, &opts).unwrap());
        let (one, two): (BinaryFit, BinaryFit) = (fit(1), fit(2));
        assert!(one.converged && one.iterations > 1, "{:?}", one.warning);
        assert_eq!(one.coefficients, two.coefficients, "{:?}", opts.solver);
        assert_eq!(one.log_likelihood.to_bits(), two.log_likelihood.to_bits());
        if let (Some(a), Some(b)) = (&one.covariance, &two.covariance) {
            assert!((0..p).all(|i| (0..p).all(|j| a[(i, j)].to_bits() == b[(i, j)].to_bits())));
        } else {
            assert_eq!(opts.solver, lbfgs.solver, "Newton keeps the covariance");
        }
    }
    let classes: Vec<usize> =
        y.iter().zip(0..).map(|(&v, i)| v as usize + usize::from(i % 3 == 0)).collect();
    let data = MultinomialData::new(x.as_ref(), &classes, &names).unwrap();
    let opts = SoftmaxOptions::new(Penalty::L2(1.0), Some(0));
    let fit = |t| on_threads(t, || fit_softmax(&data, &opts).unwrap());
    let (one, two) = (fit(1), fit(2));
    assert!(one.converged && one.iterations > 1);
    let same = (0..p).all(|j| {
        (0..3).all(|c| one.coefficients[(j, c)].to_bits() == two.coefficients[(j, c)].to_bits())
    });
    assert!(same, "softmax coefficients differ between 1 and 2 threads");
}
