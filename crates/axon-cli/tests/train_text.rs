//! `axon train --text`: an MLP on the bag of words of the spam sample, its first layer reading
//! the sparse rows. Its held-out accuracy is sane; the saved `text-network` file makes `axon
//! predict` give on raw text exactly the probabilities the library computes in this process
//! from the same file; `axon eval` on the held-out rows (the same seeded split, rebuilt here)
//! gives the accuracy the training reported; a file whose description disagrees with its
//! tensors is refused on load; flags that do not apply are refused by name.

mod common;

use axon::cv::train_test_split;
use axon::data::{read_table, CsvWriter, ReadOptions};
use axon::nn::TextNetwork;
use axon::Rng;
use common::{data, error, ok_json, ok_stdout, predictions, temp_dir, train_json};

const SEED: &str = "3";

fn train_args<'a>(path: &'a str, out: &'a str) -> Vec<&'a str> {
    vec![
        "--data",
        path,
        "--target",
        "label",
        "--text",
        "text",
        "--min-df",
        "2",
        "--sublinear-tf",
        "--model",
        "mlp:32",
        "--epochs",
        "15",
        "--batch-size",
        "16",
        "--lr",
        "0.01",
        "--seed",
        SEED,
        "--out",
        out,
    ]
}

#[test]
fn a_bag_of_words_mlp_predicts_raw_text_as_the_library_does() {
    let dir = temp_dir("train-text");
    let path = data("spam_sample.csv.gz");
    let model = dir.join("bow.axon");
    let model = model.to_str().unwrap();
    let report = train_json(&train_args(&path, model));
    let accuracy = report["test_accuracy"].as_f64().unwrap();
    assert!(accuracy >= 0.85, "held-out accuracy {accuracy}");
    assert_eq!(report["test_rows"], 60);
    let epochs = report["epochs"].as_array().unwrap();
    assert_eq!(epochs.len(), 15);
    let (first, last) =
        (epochs[0]["train_loss"].as_f64().unwrap(), epochs[14]["train_loss"].as_f64().unwrap());
    assert!(last < first / 10.0, "training loss {first} → {last}");

    // predict on raw text = the library's probabilities from the same file, in this process.
    let (header, rows) =
        predictions(&ok_stdout(&["predict", "--model", model, "--data", &path, "--proba"]));
    assert_eq!(header, ["prediction", "p_ham", "p_spam"]);
    let net = TextNetwork::load(model).unwrap();
    let read = ReadOptions { missing: Vec::new(), ..ReadOptions::default() };
    let frame = read_table(&path, &read).unwrap();
    let (proba, _) = net.predict_proba_design(&net.encoder.transform(&frame).unwrap()).unwrap();
    assert_eq!(rows.len(), frame.n_rows);
    for (i, (label, p)) in rows.iter().enumerate() {
        assert!((p[0] - proba[2 * i]).abs() < 1e-12 && (p[1] - proba[2 * i + 1]).abs() < 1e-12);
        assert_eq!(label, if proba[2 * i + 1] > proba[2 * i] { "spam" } else { "ham" });
    }

    // eval on the held-out rows of the same seeded split = the accuracy training reported.
    let split =
        train_test_split(frame.n_rows, 0.2, Some(&mut Rng::seed(SEED.parse().unwrap()))).unwrap();
    let test = dir.join("test.csv");
    let mut out = CsvWriter::new(std::fs::File::create(&test).unwrap());
    out.write_row(["label", "text"]).unwrap();
    let (label, text) = (frame.column("label").unwrap(), frame.column("text").unwrap());
    for &r in &split.test {
        out.write_row([label.label(r).into_owned(), text.label(r).into_owned()]).unwrap();
    }
    out.flush().unwrap();
    drop(out);
    let eval = ok_json(&["eval", "--model", model, "--data", test.to_str().unwrap(), "--json"]);
    assert_eq!(eval["kind"], "nn-text-classifier");
    assert!((eval["accuracy"].as_f64().unwrap() - accuracy).abs() < 1e-12);
}

#[test]
fn a_text_network_file_is_checked_on_load() {
    let dir = temp_dir("train-text-check");
    let path = data("spam_sample.csv.gz");
    let model = dir.join("bow.axon");
    let model = model.to_str().unwrap();
    let mut args = train_args(&path, model);
    args[12] = "1"; // one epoch is enough to have a file
    train_json(&args);
    // The description's hidden width (32) made 33: it no longer matches the stored tensors.
    let bytes = std::fs::read(model).unwrap();
    let needle = b"\\\"hidden\\\":[32]";
    let at = bytes.windows(needle.len()).position(|w| w == needle).expect("the hidden width");
    let mut bad = bytes.clone();
    bad[at + needle.len() - 2] = b'3';
    let tampered = dir.join("tampered.axon");
    std::fs::write(&tampered, bad).unwrap();
    let err = error(&["predict", "--model", tampered.to_str().unwrap(), "--data", &path]);
    assert!(err.contains("tampered.axon") && err.contains("0.weight"), "{err}");
}

#[test]
fn flags_that_do_not_apply_to_text_training_are_refused() {
    let path = data("spam_sample.csv.gz");
    let run = |extra: &[&str]| {
        let mut args = vec!["train", "--data", &path, "--target", "label", "--text", "text"];
        args.extend_from_slice(extra);
        error(&args)
    };
    assert!(run(&["--model", "cnn"]).contains("--model cnn"));
    assert!(run(&["--features", "text"]).contains("--features"));
    assert!(run(&["--nb-alpha", "1"]).contains("--nb-alpha"));
    assert!(run(&["--patience", "2"]).contains("--patience"));
    let no_target = error(&["train", "--data", &path, "--text", "text"]);
    assert!(no_target.contains("--target"), "{no_target}");
    let no_text = error(&["train", "--data", &path, "--target", "label", "--min-df", "2"]);
    assert!(no_text.contains("--min-df"), "{no_text}");
}
