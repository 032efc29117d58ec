//! Classifier metrics against scikit-learn and the properties of the cross-validation splits.
//! The expected values are in `tests/fixtures/metrics.json`, written by
//! `scripts/reference/metrics_fixtures.py` (scikit-learn, version recorded in the file); they are
//! compared to 1e-12, relative to the value's size where it exceeds one.

use std::collections::BTreeSet;

use axon::cv::{
    cross_validate, grid_search, kfold, stratified_kfold, train_test_split, CvScores, Fold, Goal,
};
use axon::metrics::{
    accuracy, accuracy_weighted, brier_score, brier_score_weighted, confusion_matrix, log_loss,
    log_loss_weighted, precision_recall_f1, roc_auc, roc_auc_weighted, ClassificationReport,
};
use axon::{Error, Rng};
use serde_json::Value;

const TOL: f64 = 1e-12;

fn fixture() -> Value {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/metrics.json");
    let text = std::fs::read_to_string(path).expect("read the metrics fixture");
    serde_json::from_str(&text).expect("parse the metrics fixture")
}

fn f64s(v: &Value) -> Vec<f64> {
    v.as_array().expect("array").iter().map(|x| x.as_f64().expect("number")).collect()
}

fn usizes(v: &Value) -> Vec<usize> {
    v.as_array().expect("array").iter().map(|x| x.as_u64().expect("integer") as usize).collect()
}

fn close(name: &str, got: f64, want: f64) {
    let err = (got - want).abs();
    assert!(err <= TOL * want.abs().max(1.0), "{name}: got {got}, sklearn {want} (|diff| {err:e})");
}

fn num(case: &Value, key: &str) -> f64 {
    case[key].as_f64().unwrap_or_else(|| panic!("fixture key {key}"))
}

/// Per-class and averaged precision / recall / F1, support and the confusion matrix.
fn check_prf(name: &str, case: &Value, y_true: &[usize], y_pred: &[usize], k: usize) {
    let prf = precision_recall_f1(y_true, y_pred, k).unwrap();
    for (c, m) in prf.per_class.iter().enumerate() {
        close(
            &format!("{name} precision[{c}]"),
            m.precision,
            case["precision"][c].as_f64().unwrap(),
        );
        close(&format!("{name} recall[{c}]"), m.recall, case["recall"][c].as_f64().unwrap());
        close(&format!("{name} f1[{c}]"), m.f1, case["f1"][c].as_f64().unwrap());
    }
    let support: Vec<usize> = prf.per_class.iter().map(|m| m.support).collect();
    assert_eq!(support, usizes(&case["support"]), "{name} support");
    for (avg, m) in [("macro", prf.macro_avg), ("weighted", prf.weighted_avg)] {
        close(&format!("{name} {avg} precision"), m.precision, num(&case[avg], "precision"));
        close(&format!("{name} {avg} recall"), m.recall, num(&case[avg], "recall"));
        close(&format!("{name} {avg} f1"), m.f1, num(&case[avg], "f1"));
        assert_eq!(m.support, y_true.len());
    }
    let want: Vec<Vec<usize>> = case["confusion"].as_array().unwrap().iter().map(usizes).collect();
    assert_eq!(confusion_matrix(y_true, y_pred, k).unwrap(), want, "{name} confusion");
    close(&format!("{name} accuracy"), accuracy(y_true, y_pred).unwrap(), num(case, "accuracy"));
}

#[test]
fn fixture_names_its_tool() {
    let fx = fixture();
    assert_eq!(fx["tool"], "scikit-learn");
    assert!(fx["version"].as_str().is_some_and(|v| !v.is_empty()));
}

