//! Arrow arrays decoded from a Parquet file become the two kinds of [`Column`] a [`Frame`] holds,
//! with the CSV reader's rules: every number type (integers, floats, decimals, booleans as 0/1)
//! is `f64`, every string type (plain, large, view, dictionary) is a categorical column with its
//! levels sorted in byte order, and a null or a non-finite number is a missing value, an error
//! naming the row and the column unless rows with one are dropped. `read_parquet` decodes pieces
//! of a file (row groups, column groups) in parallel; this file turns each piece's arrays into
//! [`Piece`]s and puts the pieces of a table together in row order.

use arrow_array::cast::AsArray;
use arrow_array::types::{
    Decimal128Type, Decimal256Type, Decimal32Type, Decimal64Type, Float16Type, Float32Type,
    Float64Type, Int16Type, Int32Type, Int64Type, Int8Type, UInt16Type, UInt32Type, UInt64Type,
    UInt8Type,
};
use arrow_array::{Array, ArrowPrimitiveType};
use arrow_schema::DataType;
use rustc_hash::FxHashMap;

use super::frame::{Column, Frame};
use crate::error::{Error, Result};

/// Whether a column of this Arrow type is read as numbers (`Some(true)`), as text
/// (`Some(false)`), or not at all (`None`: dates, times, binary, lists, structs, ...).
pub(crate) fn numeric_type(data_type: &DataType) -> Option<bool> {
    use DataType::*;
    match data_type {
        Null | Boolean | Int8 | Int16 | Int32 | Int64 | UInt8 | UInt16 | UInt32 | UInt64
        | Float16 | Float32 | Float64 | Decimal32(..) | Decimal64(..) | Decimal128(..)
        | Decimal256(..) => Some(true),
        Utf8 | LargeUtf8 | Utf8View => Some(false),
        Dictionary(_, values) if matches!(**values, Utf8 | LargeUtf8 | Utf8View) => Some(false),
        _ => None,
    }
}

/// Why a row is missing in a column.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Missing {
    Null,
    NonFinite(f64),
}

/// One column of a run of consecutive rows (a row group, a batch) as it is decoded.
pub(crate) struct Piece {
    values: Values,
    /// The rows (from 0, in order) whose value is missing, and why.
    missing: Vec<(usize, Missing)>,
}

enum Values {
    /// The numbers; a missing row holds a placeholder.
    Numbers(Vec<f64>),
    /// `codes[i]` indexes `levels`, the distinct values in order of first appearance; a missing
    /// row holds code 0 (with no level when every row so far was missing).
    Text { codes: Vec<u32>, index: FxHashMap<String, u32>, levels: Vec<String> },
}

impl Piece {
    /// An empty piece of a column of a type [`numeric_type`] accepts, with room for `rows` rows.
    pub(crate) fn new(numeric: bool, rows: usize) -> Piece {
        let values = if numeric {
            Values::Numbers(Vec::with_capacity(rows))
        } else {
            let codes = Vec::with_capacity(rows);
            Values::Text { codes, index: FxHashMap::default(), levels: Vec::new() }
        };
        Piece { values, missing: Vec::new() }
    }

    /// The number of rows.
    pub(crate) fn len(&self) -> usize {
        match &self.values {
            Values::Numbers(v) => v.len(),
            Values::Text { codes, .. } => codes.len(),
        }
    }

