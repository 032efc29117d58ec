//! Convolution and pooling on image batches, with PyTorch's semantics and output sizes:
//!
//! - `x.conv2d(w, b, args)`: input `(N, C, H, W)`, weight `(O, C, kH, kW)`, bias `(O)`, output
//!   `(N, O, H_out, W_out)` with `H_out = ⌊(H + 2p − d(kH − 1) − 1) / s⌋ + 1`;
//! - `x.max_pool2d(k, s, p)` and `x.avg_pool2d(k, s, p)`: input `(N, C, H, W)`, output
//!   `(N, C, H_out, W_out)` with `H_out = ⌊(H + 2p − k) / s⌋ + 1`;
//! - `x.relu_max_pool2d(k, s, p)`: `x.relu()?.max_pool2d(k, s, p)` in one fused pass, forward and
//!   backward (the layers' `ReLU → MaxPool2d`, see [`crate::nn::Sequential`]);
//! - `x.conv2d_relu_max_pool2d(w, b, args)`: `x.conv2d(w, b, args)?.relu_max_pool2d(2, 2, 0)` as
//!   one op, each block's product pooled while it is in cache, so the convolution's full-size
//!   output and its gradient are never in memory (the layers' `Conv2d → ReLU → MaxPool2d(2)`).
//!
//! These methods check the shapes and arguments (every message names the op and the shapes), make
//! the operands contiguous, call the kernels of [`crate::ops::conv`] and [`crate::ops::pool`], and
//! record the op. Their gradients are in the backward pass's one `match`
//! ([`crate::autograd::backprop`]), which reads the geometry back with the same checks.

use std::sync::Arc;

use super::conv_args::{Conv2dArgs, Pair, Pool2dArgs};
use super::{is_grad_enabled, DType, Op, Shape, Tensor};
use crate::error::{Error, Result};
use crate::ops::conv::{Conv2d, ConvGeometry};
use crate::ops::pool::{Pool2d, PoolGeometry};
use crate::ops::Map;

fn rank4(op: &'static str, name: &'static str, t: &Tensor) -> Result<[usize; 4]> {
    <[usize; 4]>::try_from(t.dims()).map_err(|_| {
        Error::invalid(name, t.shape(), format!("{op} needs a 4-D tensor (N, C, H, W)"))
    })
}

fn float_dtype(op: &'static str, t: &Tensor) -> Result<()> {
    if t.dtype().is_float() {
        Ok(())
    } else {
        Err(Error::DTypeMismatch { op, expected: DType::F32, got: t.dtype() })
    }
}

/// An error unless both entries of `value` are at least 1; `what` ends the message.
fn check_args(name: &'static str, value: [usize; 2], what: impl Fn() -> String) -> Result<()> {
    if value.contains(&0) {
        return Err(Error::invalid(name, format!("{value:?}"), what()));
    }
    Ok(())
}

/// The checked geometry of `x.conv2d(w, b, args)`.
pub(crate) fn conv_geometry(
    x: &Tensor,
    w: &Tensor,
    b: Option<&Tensor>,
    args: Conv2dArgs,
) -> Result<ConvGeometry> {
    const OP: &str = "conv2d";
    let [n, c, h, wd] = rank4(OP, "input", x)?;
    let [o, cw, kh, kw] = <[usize; 4]>::try_from(w.dims()).map_err(|_| {
        Error::invalid("weight", w.shape(), "conv2d needs a 4-D weight (O, C, kH, kW)")
    })?;
    let mismatch =
        || Error::ShapeMismatch { op: OP, lhs: x.shape().clone(), rhs: w.shape().clone() };
    if c != cw || c == 0 || o == 0 {
        return Err(mismatch());
    }
    let shapes = |what: &'static str| {
        let (x, w) = (x.shape(), w.shape());
        move || format!("conv2d of input {x} with weight {w} needs {what}")
    };
    check_args("stride", args.stride, shapes("a stride of at least 1"))?;
    check_args("dilation", args.dilation, shapes("a dilation of at least 1"))?;
    check_args("kernel", [kh, kw], shapes("a kernel of at least 1×1"))?;
    if let Some(b) = b {
        if b.dims() != [o] {
            return Err(Error::ShapeMismatch {
                op: "conv2d bias",
                lhs: w.shape().clone(),
                rhs: b.shape().clone(),
            });
        }
    }
    let mut output = [0; 2];
    for (axis, (size, k)) in [(h, kh), (wd, kw)].into_iter().enumerate() {
        let (p, d, s) = (args.padding[axis], args.dilation[axis], args.stride[axis]);
        let span = d * (k - 1) + 1;
        if span > size + 2 * p {
            return Err(Error::invalid(
                "weight",
                w.shape(),
                format!(
                    "conv2d: the kernel spans {span} along axis {} (dilation {d}), more than the \
                     padded input size {} of input {}",
                    axis + 2,
                    size + 2 * p,
                    x.shape()
                ),
            ));
        }
        output[axis] = (size + 2 * p - span) / s + 1;
    }
    Ok(ConvGeometry {
        batch: n,
        in_channels: c,
        input: [h, wd],
        out_channels: o,
        kernel: [kh, kw],
        stride: args.stride,
        padding: args.padding,
        dilation: args.dilation,
        output,
    })
}

