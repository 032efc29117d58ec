//! `axon cv` against an independent computation. The other cv tests (`models.rs`, `penalties.rs`)
//! check only that a seed reproduces the numbers and that they sit within loose bounds, which a
//! CLI that scored the wrong rows, fitted on the held-out rows, mixed up the candidates or
//! computed a metric wrongly would still pass. Here every fold's score of every candidate, for
//! logit, probit, softmax and one-vs-rest and every `--metric`, is recomputed from plain library
//! fits (`Design` on the fold's training rows, `fit_linear`) on the folds of
//! `stratified_folds`, with the scores computed by hand in this file from the held-out
//! probabilities (not through `axon::cv::Metric` or `fit_fold`, which the CLI itself calls), and
//! must agree to 1e-9. The stratification is checked at the CLI too: on a file sorted by class,
//! a model that always predicts the majority class scores each fold's share of that class, and
//! with stratified folds that share is the same in every fold.

mod common;

use axon::data::{read_csv, Design, DesignSpec, ReadOptions};
use axon::linear::{fit_linear, stratified_folds, LinearKind, LinearOptions, Penalty};
use common::{ok_json, temp_dir};
use serde_json::Value;

const LBW: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../data/lbw.csv");
const TOL: f64 = 1e-9;

/// The held-out score of `(n, k)` row-major probabilities `proba` for true classes `y`, by
/// `metric` (the CLI's `--metric` name), computed from the definitions.
fn score(metric: &str, y: &[usize], proba: &[Vec<f64>]) -> f64 {
    let n = y.len() as f64;
    let k = proba[0].len();
    let pred: Vec<usize> = proba
        .iter()
        .map(|p| (0..k).fold(0, |best, c| if p[c] > p[best] { c } else { best }))
        .collect();
    match metric {
        "log-loss" => -y.iter().zip(proba).map(|(&t, p)| p[t].ln()).sum::<f64>() / n,
        "accuracy" => y.iter().zip(&pred).filter(|(t, p)| t == p).count() as f64 / n,
        "brier" => {
            // scikit-learn's brier_score_loss: binary is mean (y − p₁)²; more classes sum the
            // squares of every class.
            let total: f64 = y
                .iter()
                .zip(proba)
                .map(|(&t, p)| {
                    if k == 2 {
                        (f64::from(u8::from(t == 1)) - p[1]).powi(2)
                    } else {
                        (0..k).map(|c| (f64::from(u8::from(t == c)) - p[c]).powi(2)).sum()
                    }
                })
                .sum();
            total / n
        }
        "roc-auc" => {
            // The probability that a random positive ranks above a random negative, ties half.
            let (mut wins, mut pairs) = (0.0, 0.0);
            for (i, &ti) in y.iter().enumerate() {
                for (j, &tj) in y.iter().enumerate() {
                    if ti == 1 && tj == 0 {
                        pairs += 1.0;
                        let (a, b) = (proba[i][1], proba[j][1]);
                        wins += if a > b {
                            1.0
                        } else if a == b {
                            0.5
                        } else {
                            0.0
                        };
                    }
                }
            }
            wins / pairs
        }
        "f1-macro" => {
            // The mean over the classes present in y or the predictions of 2PR/(P+R).
            let mut f1s = Vec::new();
            for c in 0..k {
                let tp = y.iter().zip(&pred).filter(|&(&t, &p)| t == c && p == c).count();
                let fp = y.iter().zip(&pred).filter(|&(&t, &p)| t != c && p == c).count();
                let fn_ = y.iter().zip(&pred).filter(|&(&t, &p)| t == c && p != c).count();
                if tp + fp + fn_ == 0 {
                    continue;
                }
                f1s.push(2.0 * tp as f64 / (2 * tp + fp + fn_) as f64);
            }
            f1s.iter().sum::<f64>() / f1s.len() as f64
        }
        other => panic!("unknown metric {other}"),
    }
}

/// One fold's held-out rows: their true classes and their predicted class probabilities.
type HeldOut = (Vec<usize>, Vec<Vec<f64>>);

