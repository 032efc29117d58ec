//! # axon
//!
//! Logistic regression and neural networks on a small tensor library with reverse-mode automatic
//! differentiation, written to be read: the sigmoid, the cross-entropy and its gradient, and the
//! backward pass are plain Rust you can follow from the lectures' slides.
//!
//! ```
//! use axon::{DType, Tensor};
//!
//! // z = w·x + b, ŷ = σ(z), L = −[y log ŷ + (1 − y) log(1 − ŷ)]
//! let x = Tensor::from_vec(vec![1.0f64, 2.0], [2])?;
//! let w = Tensor::from_vec(vec![0.5f64, -0.25], [2])?.requires_grad();
//! let b = Tensor::zeros((), DType::F64).requires_grad();
//! let y_hat = w.mul(&x)?.sum_all()?.add(&b)?.sigmoid()?;
//! let loss = y_hat.log()?.neg()?; // the target is y = 1
//! let grads = loss.backward()?;
//! // ∂L/∂w = (ŷ − y) x
//! let g = grads.get(&w).unwrap().to_vec::<f64>()?;
//! let y_hat = y_hat.item()?;
//! assert!((g[0] - (y_hat - 1.0) * 1.0).abs() < 1e-12);
//! assert!((g[1] - (y_hat - 1.0) * 2.0).abs() < 1e-12);
//! # Ok::<(), axon::Error>(())
//! ```
//!
//! Modules: [`tensor`] (the array type, views and creation, convolution and pooling), [`ops`]
//! (the CPU kernels), [`autograd`] (the graph, the backward pass, gradient checking, DOT
//! drawings), [`rng`] (the seeded generator every random draw goes through), [`nn`] (parameters,
//! modules, layers, activations, initialisers, losses, the training loop with checkpoints),
//! [`optim`] (optimizers with savable state, gradient clipping,
//! learning-rate schedules), [`linear`] (logit, probit, softmax and one-vs-rest regression:
//! exact maximum likelihood with inference, penalised fits), [`data`] (CSV and IDX readers,
//! design matrices, the data layouts and schemas, the mini-batch `DataLoader`), [`metrics`],
//! [`cv`], [`io`] (safetensors files, `state_dict` parameters, the one model-file format, run
//! records, atomic writes), [`model`] (a saved model of any kind, for prediction), [`sparse`]
//! (CSR matrices), [`text`] (documents as sparse rows: tokens, hashing, vocabularies, TF-IDF) and
//! [`naive_bayes`] (multinomial and Bernoulli Naive Bayes on counts); [`interrupt`] lets a caller
//! stop a long fit or training run (Ctrl-C in Python).

pub mod autograd;
pub mod cv;
pub mod data;
pub mod distributed;
pub mod error;
pub mod interrupt;
pub mod io;
pub mod linear;
pub mod metrics;
pub mod model;
pub mod naive_bayes;
pub mod nn;
pub mod online;
pub mod ops;
pub mod optim;
pub mod rng;
pub mod sparse;
pub mod tensor;
pub mod text;

pub use autograd::{gradcheck, GradCheck, GradStore};
pub use error::{Error, Result};
pub use ops::CmpOp;
pub use rng::Rng;
pub use tensor::{
    is_grad_enabled, no_grad, Conv2dArgs, DType, Element, Float, Pair, Pool2dArgs, Shape, Tensor,
    TensorId,
};
