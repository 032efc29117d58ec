//! Files that outlive a run: tensors in the safetensors format (the format Hugging Face and
//! PyTorch use for weights), a network's parameters by their `state_dict` names on top of it, so
//! weights move between axon and PyTorch by name, and the atomic write every saved file goes
//! through, so that an interrupted run never leaves a half-written model where a good one was.
//! On top of them: the one model-file format of every saved model ([`save_model`],
//! [`load_model`]), and the records that make a run repeatable ([`RunRecord`], file digests).

mod atomic;
mod model_file;
mod parameters;
mod record;
mod safetensors;

pub use atomic::{write_atomic, AtomicWriter};
pub use model_file::{
    load_model, save_model, save_model_with_bytes, ModelFile, ModelKind, MODEL_FORMAT,
    MODEL_VERSION,
};
pub use parameters::{load_module, load_parameters, save_module, save_parameters};
pub use record::{file_digest, settings_record, DataRecord, FileDigest, RunRecord};
pub use safetensors::{
    load_safetensors, save_safetensors, save_safetensors_with_bytes, TensorFile,
};