    /// Appends the rows of `array`, of the type this piece was made for; another type is a
    /// message naming it (the file's schema said one thing and a page another).
    pub(crate) fn push(&mut self, array: &dyn Array) -> std::result::Result<(), String> {
        let start = self.len();
        let nulls = array.logical_nulls();
        let is_null = |i: usize| nulls.as_ref().is_some_and(|n| n.is_null(i));
        match &mut self.values {
            Values::Numbers(values) => {
                push_numbers(values, array)?;
                let new = &values[start..];
                if nulls.is_some() || new.iter().any(|v| !v.is_finite()) {
                    for (i, &v) in new.iter().enumerate() {
                        if is_null(i) {
                            self.missing.push((start + i, Missing::Null));
                        } else if !v.is_finite() {
                            self.missing.push((start + i, Missing::NonFinite(v)));
                        }
                    }
                }
            }
            Values::Text { codes, index, levels } => {
                let mut text = Text { codes, index, levels };
                push_text(&mut text, array)?;
                if nulls.is_some() {
                    let nulls = (0..array.len()).filter(|&i| is_null(i));
                    self.missing.extend(nulls.map(|i| (start + i, Missing::Null)));
                }
            }
        }
        Ok(())
    }
}

/// Appends the values of a number, boolean or null array as `f64`.
fn push_numbers(out: &mut Vec<f64>, array: &dyn Array) -> std::result::Result<(), String> {
    fn cast<T: ArrowPrimitiveType>(out: &mut Vec<f64>, array: &dyn Array, f: fn(T::Native) -> f64) {
        out.extend(array.as_primitive::<T>().values().iter().map(|&v| f(v)));
    }
    match array.data_type() {
        DataType::Float64 => out.extend_from_slice(array.as_primitive::<Float64Type>().values()),
        DataType::Float32 => cast::<Float32Type>(out, array, f64::from),
        DataType::Float16 => cast::<Float16Type>(out, array, |v| v.to_f64()),
        DataType::Int8 => cast::<Int8Type>(out, array, f64::from),
        DataType::Int16 => cast::<Int16Type>(out, array, f64::from),
        DataType::Int32 => cast::<Int32Type>(out, array, f64::from),
        DataType::Int64 => cast::<Int64Type>(out, array, |v| v as f64),
        DataType::UInt8 => cast::<UInt8Type>(out, array, f64::from),
        DataType::UInt16 => cast::<UInt16Type>(out, array, f64::from),
        DataType::UInt32 => cast::<UInt32Type>(out, array, f64::from),
        DataType::UInt64 => cast::<UInt64Type>(out, array, |v| v as f64),
        DataType::Boolean => out.extend(array.as_boolean().values().iter().map(f64::from)),
        DataType::Null => out.resize(out.len() + array.len(), f64::NAN),
        &DataType::Decimal32(_, scale) => decimals::<Decimal32Type>(out, array, scale),
        &DataType::Decimal64(_, scale) => decimals::<Decimal64Type>(out, array, scale),
        &DataType::Decimal128(_, scale) => decimals::<Decimal128Type>(out, array, scale),
        &DataType::Decimal256(_, scale) => decimals::<Decimal256Type>(out, array, scale),
        other => return Err(format!("holds {other} values where its schema says numbers")),
    }
    Ok(())
}

/// Appends decimals (`unscaled × 10^-scale`) rounded once to the nearest `f64`, as the CSV
/// reader rounds the same number written out.
fn decimals<T>(out: &mut Vec<f64>, array: &dyn Array, scale: i8)
where
    T: ArrowPrimitiveType,
    T::Native: std::fmt::Display,
{
    let exact = |v: &T::Native| format!("{v}e{}", -i32::from(scale)).parse().unwrap_or(f64::NAN);
    out.extend(array.as_primitive::<T>().values().iter().map(exact));
}

/// The text values of a piece, borrowed.
struct Text<'a> {
    codes: &'a mut Vec<u32>,
    index: &'a mut FxHashMap<String, u32>,
    levels: &'a mut Vec<String>,
}

impl Text<'_> {
    /// The code of `value`, added as a level when it is new.
    fn code(&mut self, value: &str) -> u32 {
        if let Some(&code) = self.index.get(value) {
            return code;
        }
        let code = self.levels.len() as u32;
        self.index.insert(value.to_owned(), code);
        self.levels.push(value.to_owned());
        code
    }

    /// Appends `values` (`None` for a null).
    fn extend<'v>(&mut self, values: impl Iterator<Item = Option<&'v str>>) {
        for value in values {
            let code = value.map_or(0, |v| self.code(v));
            self.codes.push(code);
        }
    }
}

