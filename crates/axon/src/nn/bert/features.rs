//! [`EncoderFeatures`]: text columns turned into dense numeric columns by a frozen
//! [`SentenceEncoder`], so that any model of numeric columns (a logistic regression of `axon fit
//! --encoder`) can be fitted on sentence embeddings. Column `body` becomes `body:emb0 …
//! body:emb{d−1}`, one column per embedding component (`f32` widened to `f64`), appended to the
//! frame; several text columns are embedded one after the other and their columns concatenated.
//!
//! The encoder is not stored, only where it is and what it is: its directory (absolute) and the
//! size and SHA-256 of every file it was loaded from ([`SentenceEncoder::files`]). Loading it
//! again ([`EncoderFeatures::load_encoder`], from the stored directory or another one) checks
//! every digest first, so a model is never applied through an encoder other than the one it was
//! fitted on: a changed, missing or extra file is an error naming it.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::sentence::SentenceEncoder;
use crate::data::{Column, Frame};
use crate::error::{Error, Result};
use crate::io::file_digest;

/// One file of an encoder: its path relative to the encoder's directory, size and SHA-256.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EncoderFile {
    pub path: String,
    pub bytes: u64,
    pub sha256: String,
}

/// Which text columns are embedded, by which encoder.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EncoderFeatures {
    /// The encoder's directory, absolute.
    pub dir: PathBuf,
    /// Every file it was loaded from, with its digest.
    pub files: Vec<EncoderFile>,
    /// The text columns, in the order their embeddings are concatenated.
    pub columns: Vec<String>,
    /// The width of one column's embedding.
    pub dim: usize,
    /// Texts encoded at a time.
    pub batch_size: usize,
}

impl EncoderFeatures {
    /// The features of `columns` by `encoder`, with the digests of its files (read now).
    pub fn new(
        encoder: &SentenceEncoder,
        columns: Vec<String>,
        batch_size: usize,
    ) -> Result<EncoderFeatures> {
        if columns.is_empty() {
            return Err(Error::invalid("columns", "[]", "name at least one text column"));
        }
        let mut seen = columns.iter().enumerate();
        if let Some((_, dup)) = seen.find(|(i, c)| columns[..*i].contains(c)) {
            return Err(Error::invalid("columns", dup, "listed twice"));
        }
        if batch_size == 0 {
            return Err(Error::invalid("batch_size", 0, "must be at least 1"));
        }
        let dir = std::fs::canonicalize(encoder.dir()).map_err(|e| Error::Io {
            path: encoder.dir().display().to_string(),
            msg: e.to_string(),
        })?;
        let files = digests(encoder.dir(), encoder.files())?;
        Ok(EncoderFeatures { dir, files, columns, dim: encoder.dim(), batch_size })
    }

    /// The names of the embedding columns: `COL:emb0 … COL:emb{d−1}` per text column.
    pub fn feature_names(&self) -> Vec<String> {
        let dim = self.dim;
        (self.columns.iter()).flat_map(|c| (0..dim).map(move |j| format!("{c}:emb{j}"))).collect()
    }

    /// Loads the encoder from `dir` (the stored directory when `None`) after checking that every
    /// file it was fitted with is there, unchanged, and that it reads no other file.
    pub fn load_encoder(&self, dir: Option<&Path>) -> Result<SentenceEncoder> {
        let dir = dir.unwrap_or(&self.dir);
        let changed = |file: &Path, what: String| Error::Io {
            path: file.display().to_string(),
            msg: format!(
                "{what}: the model was fitted on the embeddings of the encoder in {} and does not \
                 apply through a different one",
                self.dir.display()
            ),
        };
        for f in &self.files {
            let path = dir.join(&f.path);
            if !path.is_file() {
                return Err(changed(&path, "missing".into()));
            }
            let digest = file_digest(&path)?;
            if digest.sha256 != f.sha256 {
                let what = format!(
                    "changed since the fit ({} bytes, SHA-256 {}; it was {} bytes, {})",
                    digest.bytes, digest.sha256, f.bytes, f.sha256
                );
                return Err(changed(&path, what));
            }
        }
        let encoder = SentenceEncoder::load(dir)?;
        for file in encoder.files() {
            let name = relative(dir, file);
            if !self.files.iter().any(|f| f.path == name) {
                return Err(changed(file, "a file the fitted encoder did not have".into()));
            }
        }
        if encoder.dim() != self.dim {
            let what = format!("embeddings of {} dimensions, not {}", encoder.dim(), self.dim);
            return Err(changed(dir, what));
        }
        Ok(encoder)
    }

    /// `frame` with the embedding columns of every text column appended (the text columns
    /// stay), in the order of [`EncoderFeatures::feature_names`].
    pub fn append(&self, encoder: &SentenceEncoder, frame: &Frame) -> Result<Frame> {
        self.append_with_progress(encoder, frame, |_| {})
    }

    /// As [`EncoderFeatures::append`], calling `progress(done)` after each batch with the texts
    /// embedded so far, over every column.
    pub fn append_with_progress(
        &self,
        encoder: &SentenceEncoder,
        frame: &Frame,
        mut progress: impl FnMut(usize),
    ) -> Result<Frame> {
        if encoder.dim() != self.dim {
            let reason = format!("embeddings of {} dimensions, not {}", encoder.dim(), self.dim);
            return Err(Error::invalid("encoder", encoder.dir().display(), reason));
        }
        let names = self.feature_names();
        if let Some(clash) = names.iter().find(|n| frame.names.contains(n)) {
            let reason = "the data already has a column of that name";
            return Err(Error::invalid("columns", clash, reason));
        }
        let mut out = frame.clone();
        let mut before = 0;
        for (c, column) in self.columns.iter().enumerate() {
            let values = frame.column(column)?;
            let texts: Vec<String> =
                (0..values.len()).map(|i| values.label(i).into_owned()).collect();
            let texts: Vec<&str> = texts.iter().map(String::as_str).collect();
            let embeddings = encoder
                .embed_with_progress(&texts, self.batch_size, |done| progress(before + done))?;
            before += texts.len();
            let e: Vec<f32> = embeddings.to_vec()?;
            for j in 0..self.dim {
                let column: Vec<f64> =
                    e.iter().skip(j).step_by(self.dim).map(|&v| f64::from(v)).collect();
                out.names.push(names[c * self.dim + j].clone());
                out.columns.push(Column::Numeric(column));
            }
        }
        Ok(out)
    }
}

/// The digests of `files`, named relative to `dir`.
fn digests(dir: &Path, files: &[PathBuf]) -> Result<Vec<EncoderFile>> {
    let mut out: Vec<EncoderFile> = Vec::new();
    for file in files {
        let path = relative(dir, file);
        if out.iter().any(|f| f.path == path) {
            continue;
        }
        let d = file_digest(file)?;
        out.push(EncoderFile { path, bytes: d.bytes, sha256: d.sha256 });
    }
    Ok(out)
}

/// `file`'s path relative to `dir`, with `/` separators.
fn relative(dir: &Path, file: &Path) -> String {
    let rel = file.strip_prefix(dir).unwrap_or(file);
    let parts: Vec<String> =
        rel.components().map(|c| c.as_os_str().to_string_lossy().into()).collect();
    parts.join("/")
}
