//! `axon embed` on the tiny random BERT fixture (`crates/axon/tests/fixtures/tiny_bert`): the
//! CSV, Parquet and safetensors outputs hold sentence-transformers' embeddings of the text column (the
//! fixture's `reference.json`) row for row, and bad arguments are errors naming them.

mod common;

use std::path::PathBuf;

use common::{error, ok_stdout};
use serde_json::Value;

const TINY: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../axon/tests/fixtures/tiny_bert");

fn reference() -> Value {
    let text = std::fs::read_to_string(format!("{TINY}/reference.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

/// A scratch directory holding `texts.csv`: an id column and the fixture's sentences.
fn scratch(name: &str) -> (PathBuf, Vec<String>) {
    let dir = std::env::temp_dir().join(format!("axon-embed-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let r = reference();
    let sentences: Vec<String> =
        r["sentences"].as_array().unwrap().iter().map(|s| s.as_str().unwrap().into()).collect();
    let mut csv = String::from("id,sentence\n");
    for (i, s) in sentences.iter().enumerate() {
        csv.push_str(&format!("{i},\"{}\"\n", s.replace('"', "\"\"")));
    }
    std::fs::write(dir.join("texts.csv"), csv).unwrap();
    (dir, sentences)
}

fn want() -> Vec<Vec<f64>> {
    reference()["embeddings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|row| row.as_array().unwrap().iter().map(|x| x.as_f64().unwrap()).collect())
        .collect()
}

fn assert_close(got: &[Vec<f64>], want: &[Vec<f64>]) {
    assert_eq!(got.len(), want.len());
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        assert_eq!(g.len(), w.len());
        let d = g.iter().zip(w).map(|(a, b)| (a - b).abs()).fold(0.0, f64::max);
        assert!(d <= 1e-5, "row {i}: {d}");
    }
}

#[test]
fn embed_writes_sentence_transformers_embeddings_as_csv_and_safetensors() {
    let (dir, sentences) = scratch("ok");
    let data = dir.join("texts.csv");
    let csv = dir.join("emb.csv");
    let args = ["embed", "--model", TINY, "--data", data.to_str().unwrap(), "--text", "sentence"];
    let run = |out: &PathBuf, batch: &str| {
        let mut a = args.to_vec();
        a.extend(["--batch-size", batch, "--out", out.to_str().unwrap()]);
        ok_stdout(&a)
    };
    assert_eq!(run(&csv, "2"), "");
    let text = std::fs::read_to_string(&csv).unwrap();
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    assert_eq!(header, (0..16).map(|j| format!("e{j}")).collect::<Vec<_>>());
    let rows: Vec<Vec<f64>> =
        lines.map(|l| l.split(',').map(|x| x.parse().unwrap()).collect()).collect();
    assert_eq!(rows.len(), sentences.len());
    assert_close(&rows, &want());

    let st = dir.join("emb.safetensors");
    run(&st, "64");
    let file = axon::io::load_safetensors(&st).unwrap();
    let t = file.tensor("embeddings").unwrap();
    assert_eq!(t.dims(), [sentences.len(), 16]);
    let rows: Vec<Vec<f64>> = t.to_f64_vec().chunks(16).map(<[f64]>::to_vec).collect();
    assert_close(&rows, &want());
    assert_eq!(file.metadata["text_column"], "sentence");

    let pq = dir.join("emb.parquet");
    run(&pq, "64");
    let frame = axon::data::read_table(&pq, &axon::data::ReadOptions::default()).unwrap();
    assert_eq!(frame.names, (0..16).map(|j| format!("e{j}")).collect::<Vec<_>>());
    assert_eq!(frame.n_rows, sentences.len());
    let columns: Vec<&[f64]> =
        frame.columns.iter().map(|c| c.as_numeric().expect("a float column")).collect();
    let rows: Vec<Vec<f64>> =
        (0..frame.n_rows).map(|i| columns.iter().map(|c| c[i]).collect()).collect();
    assert_close(&rows, &want());
    // The same f32 numbers as the safetensors file, bit for bit.
    let st: Vec<f64> = t.to_f64_vec();
    assert_eq!(rows.concat(), st);
    std::fs::remove_dir_all(&dir).unwrap();
}

fn joined<'a>(a: &[&'a str], b: &[&'a str]) -> Vec<&'a str> {
    [a, b].concat()
}

#[test]
fn embed_names_a_bad_argument() {
    let (dir, _) = scratch("bad");
    let data = dir.join("texts.csv");
    let data = data.to_str().unwrap();
    let out = dir.join("emb.csv");
    let out = out.to_str().unwrap();
    let base = ["embed", "--model", TINY, "--data", data];
    let err = error(&joined(&base, &["--text", "body", "--out", out]));
    assert!(err.contains("body"), "{err}");
    let err = error(&joined(&base, &["--text", "sentence", "--out", "emb.json"]));
    assert!(err.contains("--out emb.json"), "{err}");
    let err = error(&joined(&base, &["--text", "sentence", "--batch-size", "0", "--out", out]));
    assert!(err.contains("--batch-size 0"), "{err}");
    let missing = dir.join("no-model");
    let missing = missing.to_str().unwrap();
    let err =
        error(&["embed", "--model", missing, "--data", data, "--text", "sentence", "--out", out]);
    assert!(err.contains("no-model"), "{err}");
    assert!(!dir.join("emb.csv").exists());
    std::fs::remove_dir_all(&dir).unwrap();
}
