//! Errors of the whole library: one enum with structured variants, so that a caller can match on
//! what went wrong and a user reads a message that names the operation, the shapes or the argument.

use crate::tensor::dtype::DType;
use crate::tensor::shape::Shape;

/// Everything that can fail in axon on run-time data.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Two operands whose shapes do not fit together (after broadcasting where the op broadcasts).
    #[error("{op}: shape mismatch between {lhs} and {rhs}")]
    ShapeMismatch { op: &'static str, lhs: Shape, rhs: Shape },

    /// A data vector whose length does not match the requested shape.
    #[error("{op}: {len} elements cannot fill shape {shape} ({expected} needed)")]
    LengthMismatch { op: &'static str, len: usize, shape: Shape, expected: usize },

    /// An operation applied to a tensor of the wrong element type.
    #[error("{op}: expected {expected}, got {got}")]
    DTypeMismatch { op: &'static str, expected: DType, got: DType },

    /// An axis outside `0..rank`.
    #[error("{op}: axis {axis} out of range for a tensor of rank {rank}")]
    AxisOutOfRange { op: &'static str, axis: usize, rank: usize },

    /// An index outside the size of the axis it indexes.
    #[error("{op}: index {index} out of range for an axis of size {size}")]
    IndexOutOfRange { op: &'static str, index: i64, size: usize },

    /// A function argument with a value that is not allowed.
    #[error("invalid argument `{name}` = {value}: {reason}")]
    InvalidArgument { name: &'static str, value: String, reason: String },

    /// A combination of settings that a model does not take: the one-vs-rest or softmax model
    /// with an option value it has no fit for (`allowed` lists what it takes).
    #[error("the {model} model takes {option} {allowed} (got {value})")]
    Unsupported { model: &'static str, option: &'static str, value: String, allowed: &'static str },

    /// `backward` called on a tensor with more than one element, or one that is not tracked.
    #[error("backward: {0}")]
    Backward(String),

    /// A value in a data file that cannot be used: a missing value, a malformed number.
    #[error("{path}:{line}: column `{column}`: {msg}")]
    Parse { path: String, line: usize, column: String, msg: String },

    /// A data file whose structure is wrong: an empty file, a ragged row, a duplicate column name.
    #[error("{path}:{line}: {msg}")]
    Format { path: String, line: usize, msg: String },

    /// A file that cannot be opened or read.
    #[error("{path}: {msg}")]
    Io { path: String, msg: String },

    /// A column asked for by name that the data does not have.
    #[error("no column `{name}`; the columns are: {available}")]
    UnknownColumn { name: String, available: String },

    /// Data that does not fit what a model or an encoder expects: an unseen category level, a
    /// target that is not binary for a binary model, a column whose kind changed.
    #[error("column `{column}`: {msg}")]
    Encoding { column: String, msg: String },

    /// An unpenalised maximum-likelihood fit whose estimate does not exist: a threshold on the
    /// named variables (or on a combination of them) predicts the outcome perfectly (`kind` =
    /// "perfect") or up to ties (`kind` = "quasi-complete"), so their coefficients diverge.
    #[error(
        "{kind} separation by {}: {detail}; the maximum-likelihood estimate does not exist \
         (drop or merge the variable, or fit with an L2 penalty)",
        capped(.variables, ", ")
    )]
    Separation { variables: Vec<String>, kind: &'static str, detail: String },

    /// A fit or training run stopped by the caller's [`interrupt`](crate::interrupt) hook (the
    /// Python package's Ctrl-C).
    #[error("interrupted")]
    Interrupted,
}

/// The most items an error message lists (separating variables); the rest are counted.
pub(crate) const LISTED: usize = 10;

/// `parts` joined by `sep`: the first [`LISTED`], then `and N more`.
pub(crate) fn capped(parts: &[String], sep: &str) -> String {
    let mut out = parts.iter().take(LISTED).cloned().collect::<Vec<_>>().join(sep);
    if parts.len() > LISTED {
        out.push_str(&format!("{sep}and {} more", parts.len() - LISTED));
    }
    out
}

/// The library's result type.
pub type Result<T> = std::result::Result<T, Error>;

impl Error {
    /// Shorthand for [`Error::InvalidArgument`].
    pub fn invalid(
        name: &'static str,
        value: impl std::fmt::Display,
        reason: impl Into<String>,
    ) -> Self {
        Error::InvalidArgument { name, value: value.to_string(), reason: reason.into() }
    }
}
