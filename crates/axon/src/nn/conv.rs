//! Convolution and pooling layers over image batches `(N, C, H, W)`, wrapping the engine's
//! [`Tensor::conv2d`], [`Tensor::max_pool2d`] and [`Tensor::avg_pool2d`]:
//!
//! - [`Conv2d`]: `y[n, o] = b[o] + Σ_c W[o, c] ⋆ x[n, c]`, weight `(O, C, kH, kW)`, bias `(O)`,
//!   output `(N, O, H_out, W_out)` with `H_out = ⌊(H + 2p − d(kH − 1) − 1) / s⌋ + 1`;
//! - [`MaxPool2d`], [`AvgPool2d`]: the maximum or mean of each `k × k` window, output
//!   `(N, C, ⌊(H + 2p − k) / s⌋ + 1, …)`; after a ReLU in a [`super::Sequential`], max pooling
//!   runs fused with it ([`Tensor::relu_max_pool2d`]), and `Conv2d, ReLU, MaxPool2d(2)` run as
//!   one op ([`Tensor::conv2d_relu_max_pool2d`]).
//!
//! The weight and bias start as PyTorch's defaults, `U(−1/√fan_in, 1/√fan_in)` with
//! `fan_in = C·kH·kW` (Kaiming-uniform with `a = √5`).

use super::module::Module;
use super::param::Param;
use crate::error::{Error, Result};
use crate::ops::UnaryOp;
use crate::rng::Rng;
use crate::tensor::{Conv2dArgs, DType, Tensor};

/// A 2-D convolution layer (cross-correlation, as `torch.nn.Conv2d` with `groups = 1`).
pub struct Conv2d {
    weight: Param,
    bias: Option<Param>,
    args: Conv2dArgs,
}

impl Conv2d {
    /// `in_channels → out_channels` with a square `kernel`, PyTorch's default initialisation.
    pub fn new(
        in_channels: usize,
        out_channels: usize,
        kernel: usize,
        args: Conv2dArgs,
        bias: bool,
        dtype: DType,
        rng: &mut Rng,
    ) -> Result<Conv2d> {
        if in_channels == 0 || out_channels == 0 || kernel == 0 {
            let shape = format!("({out_channels}, {in_channels}, {kernel}, {kernel})");
            return Err(Error::invalid("channels", shape, "a Conv2d layer needs non-zero sizes"));
        }
        if !dtype.is_float() {
            return Err(Error::invalid("dtype", dtype, "parameters are f32 or f64"));
        }
        let bound = 1.0 / ((in_channels * kernel * kernel) as f64).sqrt();
        let shape = [out_channels, in_channels, kernel, kernel];
        let w = Tensor::rand(shape, -bound, bound, dtype, rng);
        let b = bias.then(|| Tensor::rand([out_channels], -bound, bound, dtype, rng));
        Conv2d::from_tensors(w, b, args)
    }

    /// A layer with the given weight `(O, C, kH, kW)` and optional bias `(O)`.
    pub fn from_tensors(weight: Tensor, bias: Option<Tensor>, args: Conv2dArgs) -> Result<Conv2d> {
        if weight.rank() != 4 || !weight.dtype().is_float() {
            return Err(Error::invalid("weight", weight.shape(), "needs a float (O, C, kH, kW)"));
        }
        let zero = |v: [usize; 2]| v.contains(&0);
        if zero(args.stride) || zero(args.dilation) {
            return Err(Error::invalid("args", format!("{args:?}"), "stride and dilation >= 1"));
        }
        if let Some(b) = &bias {
            if b.dims() != [weight.dims()[0]] || b.dtype() != weight.dtype() {
                let (lhs, rhs) = (weight.shape().clone(), b.shape().clone());
                return Err(Error::ShapeMismatch { op: "Conv2d bias", lhs, rhs });
            }
        }
        Ok(Conv2d {
            weight: Param::new("weight", weight),
            bias: bias.map(|b| Param::new("bias", b)),
            args,
        })
    }

    /// The weight `(O, C, kH, kW)`.
    pub fn weight(&self) -> &Param {
        &self.weight
    }

