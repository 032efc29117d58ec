//! Runs `axon fit` on the committed data and checks it against statsmodels' fixtures, and that bad
//! input is an `axon: ...` error with exit code 2, never a panic.

mod common;

use std::path::PathBuf;
use std::process::Output;

use common::{axon, error as axon_error, ok_json as axon_json};
use serde_json::Value;

const LBW: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../data/lbw.csv");
const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../axon/tests/fixtures");
const FEATURES: &str = "age,lwt,race,smoke,ptl,ht,ui";

fn stdout(out: &Output) -> String {
    String::from_utf8(out.stdout.clone()).expect("stdout is not UTF-8")
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn fixture(name: &str) -> Value {
    let text = std::fs::read_to_string(format!("{FIXTURES}/{name}")).expect("fixture");
    serde_json::from_str(&text).expect("fixture JSON")
}

/// A CSV file with `contents` in the temporary folder, removed when dropped.
struct TempCsv(PathBuf);

impl TempCsv {
    fn new(name: &str, contents: &str) -> TempCsv {
        let path =
            std::env::temp_dir().join(format!("axon-cli-test-{}-{name}.csv", std::process::id()));
        std::fs::write(&path, contents).expect("write temp CSV");
        TempCsv(path)
    }

    fn path(&self) -> &str {
        self.0.to_str().expect("UTF-8 temp path")
    }
}

impl Drop for TempCsv {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// patsy's `C(race)[T.other]` is our `race[T.other]` (race is a text column).
fn our_name(patsy: &str) -> String {
    match patsy.strip_prefix("C(").and_then(|s| s.split_once(')')) {
        Some((column, rest)) => format!("{column}{rest}"),
        None => patsy.to_owned(),
    }
}

fn f64s(v: &Value) -> Vec<f64> {
    v.as_array().expect("array").iter().map(|x| x.as_f64().expect("number")).collect()
}

fn assert_close(what: &str, got: f64, want: f64, rel: f64) {
    let err = (got - want).abs() / want.abs().max(1e-300);
    assert!(err <= rel, "{what}: got {got}, statsmodels {want} (relative error {err:e})");
}

/// The coefficient named `name` in an `axon fit --json` report.
fn coefficient<'a>(report: &'a Value, name: &str) -> &'a Value {
    let rows = report["coefficients"].as_array().expect("coefficients");
    rows.iter().find(|r| r["name"] == name).unwrap_or_else(|| panic!("no coefficient `{name}`"))
}

/// `axon fit --json` on lbw against the statsmodels fixture of `link`, with standard errors from
/// `cov` against the fixture's field `bse_field`.
fn check_against_statsmodels(link: &str, cov: &str, bse_field: &str) {
    let report = axon_json(&[
        "fit",
        "--data",
        LBW,
        "--target",
        "low",
        "--features",
        FEATURES,
        "--model",
        link,
        "--cov",
        cov,
        "--json",
    ]);
    let want = fixture(&format!("lbw_{link}.json"));
    let rel = 1e-6;
    assert_eq!(report["model"], link);
    assert_eq!(report["n_obs"], 189);
    assert_eq!(report["n_params"], 9);
    assert_eq!(report["converged"], true);
    assert!(report["iterations"].as_u64().unwrap() > 0);
    for (key, field) in [
        ("log_likelihood", "llf"),
        ("null_log_likelihood", "llnull"),
        ("llr", "llr"),
        ("llr_p_value", "llr_pvalue"),
        ("pseudo_r2", "prsquared"),
        ("aic", "aic"),
        ("bic", "bic"),
    ] {
        assert_close(key, report[key].as_f64().unwrap(), want[field].as_f64().unwrap(), rel);
    }
    let names = want["names"].as_array().unwrap();
    let (params, bse, pvalues) =
        (f64s(&want["params"]), f64s(&want[bse_field]), f64s(&want["pvalues"]));
    assert_eq!(report["coefficients"].as_array().unwrap().len(), names.len());
    for (j, name) in names.iter().enumerate() {
        let name = our_name(name.as_str().unwrap());
        let row = coefficient(&report, &name);
        assert_close(
            &format!("{name} estimate"),
            row["estimate"].as_f64().unwrap(),
            params[j],
            rel,
        );
        assert_close(&format!("{name} std_error"), row["std_error"].as_f64().unwrap(), bse[j], rel);
        if cov == "nonrobust" {
            assert_close(
                &format!("{name} p_value"),
                row["p_value"].as_f64().unwrap(),
                pvalues[j],
                rel,
            );
        }
        let (est, se) = (params[j], bse[j]);
        assert_close(&format!("{name} z"), row["z"].as_f64().unwrap(), est / se, rel);
        assert_close(
            &format!("{name} ci_low"),
            row["ci_low"].as_f64().unwrap(),
            est - 1.959963984540054 * se,
            rel,
        );
        assert_close(
            &format!("{name} ci_high"),
            row["ci_high"].as_f64().unwrap(),
            est + 1.959963984540054 * se,
            rel,
        );
        assert_eq!(row["odds_ratio"].is_number(), link == "logit", "{name} odds ratio");
    }
}

#[test]
fn logit_json_matches_statsmodels() {
    check_against_statsmodels("logit", "nonrobust", "bse");
}

#[test]
fn probit_json_matches_statsmodels() {
    check_against_statsmodels("probit", "nonrobust", "bse");
}

