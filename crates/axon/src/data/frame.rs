//! A small column-oriented table, the form tabular data takes between the CSV reader and the design
//! matrix: every column is either numbers or the codes of a sorted list of string levels, the same
//! distinction R draws between numeric vectors and factors.

use std::borrow::Cow;

use crate::error::{Error, Result};

/// One column of a [`Frame`].
#[derive(Debug, Clone, PartialEq)]
pub enum Column {
    /// Every value is a finite number.
    Numeric(Vec<f64>),
    /// String values: `levels` sorted (byte order, as R's `factor` in the C locale and patsy),
    /// `codes[i]` the index into `levels` of row `i`.
    Categorical { levels: Vec<String>, codes: Vec<u32> },
}

impl Column {
    /// A categorical column from its values, levels sorted and deduplicated.
    pub fn categorical<S: AsRef<str>>(values: &[S]) -> Column {
        let mut levels: Vec<String> = values.iter().map(|v| v.as_ref().to_owned()).collect();
        levels.sort_unstable();
        levels.dedup();
        let codes = values
            .iter()
            .map(|v| levels.partition_point(|l| l.as_str() < v.as_ref()) as u32)
            .collect();
        Column::Categorical { levels, codes }
    }

    /// The number of rows.
    pub fn len(&self) -> usize {
        match self {
            Column::Numeric(v) => v.len(),
            Column::Categorical { codes, .. } => codes.len(),
        }
    }

    /// Whether the column has no rows.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether the column holds numbers.
    pub fn is_numeric(&self) -> bool {
        matches!(self, Column::Numeric(_))
    }

    /// The numbers of a numeric column, `None` for a categorical one.
    pub fn as_numeric(&self) -> Option<&[f64]> {
        match self {
            Column::Numeric(v) => Some(v),
            Column::Categorical { .. } => None,
        }
    }

    /// Row `i` as text: the level of a categorical column, the shortest round-trip formatting of a
    /// number (`1` for 1.0, `0.5` for 0.5), which is how numbers name categories and classes.
    ///
    /// # Panics
    /// If `i >= self.len()`.
    pub fn label(&self, i: usize) -> Cow<'_, str> {
        match self {
            Column::Numeric(v) => Cow::Owned(format!("{}", v[i])),
            Column::Categorical { levels, codes } => Cow::Borrowed(&levels[codes[i] as usize]),
        }
    }

    /// The distinct values as text, sorted: levels as they are, numbers in numeric order.
    pub fn distinct_labels(&self) -> Vec<String> {
        match self {
            Column::Numeric(v) => {
                let mut sorted = v.clone();
                sorted.sort_by(f64::total_cmp);
                sorted.dedup();
                sorted.iter().map(|x| format!("{x}")).collect()
            }
            Column::Categorical { levels, .. } => levels.clone(),
        }
    }
}

/// A table: named columns of equal length.
#[derive(Debug, Clone, PartialEq)]
pub struct Frame {
    /// Column names, in file order, unique.
    pub names: Vec<String>,
    /// The columns, in the order of `names`.
    pub columns: Vec<Column>,
    /// The number of rows (kept rows, when rows with missing values were dropped).
    pub n_rows: usize,
    /// How many rows the reader dropped because they had a missing value.
    pub dropped_rows: usize,
}

impl Frame {
    /// A frame from names and columns, checking that the names are unique and the lengths agree.
    pub fn new(names: Vec<String>, columns: Vec<Column>) -> Result<Frame> {
        if names.len() != columns.len() {
            return Err(Error::invalid(
                "columns",
                columns.len(),
                format!("{} names given for {} columns", names.len(), columns.len()),
            ));
        }
        if let Some(dup) = first_duplicate(&names) {
            return Err(Error::invalid("names", dup, "duplicate column name"));
        }
        let n_rows = columns.first().map_or(0, Column::len);
        if let Some(j) = columns.iter().position(|c| c.len() != n_rows) {
            return Err(Error::Encoding {
                column: names[j].clone(),
                msg: format!("{} rows, but column `{}` has {n_rows}", columns[j].len(), names[0]),
            });
        }
        Ok(Frame { names, columns, n_rows, dropped_rows: 0 })
    }

    /// The number of columns.
    pub fn n_cols(&self) -> usize {
        self.columns.len()
    }

    /// The position of the column `name`; an unknown name is an error that lists the columns.
    pub fn column_index(&self, name: &str) -> Result<usize> {
        self.names.iter().position(|n| n == name).ok_or_else(|| Error::UnknownColumn {
            name: name.to_owned(),
            available: self.names.join(", "),
        })
    }

