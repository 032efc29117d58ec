//! `axon fit --text COL --encoder DIR` end to end on the tiny random BERT fixture
//! (`crates/axon/tests/fixtures/tiny_bert`) and short e-mails of the spam sample: the fit's
//! coefficients are those of `fit_linear` on the matrix of `SentenceEncoder::embed` (1e-10),
//! `axon predict` on the raw text gives the probabilities of that in-process model and of the
//! library's `SavedModel` (1e-12), for the logit, softmax and one-vs-rest with penalties and
//! class weights; a changed or missing encoder file is refused by name (and `--encoder DIR`
//! loads the same files from elsewhere); flags that do not apply are refused by name.

mod common;

use std::path::{Path, PathBuf};

use axon::data::{read_table, Column, CsvWriter, Design, DesignSpec, Frame, Labels, ReadOptions};
use axon::linear::{fit_linear, ClassWeight, LinearKind, LinearOptions, Penalty};
use axon::model::SavedModel;
use axon::nn::bert::SentenceEncoder;
use common::{error, ok_json, ok_stdout, predictions, temp_dir};
use serde_json::Value;

const TINY: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../axon/tests/fixtures/tiny_bert");

/// Rows `rows` of the spam sample (sorted by group): label, group, the first 200 characters of the e-mail, and
/// its length in characters (a numeric column), written to `path`; returns the texts.
fn write_sample(rows: impl Iterator<Item = usize>, path: &Path) -> Vec<String> {
    let frame = read_table(common::data("spam_sample.csv.gz"), &ReadOptions::default()).unwrap();
    let [label, group, text] = ["label", "group", "text"].map(|c| frame.column(c).unwrap());
    let mut out = CsvWriter::new(std::fs::File::create(path).unwrap());
    out.write_row(["label", "group", "text", "len"]).unwrap();
    let mut texts = Vec::new();
    for r in rows {
        let t: String = text.label(r).chars().take(200).collect();
        let len = text.label(r).chars().count().to_string();
        out.write_row([label.label(r).into_owned(), group.label(r).into_owned(), t.clone(), len])
            .unwrap();
        texts.push(t);
    }
    out.flush().unwrap();
    texts
}

/// The training frame of the in-process fit: `text:emb*` columns from `SentenceEncoder::embed`,
/// then the columns of `data` but the text.
fn embedded_frame(data: &Path, texts: &[String]) -> (Frame, Vec<String>) {
    let encoder = SentenceEncoder::load(TINY).unwrap();
    let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
    let e: Vec<f32> = encoder.embed(&refs, 32).unwrap().to_vec().unwrap();
    let d = encoder.dim();
    let mut names: Vec<String> = (0..d).map(|j| format!("text:emb{j}")).collect();
    let mut columns: Vec<Column> = (0..d)
        .map(|j| Column::Numeric(e.iter().skip(j).step_by(d).map(|&v| f64::from(v)).collect()))
        .collect();
    let raw = read_table(data, &ReadOptions::default()).unwrap();
    for name in ["label", "group", "len"] {
        names.push(name.into());
        columns.push(raw.column(name).unwrap().clone());
    }
    let features = names[..d].to_vec();
    (Frame::new(names, columns).unwrap(), features)
}

fn s(p: &Path) -> String {
    p.display().to_string()
}

/// The train and test files and a scratch folder.
fn setup(tag: &str) -> (PathBuf, PathBuf, PathBuf, Vec<String>, Vec<String>) {
    let dir = temp_dir(tag);
    let (train, test) = (dir.join("train.csv"), dir.join("test.csv"));
    let train_texts = write_sample((0..300).step_by(3), &train);
    let test_texts = write_sample((1..300).step_by(5), &test);
    (dir, train, test, train_texts, test_texts)
}

/// `axon predict --proba` of `model` on `test`: each row's probabilities.
fn predicted(model: &Path, test: &Path, extra: &[&str]) -> Vec<Vec<f64>> {
    let mut args = vec!["predict".to_owned(), "--model".into(), s(model), "--data".into(), s(test)];
    args.push("--proba".into());
    args.extend(extra.iter().map(|a| a.to_string()));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    predictions(&ok_stdout(&args)).1.into_iter().map(|(_, p)| p).collect()
}

fn assert_close(got: &[Vec<f64>], want: &[Vec<f64>], tol: f64, what: &str) {
    assert_eq!(got.len(), want.len(), "{what}");
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        assert_eq!(g.len(), w.len(), "{what} row {i}");
        for (a, b) in g.iter().zip(w) {
            assert!((a - b).abs() <= tol, "{what} row {i}: {a} vs {b}");
        }
    }
}

