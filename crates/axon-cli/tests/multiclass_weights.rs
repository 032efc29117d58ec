//! `axon fit --weights COL` for the multi-class models: a softmax (or one-vs-rest) fit with
//! integer frequency weights reports what the fit of the data with every row repeated that many
//! times reports — estimates, standard errors and the model statistics.

mod common;

use common::ok_json;
use serde_json::Value;

const LBW: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../data/lbw.csv");

/// `field` of every coefficient of a JSON report.
fn column(report: &Value, field: &str) -> Vec<f64> {
    let rows = report["coefficients"].as_array().unwrap();
    rows.iter().map(|c| c[field].as_f64().unwrap()).collect()
}

fn assert_close(what: &str, a: &[f64], b: &[f64], tol: f64) {
    assert_eq!(a.len(), b.len(), "{what}: lengths");
    for (x, y) in a.iter().zip(b) {
        assert!((x - y).abs() <= tol * y.abs().max(1.0), "{what}: {x} vs {y}");
    }
}

#[test]
fn multiclass_frequency_weights_equal_repeated_rows() {
    let text = std::fs::read_to_string(LBW).unwrap();
    let mut lines = text.lines();
    let header = lines.next().unwrap();
    let (mut weighted, mut repeated) = (format!("{header},w\n"), format!("{header}\n"));
    for (i, line) in lines.filter(|l| !l.is_empty()).enumerate() {
        let w = i % 3; // 0, 1, 2: a weight of 0 drops the row
        weighted.push_str(&format!("{line},{w}\n"));
        repeated.push_str(&format!("{line}\n").repeat(w));
    }
    let dir = std::env::temp_dir();
    let id = std::process::id();
    let (wp, rp) = (dir.join(format!("axon-mw-{id}.csv")), dir.join(format!("axon-mr-{id}.csv")));
    std::fs::write(&wp, weighted).unwrap();
    std::fs::write(&rp, repeated).unwrap();
    let (wp, rp) = (wp.to_str().unwrap(), rp.to_str().unwrap());
    for model in ["softmax", "ovr"] {
        let fit = |data: &str, extra: &[&str]| {
            let mut args =
                vec!["fit", "--data", data, "--target", "race", "--model", model, "--json"];
            args.extend_from_slice(&["--features", "age,lwt,smoke"]);
            args.extend_from_slice(extra);
            ok_json(&args)
        };
        let a = fit(wp, &["--weights", "w"]);
        let b = fit(rp, &[]);
        assert_close(
            &format!("{model} estimates"),
            &column(&a, "estimate"),
            &column(&b, "estimate"),
            1e-8,
        );
        if model == "softmax" {
            assert_close("std errors", &column(&a, "std_error"), &column(&b, "std_error"), 1e-7);
            for key in ["log_likelihood", "null_log_likelihood", "aic", "bic"] {
                let (x, y) = (a[key].as_f64().unwrap(), b[key].as_f64().unwrap());
                assert!((x - y).abs() < 1e-8 * y.abs(), "{key}: {x} vs {y}");
            }
        }
        // The weights matter: without them the estimates differ.
        let plain = fit(wp, &[]);
        let (e, p) = (column(&a, "estimate"), column(&plain, "estimate"));
        assert!(e.iter().zip(&p).any(|(x, y)| (x - y).abs() > 1e-3), "{model}: {e:?} vs {p:?}");
    }
    let _ = (std::fs::remove_file(wp), std::fs::remove_file(rp));
}
