//! [`HashedColumns`], the featurizer of click logs: a frame's columns become the columns of a
//! sparse matrix of a fixed width `2^bits` by hashing (the "hashing trick" of Vowpal Wabbit and
//! the Criteo competition winners), so that a model's width never depends on the data and a
//! stream of batches needs no vocabulary. It holds no state learned from data: the same
//! settings featurize any batch, of any file, the same way, and it is saved as its settings.
//!
//! A categorical column gives the feature `col=value` (MurmurHash3 of the value's bytes seeded
//! with MurmurHash3 of the column name, as Vowpal Wabbit seeds a feature's hash with its
//! namespace's) with value 1; a numeric column the feature `col` (MurmurHash3 of the name) with
//! the value itself; a log-binned column the feature
//! `col=bB` with `B = floor(log2(1 + |x|))` (`b-B` for a negative `x`) and value 1, so a count
//! is a category by its order of magnitude. A cross `a:b` gives one feature per row whose hash
//! mixes the two columns' hashes, with the product of their values. Empty text (a missing
//! field read with no missing-value markers) gives no feature. A column read as text may be
//! numeric or log-binned: its text is parsed once per distinct value of the batch.

use serde::{Deserialize, Serialize};

use super::csv_columns::parse_number;
use super::frame::{Column, Frame};
use crate::error::{Error, Result};
use crate::sparse::Csr;
use crate::text::murmurhash3_32;

/// How a column becomes a feature.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum HashRole {
    /// `col=value`, value 1.
    Categorical,
    /// `col`, value x.
    Numeric,
    /// `col=bB`, `B = floor(log2(1 + |x|))`, value 1.
    LogBinned,
}

/// One column and its role.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HashedColumn {
    pub name: String,
    pub role: HashRole,
}

/// The hashing featurizer; see the module docs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HashedColumns {
    bits: u32,
    columns: Vec<HashedColumn>,
    crosses: Vec<(String, String)>,
}

/// A row's feature in one column: its hash and value (`NaN`: no feature).
pub(crate) type Cell = (u32, f64);

const NONE: Cell = (0, f64::NAN);

impl HashedColumns {
    /// A featurizer of `columns` into `2^bits` columns (1 ≤ bits ≤ 31), with the crosses of
    /// pairs of those columns. A repeated column, or a cross of a column not listed, is an error.
    pub fn new(
        bits: u32,
        columns: Vec<HashedColumn>,
        crosses: Vec<(String, String)>,
    ) -> Result<HashedColumns> {
        if !(1..=31).contains(&bits) {
            return Err(Error::invalid("bits", bits, "the hash width is 1 to 31 bits"));
        }
        for (i, c) in columns.iter().enumerate() {
            if columns[..i].iter().any(|d| d.name == c.name) {
                return Err(Error::invalid("columns", &c.name, "column listed twice"));
            }
        }
        for (a, b) in &crosses {
            for side in [a, b] {
                if !columns.iter().any(|c| &c.name == side) {
                    return Err(Error::invalid(
                        "crosses",
                        format!("{a}:{b}"),
                        format!("`{side}` is not one of the featurized columns"),
                    ));
                }
            }
        }
        Ok(HashedColumns { bits, columns, crosses })
    }

    /// The width of the rows, `2^bits`.
    pub fn n_features(&self) -> usize {
        1 << self.bits
    }

    pub fn bits(&self) -> u32 {
        self.bits
    }

    pub fn columns(&self) -> &[HashedColumn] {
        &self.columns
    }

    pub fn crosses(&self) -> &[(String, String)] {
        &self.crosses
    }

    /// The rows of `frame` as a `frame.n_rows × 2^bits` matrix; features hashed to the same
    /// column of a row are summed. A column missing from the frame, or text that is not a
    /// number in a numeric or log-binned column, is an error naming the column.
    pub fn transform(&self, frame: &Frame) -> Result<Csr> {
        let n = frame.n_rows;
        let cells: Vec<Vec<Cell>> = self
            .columns
            .iter()
            .map(|c| column_cells(c, frame.column(&c.name)?))
            .collect::<Result<_>>()?;
        let crosses = self.cross_positions();
        let mut indptr = Vec::with_capacity(n + 1);
        indptr.push(0);
        let width = cells.len() + crosses.len();
        let mut indices = Vec::with_capacity(n * width);
        let mut values = Vec::with_capacity(n * width);
        let mut row: Vec<(u32, f64)> = Vec::with_capacity(width);
        let mut cells_of_row: Vec<Cell> = Vec::with_capacity(cells.len());
        for i in 0..n {
            cells_of_row.clear();
            cells_of_row.extend(cells.iter().map(|c| c[i]));
            self.push_row(&cells_of_row, &crosses, &mut row, &mut indices, &mut values);
            indptr.push(indices.len());
        }
        Csr::new(self.n_features(), indptr, indices, values)
    }
}