#[test]
fn binary_matches_sklearn() {
    let case = &fixture()["binary"];
    let (y, p, w) = (usizes(&case["y_true"]), f64s(&case["proba"]), f64s(&case["weights"]));
    let y_pred = usizes(&case["y_pred"]);
    check_prf("binary", case, &y, &y_pred, 2);
    let wa = accuracy_weighted(&y, &y_pred, Some(&w)).unwrap();
    close("accuracy weighted", wa, num(case, "accuracy_weighted"));
    close("log loss", log_loss(&y, &p).unwrap(), num(case, "log_loss"));
    let wl = log_loss_weighted(&y, &p, Some(&w)).unwrap();
    close("log loss weighted", wl, num(case, "log_loss_weighted"));
    close("brier", brier_score(&y, &p).unwrap(), num(case, "brier"));
    let wb = brier_score_weighted(&y, &p, Some(&w)).unwrap();
    close("brier weighted", wb, num(case, "brier_weighted"));
    close("roc auc", roc_auc(&y, &p).unwrap(), num(case, "roc_auc"));
    let wr = roc_auc_weighted(&y, &p, Some(&w)).unwrap();
    close("roc auc weighted", wr, num(case, "roc_auc_weighted"));

    // The same probabilities as n × 2 rows give the same log loss and Brier score.
    let rows: Vec<f64> = p.iter().flat_map(|&q| [1.0 - q, q]).collect();
    close("log loss rows", log_loss(&y, &rows).unwrap(), num(case, "log_loss"));
    close("brier rows", brier_score(&y, &rows).unwrap(), num(case, "brier"));
}

#[test]
fn tied_scores_match_sklearn() {
    let case = &fixture()["ties"];
    let (y, s, w) = (usizes(&case["y_true"]), f64s(&case["scores"]), f64s(&case["weights"]));
    close("ties auc", roc_auc(&y, &s).unwrap(), num(case, "roc_auc"));
    close(
        "ties auc weighted",
        roc_auc_weighted(&y, &s, Some(&w)).unwrap(),
        num(case, "roc_auc_weighted"),
    );
    // AUC depends only on the ranking.
    let shifted: Vec<f64> = s.iter().map(|v| 3.0 * v - 7.0).collect();
    close("ties auc shifted", roc_auc(&y, &shifted).unwrap(), num(case, "roc_auc"));
}

#[test]
fn log_loss_clips_with_machine_epsilon() {
    let case = &fixture()["clipping"];
    let (y, p) = (usizes(&case["y_true"]), f64s(&case["proba"]));
    close("clipped log loss", log_loss(&y, &p).unwrap(), num(case, "log_loss"));
}

#[test]
fn multiclass_matches_sklearn() {
    let case = &fixture()["multiclass"];
    let (y, p, w) = (usizes(&case["y_true"]), f64s(&case["proba"]), f64s(&case["weights"]));
    let y_pred = usizes(&case["y_pred"]);
    check_prf("multiclass", case, &y, &y_pred, 3);
    let wa = accuracy_weighted(&y, &y_pred, Some(&w)).unwrap();
    close("multiclass accuracy weighted", wa, num(case, "accuracy_weighted"));
    close("multiclass log loss", log_loss(&y, &p).unwrap(), num(case, "log_loss"));
    let wl = log_loss_weighted(&y, &p, Some(&w)).unwrap();
    close("multiclass log loss weighted", wl, num(case, "log_loss_weighted"));
    close("multiclass brier", brier_score(&y, &p).unwrap(), num(case, "brier"));
    let wb = brier_score_weighted(&y, &p, Some(&w)).unwrap();
    close("multiclass brier weighted", wb, num(case, "brier_weighted"));

    let prf = precision_recall_f1(&y, &y_pred, 3).unwrap();
    assert_eq!(prf.undefined_precision, vec![2]);
    assert!(prf.undefined_recall.is_empty());
    assert!(case["sklearn_warned"].as_bool().unwrap());
}

#[test]
fn zero_division_matches_sklearn() {
    let case = &fixture()["predictions"];
    let (y, y_pred) = (usizes(&case["y_true"]), usizes(&case["y_pred"]));
    check_prf("predictions", case, &y, &y_pred, 4);
    let prf = precision_recall_f1(&y, &y_pred, 4).unwrap();
    assert_eq!(prf.undefined_precision, vec![2, 3]);
    assert_eq!(prf.undefined_recall, vec![3]);
}

