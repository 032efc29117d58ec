//! Times the fused scaled-dot-product attention at MiniLM's shapes for
//! `scripts/bench_attention.py`, which runs PyTorch's
//! `torch.nn.functional.scaled_dot_product_attention` on the same operands beside it: queries,
//! keys and values `(B, H, L, D)` `f32` (seeded normals), forward alone (untracked) or forward and
//! backward (tracked, the backward pass fed a fixed seeded gradient of the output).
//!
//! `cargo run --release -p axon --example bench_attention -- forward|backward B H L D REPEATS [PAD]`
//! (no arguments: `backward 2 12 64 32 2 8`, a small run, as CI runs every example) prints
//! `{"seconds", "peak_extra_mb", "output_hash", "grads_hash"}`: the median seconds of a call
//! after one warm-up call; the peak resident memory above what the operands held before the
//! first call (the peak is reset through `/proc/self/clear_refs` first); and FNV-1a hashes of the
//! output's and the gradients' bits, to check that a change of the kernel keeps them. With `PAD`,
//! batch row `b` masks its last `PAD · b` keys (`min(PAD · b, L − 1)`), as a tokenizer pads.

#[path = "support/peak_memory.rs"]
mod peak_memory;

use std::error::Error;
use std::time::Instant;

use axon::{DType, Rng, Tensor};
use peak_memory::{peak_rss_mb, rss_mb};

/// FNV-1a over the bits of `t`'s values in logical order.
fn hash(t: &Tensor, mut h: u64) -> Result<u64, Box<dyn Error>> {
    for x in t.to_vec::<f32>()? {
        for byte in x.to_bits().to_le_bytes() {
            h = (h ^ byte as u64).wrapping_mul(0x100_0000_01b3);
        }
    }
    Ok(h)
}

const FNV: u64 = 0xcbf2_9ce4_8422_2325;

fn main() -> Result<(), Box<dyn Error>> {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    if args.is_empty() {
        // Without arguments (as CI runs every example), a small padded backward run.
        args = ["backward", "2", "12", "64", "32", "2", "8"].map(String::from).to_vec();
    }
    let [mode, b, h, l, d, repeats, rest @ ..] = &args[..] else {
        return Err("usage: bench_attention forward|backward B H L D REPEATS [PAD]".into());
    };
    let [b, h, l, d, repeats] = [b, h, l, d, repeats].map(|a| a.parse::<usize>());
    let [b, h, l, d, repeats] = [b?, h?, l?, d?, repeats?];
    let backward = match mode.as_str() {
        "forward" => false,
        "backward" => true,
        _ => return Err(format!("mode {mode}: forward or backward").into()),
    };
    let pad: usize = rest.first().map(|p| p.parse()).transpose()?.unwrap_or(0);
    let mut rng = Rng::seed(0);
    let [q, k, v, g] = [(); 4].map(|_| Tensor::randn([b, h, l, d], 0.0, 1.0, DType::F32, &mut rng));
    let mask = (pad > 0)
        .then(|| {
            let keep =
                (0..b * l).map(|i| if i % l < l - (pad * (i / l)).min(l - 1) { 1.0 } else { 0.0 });
            Tensor::from_vec(keep.collect::<Vec<f32>>(), [b, l])
        })
        .transpose()?;
    let (q, k, v) = match backward {
        true => (q.requires_grad(), k.requires_grad(), v.requires_grad()),
        false => (q, k, v),
    };
    let call = || -> Result<(Tensor, Vec<Tensor>), Box<dyn Error>> {
        let o = q.scaled_dot_product_attention(&k, &v, mask.as_ref(), None)?;
        if !backward {
            return Ok((o, Vec::new()));
        }
        let grads = o.backward_with(&g)?;
        let grads = [&q, &k, &v].map(|t| grads.get(t).expect("a gradient").clone());
        Ok((o, grads.to_vec()))
    };
    std::fs::write("/proc/self/clear_refs", "5").ok();
    let base = rss_mb();
    let (o, grads) = call()?;
    let mut times = Vec::with_capacity(repeats);
    for _ in 0..repeats {
        let started = Instant::now();
        std::hint::black_box(call()?);
        times.push(started.elapsed().as_secs_f64());
    }
    let peak_extra = peak_rss_mb() - base;
    times.sort_by(f64::total_cmp);
    let seconds = times.get(times.len() / 2).copied().unwrap_or(f64::NAN);
    let output_hash = hash(&o, FNV)?;
    let grads_hash = grads.iter().try_fold(FNV, |h, t| hash(t, h))?;
    println!(
        "{{\"seconds\": {seconds}, \"peak_extra_mb\": {peak_extra:.1}, \
         \"output_hash\": \"{output_hash:016x}\", \"grads_hash\": \"{grads_hash:016x}\"}}"
    );
    Ok(())
}