/// Runs `axon cv` with `kind`, `spec`'s target and features, `alphas`, `folds` and `seed` for
/// each of `metrics`, and checks every fold's score against plain fits on the same folds.
fn check_cv(
    kind: LinearKind,
    spec: &DesignSpec,
    alphas: &[f64],
    folds: usize,
    seed: u64,
    metrics: &[&str],
) {
    let frame = read_csv(LBW, &ReadOptions::default()).unwrap();
    let fold_rows = stratified_folds(&frame, &spec.target, folds, seed).unwrap();
    assert_eq!(fold_rows.len(), folds);
    // The held-out rows' true classes and probabilities of every (alpha, fold), fitted once.
    let held_out: Vec<Vec<HeldOut>> = alphas
        .iter()
        .map(|&alpha| {
            let options = LinearOptions {
                penalty: if alpha > 0.0 { Penalty::L2(alpha) } else { Penalty::None },
                ..LinearOptions::default()
            };
            fold_rows
                .iter()
                .map(|fold| {
                    let design = Design::new(&frame.take_rows(&fold.train), spec).unwrap();
                    let fit = fit_linear(kind, &design, None, &options).unwrap();
                    let model = fit.to_model(design.encoder.clone(), Value::Null).unwrap();
                    let classes = model.classes();
                    let test = frame.take_rows(&fold.test);
                    let p = model.predict_proba(&test).unwrap();
                    let column = test.column(&spec.target).unwrap();
                    let y: Vec<usize> = (0..test.n_rows)
                        .map(|i| {
                            let label = column.label(i);
                            classes.iter().position(|c| *c == label).expect("a training class")
                        })
                        .collect();
                    let proba = (0..p.nrows())
                        .map(|i| (0..p.ncols()).map(|j| p[(i, j)]).collect())
                        .collect();
                    (y, proba)
                })
                .collect()
        })
        .collect();

    let model = match kind {
        LinearKind::Logit => "logit",
        LinearKind::Probit => "probit",
        LinearKind::Softmax => "softmax",
        LinearKind::Ovr => "ovr",
    };
    let features = spec.features.as_ref().unwrap().join(",");
    let grid = format!("alpha={}", alphas.iter().map(f64::to_string).collect::<Vec<_>>().join(","));
    let (folds_arg, seed_arg) = (folds.to_string(), seed.to_string());
    for &metric in metrics {
        let mut args = vec![
            "cv",
            "--data",
            LBW,
            "--target",
            &spec.target,
            "--features",
            &features,
            "--model",
            model,
            "--grid",
            &grid,
            "--folds",
            &folds_arg,
            "--seed",
            &seed_arg,
            "--metric",
            metric,
            "--json",
        ];
        if spec.standardize {
            args.push("--standardize");
        }
        let report = ok_json(&args);
        assert_eq!(report["folds"], folds);
        assert_eq!(report["n_obs"], 189);
        let rows = report["rows"].as_array().unwrap();
        assert_eq!(rows.len(), alphas.len());
        let mut means = Vec::new();
        for (a, row) in rows.iter().enumerate() {
            assert_eq!(row["value"]["alpha"].as_f64().unwrap(), alphas[a]);
            let scores = row["cv"]["scores"].as_array().unwrap();
            assert_eq!(scores.len(), folds, "{model} {metric}: one score per fold");
            let mut expected = Vec::new();
            for (f, (y, proba)) in held_out[a].iter().enumerate() {
                let want = score(metric, y, proba);
                let got = scores[f].as_f64().unwrap();
                assert!(
                    (got - want).abs() <= TOL,
                    "{model} --metric {metric} alpha {}: fold {f} scores {got}, a plain fit {want}",
                    alphas[a]
                );
                expected.push(want);
            }
            let mean = expected.iter().sum::<f64>() / folds as f64;
            let std =
                (expected.iter().map(|s| (s - mean).powi(2)).sum::<f64>() / folds as f64).sqrt();
            assert!((row["cv"]["mean"].as_f64().unwrap() - mean).abs() <= TOL);
            assert!((row["cv"]["std"].as_f64().unwrap() - std).abs() <= TOL);
            means.push(mean);
        }
        // The best candidate is the best mean in the metric's direction.
        let minimize = matches!(metric, "log-loss" | "brier");
        let best = (0..means.len())
            .reduce(|b, i| {
                let better = if minimize { means[i] < means[b] } else { means[i] > means[b] };
                if better {
                    i
                } else {
                    b
                }
            })
            .unwrap();
        assert_eq!(report["best"], best, "{model} {metric}: {means:?}");
    }
}

#[test]
fn cv_logit_scores_are_plain_fits_on_each_fold() {
    let features = ["age", "lwt", "race", "smoke", "ptl", "ht", "ui"];
    let spec = DesignSpec { standardize: true, ..DesignSpec::new("low").with_features(&features) };
    let metrics = ["log-loss", "accuracy", "roc-auc", "brier", "f1-macro"];
    check_cv(LinearKind::Logit, &spec, &[0.0, 2.0, 50.0], 5, 3, &metrics);
}

