//! The record that makes a run repeatable and auditable: the command line, every setting, the
//! seed, the data files with their sizes and SHA-256 digests, the axon version and the thread
//! count. A linear model keeps its [`settings_record`] inside the model file; a training run
//! writes a [`RunRecord`] next to its model (`<out>.run.json`), with the per-epoch metrics and
//! the result.

use std::io::Read;
use std::path::{Path, PathBuf};

use serde::Serialize;
use serde_json::Value;
use sha2::{Digest, Sha256};

use super::atomic::write_atomic;
use crate::error::{Error, Result};
use crate::nn::EpochMetrics;

/// A file's fingerprint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FileDigest {
    pub path: String,
    pub bytes: u64,
    pub sha256: String,
}

/// The size and SHA-256 of `path`, read in 64 KiB blocks.
pub fn file_digest(path: &Path) -> Result<FileDigest> {
    let io = |e: std::io::Error| Error::Io { path: path.display().to_string(), msg: e.to_string() };
    let mut file = std::fs::File::open(path).map_err(io)?;
    let (mut hasher, mut buf, mut bytes) = (Sha256::new(), vec![0u8; 1 << 16], 0u64);
    loop {
        let n = file.read(&mut buf).map_err(io)?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
        bytes += n as u64;
    }
    let sha256 = hasher.finalize().iter().map(|b| format!("{b:02x}")).collect();
    Ok(FileDigest { path: path.display().to_string(), bytes, sha256 })
}

/// The record kept with a model: the command, the command line as typed, the settings and the
/// axon version.
pub fn settings_record(command: &str, argv: &[String], settings: Value) -> Value {
    serde_json::json!({
        "command": command,
        "argv": argv,
        "settings": settings,
        "axon_version": env!("CARGO_PKG_VERSION"),
    })
}

/// The data a run read.
#[derive(Debug, Clone, Serialize)]
pub struct DataRecord {
    /// As given on the command line.
    pub path: String,
    /// The layout (`csv`, `csv-no-header`, `idx`).
    pub source: &'static str,
    pub files: Vec<FileDigest>,
}

impl DataRecord {
    /// Digests every file of `files`.
    pub fn new(path: &Path, source: &'static str, files: &[PathBuf]) -> Result<DataRecord> {
        let files = files.iter().map(|f| file_digest(f)).collect::<Result<_>>()?;
        Ok(DataRecord { path: path.display().to_string(), source, files })
    }
}

/// `<out>.run.json` of a training run.
#[derive(Debug, Clone, Serialize)]
pub struct RunRecord {
    pub argv: Vec<String>,
    pub settings: Value,
    pub seed: u64,
    pub data: DataRecord,
    pub axon_version: &'static str,
    /// Rayon's worker threads.
    pub threads: usize,
    pub best_epoch: Option<usize>,
    pub epochs: Vec<EpochMetrics>,
    pub result: Value,
}

impl RunRecord {
    /// A record of this process (its version and thread count) for a run of `settings`.
    pub fn new(argv: Vec<String>, settings: Value, seed: u64, data: DataRecord) -> RunRecord {
        RunRecord {
            argv,
            settings,
            seed,
            data,
            axon_version: env!("CARGO_PKG_VERSION"),
            threads: rayon::current_num_threads(),
            best_epoch: None,
            epochs: Vec::new(),
            result: Value::Null,
        }
    }

    /// Writes the record to `path` as pretty JSON, atomically.
    pub fn write(&self, path: &Path) -> Result<()> {
        let bytes = serde_json::to_vec_pretty(self)
            .map_err(|e| Error::invalid("record", "json", e.to_string()))?;
        write_atomic(path, &bytes)
    }
}
