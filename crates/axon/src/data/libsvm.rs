//! LibSVM / SVMlight files, the sparse format of LIBLINEAR, scikit-learn's
//! `load_svmlight_file` and most published sparse benchmarks: one row per line,
//! `LABEL [qid:Q] INDEX:VALUE INDEX:VALUE ... [# comment]`. The rows become a [`Csr`] matrix and
//! a label vector, never a dense table.
//!
//! As scikit-learn reads them: indices are one-based unless the file has an index 0 (or the
//! caller says otherwise), a row's indices may come in any order but not twice, `qid` is
//! ignored, blank and comment lines are skipped. Every malformed token is an error naming the
//! file, the line and the token.

use std::io::{BufRead, BufReader};
use std::path::Path;

use super::csv::open_bytes;
use super::csv_columns::parse_number;
use crate::error::{Error, Result};
use crate::sparse::Csr;

/// How [`read_libsvm`] reads a file.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LibsvmOptions {
    /// Whether indices start at 0; `None` (default): at 0 when the file has an index 0, else at
    /// 1 (scikit-learn's `zero_based="auto"`).
    pub zero_based: Option<bool>,
    /// The number of columns (a model's width); `None`: the largest index read. An index beyond
    /// it is an error.
    pub n_features: Option<usize>,
}

/// The rows of a LibSVM file.
#[derive(Debug, Clone, PartialEq)]
pub struct SparseData {
    pub x: Csr,
    pub labels: Vec<f64>,
    /// Whether the file's indices were read as zero-based.
    pub zero_based: bool,
}

/// Reads a LibSVM / SVMlight file (gzipped when its name ends in `.gz`).
pub fn read_libsvm(path: impl AsRef<Path>, options: &LibsvmOptions) -> Result<SparseData> {
    let path = path.as_ref();
    let shown = path.display().to_string();
    let mut reader = BufReader::with_capacity(1 << 20, open_bytes(path)?);
    let (mut labels, mut indptr, mut indices, mut values) = (vec![], vec![0], vec![], vec![]);
    let mut row: Vec<(u64, f64)> = Vec::new();
    let mut line = Vec::new();
    let (mut number, mut smallest) = (0, u64::MAX);
    loop {
        line.clear();
        let n = reader
            .read_until(b'\n', &mut line)
            .map_err(|e| Error::Io { path: shown.clone(), msg: e.to_string() })?;
        if n == 0 {
            break;
        }
        number += 1;
        let at = Place { shown: &shown, line: number };
        let text = line.split(|&b| b == b'#').next().unwrap_or(&[]);
        let mut tokens = text.split(u8::is_ascii_whitespace).filter(|t| !t.is_empty());
        let Some(label) = tokens.next() else { continue };
        labels.push(at.number(label, "label")?);
        row.clear();
        for token in tokens {
            let Some(colon) = token.iter().position(|&b| b == b':') else {
                return Err(at.error(token, "expected INDEX:VALUE"));
            };
            let (key, value) = (&token[..colon], &token[colon + 1..]);
            if key == b"qid" {
                at.index(value, token)?;
                continue;
            }
            let index = at.index(key, token)?;
            let value = at.number(value, &String::from_utf8_lossy(token))?;
            smallest = smallest.min(index);
            row.push((index, value));
        }
        row.sort_unstable_by_key(|&(j, _)| j);
        if let Some(pair) = row.windows(2).find(|p| p[0].0 == p[1].0) {
            return Err(at.error(b"", &format!("index {} appears twice in the row", pair[0].0)));
        }
        indices.extend(row.iter().map(|&(j, _)| (j, number)));
        values.extend(row.iter().map(|&(_, v)| v));
        indptr.push(indices.len());
    }
    if labels.is_empty() {
        return Err(Error::Format { path: shown, line: number.max(1), msg: "no rows".into() });
    }
    let zero_based = options.zero_based.unwrap_or(smallest == 0);
    let shift = u64::from(!zero_based);
    let mut columns = Vec::with_capacity(indices.len());
    let mut widest = 0;
    for &(j, line) in &indices {
        if j < shift {
            let msg = "index 0 in a file read as one-based".to_owned();
            return Err(Error::Format { path: shown, line, msg });
        }
        let j = j - shift;
        let limit = options.n_features.unwrap_or(u32::MAX as usize + 1) as u64;
        if j >= limit {
            let msg = match options.n_features {
                Some(n) => format!("feature index {} but the model has {n} features", j + shift),
                None => format!("feature index {} does not fit 32 bits", j + shift),
            };
            return Err(Error::Format { path: shown, line, msg });
        }
        widest = widest.max(j as usize + 1);
        columns.push(j as u32);
    }
    let n_cols = options.n_features.unwrap_or(widest);
    let x = Csr::new(n_cols, indptr, columns, values)?;
    Ok(SparseData { x, labels, zero_based })
}

