//! Every line the binary prints goes through here, so that a write that fails (stdout closed by
//! `axon ... | head`, a full disk, `/dev/full`) comes back as an error instead of the panic of
//! `println!` ("failed printing to stdout", exit 101). `main` says it once for every command: a
//! reader that stopped early (a broken pipe) ends the run quietly with exit 0, any other failure
//! is exit 2 with a message. `outln!`/`out!` write to stdout, `errln!` to stderr.

use std::fmt;
use std::io::{self, Write};

/// The stream a write failed on.
#[derive(Debug, Clone, Copy)]
pub enum Stream {
    Stdout,
    Stderr,
}

/// A failed write to stdout or stderr.
#[derive(Debug)]
pub struct OutputError {
    stream: Stream,
    source: io::Error,
}

impl OutputError {
    pub fn new(stream: Stream, source: io::Error) -> OutputError {
        OutputError { stream, source }
    }

    /// Whether the reader went away (`axon ... | head`): not a failure of the run.
    pub fn is_broken_pipe(&self) -> bool {
        self.source.kind() == io::ErrorKind::BrokenPipe
    }
}

impl fmt::Display for OutputError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let stream = match self.stream {
            Stream::Stdout => "stdout",
            Stream::Stderr => "stderr",
        };
        write!(f, "writing to {stream}: {}", self.source)
    }
}

impl std::error::Error for OutputError {}

/// Writes `args` to stdout and flushes it.
pub fn stdout(args: fmt::Arguments<'_>) -> Result<(), OutputError> {
    let mut out = io::stdout().lock();
    out.write_fmt(args).and_then(|()| out.flush()).map_err(|e| OutputError::new(Stream::Stdout, e))
}

/// Writes `args` to stderr.
pub fn stderr(args: fmt::Arguments<'_>) -> Result<(), OutputError> {
    let mut err = io::stderr().lock();
    err.write_fmt(args).and_then(|()| err.flush()).map_err(|e| OutputError::new(Stream::Stderr, e))
}

/// `print!` that returns the failure instead of panicking.
macro_rules! out {
    ($($arg:tt)*) => { $crate::output::stdout(format_args!($($arg)*)) };
}

/// `println!` that returns the failure instead of panicking.
macro_rules! outln {
    ($($arg:tt)*) => { $crate::output::stdout(format_args!("{}\n", format_args!($($arg)*))) };
}

/// `eprintln!` that returns the failure instead of panicking.
macro_rules! errln {
    ($($arg:tt)*) => { $crate::output::stderr(format_args!("{}\n", format_args!($($arg)*))) };
}

pub(crate) use {errln, out, outln};
