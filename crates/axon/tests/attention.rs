//! Scaled dot-product attention: the fused op against the same function composed of the engine's
//! own ops (`matmul`, `softmax`, `where_cond`), finite-difference gradient checks in `q`, `k` and
//! `v` with and without a key mask and for 3-D and 4-D operands, the masking rules (a padded key
//! gets no weight and no gradient; a row with every key masked gives zeros), `f32` against `f64`,
//! strided operands and padding at the end of the keys (the kernel's fast path), the backward
//! pass's probabilities (computed again) equal to the forward pass's bit for bit, the errors for
//! operands that do not fit, and `nn::MultiHeadAttention` (gradients in the input
//! and all its weights; padding masked out leaves the real tokens exactly as without it), and
//! `nn::TransformerEncoderLayer` (post-LN and pre-LN: gradients, padding, seeded dropout).

use axon::nn::{
    EncoderLayerConfig, FeedForwardActivation, Linear, Module, MultiHeadAttention,
    TransformerEncoderLayer,
};
use axon::{gradcheck, no_grad, DType, Result, Rng, Shape, Tensor};

const EPS: f64 = 1e-6;

fn rand(shape: impl Into<Shape>, seed: u64) -> Tensor {
    Tensor::rand(shape, -1.5, 1.5, DType::F64, &mut Rng::seed(seed))
}

/// `softmax(scale · q kᵀ + (mask ? 0 : −∞)) v` from the engine's unfused ops, on `(B, H, L, D)`.
fn composed(q: &Tensor, k: &Tensor, v: &Tensor, mask: Option<&[f64]>) -> Result<Tensor> {
    let dims = q.dims().to_vec();
    let (b, h, lq, d) = (dims[0], dims[1], dims[2], dims[3]);
    let lk = k.dims()[2];
    let flat = |t: &Tensor| t.reshape([b * h, t.dims()[2], t.dims()[3]]);
    let scores =
        flat(q)?.matmul(&flat(k)?.transpose(1, 2)?)?.mul_scalar(1.0 / (d as f64).sqrt())?;
    let scores = match mask {
        None => scores,
        Some(m) => {
            let keep: Vec<f64> =
                (0..b * h).flat_map(|p| m[(p / h) * lk..(p / h + 1) * lk].to_vec()).collect();
            let keep = Tensor::from_vec(keep, [b * h, 1, lk])?.broadcast_to([b * h, lq, lk])?;
            let minus_inf = Tensor::full(f64::NEG_INFINITY, [b * h, lq, lk], DType::F64);
            Tensor::where_cond(&keep, &scores, &minus_inf)?
        }
    };
    scores.softmax(2)?.matmul(&flat(v)?)?.reshape([b, h, lq, v.dims()[3]])
}

fn assert_close(got: &Tensor, want: &Tensor, tol: f64, what: &str) {
    assert_eq!(got.dims(), want.dims(), "{what}: shapes");
    let (got, want) = (got.to_vec::<f64>().unwrap(), want.to_vec::<f64>().unwrap());
    for (i, (g, w)) in got.iter().zip(&want).enumerate() {
        assert!((g - w).abs() <= tol * (1.0 + w.abs()), "{what}[{i}]: got {g}, want {w}");
    }
}

#[test]
fn the_fused_op_equals_the_composed_ops() {
    let (q, k, v) = (rand([2, 3, 4, 5], 1), rand([2, 3, 6, 5], 2), rand([2, 3, 6, 7], 3));
    let fused = q.scaled_dot_product_attention(&k, &v, None, None).unwrap();
    assert_close(&fused, &composed(&q, &k, &v, None).unwrap(), 1e-13, "unmasked");

    let mask = [1.0, 1.0, 0.0, 1.0, 0.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 0.0];
    let m = Tensor::from_slice(&mask, [2, 6]).unwrap();
    let fused = q.scaled_dot_product_attention(&k, &v, Some(&m), None).unwrap();
    assert_close(&fused, &composed(&q, &k, &v, Some(&mask)).unwrap(), 1e-13, "masked");

    // An explicit scale, and large scores that would overflow a naive exp.
    let big = q.mul_scalar(400.0).unwrap();
    let fused = big.scaled_dot_product_attention(&k, &v, None, Some(0.5)).unwrap();
    let want = composed(&big.mul_scalar(0.5 * 5f64.sqrt()).unwrap(), &k, &v, None).unwrap();
    assert_close(&fused, &want, 1e-12, "scale 0.5, large scores");
}

