//! Text models against scikit-learn (fixtures from `scripts/reference/spam_fixtures.py`): on the
//! seeded stratified 80/20 split of the spam sample, a `SparseEncoder` with
//! `TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True)`'s settings and the L2 logit
//! (`C = 10`) give every test row's P(spam) to 1e-5 and the same test accuracy, and multinomial
//! Naive Bayes on `CountVectorizer(ngram_range=(1, 2), min_df=2)` counts predicts every test row
//! as `MultinomialNB` does, both after a save and a load through `SavedModel`. A file whose
//! tensors disagree with its encoder is refused on load, and several text columns are stacked
//! side by side under their own names. Each model's most indicative features per class are its
//! largest coefficients (or Naive Bayes lifts), as a full sort finds them.

use std::path::PathBuf;

use axon::data::{read_table, Examples, Features, Frame, ReadOptions};
use axon::io::{load_model, save_model_with_bytes, ModelKind};
use axon::linear::{fit_sparse_logit, SparseLinearModel, SparseLogitOptions};
use axon::model::SavedModel;
use axon::naive_bayes::{NaiveBayes, NaiveBayesModel, NbKind};
use axon::text::{Analyzer, DocFreq, SparseEncoder, TermSpec, TextSpec, TfidfOptions, Weighting};
use axon::Tensor;
use serde_json::Value;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn temp(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("axon-text-models-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

struct Split {
    fixture: Value,
    train: Frame,
    test: Frame,
    classes: Vec<String>,
}

fn indices(v: &Value) -> Vec<usize> {
    v.as_array().unwrap().iter().map(|i| i.as_u64().unwrap() as usize).collect()
}

fn split() -> Split {
    let path = root().join("crates/axon/tests/fixtures/spam_models.json");
    let fixture: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let frame =
        read_table(root().join("data/spam_sample.csv.gz"), &ReadOptions::default()).unwrap();
    let train = frame.take_rows(&indices(&fixture["train"]));
    let test = frame.take_rows(&indices(&fixture["test"]));
    let classes = fixture["classes"].as_array().unwrap();
    let classes = classes.iter().map(|c| c.as_str().unwrap().to_owned()).collect();
    Split { fixture, train, test, classes }
}

fn spec(weighting: Weighting) -> TextSpec {
    TextSpec {
        column: "text".into(),
        analyzer: Analyzer { ngram_range: (1, 2), ..Analyzer::default() },
        terms: TermSpec::Vocabulary {
            min_df: DocFreq::Count(2),
            max_df: DocFreq::Proportion(1.0),
            max_features: None,
        },
        weighting,
    }
}

fn labels(frame: &Frame, classes: &[String]) -> Vec<u32> {
    let col = frame.column("label").unwrap();
    (0..frame.n_rows)
        .map(|i| classes.iter().position(|c| *c == col.label(i)).unwrap() as u32)
        .collect()
}

fn examples(frame: &Frame) -> Examples {
    Examples {
        path: "test rows".into(),
        features: Features::Table(frame.clone()),
        labels: None,
        target: "label".into(),
        dropped_rows: 0,
    }
}

fn tfidf_logit(s: &Split) -> SparseLinearModel {
    let weighting =
        Weighting::Tfidf(TfidfOptions { sublinear_tf: true, ..TfidfOptions::default() });
    let (encoder, x) = SparseEncoder::fit_transform(&[spec(weighting)], &s.train).unwrap();
    let f = &s.fixture["logit"];
    assert_eq!(x.n_cols() as u64, f["vocabulary_size"].as_u64().unwrap());
    let y: Vec<f64> = labels(&s.train, &s.classes).iter().map(|&c| f64::from(c)).collect();
    let opts = SparseLogitOptions {
        alpha: 1.0 / f["C"].as_f64().unwrap(),
        tol: 1e-10,
        ..SparseLogitOptions::default()
    };
    let fit = fit_sparse_logit(&x, &y, None, &opts).unwrap();
    assert!(fit.converged);
    SparseLinearModel::from_logit(encoder, "label".into(), s.classes.clone(), &fit, Value::Null)
        .unwrap()
}

#[test]
fn tfidf_logit_reproduces_sklearn_after_a_save_and_load() {
    let s = split();
    let model = tfidf_logit(&s);
    let path = temp("logit.axon");
    model.save(&path).unwrap();
    let saved = SavedModel::load(&path).unwrap();
    assert_eq!(saved.kind(), "sparse-logit");
    assert_eq!(saved.schema().feature_names(), ["text"]);
    let scores = saved.scores(&examples(&s.test), true).unwrap();
    let f = &s.fixture["logit"];
    let want = f["test_proba_positive"].as_array().unwrap();
    assert_eq!(scores.proba.len(), 2 * want.len());
    let y = labels(&s.test, &s.classes);
    let mut right = 0;
    for (i, w) in want.iter().enumerate() {
        let (p, w) = (scores.proba[2 * i + 1], w.as_f64().unwrap());
        assert!((p - w).abs() < 1e-5, "row {i}: P(spam) {p} vs sklearn {w}");
        let logit = scores.log_odds.as_ref().unwrap()[i];
        assert!((1.0 / (1.0 + (-logit).exp()) - p).abs() < 1e-12);
        right += usize::from(u32::from(p >= 0.5) == y[i]);
    }
    let accuracy = right as f64 / want.len() as f64;
    assert!((accuracy - f["test_accuracy"].as_f64().unwrap()).abs() < 1e-12);
    assert!((model.intercept[0] - f["intercept"].as_f64().unwrap()).abs() < 1e-4);
}

#[test]
fn multinomial_nb_predicts_as_sklearn_after_a_save_and_load() {
    let s = split();
    let (encoder, x) = SparseEncoder::fit_transform(&[spec(Weighting::Counts)], &s.train).unwrap();
    let f = &s.fixture["nb"];
    assert_eq!(x.n_cols() as u64, f["vocabulary_size"].as_u64().unwrap());
    let nb = NaiveBayes::fit(NbKind::Multinomial, 1.0, &x, &labels(&s.train, &s.classes)).unwrap();
    let model =
        NaiveBayesModel::new(encoder, "label".into(), s.classes.clone(), nb, Value::Null).unwrap();
    let path = temp("nb.axon");
    model.save(&path).unwrap();
    let saved = SavedModel::load(&path).unwrap();
    assert_eq!(saved.kind(), "multinomial-nb");
    let proba = saved.scores(&examples(&s.test), false).unwrap().proba;
    let predicted: Vec<&str> = proba
        .chunks(2)
        .map(|p| if p[1] > p[0] { s.classes[1].as_str() } else { s.classes[0].as_str() })
        .collect();
    let want: Vec<&str> =
        f["test_predictions"].as_array().unwrap().iter().map(|c| c.as_str().unwrap()).collect();
    assert_eq!(predicted, want);
}

/// The `n` largest `(name, value)` pairs by a full sort, ties to the lower column: what
/// `top_features`' selection must reproduce.
fn sorted_top(
    values: impl Iterator<Item = (usize, f64)>,
    n: usize,
    name: impl Fn(usize) -> String,
) -> Vec<(String, f64)> {
    let mut all: Vec<(usize, f64)> = values.collect();
    all.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    all.into_iter().take(n).map(|(j, v)| (name(j), v)).collect()
}

#[test]
fn the_most_indicative_features_are_the_largest_coefficients_and_lifts() {
    let s = split();
    let model = tfidf_logit(&s);
    let name = |j| model.encoder.feature_name(j);
    let top = model.top_features(15);
    assert_eq!(top.len(), 2);
    // Towards spam (the second class, listed first) the largest positive coefficients; towards
    // ham the most negative, with their signs.
    assert_eq!(top[0].0, s.classes[1]);
    let up = model.coef.iter().copied().enumerate().filter(|c| c.1 > 0.0);
    assert_eq!(top[0].1, sorted_top(up, 15, name));
    assert_eq!(top[1].0, s.classes[0]);
    let down = model.coef.iter().map(|&b| -b).enumerate().filter(|c| c.1 > 0.0);
    let want: Vec<(String, f64)> =
        sorted_top(down, 15, name).into_iter().map(|(f, b)| (f, -b)).collect();
    assert_eq!(top[1].1, want);
    assert!(top.iter().all(|(_, f)| f.len() == 15));

    let (encoder, x) = SparseEncoder::fit_transform(&[spec(Weighting::Counts)], &s.train).unwrap();
    let nb = NaiveBayes::fit(NbKind::Multinomial, 1.0, &x, &labels(&s.train, &s.classes)).unwrap();
    let model =
        NaiveBayesModel::new(encoder, "label".into(), s.classes.clone(), nb, Value::Null).unwrap();
    let (lp, p) = (model.nb.feature_log_prob(), x.n_cols());
    let top = model.top_features(15);
    for (c, (class, features)) in top.iter().enumerate() {
        // Two classes: the lift over the other class's log-probability.
        assert_eq!(*class, s.classes[c]);
        let lift = (0..p).map(|j| (j, lp[c * p + j] - lp[(1 - c) * p + j]));
        assert_eq!(*features, sorted_top(lift, 15, |j| model.encoder.feature_name(j)));
    }
}

#[test]
fn a_file_whose_coefficients_disagree_with_its_encoder_is_refused() {
    let s = split();
    let model = tfidf_logit(&s);
    let good = temp("good.axon");
    model.save(&good).unwrap();
    let file = load_model(&good).unwrap();
    let p = model.encoder.n_features();
    let mut tensors: Vec<(String, Tensor)> = file.tensors.tensors.clone();
    for (name, t) in &mut tensors {
        if name == "coef" {
            *t = Tensor::from_vec(vec![0.5f64; p - 1], [1, p - 1]).unwrap();
        }
    }
    let bad = temp("bad.axon");
    let (kind, blocks) = (ModelKind::SparseLinear, file.tensors.bytes.clone());
    let save = |tensors: &[(String, Tensor)], blocks: &[(String, Vec<u8>)]| {
        save_model_with_bytes(&bad, kind, &file.model, &file.settings, tensors, blocks).unwrap()
    };
    save(&tensors, &blocks);
    let err = SavedModel::load(&bad).err().expect("a coef of the wrong shape loads").to_string();
    assert!(err.contains("do not agree"), "{err}");
    // and an idf tensor gone
    tensors.retain(|(n, _)| !n.ends_with(".idf"));
    save(&tensors, &blocks);
    let err = SavedModel::load(&bad).err().expect("a model without its idf loads").to_string();
    assert!(err.contains("text.0.idf"), "{err}");
    // and the vocabulary's term block gone
    save(&file.tensors.tensors, &[]);
    let err = SavedModel::load(&bad).err().expect("a model without its terms loads").to_string();
    assert!(err.contains("no terms are stored") && err.contains("`text`"), "{err}");
}

#[test]
fn several_text_columns_are_stacked_under_their_names() {
    let s = split();
    let hashed = TextSpec {
        column: "group".into(),
        analyzer: Analyzer::default(),
        terms: TermSpec::Hashing { bits: 4, alternate_sign: true },
        weighting: Weighting::Counts,
    };
    let specs = [spec(Weighting::Counts), hashed];
    let (encoder, x) = SparseEncoder::fit_transform(&specs, &s.train).unwrap();
    let vocabulary = encoder.text[0].n_features();
    assert_eq!(x.n_cols(), vocabulary + 16);
    assert_eq!(encoder.n_features(), x.n_cols());
    assert!(encoder.feature_name(0).starts_with("text:"));
    assert_eq!(encoder.feature_name(vocabulary + 3), "group:#3");
    // the second block is the hashed group column alone, shifted past the vocabulary
    let alone = SparseEncoder::fit_transform(&specs[1..], &s.train).unwrap().1;
    for i in 0..x.n_rows() {
        let (cols, vals) = x.row(i);
        let k = cols.iter().position(|&j| j as usize >= vocabulary).unwrap_or(cols.len());
        let (a_cols, a_vals) = alone.row(i);
        let shifted: Vec<u32> = a_cols.iter().map(|&j| j + vocabulary as u32).collect();
        assert_eq!((&cols[k..], &vals[k..]), (shifted.as_slice(), a_vals));
    }
    assert_eq!(encoder.transform(&s.train).unwrap(), x);
    let err = SparseEncoder::fit(&[spec(Weighting::Counts), spec(Weighting::Binary)], &s.train);
    assert!(err.unwrap_err().to_string().contains("named twice"));
}
