//! A state dict written by PyTorch itself (`scripts/reference/torch_state_dict.py`:
//! `safetensors.torch.save_file(model.state_dict())` of a small CNN after five Adam steps, so the
//! weights and batch-norm running statistics are not their initial values; the two biases that
//! feed a batch norm keep their seeded values, so that the file regenerates on any machine up to
//! float32 rounding, as the script explains) loads strictly into
//! the same network built from axon's modules, and in evaluation mode reproduces PyTorch's
//! outputs: PyTorch's float32 outputs to float32 rounding, and the float64 outputs of the same
//! network converted with `model.double()` to 1e-12. Saving the loaded model gives back the same
//! tensors under the same names, `num_batches_tracked` included.

use axon::io::{load_module, load_safetensors, save_module};
use axon::nn::{
    AvgPool2d, BatchNorm1d, BatchNorm2d, Conv2d, Flatten, LayerNorm, Linear, MaxPool2d, Module,
    ReLU, Sequential, Tanh, GELU,
};
use axon::{Conv2dArgs, DType, Rng, Tensor};
use serde_json::Value;

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures");

/// The script's `network()`, layer for layer, so the `state_dict` indices agree.
fn network(dtype: DType) -> Sequential {
    let mut rng = Rng::seed(0);
    let r = &mut rng;
    Sequential::new()
        .with(Conv2d::new(2, 4, 3, Conv2dArgs::new(1, 1, 1), true, dtype, r).unwrap())
        .with(BatchNorm2d::new(4, dtype).unwrap())
        .with(ReLU)
        .with(MaxPool2d::new(2, 2, 0).unwrap())
        .with(Conv2d::new(4, 6, 3, Conv2dArgs::new(2, 2, 2), true, dtype, r).unwrap())
        .with(Tanh)
        .with(AvgPool2d::new(2, 2, 0).unwrap())
        .with(Flatten::new())
        .with(Linear::new(6, 8, true, dtype, r).unwrap())
        .with(BatchNorm1d::new(8, dtype).unwrap())
        .with(GELU)
        .with(LayerNorm::new(&[8], dtype).unwrap())
        .with(Linear::new(8, 3, true, dtype, r).unwrap())
}

fn fixture() -> Value {
    let text = std::fs::read_to_string(format!("{FIXTURES}/torch_cnn.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

fn floats(v: &Value) -> Vec<f64> {
    match v {
        Value::Array(items) => items.iter().flat_map(floats).collect(),
        other => vec![other.as_f64().unwrap()],
    }
}

#[test]
fn a_pytorch_state_dict_reproduces_pytorch_outputs() {
    let fixture = fixture();
    let weights = format!("{FIXTURES}/{}", fixture["weights_file"].as_str().unwrap());
    let shape: Vec<usize> = fixture["x_shape"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d.as_u64().unwrap() as usize)
        .collect();
    let x = Tensor::from_vec(floats(&fixture["x"]), shape).unwrap();
    for (dtype, key, tol) in [(DType::F32, "y_f32", 2e-6), (DType::F64, "y_f64", 1e-12)] {
        let mut net = network(dtype);
        load_module(&net, &weights).unwrap();
        net.train(false);
        let got = net.forward(&x.to_dtype(dtype).unwrap()).unwrap().to_f64_vec();
        let want = floats(&fixture[key]);
        assert_eq!(got.len(), want.len());
        let worst = got.iter().zip(&want).map(|(g, w)| (g - w).abs()).fold(0.0, f64::max);
        println!("{dtype}: largest difference from PyTorch's {key} {worst:.2e}");
        assert!(worst <= tol, "{dtype}: {got:?}\nPyTorch: {want:?}");
    }
}

#[test]
fn the_loaded_state_dict_saves_back_unchanged() {
    let fixture = fixture();
    let weights = format!("{FIXTURES}/{}", fixture["weights_file"].as_str().unwrap());
    let net = network(DType::F32);
    load_module(&net, &weights).unwrap();
    let path =
        std::env::temp_dir().join(format!("axon-torch-cnn-{}.safetensors", std::process::id()));
    save_module(&net, &path).unwrap();
    let (original, saved) = (load_safetensors(&weights).unwrap(), load_safetensors(&path).unwrap());
    std::fs::remove_file(&path).unwrap();
    let mut names: Vec<&str> =
        fixture["names"].as_array().unwrap().iter().map(|n| n.as_str().unwrap()).collect();
    names.sort_unstable();
    let saved_names: Vec<&str> = saved.tensors.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(saved_names, names);
    for (name, t) in &original.tensors {
        let s = saved.tensor(name).unwrap();
        assert_eq!((s.dtype(), s.shape()), (t.dtype(), t.shape()), "{name}");
        assert_eq!(s.to_f64_vec(), t.to_f64_vec(), "{name}");
    }
    let tracked = original.tensor("1.num_batches_tracked").unwrap();
    assert_eq!((tracked.dtype(), tracked.to_vec::<i64>().unwrap()), (DType::I64, vec![5]));
}

#[test]
fn a_float_tensor_does_not_load_into_the_batch_count() {
    let dir = std::env::temp_dir().join(format!("axon-torch-count-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let net = Sequential::new().with(BatchNorm1d::new(2, DType::F32).unwrap());
    let path = dir.join("bad.safetensors");
    let tensors = vec![
        ("0.weight".to_owned(), Tensor::ones([2], DType::F32)),
        ("0.bias".to_owned(), Tensor::zeros([2], DType::F32)),
        ("0.running_mean".to_owned(), Tensor::zeros([2], DType::F32)),
        ("0.running_var".to_owned(), Tensor::ones([2], DType::F32)),
        ("0.num_batches_tracked".to_owned(), Tensor::from_vec(vec![3.0f32], [0usize; 0]).unwrap()),
    ];
    axon::io::save_safetensors(&path, &tensors, &Default::default()).unwrap();
    let err = load_module(&net, &path).unwrap_err().to_string();
    std::fs::remove_dir_all(&dir).unwrap();
    assert!(err.contains("num_batches_tracked") && err.contains("f32"), "{err}");
}
