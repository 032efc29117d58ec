//! `axon cv --grid` over several fit options at once, against an independent computation: every
//! setting of a penalty × alpha × poly × model grid is refitted here from plain library fits on
//! the folds of `stratified_folds` (a `Design` on the fold's training rows, `fit_linear` with
//! options built in this file), its held-out log loss computed by hand, and each fold's score,
//! the mean, the spread and the chosen best must agree; `--out` must save exactly the model
//! `axon fit` makes with the best setting's flags on all rows. Bad grids are errors naming the
//! entry.

mod common;

use axon::data::{read_csv, Design, DesignSpec, ReadOptions};
use axon::linear::{fit_linear, stratified_folds, LinearKind, LinearModel, LinearOptions, Penalty};
use common::{axon, data, error, ok_json, temp_dir};
use serde_json::Value;

const FEATURES: &str = "age,lwt,smoke,ht";
const TOL: f64 = 1e-9;

/// The held-out log loss of each fold of `setting` (`penalty`, `alpha`, `poly`, `model`),
/// from plain fits on the fold's training rows.
fn plain_fold_log_losses(setting: &Value, folds: usize, seed: u64) -> Vec<f64> {
    let lbw = data("lbw.csv");
    let frame = read_csv(&lbw, &ReadOptions::default()).unwrap();
    let features: Vec<&str> = FEATURES.split(',').collect();
    let poly = setting["poly"].as_u64().unwrap() as usize;
    let spec = DesignSpec { standardize: true, poly_degree: poly, ..DesignSpec::new("low") }
        .with_features(&features);
    let alpha = setting["alpha"].as_f64().unwrap();
    let penalty = match setting["penalty"].as_str().unwrap() {
        "l1" => Penalty::L1(alpha),
        "l2" => Penalty::L2(alpha),
        other => panic!("penalty {other}"),
    };
    let kind = match setting["model"].as_str().unwrap() {
        "logit" => LinearKind::Logit,
        "probit" => LinearKind::Probit,
        other => panic!("model {other}"),
    };
    let options = LinearOptions { penalty, ..LinearOptions::default() };
    let fold_rows = stratified_folds(&frame, "low", folds, seed).unwrap();
    fold_rows
        .iter()
        .map(|fold| {
            let design = Design::new(&frame.take_rows(&fold.train), &spec).unwrap();
            let fit = fit_linear(kind, &design, None, &options).unwrap();
            let model = fit.to_model(design.encoder.clone(), Value::Null).unwrap();
            let classes = model.classes();
            let test = frame.take_rows(&fold.test);
            let p = model.predict_proba(&test).unwrap();
            let column = test.column("low").unwrap();
            let total: f64 = (0..test.n_rows)
                .map(|i| {
                    let y = classes.iter().position(|c| *c == column.label(i)).unwrap();
                    p[(i, y)].ln()
                })
                .sum();
            -total / test.n_rows as f64
        })
        .collect()
}

