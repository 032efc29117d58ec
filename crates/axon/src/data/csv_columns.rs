//! The columns of a CSV file as they are read: each chunk's fields go into a [`Builder`] (numbers
//! straight into an `f64` buffer, text interned), and the chunks of a whole file are gathered
//! into an [`Acc`] that becomes a [`Column`]. Also the typo rule: a column of numbers with a
//! stray word is an error naming its line, not a column of categories.

use rayon::prelude::*;
use rustc_hash::FxHashMap;

use super::frame::Column;
use crate::error::{Error, Result};

/// A column with at least this share of numbers among its values is a column of numbers: a value
/// that is not one is an error (a typo), not a reason to read the column as categories.
pub const NUMERIC_SHARE: f64 = 0.9;

/// What a column is read as: numbers until a value is not one, interned text, or nothing (a
/// column the caller did not ask for).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Kind {
    Numeric,
    Text,
    Skip,
}

/// One column of one chunk as it is read.
pub(crate) enum Builder {
    Numeric(Numbers),
    /// `codes[i]` indexes `levels`, the distinct values in order of appearance, each with the
    /// line it first appears on.
    Text {
        codes: Vec<u32>,
        index: FxHashMap<Vec<u8>, u32>,
        levels: Vec<(Vec<u8>, usize)>,
    },
    Skip,
}

/// The numbers of a column so far. Once a value is not a number (`first_other`), the values are
/// dropped and only counted: the column is then either a typo error or read again as text.
#[derive(Default)]
pub(crate) struct Numbers {
    pub values: Vec<f64>,
    /// How many values were numbers, and how many were not.
    numbers: usize,
    others: usize,
    /// The line and text of the first non-finite number and of the first value not a number.
    non_finite: Option<(usize, String)>,
    pub first_other: Option<(usize, String)>,
}

impl Numbers {
    fn push(&mut self, field: &[u8], line: usize) {
        match parse_number(field) {
            Some(x) => {
                if !x.is_finite() && self.non_finite.is_none() {
                    self.non_finite = Some((line, String::from_utf8_lossy(field).into_owned()));
                }
                if self.first_other.is_none() {
                    self.values.push(x);
                }
                self.numbers += 1;
            }
            None => {
                if self.first_other.is_none() {
                    self.first_other = Some((line, String::from_utf8_lossy(field).into_owned()));
                    self.values = Vec::new();
                }
                self.others += 1;
            }
        }
    }

    /// Adds a finite number.
    #[inline]
    fn push_finite(&mut self, x: f64) {
        if self.first_other.is_none() {
            self.values.push(x);
        }
        self.numbers += 1;
    }

    /// Appends the numbers of the rows that follow these.
    fn append(&mut self, next: Numbers) {
        self.numbers += next.numbers;
        self.others += next.others;
        self.non_finite = self.non_finite.take().or(next.non_finite);
        if self.first_other.is_none() {
            self.first_other = next.first_other;
        }
        if self.first_other.is_some() {
            self.values = Vec::new();
        } else {
            self.values.extend_from_slice(&next.values);
        }
    }

    pub fn share(&self) -> f64 {
        self.numbers as f64 / (self.numbers + self.others).max(1) as f64
    }

    pub fn is_mostly_numbers(&self) -> bool {
        self.share() >= NUMERIC_SHARE
    }
}

impl Builder {
    pub fn new(kind: Kind) -> Builder {
        match kind {
            Kind::Numeric => Builder::Numeric(Numbers::default()),
            Kind::Text => {
                Builder::Text { codes: Vec::new(), index: FxHashMap::default(), levels: Vec::new() }
            }
            Kind::Skip => Builder::Skip,
        }
    }

    /// A builder with room for `rows` numbers.
    pub fn with_capacity(kind: Kind, rows: usize) -> Builder {
        let mut builder = Builder::new(kind);
        if let Builder::Numeric(numbers) = &mut builder {
            numbers.values.reserve_exact(rows);
        }
        builder
    }

    /// Adds a finite number to a numeric column; a skipped column ignores it.
    #[inline]
    pub fn push_number(&mut self, x: f64) {
        if let Builder::Numeric(numbers) = self {
            numbers.push_finite(x);
        }
    }

    /// Adds a trimmed field from line `line`.
    pub fn push(&mut self, field: &[u8], line: usize) {
        match self {
            Builder::Numeric(numbers) => numbers.push(field, line),
            Builder::Text { codes, index, levels } => {
                let code = match index.get(field) {
                    Some(&code) => code,
                    None => {
                        let code = levels.len() as u32;
                        index.insert(field.to_vec(), code);
                        levels.push((field.to_vec(), line));
                        code
                    }
                };
                codes.push(code);
            }
            Builder::Skip => {}
        }
    }
}

/// The text of one chunk of a column: its codes, and its levels in order of appearance, each
/// with the line it first appears on.
type TextPart = (Vec<u32>, Vec<(Vec<u8>, usize)>);

/// A distinct value of a text column and the line it first appears on.
type Level = (String, usize);

/// One column of the whole file as its blocks are read.
pub(crate) enum Acc {
    Numeric(Numbers),
    /// The text of each chunk.
    Text(Vec<TextPart>),
    Skip,
}

impl Acc {
    pub fn new(kind: Kind) -> Acc {
        match kind {
            Kind::Numeric => Acc::Numeric(Numbers::default()),
            Kind::Text => Acc::Text(Vec::new()),
            Kind::Skip => Acc::Skip,
        }
    }

    pub fn reserve(&mut self, rows: usize) {
        if let Acc::Numeric(numbers) = self {
            numbers.values.reserve_exact(rows);
        }
    }

