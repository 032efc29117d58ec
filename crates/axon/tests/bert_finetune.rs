//! Fine-tuning a classifier on the tiny BERT fixture against PyTorch
//! (`tests/fixtures/bert_finetune.safetensors`, written by
//! `scripts/reference/bert_finetune_fixture.py` in float64): the loss and every parameter's
//! gradient of one step agree to 1e-4 relative (1e-6 absolute for tiny values), and so do the
//! weights after two AdamW steps with the warm-up schedule and clipping. Also: the pooling's
//! tensor form has the gradients of central differences and the values of the slice form, and
//! frozen layers neither get a gradient nor change.

use std::collections::BTreeMap;

use axon::io::load_safetensors;
use axon::nn::bert::{
    decays, BertClassifier, FineTuneOptions, FineTuner, Pooling, PoolingMode, TokenBatch,
};
use axon::nn::loss::{cross_entropy, Reduction};
use axon::nn::Module;
use axon::{gradcheck, DType, Rng, Tensor};

const TINY: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/tiny_bert");
const REFERENCE: &str =
    concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/bert_finetune.safetensors");

/// The script's sentences.
const SENTENCES: [&str; 6] = [
    "The cat sat on the mat.",
    "FREE money!!! Click here now: win $1000",
    "Hello, world!",
    "the dog was very happy and the cat was not",
    "win win win free spam now",
    "This is a very long sentence that keeps going and going and going over the maximum length.",
];

fn reference() -> BTreeMap<String, Tensor> {
    load_safetensors(REFERENCE).unwrap().tensors.into_iter().collect()
}

/// The classifier with the script's head, in evaluation mode (dropout off, as the script).
fn classifier(reference: &BTreeMap<String, Tensor>) -> BertClassifier {
    let classes = vec!["a".to_owned(), "b".to_owned(), "c".to_owned()];
    let mut model = BertClassifier::load(TINY, classes, 7).unwrap();
    let f32 = |name: &str| reference[name].to_dtype(DType::F32).unwrap();
    model.head().weight().set(f32("head.weight")).unwrap();
    model.head().bias().unwrap().set(f32("head.bias")).unwrap();
    model.train(false);
    model
}

/// The script's batch, as the tokenizer gives it (checked).
fn batch(model: &BertClassifier, reference: &BTreeMap<String, Tensor>) -> TokenBatch {
    let batch = model.tokenizer().batch(&SENTENCES).unwrap();
    let ids: Vec<i64> = batch.input_ids.to_vec().unwrap();
    assert_eq!(ids, reference["input_ids"].to_vec::<i64>().unwrap(), "token ids");
    let mask: Vec<i64> = batch.attention_mask.to_vec().unwrap();
    assert_eq!(mask, reference["attention_mask"].to_vec::<i64>().unwrap(), "attention mask");
    batch
}

/// `|got − want| ≤ rtol |want| + atol` element by element.
fn assert_close(name: &str, got: &[f64], want: &[f64], rtol: f64, atol: f64) {
    assert_eq!(got.len(), want.len(), "{name}: length");
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        assert!((g - w).abs() <= rtol * w.abs() + atol, "{name}[{i}]: axon {g}, PyTorch {w}");
    }
}

#[test]
fn one_step_gradients_equal_pytorch() {
    let reference = reference();
    let model = classifier(&reference);
    let batch = batch(&model, &reference);
    let labels = reference["labels"].clone();
    let logits = model.forward_batch(&batch).unwrap();
    let loss = cross_entropy(&logits, &labels, None, Reduction::Mean).unwrap();
    let want = reference["loss"].to_f64_vec()[0];
    assert_close("loss", &[loss.item().unwrap()], &[want], 1e-5, 0.0);
    let grads = loss.backward().unwrap();
    let mut compared = 0;
    for (name, p) in model.parameters() {
        let got = p.grad(&grads);
        match reference.get(&format!("grad.{name}")) {
            Some(want) => {
                let got = got.unwrap_or_else(|| panic!("{name}: no gradient in axon"));
                assert_eq!(got.dims(), want.dims(), "{name}");
                assert_close(&name, &got.to_f64_vec(), &want.to_f64_vec(), 1e-4, 1e-6);
                compared += 1;
            }
            None => assert!(got.is_none(), "{name}: a gradient where PyTorch has none"),
        }
    }
    // 5 embedding tensors, 16 per layer, the head's 2.
    assert_eq!(compared, 5 + 2 * 16 + 2);
}

