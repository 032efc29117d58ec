//! The Elman recurrent cell `h' = tanh(x W_ihᵀ + b_ih + h W_hhᵀ + b_hh)` (`torch.nn.RNNCell`)
//! and the loop that unrolls it over a sequence.
//!
//! It is the lectures' "dynamic computational graph" slide: every step records two matrix
//! products, the additions and a `tanh`, so a sequence of length `T` records `T` copies of the
//! cell and the backward pass runs through time over exactly the steps that were taken. The
//! parameter names (`weight_ih`, `weight_hh`, `bias_ih`, `bias_hh`), their shapes and their
//! initialisation `U(−1/√hidden, 1/√hidden)` are PyTorch's, so weights exchange unchanged.

use super::module::Module;
use super::param::Param;
use crate::error::{Error, Result};
use crate::rng::Rng;
use crate::tensor::{DType, Tensor};

/// The cell's nonlinearity, PyTorch's `nonlinearity='tanh' | 'relu'`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RnnNonlinearity {
    Tanh,
    Relu,
}

/// `torch.nn.RNNCell`: one step `h' = f(x W_ihᵀ + b_ih + h W_hhᵀ + b_hh)`.
pub struct RNNCell {
    weight_ih: Param,
    weight_hh: Param,
    bias: Option<(Param, Param)>,
    nonlinearity: RnnNonlinearity,
}

impl RNNCell {
    /// A cell from `input_size` to `hidden_size` with PyTorch's initialisation, drawn from `rng`.
    pub fn new(
        input_size: usize,
        hidden_size: usize,
        bias: bool,
        nonlinearity: RnnNonlinearity,
        dtype: DType,
        rng: &mut Rng,
    ) -> Result<RNNCell> {
        if input_size == 0 || hidden_size == 0 || !dtype.is_float() {
            let sizes = format!("({input_size}, {hidden_size})");
            return Err(Error::invalid("sizes", sizes, "an RNNCell needs non-zero float sizes"));
        }
        let bound = 1.0 / (hidden_size as f64).sqrt();
        let mut draw = |shape: Vec<usize>| Tensor::rand(shape, -bound, bound, dtype, rng);
        let w_ih = draw(vec![hidden_size, input_size]);
        let w_hh = draw(vec![hidden_size, hidden_size]);
        let b = bias.then(|| (draw(vec![hidden_size]), draw(vec![hidden_size])));
        RNNCell::from_tensors(w_ih, w_hh, b, nonlinearity)
    }

    /// A cell with the given `W_ih (hidden, input)`, `W_hh (hidden, hidden)` and optional biases
    /// `(b_ih, b_hh)`, each `(hidden)`.
    pub fn from_tensors(
        weight_ih: Tensor,
        weight_hh: Tensor,
        bias: Option<(Tensor, Tensor)>,
        nonlinearity: RnnNonlinearity,
    ) -> Result<RNNCell> {
        let float_matrix = |t: &Tensor| t.rank() == 2 && t.dtype().is_float();
        if !float_matrix(&weight_ih) || !float_matrix(&weight_hh) {
            return Err(Error::invalid(
                "weight_ih, weight_hh",
                format!("{} and {}", weight_ih.shape(), weight_hh.shape()),
                "need float (hidden, input) and (hidden, hidden) matrices",
            ));
        }
        let hidden = weight_ih.dims()[0];
        let mismatch = |rhs: &Tensor| Error::ShapeMismatch {
            op: "RNNCell",
            lhs: weight_ih.shape().clone(),
            rhs: rhs.shape().clone(),
        };
        if weight_hh.dims() != [hidden, hidden] || weight_hh.dtype() != weight_ih.dtype() {
            return Err(mismatch(&weight_hh));
        }
        if let Some((b_ih, b_hh)) = &bias {
            for b in [b_ih, b_hh] {
                if b.dims() != [hidden] || b.dtype() != weight_ih.dtype() {
                    return Err(mismatch(b));
                }
            }
        }
        Ok(RNNCell {
            weight_ih: Param::new("weight_ih", weight_ih),
            weight_hh: Param::new("weight_hh", weight_hh),
            bias: bias.map(|(i, h)| (Param::new("bias_ih", i), Param::new("bias_hh", h))),
            nonlinearity,
        })
    }