#[test]
fn report_bundles_the_metrics() {
    let case = &fixture()["binary"];
    let (y, p) = (usizes(&case["y_true"]), f64s(&case["proba"]));
    let report = ClassificationReport::from_probabilities(&y, &p, 2).unwrap();
    close("report accuracy", report.accuracy, num(case, "accuracy"));
    close("report log loss", report.log_loss.unwrap(), num(case, "log_loss"));
    close("report brier", report.brier.unwrap(), num(case, "brier"));
    close("report auc", report.roc_auc.unwrap(), num(case, "roc_auc"));
    assert_eq!(report.confusion, vec![vec![5, 1], vec![3, 3]]);

    let text = report.to_string();
    for needle in ["precision", "macro avg", "weighted avg", "accuracy", "confusion", "ROC AUC"] {
        assert!(text.contains(needle), "report text lacks {needle}:\n{text}");
    }
    let json = serde_json::to_value(&report).unwrap();
    assert_eq!(json["n_samples"], 12);
    assert_eq!(json["scores"]["per_class"][1]["support"], 6);

    let case = &fixture()["multiclass"];
    let (y, p) = (usizes(&case["y_true"]), f64s(&case["proba"]));
    let report = ClassificationReport::from_probabilities(&y, &p, 3).unwrap();
    assert_eq!(report.scores.undefined_precision, vec![2]);
    assert_eq!(report.roc_auc, None);
    assert!(report.to_string().contains("never predicted: 2"));
    let hard = ClassificationReport::from_predictions(&y, &usizes(&case["y_pred"]), 3).unwrap();
    assert_eq!((hard.log_loss, hard.scores), (None, report.scores));
}

fn is_invalid<T: std::fmt::Debug>(r: axon::Result<T>, name: &str) {
    match r {
        Err(Error::InvalidArgument { name: got, .. }) => assert_eq!(got, name),
        other => panic!("expected an invalid `{name}`, got {other:?}"),
    }
}

#[test]
fn metric_errors() {
    is_invalid(accuracy(&[0, 1], &[0]), "y_pred");
    is_invalid(accuracy(&[], &[]), "y_true");
    is_invalid(accuracy_weighted(&[0, 1], &[0, 1], Some(&[1.0])), "weights");
    is_invalid(accuracy_weighted(&[0, 1], &[0, 1], Some(&[1.0, -1.0])), "weights");
    is_invalid(accuracy_weighted(&[0, 1], &[0, 1], Some(&[0.0, 0.0])), "weights");
    is_invalid(log_loss(&[0, 1], &[0.5, 1.5]), "proba");
    is_invalid(log_loss(&[0, 1], &[0.5, f64::NAN]), "proba");
    is_invalid(log_loss(&[0, 1], &[0.5, 0.5, 0.5]), "proba");
    is_invalid(log_loss(&[0, 2], &[0.5, 0.5]), "y_true");
    is_invalid(log_loss(&[0, 1], &[0.5, 0.5, 0.6, 0.5]), "proba");
    is_invalid(log_loss(&[0, 3], &[0.2, 0.8, 0.0, 0.5, 0.25, 0.25]), "y_true");
    is_invalid(log_loss(&[], &[]), "y_true");
    is_invalid(brier_score(&[0, 1], &[-0.1, 0.5]), "proba");
    is_invalid(roc_auc(&[1, 1, 1], &[0.1, 0.2, 0.3]), "y_true");
    is_invalid(roc_auc(&[0, 1], &[0.1]), "scores");
    is_invalid(roc_auc(&[0, 1], &[0.1, f64::INFINITY]), "scores");
    is_invalid(roc_auc(&[0, 2], &[0.1, 0.2]), "y_true");
    is_invalid(roc_auc_weighted(&[0, 1], &[0.1, 0.2], Some(&[0.0, 1.0])), "weights");
    is_invalid(confusion_matrix(&[0, 1], &[0, 2], 2), "y_pred");
    is_invalid(precision_recall_f1(&[0, 5], &[0, 1], 2), "y_true");
    is_invalid(ClassificationReport::from_probabilities(&[0, 1], &[0.2, 0.8], 3), "proba");
}

