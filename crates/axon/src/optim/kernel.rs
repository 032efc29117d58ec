//! The update loop the optimizers share: `w_new[j] = rule(w[j], g[j], s_1[j], …, s_K[j])` for
//! every element `j` of a parameter, with `K` state buffers (Adam's `m` and `v`) kept in the
//! parameter's own float type, as PyTorch keeps them.
//!
//! A [`Tensor`] is immutable and the step's graph may still hold the current value, so the new
//! values go into another buffer: the one that held the parameter's value one step before, which
//! nothing references any more once that step's graph is gone (a [`Slot`] keeps it). Steady-state
//! training therefore allocates nothing and faults in no fresh pages. Each [`Rule`] is a tight
//! loop over slices, run through [`simd::dispatch`] so that it is vectorised at the CPU's widest
//! width (AVX-512 or AVX2: Adam's square root and division were a fifth of an MLP epoch at the
//! baseline's four lanes); the operations are the same IEEE ones at every width, so the result is
//! bit-identical. Large parameters are split across rayon.

use std::sync::Arc;

use rayon::prelude::*;

use crate::error::{Error, Result};
use crate::nn::Param;
use crate::ops::simd::{self, Kernel};
use crate::ops::PARALLEL_THRESHOLD;
use crate::tensor::{buffers, Element, Float, Layout, Storage, Tensor};

/// Elements per parallel task.
const CHUNK: usize = 1 << 14;

/// An element-wise update with `K` state buffers.
pub(crate) trait Rule<const K: usize>: Sync {
    /// Writes the new values of `w` (given its gradient `g`) into `out`, updating `state`;
    /// all slices have one length. Implementations mark it `#[inline(always)]`, so that it is
    /// compiled inside [`simd::dispatch`]'s feature-enabled caller.
    fn apply<T: Float>(&self, w: &[T], g: &[T], state: [&mut [T]; K], out: &mut [T]);
}

/// One parameter's state buffers (empty until first used) and its recycled value buffer.
pub(crate) struct Slot<const K: usize> {
    state: [Storage; K],
    spare: Option<Arc<Storage>>,
}

impl<const K: usize> Default for Slot<K> {
    fn default() -> Self {
        Slot { state: std::array::from_fn(|_| Storage::F64(Vec::new())), spare: None }
    }
}

impl<const K: usize> Slot<K> {
    /// True until a step has created the state buffers.
    pub(crate) fn is_fresh(&self) -> bool {
        self.state.iter().all(Storage::is_empty)
    }

    /// Buffer `k` as `f64` values (empty when unused), for checkpoints.
    pub(crate) fn export(&self, k: usize) -> Vec<f64> {
        match &self.state[k] {
            Storage::F32(v) => v.iter().map(|&x| f64::from(x)).collect(),
            Storage::F64(v) => v.clone(),
            Storage::I64(_) => Vec::new(),
        }
    }

    /// Sets buffer `k` from `f64` values (empty: unused), in `param`'s float type.
    pub(crate) fn import(&mut self, k: usize, values: &[f64], param: &Param) {
        self.state[k] = match param.value().storage() {
            Storage::F32(_) => Storage::F32(values.iter().map(|&x| x as f32).collect()),
            _ => Storage::F64(values.to_vec()),
        };
    }
}

/// Replaces `param` by the result of `rule` given its gradient `grad`.
pub(crate) fn step<R: Rule<K>, const K: usize>(
    param: &Param,
    grad: &Tensor,
    slot: &mut Slot<K>,
    rule: &R,
) -> Result<()> {
    let w = param.value();
    if grad.shape() != w.shape() || grad.dtype() != w.dtype() {
        return Err(Error::ShapeMismatch {
            op: "optimizer step",
            lhs: w.shape().clone(),
            rhs: grad.shape().clone(),
        });
    }
    let storage = match w.storage() {
        Storage::F32(_) => run::<f32, R, K>(&w, grad, slot, rule)?,
        Storage::F64(_) => run::<f64, R, K>(&w, grad, slot, rule)?,
        Storage::I64(_) => return Err(Error::invalid("param", w.dtype(), "cannot train i64")),
    };
    slot.spare = Some(w.storage_arc().clone());
    param.set(Tensor::from_parts(storage, Layout::contiguous(w.shape().clone()), None))
}

/// The new value buffer of a parameter of `n` elements: `spare` when nothing else holds it.
fn output_buffer<T: Element>(spare: Option<Arc<Storage>>, n: usize) -> Arc<Storage> {
    if let Some(mut s) = spare {
        if Arc::get_mut(&mut s).is_some_and(|s| fits::<T>(s, n)) {
            return s;
        }
    }
    Arc::new(T::into_storage(buffers::take_stale(n)))
}

fn fits<T: Element>(s: &mut Storage, n: usize) -> bool {
    T::as_mut_vec(s).is_some_and(|v| v.len() == n)
}

fn run<T: Float, R: Rule<K>, const K: usize>(
    w: &Tensor,
    g: &Tensor,
    slot: &mut Slot<K>,
    rule: &R,
) -> Result<Arc<Storage>> {
    let (w, g) = (w.values::<T>()?, g.values::<T>()?);
    let n = w.len();
    for s in &mut slot.state {
        if !fits::<T>(s, n) {
            *s = T::into_storage(vec![T::from_f64(0.0); n]);
        }
    }
    let mut out = output_buffer::<T>(slot.spare.take(), n);
    let out_vec = Arc::get_mut(&mut out).and_then(T::as_mut_vec).ok_or_else(|| {
        Error::invalid("param", T::DTYPE, "the optimizer's value buffer is shared")
    })?;
    let state = slot.state.each_mut().map(|s| T::as_mut_vec(s).map_or(&mut [][..], |v| v));
    if n < PARALLEL_THRESHOLD {
        simd::dispatch(Apply { rule, w: &w, g: &g, state, out: out_vec });
        return Ok(out);
    }
    let mut parts = state.map(|s| s.chunks_mut(CHUNK));
    let chunks: Vec<[&mut [T]; K]> = (0..n.div_ceil(CHUNK))
        .map(|_| parts.each_mut().map(|p| p.next().unwrap_or_default()))
        .collect();
    (w.par_chunks(CHUNK), g.par_chunks(CHUNK), out_vec.par_chunks_mut(CHUNK), chunks)
        .into_par_iter()
        .for_each(|(w, g, out, state)| simd::dispatch(Apply { rule, w, g, state, out }));
    Ok(out)
}

/// One [`Rule::apply`] call as a [`Kernel`], for [`simd::dispatch`].
struct Apply<'a, T, R, const K: usize> {
    rule: &'a R,
    w: &'a [T],
    g: &'a [T],
    state: [&'a mut [T]; K],
    out: &'a mut [T],
}

impl<T: Float, R: Rule<K>, const K: usize> Kernel for Apply<'_, T, R, K> {
    #[inline(always)]
    fn run(self) {
        self.rule.apply(self.w, self.g, self.state, self.out);
    }
}
