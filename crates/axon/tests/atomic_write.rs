//! The atomic write every saved file goes through (`--out` models, run records, curves,
//! checkpoints): a destination that exists and is not a regular file (a symlink, a FIFO, a
//! folder, a device) is refused by name and left as it was, and the temporary files that
//! interrupted writes of the same destination left behind are removed, while those of a
//! running process and of other destinations are not.

use std::fs;
use std::path::PathBuf;

use axon::io::write_atomic;

/// A fresh, empty folder for one test's files.
fn scratch(test: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("axon-atomic-{}-{test}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).unwrap();
    dir
}

/// The error of writing to `path`, which must name it and say what it is.
fn refused(path: &std::path::Path, what: &str) -> String {
    let err = write_atomic(path, b"new").unwrap_err().to_string();
    assert!(err.contains(&path.display().to_string()), "{err}");
    assert!(err.contains(what) && err.contains("not a regular file"), "{err}");
    err
}

#[test]
fn a_regular_file_is_replaced_whole() {
    let dir = scratch("regular");
    let path = dir.join("model.axon");
    fs::write(&path, b"old").unwrap();
    write_atomic(&path, b"new contents").unwrap();
    assert_eq!(fs::read(&path).unwrap(), b"new contents");
    // Nothing but the file is left in the folder.
    assert_eq!(fs::read_dir(&dir).unwrap().count(), 1);
}

#[cfg(unix)]
#[test]
fn a_symlink_is_refused_and_neither_it_nor_its_target_changes() {
    let dir = scratch("symlink");
    let target = dir.join("precious.txt");
    fs::write(&target, b"keep me").unwrap();
    let link = dir.join("model.axon");
    std::os::unix::fs::symlink(&target, &link).unwrap();
    refused(&link, "a symbolic link");
    assert!(fs::symlink_metadata(&link).unwrap().file_type().is_symlink());
    assert_eq!(fs::read(&target).unwrap(), b"keep me");
    // A dangling link is refused too.
    let dangling = dir.join("dangling.axon");
    std::os::unix::fs::symlink(dir.join("nowhere"), &dangling).unwrap();
    refused(&dangling, "a symbolic link");
    assert!(!dir.join("nowhere").exists());
}

#[test]
fn a_folder_is_refused() {
    let dir = scratch("folder");
    let sub = dir.join("model.axon");
    fs::create_dir(&sub).unwrap();
    refused(&sub, "a folder");
    assert!(sub.is_dir());
}

#[cfg(unix)]
#[test]
fn a_fifo_is_refused() {
    let dir = scratch("fifo");
    let fifo = dir.join("model.axon");
    let made = std::process::Command::new("mkfifo").arg(&fifo).status();
    if !made.is_ok_and(|s| s.success()) {
        eprintln!("skipped: mkfifo is not available");
        return;
    }
    refused(&fifo, "a FIFO");
    assert!(!fs::symlink_metadata(&fifo).unwrap().is_file());
}

/// A device node of its own (a copy of `/dev/null`, made with `mknod`, which needs root), never a
/// system one: run as root against a build without the check, the test would replace it.
#[cfg(target_os = "linux")]
#[test]
fn a_device_is_refused() {
    let dir = scratch("device");
    let device = dir.join("model.axon");
    let made = std::process::Command::new("mknod").arg(&device).args(["c", "1", "3"]).status();
    if !made.is_ok_and(|s| s.success()) {
        eprintln!("skipped: cannot make a device node (mknod needs root)");
        return;
    }
    let err = refused(&device, "a device");
    assert!(err.contains("refusing to replace it"), "{err}");
    assert!(!fs::symlink_metadata(&device).unwrap().is_file());
}

/// A process id that is not running: a child that has exited and been waited for.
#[cfg(target_os = "linux")]
fn dead_pid() -> u32 {
    let mut child = std::process::Command::new("true").spawn().unwrap();
    let pid = child.id();
    child.wait().unwrap();
    pid
}

#[cfg(target_os = "linux")]
#[test]
fn stale_temporary_files_of_the_same_target_are_removed() {
    let dir = scratch("stale");
    let dead = dead_pid();
    let stale = dir.join(format!(".model.axon.{dead}.tmp"));
    fs::write(&stale, vec![0u8; 4096]).unwrap();
    // A write in progress in a running process (pid 1), another target's temporary file and an
    // unrelated file are not touched.
    let live = dir.join(".model.axon.1.tmp");
    let other = dir.join(format!(".other.axon.{dead}.tmp"));
    let unrelated = dir.join(format!(".model.axon.{dead}.tmp.keep"));
    for f in [&live, &other, &unrelated] {
        fs::write(f, b"x").unwrap();
    }
    write_atomic(dir.join("model.axon"), b"model").unwrap();
    assert!(!stale.exists(), "the stale temporary file is still there");
    for f in [&live, &other, &unrelated] {
        assert!(f.exists(), "{} was removed", f.display());
    }
    assert_eq!(fs::read(dir.join("model.axon")).unwrap(), b"model");
}