// ---- cross-validation ---------------------------------------------------------------------

/// Every index in exactly one test fold; each train set is the complement of its test set.
fn assert_partition(folds: &[Fold], n: usize) {
    let mut seen = vec![0; n];
    for fold in folds {
        for &i in &fold.test {
            seen[i] += 1;
        }
        let train: BTreeSet<usize> = fold.train.iter().copied().collect();
        let test: BTreeSet<usize> = fold.test.iter().copied().collect();
        assert_eq!(train.len() + test.len(), n, "train and test overlap or miss rows");
        assert!(train.is_disjoint(&test));
    }
    assert!(seen.iter().all(|&c| c == 1), "test folds do not partition 0..{n}: {seen:?}");
}

#[test]
fn kfold_sizes_and_partition() {
    let folds = kfold(10, 3, None).unwrap();
    let sizes: Vec<usize> = folds.iter().map(|f| f.test.len()).collect();
    assert_eq!(sizes, vec![4, 3, 3], "sklearn's KFold: the first n % k folds get one more");
    assert_eq!(folds[0].test, vec![0, 1, 2, 3]);
    assert_eq!(folds[2].train, (0..7).collect::<Vec<_>>());
    assert_partition(&folds, 10);
    for (n, k) in [(5, 5), (17, 4), (100, 7)] {
        let folds = kfold(n, k, Some(&mut Rng::seed(3))).unwrap();
        assert_partition(&folds, n);
        assert!(folds.iter().all(|f| f.test.windows(2).all(|w| w[0] < w[1])));
    }
}

#[test]
fn same_seed_same_folds() {
    let a = kfold(50, 5, Some(&mut Rng::seed(42))).unwrap();
    let b = kfold(50, 5, Some(&mut Rng::seed(42))).unwrap();
    let c = kfold(50, 5, Some(&mut Rng::seed(43))).unwrap();
    assert_eq!(a, b);
    assert_ne!(a, c);
    assert_ne!(a, kfold(50, 5, None).unwrap());
    let labels: Vec<usize> = (0..50).map(|i| i % 3).collect();
    let s1 = stratified_kfold(&labels, 4, Some(&mut Rng::seed(9))).unwrap();
    let s2 = stratified_kfold(&labels, 4, Some(&mut Rng::seed(9))).unwrap();
    assert_eq!(s1, s2);
    assert_ne!(s1, stratified_kfold(&labels, 4, Some(&mut Rng::seed(10))).unwrap());
    let t1 = train_test_split(50, 0.2, Some(&mut Rng::seed(1))).unwrap();
    assert_eq!(t1, train_test_split(50, 0.2, Some(&mut Rng::seed(1))).unwrap());
}

#[test]
fn stratified_folds_keep_proportions() {
    // 30 of class 0, 12 of class 1, 5 of class 2 (fewer than some k: allowed), 3 of class 7.
    let mut labels = vec![0; 30];
    labels.extend([1; 12]);
    labels.extend([2; 5]);
    labels.extend([7; 3]);
    for k in [2, 3, 5] {
        let folds = stratified_kfold(&labels, k, Some(&mut Rng::seed(k as u64))).unwrap();
        assert_partition(&folds, labels.len());
        let sizes: Vec<usize> = folds.iter().map(|f| f.test.len()).collect();
        assert!(sizes.iter().max().unwrap() - sizes.iter().min().unwrap() <= 1, "{sizes:?}");
        for class in [0, 1, 2, 7] {
            let counts: Vec<usize> = folds
                .iter()
                .map(|f| f.test.iter().filter(|&&i| labels[i] == class).count())
                .collect();
            let (lo, hi) = (counts.iter().min().unwrap(), counts.iter().max().unwrap());
            assert!(hi - lo <= 1, "class {class}, k = {k}: {counts:?}");
        }
    }
}