/// The checked geometry of a pooling of `x`.
pub(crate) fn pool_geometry(
    op: &'static str,
    x: &Tensor,
    args: Pool2dArgs,
) -> Result<PoolGeometry> {
    let [n, c, h, w] = rank4(op, "input", x)?;
    let shape = |what: &'static str| move || format!("{op} of input {} needs {what}", x.shape());
    check_args("kernel", args.kernel, shape("a window of at least 1×1"))?;
    check_args("stride", args.stride, shape("a stride of at least 1"))?;
    let mut output = [0; 2];
    for (axis, size) in [h, w].into_iter().enumerate() {
        let (k, s, p) = (args.kernel[axis], args.stride[axis], args.padding[axis]);
        if 2 * p > k {
            return Err(Error::invalid(
                "padding",
                format!("{:?}", args.padding),
                format!("{op}: padding must be at most half the window {:?}", args.kernel),
            ));
        }
        if k > size + 2 * p {
            return Err(Error::invalid(
                "kernel",
                format!("{:?}", args.kernel),
                format!("{op}: window larger than the padded input {}", x.shape()),
            ));
        }
        output[axis] = (size + 2 * p - k) / s + 1;
    }
    if (h * w) > u32::MAX as usize {
        return Err(Error::invalid("input", x.shape(), format!("{op}: planes over 2^32 elements")));
    }
    Ok(PoolGeometry {
        planes: n * c,
        input: [h, w],
        kernel: args.kernel,
        stride: args.stride,
        padding: args.padding,
        output,
    })
}

impl Tensor {
    /// 2-D convolution (cross-correlation, as `torch.nn.functional.conv2d`) of this `(N, C, H, W)`
    /// batch with `weight` `(O, C, kH, kW)` and an optional `bias` `(O)`.
    ///
    /// ```
    /// use axon::{Conv2dArgs, Tensor};
    /// let x = Tensor::from_vec((0..16).map(f64::from).collect(), [1, 1, 4, 4])?;
    /// let w = Tensor::ones([1, 1, 2, 2], axon::DType::F64);
    /// let y = x.conv2d(&w, None, Conv2dArgs::new(2, 0, 1))?; // 2×2 sums, stride 2
    /// assert_eq!(y.to_vec::<f64>()?, [10.0, 18.0, 42.0, 50.0]);
    /// # Ok::<(), axon::Error>(())
    /// ```
    pub fn conv2d(
        &self,
        weight: &Tensor,
        bias: Option<&Tensor>,
        args: Conv2dArgs,
    ) -> Result<Tensor> {
        self.conv(weight, bias, args, false)
    }

    /// `self.conv2d(weight, bias, args)?.relu_max_pool2d(2, 2, 0)` in one op, with the same
    /// values and gradients: each block of the convolution is pooled while it is in cache.
    pub fn conv2d_relu_max_pool2d(
        &self,
        weight: &Tensor,
        bias: Option<&Tensor>,
        args: Conv2dArgs,
    ) -> Result<Tensor> {
        self.conv(weight, bias, args, true)
    }

