//! Files that outlive a run: tensors in the safetensors format (the format Hugging Face and
//! PyTorch use for weights), a network's parameters by their `state_dict` names on top of it, so
//! weights move between axon and PyTorch by name, and the atomic write every saved file goes
//! through, so that an interrupted run never leaves a half-written model where a good one was.

mod atomic;
mod parameters;
mod safetensors;

pub use atomic::write_atomic;
pub use parameters::{load_module, load_parameters, save_module, save_parameters};
pub use safetensors::{load_safetensors, save_safetensors, TensorFile};