#[test]
fn gradients_match_finite_differences() {
    let (q, k, v) = (rand([2, 2, 3, 4], 10), rand([2, 2, 5, 4], 11), rand([2, 2, 5, 3], 12));
    let mask =
        Tensor::from_slice(&[1.0, 0.0, 1.0, 1.0, 0.0, 1.0, 1.0, 1.0, 1.0, 1.0], [2, 5]).unwrap();
    for (name, mask) in [("4-D, no mask", None), ("4-D, key mask", Some(&mask))] {
        let report = gradcheck(
            |t| t[0].scaled_dot_product_attention(&t[1], &t[2], mask, None),
            &[q.clone(), k.clone(), v.clone()],
            EPS,
        )
        .unwrap();
        println!("{name}: {report}");
        assert!(report.is_close(1e-7, 1e-5), "{name}: {report}");
        assert_eq!(report.analytic.len(), 3, "{name}: q, k and v all checked");
    }
    // 3-D operands (one head), a scale of 0.3, and the result used twice downstream.
    let (q3, k3, v3) = (rand([3, 2, 4], 13), rand([3, 4, 4], 14), rand([3, 4, 2], 15));
    let report = gradcheck(
        |t| {
            let o = t[0].scaled_dot_product_attention(&t[1], &t[2], None, Some(0.3))?;
            o.mul(&o.tanh()?)
        },
        &[q3, k3, v3],
        EPS,
    )
    .unwrap();
    assert!(report.is_close(1e-7, 1e-5), "3-D: {report}");
}

#[test]
fn strided_heads_and_padding_at_the_end_give_the_composed_result() {
    // Heads of (B, L, H, D) projections viewed as (B, H, L, D), as multi-head attention splits
    // them; the kernel reads them through their strides.
    let heads = |t: &Tensor| t.permute(&[0, 2, 1, 3]);
    let (q, k, v) = (rand([3, 5, 2, 4], 50), rand([3, 6, 2, 4], 51), rand([3, 6, 2, 3], 52));
    // Every key; the first four (padding at the end, the tokenizer's pattern); the first only.
    let mask: Vec<f64> = [6, 4, 1]
        .iter()
        .flat_map(|&n| (0..6).map(move |j| if j < n { 1.0 } else { 0.0 }))
        .collect();
    let m = Tensor::from_slice(&mask, [3, 6]).unwrap();
    let (q4, k4, v4) = (heads(&q).unwrap(), heads(&k).unwrap(), heads(&v).unwrap());
    let want = composed(&q4.contiguous(), &k4.contiguous(), &v4.contiguous(), Some(&mask)).unwrap();
    let plain = no_grad(|| q4.scaled_dot_product_attention(&k4, &v4, Some(&m), None)).unwrap();
    assert_close(&plain, &want, 1e-13, "strided operands, no graph");
    assert!(plain.permute(&[0, 2, 1, 3]).unwrap().is_contiguous(), "heads merge without a copy");
    // With a graph (probabilities kept, spread back to every key) and in f32.
    let tracked = q4.clone().requires_grad().scaled_dot_product_attention(&k4, &v4, Some(&m), None);
    assert_close(&tracked.unwrap().detach(), &want, 1e-13, "strided operands, tracked");
    let f32 = |t: &Tensor| t.to_dtype(DType::F32).unwrap();
    let o32 =
        no_grad(|| f32(&q4).scaled_dot_product_attention(&f32(&k4), &f32(&v4), Some(&m), None));
    assert_close(&o32.unwrap().to_dtype(DType::F64).unwrap(), &want, 1e-5, "f32");
    let report = gradcheck(
        |t| {
            heads(&t[0])?.scaled_dot_product_attention(
                &heads(&t[1])?,
                &heads(&t[2])?,
                Some(&m),
                None,
            )
        },
        &[q, k, v],
        EPS,
    )
    .unwrap();
    assert!(report.is_close(1e-7, 1e-5), "padding at the end: {report}");
}

