//! Neural-network building blocks: trainable [`Param`]s (and non-trainable [`Buffer`]s), the
//! [`Module`] trait and [`Sequential`], layers ([`Linear`], [`Conv2d`], [`MaxPool2d`],
//! [`AvgPool2d`], [`BatchNorm1d`], [`BatchNorm2d`], [`LayerNorm`], [`Embedding`], [`Flatten`],
//! [`Dropout`], [`Identity`]), attention and the transformer encoder layer, the recurrent
//! [`RNNCell`], activation modules, initialisers ([`init`]), loss functions ([`loss`]), and a
//! classification training loop with early stopping and resumable checkpoints
//! ([`fit_classifier`]). On top: the classifier networks axon trains from a short description
//! ([`Architecture`]), [`train_network`] on a [`crate::data::Dataset`], the trained
//! [`NetworkClassifier`] that is saved, loaded and predicts on raw rows, its bag-of-words
//! counterpart [`TextNetwork`], and pretrained BERT encoders from Hugging Face files ([`bert`]).
//!
//! ```
//! use axon::nn::{loss, Linear, Module, ReLU, Sequential};
//! use axon::{DType, Rng, Tensor};
//!
//! let mut rng = Rng::seed(0);
//! // y = W2 relu(W1 x + b1) + b2: a 3-4-2 network with 3·4 + 4 + 4·2 + 2 = 26 parameters.
//! let net = Sequential::new()
//!     .with(Linear::new(3, 4, true, DType::F32, &mut rng)?)
//!     .with(ReLU)
//!     .with(Linear::new(4, 2, true, DType::F32, &mut rng)?);
//! assert_eq!(net.num_parameters(), 26);
//! let x = Tensor::rand([5, 3], -1.0, 1.0, DType::F32, &mut rng);
//! let labels = Tensor::from_vec(vec![0i64, 1, 1, 0, 1], [5])?;
//! let loss = loss::cross_entropy(&net.forward(&x)?, &labels, None, loss::Reduction::Mean)?;
//! let grads = loss.backward()?;
//! for (name, p) in net.parameters() {
//!     assert_eq!(p.grad(&grads).unwrap().shape(), p.value().shape(), "{name}");
//! }
//! # Ok::<(), axon::Error>(())
//! ```

mod activation;
mod architecture;
mod attention;
pub mod bert;
mod checkpoint;
mod classifier;
mod conv;
mod data_parallel;
mod embedding;
pub mod init;
mod layers;
mod linear;
pub mod loss;
mod module;
mod norm;
mod objective;
mod param;
mod rnn;
mod size;
mod text_network;
mod train;
mod train_network;
mod transformer;

pub use activation::{
    LeakyReLU, LogSoftmax, Maxout, ReLU, Sigmoid, Softmax, Softplus, Step, Tanh, ThresholdNeuron,
    ELU, GELU,
};
pub use architecture::{Activation, Architecture, LayerOptions, Output, LEAKY_SLOPE};
pub use attention::MultiHeadAttention;
pub use checkpoint::{checkpoint_history, EpochMetrics, Progress};
pub use classifier::NetworkClassifier;
pub use conv::{AvgPool2d, Conv2d, MaxPool2d};
pub use embedding::Embedding;
pub use layers::{Dropout, Flatten, Identity};
pub use linear::Linear;
pub use loss::Reduction;
pub use module::{with_prefix, Module, Sequential};
pub use norm::{BatchNorm1d, BatchNorm2d, LayerNorm, BATCH_NORM_MOMENTUM};
pub use objective::Objective;
pub use param::{Buffer, Param};
pub use rnn::{RNNCell, RnnNonlinearity};
pub use text_network::{train_text_network, TextEpoch, TextNetwork, TextTrainOptions};
pub use train::{
    evaluate, evaluate_output, fit_classifier, join_thread_pool, Monitor, TrainConfig, TrainEvent,
    TrainReport,
};
pub use train_network::{train_network, NetworkOptions, TrainSummary, TrainedNetwork};
pub use transformer::{
    EncoderLayerConfig, EncoderLayerWeights, FeedForwardActivation, TransformerEncoderLayer,
};
