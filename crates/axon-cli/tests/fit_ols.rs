//! `axon fit --model ols`, the linear probability model, at the command line: its JSON report
//! against statsmodels' `OLS(y, X).fit(cov_type="HC1")` (the library's fixture
//! `crates/axon/tests/fixtures/ols_hc1.json`, from `scripts/reference/ols_fixtures.py`) to 1e-8
//! relative, the table's line on fitted values outside [0, 1], and the flags it refuses
//! (`--out`: the model is not saved; the likelihood fits' options; `axon cv`).

mod common;

use common::{data, error, ok_json, ok_stdout};
use serde_json::Value;

const TOL: f64 = 1e-8;

fn fixture() -> Value {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../axon/tests/fixtures/ols_hc1.json");
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn close(what: &str, got: &Value, want: &Value) {
    let (g, w) = (got.as_f64().unwrap(), want.as_f64().unwrap());
    assert!((g - w).abs() <= TOL * w.abs().max(1e-300), "{what}: {g} vs statsmodels {w}");
}

#[test]
fn ols_report_agrees_with_statsmodels() {
    for case in fixture()["cases"].as_array().unwrap() {
        let file = data(case["data"].as_str().unwrap());
        let features: Vec<&str> =
            case["features"].as_array().unwrap().iter().map(|f| f.as_str().unwrap()).collect();
        let features = features.join(",");
        let target = case["target"].as_str().unwrap();
        let report = ok_json(&[
            "fit",
            "--data",
            &file,
            "--target",
            target,
            "--features",
            &features,
            "--model",
            "ols",
            "--json",
        ]);
        assert_eq!(report["model"], "ols");
        assert_eq!(report["cov_type"], "HC1");
        assert_eq!(report["n_obs"], case["nobs"]);
        assert_eq!(report["df_resid"], case["df_resid"]);
        assert_eq!(report["fitted_below_zero"], case["below_zero"]);
        assert_eq!(report["fitted_above_one"], case["above_one"]);
        close("R²", &report["r_squared"], &case["rsquared"]);
        close("adj R²", &report["adj_r_squared"], &case["rsquared_adj"]);
        close("SSR", &report["ssr"], &case["ssr"]);
        let rows = report["coefficients"].as_array().unwrap();
        assert_eq!(rows.len(), case["names"].as_array().unwrap().len());
        for (j, row) in rows.iter().enumerate() {
            assert_eq!(row["name"], case["names"][j]);
            for (ours, theirs) in [
                ("estimate", "params"),
                ("std_error", "bse"),
                ("z", "zvalues"),
                ("p_value", "pvalues"),
                ("ci_low", "ci_low"),
                ("ci_high", "ci_high"),
            ] {
                close(&format!("{target} {} {ours}", row["name"]), &row[ours], &case[theirs][j]);
            }
        }
    }
}

#[test]
fn ols_table_counts_fitted_values_outside_the_unit_interval() {
    let chd = data("chd_age.csv");
    let table = ok_stdout(&["fit", "--data", &chd, "--target", "chd", "--model", "ols"]);
    assert!(table.contains("linear probability model (OLS) of P(chd = 1)"), "{table}");
    assert!(
        table.contains("Fitted values outside [0, 1]: 5 of 33 (3 below 0, 2 above 1)"),
        "{table}"
    );
    assert!(table.contains("HC1"), "{table}");
}

#[test]
fn ols_refuses_what_does_not_apply() {
    let lbw = data("lbw.csv");
    let base =
        ["fit", "--data", &lbw, "--target", "low", "--features", "age,lwt", "--model", "ols"];
    let with = |extra: &[&str]| error(&[&base[..], extra].concat());
    let err = with(&["--out", "lpm.axon"]);
    assert!(
        err.contains("--model ols: --out lpm.axon: the linear probability model is not saved"),
        "{err}"
    );
    assert!(!std::path::Path::new("lpm.axon").exists());
    assert!(with(&["--alpha", "1"]).contains("no --penalty or --alpha"));
    assert!(with(&["--solver", "lbfgs"]).contains("no --solver"));
    assert!(with(&["--class-weight", "balanced"]).contains("no --class-weight"));
    assert!(with(&["--weights", "ftv"]).contains("no --weights"));
    assert!(with(&["--cov", "hc0"]).contains("HC1"));
    let err = error(&["fit", "--data", &lbw, "--target", "race", "--model", "ols"]);
    assert!(err.contains("needs two classes"), "{err}");
    let err =
        error(&["cv", "--data", &lbw, "--target", "low", "--model", "ols", "--grid", "alpha=1"]);
    assert!(err.contains("--model ols") && err.contains("`axon fit` only"), "{err}");
}
