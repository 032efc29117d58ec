//! A model file is checked before it is trusted. Each case starts from a good model saved by the
//! library, corrupts one thing through the library (a tensor value, a number of the description)
//! and saves it again: a NaN or infinite coefficient or network weight, a zero standard
//! deviation in a linear model's encoder or a network's scaling, and a network architecture that
//! disagrees with the stored tensors are refused by `SavedModel::load` with an error naming the
//! file and what is wrong; a probability that is still not finite is an error, not a class.

use std::path::{Path, PathBuf};

use axon::data::{Design, DesignSpec, Feature, Labels, ReadOptions, Scaling, Schema, Source};
use axon::io::{load_model, save_model, ModelFile};
use axon::linear::{LinearKind, LinearModel};
use axon::model::SavedModel;
use axon::nn::{Activation, Architecture, NetworkClassifier};
use axon::{Rng, Tensor};
use serde_json::{json, Value};

fn data(name: &str) -> String {
    format!("{}/../../data/{name}", env!("CARGO_MANIFEST_DIR"))
}

/// A fresh, empty folder for one test's files.
fn scratch(test: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("axon-model-checks-{}-{test}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A standardised logit of `low` on lbw.csv, saved to `dir/good.axon`.
fn linear_file(dir: &Path) -> PathBuf {
    let frame = axon::data::read_csv(data("lbw.csv"), &Default::default()).unwrap();
    let spec = DesignSpec { standardize: true, ..DesignSpec::new("low") }
        .with_features(&["age", "lwt", "smoke"]);
    let design = Design::new(&frame, &spec).unwrap();
    let b = faer::Mat::from_fn(design.names.len(), 1, |j, _| 0.1 * j as f64);
    let model = LinearModel::new(LinearKind::Logit, design.encoder, b, json!({})).unwrap();
    let path = dir.join("good.axon");
    model.save(&path).unwrap();
    path
}

/// An MLP on two numeric features `a`, `b` with classes `0`, `1`, standardised, saved to
/// `dir/net.axon`.
fn network_file(dir: &Path) -> PathBuf {
    let architecture = Architecture::mlp(2, vec![3], Activation::Relu, 2);
    let schema = Schema {
        source: Source::Table,
        features: vec![Feature::numeric("a"), Feature::numeric("b")],
        target: Some("y".into()),
        classes: vec!["0".into(), "1".into()],
    };
    let scaling = Scaling::Standardize { mean: vec![0.5, -1.0], std: vec![2.0, 0.5] };
    let net =
        NetworkClassifier::new(architecture, Some(scaling), schema, &mut Rng::seed(7)).unwrap();
    let path = dir.join("net.axon");
    net.save(&path, &json!({})).unwrap();
    path
}

/// `file` with its tensors changed by `tensors` and its description by `model`, saved to
/// `dir/name` through the library.
fn rewrite(
    file: &ModelFile,
    dir: &Path,
    name: &str,
    tensors: impl FnOnce(&mut Vec<(String, Tensor)>),
    model: impl FnOnce(&mut Value),
) -> PathBuf {
    let mut t = file.tensors.tensors.clone();
    tensors(&mut t);
    let mut m = file.model.clone();
    model(&mut m);
    let path = dir.join(name);
    save_model(&path, file.kind, &m, &file.settings, &t).unwrap();
    path
}

/// Sets element `i` of the tensor `name` (f32 or f64) to `v`.
fn set_value(tensors: &mut [(String, Tensor)], name: &str, i: usize, v: f64) {
    let (_, t) = tensors.iter_mut().find(|(n, _)| n == name).expect("the tensor");
    let dims = t.dims().to_vec();
    *t = if t.dtype() == axon::DType::F32 {
        let mut values = t.to_vec::<f32>().unwrap();
        values[i] = v as f32;
        Tensor::from_vec(values, dims).unwrap()
    } else {
        let mut values = t.to_vec::<f64>().unwrap();
        values[i] = v;
        Tensor::from_vec(values, dims).unwrap()
    };
}

/// The error of loading `path`, which must name the file and contain every one of `parts`.
fn refused(path: &Path, parts: &[&str]) -> String {
    let err = match SavedModel::load(path) {
        Ok(_) => panic!("{} loaded", path.display()),
        Err(e) => e.to_string(),
    };
    assert!(err.contains(&path.display().to_string()), "{err}");
    for part in parts {
        assert!(err.contains(part), "`{part}` not in: {err}");
    }
    err
}

#[test]
fn good_files_load() {
    let dir = scratch("good");
    assert_eq!(SavedModel::load(linear_file(&dir)).unwrap().kind(), "logit");
    assert_eq!(SavedModel::load(network_file(&dir)).unwrap().kind(), "nn-classifier");
}

#[test]
fn a_non_finite_coefficient_is_refused() {
    let dir = scratch("coefficient");
    let file = load_model(linear_file(&dir)).unwrap();
    for (name, v, says) in [("nan.axon", f64::NAN, "NaN"), ("inf.axon", f64::INFINITY, "inf")] {
        let path = rewrite(&file, &dir, name, |t| set_value(t, "coefficients", 2, v), |_| {});
        refused(&path, &["tensor `coefficients`", says, "element 2", "must be finite"]);
    }
}

#[test]
fn non_finite_network_weights_are_refused() {
    let dir = scratch("weights");
    let file = load_model(network_file(&dir)).unwrap();
    let path = rewrite(&file, &dir, "nan.axon", |t| set_value(t, "2.weight", 3, f64::NAN), |_| {});
    refused(&path, &["tensor `2.weight`", "NaN", "must be finite"]);
    let path =
        rewrite(&file, &dir, "inf.axon", |t| set_value(t, "0.bias", 0, f64::NEG_INFINITY), |_| {});
    refused(&path, &["tensor `0.bias`", "-inf"]);
}

#[test]
fn a_zero_standard_deviation_in_an_encoder_is_refused() {
    let dir = scratch("encoder");
    let file = load_model(linear_file(&dir)).unwrap();
    let path = rewrite(&file, &dir, "zero.axon", |_| {}, |m| m["encoder"]["stds"][1] = json!(0.0));
    refused(&path, &["the encoder", "standard deviation of 0", "feature 1"]);
    let path = rewrite(&file, &dir, "neg.axon", |_| {}, |m| m["encoder"]["stds"][2] = json!(-1.0));
    refused(&path, &["standard deviation of -1"]);
    // JSON has no NaN: a NaN written by another tool is `null`, which is refused as corrupt.
    let path =
        rewrite(&file, &dir, "null.axon", |_| {}, |m| m["encoder"]["means"][1] = Value::Null);
    refused(&path, &["corrupt"]);
}

#[test]
fn a_zero_standard_deviation_in_a_network_scaling_is_refused() {
    let dir = scratch("scaling");
    let file = load_model(network_file(&dir)).unwrap();
    let path = rewrite(&file, &dir, "zero.axon", |_| {}, |m| m["scaling"]["std"][1] = json!(0.0));
    refused(&path, &["the scaling", "standard deviation of 0", "feature 1"]);
    let path = rewrite(&file, &dir, "null.axon", |_| {}, |m| m["scaling"]["std"][0] = Value::Null);
    refused(&path, &["corrupt"]);
}

#[test]
fn an_architecture_that_disagrees_with_the_tensors_is_refused() {
    let dir = scratch("architecture");
    let file = load_model(network_file(&dir)).unwrap();
    // One more hidden layer than the file has tensors for.
    let path = rewrite(
        &file,
        &dir,
        "deeper.axon",
        |_| {},
        |m| {
            m["architecture"]["hidden"] = json!([3, 3]);
        },
    );
    refused(&path, &["does not match the stored tensors", "`2.weight` is [2, 3] in the file"]);
    // A tensor the architecture does not have.
    let path = rewrite(
        &file,
        &dir,
        "extra.axon",
        |t| {
            t.push(("9.weight".into(), Tensor::from_vec(vec![1.0f32], [1]).unwrap()));
        },
        |_| {},
    );
    refused(&path, &["unexpected tensor `9.weight`"]);
    // A CNN whose sizes overflow.
    let path = rewrite(
        &file,
        &dir,
        "cnn.axon",
        |_| {},
        |m| {
            m["architecture"] = json!({"kind": "cnn", "height": usize::MAX, "width": usize::MAX,
                                   "channels": [32, 64], "dense": 128, "classes": 2});
        },
    );
    refused(&path, &["architecture"]);
}

#[test]
fn a_non_finite_probability_is_an_error_not_a_class() {
    let dir = scratch("probability");
    let file = load_model(network_file(&dir)).unwrap();
    // Finite weights so large that the logits overflow: +inf and -inf meet in one sum.
    let huge = |t: &mut Vec<(String, Tensor)>| {
        for i in 0..6 {
            set_value(t, "0.weight", i, if i % 2 == 0 { 3e38 } else { -3e38 });
        }
        for i in 0..6 {
            set_value(t, "2.weight", i, 3e38);
        }
    };
    let path = rewrite(&file, &dir, "huge.axon", huge, |_| {});
    let model = SavedModel::load(&path).unwrap();
    let rows = dir.join("rows.csv");
    std::fs::write(&rows, "a,b,y\n0.5,-1,0\n3,-3,1\n").unwrap();
    let examples = model.read(&rows, Labels::Optional, &ReadOptions::default()).unwrap();
    let err = model.scores(&examples, false).unwrap_err().to_string();
    assert!(err.contains("rows.csv") && err.contains("row 2") && err.contains("no class"), "{err}");
}