    fn conv(
        &self,
        weight: &Tensor,
        bias: Option<&Tensor>,
        args: Conv2dArgs,
        pool: bool,
    ) -> Result<Tensor> {
        let g = conv_geometry(self, weight, bias, args)?;
        if pool && g.output.iter().any(|&s| s < 2) {
            return Err(Error::invalid(
                "input",
                self.shape(),
                format!(
                    "conv2d_relu_max_pool2d: the convolution's {:?} output is smaller than the \
                     2×2 pooling window",
                    g.output
                ),
            ));
        }
        float_dtype("conv2d", self)?;
        for t in std::iter::once(weight).chain(bias) {
            if t.dtype() != self.dtype() {
                return Err(Error::DTypeMismatch {
                    op: "conv2d",
                    expected: self.dtype(),
                    got: t.dtype(),
                });
            }
        }
        let (x, w, b) = (self.contiguous(), weight.contiguous(), bias.map(Tensor::contiguous));
        let keep_cols = w.is_tracked() && is_grad_enabled();
        let conv = Conv2d { geometry: &g, bias: b.as_ref().map(Tensor::operand), keep_cols, pool };
        let (storage, cols, argmax) = conv.map([x.operand(), w.operand()])?;
        let cols = cols.map(Arc::new);
        let [h, wd] = if pool { g.output.map(|s| s / 2) } else { g.output };
        let shape = Shape::from([g.batch, g.out_channels, h, wd]);
        let pool = pool.then(|| Arc::new(argmax));
        let mut inputs = vec![&x, &w];
        inputs.extend(b.as_ref());
        let op = Tensor::record(&inputs, || Op::Conv2d {
            input: x.clone(),
            weight: w.clone(),
            bias: b.clone(),
            args,
            cols,
            pool,
        });
        Ok(Tensor::from_storage(storage, shape, op))
    }

    /// 2-D max pooling of this `(N, C, H, W)` batch over `kernel` windows moved by `stride`, with
    /// `padding` (at most half the window) read as `−∞`, as `torch.nn.functional.max_pool2d`.
    pub fn max_pool2d(
        &self,
        kernel: impl Pair,
        stride: impl Pair,
        padding: impl Pair,
    ) -> Result<Tensor> {
        self.max_pool(Pool2dArgs::new(kernel, stride, padding), false)
    }

    /// `self.relu()?.max_pool2d(kernel, stride, padding)` in one pass (`max(relu(x)) =
    /// relu(max(x))`), with the same values and gradients and no ReLU output kept in memory.
    pub fn relu_max_pool2d(
        &self,
        kernel: impl Pair,
        stride: impl Pair,
        padding: impl Pair,
    ) -> Result<Tensor> {
        self.max_pool(Pool2dArgs::new(kernel, stride, padding), true)
    }

    fn max_pool(&self, args: Pool2dArgs, relu: bool) -> Result<Tensor> {
        let name = if relu { "relu_max_pool2d" } else { "max_pool2d" };
        let g = pool_geometry(name, self, args)?;
        let x = self.contiguous();
        let (storage, argmax) = Pool2d { geometry: &g, max: true, relu }.map([x.operand()])?;
        let op = Tensor::record(&[&x], || Op::MaxPool2d {
            input: x.clone(),
            args,
            argmax: Arc::new(argmax),
            relu,
        });
        Ok(Tensor::from_storage(storage, pooled_shape(self, &g), op))
    }

    /// 2-D average pooling of this `(N, C, H, W)` batch, zero `padding` (at most half the window)
    /// counted in the divisor, as `torch.nn.functional.avg_pool2d` with its defaults.
    pub fn avg_pool2d(
        &self,
        kernel: impl Pair,
        stride: impl Pair,
        padding: impl Pair,
    ) -> Result<Tensor> {
        let args = Pool2dArgs::new(kernel, stride, padding);
        let g = pool_geometry("avg_pool2d", self, args)?;
        let x = self.contiguous();
        let (storage, _) = Pool2d { geometry: &g, max: false, relu: false }.map([x.operand()])?;
        let op = Tensor::record(&[&x], || Op::AvgPool2d { input: x.clone(), args });
        Ok(Tensor::from_storage(storage, pooled_shape(self, &g), op))
    }
}

fn pooled_shape(x: &Tensor, g: &PoolGeometry) -> Shape {
    Shape::from([x.dims()[0], x.dims()[1], g.output[0], g.output[1]])
}