/// Appends the values of a string array, or of a dictionary of strings (only the dictionary
/// values that rows use become levels).
fn push_text(text: &mut Text, array: &dyn Array) -> std::result::Result<(), String> {
    match array.data_type() {
        DataType::Utf8 => text.extend(array.as_string::<i32>().iter()),
        DataType::LargeUtf8 => text.extend(array.as_string::<i64>().iter()),
        DataType::Utf8View => text.extend(array.as_string_view().iter()),
        DataType::Dictionary(_, value_type) => {
            if !matches!(**value_type, DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View) {
                return Err(format!(
                    "holds a dictionary of {value_type} where its schema says text"
                ));
            }
            let dictionary = array.as_any_dictionary();
            let values = dictionary.values();
            let value = |k: usize| -> Option<&str> {
                if k >= values.len() || values.is_null(k) {
                    return None;
                }
                Some(match **value_type {
                    DataType::Utf8 => values.as_string::<i32>().value(k),
                    DataType::LargeUtf8 => values.as_string::<i64>().value(k),
                    _ => values.as_string_view().value(k),
                })
            };
            // (`normalized_keys` panics on an empty dictionary, whose rows can only be nulls.)
            let keys =
                if values.is_empty() { vec![0; array.len()] } else { dictionary.normalized_keys() };
            let key_nulls = dictionary.keys().logical_nulls();
            let mut remap: Vec<Option<u32>> = vec![None; values.len()];
            for (i, &k) in keys.iter().enumerate() {
                let null = key_nulls.as_ref().is_some_and(|n| n.is_null(i));
                let code = match (null, remap.get(k).copied().flatten()) {
                    (true, _) => 0,
                    (false, Some(code)) => code,
                    (false, None) => match value(k) {
                        Some(v) => {
                            let code = text.code(v);
                            if let Some(slot) = remap.get_mut(k) {
                                *slot = Some(code);
                            }
                            code
                        }
                        None => 0,
                    },
                };
                text.codes.push(code);
            }
        }
        other => return Err(format!("holds {other} values where its schema says text")),
    }
    Ok(())
}

/// Puts together a table from its pieces: `pieces[p][j]` is column `j` of the `p`-th run of
/// rows, in file order, the first row of the run `first_row + ` the rows before it. A missing
/// value is an [`Error::Parse`] naming the row (1-based) and the column, unless `drop_missing`,
/// when its row is dropped and counted. The frame may have no rows; the caller decides whether
/// that is an error.
pub(crate) fn assemble(
    pieces: Vec<Vec<Piece>>,
    names: Vec<String>,
    drop_missing: bool,
    first_row: usize,
    shown: &str,
) -> Result<Frame> {
    let mut keeps: Vec<Option<Vec<bool>>> = Vec::with_capacity(pieces.len());
    let mut offset = first_row;
    let mut dropped_rows = 0;
    for piece in &pieces {
        let rows = piece.first().map_or(0, Piece::len);
        if let Some(j) = piece.iter().position(|c| c.len() != rows) {
            let msg = format!(
                "column `{}` has {} rows where others have {rows}",
                names[j],
                piece[j].len()
            );
            return Err(Error::Format { path: shown.to_owned(), line: 0, msg });
        }
        if piece.iter().all(|c| c.missing.is_empty()) {
            keeps.push(None);
        } else if drop_missing {
            let mut keep = vec![true; rows];
            piece.iter().flat_map(|c| &c.missing).for_each(|&(i, _)| keep[i] = false);
            dropped_rows += keep.iter().filter(|&&k| !k).count();
            keeps.push(Some(keep));
        } else {
            return Err(first_missing(piece, &names, offset, shown));
        }
        offset += rows;
    }
    let mut by_column: Vec<Vec<Piece>> =
        names.iter().map(|_| Vec::with_capacity(pieces.len())).collect();
    for piece in pieces {
        by_column.iter_mut().zip(piece).for_each(|(c, p)| c.push(p));
    }
    let columns: Vec<Column> = by_column.into_iter().map(|c| merge(c, &keeps)).collect();
    let n_rows = columns.first().map_or(0, Column::len);
    Ok(Frame { names, columns, n_rows, dropped_rows })
}