/// A line of a file, for errors.
struct Place<'a> {
    shown: &'a str,
    line: usize,
}

impl Place<'_> {
    fn error(&self, token: &[u8], msg: &str) -> Error {
        let column = String::from_utf8_lossy(token).into_owned();
        Error::Parse { path: self.shown.to_owned(), line: self.line, column, msg: msg.to_owned() }
    }

    /// A finite number.
    fn number(&self, text: &[u8], what: &str) -> Result<f64> {
        match parse_number(text) {
            Some(x) if x.is_finite() => Ok(x),
            Some(_) => Err(self.error(text, &format!("{what}: not a finite number"))),
            None => Err(self.error(text, &format!("{what}: not a number"))),
        }
    }

    /// A non-negative integer index.
    fn index(&self, text: &[u8], token: &[u8]) -> Result<u64> {
        let digits = !text.is_empty() && text.iter().all(u8::is_ascii_digit);
        let parsed = std::str::from_utf8(text).ok().and_then(|t| t.parse::<u64>().ok());
        match parsed {
            Some(i) if digits => Ok(i),
            _ => Err(self.error(token, "the index must be a whole number ≥ 0")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str, options: &LibsvmOptions) -> Result<SparseData> {
        let dir = std::env::temp_dir().join(format!("axon-libsvm-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(format!("t{}.svm", text.len()));
        std::fs::write(&path, text).unwrap();
        let out = read_libsvm(&path, options);
        std::fs::remove_file(&path).ok();
        out
    }

    #[test]
    fn rows_comments_qid_and_one_based_indices() {
        let text = "# a comment\n+1 qid:3 3:0.5 1:2 # trailing\n\n-1 2:-1e-3\n0\n";
        let data = read(text, &LibsvmOptions::default()).unwrap();
        assert_eq!(data.labels, [1.0, -1.0, 0.0]);
        assert!(!data.zero_based);
        assert_eq!(data.x.n_cols(), 3);
        assert_eq!(data.x.row(0), (&[0u32, 2][..], &[2.0, 0.5][..]));
        assert_eq!(data.x.row(1), (&[1u32][..], &[-1e-3][..]));
        assert_eq!(data.x.row(2).0.len(), 0);
        let zero = read("1 0:1 4:2\n", &LibsvmOptions::default()).unwrap();
        assert!(zero.zero_based);
        assert_eq!(zero.x.n_cols(), 5);
        let wide = LibsvmOptions { n_features: Some(10), ..Default::default() };
        assert_eq!(read("1 2:1\n", &wide).unwrap().x.n_cols(), 10);
    }

    #[test]
    fn malformed_tokens_name_their_line() {
        let cases = [
            ("1 1:2\nx 1:1\n", 2, "label"),
            ("1 1:2\n1 a:1\n", 2, "whole number"),
            ("1 1:2\n1 1:b\n", 2, "not a number"),
            ("1 1:nan\n", 1, "finite"),
            ("1 3\n", 1, "INDEX:VALUE"),
            ("1 2:1 2:3\n", 1, "twice"),
            ("1 -2:1\n", 1, "whole number"),
        ];
        for (text, line, words) in cases {
            let err = read(text, &LibsvmOptions::default()).unwrap_err().to_string();
            assert!(err.contains(&format!(":{line}:")) && err.contains(words), "{text:?}: {err}");
        }
        let narrow = LibsvmOptions { n_features: Some(2), ..Default::default() };
        let err = read("1 1:1\n1 3:1\n", &narrow).unwrap_err().to_string();
        assert!(err.contains(":2:") && err.contains("model has 2"), "{err}");
        let one = LibsvmOptions { zero_based: Some(false), ..Default::default() };
        assert!(read("1 0:1\n", &one).unwrap_err().to_string().contains("one-based"));
        assert!(read("# only\n", &LibsvmOptions::default()).is_err());
    }
}