#[test]
fn masked_keys_get_no_weight_and_no_gradient() {
    let q = rand([1, 1, 2, 3], 20).requires_grad();
    let k = rand([1, 1, 3, 3], 21).requires_grad();
    let v = rand([1, 1, 3, 2], 22).requires_grad();
    let mask = Tensor::from_slice(&[1.0, 0.0, 1.0], [1, 3]).unwrap();
    let o = q.scaled_dot_product_attention(&k, &v, Some(&mask), None).unwrap();
    // Changing the masked key's value changes nothing.
    let mut v2 = v.detach().to_vec::<f64>().unwrap();
    v2[2] += 100.0;
    v2[3] -= 50.0;
    let v2 = Tensor::from_vec(v2, [1, 1, 3, 2]).unwrap();
    let o2 = no_grad(|| q.scaled_dot_product_attention(&k, &v2, Some(&mask), None)).unwrap();
    assert_close(&o.detach(), &o2, 0.0, "masked value ignored");
    let grads = o.sum_all().unwrap().backward().unwrap();
    let (dk, dv) = (grads.get(&k).unwrap(), grads.get(&v).unwrap());
    assert_eq!(&dk.to_vec::<f64>().unwrap()[3..6], [0.0; 3], "no gradient to a masked key");
    assert_eq!(&dv.to_vec::<f64>().unwrap()[2..4], [0.0; 2], "no gradient to a masked value");
}

#[test]
fn a_row_with_every_key_masked_gives_zeros() {
    let (q, k, v) = (rand([2, 2, 3], 30), rand([2, 4, 3], 31), rand([2, 4, 2], 32));
    let mask =
        Tensor::from_slice(&[0.0; 4].iter().chain(&[1.0; 4]).copied().collect::<Vec<_>>(), [2, 4])
            .unwrap();
    let o = q.scaled_dot_product_attention(&k, &v, Some(&mask), None).unwrap();
    let values = o.to_vec::<f64>().unwrap();
    assert_eq!(&values[..4], [0.0; 4], "batch row 0 has no key");
    assert!(values[4..].iter().all(|x| x.is_finite() && *x != 0.0), "{values:?}");
}

#[test]
fn f32_agrees_with_f64() {
    let (q, k, v) = (rand([2, 4, 8, 16], 40), rand([2, 4, 8, 16], 41), rand([2, 4, 8, 16], 42));
    let o64 = q.scaled_dot_product_attention(&k, &v, None, None).unwrap();
    let f32 = |t: &Tensor| t.to_dtype(DType::F32).unwrap();
    let o32 = f32(&q).scaled_dot_product_attention(&f32(&k), &f32(&v), None, None).unwrap();
    assert_eq!(o32.dtype(), DType::F32);
    assert_close(&o32.to_dtype(DType::F64).unwrap(), &o64, 1e-5, "f32");
}