#[test]
fn cv_probit_scores_are_plain_fits_on_each_fold() {
    let spec = DesignSpec::new("low").with_features(&["age", "lwt", "smoke", "ht"]);
    check_cv(LinearKind::Probit, &spec, &[0.0, 1.0], 4, 11, &["log-loss", "roc-auc"]);
}

#[test]
fn cv_softmax_scores_are_plain_fits_on_each_fold() {
    let spec = DesignSpec::new("race").with_features(&["age", "lwt", "smoke", "low"]);
    let metrics = ["log-loss", "accuracy", "brier", "f1-macro"];
    check_cv(LinearKind::Softmax, &spec, &[0.0, 5.0], 5, 1, &metrics);
}

#[test]
fn cv_one_vs_rest_scores_are_plain_fits_on_each_fold() {
    let spec = DesignSpec { standardize: true, ..DesignSpec::new("race") }
        .with_features(&["age", "lwt", "smoke", "low"]);
    let metrics = ["log-loss", "accuracy", "brier", "f1-macro"];
    check_cv(LinearKind::Ovr, &spec, &[0.5, 5.0], 3, 9, &metrics);
}

/// Writes a CSV sorted by class: `counts[c]` rows of class `c` (named `a`, `b`, ...), with one
/// feature `x` that carries no information (the same cycle of values within every class).
fn sorted_by_class(name: &str, counts: &[usize]) -> String {
    let path = temp_dir(name).join("sorted.csv");
    let mut csv = String::from("x,y\n");
    for (c, &count) in counts.iter().enumerate() {
        for i in 0..count {
            csv.push_str(&format!("{},{}\n", i % 5, (b'a' + c as u8) as char));
        }
    }
    std::fs::write(&path, csv).unwrap();
    path.to_str().unwrap().to_owned()
}

/// On a file sorted by class, unshuffled or unstratified folds would give folds of very
/// different class make-up. A model penalised to predict the training majority everywhere has
/// each fold's accuracy equal to that fold's share of the majority class; with stratified folds
/// every test fold holds each class's count to within one, so the accuracies are known exactly.
#[test]
fn cv_folds_are_stratified_at_the_command_line() {
    // Two classes, 70 `a` and 30 `b`, 5 folds: every test fold has 14 `a` of 20 rows.
    let data = sorted_by_class("strat2", &[70, 30]);
    for seed in ["0", "1", "2"] {
        let report = ok_json(&[
            "cv",
            "--data",
            &data,
            "--target",
            "y",
            "--grid",
            "alpha=1e6",
            "--folds",
            "5",
            "--seed",
            seed,
            "--metric",
            "accuracy",
            "--json",
        ]);
        let scores = report["rows"][0]["cv"]["scores"].as_array().unwrap();
        assert_eq!(scores.len(), 5);
        for s in scores {
            assert_eq!(s.as_f64().unwrap(), 0.7, "seed {seed}: {scores:?}");
        }
    }
    // Three classes, 40/35/25, softmax, 5 folds: every test fold has 8 `a` of 20 rows.
    let data = sorted_by_class("strat3", &[40, 35, 25]);
    let report = ok_json(&[
        "cv",
        "--data",
        &data,
        "--target",
        "y",
        "--model",
        "softmax",
        "--grid",
        "alpha=1e6",
        "--folds",
        "5",
        "--metric",
        "accuracy",
        "--json",
    ]);
    let scores = report["rows"][0]["cv"]["scores"].as_array().unwrap();
    assert_eq!(scores.len(), 5);
    assert!(scores.iter().all(|s| s.as_f64().unwrap() == 0.4), "{scores:?}");
    // 4 folds of 103 rows (60 `a`, 43 `b`): test folds of 26, 26, 26 and 25 rows, each with 15
    // `a` (and 11, 11, 11, 10 `b`), so the accuracies are 15/26 three times and 15/25 once.
    let data = sorted_by_class("strat4", &[60, 43]);
    let report = ok_json(&[
        "cv",
        "--data",
        &data,
        "--target",
        "y",
        "--grid",
        "alpha=1e6",
        "--folds",
        "4",
        "--metric",
        "accuracy",
        "--json",
    ]);
    let scores: Vec<f64> = (report["rows"][0]["cv"]["scores"].as_array().unwrap().iter())
        .map(|s| s.as_f64().unwrap())
        .collect();
    assert_eq!(scores, [15.0 / 26.0, 15.0 / 26.0, 15.0 / 26.0, 15.0 / 25.0]);
}