#[test]
fn every_grid_setting_is_plain_fits_and_out_is_the_fit_of_the_best() {
    let lbw = data("lbw.csv");
    let dir = temp_dir("cv-grid");
    let cv_model = dir.join("best.axon").display().to_string();
    let report = ok_json(&[
        "cv",
        "--data",
        &lbw,
        "--target",
        "low",
        "--features",
        FEATURES,
        "--standardize",
        "--grid",
        "penalty=l2,l1",
        "--grid",
        "alpha=0.5,8",
        "--grid",
        "poly=1,2",
        "--grid",
        "model=logit,probit",
        "--folds",
        "4",
        "--seed",
        "5",
        "--json",
        "--out",
        &cv_model,
    ]);
    assert_eq!(report["grid"], serde_json::json!(["penalty", "alpha", "poly", "model"]));
    let rows = report["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 16, "the cartesian product");
    // The first --grid varies slowest.
    assert_eq!(rows[0]["value"]["penalty"], "l2");
    assert_eq!(rows[15]["value"]["penalty"], "l1");
    assert_eq!(rows[1]["value"]["model"], "probit");
    let mut means = Vec::new();
    for row in rows {
        let setting = &row["value"];
        let want = plain_fold_log_losses(setting, 4, 5);
        let got: Vec<f64> =
            row["cv"]["scores"].as_array().unwrap().iter().map(|s| s.as_f64().unwrap()).collect();
        assert_eq!(got.len(), 4);
        for (g, w) in got.iter().zip(&want) {
            assert!((g - w).abs() <= TOL, "{setting}: {got:?} vs plain fits {want:?}");
        }
        let mean = want.iter().sum::<f64>() / 4.0;
        let sd = (want.iter().map(|s| (s - mean).powi(2)).sum::<f64>() / 4.0).sqrt();
        assert!((row["cv"]["mean"].as_f64().unwrap() - mean).abs() <= TOL);
        assert!((row["cv"]["std"].as_f64().unwrap() - sd).abs() <= TOL);
        means.push(mean);
    }
    let best = (0..means.len()).reduce(|b, i| if means[i] < means[b] { i } else { b }).unwrap();
    assert_eq!(report["best"], best, "{means:?}");
    // The settings differ: a grid that ignored a parameter would tie its rows.
    assert!(means.windows(2).all(|w| w[0] != w[1]), "{means:?}");

    // --out is `axon fit` with the best setting's flags on all rows, to the last bit.
    let b = &rows[best]["value"];
    let (penalty, model) = (b["penalty"].as_str().unwrap(), b["model"].as_str().unwrap());
    let (alpha, poly) = (b["alpha"].to_string(), b["poly"].to_string());
    let fit_model = dir.join("fit.axon").display().to_string();
    let fit_args = [
        "fit",
        "--data",
        &lbw,
        "--target",
        "low",
        "--features",
        FEATURES,
        "--standardize",
        "--penalty",
        penalty,
        "--alpha",
        &alpha,
        "--poly",
        &poly,
        "--model",
        model,
        "--out",
        &fit_model,
    ];
    let made = axon(&fit_args);
    assert!(made.status.success(), "{}", String::from_utf8_lossy(&made.stderr));
    let (from_cv, from_fit) =
        (LinearModel::load(&cv_model).unwrap(), LinearModel::load(&fit_model).unwrap());
    assert_eq!(from_cv.kind, from_fit.kind);
    assert_eq!(from_cv.encoder.names(), from_fit.encoder.names());
    assert_eq!(from_cv.coefficients, from_fit.coefficients, "the coefficients, exactly");
    assert_eq!(from_cv.settings["settings"]["best"], *b);
    // predict and summary take it.
    let predicted = axon(&["predict", "--model", &cv_model, "--data", &lbw]);
    assert!(predicted.status.success());
    let summary = axon(&["summary", &cv_model]);
    assert!(String::from_utf8_lossy(&summary.stdout).contains("Intercept"));
}

#[test]
fn grid_over_standardize_and_class_weight_changes_the_scores() {
    let lbw = data("lbw.csv");
    let report = ok_json(&[
        "cv",
        "--data",
        &lbw,
        "--target",
        "low",
        "--features",
        FEATURES,
        "--grid",
        "alpha=2",
        "--grid",
        "class_weight=none,balanced",
        "--grid",
        "standardize=false,true",
        "--metric",
        "accuracy",
        "--json",
    ]);
    let rows = report["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 4);
    assert_eq!(rows[1]["value"]["standardize"], true);
    assert_eq!(rows[2]["value"]["class-weight"], "balanced");
    let means: Vec<f64> = rows.iter().map(|r| r["cv"]["mean"].as_f64().unwrap()).collect();
    // Balanced weights trade accuracy for the minority class on this data.
    assert_ne!(means[0], means[2], "{means:?}");
    let best = (0..4).reduce(|b, i| if means[i] > means[b] { i } else { b }).unwrap();
    assert_eq!(report["best"], best);
}

#[test]
fn bad_grids_are_errors_naming_the_entry() {
    let lbw = data("lbw.csv");
    let cv = |grid: &[&str]| {
        let mut args = vec!["cv", "--data", &lbw, "--target", "low", "--features", FEATURES];
        for g in grid {
            args.extend_from_slice(&["--grid", g]);
        }
        error(&args)
    };
    let err = cv(&["hidden=8,16"]);
    assert!(err.contains("--grid `hidden=8,16`: unknown parameter `hidden`"), "{err}");
    let err = cv(&["poly=1,0"]);
    assert!(err.contains("--grid `poly=1,0`: `0` is not a polynomial degree"), "{err}");
    let err = cv(&["l1-ratio=0.5,2"]);
    assert!(err.contains("`2` is not an elastic-net mix"), "{err}");
    let err = cv(&["model=logit,tobit"]);
    assert!(err.contains("`tobit` is not one of logit, probit"), "{err}");
    let err = cv(&["standardize=maybe"]);
    assert!(err.contains("--grid `standardize=maybe`"), "{err}");
    let err = cv(&["alpha=1", "alpha=2"]);
    assert!(err.contains("--grid `alpha=2`: `alpha` is given by another --grid"), "{err}");
    let err = cv(&["alpha="]);
    assert!(err.contains("no values for `alpha`"), "{err}");
    // A setting the fit refuses names the setting.
    let err = cv(&["penalty=l1", "alpha=0,1"]);
    assert!(
        err.contains("--grid setting `penalty=l1 alpha=0`: --penalty l1: needs --alpha > 0"),
        "{err}"
    );
    // So does a fit that fails on a fold: a logit of a three-class target.
    let grid = ["cv", "--data", &lbw, "--target", "race", "--grid", "model=softmax,logit"];
    let err = error(&[&grid[..], &["--features", "age,lwt"]].concat());
    assert!(err.contains("--grid setting `model=logit`: "), "{err}");
}
