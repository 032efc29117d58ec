//! The ROC and precision–recall curves against scikit-learn: `tests/fixtures/curves.json`,
//! written by `scripts/reference/curve_fixtures.py` (scikit-learn's `roc_curve` with
//! `drop_intermediate=False` and `precision_recall_curve`, version recorded in the file), holds
//! the scores, labels and curves of tied, distinct, constant and fitted-logit scores; every
//! point and threshold must agree to 1e-12, the trapezoidal area under the ROC points must be
//! `roc_auc`, and bad input is an error.

use axon::metrics::{precision_recall_curve, roc_auc, roc_curve};
use serde_json::Value;

const TOL: f64 = 1e-12;

fn fixture() -> Value {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/curves.json");
    serde_json::from_str(&std::fs::read_to_string(path).expect("read the curves fixture"))
        .expect("parse the curves fixture")
}

/// The numbers of `v`, `null` read as +∞ (the first ROC threshold).
fn f64s(v: &Value) -> Vec<f64> {
    v.as_array().unwrap().iter().map(|x| x.as_f64().unwrap_or(f64::INFINITY)).collect()
}

fn close(name: &str, got: &[f64], want: &[f64]) {
    assert_eq!(got.len(), want.len(), "{name}: {got:?} vs {want:?}");
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        let ok = g == w || (g - w).abs() <= TOL * w.abs().max(1.0);
        assert!(ok, "{name}[{i}]: {g} vs scikit-learn {w}");
    }
}

#[test]
fn curves_agree_with_scikit_learn() {
    let fixture = fixture();
    let cases = fixture["cases"].as_array().unwrap();
    assert_eq!(cases.len(), 4);
    for case in cases {
        let name = case["name"].as_str().unwrap();
        let y: Vec<usize> =
            case["y"].as_array().unwrap().iter().map(|v| v.as_u64().unwrap() as usize).collect();
        let scores = f64s(&case["scores"]);
        let roc = roc_curve(&y, &scores).unwrap();
        close(&format!("{name} fpr"), &roc.fpr, &f64s(&case["roc"]["fpr"]));
        close(&format!("{name} tpr"), &roc.tpr, &f64s(&case["roc"]["tpr"]));
        close(
            &format!("{name} roc thresholds"),
            &roc.thresholds,
            &f64s(&case["roc"]["thresholds"]),
        );
        let pr = precision_recall_curve(&y, &scores).unwrap();
        close(&format!("{name} precision"), &pr.precision, &f64s(&case["pr"]["precision"]));
        close(&format!("{name} recall"), &pr.recall, &f64s(&case["pr"]["recall"]));
        close(&format!("{name} pr thresholds"), &pr.thresholds, &f64s(&case["pr"]["thresholds"]));
        let area: f64 = (1..roc.fpr.len())
            .map(|i| (roc.fpr[i] - roc.fpr[i - 1]) * (roc.tpr[i] + roc.tpr[i - 1]) / 2.0)
            .sum();
        let auc = case["auc"].as_f64().unwrap();
        assert!((area - auc).abs() <= TOL && (roc_auc(&y, &scores).unwrap() - auc).abs() <= TOL);
    }
}

#[test]
fn bad_curve_input_is_an_error() {
    assert!(roc_curve(&[0, 0, 0], &[0.1, 0.2, 0.3]).is_err(), "one class");
    assert!(roc_curve(&[0, 1], &[0.1]).is_err(), "lengths");
    assert!(roc_curve(&[0, 2], &[0.1, 0.2]).is_err(), "a label outside 0, 1");
    assert!(roc_curve(&[0, 1], &[0.1, f64::NAN]).is_err(), "NaN score");
    assert!(precision_recall_curve(&[0, 0], &[0.1, 0.2]).is_err(), "no positive");
    assert!(precision_recall_curve(&[], &[]).is_err(), "empty");
    // Only positives: a precision–recall curve exists (precision 1 everywhere), a ROC curve not.
    let pr = precision_recall_curve(&[1, 1], &[0.2, 0.7]).unwrap();
    assert_eq!(pr.precision, [1.0, 1.0, 1.0]);
    assert_eq!(pr.recall, [1.0, 0.5, 0.0]);
}
