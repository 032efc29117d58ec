//! The BERT encoder, its tokenizer and sentence pooling against Hugging Face's on a tiny random
//! BERT (`tests/fixtures/tiny_bert/`, written with `transformers` and `sentence-transformers`
//! by `scripts/reference/tiny_bert.py`, with its outputs in `reference.json`): token ids equal
//! exactly, hidden states, pooler output and sentence embeddings agree to 1e-5. A task model's
//! file (`bert.` prefix and a head) loads the same, `save_module` writes Hugging Face's names
//! back, and every defect of a directory is an error naming the file and the tensor or key.

use std::path::{Path, PathBuf};

use axon::io::{load_safetensors, save_module, save_safetensors};
use axon::nn::bert::{BertConfig, BertModel, Pooling, PoolingMode, SentenceEncoder};
use axon::nn::Module;
use axon::{no_grad, Tensor};
use serde_json::Value;

const TINY: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/tiny_bert");
const TOL: f64 = 1e-5;

fn reference() -> Value {
    let text = std::fs::read_to_string(format!("{TINY}/reference.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

fn floats(v: &Value) -> Vec<f64> {
    match v {
        Value::Array(items) => items.iter().flat_map(floats).collect(),
        other => vec![other.as_f64().unwrap()],
    }
}

fn ints(v: &Value) -> Vec<i64> {
    floats(v).into_iter().map(|x| x as i64).collect()
}

fn sentences(r: &Value) -> Vec<String> {
    r["sentences"].as_array().unwrap().iter().map(|s| s.as_str().unwrap().to_owned()).collect()
}

fn worst(got: &[f64], want: &[f64]) -> f64 {
    assert_eq!(got.len(), want.len());
    got.iter().zip(want).map(|(g, w)| (g - w).abs()).fold(0.0, f64::max)
}

/// The reference batch: ids and mask `(B, L)`.
fn batch(r: &Value) -> (Tensor, Tensor) {
    let rows = r["input_ids"].as_array().unwrap();
    let (b, l) = (rows.len(), rows[0].as_array().unwrap().len());
    let ids = Tensor::from_vec(ints(&r["input_ids"]), [b, l]).unwrap();
    let mask = Tensor::from_vec(ints(&r["attention_mask"]), [b, l]).unwrap();
    (ids, mask)
}

/// A fresh copy of the fixture directory, to break.
fn copy_of_fixture(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("axon-bert-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    copy_dir(Path::new(TINY), &dir);
    dir
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let path = entry.unwrap().path();
        let target = to.join(path.file_name().unwrap());
        if path.is_dir() {
            copy_dir(&path, &target);
        } else {
            std::fs::copy(&path, &target).unwrap();
        }
    }
}

/// Rewrites `dir/model.safetensors` through `edit` of its named tensors.
fn edit_weights(dir: &Path, edit: impl FnOnce(&mut Vec<(String, Tensor)>)) {
    let path = dir.join("model.safetensors");
    let mut tensors = load_safetensors(&path).unwrap().tensors;
    edit(&mut tensors);
    save_safetensors(&path, &tensors, &Default::default()).unwrap();
}

fn hidden_state(model: &BertModel, r: &Value) -> Vec<f64> {
    let (ids, mask) = batch(r);
    no_grad(|| model.forward_masked(&ids, Some(&mask), None)).unwrap().to_f64_vec()
}

#[test]
fn token_ids_equal_the_python_tokenizers() {
    let r = reference();
    let encoder = SentenceEncoder::load(TINY).unwrap();
    assert_eq!(encoder.tokenizer().max_length(), r["max_seq_length"].as_u64().unwrap() as usize);
    let texts = sentences(&r);
    let texts: Vec<&str> = texts.iter().map(String::as_str).collect();
    let ids = encoder.tokenizer().token_ids(&texts).unwrap();
    for (i, (got, want)) in ids.iter().zip(r["token_ids"].as_array().unwrap()).enumerate() {
        let want: Vec<u32> = ints(want).into_iter().map(|x| x as u32).collect();
        assert_eq!(got, &want, "sentence {i}: {:?}", texts[i]);
    }
    // Unknown words and characters become [UNK] (id 1); the long sentence is truncated.
    assert!(ids.iter().flatten().any(|&id| id == 1));
    assert_eq!(ids.iter().map(Vec::len).max(), Some(encoder.tokenizer().max_length()));
    let batch = encoder.tokenizer().batch(&texts).unwrap();
    assert_eq!(batch.input_ids.to_vec::<i64>().unwrap(), ints(&r["input_ids"]));
    assert_eq!(batch.attention_mask.to_vec::<i64>().unwrap(), ints(&r["attention_mask"]));
}

#[test]
fn hidden_states_and_pooler_agree_with_transformers() {
    let r = reference();
    let model = BertModel::load(TINY).unwrap();
    assert!(!model.is_training() && model.has_pooler());
    let got = hidden_state(&model, &r);
    let d = worst(&got, &floats(&r["last_hidden_state"]));
    println!("last_hidden_state: largest difference {d:.2e}");
    assert!(d <= TOL, "{d}");
    let (ids, mask) = batch(&r);
    let hidden = no_grad(|| model.forward_masked(&ids, Some(&mask), None)).unwrap();
    let pooled = model.pool(&hidden).unwrap().to_f64_vec();
    let d = worst(&pooled, &floats(&r["pooler_output"]));
    assert!(d <= TOL, "pooler_output: {d}");
}

#[test]
fn sentence_embeddings_agree_with_sentence_transformers_at_any_batch_size() {
    let r = reference();
    let encoder = SentenceEncoder::load(TINY).unwrap();
    assert!(encoder.normalizes());
    assert_eq!(encoder.pooling().modes(), [PoolingMode::Mean]);
    let texts = sentences(&r);
    let texts: Vec<&str> = texts.iter().map(String::as_str).collect();
    let want = floats(&r["embeddings"]);
    for batch_size in [1, 4, 100] {
        let got = encoder.embed(&texts, batch_size).unwrap();
        assert_eq!(got.dims(), [texts.len(), encoder.dim()]);
        let d = worst(&got.to_f64_vec(), &want);
        println!("batch {batch_size}: largest difference {d:.2e}");
        assert!(d <= TOL, "batch {batch_size}: {d}");
    }
    let mut done = Vec::new();
    encoder.embed_with_progress(&texts, 4, |n| done.push(n)).unwrap();
    assert_eq!(done, [4, texts.len()]);
}

#[test]
fn cls_max_and_mean_sqrt_len_pooling_agree_with_sentence_transformers() {
    let r = reference();
    let (_, mask) = batch(&r);
    let mask = mask.to_vec::<i64>().unwrap();
    let hidden: Vec<f32> = floats(&r["last_hidden_state"]).iter().map(|&x| x as f32).collect();
    let b = r["input_ids"].as_array().unwrap().len();
    for (mode, key) in [
        (PoolingMode::Cls, "pooled_cls"),
        (PoolingMode::Max, "pooled_max"),
        (PoolingMode::MeanSqrtLen, "pooled_mean_sqrt_len"),
    ] {
        let pooled = Pooling::new(vec![mode]).unwrap().pool(&hidden, &mask, b, 16);
        let got: Vec<f64> = pooled.iter().map(|&x| f64::from(x)).collect();
        let d = worst(&got, &floats(&r[key]));
        assert!(d <= TOL, "{key}: {d}");
    }
    // Two modes are concatenated in sentence-transformers' order (CLS, then mean).
    let both = Pooling::new(vec![PoolingMode::Cls, PoolingMode::Mean]).unwrap();
    let pooled = both.pool(&hidden, &mask, b, 16);
    assert_eq!(pooled.len(), b * both.output_dim(16));
    let cls: Vec<f64> = pooled[..16].iter().map(|&x| f64::from(x)).collect();
    assert!(worst(&cls, &floats(&r["pooled_cls"])[..16]) <= TOL);
}

#[test]
fn a_task_models_file_with_the_bert_prefix_loads_the_same_encoder() {
    let r = reference();
    let dir = copy_of_fixture("prefix");
    edit_weights(&dir, |tensors| {
        for (name, _) in tensors.iter_mut() {
            *name = format!("bert.{name}");
        }
        let head = Tensor::zeros([2, 16], axon::DType::F32);
        tensors.push(("classifier.weight".into(), head));
    });
    let model = BertModel::load(&dir).unwrap();
    let d = worst(&hidden_state(&model, &r), &floats(&r["last_hidden_state"]));
    std::fs::remove_dir_all(&dir).unwrap();
    assert!(d <= TOL, "{d}");
}

#[test]
fn save_module_writes_hugging_face_names_back() {
    let model = BertModel::load(TINY).unwrap();
    let path = std::env::temp_dir().join(format!("axon-bert-save-{}.st", std::process::id()));
    save_module(&model, &path).unwrap();
    let (saved, original) =
        (load_safetensors(&path).unwrap(), load_safetensors(format!("{TINY}/model.safetensors")));
    std::fs::remove_file(&path).unwrap();
    let original = original.unwrap();
    let names = |f: &axon::io::TensorFile| -> Vec<String> {
        let mut n: Vec<String> = f.tensors.iter().map(|(n, _)| n.clone()).collect();
        n.retain(|n| n != "embeddings.position_ids");
        n.sort();
        n
    };
    assert_eq!(names(&saved), names(&original));
    for (name, t) in &saved.tensors {
        assert_eq!(t.to_f64_vec(), original.tensor(name).unwrap().to_f64_vec(), "{name}");
    }
}

fn load_error(dir: &Path) -> String {
    match SentenceEncoder::load(dir) {
        Ok(_) => panic!("{} loaded", dir.display()),
        Err(e) => e.to_string(),
    }
}

#[test]
fn a_missing_unexpected_or_misshapen_tensor_is_named_with_the_file() {
    let missing = "encoder.layer.1.output.dense.bias";
    let dir = copy_of_fixture("missing");
    edit_weights(&dir, |t| t.retain(|(n, _)| n != missing));
    let err = load_error(&dir);
    assert!(err.contains(missing) && err.contains("model.safetensors"), "{err}");

    edit_weights(&dir, |t| {
        t.push((missing.into(), Tensor::zeros([15], axon::DType::F32)));
    });
    let err = load_error(&dir);
    assert!(err.contains(missing) && err.contains("[16]") && err.contains("[15]"), "{err}");

    edit_weights(&dir, |t| {
        t.retain(|(n, _)| n != missing);
        t.push((missing.into(), Tensor::zeros([16], axon::DType::F32)));
        t.push(("encoder.layer.2.output.dense.bias".into(), Tensor::zeros([16], axon::DType::F32)));
    });
    let err = load_error(&dir);
    assert!(err.contains("unexpected tensor `encoder.layer.2.output.dense.bias`"), "{err}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_bad_config_is_an_error_naming_the_key() {
    let text = std::fs::read_to_string(format!("{TINY}/config.json")).unwrap();
    let config: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(BertConfig::from_json(&text, "config.json").unwrap().hidden_size, 16);
    for (key, value, expect) in [
        ("num_attention_heads", Value::from(3), "num_attention_heads 3 does not divide"),
        ("hidden_size", Value::Null, "`hidden_size` is null"),
        ("hidden_act", Value::from("relu"), "hidden_act \"relu\""),
        ("model_type", Value::from("roberta"), "model_type `roberta`"),
        ("vocab_size", Value::from(-4), "`vocab_size` is -4"),
    ] {
        let mut bad = config.clone();
        bad[key] = value;
        let err = BertConfig::from_json(&bad.to_string(), "dir/config.json").unwrap_err();
        let err = err.to_string();
        assert!(err.contains(expect) && err.contains("dir/config.json"), "{key}: {err}");
    }
    let mut bad = config.clone();
    bad.as_object_mut().unwrap().remove("intermediate_size");
    let err = BertConfig::from_json(&bad.to_string(), "c.json").unwrap_err().to_string();
    assert!(err.contains("no `intermediate_size`"), "{err}");

    // A config whose sizes disagree with the weights names the tensor.
    let dir = copy_of_fixture("config");
    let mut wider = config.clone();
    wider["intermediate_size"] = Value::from(48);
    std::fs::write(dir.join("config.json"), wider.to_string()).unwrap();
    let err = load_error(&dir);
    assert!(err.contains("encoder.layer.0.intermediate.dense.weight"), "{err}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn an_unsupported_sentence_transformers_module_is_an_error() {
    let dir = copy_of_fixture("modules");
    let modules = r#"[{"idx":0,"name":"0","path":"","type":"sentence_transformers.models.Transformer"},
        {"idx":1,"name":"1","path":"1_Pooling","type":"sentence_transformers.models.Pooling"},
        {"idx":2,"name":"2","path":"2_Dense","type":"sentence_transformers.models.Dense"}]"#;
    std::fs::write(dir.join("modules.json"), modules).unwrap();
    let err = load_error(&dir);
    assert!(err.contains("sentence_transformers.models.Dense") && err.contains("modules.json"));
    std::fs::remove_file(dir.join("modules.json")).unwrap();
    // Without modules.json: mean pooling, no normalisation.
    let plain = SentenceEncoder::load(&dir).unwrap();
    assert!(!plain.normalizes());
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn the_sentence_transformers_5_layout_reads_the_same() {
    // Models published with sentence-transformers up to 5 (all-MiniLM-L6-v2 among them) keep the
    // length in sentence_bert_config.json and one flag per pooling mode.
    let r = reference();
    let dir = copy_of_fixture("st5");
    let pooling = r#"{"word_embedding_dimension": 16, "pooling_mode_cls_token": false,
        "pooling_mode_mean_tokens": true, "pooling_mode_max_tokens": false,
        "pooling_mode_mean_sqrt_len_tokens": false}"#;
    std::fs::write(dir.join("1_Pooling/config.json"), pooling).unwrap();
    std::fs::write(dir.join("sentence_bert_config.json"), r#"{"max_seq_length": 16}"#).unwrap();
    std::fs::remove_file(dir.join("tokenizer_config.json")).unwrap();
    let encoder = SentenceEncoder::load(&dir).unwrap();
    assert_eq!(encoder.tokenizer().max_length(), 16);
    let texts = sentences(&r);
    let texts: Vec<&str> = texts.iter().map(String::as_str).collect();
    let got = encoder.embed(&texts, 2).unwrap().to_f64_vec();
    assert!(worst(&got, &floats(&r["embeddings"])) <= TOL);
    std::fs::write(dir.join("1_Pooling/config.json"), r#"{"pooling_mode_lasttoken": true}"#)
        .unwrap();
    let err = load_error(&dir);
    assert!(err.contains("pooling_mode_lasttoken") && err.contains("1_Pooling"), "{err}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn the_forward_pass_records_a_graph_only_when_asked() {
    let model = BertModel::load(TINY).unwrap();
    let (ids, mask) = batch(&reference());
    assert!(!no_grad(|| model.forward_masked(&ids, Some(&mask), None)).unwrap().is_tracked());
    let hidden = model.forward_masked(&ids, Some(&mask), None).unwrap();
    assert!(hidden.is_tracked());
    // Every encoder weight gets a gradient (the pooler is not on this path).
    let grads = hidden.square().unwrap().sum_all().unwrap().backward().unwrap();
    for (name, p) in model.parameters() {
        let reached = p.grad(&grads).is_some();
        assert_eq!(reached, !name.starts_with("pooler."), "{name}");
    }
}
