//! The fused epilogue of a fully connected layer `y = f(x Wᵀ + b)`: after the product, one pass
//! over its output adds the bias and applies the activation `f` row by row, while the row is in
//! cache, instead of a broadcast add and an activation op that each read and write the whole
//! matrix. The backward pass is one pass too: `dz = g ⊙ f'(z)` and the bias gradient
//! `db_j = Σ_i dz_ij` together.
//!
//! `f` is any activation among the elementwise ops ([`UnaryOp`]: ReLU, leaky ReLU, ELU, tanh,
//! sigmoid, GELU, softplus) or none; [`fusable`] says which. The scalar functions are
//! [`super::unary`]'s (the same formulas, so the fused forward pass is bit-identical to the
//! unfused ops). The derivative reads the output `y` where that suffices (ReLU, tanh, sigmoid)
//! and otherwise the pre-activation `z`, which the forward pass then keeps. Rows are split across
//! threads when the matrix is large; the bias gradient sums rows in order on one thread, so it
//! does not depend on the thread count.

use rayon::prelude::*;

use super::dispatch::{dense, Map};
use super::op::UnaryOp;
use super::simd::{dispatch, Loop};
use super::unary::{normal_cdf, normal_pdf, sigmoid, softplus};
use super::PARALLEL_THRESHOLD;
use crate::tensor::{buffers, Element, Float, Layout, Storage};

/// True when `act` can be fused into a layer's epilogue.
pub fn fusable(act: UnaryOp) -> bool {
    use UnaryOp::*;
    matches!(act, Relu | LeakyRelu(_) | Elu(_) | Tanh | Sigmoid | Gelu | Softplus)
}

/// True when the derivative of `act` needs the pre-activation `z`, not only the output.
pub fn needs_pre_activation(act: Option<UnaryOp>) -> bool {
    use UnaryOp::*;
    matches!(act, Some(LeakyRelu(_) | Elu(_) | Gelu | Softplus))
}

/// `f` itself: a place for the `#[inline(always)]` attribute of the closures below (attributes
/// are allowed on a closure in argument position), so that their bodies are compiled inside the
/// vectorised loops of [`dispatch`].
#[inline(always)]
fn inlined<F>(f: F) -> F {
    f
}

/// Runs `$body` with `$f` bound to the scalar function of `$act` (`None`: the identity), so that
/// the loop in `$body` is monomorphised for each activation.
macro_rules! with_activation {
    ($act:expr, $t:ty, |$f:ident| $body:expr) => {{
        let zero = <$t>::zero();
        match $act {
            None => {
                let $f = inlined(
                    #[inline(always)]
                    |v: $t| v,
                );
                $body
            }
            Some(UnaryOp::Relu) => {
                let $f = inlined(
                    #[inline(always)]
                    |v: $t| if v > zero || v.is_nan() { v } else { zero },
                );
                $body
            }
            Some(UnaryOp::LeakyRelu(s)) => {
                let s = <$t>::from_f64(s);
                let $f = inlined(
                    #[inline(always)]
                    |v: $t| if v > zero { v } else { v * s },
                );
                $body
            }
            Some(UnaryOp::Elu(alpha)) => {
                let a = <$t>::from_f64(alpha);
                let $f = inlined(
                    #[inline(always)]
                    |v: $t| if v > zero { v } else { a * v.exp_m1() },
                );
                $body
            }
            Some(UnaryOp::Tanh) => {
                let $f = inlined(
                    #[inline(always)]
                    |v: $t| v.fast_tanh(),
                );
                $body
            }
            Some(UnaryOp::Sigmoid) => {
                let $f = inlined(
                    #[inline(always)]
                    |v: $t| sigmoid(v),
                );
                $body
            }
            Some(UnaryOp::Gelu) => {
                let $f = inlined(
                    #[inline(always)]
                    |v: $t| v * normal_cdf(v),
                );
                $body
            }
            Some(UnaryOp::Softplus) => {
                let $f = inlined(
                    #[inline(always)]
                    |v: $t| softplus(v),
                );
                $body
            }
            Some(other) => unreachable!("{other:?} is not fusable: the caller checks `fusable`"),
        }
    }};
}