impl HashedColumns {
    /// The positions in [`columns`](HashedColumns::columns) of each cross's two columns.
    pub(crate) fn cross_positions(&self) -> Vec<(usize, usize)> {
        let position = |name: &str| self.columns.iter().position(|c| c.name == name).unwrap_or(0);
        self.crosses.iter().map(|(a, b)| (position(a), position(b))).collect()
    }

    /// Each column's hash seed, MurmurHash3 of its name.
    pub(crate) fn seeds(&self) -> Vec<u32> {
        self.columns.iter().map(|c| name_hash(&c.name)).collect()
    }

    /// Appends the row of `cells` (one per column, `NaN` value: none) with its crosses to
    /// `indices` and `values`: masked, sorted, repeated columns summed.
    pub(crate) fn push_row(
        &self,
        cells: &[Cell],
        crosses: &[(usize, usize)],
        row: &mut Vec<(u32, f64)>,
        indices: &mut Vec<u32>,
        values: &mut Vec<f64>,
    ) {
        let mask = (1u32 << self.bits) - 1;
        row.clear();
        row.extend(cells.iter().filter(|c| !c.1.is_nan()).map(|&(h, v)| (h & mask, v)));
        for &(a, b) in crosses {
            let ((ha, va), (hb, vb)) = (cells[a], cells[b]);
            if !va.is_nan() && !vb.is_nan() {
                row.push((cross_hash(ha, hb) & mask, va * vb));
            }
        }
        row.sort_unstable_by_key(|&(j, _)| j);
        let start = indices.len();
        for &(j, v) in row.iter() {
            if indices.len() > start && indices.last() == Some(&j) {
                if let Some(last) = values.last_mut() {
                    *last += v;
                }
            } else {
                indices.push(j);
                values.push(v);
            }
        }
    }
}

/// The hash of a column name, the seed of its values' hashes.
fn name_hash(name: &str) -> u32 {
    murmurhash3_32(name.as_bytes(), 0) as u32
}

/// The hash of a cross of two features.
fn cross_hash(a: u32, b: u32) -> u32 {
    let mut bytes = [0u8; 8];
    bytes[..4].copy_from_slice(&a.to_le_bytes());
    bytes[4..].copy_from_slice(&b.to_le_bytes());
    murmurhash3_32(&bytes, 0x9747_b28c) as u32
}

/// The hash of the text `value` in the column whose name hashes to `seed`.
fn token_hash(seed: u32, value: &[u8]) -> u32 {
    murmurhash3_32(value, seed) as u32
}

/// The log bin of `x` as text: `b3` for 7 ≤ |x| < 15 (positive), `b-3` for negative.
fn log_bin(x: f64) -> String {
    let b = (1.0 + x.abs()).log2().floor() as i64;
    if x < 0.0 {
        format!("b-{b}")
    } else {
        format!("b{b}")
    }
}

/// The feature of a number in a column (its name hashing to `seed`).
fn number_cell(column: &HashedColumn, seed: u32, x: f64) -> Cell {
    match column.role {
        HashRole::Numeric => (seed, x),
        HashRole::LogBinned => (token_hash(seed, log_bin(x).as_bytes()), 1.0),
        HashRole::Categorical => (token_hash(seed, format!("{x}").as_bytes()), 1.0),
    }
}

/// The feature of a field's text (trimmed; empty: none) in a column whose name hashes to
/// `seed`; text that is not a number in a numeric or log-binned column is an error message.
pub(crate) fn text_cell(
    column: &HashedColumn,
    seed: u32,
    text: &[u8],
) -> std::result::Result<Cell, String> {
    let text = text.trim_ascii();
    if text.is_empty() {
        return Ok(NONE);
    }
    if column.role == HashRole::Categorical {
        return Ok((token_hash(seed, text), 1.0));
    }
    match parse_number(text) {
        Some(x) if x.is_finite() => Ok(number_cell(column, seed, x)),
        _ => Err(format!(
            "`{}` is not a number (the column is {:?})",
            String::from_utf8_lossy(text),
            column.role
        )),
    }
}

