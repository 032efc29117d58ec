//! Atomic file writes: the bytes go to a temporary file in the destination's own folder, are
//! flushed to disk, and the temporary file is renamed over the destination. A rename within one
//! file system is atomic, so a reader sees either the old file or the complete new one, never a
//! prefix, whatever happens to the writing process.

use std::fs::{self, File};
use std::io::Write;
use std::path::Path;

use crate::error::{Error, Result};

/// Writes `bytes` to `path` atomically (see the module docs). On failure the destination is
/// untouched and the temporary file is removed.
pub fn write_atomic(path: impl AsRef<Path>, bytes: &[u8]) -> Result<()> {
    let path = path.as_ref();
    let io = |e: std::io::Error| Error::Io { path: path.display().to_string(), msg: e.to_string() };
    let name = path.file_name().ok_or_else(|| Error::Io {
        path: path.display().to_string(),
        msg: "not a file name".into(),
    })?;
    let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let tmp = dir.join(format!(".{}.{}.tmp", name.to_string_lossy(), std::process::id()));
    let written = (|| {
        let mut file = File::create(&tmp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        fs::rename(&tmp, path)
    })();
    if written.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    written.map_err(io)
}
