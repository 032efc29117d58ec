//! Parameter files in the safetensors format: a file written by the Python `safetensors`
//! package (`scripts/reference/safetensors_mlp.py`, names of a PyTorch `state_dict`) loads into
//! an axon Linear-ReLU-Linear network that then reproduces the outputs numpy computed; `f32` and
//! `f64` parameters survive a save/load round trip bit for bit; the write leaves no temporary
//! file behind; saving the same tensors and metadata twice gives the same bytes; and a file with
//! a missing, extra or wrongly shaped tensor is an error that leaves
//! the model unchanged.

use std::path::PathBuf;

use axon::io::{load_module, load_parameters, load_safetensors, save_module, save_parameters};
use axon::nn::{with_prefix, Linear, Module, Param, ReLU, Sequential};
use axon::{DType, Error, Rng, Tensor};
use serde_json::Value;

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures");

fn mlp(dtype: DType, seed: u64) -> Sequential {
    let mut rng = Rng::seed(seed);
    Sequential::new()
        .with(Linear::new(4, 5, true, dtype, &mut rng).unwrap())
        .with(ReLU)
        .with(Linear::new(5, 3, true, dtype, &mut rng).unwrap())
}

/// The parameters as a module holding `self.layers = nn.Sequential(...)` names them.
fn named(net: &Sequential) -> Vec<(String, Param)> {
    with_prefix("layers", net.parameters())
}

