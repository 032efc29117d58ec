//! Vowpal Wabbit's text format, streamed as sparse batches: one example per line,
//! `LABEL [IMPORTANCE] ['TAG]|NAMESPACE FEATURE[:VALUE] ... |NAMESPACE ...`. A feature becomes
//! the column `MurmurHash3(FEATURE, seed MurmurHash3(NAMESPACE)) mod 2^bits` (the namespace
//! hash as the seed, as VW does; the columns are not VW's own), value 1 unless given; features
//! hashed to one column of a row are summed. Labels are −1/1 (VW's) or 0/1 and come out as 0/1.
//!
//! Like LibSVM (`libsvm.rs`) the rows are sparse, never a table: [`vw_batches`] yields [`Csr`]
//! batches of a fixed number of rows, holding one batch in memory, for online learners. Every
//! malformed token is an error naming the file, the line and the token.

use std::io::{BufRead, BufReader, Read};
use std::path::Path;

use super::csv::open_read_ahead;
use super::csv_columns::parse_number;
use crate::error::{Error, Result};
use crate::sparse::Csr;
use crate::text::murmurhash3_32;

/// One batch of a VW file.
#[derive(Debug, Clone, PartialEq)]
pub struct VwBatch {
    pub x: Csr,
    /// 0/1 labels.
    pub labels: Vec<f64>,
    /// The importance weights (1 when a line gives none).
    pub weights: Vec<f64>,
}

/// The batches of a VW file; see [`vw_batches`].
pub struct VwBatches {
    reader: BufReader<Box<dyn Read>>,
    shown: String,
    bits: u32,
    rows: usize,
    line: usize,
    buffer: Vec<u8>,
    done: bool,
}

/// Streams a VW text file (gzipped when its name ends in `.gz`) as batches of `rows` rows of
/// width `2^bits` (1 ≤ bits ≤ 31).
pub fn vw_batches(path: impl AsRef<Path>, bits: u32, rows: usize) -> Result<VwBatches> {
    let path = path.as_ref();
    vw_batches_from(open_read_ahead(path)?, path.display().to_string(), bits, rows)
}

/// [`vw_batches`] of the bytes `source`, named `shown` in errors: a part of a file that several
/// processes share (`parts.rs`).
pub fn vw_batches_from(
    source: Box<dyn Read>,
    shown: String,
    bits: u32,
    rows: usize,
) -> Result<VwBatches> {
    if !(1..=31).contains(&bits) {
        return Err(Error::invalid("bits", bits, "the hash width is 1 to 31 bits"));
    }
    if rows == 0 {
        return Err(Error::invalid("rows", 0, "a batch has at least one row"));
    }
    Ok(VwBatches {
        reader: BufReader::with_capacity(1 << 20, source),
        shown,
        bits,
        rows,
        line: 0,
        buffer: Vec::new(),
        done: false,
    })
}

impl Iterator for VwBatches {
    type Item = Result<VwBatch>;

    fn next(&mut self) -> Option<Result<VwBatch>> {
        if self.done {
            return None;
        }
        let out = self.read_batch();
        if !matches!(out, Ok(Some(_))) {
            self.done = true;
        }
        out.transpose()
    }
}

impl VwBatches {
    fn read_batch(&mut self) -> Result<Option<VwBatch>> {
        let mask = (1u32 << self.bits) - 1;
        let (mut labels, mut weights) = (Vec::new(), Vec::new());
        let (mut indptr, mut indices, mut values) = (vec![0], Vec::new(), Vec::new());
        let mut row: Vec<(u32, f64)> = Vec::new();
        while labels.len() < self.rows {
            self.buffer.clear();
            let n = self
                .reader
                .read_until(b'\n', &mut self.buffer)
                .map_err(|e| Error::Io { path: self.shown.clone(), msg: e.to_string() })?;
            if n == 0 {
                break;
            }
            self.line += 1;
            let at = Place { shown: &self.shown, line: self.line };
            let text = self.buffer.trim_ascii();
            if text.is_empty() {
                continue;
            }
            let (label, weight) = parse_line(text, &at, mask, &mut row)?;
            labels.push(label);
            weights.push(weight);
            row.sort_unstable_by_key(|&(j, _)| j);
            let start = indices.len();
            for &(j, v) in &row {
                if indices.len() > start && indices.last() == Some(&j) {
                    *values.last_mut().unwrap_or(&mut 0.0) += v;
                } else {
                    indices.push(j);
                    values.push(v);
                }
            }
            indptr.push(indices.len());
        }
        if labels.is_empty() {
            return Ok(None);
        }
        let x = Csr::new(1 << self.bits, indptr, indices, values)?;
        Ok(Some(VwBatch { x, labels, weights }))
    }
}

