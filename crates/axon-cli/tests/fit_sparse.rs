//! `axon fit` on a LibSVM file (`data/heart_scale`, found by its content, no extension): the
//! sparse logit's objective against scikit-learn's and LIBLINEAR's (the library's fixture
//! `crates/axon/tests/fixtures/sparse_logit.json`, from `scripts/reference/sparse_fixtures.py`)
//! for both solvers, and the flags a sparse fit refuses.

mod common;

use common::{data, error, ok_json};
use serde_json::Value;

fn fixture() -> Value {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../axon/tests/fixtures/sparse_logit.json");
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

#[test]
fn heart_scale_fits_to_the_reference_objectives() {
    let file = data("heart_scale");
    let reference = fixture();
    for solver in ["auto", "lbfgs"] {
        for (tool, intercept) in [("sklearn", true), ("liblinear", false)] {
            let mut args = vec!["fit", "--data", &file, "--penalty", "l2", "--alpha", "1"];
            args.extend(["--solver", solver, "--json"]);
            if !intercept {
                args.push("--no-intercept");
            }
            let report = ok_json(&args);
            let want = reference[tool]["objective"].as_f64().unwrap();
            let got = report["objective"].as_f64().unwrap();
            assert!((got - want).abs() < 1e-6 * want, "{solver} vs {tool}: {got} vs {want}");
            assert_eq!(report["converged"], true);
            assert_eq!(report["n_obs"], 270);
            assert_eq!(report["coefficients"].as_array().unwrap().len(), 13);
            // Feature indices as the file numbers them (from 1).
            assert_eq!(report["coefficients"][0][0], 1);
            let coef = report["coefficients"][12][1].as_f64().unwrap();
            let want = reference[tool]["coef"][12].as_f64().unwrap();
            assert!((coef - want).abs() < 1e-4, "{solver} vs {tool}: {coef} vs {want}");
        }
    }
}

#[test]
fn a_sparse_fit_refuses_what_it_cannot_do() {
    let file = data("heart_scale");
    for (extra, words) in [
        (vec!["--model", "probit"], "binary logit only"),
        (vec!["--penalty", "l1", "--alpha", "1"], "l2 or none"),
        (vec!["--solver", "cd"], "--solver auto"),
        (vec!["--features", "a,b"], "numbered features"),
        (vec!["--out", "/tmp/never.axon"], "not available yet"),
    ] {
        let mut args = vec!["fit", "--data", &file];
        args.extend(extra);
        let msg = error(&args);
        assert!(msg.contains(words), "{args:?}: {msg}");
    }
    let msg = error(&["train", "--data", &file, "--target", "y"]);
    assert!(msg.contains("LibSVM"), "{msg}");
}
