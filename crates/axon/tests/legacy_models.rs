//! Model files of the first formats (committed fixtures written by the version before the one
//! model-file format, with that version's predictions; see `fixtures/legacy/README.md`) load
//! through [`SavedModel`] and predict the same numbers; saved again they are files of the
//! current format that predict the same numbers too.

use std::path::{Path, PathBuf};

use axon::data::{Labels, ReadOptions};
use axon::io::{load_model, ModelKind, MODEL_VERSION};
use axon::model::SavedModel;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/legacy").join(name)
}

fn lbw() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/lbw.csv")
}

/// The predicted labels and numbers (probabilities, then the log-odds if any) of a prediction
/// file written by `axon predict --proba [--log-odds]`.
fn expected(name: &str) -> (Vec<String>, Vec<Vec<f64>>) {
    let text = std::fs::read_to_string(fixture(name)).unwrap();
    let rows = text.lines().skip(1).map(|line| {
        let mut fields = line.split(',');
        let label = fields.next().unwrap().to_owned();
        (label, fields.map(|v| v.parse::<f64>().unwrap()).collect::<Vec<_>>())
    });
    rows.unzip()
}

/// Loads `model`, predicts `data` and compares with `predictions`; returns the loaded model.
fn check(model: &Path, data: &Path, predictions: &str, log_odds: bool) -> SavedModel {
    let saved = SavedModel::load(model).unwrap();
    let examples = saved.read(data, Labels::Optional, &ReadOptions::default()).unwrap();
    let scores = saved.scores(&examples, log_odds).unwrap();
    let classes = saved.classes();
    let k = classes.len();
    let (labels, numbers) = expected(predictions);
    assert_eq!(scores.proba.len(), labels.len() * k, "{predictions}");
    for (i, (label, want)) in labels.iter().zip(&numbers).enumerate() {
        let p = &scores.proba[i * k..(i + 1) * k];
        assert_eq!(&classes[axon::metrics::argmax(p)], label, "{predictions}, row {i}");
        for c in 0..k {
            assert!((p[c] - want[c]).abs() < 1e-12, "{predictions}, row {i}: {p:?} vs {want:?}");
        }
        if log_odds {
            let l = scores.log_odds.as_ref().unwrap()[i];
            assert!((l - want[k]).abs() < 1e-9 * want[k].abs().max(1.0), "{predictions}, row {i}");
        }
    }
    saved
}

/// Saves `saved` in the current format and checks that it predicts the same again.
fn resave(saved: SavedModel, name: &str, data: &Path, predictions: &str, log_odds: bool) {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("axon-legacy-models");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    match &saved {
        SavedModel::Linear(m) => m.save(&path).unwrap(),
        SavedModel::Network(n) => n.save(&path, &serde_json::Value::Null).unwrap(),
        SavedModel::SparseLinear(m) => m.save(&path).unwrap(),
        SavedModel::NaiveBayes(m) => m.save(&path).unwrap(),
        SavedModel::TextNetwork(n) => n.save(&path, &serde_json::Value::Null).unwrap(),
        SavedModel::BertClassifier(m) => m.save(&path, &serde_json::Value::Null).unwrap(),
        SavedModel::EncodedLinear(m) => m.save(&path).unwrap(),
    }
    let file = load_model(&path).unwrap();
    assert_eq!(file.version, MODEL_VERSION);
    let kind = match saved {
        SavedModel::Linear(_) => ModelKind::Linear,
        SavedModel::Network(_) => ModelKind::Network,
        SavedModel::SparseLinear(_) => ModelKind::SparseLinear,
        SavedModel::NaiveBayes(_) => ModelKind::NaiveBayes,
        SavedModel::TextNetwork(_) => ModelKind::TextNetwork,
        SavedModel::BertClassifier(_) => ModelKind::BertClassifier,
        SavedModel::EncodedLinear(_) => ModelKind::EncodedLinear,
    };
    assert_eq!(file.kind, kind);
    check(&path, data, predictions, log_odds);
}

#[test]
fn linear_models_of_the_first_format_predict_as_they_did() {
    for (name, log_odds) in [("logit", true), ("probit", true), ("softmax", false), ("ovr", false)]
    {
        let model = fixture(&format!("{name}_lbw.axon"));
        let predictions = format!("{name}_lbw.predict.csv");
        let file = load_model(&model).unwrap();
        assert_eq!((file.kind, file.version), (ModelKind::Linear, 1), "{name}");
        let saved = check(&model, &lbw(), &predictions, log_odds);
        assert_eq!(saved.kind(), name);
        resave(saved, &format!("{name}.axon"), &lbw(), &predictions, log_odds);
    }
}

#[test]
fn text_models_of_version_2_predict_as_they_did_and_resave_their_terms_as_a_block() {
    let spam = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/spam_sample.csv.gz");
    for name in ["spam_logit_v2", "spam_nb_v2"] {
        let model = fixture(&format!("{name}.axon"));
        let predictions = format!("{name}.predict.csv");
        let file = load_model(&model).unwrap();
        assert_eq!(file.version, 2, "{name}");
        assert!(file.tensors.bytes.is_empty(), "{name}");
        assert!(file.model.to_string().contains(r#""terms":["#), "{name}");
        let saved = check(&model, &spam, &predictions, true);
        resave(saved, &format!("{name}.axon"), &spam, &predictions, true);
        let path = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
            .join("axon-legacy-models")
            .join(format!("{name}.axon"));
        let file = load_model(&path).unwrap();
        let block = file.tensors.bytes("text.0.terms").expect("a term block");
        assert!(block.ends_with(b"\n") && block.starts_with(b"00"), "{name}");
        assert!(!file.model.to_string().contains(r#""terms":["#), "{name}");
    }
}

#[test]
fn networks_of_the_first_format_predict_as_they_did() {
    let cases = [("mlp_iris", "iris_header.csv"), ("mlp_digits", "digits_head.csv")];
    for (name, data) in cases {
        let model = fixture(&format!("{name}.axon"));
        let predictions = format!("{name}.predict.csv");
        let file = load_model(&model).unwrap();
        assert_eq!((file.kind, file.version), (ModelKind::Network, 1), "{name}");
        let saved = check(&model, &fixture(data), &predictions, false);
        assert_eq!(saved.kind(), "nn-classifier");
        resave(saved, &format!("{name}.axon"), &fixture(data), &predictions, false);
    }
}

#[test]
fn the_schema_of_a_legacy_network_says_how_to_read_its_data() {
    use axon::data::Source;
    let iris = SavedModel::load(fixture("mlp_iris.axon")).unwrap().schema();
    assert_eq!((iris.source, iris.target.as_deref()), (Source::Table, Some("species")));
    assert_eq!(iris.classes, ["setosa", "versicolor", "virginica"]);
    let digits = SavedModel::load(fixture("mlp_digits.axon")).unwrap().schema();
    assert_eq!((digits.source, digits.features.len()), (Source::CsvNoHeader, 64));
    let logit = SavedModel::load(fixture("logit_lbw.axon")).unwrap().schema();
    assert_eq!(logit.target.as_deref(), Some("low"));
    assert_eq!(logit.feature_names(), ["age", "lwt", "race", "smoke", "ptl", "ht", "ui"]);
}
