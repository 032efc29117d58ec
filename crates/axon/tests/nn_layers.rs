//! The layers that wrap convolution, pooling, normalisation and lookup: gradient checks through
//! `axon::gradcheck` in `f64` (inputs and parameters), values against closed forms, PyTorch's
//! default initialisation bounds, batch norm's running statistics (momentum 0.1, unbiased
//! running variance) and its train/eval behaviour, layer norm's one-pass kernel (no graph)
//! against its composed ops, buffers listed apart from parameters, and
//! bad arguments returned as errors.

use axon::nn::{
    AvgPool2d, BatchNorm1d, BatchNorm2d, Conv2d, Embedding, LayerNorm, MaxPool2d, Module,
    Sequential,
};
use axon::{gradcheck, Conv2dArgs, DType, Result, Rng, Shape, Tensor};

fn check(name: &str, f: impl Fn(&[Tensor]) -> Result<Tensor>, inputs: &[Tensor]) {
    let report = gradcheck(f, inputs, 1e-6).unwrap_or_else(|e| panic!("{name}: {e}"));
    println!("gradcheck {name}: {report}");
    assert!(report.is_close(1e-7, 1e-5), "{name}: {report}");
    assert!(report.analytic.iter().map(Vec::len).sum::<usize>() > 0, "{name}: nothing checked");
}

fn rand(shape: impl Into<Shape>, seed: u64) -> Tensor {
    Tensor::rand(shape, -1.0, 1.0, DType::F64, &mut Rng::seed(seed))
}

fn close(got: &[f64], want: &[f64], tol: f64, what: &str) {
    assert_eq!(got.len(), want.len(), "{what}: lengths");
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        assert!((g - w).abs() <= tol, "{what}[{i}]: got {g}, want {w}");
    }
}

#[test]
fn conv2d_gradcheck_input_weight_bias() {
    let args = Conv2dArgs::new(2, 1, [1, 2]);
    let f =
        |t: &[Tensor]| Conv2d::from_tensors(t[1].clone(), Some(t[2].clone()), args)?.forward(&t[0]);
    check("Conv2d", f, &[rand([2, 2, 5, 6], 1), rand([3, 2, 3, 2], 2), rand([3], 3)]);
}

#[test]
fn conv2d_shapes_values_and_init() {
    let mut rng = Rng::seed(0);
    let conv = Conv2d::new(3, 8, 3, Conv2dArgs::new(1, 1, 1), true, DType::F32, &mut rng).unwrap();
    assert_eq!(conv.num_parameters(), 8 * 3 * 9 + 8);
    let bound = 1.0 / 27f64.sqrt();
    let w = conv.weight().value().to_f64_vec();
    assert!(w.iter().all(|v| v.abs() <= bound), "weights inside U(-1/sqrt(27), 1/sqrt(27))");
    assert!(w.iter().any(|v| v.abs() > 0.8 * bound), "weights spread over the interval");
    let y = conv.forward(&Tensor::zeros([2, 3, 7, 5], DType::F32)).unwrap();
    assert_eq!(y.dims(), [2, 8, 7, 5]);
    // A zero input gives the bias everywhere.
    let b = conv.bias().unwrap().value().to_f64_vec();
    close(&y.narrow(1, 4, 1).unwrap().to_f64_vec(), &[b[4]; 70], 0.0, "bias only");
    // 2x2 ones kernel, stride 2: sums of blocks, plus a bias of 1.
    let x = Tensor::from_vec((0..16).map(f64::from).collect(), [1, 1, 4, 4]).unwrap();
    let ones = Tensor::ones([1, 1, 2, 2], DType::F64);
    let conv =
        Conv2d::from_tensors(ones, Some(Tensor::ones([1], DType::F64)), Conv2dArgs::new(2, 0, 1));
    close(&conv.unwrap().forward(&x).unwrap().to_f64_vec(), &[11.0, 19.0, 43.0, 51.0], 0.0, "sum");
    assert!(Conv2d::new(0, 1, 3, Conv2dArgs::default(), true, DType::F32, &mut rng).is_err());
    let bad = Tensor::zeros([1, 4, 5, 5], DType::F32);
    let conv = Conv2d::new(3, 2, 3, Conv2dArgs::default(), false, DType::F32, &mut rng).unwrap();
    assert!(conv.forward(&bad).is_err(), "channel mismatch is an error");
}

