//! The linear probability model against statsmodels: `tests/fixtures/ols_hc1.json`, written by
//! `scripts/reference/ols_fixtures.py` (`OLS(y, X).fit(cov_type="HC1")`, version recorded),
//! holds `chd ~ age` and `low ~ age + lwt + smoke + ht + ui`; every coefficient, HC1 standard
//! error, z, p-value, interval, covariance entry, R², adjusted R² and SSR must agree to 1e-8
//! relative, and the counts of fitted values outside [0, 1] exactly. Bad input is an error.

use axon::data::{read_csv, Design, DesignSpec, ReadOptions};
use axon::linear::fit_ols;
use serde_json::Value;

const TOL: f64 = 1e-8;

fn fixture() -> Value {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/ols_hc1.json");
    serde_json::from_str(&std::fs::read_to_string(path).expect("read the OLS fixture"))
        .expect("parse the OLS fixture")
}

fn f64s(v: &Value) -> Vec<f64> {
    v.as_array().unwrap().iter().map(|x| x.as_f64().unwrap()).collect()
}

fn close(what: &str, got: f64, want: f64) {
    let scale = want.abs().max(1e-300);
    assert!((got - want).abs() <= TOL * scale, "{what}: {got} vs statsmodels {want}");
}

#[test]
fn ols_with_hc1_agrees_with_statsmodels() {
    let fixture = fixture();
    for case in fixture["cases"].as_array().unwrap() {
        assert_eq!(case["use_t"], false, "statsmodels' robust covariance uses the normal");
        let file = case["data"].as_str().unwrap();
        let path = format!("{}/../../data/{file}", env!("CARGO_MANIFEST_DIR"));
        let frame = read_csv(&path, &ReadOptions::default()).unwrap();
        let features: Vec<&str> =
            case["features"].as_array().unwrap().iter().map(|f| f.as_str().unwrap()).collect();
        let spec = DesignSpec::new(case["target"].as_str().unwrap()).with_features(&features);
        let design = Design::new(&frame, &spec).unwrap();
        let names: Vec<String> =
            case["names"].as_array().unwrap().iter().map(|n| n.as_str().unwrap().into()).collect();
        assert_eq!(design.names, names);
        let fit = fit_ols(design.x.as_ref(), &design.y, &design.names, true).unwrap();
        let k = names.len();
        for (j, row) in fit.table.iter().enumerate() {
            let at = |key: &str| f64s(&case[key])[j];
            close(&format!("{file} {} coef", row.name), row.estimate, at("params"));
            close(&format!("{file} {} se", row.name), row.std_error, at("bse"));
            close(&format!("{file} {} z", row.name), row.z, at("zvalues"));
            close(&format!("{file} {} p", row.name), row.p_value, at("pvalues"));
            close(&format!("{file} {} ci low", row.name), row.ci_low, at("ci_low"));
            close(&format!("{file} {} ci high", row.name), row.ci_high, at("ci_high"));
        }
        let cov = case["cov"].as_array().unwrap();
        for (i, cov_row) in cov.iter().enumerate() {
            for (j, want) in f64s(cov_row).into_iter().enumerate() {
                close(&format!("{file} cov[{i}][{j}]"), fit.covariance[i * k + j], want);
            }
        }
        close(&format!("{file} R²"), fit.r_squared, case["rsquared"].as_f64().unwrap());
        close(&format!("{file} adj R²"), fit.adj_r_squared, case["rsquared_adj"].as_f64().unwrap());
        close(&format!("{file} SSR"), fit.ssr, case["ssr"].as_f64().unwrap());
        for (i, want) in f64s(&case["fitted_head"]).into_iter().enumerate() {
            close(&format!("{file} fitted[{i}]"), fit.fitted[i], want);
        }
        assert_eq!(fit.n_obs as u64, case["nobs"].as_u64().unwrap());
        assert_eq!(fit.df_resid as u64, case["df_resid"].as_u64().unwrap());
        assert_eq!(fit.below_zero as u64, case["below_zero"].as_u64().unwrap());
        assert_eq!(fit.above_one as u64, case["above_one"].as_u64().unwrap());
    }
}

#[test]
fn bad_ols_input_is_an_error() {
    let names: Vec<String> = ["Intercept", "x", "2x"].iter().map(|s| s.to_string()).collect();
    let x = faer::Mat::from_fn(5, 3, |i, j| if j == 0 { 1.0 } else { (i * j) as f64 });
    let y = [0.0, 1.0, 0.0, 1.0, 1.0];
    let err = fit_ols(x.as_ref(), &y, &names, true).unwrap_err().to_string();
    assert!(err.contains("2x"), "collinear columns: {err}");
    let x = faer::Mat::from_fn(5, 2, |i, j| if j == 0 { 1.0 } else { (i * i) as f64 });
    let err = fit_ols(x.as_ref(), &[0.0, 1.0, 0.5, 1.0, 0.0], &names[..2], true).unwrap_err();
    assert!(err.to_string().contains("0 or 1"), "{err}");
    let x = faer::Mat::from_fn(2, 2, |i, j| if j == 0 { 1.0 } else { i as f64 });
    assert!(fit_ols(x.as_ref(), &[0.0, 1.0], &names[..2], true).is_err(), "no residual df");
}