/// Runs `$body` with `$d` bound to `(z, y, g) -> g · f'(z)` for `$act`, where `y = f(z)` (and
/// `z` is only read by the activations of [`needs_pre_activation`]).
macro_rules! with_derivative {
    ($act:expr, $t:ty, |$d:ident| $body:expr) => {{
        let (zero, one) = (<$t>::zero(), <$t>::one());
        match $act {
            None => {
                let $d = inlined(
                    #[inline(always)]
                    |_: $t, _: $t, g: $t| g,
                );
                $body
            }
            // y > 0 exactly when z > 0 (a NaN gives neither).
            Some(UnaryOp::Relu) => {
                let $d = inlined(
                    #[inline(always)]
                    |_: $t, y: $t, g: $t| if y > zero { g } else { zero },
                );
                $body
            }
            Some(UnaryOp::LeakyRelu(s)) => {
                let s = <$t>::from_f64(s);
                let $d = inlined(
                    #[inline(always)]
                    |z: $t, _: $t, g: $t| if z > zero { g } else { g * s },
                );
                $body
            }
            Some(UnaryOp::Elu(alpha)) => {
                let a = <$t>::from_f64(alpha);
                let $d = inlined(
                    #[inline(always)]
                    |z: $t, y: $t, g: $t| if z > zero { g } else { g * (y + a) },
                );
                $body
            }
            Some(UnaryOp::Tanh) => {
                let $d = inlined(
                    #[inline(always)]
                    |_: $t, y: $t, g: $t| g * (one - y * y),
                );
                $body
            }
            Some(UnaryOp::Sigmoid) => {
                let $d = inlined(
                    #[inline(always)]
                    |_: $t, y: $t, g: $t| g * y * (one - y),
                );
                $body
            }
            Some(UnaryOp::Gelu) => {
                let $d = inlined(
                    #[inline(always)]
                    |z: $t, _: $t, g: $t| g * (normal_cdf(z) + z * normal_pdf(z)),
                );
                $body
            }
            Some(UnaryOp::Softplus) => {
                let $d = inlined(
                    #[inline(always)]
                    |z: $t, _: $t, g: $t| g * sigmoid(z),
                );
                $body
            }
            Some(other) => unreachable!("{other:?} is not fusable: the caller checks `fusable`"),
        }
    }};
}

/// Rows per parallel task.
fn rows_per_task(cols: usize) -> usize {
    (PARALLEL_THRESHOLD / 4 / cols.max(1)).max(1)
}

/// `y ← f(y + b)` in place on the rows of `y` (`cols` wide); the pre-activation `y + b` is
/// returned when `keep_pre`.
pub fn forward<T: Float>(
    y: &mut [T],
    bias: Option<&[T]>,
    cols: usize,
    act: Option<UnaryOp>,
    keep_pre: bool,
) -> Option<Vec<T>> {
    let mut pre = keep_pre.then(|| buffers::take_stale::<T>(y.len()));
    let rows = |y: &mut [T], pre: Option<&mut [T]>| {
        dispatch(Loop(
            #[inline(always)]
            || {
                if let Some(b) = bias {
                    for row in y.chunks_exact_mut(cols) {
                        for (v, &b) in row.iter_mut().zip(b) {
                            *v += b;
                        }
                    }
                }
                if let Some(pre) = pre {
                    pre.copy_from_slice(y);
                }
                if act.is_some() {
                    with_activation!(act, T, |f| {
                        for v in y.iter_mut() {
                            *v = f(*v);
                        }
                    });
                }
            },
        ))
    };
    let task = rows_per_task(cols) * cols;
    if y.len() < PARALLEL_THRESHOLD {
        rows(y, pre.as_deref_mut());
    } else if let Some(pre) = pre.as_deref_mut() {
        y.par_chunks_mut(task).zip(pre.par_chunks_mut(task)).for_each(|(y, p)| rows(y, Some(p)));
    } else {
        y.par_chunks_mut(task).for_each(|y| rows(y, None));
    }
    pre
}