#[test]
fn pooling_layers_values_and_gradients() {
    let x = Tensor::from_vec((0..16).map(f64::from).collect(), [1, 1, 4, 4]).unwrap();
    let max = MaxPool2d::new(2, 2, 0).unwrap();
    close(&max.forward(&x).unwrap().to_f64_vec(), &[5.0, 7.0, 13.0, 15.0], 0.0, "max pool");
    let avg = AvgPool2d::new(2, 2, 0).unwrap();
    close(&avg.forward(&x).unwrap().to_f64_vec(), &[2.5, 4.5, 10.5, 12.5], 1e-12, "avg pool");
    check("MaxPool2d", |t| MaxPool2d::new(2, 2, 1)?.forward(&t[0]), &[rand([2, 2, 5, 5], 4)]);
    check("AvgPool2d", |t| AvgPool2d::new(3, 2, 1)?.forward(&t[0]), &[rand([2, 2, 5, 5], 5)]);
    assert!(MaxPool2d::new(0, 1, 0).is_err());
    assert!(AvgPool2d::new(2, 0, 0).is_err());
}

/// Batch norm of the fixed `x` with `γ = t[0]`, `β = t[1]` from the gradcheck inputs: `set`
/// makes fresh leaves, so `y = n γ + β` is rebuilt from the normalised `n` with tracked `γ`, `β`.
fn batch_norm_2d(x: &Tensor, t: &[Tensor]) -> Result<Tensor> {
    let bn = BatchNorm2d::new(t[0].numel(), DType::F64)?;
    let params = bn.parameters();
    params[0].1.set(t[0].clone())?;
    params[1].1.set(t[1].clone())?;
    let y = bn.forward(x)?;
    let shape = [1, t[0].numel(), 1, 1];
    let (g, b) = (t[0].reshape(shape)?, t[1].reshape(shape)?);
    let (g0, b0) = (params[0].1.value().reshape(shape)?, params[1].1.value().reshape(shape)?);
    let n = y.sub(&b0)?.div(&g0)?.detach();
    n.mul(&g)?.add(&b)
}

#[test]
fn batch_norm_gradcheck_training_mode() {
    // Input gradient through the batch statistics.
    let f = |t: &[Tensor]| BatchNorm2d::new(3, DType::F64)?.forward(&t[0]);
    check("BatchNorm2d input", f, &[rand([4, 3, 2, 3], 6)]);
    let f = |t: &[Tensor]| BatchNorm1d::new(4, DType::F64)?.forward(&t[0]);
    check("BatchNorm1d input", f, &[rand([5, 4], 7)]);
    let f = |t: &[Tensor]| BatchNorm1d::new(2, DType::F64)?.forward(&t[0]);
    check("BatchNorm1d (N, C, L) input", f, &[rand([3, 2, 4], 8)]);
    let gamma = Tensor::from_vec(vec![0.5, 2.0, -1.0], [3]).unwrap();
    let x = rand([4, 3, 2, 2], 9);
    check("BatchNorm2d affine", |t| batch_norm_2d(&x, t), &[gamma, rand([3], 10)]);
}

#[test]
fn batch_norm_closed_form_running_stats_and_eval() {
    // One channel, values 1..4: mean 2.5, biased var 1.25, unbiased 5/3.
    let x = Tensor::from_vec(vec![1.0, 2.0, 3.0, 4.0], [4, 1]).unwrap();
    let mut bn = BatchNorm1d::new(1, DType::F64).unwrap();
    let y = bn.forward(&x).unwrap().to_f64_vec();
    let s = (1.25f64 + 1e-5).sqrt();
    close(&y, &[-1.5 / s, -0.5 / s, 0.5 / s, 1.5 / s], 1e-12, "normalised");
    close(&bn.running_mean().to_f64_vec(), &[0.25], 1e-12, "running mean 0.9·0 + 0.1·2.5");
    close(&bn.running_var().to_f64_vec(), &[0.9 + 0.1 * 5.0 / 3.0], 1e-12, "unbiased running var");
    bn.forward(&x).unwrap();
    close(&bn.running_mean().to_f64_vec(), &[0.9 * 0.25 + 0.25], 1e-12, "second update");
    // Eval mode: the running statistics, and no update.
    bn.train(false);
    assert!(!bn.is_training());
    let (rm, rv) = (0.475, 0.9 * (0.9 + 0.5 / 3.0) + 0.5 / 3.0);
    let y = bn.forward(&x).unwrap().to_f64_vec();
    let want: Vec<f64> =
        [1.0, 2.0, 3.0, 4.0].iter().map(|v| (v - rm) / (rv + 1e-5f64).sqrt()).collect();
    close(&y, &want, 1e-12, "eval normalises with running stats");
    close(&bn.running_mean().to_f64_vec(), &[rm], 1e-12, "eval leaves running mean");
    assert_eq!(bn.num_batches_tracked(), 2, "two training passes counted, the eval pass not");
    // Eval mode is differentiable too (an affine map of x).
    let f = |t: &[Tensor]| {
        let mut bn = BatchNorm2d::new(2, DType::F64)?;
        bn.train(false);
        bn.forward(&t[0])
    };
    check("BatchNorm2d eval", f, &[rand([2, 2, 2, 2], 11)]);
}