    /// The bias `(O)`, if the layer has one.
    pub fn bias(&self) -> Option<&Param> {
        self.bias.as_ref()
    }

    pub fn args(&self) -> Conv2dArgs {
        self.args
    }
}

impl Module for Conv2d {
    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        let bias = self.bias.as_ref().map(Param::value);
        x.conv2d(&self.weight.value(), bias.as_ref(), self.args)
    }

    fn forward_activated_pooled(
        &self,
        x: &Tensor,
        act: UnaryOp,
        pool: [usize; 3],
    ) -> Option<Result<Tensor>> {
        let fused = matches!(act, UnaryOp::Relu) && pool == [2, 2, 0];
        let bias = self.bias.as_ref().map(Param::value);
        fused.then(|| x.conv2d_relu_max_pool2d(&self.weight.value(), bias.as_ref(), self.args))
    }

    fn parameters(&self) -> Vec<(String, Param)> {
        let mut params = vec![("weight".to_string(), self.weight.clone())];
        params.extend(self.bias.iter().map(|b| ("bias".to_string(), b.clone())));
        params
    }

    fn describe(&self) -> String {
        let d = self.weight.value().dims().to_vec();
        let a = self.args;
        format!(
            "Conv2d({}, {}, kernel_size=({}, {}), stride=({}, {}), padding=({}, {}), bias={})",
            d[1],
            d[0],
            d[2],
            d[3],
            a.stride[0],
            a.stride[1],
            a.padding[0],
            a.padding[1],
            if self.bias.is_some() { "True" } else { "False" }
        )
    }
}

/// Checks pooling arguments: a window of at least 1, a stride of at least 1.
fn check_pool(kernel: usize, stride: usize) -> Result<()> {
    if kernel == 0 || stride == 0 {
        return Err(Error::invalid("kernel", kernel, "pooling needs kernel and stride >= 1"));
    }
    Ok(())
}

/// Max pooling over square windows (`torch.nn.MaxPool2d`).
#[derive(Debug, Clone, Copy)]
pub struct MaxPool2d {
    kernel: usize,
    stride: usize,
    padding: usize,
}

impl MaxPool2d {
    /// Windows of `kernel × kernel` moved by `stride` (PyTorch's default stride is the kernel).
    pub fn new(kernel: usize, stride: usize, padding: usize) -> Result<MaxPool2d> {
        check_pool(kernel, stride)?;
        Ok(MaxPool2d { kernel, stride, padding })
    }
}

impl Module for MaxPool2d {
    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        x.max_pool2d(self.kernel, self.stride, self.padding)
    }

    fn max_pool(&self) -> Option<[usize; 3]> {
        Some([self.kernel, self.stride, self.padding])
    }

    fn forward_after(&self, x: &Tensor, act: UnaryOp) -> Option<Result<Tensor>> {
        let fused = matches!(act, UnaryOp::Relu);
        fused.then(|| x.relu_max_pool2d(self.kernel, self.stride, self.padding))
    }

    fn describe(&self) -> String {
        let MaxPool2d { kernel, stride, padding } = self;
        format!("MaxPool2d(kernel_size={kernel}, stride={stride}, padding={padding})")
    }
}

/// Average pooling over square windows (`torch.nn.AvgPool2d`, padding counted).
#[derive(Debug, Clone, Copy)]
pub struct AvgPool2d {
    kernel: usize,
    stride: usize,
    padding: usize,
}

impl AvgPool2d {
    /// Windows of `kernel × kernel` moved by `stride`.
    pub fn new(kernel: usize, stride: usize, padding: usize) -> Result<AvgPool2d> {
        check_pool(kernel, stride)?;
        Ok(AvgPool2d { kernel, stride, padding })
    }
}

impl Module for AvgPool2d {
    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        x.avg_pool2d(self.kernel, self.stride, self.padding)
    }

    fn describe(&self) -> String {
        let AvgPool2d { kernel, stride, padding } = self;
        format!("AvgPool2d(kernel_size={kernel}, stride={stride}, padding={padding})")
    }
}
