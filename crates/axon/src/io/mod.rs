//! Files that outlive a run: tensors in the safetensors format (the format Hugging Face and
//! PyTorch use for weights, so parameters move between axon and PyTorch by name), and the
//! atomic write every saved file goes through, so that an interrupted run never leaves a
//! half-written model where a good one was.

mod atomic;
mod safetensors;

pub use atomic::write_atomic;
pub use safetensors::{load_safetensors, save_safetensors, TensorFile};