/// The in-process scores of the saved model on `test`.
fn library_scores(model: &Path, test: &Path) -> Vec<Vec<f64>> {
    let model = SavedModel::load(model).unwrap();
    let examples = model.read(test, Labels::Optional, &ReadOptions::default()).unwrap();
    let k = model.classes().len();
    model.scores(&examples, false).unwrap().proba.chunks(k).map(<[f64]>::to_vec).collect()
}

#[test]
fn the_logit_on_embeddings_is_fit_linear_on_the_embedding_matrix_and_predicts_as_the_library() {
    let (dir, train, test, train_texts, test_texts) = setup("encoder-logit");
    let model = dir.join("m.axon");
    let report = ok_json(&[
        "fit",
        "--data",
        &s(&train),
        "--target",
        "label",
        "--text",
        "text",
        "--encoder",
        TINY,
        "--features",
        "len",
        "--standardize",
        "--alpha",
        "0.5",
        "--out",
        &s(&model),
        "--json",
    ]);
    let (frame, mut names) = embedded_frame(&train, &train_texts);
    names.push("len".into());
    let spec = DesignSpec { standardize: true, ..DesignSpec::new("label") }.with_features(&names);
    let design = Design::new(&frame, &spec).unwrap();
    let options = LinearOptions { penalty: Penalty::L2(0.5), ..LinearOptions::default() };
    let fit = fit_linear(LinearKind::Logit, &design, None, &options).unwrap();
    let got = report["coefficients"].as_array().unwrap();
    assert_eq!(got.len(), 18, "intercept, 16 embedding columns, len");
    let coefficients = match &fit {
        axon::linear::LinearFit::Binary(f) => f.coefficients.clone(),
        _ => unreachable!(),
    };
    for (c, (name, b)) in got.iter().zip(design.names.iter().zip(&coefficients)) {
        assert_eq!(c["name"].as_str().unwrap(), name);
        let est = c["estimate"].as_f64().unwrap();
        assert!((est - b).abs() <= 1e-10, "{name}: {est} vs {b}");
    }
    assert_eq!(design.names[1], "text:emb0");

    let linear = fit.to_model(design.encoder, Value::Null).unwrap();
    let (test_frame, _) = embedded_frame(&test, &test_texts);
    let p = linear.predict_proba(&test_frame).unwrap();
    let want: Vec<Vec<f64>> = (0..p.nrows()).map(|i| vec![p[(i, 0)], p[(i, 1)]]).collect();
    let got = predicted(&model, &test, &[]);
    assert_close(&got, &want, 1e-12, "predict against fit_linear");
    assert_close(&library_scores(&model, &test), &want, 1e-12, "SavedModel against fit_linear");

    let eval = ok_json(&["eval", "--model", &s(&model), "--data", &s(&test), "--json"]);
    assert_eq!(eval["kind"], "encoded-logit");
    let summary = ok_json(&["summary", &s(&model), "--json"]);
    let files = summary["text_encoder"]["files"].as_array().unwrap();
    assert!(files.iter().any(|f| f["path"] == "model.safetensors"), "{summary}");
    assert!(files.iter().all(|f| f["sha256"].as_str().unwrap().len() == 64));
    let text = ok_stdout(&[
        "fit",
        "--data",
        &s(&train),
        "--target",
        "label",
        "--text",
        "text",
        "--encoder",
        TINY,
    ]);
    assert!(text.contains("Largest embedding coefficients towards spam (of 16)"), "{text}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn softmax_and_ovr_with_penalties_and_class_weights_predict_as_the_library() {
    let (dir, train, test, train_texts, test_texts) = setup("encoder-multi");
    let (frame, names) = embedded_frame(&train, &train_texts);
    let (test_frame, _) = embedded_frame(&test, &test_texts);
    let cases: [(&[&str], LinearKind, LinearOptions); 3] = [
        (
            &["--model", "softmax", "--alpha", "0.2"],
            LinearKind::Softmax,
            LinearOptions { penalty: Penalty::L2(0.2), ..LinearOptions::default() },
        ),
        (
            &["--model", "ovr", "--penalty", "l1", "--alpha", "0.05", "--class-weight", "balanced"],
            LinearKind::Ovr,
            LinearOptions {
                penalty: Penalty::L1(0.05),
                class_weight: ClassWeight::Balanced,
                ..LinearOptions::default()
            },
        ),
        (
            &[
                "--model",
                "logit",
                "--penalty",
                "elasticnet",
                "--alpha",
                "0.05",
                "--target",
                "label",
            ],
            LinearKind::Logit,
            LinearOptions {
                penalty: Penalty::ElasticNet { alpha: 0.05, l1_ratio: 0.5 },
                ..LinearOptions::default()
            },
        ),
    ];
    for (i, (flags, kind, options)) in cases.into_iter().enumerate() {
        let model = dir.join(format!("m{i}.axon"));
        let target = if kind == LinearKind::Logit { "label" } else { "group" };
        let mut args = vec!["fit", "--data", train.to_str().unwrap(), "--text", "text"];
        let m = s(&model);
        args.extend(["--encoder", TINY, "--out", &m]);
        args.extend(flags);
        if !flags.contains(&"--target") {
            args.extend(["--target", target]);
        }
        ok_stdout(&args);
        let spec = DesignSpec::new(target).with_features(&names);
        let design = Design::new(&frame, &spec).unwrap();
        let fit = fit_linear(kind, &design, None, &options).unwrap();
        let linear = fit.to_model(design.encoder, Value::Null).unwrap();
        let p = linear.predict_proba(&test_frame).unwrap();
        let want: Vec<Vec<f64>> =
            (0..p.nrows()).map(|r| (0..p.ncols()).map(|c| p[(r, c)]).collect()).collect();
        assert!(want[0].len() == if kind == LinearKind::Logit { 2 } else { 5 });
        assert_close(&predicted(&model, &test, &[]), &want, 1e-12, &format!("{flags:?}"));
        assert_close(&library_scores(&model, &test), &want, 1e-12, &format!("{flags:?}"));
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Copies the fixture's files (and folders) into `to`.
fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

#[test]
fn a_changed_or_missing_encoder_file_is_refused_by_name() {
    let (dir, train, test, _, _) = setup("encoder-changed");
    let encoder = dir.join("encoder");
    copy_dir(Path::new(TINY), &encoder);
    let model = dir.join("m.axon");
    ok_stdout(&[
        "fit",
        "--data",
        &s(&train),
        "--target",
        "label",
        "--text",
        "text",
        "--encoder",
        &s(&encoder),
        "--alpha",
        "1",
        "--out",
        &s(&model),
    ]);
    let want = predicted(&model, &test, &[]);
    // The same files elsewhere: --encoder loads them.
    assert_close(&predicted(&model, &test, &["--encoder", TINY]), &want, 0.0, "--encoder");

    let tokenizer = encoder.join("tokenizer.json");
    let mut text = std::fs::read_to_string(&tokenizer).unwrap();
    text.push('\n');
    std::fs::write(&tokenizer, text).unwrap();
    let predict = ["predict", "--model", &s(&model), "--data", &s(&test)];
    let err = error(&predict);
    assert!(err.contains("tokenizer.json") && err.contains("changed since the fit"), "{err}");
    let err = error(&["eval", "--model", &s(&model), "--data", &s(&test)]);
    assert!(err.contains("tokenizer.json"), "{err}");
    let mut with_tiny = predict.to_vec();
    with_tiny.extend(["--encoder", TINY]);
    ok_stdout(&with_tiny);

    std::fs::copy(Path::new(TINY).join("tokenizer.json"), &tokenizer).unwrap();
    ok_stdout(&predict);
    std::fs::remove_file(encoder.join("1_Pooling/config.json")).unwrap();
    let err = error(&predict);
    assert!(err.contains("1_Pooling/config.json") && err.contains("missing"), "{err}");
    std::fs::remove_dir_all(&encoder).unwrap();
    let err = error(&predict);
    assert!(err.contains("modules.json") && err.contains("missing"), "{err}");
    let err = error(&[
        "predict",
        "--model",
        &s(&model),
        "--data",
        &s(&test),
        "--encoder",
        &s(&dir.join("elsewhere")),
    ]);
    assert!(err.contains("elsewhere"), "{err}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn flags_that_do_not_apply_to_an_encoder_fit_are_refused_by_name() {
    let dir = temp_dir("encoder-flags");
    let train = dir.join("train.csv");
    write_sample((0..300).step_by(10), &train);
    let train = s(&train);
    let base = ["fit", "--data", train.as_str(), "--target", "label", "--encoder", TINY];
    let cases: [(&[&str], &str); 10] = [
        (&[], "--text COL"),
        (&["--text", "text", "--ngram", "2"], "--ngram"),
        (&["--text", "text", "--hash-bits", "10"], "--hash-bits"),
        (&["--text", "text", "--model", "nb"], "--model nb"),
        (&["--text", "text", "--model", "ols"], "--model ols"),
        (&["--text", "text", "--poly", "2"], "--poly"),
        (&["--text", "text", "--stream"], "--stream"),
        (&["--text", "text", "--features", "text"], "--features text"),
        (&["--text", "text", "--features", "group"], "--features group"),
        (&["--text", "text", "--embed-batch", "0"], "--embed-batch 0"),
    ];
    for (extra, want) in cases {
        let mut args = base.to_vec();
        args.extend_from_slice(extra);
        let err = error(&args);
        assert!(err.contains(want), "{args:?}: {err}");
    }
    let err = error(&[
        "fit",
        "--data",
        &train,
        "--target",
        "label",
        "--text",
        "text",
        "--embed-batch",
        "8",
    ]);
    assert!(err.contains("--embed-batch"), "{err}");
    std::fs::remove_dir_all(&dir).unwrap();
}