#[test]
fn operands_that_do_not_fit_are_refused_with_their_shapes() {
    let q = rand([2, 3, 4], 50);
    let message = |r: Result<Tensor>| r.unwrap_err().to_string();
    let e = message(q.scaled_dot_product_attention(
        &rand([2, 5, 3], 51),
        &rand([2, 5, 2], 52),
        None,
        None,
    ));
    assert!(e.contains("scaled_dot_product_attention") && e.contains("[2, 5, 3]"), "{e}");
    let e = message(q.scaled_dot_product_attention(
        &rand([2, 5, 4], 51),
        &rand([2, 6, 2], 52),
        None,
        None,
    ));
    assert!(e.contains("[2, 6, 2]"), "{e}");
    let e = message(q.scaled_dot_product_attention(&q, &q, Some(&rand([2, 4], 53)), None));
    assert!(e.contains("key mask (2, 3)"), "{e}");
    let e = message(rand([4, 4], 54).scaled_dot_product_attention(&q, &q, None, None));
    assert!(e.contains("(batch, L, D)"), "{e}");
}

/// The layer built from tensors, so that gradcheck perturbs its weights too.
fn layer(t: &[Tensor], heads: usize) -> Result<MultiHeadAttention> {
    let linear = |i: usize| Linear::from_tensors(t[i].clone(), Some(t[i + 1].clone()));
    MultiHeadAttention::from_projections(linear(1)?, linear(3)?, linear(5)?, linear(7)?, heads)
}

fn weights(embed: usize, seed: u64) -> Vec<Tensor> {
    (0..8u64)
        .map(|i| if i % 2 == 0 { rand([embed, embed], seed + i) } else { rand([embed], seed + i) })
        .collect()
}

#[test]
fn multi_head_attention_gradients_in_the_input_and_every_weight() {
    let mask = Tensor::from_slice(&[1.0, 1.0, 0.0, 1.0, 1.0, 1.0], [2, 3]).unwrap();
    let mut inputs = vec![rand([2, 3, 4], 60)];
    inputs.extend(weights(4, 61).into_iter().map(|w| w.mul_scalar(0.5).unwrap()));
    let report =
        gradcheck(|t| layer(t, 2)?.forward_masked(&t[0], Some(&mask)), &inputs, EPS).unwrap();
    println!("MultiHeadAttention: {report}");
    assert!(report.is_close(1e-7, 1e-5), "{report}");
    assert_eq!(report.analytic.len(), 9, "the input and the eight weights");
}

#[test]
fn padding_masked_out_leaves_the_real_tokens_unchanged() {
    let w = weights(6, 70);
    let mut all = vec![Tensor::zeros([1], DType::F64)];
    all.extend(w);
    let mha = layer(&all, 3).unwrap();
    assert_eq!(mha.describe(), "MultiheadAttention(embed_dim=6, num_heads=3)");
    assert_eq!(mha.parameters().len(), 8);
    let x = rand([1, 3, 6], 71);
    let alone = mha.forward_masked(&x, None).unwrap();
    // The same three tokens followed by two padding tokens of arbitrary values.
    let padded =
        Tensor::concat(&[x.clone(), rand([1, 2, 6], 72).mul_scalar(50.0).unwrap()], 1).unwrap();
    let mask = Tensor::from_slice(&[1.0, 1.0, 1.0, 0.0, 0.0], [1, 5]).unwrap();
    let out = mha.forward_masked(&padded, Some(&mask)).unwrap();
    assert_close(&out.narrow(1, 0, 3).unwrap().contiguous(), &alone, 1e-13, "real tokens");
}

fn encoder_config(norm_first: bool) -> EncoderLayerConfig {
    EncoderLayerConfig {
        embed: 8,
        heads: 2,
        feed_forward: 16,
        activation: FeedForwardActivation::Gelu,
        dropout: 0.0,
        attention_dropout: 0.0,
        layer_norm_eps: 1e-12,
        norm_first,
    }
}