    pub fn add(&mut self, builder: Builder) {
        match (self, builder) {
            (Acc::Numeric(all), Builder::Numeric(next)) => all.append(next),
            (Acc::Text(parts), Builder::Text { codes, levels, .. }) => parts.push((codes, levels)),
            _ => {}
        }
    }

    /// The column, `None` for a skipped one: numbers when every value is one (a non-finite
    /// number is an error), else the chunks' dictionaries merged into sorted levels and the codes
    /// remapped to them (then checked for a typo among numbers when `check_typos`).
    pub fn finish(
        self,
        name: &str,
        check_typos: bool,
        categorical: &[String],
        shown: &str,
    ) -> Result<Option<Column>> {
        let parts = match self {
            Acc::Skip => return Ok(None),
            Acc::Numeric(numbers) => {
                if let Some((line, text)) = numbers.non_finite {
                    return Err(Error::Parse {
                        path: shown.to_owned(),
                        line,
                        column: name.to_owned(),
                        msg: format!("non-finite value `{text}`"),
                    });
                }
                return Ok(Some(Column::Numeric(numbers.values)));
            }
            Acc::Text(parts) => parts,
        };
        // Each chunk's values become text in place (checked on all cores, the first bad one
        // in file order reported), the distinct ones are sorted as borrowed text, and each
        // level is then moved out of the chunk that holds it: a column of long documents is
        // never copied here.
        let parts: Vec<(Vec<u32>, Vec<Level>)> = parts
            .into_par_iter()
            .map(|(codes, levels)| {
                let levels =
                    levels.into_iter().map(|(bytes, line)| match String::from_utf8(bytes) {
                        Ok(text) => Ok((text, line)),
                        Err(_) => Err(Error::Format {
                            path: shown.to_owned(),
                            line,
                            msg: format!("column `{name}`: a value is not valid UTF-8"),
                        }),
                    });
                Ok((codes, levels.collect::<Result<Vec<_>>>()?))
            })
            .collect::<Vec<Result<_>>>()
            .into_iter()
            .collect::<Result<_>>()?;
        let distinct: Vec<(&str, usize)> = (parts.iter())
            .flat_map(|(_, levels)| levels.iter().map(|(level, line)| (level.as_str(), *line)))
            .collect();
        // `order[i]` is the distinct value that is level `i`.
        let mut order: Vec<u32> = (0..distinct.len() as u32).collect();
        order.par_sort_unstable_by(|&a, &b| distinct[a as usize].0.cmp(distinct[b as usize].0));
        order.dedup_by(|a, b| distinct[*a as usize].0 == distinct[*b as usize].0);
        let sorted: Vec<&str> = order.iter().map(|&d| distinct[d as usize].0).collect();
        let remaps: Vec<Vec<u32>> = (parts.par_iter())
            .map(|(_, levels)| {
                let code = |level: &str| sorted.partition_point(|&l| l < level) as u32;
                levels.iter().map(|(level, _)| code(level)).collect()
            })
            .collect();
        let mut codes = Vec::with_capacity(parts.iter().map(|(c, _)| c.len()).sum());
        for ((local, _), remap) in parts.iter().zip(&remaps) {
            codes.extend(local.iter().map(|&c| remap[c as usize]));
        }
        if check_typos && !categorical.iter().any(|c| c == name) {
            check_not_typo(&sorted, &codes, &distinct, name, shown)?;
        }
        let mut values: Vec<String> =
            parts.into_iter().flat_map(|(_, levels)| levels.into_iter().map(|l| l.0)).collect();
        let levels = order.iter().map(|&d| std::mem::take(&mut values[d as usize])).collect();
        Ok(Some(Column::Categorical { levels, codes }))
    }
}

/// A text column whose values are nearly all numbers holds a typo: the error names the first
/// line with a value that is not a number.
fn check_not_typo(
    levels: &[&str],
    codes: &[u32],
    distinct: &[(&str, usize)],
    name: &str,
    shown: &str,
) -> Result<()> {
    let is_number: Vec<bool> =
        levels.iter().map(|l| parse_number(l.as_bytes()).is_some()).collect();
    if !is_number.iter().any(|&n| n) {
        return Ok(());
    }
    let numbers = codes.iter().filter(|&&c| is_number[c as usize]).count();
    let share = numbers as f64 / codes.len().max(1) as f64;
    if share < NUMERIC_SHARE {
        return Ok(());
    }
    let (value, line) = distinct
        .iter()
        .filter(|(level, _)| parse_number(level.as_bytes()).is_none())
        .min_by_key(|(_, line)| *line)
        .expect("a text column has a value that is not a number");
    Err(typo(shown, *line, name, value, share))
}

/// A number as `f64::from_str` reads it: `fast-float2` first, the standard parser for what it
/// declines.
pub(crate) fn parse_number(field: &[u8]) -> Option<f64> {
    match fast_float2::parse::<f64, _>(field) {
        Ok(x) => Some(x),
        Err(_) => std::str::from_utf8(field).ok()?.parse().ok(),
    }
}

/// The error for a value that is not a number in a column of numbers.
pub(crate) fn typo(shown: &str, line: usize, column: &str, value: &str, share: f64) -> Error {
    Error::Parse {
        path: shown.to_owned(),
        line,
        column: column.to_owned(),
        msg: format!(
            "`{value}` is not a number, but {:.1}% of the column's values are: correct or \
             remove the value, or read the column as categorical",
            (1000.0 * share).floor() / 10.0
        ),
    }
}