#[test]
fn two_adamw_steps_with_warmup_and_clipping_equal_pytorch() {
    let reference = reference();
    let model = classifier(&reference);
    let batch = batch(&model, &reference);
    let labels = reference["labels"].clone();
    let options = FineTuneOptions { lr: 1e-3, weight_decay: 0.01, ..Default::default() };
    let mut tuner = FineTuner::new(&model, &options, 2, 10).unwrap();
    let before: BTreeMap<String, Vec<f64>> =
        model.parameters().into_iter().map(|(n, p)| (n, p.value().to_f64_vec())).collect();
    let norms = reference["grad_norm"].to_f64_vec();
    let mut lrs = Vec::new();
    for want in &norms {
        let step = tuner.step(&model, &batch, &labels).unwrap();
        assert_close("grad_norm", &[step.grad_norm], &[*want], 1e-5, 0.0);
        lrs.push(step.lr);
    }
    assert_eq!(lrs, [0.0, 5e-4]);
    let trainable = model.trainable_parameters();
    assert_eq!(trainable.len(), 5 + 2 * 16 + 2, "everything but the pooler");
    let mut checked = 0;
    for (name, p) in &trainable {
        let want = reference[&format!("after.{name}")].to_f64_vec();
        let grad = reference[&format!("grad.{name}")].to_f64_vec();
        let (got, old) = (p.value().to_f64_vec(), &before[name]);
        for i in 0..got.len() {
            if grad[i].abs() < 1e-7 {
                // A gradient that is zero in exact arithmetic (the key bias, which softmax
                // ignores) is rounding noise in float32, which Adam scales up to a step of
                // ±lr: only the size of that step is checked.
                assert!((got[i] - old[i]).abs() <= 5e-4 * 1.01 + 1e-7, "{name}[{i}]");
                continue;
            }
            // The update is about lr = 5e-4: agreeing to 1e-6 checks it to 0.2%.
            assert_close(&format!("{name}[{i}]"), &[got[i]], &[want[i]], 1e-5, 1e-6);
            checked += 1;
        }
    }
    assert!(checked > 2000, "{checked} values checked");
    // Hugging Face's groups: no decay on biases and layer norms.
    assert!(decays("bert.encoder.layer.0.attention.self.query.weight"));
    assert!(!decays("bert.encoder.layer.0.attention.self.query.bias"));
    assert!(!decays("bert.embeddings.LayerNorm.weight"));
    assert!(decays("classifier.weight"));
}

#[test]
fn frozen_layers_get_no_gradient_and_do_not_move() {
    let reference = reference();
    let mut model = classifier(&reference);
    let batch = batch(&model, &reference);
    model.freeze_layers(1).unwrap();
    assert!(model.freeze_layers(3).is_err(), "the encoder has 2 layers");
    let before: Vec<(String, Vec<f64>)> =
        model.parameters().into_iter().map(|(n, p)| (n, p.value().to_f64_vec())).collect();
    let trainable: Vec<String> = model.trainable_parameters().into_iter().map(|(n, _)| n).collect();
    assert_eq!(trainable.len(), 16 + 2, "layer 1 and the head");
    assert!(trainable
        .iter()
        .all(|n| n.starts_with("bert.encoder.layer.1.") || n.starts_with("classifier.")));
    let logits = model.forward_batch(&batch).unwrap();
    let loss = cross_entropy(&logits, &reference["labels"], None, Reduction::Mean).unwrap();
    let grads = loss.backward().unwrap();
    for (name, p) in model.parameters() {
        assert_eq!(p.grad(&grads).is_some(), trainable.contains(&name), "{name}");
    }
    let options = FineTuneOptions { lr: 1e-2, ..Default::default() };
    let mut tuner = FineTuner::new(&model, &options, 0, 3).unwrap();
    tuner.step(&model, &batch, &reference["labels"]).unwrap();
    for ((name, p), (_, old)) in model.parameters().into_iter().zip(&before) {
        let moved = p.value().to_f64_vec() != *old;
        assert_eq!(moved, trainable.contains(&name), "{name}");
    }
}