#[test]
fn encoder_layer_post_and_pre_ln_gradients_and_padding() {
    for norm_first in [false, true] {
        let layer = TransformerEncoderLayer::new(
            encoder_config(norm_first),
            DType::F64,
            &mut Rng::seed(80),
        )
        .unwrap();
        // PyTorch's nn.TransformerEncoderLayer(8, 2, 16) has 600 parameters too.
        assert_eq!(layer.num_parameters(), 600);
        let names: Vec<String> = layer.parameters().into_iter().map(|(n, _)| n).collect();
        assert!(names.contains(&"self_attn.q_proj.weight".to_string()), "{names:?}");
        assert!(names.contains(&"norm2.bias".to_string()), "{names:?}");
        let mask = Tensor::from_slice(&[1.0, 1.0, 1.0, 1.0, 1.0, 0.0], [2, 3]).unwrap();
        let report =
            gradcheck(|t| layer.forward_masked(&t[0], Some(&mask)), &[rand([2, 3, 8], 81)], EPS)
                .unwrap();
        assert!(report.is_close(1e-7, 1e-5), "norm_first {norm_first}: {report}");

        let x = rand([1, 2, 8], 82);
        let padded = Tensor::concat(&[x.clone(), rand([1, 1, 8], 83)], 1).unwrap();
        let mask = Tensor::from_slice(&[1.0, 1.0, 0.0], [1, 3]).unwrap();
        let out = layer.forward_masked(&padded, Some(&mask)).unwrap();
        let alone = layer.forward_masked(&x, None).unwrap();
        assert_close(&out.narrow(1, 0, 2).unwrap().contiguous(), &alone, 1e-12, "real tokens");
    }
}

#[test]
fn encoder_layer_dropout_is_seeded_and_off_in_evaluation() {
    let config = EncoderLayerConfig { dropout: 0.3, ..encoder_config(false) };
    let run = |seed: u64, training: bool| {
        let mut layer =
            TransformerEncoderLayer::new(config, DType::F64, &mut Rng::seed(seed)).unwrap();
        layer.train(training);
        layer.forward(&rand([2, 3, 8], 90)).unwrap().to_vec::<f64>().unwrap()
    };
    assert_eq!(run(7, true), run(7, true), "same seed, same masks");
    assert_ne!(run(7, true), run(7, false), "dropout acts in training mode");
    let mut layer = TransformerEncoderLayer::new(config, DType::F64, &mut Rng::seed(7)).unwrap();
    layer.train(false);
    let x = rand([2, 3, 8], 90);
    assert_eq!(
        layer.forward(&x).unwrap().to_vec::<f64>().unwrap(),
        layer.forward(&x).unwrap().to_vec::<f64>().unwrap(),
        "evaluation is deterministic"
    );
}

#[test]
fn attention_dropout_drops_probabilities_by_seed_and_keeps_their_gradient() {
    // With V = I the output is the dropped probabilities themselves: P ⊙ M / keep.
    let (b, h, l) = (2, 3, 40);
    let q = rand([b, h, l, 4], 100);
    let k = rand([b, h, l, 4], 101);
    let eye: Vec<f64> = (0..b * h * l * l).map(|i| f64::from(i % (l * l) % (l + 1) == 0)).collect();
    let v = Tensor::from_vec(eye, [b, h, l, l]).unwrap();
    let p = q.scaled_dot_product_attention(&k, &v, None, None).unwrap().to_f64_vec();
    let drop = |seed| {
        let o = q.scaled_dot_product_attention_dropout(&k, &v, None, None, 0.25, seed).unwrap();
        o.to_f64_vec()
    };
    let (a, same, other) = (drop(7), drop(7), drop(8));
    assert_eq!(a, same, "the same seed draws the same mask");
    assert_ne!(a, other, "another seed draws another mask");
    let dropped = a.iter().filter(|&&x| x == 0.0).count() as f64 / a.len() as f64;
    assert!((dropped - 0.25).abs() < 0.01, "dropped share {dropped} of {}", a.len());
    for (&x, &p) in a.iter().zip(&p) {
        assert!(x == 0.0 || (x - p / 0.75).abs() < 1e-12, "kept: P / keep ({x} vs {p})");
    }
    // The masks do not depend on the thread count.
    let one = rayon::ThreadPoolBuilder::new().num_threads(1).build().unwrap();
    assert_eq!(one.install(|| drop(7)), a, "one thread");
    // Gradients through a fixed mask: strided heads, padding at the end of the keys, f64.
    let mask = Tensor::from_slice(&[1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 0.0, 0.0], [1, 9]).unwrap();
    let heads = |t: &Tensor| t.reshape([1, 9, 2, 3])?.permute(&[0, 2, 1, 3]);
    let f = |t: &[Tensor]| {
        let (q, k, v) = (heads(&t[0])?, heads(&t[1])?, heads(&t[2])?);
        q.scaled_dot_product_attention_dropout(&k, &v, Some(&mask), None, 0.4, 3)
    };
    let inputs = [rand([1, 9, 6], 102), rand([1, 9, 6], 103), rand([1, 9, 6], 104)];
    let report = gradcheck(f, &inputs, EPS).unwrap();
    assert!(report.is_close(1e-7, 1e-5), "dropout gradients: {report}");
    let bad = q.scaled_dot_product_attention_dropout(&k, &v, None, None, 1.0, 0);
    assert!(bad.is_err(), "p = 1 is refused");
}

