//! A spam filter in a few library calls, on the 300 e-mails of `data/spam_sample.csv.gz`: every
//! fifth e-mail is held out; a [`SparseEncoder`] turns the `text` column of the others into
//! tf-idf weights of unigrams and bigrams seen in at least two e-mails (scikit-learn's
//! `TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True)`), the L2 logit (`C = 10`)
//! is fitted on them by trust-region Newton, and the model is saved and loaded as `axon predict`
//! would. Multinomial Naive Bayes on the counts is the baseline.
//!
//! The example checks what must hold whatever the data: every tf-idf row has unit L2 norm, the
//! loaded model gives the probabilities of the fitted one bit for bit, both classifiers beat
//! predicting the majority class on the held-out e-mails, and it prints their accuracies and the
//! words that point most towards spam.
//!
//! Run with `cargo run --release -p axon --example spam_tfidf`.

use std::path::PathBuf;

use axon::data::{read_table, Examples, Features, Frame, ReadOptions};
use axon::linear::{fit_sparse_logit, SparseLinearModel, SparseLogitOptions};
use axon::model::SavedModel;
use axon::naive_bayes::{NaiveBayes, NbKind};
use axon::text::{Analyzer, DocFreq, SparseEncoder, TermSpec, TextSpec, TfidfOptions, Weighting};

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

fn is_spam(frame: &Frame) -> axon::Result<Vec<u32>> {
    let label = frame.column("label")?;
    Ok((0..frame.n_rows).map(|i| u32::from(label.label(i) == "spam")).collect())
}

fn accuracy(pred: impl Iterator<Item = u32>, y: &[u32]) -> f64 {
    pred.zip(y).filter(|(p, y)| p == *y).count() as f64 / y.len() as f64
}

fn main() -> axon::Result<()> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let frame = read_table(root.join("data/spam_sample.csv.gz"), &ReadOptions::default())?;
    let (test_rows, train_rows): (Vec<usize>, Vec<usize>) =
        (0..frame.n_rows).partition(|i| i % 5 == 0);
    let (train, test) = (frame.take_rows(&train_rows), frame.take_rows(&test_rows));
    let (y_train, y_test) = (is_spam(&train)?, is_spam(&test)?);

    let tfidf = Weighting::Tfidf(TfidfOptions { sublinear_tf: true, ..TfidfOptions::default() });
    let (encoder, x) = SparseEncoder::fit_transform(&[spec(tfidf)], &train)?;
    for i in 0..x.n_rows() {
        let norm = x.row(i).1.iter().map(|v| v * v).sum::<f64>().sqrt();
        assert!((norm - 1.0).abs() < 1e-12, "row {i} has norm {norm}");
    }
    let y: Vec<f64> = y_train.iter().map(|&c| f64::from(c)).collect();
    let fit =
        fit_sparse_logit(&x, &y, None, &SparseLogitOptions { alpha: 0.1, ..Default::default() })?;
    let classes = vec!["ham".to_owned(), "spam".to_owned()];
    let model =
        SparseLinearModel::from_logit(encoder, "label".into(), classes, &fit, Default::default())?;
    let fitted = model.predict_proba_design(&model.encoder.transform(&test)?)?;

    let path = std::env::temp_dir().join(format!("spam_tfidf-{}.axon", std::process::id()));
    model.save(&path)?;
    let examples = Examples {
        path: "held-out rows".into(),
        features: Features::Table(test.clone()),
        labels: None,
        target: "label".into(),
        dropped_rows: 0,
    };
    let loaded = SavedModel::load(&path)?.scores(&examples, false)?.proba;
    let _ = std::fs::remove_file(&path);
    assert_eq!(loaded, fitted, "the loaded model must score as the fitted one");
    let logit_acc = accuracy(loaded.chunks(2).map(|p| u32::from(p[1] >= 0.5)), &y_test);

    let (counts, xc) = SparseEncoder::fit_transform(&[spec(Weighting::Counts)], &train)?;
    let nb = NaiveBayes::fit(NbKind::Multinomial, 1.0, &xc, &y_train)?;
    let nb_acc = accuracy(nb.predict(&counts.transform(&test)?)?.into_iter(), &y_test);

    let spam_share = y_test.iter().sum::<u32>() as f64 / y_test.len() as f64;
    let majority = spam_share.max(1.0 - spam_share);
    println!(
        "{} training, {} held-out e-mails; {} features",
        train.n_rows,
        test.n_rows,
        x.n_cols()
    );
    println!("held-out accuracy: tf-idf logit {logit_acc:.4}, Naive Bayes {nb_acc:.4}, majority {majority:.4}");
    assert!(logit_acc > majority && nb_acc > majority, "both must beat the majority class");
    let mut order: Vec<usize> = (0..fit.coef.len()).collect();
    order.sort_by(|&a, &b| fit.coef[b].total_cmp(&fit.coef[a]));
    let top: Vec<String> = order.iter().take(8).map(|&j| model.encoder.feature_name(j)).collect();
    println!("towards spam: {}", top.join(", "));
    Ok(())
}