/// `dz = g ⊙ f'(z)` from the output `y`, the pre-activation `z` (when kept) and the incoming
/// gradient `g`, all contiguous `(rows, cols)`; with `want_bias`, also `db = Σ_rows dz`.
pub fn backward<T: Float>(
    z: Option<&[T]>,
    y: &[T],
    g: &[T],
    cols: usize,
    act: Option<UnaryOp>,
    want_bias: bool,
) -> (Vec<T>, Option<Vec<T>>) {
    let mut dz = buffers::take_stale::<T>(y.len());
    let z = z.unwrap_or(y);
    debug_assert!(z.len() == y.len() && g.len() == y.len());
    let rows = |dz: &mut [T], z: &[T], y: &[T], g: &[T]| {
        dispatch(Loop(
            #[inline(always)]
            || {
                with_derivative!(act, T, |d| {
                    for (((o, &z), &y), &g) in dz.iter_mut().zip(z).zip(y).zip(g) {
                        *o = d(z, y, g);
                    }
                })
            },
        ))
    };
    if y.len() < PARALLEL_THRESHOLD {
        rows(&mut dz, z, y, g);
    } else {
        let task = rows_per_task(cols) * cols;
        dz.par_chunks_mut(task)
            .zip(z.par_chunks(task))
            .zip(y.par_chunks(task).zip(g.par_chunks(task)))
            .for_each(|((dz, z), (y, g))| rows(dz, z, y, g));
    }
    // The bias gradient sums the rows in order, on one thread: the same bits on any thread count.
    let db = want_bias.then(|| {
        let mut db = buffers::take_zeroed::<T>(cols);
        dispatch(Loop(
            #[inline(always)]
            || {
                for row in dz.chunks_exact(cols) {
                    for (s, &v) in db.iter_mut().zip(row) {
                        *s += v;
                    }
                }
            },
        ));
        db
    });
    (dz, db)
}

/// [`forward`] on a storage of either float type; the bias (if any) is a contiguous operand of
/// the same type.
pub fn forward_storage(
    y: &mut Storage,
    bias: Option<(&Storage, &Layout)>,
    cols: usize,
    act: Option<UnaryOp>,
) -> Option<Storage> {
    let keep = needs_pre_activation(act);
    match y {
        Storage::F32(y) => {
            let b = bias.and_then(|(s, l)| Some(dense((f32::as_slice(s)?, l))));
            forward(y, b, cols, act, keep).map(Storage::F32)
        }
        Storage::F64(y) => {
            let b = bias.and_then(|(s, l)| Some(dense((f64::as_slice(s)?, l))));
            forward(y, b, cols, act, keep).map(Storage::F64)
        }
        Storage::I64(_) => unreachable!("the layer checked its float dtype"),
    }
}

/// The gradient kernel of the fused layer, of the contiguous operands `[z, y, g]` (`z` is `y`
/// again when the activation does not need it): `dz` and, if wanted, `db`.
pub struct LinearGrad {
    pub act: Option<UnaryOp>,
    pub cols: usize,
    pub want_bias: bool,
}

impl Map<3> for LinearGrad {
    type Output = (Storage, Option<Storage>);
    fn name(&self) -> &'static str {
        "linear backward"
    }
    fn f<T: Float>(&self, [z, y, g]: [(&[T], &Layout); 3]) -> Self::Output {
        let (z, y, g) = (dense(z), dense(y), dense(g));
        let (dz, db) = backward(Some(z), y, g, self.cols, self.act, self.want_bias);
        (T::into_storage(dz), db.map(T::into_storage))
    }
}