/// A fresh, empty folder for one test.
fn scratch(test: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("axon-safetensors-{test}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn matrix(v: &Value) -> (Vec<f64>, usize, usize) {
    let rows = v.as_array().unwrap();
    let cols = rows[0].as_array().unwrap().len();
    let flat = rows.iter().flat_map(|r| r.as_array().unwrap().iter().map(|x| x.as_f64().unwrap()));
    (flat.collect(), rows.len(), cols)
}

#[test]
fn loads_a_pytorch_state_dict_written_by_python_and_reproduces_numpy() {
    let text = std::fs::read_to_string(format!("{FIXTURES}/safetensors_mlp.json")).unwrap();
    let fixture: Value = serde_json::from_str(&text).unwrap();
    let path = format!("{FIXTURES}/{}", fixture["weights_file"].as_str().unwrap());
    let names: Vec<String> =
        load_safetensors(&path).unwrap().tensors.into_iter().map(|(n, _)| n).collect();
    assert_eq!(names, ["layers.0.bias", "layers.0.weight", "layers.2.bias", "layers.2.weight"]);

    let (x, n, d) = matrix(&fixture["x"]);
    let (want, _, k) = matrix(&fixture["y"]);
    for dtype in [DType::F32, DType::F64] {
        let net = mlp(dtype, 0);
        load_parameters(&named(&net), &path).unwrap();
        let xt = Tensor::from_vec(x.clone(), [n, d]).unwrap().to_dtype(dtype).unwrap();
        let got = net.forward(&xt).unwrap().to_f64_vec();
        assert_eq!(got.len(), n * k);
        // numpy computed in f64 from the same f32 values: f32 arithmetic differs by rounding only.
        let tol = if dtype == DType::F32 { 1e-5 } else { 1e-12 };
        for (g, w) in got.iter().zip(&want) {
            assert!((g - w).abs() <= tol * w.abs().max(1.0), "{dtype}: {got:?} vs {want:?}");
        }
    }
}

#[test]
fn the_same_model_saves_to_the_same_bytes() {
    let dir = scratch("bytes");
    let net = mlp(DType::F32, 5);
    let tensors: Vec<(String, Tensor)> =
        net.parameters().into_iter().map(|(n, p)| (n, p.value())).collect();
    let metadata: std::collections::BTreeMap<String, String> =
        (0..8).map(|i| (format!("key{i}"), format!("value {i}"))).collect();
    let mut files = Vec::new();
    for copy in 0..4 {
        let path = dir.join(format!("{copy}.safetensors"));
        axon::io::save_safetensors(&path, &tensors, &metadata).unwrap();
        files.push(std::fs::read(&path).unwrap());
    }
    assert!(files.windows(2).all(|w| w[0] == w[1]), "the header's key order changed");
    let loaded = load_safetensors(dir.join("0.safetensors")).unwrap();
    assert_eq!(loaded.metadata.len(), 8);
    assert_eq!(
        loaded.tensor("2.weight").unwrap().to_f64_vec(),
        net.parameters()[2].1.value().to_f64_vec()
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn round_trips_f32_and_f64_exactly_and_atomically() {
    let dir = scratch("roundtrip");
    for dtype in [DType::F32, DType::F64] {
        let path = dir.join(format!("mlp-{dtype}.safetensors"));
        let (a, b) = (mlp(dtype, 1), mlp(dtype, 2));
        save_module(&a, &path).unwrap();
        save_module(&a, &path).unwrap(); // overwriting an existing file works
        load_module(&b, &path).unwrap();
        for ((na, pa), (nb, pb)) in a.parameters().into_iter().zip(b.parameters()) {
            assert_eq!(na, nb);
            assert_eq!(pa.value().to_f64_vec(), pb.value().to_f64_vec(), "{na}");
            assert_eq!(pb.value().dtype(), dtype);
        }
        let x = Tensor::rand([3, 4], -1.0, 1.0, dtype, &mut Rng::seed(3));
        assert_eq!(a.forward(&x).unwrap().to_f64_vec(), b.forward(&x).unwrap().to_f64_vec());
    }
    // f64 parameters load from an f32 file by conversion.
    let wide = mlp(DType::F64, 4);
    load_module(&wide, dir.join("mlp-f32.safetensors")).unwrap();
    let narrow_values = load_safetensors(dir.join("mlp-f32.safetensors")).unwrap().tensors;
    assert_eq!(narrow_values[1].0, "0.weight");
    assert_eq!(wide.parameters()[0].1.value().to_f64_vec(), narrow_values[1].1.to_f64_vec());
    let mut left: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    left.sort();
    assert_eq!(left, ["mlp-f32.safetensors", "mlp-f64.safetensors"], "no temporary files left");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn strict_loading_errors_leave_the_model_unchanged() {
    let dir = scratch("errors");
    let path = dir.join("mlp.safetensors");
    let source = mlp(DType::F32, 5);
    save_parameters(&named(&source), &path).unwrap();
    let target = mlp(DType::F32, 6);
    let before: Vec<Vec<f64>> =
        target.parameters().iter().map(|(_, p)| p.value().to_f64_vec()).collect();
    let unchanged = || {
        let now: Vec<Vec<f64>> =
            target.parameters().iter().map(|(_, p)| p.value().to_f64_vec()).collect();
        assert_eq!(now, before);
    };
    // Names without the `layers.` prefix: missing tensors.
    let err = load_module(&target, &path).unwrap_err();
    assert!(matches!(err, Error::Io { .. }) && err.to_string().contains("no tensor"), "{err}");
    unchanged();
    // A model with fewer parameters: the file has an extra tensor.
    let params = named(&target);
    assert!(load_parameters(&params[..2], &path).is_err());
    unchanged();
    // A wrongly shaped layer.
    let other =
        Sequential::new().with(Linear::new(4, 6, true, DType::F32, &mut Rng::seed(0)).unwrap());
    assert!(load_parameters(&with_prefix("layers", other.parameters()), &path).is_err());
    // Not a file, not a safetensors file.
    assert!(matches!(load_module(&target, dir.join("missing.safetensors")), Err(Error::Io { .. })));
    std::fs::write(dir.join("garbage.safetensors"), b"not a safetensors file").unwrap();
    let err = load_safetensors(dir.join("garbage.safetensors")).unwrap_err();
    assert!(err.to_string().contains("not a valid safetensors file"), "{err}");
    unchanged();
    load_parameters(&params, &path).unwrap();
    assert_eq!(
        target.parameters()[0].1.value().to_f64_vec(),
        source.parameters()[0].1.value().to_f64_vec()
    );
    std::fs::remove_dir_all(&dir).unwrap();
}