/// The error for the first missing value of a piece: its first row with one, and in that row
/// the first column, as the CSV reader reports it.
fn first_missing(piece: &[Piece], names: &[String], offset: usize, shown: &str) -> Error {
    let row = piece.iter().filter_map(|c| c.missing.first()).map(|&(i, _)| i).min().unwrap_or(0);
    let (j, why) = piece
        .iter()
        .enumerate()
        .find_map(|(j, c)| c.missing.iter().find(|&&(i, _)| i == row).map(|&(_, why)| (j, why)))
        .unwrap_or((0, Missing::Null));
    let what = match why {
        Missing::Null => "missing value (null)".to_owned(),
        Missing::NonFinite(v) => format!("non-finite value `{v}`"),
    };
    Error::Parse {
        path: shown.to_owned(),
        line: offset + row + 1,
        column: names[j].clone(),
        msg: format!("{what} (set drop_missing to drop such rows)"),
    }
}

/// One column from its pieces, the rows `keeps` says to keep: numbers concatenated, or the
/// pieces' levels that kept rows use merged into sorted levels and the codes remapped to them.
fn merge(pieces: Vec<Piece>, keeps: &[Option<Vec<bool>>]) -> Column {
    let kept = |values: &[u32], keep: &Option<Vec<bool>>| -> Vec<u32> {
        match keep {
            None => values.to_vec(),
            Some(keep) => values.iter().zip(keep).filter(|(_, &k)| k).map(|(&v, _)| v).collect(),
        }
    };
    if pieces.iter().all(|p| matches!(p.values, Values::Numbers(_))) {
        if pieces.len() == 1 && keeps[0].is_none() {
            if let Some(Piece { values: Values::Numbers(v), .. }) = pieces.into_iter().next() {
                return Column::Numeric(v);
            }
            return Column::Numeric(Vec::new());
        }
        let mut numbers = Vec::with_capacity(pieces.iter().map(Piece::len).sum());
        for (piece, keep) in pieces.iter().zip(keeps) {
            if let Values::Numbers(v) = &piece.values {
                match keep {
                    None => numbers.extend_from_slice(v),
                    Some(keep) => {
                        numbers.extend(v.iter().zip(keep).filter(|(_, &k)| k).map(|(&x, _)| x));
                    }
                }
            }
        }
        return Column::Numeric(numbers);
    }
    let mut local: Vec<(Vec<u32>, &[String])> = Vec::with_capacity(pieces.len());
    for (piece, keep) in pieces.iter().zip(keeps) {
        if let Values::Text { codes, levels, .. } = &piece.values {
            local.push((kept(codes, keep), levels));
        }
    }
    let mut used: Vec<Vec<bool>> = Vec::with_capacity(local.len());
    let mut levels: Vec<String> = Vec::new();
    for (codes, names) in &local {
        let mut u = vec![false; names.len()];
        codes.iter().for_each(|&c| u[c as usize] = true);
        levels.extend(names.iter().zip(&u).filter(|(_, &u)| u).map(|(l, _)| l.clone()));
        used.push(u);
    }
    levels.sort_unstable();
    levels.dedup();
    let mut codes = Vec::with_capacity(local.iter().map(|(c, _)| c.len()).sum());
    for ((local_codes, names), u) in local.iter().zip(&used) {
        let remap: Vec<u32> = names
            .iter()
            .zip(u)
            .map(|(l, &u)| if u { levels.partition_point(|x| x < l) as u32 } else { 0 })
            .collect();
        codes.extend(local_codes.iter().map(|&c| remap[c as usize]));
    }
    Column::Categorical { levels, codes }
}