    /// The column `name`; an unknown name is an error that lists the columns.
    pub fn column(&self, name: &str) -> Result<&Column> {
        Ok(&self.columns[self.column_index(name)?])
    }

    /// The rows `rows` (indices into this frame, in that order) as a new frame: a categorical
    /// column keeps only the levels those rows have, as if the file had held only them, so that
    /// an encoder fitted to it learns what a fit on those rows alone would.
    ///
    /// # Panics
    /// If an index is `>= n_rows`.
    pub fn take_rows(&self, rows: &[usize]) -> Frame {
        let columns = self.columns.iter().map(|c| c.take_rows(rows)).collect();
        Frame { names: self.names.clone(), columns, n_rows: rows.len(), dropped_rows: 0 }
    }

    /// The rows in `range` as a new frame, categorical columns keeping only the levels those rows
    /// have. The dropped rows are kept when the range starts at row 0 (so that the batches of a
    /// stream add up to the dropped rows of the file).
    ///
    /// # Panics
    /// If the range is out of bounds.
    pub fn slice(&self, range: std::ops::Range<usize>) -> Frame {
        let columns = self.columns.iter().map(|c| c.slice(range.clone())).collect();
        let dropped_rows = if range.start == 0 { self.dropped_rows } else { 0 };
        Frame { names: self.names.clone(), columns, n_rows: range.len(), dropped_rows }
    }

    /// The rows of `first` followed by those of `second`, which must have the same column names
    /// and kinds; categorical levels are merged and kept sorted.
    ///
    /// # Panics
    /// If the names or the column kinds differ.
    pub fn concat(first: &Frame, second: &Frame) -> Frame {
        assert_eq!(first.names, second.names, "frames with different columns");
        let columns = first.columns.iter().zip(&second.columns).map(|(a, b)| a.concat(b)).collect();
        Frame {
            names: first.names.clone(),
            columns,
            n_rows: first.n_rows + second.n_rows,
            dropped_rows: first.dropped_rows + second.dropped_rows,
        }
    }
}

impl Column {
    /// The values of rows `range`, with only the levels they have.
    fn slice(&self, range: std::ops::Range<usize>) -> Column {
        match self {
            Column::Numeric(v) => Column::Numeric(v[range].to_vec()),
            Column::Categorical { levels, codes } => {
                let codes = &codes[range];
                let mut used = vec![false; levels.len()];
                codes.iter().for_each(|&c| used[c as usize] = true);
                let mut remap = vec![0u32; levels.len()];
                let mut kept = Vec::new();
                for (k, level) in levels.iter().enumerate().filter(|(k, _)| used[*k]) {
                    remap[k] = kept.len() as u32;
                    kept.push(level.clone());
                }
                let codes = codes.iter().map(|&c| remap[c as usize]).collect();
                Column::Categorical { levels: kept, codes }
            }
        }
    }

    /// This column's values followed by `next`'s (of the same kind).
    fn concat(&self, next: &Column) -> Column {
        match (self, next) {
            (Column::Numeric(a), Column::Numeric(b)) => Column::Numeric([&a[..], b].concat()),
            (
                Column::Categorical { levels: a, codes: ca },
                Column::Categorical { levels: b, codes: cb },
            ) => {
                let mut levels = [&a[..], b].concat();
                levels.sort_unstable();
                levels.dedup();
                let index = |l: &String| levels.binary_search(l).expect("a merged level") as u32;
                let (ra, rb): (Vec<u32>, Vec<u32>) =
                    (a.iter().map(index).collect(), b.iter().map(index).collect());
                let codes = (ca.iter().map(|&c| ra[c as usize]))
                    .chain(cb.iter().map(|&c| rb[c as usize]))
                    .collect();
                Column::Categorical { levels, codes }
            }
            _ => panic!("columns of different kinds"),
        }
    }

    /// The values of rows `rows`, in that order (see [`Frame::take_rows`]).
    fn take_rows(&self, rows: &[usize]) -> Column {
        match self {
            Column::Numeric(v) => Column::Numeric(rows.iter().map(|&i| v[i]).collect()),
            Column::Categorical { levels, codes } => {
                let values: Vec<&str> =
                    rows.iter().map(|&i| levels[codes[i] as usize].as_str()).collect();
                Column::categorical(&values)
            }
        }
    }
}

/// The first name that occurs twice, if any.
pub(crate) fn first_duplicate(names: &[String]) -> Option<&str> {
    let mut seen = std::collections::HashSet::new();
    names.iter().find(|n| !seen.insert(n.as_str())).map(String::as_str)
}
