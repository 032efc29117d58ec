//! Atomic file writes: the bytes go to a temporary file in the destination's own folder, are
//! flushed to disk, and the temporary file is renamed over the destination. A rename within one
//! file system is atomic, so a reader sees either the old file or the complete new one, never a
//! prefix, whatever happens to the writing process.
//!
//! A rename replaces whatever has the destination's name, so a destination that exists and is
//! not a regular file (a device such as `/dev/full`, a symlink, a FIFO, a folder) is refused
//! rather than replaced. The temporary file is `.NAME.PID.tmp`; one left by an interrupted
//! write of the same destination (its process no longer running) is removed by the next write.

use std::ffi::OsStr;
use std::fs::{self, File};
use std::io::Write;
use std::path::Path;

use crate::error::{Error, Result};

/// Writes `bytes` to `path` atomically (see the module docs). On failure the destination is
/// untouched and the temporary file is removed.
pub fn write_atomic(path: impl AsRef<Path>, bytes: &[u8]) -> Result<()> {
    let path = path.as_ref();
    let mut writer = AtomicWriter::create(path)?;
    writer
        .write_all(bytes)
        .map_err(|e| Error::Io { path: path.display().to_string(), msg: e.to_string() })?;
    writer.commit()
}

/// A file written piece by piece and made visible whole: the pieces go to the temporary file
/// `.NAME.PID.tmp` in the destination's folder, and [`AtomicWriter::commit`] flushes it and
/// renames it over the destination. Dropped without a commit (an error midway), the temporary
/// file is removed and the destination is untouched.
pub struct AtomicWriter {
    file: Option<std::io::BufWriter<File>>,
    tmp: std::path::PathBuf,
    path: std::path::PathBuf,
}

impl AtomicWriter {
    /// Starts writing `path` (refused if it exists and is not a regular file).
    pub fn create(path: impl AsRef<Path>) -> Result<AtomicWriter> {
        let path = path.as_ref();
        let io =
            |e: std::io::Error| Error::Io { path: path.display().to_string(), msg: e.to_string() };
        let name = path.file_name().ok_or_else(|| Error::Io {
            path: path.display().to_string(),
            msg: "not a file name".into(),
        })?;
        check_replaceable(path)?;
        let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
        remove_stale(dir, name);
        let tmp = dir.join(temporary_name(name, std::process::id()));
        let _ = fs::remove_file(&tmp);
        let file = File::options().write(true).create_new(true).open(&tmp).map_err(io)?;
        let file = Some(std::io::BufWriter::new(file));
        Ok(AtomicWriter { file, tmp, path: path.to_owned() })
    }

    /// Flushes the file to disk and renames it over the destination.
    pub fn commit(mut self) -> Result<()> {
        let io = |e: std::io::Error| Error::Io {
            path: self.path.display().to_string(),
            msg: e.to_string(),
        };
        let file = self.file.take().expect("a writer not yet committed");
        let done = file
            .into_inner()
            .map_err(|e| e.into_error())
            .and_then(|f| f.sync_all())
            .and_then(|()| fs::rename(&self.tmp, &self.path));
        if done.is_err() {
            let _ = fs::remove_file(&self.tmp);
        }
        done.map_err(io)
    }
}

impl Write for AtomicWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.file.as_mut().expect("a writer not yet committed").write(buf)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.file.as_mut().expect("a writer not yet committed").flush()
    }
}

impl Drop for AtomicWriter {
    fn drop(&mut self) {
        if self.file.take().is_some() {
            let _ = fs::remove_file(&self.tmp);
        }
    }
}

/// `.NAME.PID.tmp`: the temporary file process `pid` writes `name` through.
fn temporary_name(name: &OsStr, pid: u32) -> String {
    format!(".{}.{pid}.tmp", name.to_string_lossy())
}

/// Refuses a destination that exists and is not a regular file: renaming over it would replace
/// a device, a symlink (not the file it points to), a FIFO or a folder.
fn check_replaceable(path: &Path) -> Result<()> {
    let Ok(meta) = fs::symlink_metadata(path) else { return Ok(()) };
    let kind = meta.file_type();
    if kind.is_file() {
        return Ok(());
    }
    let what = if kind.is_symlink() {
        "a symbolic link"
    } else if kind.is_dir() {
        "a folder"
    } else {
        special_kind(&kind)
    };
    Err(Error::Io {
        path: path.display().to_string(),
        msg: format!("exists and is {what}, not a regular file; refusing to replace it"),
    })
}

#[cfg(unix)]
fn special_kind(kind: &fs::FileType) -> &'static str {
    use std::os::unix::fs::FileTypeExt;
    if kind.is_char_device() || kind.is_block_device() {
        "a device"
    } else if kind.is_fifo() {
        "a FIFO (named pipe)"
    } else if kind.is_socket() {
        "a socket"
    } else {
        "a special file"
    }
}

#[cfg(not(unix))]
fn special_kind(_: &fs::FileType) -> &'static str {
    "a special file"
}

/// Removes the temporary files `.NAME.PID.tmp` in `dir` that interrupted writes of `name` left:
/// those of processes that are no longer running (a write in progress in another process is left
/// alone). Only regular files are removed; failures are ignored (the write itself does not
/// depend on them).
fn remove_stale(dir: &Path, name: &OsStr) {
    let prefix = format!(".{}.", name.to_string_lossy());
    let Ok(entries) = fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let file = entry.file_name();
        let Some(pid) = file
            .to_str()
            .and_then(|f| f.strip_prefix(&prefix))
            .and_then(|rest| rest.strip_suffix(".tmp"))
            .and_then(|pid| pid.parse::<u32>().ok())
        else {
            continue;
        };
        let ours = pid == std::process::id();
        let regular = entry.file_type().is_ok_and(|t| t.is_file());
        if !ours && regular && !running(pid) && file.to_str() == Some(&temporary_name(name, pid)) {
            let _ = fs::remove_file(entry.path());
        }
    }
}

/// Whether process `pid` is running. Where that cannot be told, it is taken to be running, so
/// that nothing is removed.
fn running(pid: u32) -> bool {
    if cfg!(target_os = "linux") && Path::new("/proc/self").exists() {
        Path::new("/proc").join(pid.to_string()).exists()
    } else {
        true
    }
}
