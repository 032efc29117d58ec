//! `axon train --text COL --encoder DIR [--fine-tune [--freeze-layers K]]` on the tiny random
//! BERT fixture (`crates/axon/tests/fixtures/tiny_bert`) and a small labelled text file made
//! here: fine-tuning lowers the training loss; the saved `bert-classifier` file makes `axon
//! predict` give on raw text the probabilities the library computes in this process from the
//! same file; frozen layers (and, without --fine-tune, the whole encoder) are bit-identical in
//! the saved file to the fixture's weights while the rest moved; the same seed writes the same
//! bytes; flags that do not apply are refused.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use axon::data::{read_table, ReadOptions};
use axon::io::load_safetensors;
use axon::nn::bert::BertClassifier;
use axon::Tensor;
use common::{error, ok_json, ok_stdout, predictions, temp_dir, train_json};

const TINY: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../axon/tests/fixtures/tiny_bert");

/// 48 short texts of two kinds (words of the fixture's vocabulary), in a mixed order.
fn texts_csv(dir: &Path) -> PathBuf {
    let spam = ["free money now", "click here to win", "win free spam now", "money money click"];
    let ham = ["the cat sat on the mat", "the dog was happy", "a cat and a dog", "hello world"];
    let mut csv = String::from("label,text\n");
    for i in 0..24 {
        let (s, h) = (spam[i % 4], ham[(i * 3) % 4]);
        csv.push_str(&format!("spam,\"{s} {}\"\nham,\"{h} {}\"\n", i % 3, i % 2));
    }
    let path = dir.join("texts.csv");
    std::fs::write(&path, csv).unwrap();
    path
}

fn args<'a>(data: &'a str, out: &'a str, extra: &[&'a str]) -> Vec<&'a str> {
    let mut a = vec![
        "--data",
        data,
        "--target",
        "label",
        "--text",
        "text",
        "--encoder",
        TINY,
        "--batch-size",
        "8",
        "--seed",
        "5",
        "--out",
        out,
    ];
    a.extend_from_slice(extra);
    a
}

fn tensors(path: &str) -> BTreeMap<String, Tensor> {
    load_safetensors(path).unwrap().tensors.into_iter().collect()
}

fn same(a: &Tensor, b: &Tensor) -> bool {
    a.dims() == b.dims() && a.to_f64_vec() == b.to_f64_vec()
}

#[test]
fn fine_tuning_lowers_the_loss_and_predict_gives_the_library_probabilities() {
    let dir = temp_dir("train-encoder");
    let data = texts_csv(&dir);
    let data = data.to_str().unwrap();
    let model = dir.join("bert.axon");
    let model = model.to_str().unwrap();
    let report = train_json(&args(
        data,
        model,
        &["--fine-tune", "--lr", "1e-2", "--warmup-steps", "2", "--epochs", "6"],
    ));
    assert_eq!(report["fine_tune"], true);
    assert_eq!(report["warmup_steps"], 2);
    let epochs = report["epochs"].as_array().unwrap();
    assert_eq!(epochs.len(), 6);
    let loss = |e: &serde_json::Value| e["train_loss"].as_f64().unwrap();
    let (first, last) = (loss(&epochs[0]), loss(&epochs[5]));
    assert!(last < 0.5 * first, "training loss {first} → {last}");
    assert!(report["test_accuracy"].as_f64().unwrap() >= 0.8, "{report}");
    assert!(Path::new(&format!("{model}.run.json")).is_file());

    let (header, rows) =
        predictions(&ok_stdout(&["predict", "--model", model, "--data", data, "--proba"]));
    assert_eq!(header, ["prediction", "p_ham", "p_spam"]);
    let classifier = BertClassifier::load_saved(model).unwrap();
    let frame = read_table(data, &ReadOptions { missing: Vec::new(), ..Default::default() });
    let frame = frame.unwrap();
    let column = frame.column("text").unwrap();
    let texts: Vec<String> = (0..frame.n_rows).map(|i| column.label(i).into_owned()).collect();
    let texts: Vec<&str> = texts.iter().map(String::as_str).collect();
    let (proba, _) = classifier.predict_proba(&texts, 5).unwrap();
    assert_eq!(rows.len(), 48);
    for (i, (label, p)) in rows.iter().enumerate() {
        assert!((p[0] - proba[2 * i]).abs() < 1e-6 && (p[1] - proba[2 * i + 1]).abs() < 1e-6);
        assert_eq!(label, if proba[2 * i + 1] > proba[2 * i] { "spam" } else { "ham" });
    }
    let summary = ok_json(&["summary", model, "--json"]);
    assert_eq!(summary["kind"], "bert-classifier");
    let eval = ok_json(&["eval", "--model", model, "--data", data, "--json"]);
    assert!(eval["accuracy"].as_f64().unwrap() >= 0.8, "{eval}");

    // The encoder's tensors under Hugging Face's names moved; the pooler (unused) did not.
    let (saved, fixture) = (tensors(model), tensors(&format!("{TINY}/model.safetensors")));
    for (name, t) in &fixture {
        let moved = !same(&saved[&format!("bert.{name}")], t);
        assert_eq!(moved, !name.starts_with("pooler."), "{name}");
    }
}

