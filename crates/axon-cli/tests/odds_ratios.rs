//! The odds ratios of a logit table: `axon fit --model logit` prints `e^coef` and its 95% interval
//! beside every row of the coefficient table (and in `--json`), checked against the exponentiated
//! estimates and intervals of statsmodels' fixture; a probit table has no such columns.

mod common;

use common::{data, ok_json, ok_stdout};
use serde_json::Value;

const FEATURES: &str = "age,lwt,race,smoke,ptl,ht,ui";

fn fixture() -> Value {
    let path =
        concat!(env!("CARGO_MANIFEST_DIR"), "/../axon/tests/fixtures/lbw_logit.json").to_owned();
    serde_json::from_str(&std::fs::read_to_string(path).expect("fixture")).expect("fixture JSON")
}

/// `(name, e^params, e^conf_int low, e^conf_int high)` of statsmodels' logit on `lbw.csv`, with
/// the names axon gives (`race[T.white]`, not `C(race)[T.white]`).
fn expected() -> Vec<(String, f64, f64, f64)> {
    let want = fixture();
    let f = |v: &Value| v.as_f64().unwrap();
    let names = want["names"].as_array().unwrap();
    (names.iter().enumerate())
        .map(|(j, name)| {
            let name = name.as_str().unwrap().replace("C(race)", "race");
            let ci = &want["conf_int"][j];
            (name, f(&want["params"][j]).exp(), f(&ci[0]).exp(), f(&ci[1]).exp())
        })
        .collect()
}

fn close(what: &str, got: f64, want: f64, tol: f64) {
    assert!((got - want).abs() <= tol * (1.0 + want.abs()), "{what}: {got} vs {want}");
}

#[test]
fn logit_table_prints_odds_ratios_with_their_interval() {
    let args = ["fit", "--data", &data("lbw.csv"), "--target", "low", "--features", FEATURES];
    let text = ok_stdout(&args);
    let header = text.lines().find(|l| l.contains("P>|z|")).expect("a table header");
    let columns: Vec<&str> = header.split_whitespace().collect();
    assert_eq!(
        columns,
        [
            "coef", "std", "err", "z", "P>|z|", "[0.025", "0.975]", "odds", "ratio", "[0.025",
            "0.975]"
        ],
        "{header}"
    );
    let expected = expected();
    assert_eq!(expected.len(), 9);
    for (name, or, lo, hi) in expected {
        let row = (text.lines())
            .find(|l| l.split_whitespace().next() == Some(name.as_str()))
            .unwrap_or_else(|| panic!("no row {name} in\n{text}"));
        let cells: Vec<f64> = row.split_whitespace().skip(1).map(|c| c.parse().unwrap()).collect();
        assert_eq!(cells.len(), 9, "{row}");
        // Printed to 4 decimals.
        close(&format!("{name} odds ratio"), cells[6], or, 6e-5);
        close(&format!("{name} odds ratio low"), cells[7], lo, 6e-5);
        close(&format!("{name} odds ratio high"), cells[8], hi, 6e-5);
    }
}

#[test]
fn logit_json_has_the_odds_ratios() {
    let args =
        ["fit", "--data", &data("lbw.csv"), "--target", "low", "--features", FEATURES, "--json"];
    let report = ok_json(&args);
    let rows = report["coefficients"].as_array().unwrap();
    for (name, or, lo, hi) in expected() {
        let row = rows.iter().find(|r| r["name"] == name.as_str()).expect("a row");
        close(&format!("{name} odds_ratio"), row["odds_ratio"].as_f64().unwrap(), or, 1e-6);
        close(&format!("{name} low"), row["odds_ratio_ci_low"].as_f64().unwrap(), lo, 1e-6);
        close(&format!("{name} high"), row["odds_ratio_ci_high"].as_f64().unwrap(), hi, 1e-6);
    }
}

#[test]
fn probit_table_has_no_odds_ratios() {
    let args = [
        "fit",
        "--data",
        &data("lbw.csv"),
        "--target",
        "low",
        "--features",
        FEATURES,
        "--model",
        "probit",
    ];
    let text = ok_stdout(&args);
    assert!(text.contains("P>|z|") && !text.contains("odds ratio"), "{text}");
}