/// Parses one non-empty line into `row` (hashed, masked columns); returns the 0/1 label and
/// the importance weight.
fn parse_line(text: &[u8], at: &Place, mask: u32, row: &mut Vec<(u32, f64)>) -> Result<(f64, f64)> {
    row.clear();
    let bar = text.iter().position(|&b| b == b'|').ok_or_else(|| at.error(text, "no `|`"))?;
    let mut head = text[..bar].split(u8::is_ascii_whitespace).filter(|t| !t.is_empty());
    let label_text = head.next().ok_or_else(|| at.error(text, "no label before `|`"))?;
    let label = match at.number(label_text, "label")? {
        1.0 => 1.0,
        -1.0 | 0.0 => 0.0,
        _ => return Err(at.error(label_text, "the label must be -1, 0 or 1")),
    };
    let mut weight = 1.0;
    if let Some(token) = head.next() {
        if token[0] != b'\'' {
            weight = at.number(token, "importance")?;
            if weight < 0.0 {
                return Err(at.error(token, "the importance must be ≥ 0"));
            }
        }
    }
    for section in text[bar + 1..].split(|&b| b == b'|') {
        // `|ns f ...`: the namespace name touches the bar; `| f ...` is the default namespace.
        let (namespace, features) = match section.first() {
            Some(b) if !b.is_ascii_whitespace() => {
                let end = section.iter().position(u8::is_ascii_whitespace).unwrap_or(section.len());
                let name = &section[..end];
                let name = name.split(|&b| b == b':').next().unwrap_or(name);
                (name, &section[end..])
            }
            _ => (&b" "[..], section),
        };
        let seed = murmurhash3_32(namespace, 0) as u32;
        for token in features.split(u8::is_ascii_whitespace).filter(|t| !t.is_empty()) {
            let (name, value) = match token.iter().rposition(|&b| b == b':') {
                Some(c) => (&token[..c], at.number(&token[c + 1..], "feature value")?),
                None => (token, 1.0),
            };
            if name.is_empty() {
                return Err(at.error(token, "a feature has a name before `:`"));
            }
            row.push((murmurhash3_32(name, seed) as u32 & mask, value));
        }
    }
    Ok((label, weight))
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

    fn number(&self, text: &[u8], what: &str) -> Result<f64> {
        match parse_number(text) {
            Some(x) if x.is_finite() => Ok(x),
            _ => Err(self.error(text, &format!("{what}: not a finite number"))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str, bits: u32, rows: usize) -> Result<Vec<VwBatch>> {
        let dir = std::env::temp_dir().join(format!("axon-vw-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(format!("t{}.vw", text.len()));
        std::fs::write(&path, text).unwrap();
        let out = vw_batches(&path, bits, rows).and_then(|b| b.collect());
        std::fs::remove_file(&path).ok();
        out
    }

    #[test]
    fn labels_weights_namespaces_and_values() {
        let text = "1 |a x y:2 |b x\n\n-1 0.5 'tag| z:-1\n0 |a x x\n";
        let batches = read(text, 18, 2).unwrap();
        assert_eq!(batches.len(), 2);
        assert_eq!(batches[0].labels, [1.0, 0.0]);
        assert_eq!(batches[0].weights, [1.0, 0.5]);
        assert_eq!(batches[1].labels, [0.0]);
        let col = |ns: &str, f: &str| {
            murmurhash3_32(f.as_bytes(), murmurhash3_32(ns.as_bytes(), 0) as u32) as u32
                & ((1 << 18) - 1)
        };
        let mut want = [(col("a", "x"), 1.0), (col("a", "y"), 2.0), (col("b", "x"), 1.0)];
        want.sort_by_key(|p| p.0);
        let (idx, val) = batches[0].x.row(0);
        assert_eq!(idx, want.iter().map(|p| p.0).collect::<Vec<_>>());
        assert_eq!(val, want.iter().map(|p| p.1).collect::<Vec<_>>());
        assert_eq!(batches[0].x.row(1), (&[col(" ", "z")][..], &[-1.0][..]));
        assert_eq!(batches[1].x.row(0), (&[col("a", "x")][..], &[2.0][..])); // summed
    }

    #[test]
    fn malformed_lines_name_file_and_line() {
        let cases = [
            ("1 |a x\nx |a y\n", 2, "label"),
            ("1 |a x\n2 |a y\n", 2, "-1, 0 or 1"),
            ("1 a x\n", 1, "no `|`"),
            ("1 |a x:q\n", 1, "feature value"),
            ("1 -2 |a x\n", 1, "importance"),
            ("1 |a :3\n", 1, "name"),
        ];
        for (text, line, words) in cases {
            let err = read(text, 10, 100).unwrap_err().to_string();
            assert!(err.contains(&format!(":{line}:")) && err.contains(words), "{text:?}: {err}");
            assert!(err.contains(".vw"), "{err}");
        }
        assert!(read("1 |a x\n", 0, 1).is_err());
        assert!(read("", 10, 1).unwrap().is_empty());
    }
}