#[test]
fn batch_norm_buffers_are_not_parameters() {
    let net = Sequential::new().with(BatchNorm2d::new(3, DType::F32).unwrap());
    let names: Vec<String> = net.parameters().into_iter().map(|(n, _)| n).collect();
    assert_eq!(names, ["0.weight", "0.bias"]);
    let buffers: Vec<String> = net.buffers().into_iter().map(|(n, _)| n).collect();
    assert_eq!(buffers, ["0.running_mean", "0.running_var", "0.num_batches_tracked"]);
    assert_eq!(net.num_parameters(), 6);
    let bn = BatchNorm2d::new(3, DType::F32).unwrap();
    assert!(bn.forward(&Tensor::zeros([2, 4, 2, 2], DType::F32)).is_err(), "wrong channels");
    assert!(bn.forward(&Tensor::zeros([1, 3, 1, 1], DType::F32)).is_err(), "one value per channel");
    assert!(BatchNorm1d::new(0, DType::F32).is_err());
}

#[test]
fn layer_norm_closed_form_and_gradcheck() {
    let x = Tensor::from_vec(vec![1.0, 2.0, 3.0, 4.0, 10.0, 10.0, 10.0, 14.0], [2, 4]).unwrap();
    let ln = LayerNorm::new(&[4], DType::F64).unwrap();
    let y = ln.forward(&x).unwrap().to_f64_vec();
    let s = (1.25f64 + 1e-5).sqrt();
    let t = (3.0f64 + 1e-5).sqrt(); // row 2: mean 11, biased var 3
    close(&y[..4], &[-1.5 / s, -0.5 / s, 0.5 / s, 1.5 / s], 1e-12, "row 1");
    close(&y[4..], &[-1.0 / t, -1.0 / t, -1.0 / t, 3.0 / t], 1e-12, "row 2");
    check(
        "LayerNorm input",
        |t| LayerNorm::new(&[3, 2], DType::F64)?.forward(&t[0]),
        &[rand([2, 3, 2], 12)],
    );
    // γ = 1, β = 0 at creation, so y = n γ + β with tracked γ, β is the affine layer.
    let x = rand([4, 3], 13);
    let f = |t: &[Tensor]| LayerNorm::new(&[3], DType::F64)?.forward(&x)?.mul(&t[0])?.add(&t[1]);
    check("LayerNorm affine", f, &[rand([3], 14), rand([3], 15)]);
    assert!(ln.forward(&Tensor::zeros([2, 3], DType::F64)).is_err());
    assert!(LayerNorm::new(&[], DType::F64).is_err());
}

#[test]
fn layer_norm_op_equals_the_composed_ops_with_and_without_a_graph() {
    // Random γ and β over two trailing axes, a non-contiguous input, rows far from zero mean;
    // 35 rows, so the parameter gradients add three blocks of rows.
    let composed = |x: &Tensor, w: &Tensor, b: &Tensor| -> Result<Tensor> {
        let mean = x.mean(vec![2, 3], true)?;
        let centred = x.sub(&mean)?;
        let var = centred.square()?.mean(vec![2, 3], true)?;
        centred.div(&var.add_scalar(1e-12)?.sqrt()?)?.mul(w)?.add(b)
    };
    let x = rand([3, 2, 5, 7], 18).add_scalar(5.0).unwrap().permute(&[2, 3, 0, 1]).unwrap();
    let (w, b) = (rand([3, 2], 16), rand([3, 2], 17));
    let g = rand([5, 7, 3, 2], 19);
    for (dtype, tol) in [(DType::F64, 1e-12), (DType::F32, 2e-5)] {
        let [x, w, b, g] = [&x, &w, &b, &g].map(|t| t.to_dtype(dtype).unwrap());
        let ln = LayerNorm::from_tensors(w.clone(), b.clone(), 1e-12).unwrap();
        let fused = axon::no_grad(|| ln.forward(&x)).unwrap();
        assert!(!fused.is_tracked());
        assert_eq!(fused.dims(), [5, 7, 3, 2]);
        let [xt, wt, bt] = [&x, &w, &b].map(|t| t.clone().requires_grad());
        let reference = composed(&xt, &wt, &bt).unwrap();
        close(&fused.to_f64_vec(), &reference.detach().to_f64_vec(), tol, "no graph");
        let want = reference.mul(&g).unwrap().sum_all().unwrap().backward().unwrap();
        let [xf, wf, bf] = [&x, &wt, &bt].map(|t| t.clone().requires_grad());
        let y = xf.reshape([35, 6]).unwrap();
        let y = y.layer_norm(&wf.reshape([6]).unwrap(), &bf.reshape([6]).unwrap(), 1e-12);
        let y = y.unwrap().reshape([5, 7, 3, 2]).unwrap();
        assert!(y.is_tracked());
        close(&y.detach().to_f64_vec(), &reference.detach().to_f64_vec(), tol, "graph");
        let got = y.mul(&g).unwrap().sum_all().unwrap().backward().unwrap();
        for (name, a, b) in [("x", &xf, &xt), ("γ", &wf, &wt), ("β", &bf, &bt)] {
            let (a, b) = (got.get(a).unwrap(), want.get(b).unwrap());
            close(&a.to_f64_vec(), &b.to_f64_vec(), 100.0 * tol, name);
        }
    }
    // Every input's gradient against finite differences, over 20 rows (two blocks).
    let f = |t: &[Tensor]| t[0].layer_norm(&t[1], &t[2], 1e-5);
    check("layer_norm x, γ, β", f, &[rand([20, 5], 20), rand([5], 21), rand([5], 22)]);
    let f = |t: &[Tensor]| t[0].layer_norm(&t[1], &t[2], 1e-5);
    let bad = [rand([4, 5], 23), rand([4], 24), rand([4], 25)];
    assert!(f(&bad).is_err(), "rows of 5 against γ of 4");
}

