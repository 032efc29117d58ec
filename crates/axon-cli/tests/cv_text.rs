//! `axon cv --text`: the vectorizer is fitted inside each training fold. Every document of a
//! small corpus holds a word of its own, so a vocabulary learned from all rows has two more
//! features per held-out row than one learned from a fold's training rows, and the report's
//! per-fold feature counts must be those of the training rows. On the spam sample each fold's
//! held-out log loss is recomputed here from plain library calls (an encoder fitted on the
//! fold's training rows, `fit_sparse_logit`) and must agree; the same seed gives the same
//! numbers and another seed other folds; `--out` saves the model `axon fit --text` makes with
//! the best setting; flags that do not apply are refused by name.

mod common;

use axon::data::{read_table, ReadOptions};
use axon::linear::{fit_sparse_logit, stratified_folds, SparseLogitOptions};
use axon::metrics::log_loss;
use axon::text::{SparseEncoder, TextSpec};
use common::{data, error, ok_json, ok_stdout, temp_dir};

/// 20 documents, "good" or "bad" with their label, each with a word no other holds.
fn unique_words_csv(dir: &std::path::Path) -> String {
    let mut csv = String::from("label,text\n");
    for i in 0..20 {
        let label = if i % 2 == 0 { "good" } else { "bad" };
        csv.push_str(&format!("{label},{label} only{}\n", char::from(b'a' + i)));
    }
    let path = dir.join("unique.csv");
    std::fs::write(&path, csv).unwrap();
    path.to_str().unwrap().to_owned()
}

#[test]
fn the_vocabulary_of_a_fold_comes_from_its_training_rows_only() {
    let dir = temp_dir("cv-text-vocab");
    let path = unique_words_csv(&dir);
    let full = ok_json(&["fit", "--data", &path, "--target", "label", "--text", "text", "--json"]);
    // Every unique word, plus "good" and "bad".
    assert_eq!(full["n_features"], 22);
    let cv = ok_json(&[
        "cv", "--data", &path, "--target", "label", "--text", "text", "--folds", "4", "--grid",
        "alpha=1", "--json",
    ]);
    let folds = cv["fold_sizes"].as_array().unwrap();
    assert_eq!(folds.len(), 4);
    for f in folds {
        let train = f["train_rows"].as_u64().unwrap();
        assert_eq!(train + f["test_rows"].as_u64().unwrap(), 20);
        assert_eq!(f["features"].as_u64().unwrap(), train + 2, "{f}");
    }
}

#[test]
fn fold_scores_are_those_of_fits_inside_the_folds_and_a_seed_fixes_them() {
    let path = data("spam_sample.csv.gz");
    let args = |seed: &str| {
        ok_json(&[
            "cv",
            "--data",
            &path,
            "--target",
            "label",
            "--text",
            "text",
            "--min-df",
            "2",
            "--folds",
            "3",
            "--seed",
            seed,
            "--grid",
            "alpha=0.1,1",
            "--json",
        ])
    };
    let cv = args("7");
    assert_eq!(cv, args("7"), "the same seed gives the same report");
    let other = args("8");
    assert_ne!(cv["rows"][0]["cv"]["scores"], other["rows"][0]["cv"]["scores"]);

    let read = ReadOptions { missing: Vec::new(), ..ReadOptions::default() };
    let frame = read_table(&path, &read).unwrap();
    let label = frame.column("label").unwrap();
    let y: Vec<usize> = (0..frame.n_rows).map(|i| usize::from(label.label(i) == "spam")).collect();
    let folds = stratified_folds(&frame, "label", 3, 7).unwrap();
    let spec = TextSpec {
        terms: axon::text::TermSpec::Vocabulary {
            min_df: axon::text::DocFreq::Count(2),
            max_df: axon::text::DocFreq::Proportion(1.0),
            max_features: None,
        },
        ..TextSpec::new("text")
    };
    for (row, alpha) in [0.1, 1.0].into_iter().enumerate() {
        let scores = cv["rows"][row]["cv"]["scores"].as_array().unwrap();
        for (f, fold) in folds.iter().enumerate() {
            let (enc, x) = SparseEncoder::fit_transform(
                std::slice::from_ref(&spec),
                &frame.take_rows(&fold.train),
            )
            .unwrap();
            assert_eq!(cv["fold_sizes"][f]["features"].as_u64().unwrap() as usize, x.n_cols());
            let yf: Vec<f64> = fold.train.iter().map(|&r| y[r] as f64).collect();
            let opts = SparseLogitOptions { alpha, ..SparseLogitOptions::default() };
            let fit = fit_sparse_logit(&x, &yf, None, &opts).unwrap();
            let p =
                fit.predict_proba(&enc.transform(&frame.take_rows(&fold.test)).unwrap()).unwrap();
            let proba: Vec<f64> = p.iter().flat_map(|&p| [1.0 - p, p]).collect();
            let yt: Vec<usize> = fold.test.iter().map(|&r| y[r]).collect();
            let expected = log_loss(&yt, &proba).unwrap();
            let got = scores[f].as_f64().unwrap();
            assert!((got - expected).abs() < 1e-9, "alpha {alpha} fold {f}: {got} vs {expected}");
        }
    }
}

#[test]
fn out_saves_the_model_fit_makes_with_the_best_setting() {
    let dir = temp_dir("cv-text-out");
    let (cv_model, fit_model) = (dir.join("cv.axon"), dir.join("fit.axon"));
    let (cv_model, fit_model) = (cv_model.to_str().unwrap(), fit_model.to_str().unwrap());
    let path = data("spam_sample.csv.gz");
    let common = ["--data", &path, "--target", "group", "--text", "text", "--model", "nb"];
    let mut cv = vec!["cv"];
    cv.extend(common);
    cv.extend(["--grid", "nb-alpha=0.01,0.5", "--folds", "3", "--metric", "accuracy", "--json"]);
    cv.extend(["--out", cv_model]);
    let report = ok_json(&cv);
    let best = report["rows"][report["best"].as_u64().unwrap() as usize]["value"]["nb-alpha"]
        .as_f64()
        .unwrap()
        .to_string();
    let mut fit = vec!["fit"];
    fit.extend(common);
    fit.extend(["--nb-alpha", &best, "--out", fit_model]);
    ok_stdout(&fit);
    let predict = |m: &str| ok_stdout(&["predict", "--model", m, "--data", &path, "--proba"]);
    assert_eq!(predict(cv_model), predict(fit_model));
}

#[test]
fn flags_that_do_not_apply_to_text_cv_are_refused() {
    let path = data("spam_sample.csv.gz");
    let run = |extra: &[&str]| {
        let mut args = vec!["cv", "--data", &path, "--target", "label", "--grid", "alpha=1"];
        args.extend_from_slice(extra);
        error(&args)
    };
    assert!(run(&["--text", "text", "--grid", "poly=2"]).contains("varies alpha, nb-alpha, model"));
    assert!(run(&["--text", "text", "--standardize"]).contains("--standardize"));
    assert!(run(&["--model", "nb"]).contains("--text COL"));
    assert!(run(&["--ngram", "2"]).contains("--ngram"));
    let lbw = data("lbw.csv");
    let table = error(&["cv", "--data", &lbw, "--target", "low", "--grid", "nb-alpha=1"]);
    assert!(table.contains("nb-alpha"), "{table}");
}