/// Every row's feature in one column: numbers one by one, text once per level.
fn column_cells(column: &HashedColumn, data: &Column) -> Result<Vec<Cell>> {
    let seed = name_hash(&column.name);
    match data {
        Column::Numeric(xs) => Ok(xs.iter().map(|&x| number_cell(column, seed, x)).collect()),
        Column::Categorical { levels, codes } => {
            let of_level = levels
                .iter()
                .map(|level| {
                    text_cell(column, seed, level.as_bytes())
                        .map_err(|msg| Error::Encoding { column: column.name.clone(), msg })
                })
                .collect::<Result<Vec<Cell>>>()?;
            Ok(codes.iter().map(|&c| of_level[c as usize]).collect())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cat(name: &str) -> HashedColumn {
        HashedColumn { name: name.into(), role: HashRole::Categorical }
    }

    fn frame() -> Frame {
        Frame::new(
            vec!["a".into(), "b".into(), "n".into()],
            vec![
                Column::categorical(&["x", "y", "", "x"]),
                Column::categorical(&["p", "p", "q", ""]),
                Column::Numeric(vec![0.0, 3.0, -6.0, 100.0]),
            ],
        )
        .unwrap()
    }

    #[test]
    fn categories_hash_name_and_value() {
        let h = HashedColumns::new(20, vec![cat("a"), cat("b")], vec![]).unwrap();
        let x = h.transform(&frame()).unwrap();
        assert_eq!(x.n_cols(), 1 << 20);
        let col = |c: &str, v: &str| {
            murmurhash3_32(v.as_bytes(), murmurhash3_32(c.as_bytes(), 0) as u32) as u32
                & ((1 << 20) - 1)
        };
        let mut want = vec![col("a", "x"), col("b", "p")];
        want.sort();
        assert_eq!(x.row(0).0, want);
        assert_eq!(x.row(2).0, [col("b", "q")]); // a is empty: no feature
        assert_eq!(x.row(3).0, [col("a", "x")]);
        assert!(x.row(0).1.iter().all(|&v| v == 1.0));
    }

    #[test]
    fn numbers_log_bins_and_crosses() {
        let cols = vec![
            cat("a"),
            HashedColumn { name: "n".into(), role: HashRole::LogBinned },
            HashedColumn { name: "b".into(), role: HashRole::Numeric },
        ];
        assert!(HashedColumns::new(18, cols.clone(), vec![]).unwrap().transform(&frame()).is_err());
        let cols = vec![cat("a"), HashedColumn { name: "n".into(), role: HashRole::LogBinned }];
        let h = HashedColumns::new(31, cols, vec![("a".into(), "n".into())]).unwrap();
        let x = h.transform(&frame()).unwrap();
        let full = |c: &str, v: &str| {
            murmurhash3_32(v.as_bytes(), murmurhash3_32(c.as_bytes(), 0) as u32) as u32
        };
        let hash = |c: &str, v: &str| full(c, v) & 0x7fff_ffff;
        // 3 → b2, -6 → b-2, 100 → b6.
        let crossed = cross_hash(full("a", "y"), full("n", "b2")) & 0x7fff_ffff;
        let mut row1 = vec![hash("a", "y"), hash("n", "b2"), crossed];
        row1.sort();
        assert_eq!(x.row(1).0, row1);
        assert_eq!(x.row(2).0, [hash("n", "b-2")]);
        let num = HashedColumns::new(
            8,
            vec![HashedColumn { name: "n".into(), role: HashRole::Numeric }],
            vec![],
        )
        .unwrap();
        let x = num.transform(&frame()).unwrap();
        assert_eq!(x.row(3).1, [100.0]);
        assert_eq!(x.row(3).0, [murmurhash3_32(b"n", 0) as u32 & 255]);
    }

    #[test]
    fn settings_are_checked_and_saved() {
        assert!(HashedColumns::new(0, vec![cat("a")], vec![]).is_err());
        assert!(HashedColumns::new(18, vec![cat("a"), cat("a")], vec![]).is_err());
        assert!(HashedColumns::new(18, vec![cat("a")], vec![("a".into(), "z".into())]).is_err());
        let h = HashedColumns::new(18, vec![cat("a")], vec![("a".into(), "a".into())]).unwrap();
        let json = serde_json::to_string(&h).unwrap();
        assert_eq!(serde_json::from_str::<HashedColumns>(&json).unwrap(), h);
        let missing = HashedColumns::new(18, vec![cat("zz")], vec![]).unwrap();
        assert!(missing.transform(&frame()).is_err());
    }
}
