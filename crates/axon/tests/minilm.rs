//! all-MiniLM-L6-v2, the real model: axon's token ids equal the Python tokenizer's and its
//! embeddings of 50 varied sentences (other scripts, emoji, an empty string, inputs truncated
//! at 256 tokens) agree with `SentenceTransformer.encode`'s (`tests/fixtures/minilm_50.*`, by
//! `scripts/reference/minilm_fixture.py`) to 1e-5 per component (the bound) and cosine 0.9999.
//!
//! The model is not in the repository: `scripts/fetch_models.sh` puts it in
//! `${AXON_HOME:-~/.cache/axon}/models/all-MiniLM-L6-v2`. Without it the tests say so loudly and
//! pass, unless `AXON_REQUIRE_MODELS=1` (as CI sets after fetching), when they fail.

use std::path::PathBuf;

use axon::io::load_safetensors;
use axon::nn::bert::SentenceEncoder;
use serde_json::Value;

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures");

/// The fetched model directory, or `None` (after saying so) when it is absent and allowed to be.
fn model_dir() -> Option<PathBuf> {
    let home = std::env::var_os("AXON_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache/axon")))
        .unwrap_or_default();
    let dir = home.join("models/all-MiniLM-L6-v2");
    if dir.join("model.safetensors").is_file() {
        return Some(dir);
    }
    if std::env::var("AXON_REQUIRE_MODELS").is_ok_and(|v| v == "1") {
        panic!(
            "AXON_REQUIRE_MODELS=1 but {} is missing: run scripts/fetch_models.sh",
            dir.display()
        );
    }
    eprintln!(
        "\n!!! SKIPPED: all-MiniLM-L6-v2 is not at {}; run scripts/fetch_models.sh to test the \
         real model !!!\n",
        dir.display()
    );
    None
}

fn fixture() -> (Vec<String>, Vec<Vec<u32>>, Vec<f32>) {
    let text = std::fs::read_to_string(format!("{FIXTURES}/minilm_50.json")).unwrap();
    let json: Value = serde_json::from_str(&text).unwrap();
    let sentences =
        json["sentences"].as_array().unwrap().iter().map(|s| s.as_str().unwrap().into()).collect();
    let ids = json["token_ids"]
        .as_array()
        .unwrap()
        .iter()
        .map(|row| row.as_array().unwrap().iter().map(|i| i.as_u64().unwrap() as u32).collect())
        .collect();
    let file = load_safetensors(format!("{FIXTURES}/minilm_50.safetensors")).unwrap();
    let embeddings = file.tensor("embeddings").unwrap().to_vec::<f32>().unwrap();
    (sentences, ids, embeddings)
}

#[test]
fn minilm_token_ids_equal_the_python_tokenizers() {
    let Some(dir) = model_dir() else { return };
    let encoder = SentenceEncoder::load(&dir).unwrap();
    assert_eq!(encoder.tokenizer().max_length(), 256);
    let (sentences, want, _) = fixture();
    let texts: Vec<&str> = sentences.iter().map(String::as_str).collect();
    let got = encoder.tokenizer().token_ids(&texts).unwrap();
    for (i, (g, w)) in got.iter().zip(&want).enumerate() {
        assert_eq!(g, w, "sentence {i}: {:?}", texts[i]);
    }
    assert!(got.iter().filter(|ids| ids.len() == 256).count() >= 3, "no truncated input");
}

#[test]
fn minilm_embeddings_agree_with_sentence_transformers() {
    let Some(dir) = model_dir() else { return };
    let encoder = SentenceEncoder::load(&dir).unwrap();
    assert_eq!(encoder.dim(), 384);
    let (sentences, _, want) = fixture();
    let texts: Vec<&str> = sentences.iter().map(String::as_str).collect();
    let got = encoder.embed(&texts, 16).unwrap().to_vec::<f32>().unwrap();
    assert_eq!(got.len(), want.len());
    let (mut worst, mut worst_cos) = (0f64, 1f64);
    for (i, (g, w)) in got.chunks(384).zip(want.chunks(384)).enumerate() {
        let diff = g.iter().zip(w).map(|(a, b)| f64::from((a - b).abs())).fold(0.0, f64::max);
        let dot: f64 = g.iter().zip(w).map(|(a, b)| f64::from(*a) * f64::from(*b)).sum();
        let norm = |v: &[f32]| v.iter().map(|a| f64::from(*a).powi(2)).sum::<f64>().sqrt();
        let cos = dot / (norm(g) * norm(w));
        assert!(diff <= 1e-5 && cos >= 0.9999, "sentence {i} {:?}: {diff} {cos}", texts[i]);
        (worst, worst_cos) = (worst.max(diff), worst_cos.min(cos));
    }
    println!("50 sentences: largest difference {worst:.2e}, smallest cosine {worst_cos:.8}");
}