#[test]
fn tensor_pooling_has_the_slice_pooling_values_and_checked_gradients() {
    let (b, l, h) = (3, 4, 5);
    let hidden = Tensor::randn([b, l, h], 0.0, 1.0, DType::F64, &mut Rng::seed(3));
    let mask_values = vec![1i64, 1, 1, 0, 1, 0, 0, 0, 1, 1, 1, 1];
    let mask = Tensor::from_vec(mask_values.clone(), [b, l]).unwrap();
    let modes = [PoolingMode::Cls, PoolingMode::Max, PoolingMode::Mean, PoolingMode::MeanSqrtLen];
    let pooling = Pooling::new(modes.to_vec()).unwrap();
    let pooled = pooling.pool_tensor(&hidden, &mask).unwrap();
    assert_eq!(pooled.dims(), [b, 4 * h]);
    let values: Vec<f32> = hidden.to_f64_vec().iter().map(|&x| x as f32).collect();
    let slices = pooling.pool(&values, &mask_values, b, h);
    let got: Vec<f64> = pooled.to_f64_vec();
    let want: Vec<f64> = slices.iter().map(|&x| f64::from(x)).collect();
    assert_close("pooled", &got, &want, 1e-6, 1e-6);
    let report = gradcheck(|t| pooling.pool_tensor(&t[0], &mask), &[hidden], 1e-6).unwrap();
    assert!(report.is_close(1e-7, 1e-6), "{report}");
    let wrong = Tensor::ones([b, l + 1], DType::I64);
    assert!(
        pooling.pool_tensor(&pooled, &mask).is_err()
            && pooling.pool_tensor(&Tensor::zeros([b, l, h], DType::F64), &wrong).is_err()
    );
}

#[test]
fn the_schedule_is_hugging_faces_linear_warmup_then_decay() {
    use axon::nn::bert::{warmup_steps, Warmup};
    use axon::optim::{Schedule, WarmupLinearDecay};
    // get_linear_schedule_with_warmup(warmup 2, total 10): s/2 then (10 − s)/8, never below 0.
    let s = WarmupLinearDecay::new(2, 10).unwrap();
    let lrs: Vec<f64> = (0..12).map(|step| s.lr_at(1.0, step)).collect();
    let want = [0.0, 0.5, 1.0, 0.875, 0.75, 0.625, 0.5, 0.375, 0.25, 0.125, 0.0, 0.0];
    assert_close("lr", &lrs, &want, 0.0, 1e-15);
    assert_eq!(WarmupLinearDecay::new(0, 4).unwrap().lr_at(2.0, 0), 2.0);
    assert!(WarmupLinearDecay::new(5, 4).is_err() && WarmupLinearDecay::new(0, 0).is_err());
    // --warmup_ratio rounds up, as transformers' TrainingArguments.get_warmup_steps.
    assert_eq!(warmup_steps(Warmup::Ratio(0.1), 25).unwrap(), 3);
    assert_eq!(warmup_steps(Warmup::Steps(4), 25).unwrap(), 4);
    assert!(warmup_steps(Warmup::Steps(26), 25).is_err());
    assert!(warmup_steps(Warmup::Ratio(1.5), 25).is_err());
}