#[test]
fn train_test_split_sizes() {
    let split = train_test_split(10, 0.25, Some(&mut Rng::seed(5))).unwrap();
    assert_eq!((split.train.len(), split.test.len()), (7, 3), "ceil(0.25 · 10) = 3 test rows");
    let mut all: Vec<usize> = split.train.iter().chain(&split.test).copied().collect();
    all.sort_unstable();
    assert_eq!(all, (0..10).collect::<Vec<_>>(), "train and test partition the rows");
    let plain = train_test_split(10, 0.25, None).unwrap();
    assert_eq!(plain.test, vec![7, 8, 9]);
    is_invalid(train_test_split(10, 0.0, None), "test_fraction");
    is_invalid(train_test_split(10, 1.0, None), "test_fraction");
    is_invalid(train_test_split(10, f64::NAN, None), "test_fraction");
    is_invalid(train_test_split(1, 0.5, None), "test_fraction");
}

#[test]
fn cv_errors() {
    is_invalid(kfold(10, 1, None), "k");
    is_invalid(kfold(3, 4, None), "k");
    is_invalid(stratified_kfold(&[0, 1], 3, None), "k");
    is_invalid(cross_validate(&[], |_| Ok(1.0)), "folds");
    is_invalid(CvScores::from_scores(vec![]), "scores");
    let folds = kfold(6, 3, None).unwrap();
    let failing = cross_validate(&folds, |f| match f.test[0] {
        0 => Ok(1.0),
        _ => Err(Error::invalid("model", "diverged", "test")),
    });
    is_invalid(failing, "model");
    is_invalid(grid_search::<f64, _>("c", &[], &folds, Goal::Maximize, |_, _| Ok(0.0)), "values");
    is_invalid(
        grid_search("c", &[1.0], &folds, Goal::Maximize, |_, _| Ok(f64::NAN)),
        "fit_and_score",
    );
}

#[test]
fn cross_validate_mean_and_population_std() {
    let folds = kfold(8, 4, None).unwrap();
    let cv = cross_validate(&folds, |f| Ok(f.test[0] as f64 / 2.0 + 1.0)).unwrap();
    assert_eq!(cv.scores, vec![1.0, 2.0, 3.0, 4.0]);
    close("cv mean", cv.mean, 2.5);
    close("cv std", cv.std, 1.118033988749895); // numpy.std([1, 2, 3, 4])
}

#[test]
fn grid_search_picks_the_best_value() {
    let folds = kfold(20, 4, Some(&mut Rng::seed(0))).unwrap();
    // A score peaked at 0.1, with a fold-dependent wobble.
    let score = |c: &f64, f: &Fold| Ok(-(c.log10() + 1.0).powi(2) + f.test[0] as f64 * 1e-3);
    let values = [0.001, 0.01, 0.1, 1.0, 10.0];
    let grid = grid_search("C", &values, &folds, Goal::Maximize, score).unwrap();
    assert_eq!(*grid.best_value(), 0.1);
    assert_eq!(grid.rows.len(), 5);
    let loss = |c: &f64, _: &Fold| Ok((c.log10() - 1.0).powi(2));
    let grid_min = grid_search("C", &values, &folds, Goal::Minimize, loss).unwrap();
    assert_eq!(*grid_min.best_value(), 10.0);
    let ties = grid_search("width", &[8, 16, 32], &folds, Goal::Maximize, |_, _| Ok(0.5)).unwrap();
    assert_eq!(*ties.best_value(), 8, "the first of equal means wins");

    let text = grid.to_string();
    assert!(text.contains("best C = 0.1"), "{text}");
    assert!(text.lines().any(|l| l.starts_with("* 0.1")), "{text}");
    assert_eq!(serde_json::to_value(&grid).unwrap()["best"], 2);
}