#[test]
fn multi_head_attention_dropout_acts_in_training_only() {
    let config = EncoderLayerConfig { attention_dropout: 0.5, ..encoder_config(false) };
    let run = |seed: u64, training: bool| {
        let mut layer =
            TransformerEncoderLayer::new(config, DType::F64, &mut Rng::seed(seed)).unwrap();
        layer.train(training);
        layer.forward(&rand([2, 3, 8], 91)).unwrap().to_vec::<f64>().unwrap()
    };
    assert_eq!(run(5, true), run(5, true), "same seed, same masks");
    assert_ne!(run(5, true), run(5, false), "attention dropout acts in training mode");
    let mut layer = TransformerEncoderLayer::new(config, DType::F64, &mut Rng::seed(5)).unwrap();
    layer.train(false);
    let x = rand([2, 3, 8], 91);
    let eval = layer.forward(&x).unwrap().to_vec::<f64>().unwrap();
    assert_eq!(eval, run(5, false), "evaluation ignores the dropout");
}

#[test]
fn the_backward_pass_computes_the_forward_probabilities_again_bit_for_bit() {
    // With V = I the output is P (dropped, with dropout), and with the output's gradient G = I,
    // dV = Pᵀ G is P again as the backward pass computed it: the two must be equal exactly, in
    // f32, through the whole-plane, the padded-prefix and the any-pattern paths.
    let (b, h, l) = (2, 3, 48);
    let f32_rand = |seed| Tensor::rand([b, h, l, 16], -2.0, 2.0, DType::F32, &mut Rng::seed(seed));
    let eye: Vec<f32> = (0..b * h * l * l).map(|i| f32::from(i % (l * l) % (l + 1) == 0)).collect();
    let eye = Tensor::from_vec(eye, [b, h, l, l]).unwrap();
    let (q, k, v) = (f32_rand(1).requires_grad(), f32_rand(2).requires_grad(), eye.clone());
    let v = v.requires_grad();
    let prefix: Vec<f32> = (0..b * l).map(|i| f32::from(i / l == 0 || i % l < 30)).collect();
    let pattern: Vec<f32> = (0..b * l).map(|i| f32::from(i % 3 != 1)).collect();
    for (mask, dropout) in [(None, 0.0), (Some(prefix), 0.0), (Some(pattern), 0.0), (None, 0.3)] {
        let mask = mask.map(|m| Tensor::from_vec(m, [b, l]).unwrap());
        let o = q.scaled_dot_product_attention_dropout(&k, &v, mask.as_ref(), None, dropout, 5);
        let o = o.unwrap();
        let grads = o.backward_with(&eye).unwrap();
        let dv = grads.get(&v).unwrap().transpose(2, 3).unwrap();
        let what = format!("mask {}, dropout {dropout}", mask.is_some());
        assert_eq!(dv.to_vec::<f32>().unwrap(), o.to_vec::<f32>().unwrap(), "{what}");
    }
}