#[test]
fn embedding_lookup_and_gradcheck() {
    let w = Tensor::from_vec((0..12).map(f64::from).collect(), [4, 3]).unwrap();
    let emb = Embedding::from_tensor(w.clone()).unwrap();
    let idx = Tensor::from_vec(vec![3i64, 0, 3, 1], [2, 2]).unwrap();
    let y = emb.forward(&idx).unwrap();
    assert_eq!(y.dims(), [2, 2, 3]);
    let want = [9.0, 10.0, 11.0, 0.0, 1.0, 2.0, 9.0, 10.0, 11.0, 3.0, 4.0, 5.0];
    close(&y.to_f64_vec(), &want, 0.0, "rows");
    let f = |t: &[Tensor]| Embedding::from_tensor(t[0].clone())?.forward(&t[1]);
    check("Embedding weight", f, &[rand([4, 3], 16), idx]);
    let bad = Tensor::from_vec(vec![4i64], [1]).unwrap();
    assert!(emb.forward(&bad).is_err(), "index out of range");
    assert!(emb.forward(&Tensor::zeros([2], DType::F64)).is_err(), "float indices");
    let emb = Embedding::new(10, 5, DType::F32, &mut Rng::seed(1)).unwrap();
    let v = emb.weight().value().to_f64_vec();
    let mean = v.iter().sum::<f64>() / 50.0;
    assert!(mean.abs() < 0.5 && v.iter().any(|x| x.abs() > 1.0), "N(0, 1) initialisation");
}

#[test]
fn batch_norm_buffers_saved_and_loaded_with_the_module() {
    let mut rng = Rng::seed(2);
    let make = |rng: &mut Rng| {
        Sequential::new()
            .with(axon::nn::Linear::new(3, 2, true, DType::F32, rng).unwrap())
            .with(BatchNorm1d::new(2, DType::F32).unwrap())
    };
    let (a, b) = (make(&mut rng), make(&mut rng));
    a.forward(&Tensor::rand([6, 3], -1.0, 1.0, DType::F32, &mut rng)).unwrap();
    let path = std::env::temp_dir().join(format!("axon-bn-{}.safetensors", std::process::id()));
    axon::io::save_module(&a, &path).unwrap();
    let names: Vec<String> =
        axon::io::load_safetensors(&path).unwrap().tensors.into_iter().map(|(n, _)| n).collect();
    let want = [
        "0.bias",
        "0.weight",
        "1.bias",
        "1.num_batches_tracked",
        "1.running_mean",
        "1.running_var",
        "1.weight",
    ];
    assert_eq!(names, want);
    axon::io::load_module(&b, &path).unwrap();
    let state = |m: &Sequential| {
        let buffers = m.buffers().into_iter().map(|(_, b)| b.value().to_f64_vec());
        m.parameters().into_iter().map(|(_, p)| p.value().to_f64_vec()).chain(buffers).collect()
    };
    let (sa, sb): (Vec<Vec<f64>>, Vec<Vec<f64>>) = (state(&a), state(&b));
    assert_eq!(sa, sb);
    assert_ne!(sa[4], vec![0.0, 0.0], "the running mean moved");
    // A file without the buffers does not load into a model with them.
    axon::io::save_parameters(&a.parameters(), &path).unwrap();
    assert!(axon::io::load_module(&b, &path).is_err());
    std::fs::remove_file(&path).unwrap();
}