    pub fn input_size(&self) -> usize {
        self.weight_ih.value().dims()[1]
    }

    pub fn hidden_size(&self) -> usize {
        self.weight_ih.value().dims()[0]
    }

    /// One step: `x` is `(N, input)` or `(input)`, `h` the previous state `(N, hidden)` or
    /// `(hidden)` (zeros when `None`, as PyTorch's default); returns the next state.
    pub fn step(&self, x: &Tensor, h: Option<&Tensor>) -> Result<Tensor> {
        let (w_ih, w_hh) = (self.weight_ih.value(), self.weight_hh.value());
        if x.rank() == 0 || x.rank() > 2 || x.dims().last() != Some(&self.input_size()) {
            return Err(Error::ShapeMismatch {
                op: "RNNCell input",
                lhs: x.shape().clone(),
                rhs: w_ih.shape().clone(),
            });
        }
        let mut z = x.matmul(&w_ih.t()?)?;
        if let Some(h) = h {
            let expected: Vec<usize> = z.dims().to_vec();
            if h.dims() != expected.as_slice() {
                return Err(Error::ShapeMismatch {
                    op: "RNNCell hidden state",
                    lhs: h.shape().clone(),
                    rhs: z.shape().clone(),
                });
            }
            z = z.add(&h.matmul(&w_hh.t()?)?)?;
        }
        if let Some((b_ih, b_hh)) = &self.bias {
            z = z.add(&b_ih.value())?.add(&b_hh.value())?;
        }
        match self.nonlinearity {
            RnnNonlinearity::Tanh => z.tanh(),
            RnnNonlinearity::Relu => z.relu(),
        }
    }

    /// The cell unrolled over a sequence `xs` of shape `(T, N, input)` from `h0` (`(N, hidden)`,
    /// zeros when `None`): the states of every step `(T, N, hidden)` and the last one
    /// `(N, hidden)`, as `torch.nn.RNN` with one layer returns them.
    pub fn unroll(&self, xs: &Tensor, h0: Option<&Tensor>) -> Result<(Tensor, Tensor)> {
        if xs.rank() != 3 || xs.dims()[0] == 0 {
            return Err(Error::invalid("xs", xs.shape(), "needs a (T, N, input) sequence, T ≥ 1"));
        }
        let mut h = h0.cloned();
        let mut states = Vec::with_capacity(xs.dims()[0]);
        for t in 0..xs.dims()[0] {
            let x = xs.narrow(0, t, 1)?.squeeze(0)?;
            let next = self.step(&x, h.as_ref())?;
            states.push(next.clone());
            h = Some(next);
        }
        let last = states.last().expect("T ≥ 1").clone();
        Ok((Tensor::stack(&states, 0)?, last))
    }
}

impl Module for RNNCell {
    /// One step from the zero state.
    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        self.step(x, None)
    }

    fn parameters(&self) -> Vec<(String, Param)> {
        let mut params = vec![
            ("weight_ih".to_string(), self.weight_ih.clone()),
            ("weight_hh".to_string(), self.weight_hh.clone()),
        ];
        if let Some((b_ih, b_hh)) = &self.bias {
            params.push(("bias_ih".to_string(), b_ih.clone()));
            params.push(("bias_hh".to_string(), b_hh.clone()));
        }
        params
    }

    fn describe(&self) -> String {
        let nonlinearity = match self.nonlinearity {
            RnnNonlinearity::Tanh => "",
            RnnNonlinearity::Relu => ", nonlinearity=relu",
        };
        let bias = if self.bias.is_some() { "" } else { ", bias=False" };
        format!("RNNCell({}, {}{bias}{nonlinearity})", self.input_size(), self.hidden_size())
    }
}
