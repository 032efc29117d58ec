//! What a table file is and how to read it: its [`Format`] (from the file name, the magic
//! bytes, or given) and [`ReadOptions`], every rule a reader follows (missing values, columns
//! to read, columns that are categories), shared by the CSV and Parquet readers.

use std::fmt;
use std::path::Path;
use std::str::FromStr;

use super::csv_chunks::Rules;
use crate::error::{Error, Result};

/// A table file format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Comma-separated values with a header row (`.csv`, `.csv.gz`).
    Csv,
    /// Tab-separated values with a header row (`.tsv`, `.tab`, `.tsv.gz`).
    Tsv,
    /// Apache Parquet (`.parquet`, `.pq`).
    Parquet,
    /// LibSVM / SVMlight (`.svm`, `.libsvm`, `.svmlight`): sparse rows `LABEL INDEX:VALUE ...`,
    /// read by [`crate::data::read_libsvm`], not as a table.
    Libsvm,
    /// Vowpal Wabbit's text format (`.vw`): `LABEL [IMPORTANCE] |NAMESPACE FEATURE[:VALUE] ...`,
    /// sparse rows streamed by [`crate::data::vw_batches`], not a table.
    Vw,
}

impl Format {
    /// The format a file name says (`.gz` looked through), `None` for another extension.
    pub fn of(path: impl AsRef<Path>) -> Option<Format> {
        let name = path.as_ref().file_name()?.to_str()?.to_ascii_lowercase();
        let name = name.strip_suffix(".gz").unwrap_or(&name);
        let extension = name.rsplit_once('.')?.1;
        match extension {
            "csv" | "txt" => Some(Format::Csv),
            "tsv" | "tab" => Some(Format::Tsv),
            "parquet" | "pq" => Some(Format::Parquet),
            "svm" | "libsvm" | "svmlight" => Some(Format::Libsvm),
            "vw" => Some(Format::Vw),
            _ => None,
        }
    }

    /// The format of `path`: `given` if set, else its name's, else Parquet when the file starts
    /// with Parquet's magic bytes, LibSVM when its first line looks like a LibSVM row
    /// (`heart_scale`), and CSV otherwise.
    pub fn resolve(given: Option<Format>, path: &Path) -> Format {
        given.or_else(|| Format::of(path)).unwrap_or_else(|| {
            let mut head = Vec::new();
            let read = std::fs::File::open(path).and_then(|f| {
                std::io::Read::read_to_end(&mut std::io::Read::take(f, 4096), &mut head)
            });
            match read {
                Ok(_) if head.starts_with(b"PAR1") => Format::Parquet,
                Ok(_) if looks_like_libsvm(&head) => Format::Libsvm,
                _ => Format::Csv,
            }
        })
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Format::Csv => "csv",
            Format::Tsv => "tsv",
            Format::Parquet => "parquet",
            Format::Libsvm => "libsvm",
            Format::Vw => "vw",
        })
    }
}

impl FromStr for Format {
    type Err = Error;

    fn from_str(s: &str) -> Result<Format> {
        match s.to_ascii_lowercase().as_str() {
            "csv" => Ok(Format::Csv),
            "tsv" => Ok(Format::Tsv),
            "parquet" => Ok(Format::Parquet),
            "libsvm" | "svmlight" => Ok(Format::Libsvm),
            "vw" => Ok(Format::Vw),
            _ => Err(Error::invalid("format", s, "expected csv, tsv, parquet, libsvm or vw")),
        }
    }
}

/// Whether the first complete line of `head` is a LibSVM row: a number, then one or more
/// `INDEX:VALUE` tokens (or `qid:Q`), separated by spaces, and no comma.
fn looks_like_libsvm(head: &[u8]) -> bool {
    let Some(end) = head.iter().position(|&b| b == b'\n') else { return false };
    let Ok(line) = std::str::from_utf8(&head[..end]) else { return false };
    let line = line.split('#').next().unwrap_or("").trim();
    let mut tokens = line.split_ascii_whitespace();
    let label_ok = tokens.next().is_some_and(|t| t.parse::<f64>().is_ok());
    let pair = |t: &str| {
        t.split_once(':').is_some_and(|(i, v)| {
            (i == "qid" || (!i.is_empty() && i.bytes().all(|b| b.is_ascii_digit())))
                && v.parse::<f64>().is_ok()
        })
    };
    let rest: Vec<&str> = tokens.collect();
    label_ok && !line.contains(',') && !rest.is_empty() && rest.iter().all(|t| pair(t))
}

/// How [`read_table`] (and [`read_csv`]) read a file.
#[derive(Debug, Clone, PartialEq)]
pub struct ReadOptions {
    /// The file format; `None` (default) takes it from the file name.
    pub format: Option<Format>,
    /// Drop rows that have a missing value (counted in [`Frame::dropped_rows`]) instead of failing.
    pub drop_missing: bool,
    /// The text values, after trimming whitespace, that mean "missing". Default `NA`, empty, `?`,
    /// `NaN` (pandas' and Parquet's missing float).
    pub missing: Vec<String>,
    /// The field separator of a text file; `None` (default) is the format's (`,` or tab).
    pub delimiter: Option<u8>,
    /// Parse a text file without quote characters in chunks on all rayon threads (default
    /// `true`); `false` reads it on one thread with the `csv` crate. Both give the same frame.
    pub parallel: bool,
    /// Read only these columns, in this order (default all, in file order). Missing values in
    /// the other columns are not looked at; an unknown or repeated name is an error.
    pub columns: Option<Vec<String>>,
    /// Columns that may hold text among numbers: read as categories. Any other column in which at
    /// least 90% of the values are numbers must hold only numbers (a stray word is an error).
    pub categorical: Vec<String>,
}

impl Default for ReadOptions {
    fn default() -> Self {
        ReadOptions {
            format: None,
            drop_missing: false,
            missing: vec!["NA".into(), String::new(), "?".into(), "NaN".into()],
            delimiter: None,
            parallel: true,
            columns: None,
            categorical: Vec::new(),
        }
    }
}

impl ReadOptions {
    /// The rules of the text reader, with `delimiter` unless one is set.
    pub(crate) fn rules(&self, delimiter: u8) -> Rules<'_> {
        Rules {
            delimiter: self.delimiter.unwrap_or(delimiter),
            missing: &self.missing,
            drop_missing: self.drop_missing,
            parallel: self.parallel,
            columns: self.columns.as_deref(),
            categorical: &self.categorical,
        }
    }
}
