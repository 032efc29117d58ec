//! Multinomial and Bernoulli Naive Bayes against scikit-learn's `MultinomialNB()` and
//! `BernoulliNB()` (fixtures from `scripts/reference/text_fixtures.py`): on the counts of a
//! stratified 80/20 split of the spam sample (`CountVectorizer(ngram_range=(1, 2), min_df=2)`
//! fitted on the training part), every row's prediction is the same, and the class
//! probabilities agree to 1e-9.

use std::path::PathBuf;

use axon::data::{read_table, Column, ReadOptions};
use axon::naive_bayes::{NaiveBayes, NbKind};
use axon::sparse::Csr;
use axon::text::{Analyzer, CountOptions, CountVectorizer, DocFreq};
use serde_json::Value;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn categorical(frame: &axon::data::Frame, name: &str) -> (Vec<String>, Vec<u32>) {
    match frame.column(name).unwrap() {
        Column::Categorical { levels, codes } => (levels.clone(), codes.clone()),
        Column::Numeric(_) => panic!("{name} read as numbers"),
    }
}

struct Split {
    fixture: Value,
    x_train: Csr,
    y_train: Vec<u32>,
    x_all: Csr,
    y_all: Vec<u32>,
    levels: Vec<String>,
}

fn split() -> Split {
    let path = root().join("crates/axon/tests/fixtures/naive_bayes.json");
    let fixture: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let frame =
        read_table(root().join("data/spam_sample.csv.gz"), &ReadOptions::default()).unwrap();
    let (texts, text_codes) = categorical(&frame, "text");
    let texts: Vec<&str> = text_codes.iter().map(|&c| texts[c as usize].as_str()).collect();
    let (levels, y_all) = categorical(&frame, "label");
    let train: Vec<usize> =
        fixture["train"].as_array().unwrap().iter().map(|i| i.as_u64().unwrap() as usize).collect();
    let train_texts: Vec<&str> = train.iter().map(|&i| texts[i]).collect();
    let options = CountOptions {
        analyzer: Analyzer { stop_words: false, ngram_range: (1, 2), lowercase: true },
        min_df: DocFreq::Count(2),
        ..CountOptions::default()
    };
    let (v, x_train) = CountVectorizer::fit_transform(options, &train_texts).unwrap();
    assert_eq!(v.n_features() as u64, fixture["vocabulary_size"].as_u64().unwrap());
    let y_train = train.iter().map(|&i| y_all[i]).collect();
    let x_all = v.transform(&texts).unwrap();
    Split { fixture, x_train, y_train, x_all, y_all, levels }
}

fn accuracy(pred: &[u32], y: &[u32], rows: &[usize]) -> f64 {
    rows.iter().filter(|&&i| pred[i] == y[i]).count() as f64 / rows.len() as f64
}

fn check(kind: NbKind, key: &str) {
    let s = split();
    let f = &s.fixture[key];
    let model = NaiveBayes::fit(kind, 1.0, &s.x_train, &s.y_train).unwrap();
    let class_names: Vec<&str> =
        model.classes().iter().map(|&c| s.levels[c as usize].as_str()).collect();
    let expected_classes: Vec<&str> =
        f["classes"].as_array().unwrap().iter().map(|c| c.as_str().unwrap()).collect();
    assert_eq!(class_names, expected_classes);
    for (got, want) in model.class_log_prior().iter().zip(f["class_log_prior"].as_array().unwrap())
    {
        assert!((got - want.as_f64().unwrap()).abs() < 1e-12);
    }

    let pred = model.predict(&s.x_all).unwrap();
    let pred_names: Vec<&str> = pred.iter().map(|&c| s.levels[c as usize].as_str()).collect();
    let expected: Vec<&str> =
        f["predictions"].as_array().unwrap().iter().map(|c| c.as_str().unwrap()).collect();
    assert_eq!(pred_names, expected, "{key}: predictions differ");
    let rows = |k: &str| -> Vec<usize> {
        s.fixture[k].as_array().unwrap().iter().map(|i| i.as_u64().unwrap() as usize).collect()
    };
    let test_acc = accuracy(&pred, &s.y_all, &rows("test"));
    assert_eq!(test_acc, f["test_accuracy"].as_f64().unwrap());
    assert_eq!(accuracy(&pred, &s.y_all, &rows("train")), f["train_accuracy"].as_f64().unwrap());
    println!("{key}: test accuracy {test_acc}");

    let proba_rows: Vec<usize> =
        f["proba_rows"].as_array().unwrap().iter().map(|i| i.as_u64().unwrap() as usize).collect();
    let x = s.x_all.take_rows(&proba_rows);
    let proba = model.predict_proba(&x).unwrap();
    let log_proba = model.predict_log_proba(&x).unwrap();
    let k = model.classes().len();
    for (r, (want, want_log)) in
        f["proba"].as_array().unwrap().iter().zip(f["log_proba"].as_array().unwrap()).enumerate()
    {
        for c in 0..k {
            let (p, lp) = (want[c].as_f64().unwrap(), want_log[c].as_f64().unwrap());
            assert!(
                (proba[r * k + c] - p).abs() <= 1e-9,
                "{key} row {r} class {c}: {} vs {p}",
                proba[r * k + c]
            );
            assert!(
                (log_proba[r * k + c] - lp).abs() <= 1e-9 * lp.abs().max(1.0),
                "{key} log row {r}"
            );
        }
    }
}

#[test]
fn multinomial_nb_predicts_every_row_as_sklearn() {
    check(NbKind::Multinomial, "multinomial");
}

#[test]
fn bernoulli_nb_predicts_every_row_as_sklearn() {
    check(NbKind::Bernoulli { binarize: Some(0.0) }, "bernoulli");
}

#[test]
fn naive_bayes_rejects_bad_input_with_clear_errors() {
    let x = Csr::from_rows(2, vec![vec![(0, 1.0)], vec![(1, -2.0)]]).unwrap();
    let err = NaiveBayes::fit(NbKind::Multinomial, 1.0, &x, &[0, 1]).unwrap_err().to_string();
    assert!(err.contains("non-negative") && err.contains("row 1"), "{err}");
    assert!(NaiveBayes::fit(NbKind::Multinomial, 0.0, &x, &[0, 1])
        .unwrap_err()
        .to_string()
        .contains("alpha"));
    assert!(NaiveBayes::fit(NbKind::Multinomial, 1.0, &x, &[0])
        .unwrap_err()
        .to_string()
        .contains("labels"));
    let ok = Csr::from_rows(2, vec![vec![(0, 1.0)], vec![(1, 2.0)]]).unwrap();
    let model =
        NaiveBayes::fit(NbKind::Bernoulli { binarize: Some(0.0) }, 1.0, &ok, &[3, 7]).unwrap();
    assert_eq!(model.classes(), &[3, 7]);
    assert_eq!(model.predict(&ok).unwrap(), vec![3, 7]);
    let wide = Csr::from_rows(3, vec![vec![(2, 1.0)]]).unwrap();
    assert!(model.predict(&wide).unwrap_err().to_string().contains("fitted on 2 features"));
}
