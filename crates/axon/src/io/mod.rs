//! Model files. [`safetensors`] saves and loads a network's parameters by their `state_dict`
//! names in the safetensors format, which PyTorch, JAX and Hugging Face read and write, so
//! weights move between axon and those tools unchanged. Files are written atomically.

pub mod safetensors;

pub use self::safetensors::{
    load_module, load_parameters, read_tensors, save_module, save_parameters, write_tensors,
};