#[test]
fn frozen_layers_are_bit_identical_in_the_saved_file() {
    let dir = temp_dir("train-encoder-frozen");
    let data = texts_csv(&dir);
    let data = data.to_str().unwrap();
    let fixture = tensors(&format!("{TINY}/model.safetensors"));
    for (extra, frozen_layers) in [(&["--fine-tune", "--freeze-layers", "1"][..], 1), (&[][..], 2)]
    {
        let model = dir.join(format!("frozen{frozen_layers}.axon"));
        let model = model.to_str().unwrap();
        let mut all = extra.to_vec();
        all.extend(["--lr", "3e-3", "--epochs", "2"]);
        train_json(&args(data, model, &all));
        let saved = tensors(model);
        for (name, t) in &fixture {
            let layer = name.strip_prefix("encoder.layer.").and_then(|r| r.split('.').next());
            let frozen = name.starts_with("embeddings.")
                || name.starts_with("pooler.")
                || layer.is_some_and(|i| i.parse::<usize>().unwrap() < frozen_layers);
            assert_eq!(same(&saved[&format!("bert.{name}")], t), frozen, "{name} ({extra:?})");
        }
        assert_eq!(saved["classifier.weight"].dims(), [2, 16]);
    }
}

#[test]
fn the_same_seed_writes_the_same_file() {
    let dir = temp_dir("train-encoder-seed");
    let data = texts_csv(&dir);
    let data = data.to_str().unwrap();
    let model = dir.join("m.axon");
    let model = model.to_str().unwrap();
    let run = || {
        train_json(&args(data, model, &["--fine-tune", "--epochs", "2", "--warmup-ratio", "0.1"]));
        std::fs::read(model).unwrap()
    };
    let (first, second) = (run(), run());
    assert!(first == second, "two runs with seed 5 wrote different files");
    let mut other = args(data, model, &["--fine-tune", "--epochs", "2", "--warmup-ratio", "0.1"]);
    other[11] = "6";
    train_json(&other);
    assert!(std::fs::read(model).unwrap() != first, "another seed wrote the same file");
}

#[test]
fn flags_that_do_not_apply_are_refused() {
    let dir = temp_dir("train-encoder-flags");
    let data = texts_csv(&dir);
    let data = data.to_str().unwrap();
    let out = dir.join("x.axon");
    let out = out.to_str().unwrap();
    let mut train = vec!["train"];
    let base = args(data, out, &[]);
    train.extend(&base);
    for (extra, needle) in [
        (&["--model", "mlp:8"][..], "--model"),
        (&["--optimizer", "sgd"][..], "--optimizer sgd"),
        (&["--fine-tune", "--freeze-layers", "3"][..], "freeze_layers"),
        (&["--ngram", "2"][..], "--ngram"),
        (&["--text", "label"][..], "one --text column"),
        (&["--fine-tune", "--warmup-steps", "1000"][..], "warmup_steps"),
    ] {
        let mut a = train.clone();
        a.extend(extra);
        let message = error(&a);
        assert!(message.contains(needle), "{extra:?}: {message}");
    }
    // --freeze-layers without --fine-tune, --fine-tune without --encoder: clap refuses them.
    let mut a = train.clone();
    a.extend(["--freeze-layers", "1"]);
    assert!(common::axon(&a).status.code() != Some(0));
    let missing = dir.join("missing");
    let mut a = train.clone();
    a[8] = missing.to_str().unwrap();
    assert!(error(&a).contains("missing"));
}

#[test]
fn a_checkpoint_resumes_the_run() {
    let dir = temp_dir("train-encoder-resume");
    let data = texts_csv(&dir);
    let data = data.to_str().unwrap();
    let (model, checkpoint) = (dir.join("m.axon"), dir.join("m.ckpt"));
    let (model, checkpoint) = (model.to_str().unwrap(), checkpoint.to_str().unwrap());
    let extra = ["--fine-tune", "--lr", "1e-2", "--checkpoint", checkpoint];
    let mut first = extra.to_vec();
    first.extend(["--epochs", "1"]);
    let one = train_json(&args(data, model, &first));
    assert!(Path::new(checkpoint).is_file());
    let mut second = extra.to_vec();
    second.extend(["--epochs", "2", "--resume"]);
    let two = train_json(&args(data, model, &second));
    let epochs = two["epochs"].as_array().unwrap();
    assert_eq!(epochs.len(), 2);
    assert_eq!(epochs[0], one["epochs"][0], "the first epoch comes from the checkpoint");
}