#[test]
fn robust_standard_errors_match_statsmodels() {
    check_against_statsmodels("logit", "hc0", "bse_hc0");
    // statsmodels' `bse_hc1` on a discrete model omits n/(n − p); `bse_hc1_scaled` applies it.
    check_against_statsmodels("logit", "hc1", "bse_hc1_scaled");
}

#[test]
fn table_names_every_coefficient_and_reports_convergence() {
    let out = axon(&["fit", "--data", LBW, "--target", "low", "--features", FEATURES]);
    assert!(out.status.success(), "stderr:\n{}", stderr(&out));
    let text = stdout(&out);
    for name in ["Intercept", "age", "lwt", "race[T.other]", "race[T.white]", "smoke", "ht", "ui"] {
        assert!(text.contains(name), "no `{name}` in:\n{text}");
    }
    assert!(text.contains("log-likelihood = -100.7240"), "table:\n{text}");
    assert!(text.contains("converged in"), "table:\n{text}");
    assert!(text.contains("Average marginal effects"), "table:\n{text}");
}

#[test]
fn iteration_limit_warns_on_stderr() {
    let out =
        axon(&["fit", "--data", LBW, "--target", "low", "--features", FEATURES, "--max-iter", "2"]);
    assert!(out.status.success(), "stderr:\n{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains("warning") && err.contains("max_iter = 2"), "stderr:\n{err}");
    assert!(stdout(&out).contains("did NOT converge"));
}

#[test]
fn penalised_fit_has_no_inference() {
    let args = ["fit", "--data", LBW, "--target", "low", "--features", FEATURES, "--alpha", "1"];
    let out = axon(&args);
    assert!(out.status.success(), "stderr:\n{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.contains("penalty L2") && text.contains("No standard errors"), "{text}");
    assert!(!text.contains("P>|z|"), "{text}");
    let report = axon_json(&[&args[..], &["--json"]].concat());
    assert_eq!(report["inference"], false);
    let row = coefficient(&report, "age");
    assert!(row["estimate"].is_number() && row["std_error"].is_null() && row["p_value"].is_null());
}

#[test]
fn standardized_fit_reports_the_original_scale() {
    let base = ["fit", "--data", LBW, "--target", "low", "--features", FEATURES, "--json"];
    let plain = axon_json(&base);
    let standardized = axon_json(&[&base[..], &["--standardize"]].concat());
    // The maximum-likelihood fit is scale-equivariant: mapped back, the coefficients are the same.
    let back = standardized["coefficients_original_scale"].as_array().expect("original scale");
    assert_eq!(back.len(), 9);
    for row in back {
        let name = row["name"].as_str().unwrap();
        let want = coefficient(&plain, name)["estimate"].as_f64().unwrap();
        assert_close(name, row["estimate"].as_f64().unwrap(), want, 1e-6);
    }
    assert!(plain.get("coefficients_original_scale").is_none());
}

#[test]
fn missing_value_names_the_line_and_column() {
    let csv = TempCsv::new("missing", "y,x,z\n0,1.5,2\n1,NA,3\n0,2.5,1\n");
    let err = axon_error(&["fit", "--data", csv.path(), "--target", "y"]);
    assert!(err.contains(&format!("{}:3: column `x`", csv.path())), "stderr:\n{err}");
    assert!(err.contains("missing value") && err.contains("--drop-missing"), "stderr:\n{err}");
}

#[test]
fn drop_missing_fits_the_remaining_rows() {
    let text = std::fs::read_to_string(LBW).expect("lbw.csv");
    let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
    let mut fields: Vec<&str> = lines[5].split(',').collect();
    fields[3] = "NA"; // lwt
    lines[5] = fields.join(",");
    let csv = TempCsv::new("drop", &(lines.join("\n") + "\n"));
    let args = ["fit", "--data", csv.path(), "--target", "low", "--features", FEATURES, "--json"];
    let err = axon_error(&args);
    assert!(err.contains(":6: column `lwt`"), "stderr:\n{err}");
    let report = axon_json(&[&args[..], &["--drop-missing"]].concat());
    assert_eq!(report["n_obs"], 188);
    assert_eq!(report["dropped_rows"], 1);
}

#[test]
fn non_binary_target_is_an_error() {
    let err = axon_error(&["fit", "--data", LBW, "--target", "race", "--features", "age,lwt"]);
    assert!(err.contains("race") && err.contains("two classes"), "stderr:\n{err}");
}

#[test]
fn unknown_column_is_an_error() {
    let err = axon_error(&["fit", "--data", LBW, "--target", "low", "--features", "age,nope"]);
    assert!(err.contains("no column `nope`"), "stderr:\n{err}");
}

#[test]
fn separation_is_an_error_naming_the_variable() {
    let csv = TempCsv::new("separated", "y,dose,noise\n0,1,3\n0,2,1\n0,3,2\n1,4,1\n1,5,3\n1,6,2\n");
    let err = axon_error(&["fit", "--data", csv.path(), "--target", "y"]);
    assert!(err.contains("separation by dose"), "stderr:\n{err}");
}

#[test]
fn missing_file_is_an_error() {
    let err = axon_error(&["fit", "--data", "no/such/file.csv", "--target", "y"]);
    assert!(err.contains("no/such/file.csv"), "stderr:\n{err}");
}
