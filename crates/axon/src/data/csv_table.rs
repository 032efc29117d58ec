//! The fast core of `read_csv`: a CSV stream becomes a [`Frame`] at close to disk speed and in
//! bounded memory. The stream is read in blocks that end at record boundaries (`csv_blocks.rs`);
//! each block's rows are parsed on all cores (`csv_chunks.rs`), and this file reads the header,
//! guesses the column kinds and gathers the blocks' columns into the frame. Fields are
//! trimmed as byte slices, numbers go straight into `f64` buffers through `fast-float2` (exact, as
//! `f64::from_str`), and text columns intern their byte slices, so that no field costs an
//! allocation. A block's numbers are appended to the columns and its bytes freed before the next
//! block is read, so a file is never held in memory whole. Every path gives the same frame and
//! the same errors, with exact line numbers.
//!
//! A column is numeric when every value is a number and categorical when it holds text; a column
//! of numbers with a stray word (at least `csv_columns::NUMERIC_SHARE` of its values numbers) is an error
//! naming the line and the value, unless the caller lists it as categorical.

use std::io::Read;

use csv::ByteRecord;
use rayon::prelude::*;

use super::csv_blocks::{count_newlines, Block, Blocks, BLOCK_BYTES};
use super::csv_chunks::{is_missing, next_record, parse_block, reader, trim, Lines, Part, Rules};
use super::csv_columns::{parse_number, typo, Acc, Builder, Kind, Numbers};
use super::frame::{first_duplicate, Column, Frame};
use crate::error::{Error, Result};

/// Opens the stream from its start, again when a column guessed numeric turns out to hold text.
pub(crate) type Open<'a> = &'a dyn Fn() -> Result<Box<dyn Read>>;

/// How many data rows are looked at to guess which columns hold text.
const GUESS_ROWS: usize = 100;

/// Parses a CSV stream with a header row (see `read_csv` for the rules); `size_hint` is its size
/// in bytes when known (to size the columns once), `shown` names the file in errors.
pub(crate) fn parse_frame(
    open: Open,
    size_hint: Option<u64>,
    rules: &Rules,
    shown: &str,
) -> Result<Frame> {
    parse_frame_in_blocks(open, size_hint, rules, shown, BLOCK_BYTES)
}

fn parse_frame_in_blocks(
    open: Open,
    size_hint: Option<u64>,
    rules: &Rules,
    shown: &str,
    block_bytes: usize,
) -> Result<Frame> {
    let mut kinds = None;
    loop {
        let mut blocks = Blocks::new(open()?, block_bytes, rules.delimiter, shown);
        let (layout, first) = Layout::read(&mut blocks, rules, shown, kinds.take())?;
        match read_rows(&mut blocks, &layout, first, size_hint, rules, shown)? {
            Pass::Done(frame) => return Ok(frame),
            Pass::Retry(retry) => kinds = Some(retry),
        }
    }
}

/// The columns of a file: its header and what each column is read as.
pub(crate) struct Layout {
    names: Vec<String>,
    kinds: Vec<Kind>,
    header_line: usize,
}

/// Where the data rows of the first block start in it ([`Blocks::handed`], read in place
/// rather than copied out), and the line they start on.
pub(crate) struct FirstRows {
    pub start: usize,
    pub first_line: usize,
}

impl Layout {
    /// The layout of a stream read in batches: guessed from the first block, with the columns
    /// `rules.categorical` names read as text.
    pub(crate) fn for_stream<R: Read>(
        blocks: &mut Blocks<R>,
        rules: &Rules,
        shown: &str,
    ) -> Result<(Layout, FirstRows)> {
        let (mut layout, first) = Layout::read(blocks, rules, shown, None)?;
        for (kind, name) in layout.kinds.iter_mut().zip(&layout.names) {
            if *kind != Kind::Skip && rules.categorical.contains(name) {
                *kind = Kind::Text;
            }
        }
        Ok((layout, first))
    }

    /// Reads the header from the first block and guesses the kinds (unless `kinds` are given).
    fn read<R: Read>(
        blocks: &mut Blocks<R>,
        rules: &Rules,
        shown: &str,
        kinds: Option<Vec<Kind>>,
    ) -> Result<(Layout, FirstRows)> {
        let empty = || Error::Format {
            path: shown.to_owned(),
            line: 1,
            msg: "empty file: a header row with the column names is required".into(),
        };
        let Block { bytes, first_line } = blocks.next_block()?.ok_or_else(empty)?;
        let bom = if bytes.starts_with(b"\xEF\xBB\xBF") { 3 } else { 0 };
        let (header, header_line, data_start) = read_header(&bytes[bom..], rules.delimiter, shown)?;
        let names = header_names(header, header_line, shown)?;
        let data = &bytes[bom + data_start..];
        let data_line = first_line + count_newlines(&bytes[..bom + data_start]);
        let selected = selected_columns(&names, rules, header_line, shown)?;
        let kinds = kinds.unwrap_or_else(|| guess_kinds(data, &selected, rules));
        let first = FirstRows { start: bom + data_start, first_line: data_line };
        Ok((Layout { names, kinds, header_line }, first))
    }
}

/// Which columns are read: all, or those `rules.columns` names (each once, and in the header).
fn selected_columns(
    names: &[String],
    rules: &Rules,
    header_line: usize,
    shown: &str,
) -> Result<Vec<bool>> {
    let Some(wanted) = rules.columns else { return Ok(vec![true; names.len()]) };
    let error = |msg: String| Error::Format { path: shown.to_owned(), line: header_line, msg };
    if let Some(unknown) = wanted.iter().find(|w| !names.contains(w)) {
        return Err(error(format!(
            "no column `{unknown}` in the header (columns: {})",
            names.join(", ")
        )));
    }
    if let Some(twice) = first_duplicate(wanted) {
        return Err(error(format!("column `{twice}` is asked for twice")));
    }
    Ok(names.iter().map(|n| wanted.contains(n)).collect())
}

/// The end of one reading of the file.
enum Pass {
    Done(Frame),
    /// Columns guessed numeric hold text: read again with these kinds.
    Retry(Vec<Kind>),
}

/// Reads every data row, block by block, into the columns.
fn read_rows<R: Read>(
    blocks: &mut Blocks<R>,
    layout: &Layout,
    first: FirstRows,
    size_hint: Option<u64>,
    rules: &Rules,
    shown: &str,
) -> Result<Pass> {
    let names = &layout.names;
    let data = &blocks.handed()[first.start..];
    let parts = parse_block(data, first.first_line, &layout.kinds, rules, names, shown)?;
    let mut columns: Vec<Acc> = layout.kinds.iter().map(|&k| Acc::new(k)).collect();
    let first_rows: usize = parts.iter().map(|p| p.rows + p.dropped).sum();
    if let (Some(size), false) = (size_hint, data.is_empty()) {
        let expected = (size as f64 / data.len() as f64 * first_rows as f64 * 1.02) as usize;
        columns.iter_mut().for_each(|c| c.reserve(expected + 16));
    }
    let (mut n_rows, mut dropped_rows) = (0, 0);
    let mut add = |parts: Vec<Part>, columns: &mut [Acc]| {
        n_rows += parts.iter().map(|p| p.rows).sum::<usize>();
        dropped_rows += parts.iter().map(|p| p.dropped).sum::<usize>();
        append_parts(columns, parts);
    };
    add(parts, &mut columns);
    while let Some(block) = blocks.next_block()? {
        let parts = parse_block(block.bytes, block.first_line, &layout.kinds, rules, names, shown)?;
        if let Some(newlines) = parts.iter().map(|p| p.newlines).sum::<Option<usize>>() {
            blocks.handed_newlines(newlines);
        }
        add(parts, &mut columns);
    }
    if n_rows == 0 {
        let msg = match dropped_rows {
            0 => "no data rows after the header".to_owned(),
            n => format!("all {n} data rows have a missing value and were dropped"),
        };
        return Err(Error::Format { path: shown.to_owned(), line: layout.header_line, msg });
    }
    let mut retry = layout.kinds.clone();
    for (j, column) in columns.iter().enumerate() {
        if let Acc::Numeric(numbers) = column {
            if let Some((line, value)) = &numbers.first_other {
                if numbers.is_mostly_numbers() && !rules.categorical.contains(&names[j]) {
                    return Err(typo(shown, *line, &names[j], value, numbers.share()));
                }
                retry[j] = Kind::Text;
            }
        }
    }
    if retry != layout.kinds {
        return Ok(Pass::Retry(retry));
    }
    let mut kept_names = Vec::new();
    let mut kept = Vec::new();
    for (name, column) in names.iter().zip(columns) {
        if let Some(column) = column.finish(name, true, rules.categorical, shown)? {
            kept_names.push(name.clone());
            kept.push(column);
        }
    }
    let (names, columns) = in_asked_order(kept_names, kept, rules.columns);
    Ok(Pass::Done(Frame { names, columns, n_rows, dropped_rows }))
}

/// Appends the chunks' columns to the file's, in chunk order, a column per task.
fn append_parts(columns: &mut [Acc], parts: Vec<Part>) {
    let mut per_column: Vec<Vec<Builder>> = columns.iter().map(|_| Vec::new()).collect();
    for part in parts {
        per_column.iter_mut().zip(part.columns).for_each(|(c, b)| c.push(b));
    }
    columns.par_iter_mut().zip(per_column).for_each(|(column, builders)| {
        builders.into_iter().for_each(|b| column.add(b));
    });
}

/// The columns in the order `asked` names them (file order when all are read).
fn in_asked_order(
    names: Vec<String>,
    columns: Vec<Column>,
    asked: Option<&[String]>,
) -> (Vec<String>, Vec<Column>) {
    let Some(asked) = asked else { return (names, columns) };
    let mut pairs: Vec<(String, Column)> = names.into_iter().zip(columns).collect();
    pairs.sort_by_key(|(name, _)| asked.iter().position(|a| a == name));
    pairs.into_iter().unzip()
}

/// The frame of the rows of one block, for a stream read in batches: a value that is not a
/// number in a column read as numbers is an error, and so, when `check_typos` (the first block),
/// is a text column of numbers with a stray word.
pub(crate) fn block_frame(
    data: &[u8],
    first_line: usize,
    layout: &Layout,
    rules: &Rules,
    check_typos: bool,
    shown: &str,
) -> Result<Frame> {
    let parts = parse_block(data, first_line, &layout.kinds, rules, &layout.names, shown)?;
    let mut columns: Vec<Acc> = layout.kinds.iter().map(|&k| Acc::new(k)).collect();
    let n_rows = parts.iter().map(|p| p.rows).sum();
    let dropped_rows = parts.iter().map(|p| p.dropped).sum();
    append_parts(&mut columns, parts);
    let mut names = Vec::new();
    let mut kept = Vec::new();
    for (name, column) in layout.names.iter().zip(columns) {
        if let Acc::Numeric(Numbers { first_other: Some((line, value)), .. }) = &column {
            return Err(Error::Parse {
                path: shown.to_owned(),
                line: *line,
                column: name.clone(),
                msg: format!(
                    "`{value}` is not a number, but the column held numbers in the first rows \
                     of the file: correct the value, or read the column as categorical"
                ),
            });
        }
        if let Some(column) = column.finish(name, check_typos, rules.categorical, shown)? {
            names.push(name.clone());
            kept.push(column);
        }
    }
    let (names, columns) = in_asked_order(names, kept, rules.columns);
    Ok(Frame { names, columns, n_rows, dropped_rows })
}

/// The header's trimmed fields, its line and the byte offset where the data rows start.
fn read_header(bytes: &[u8], delimiter: u8, shown: &str) -> Result<(Vec<Vec<u8>>, usize, usize)> {
    let mut reader = reader(bytes, delimiter);
    let mut record = ByteRecord::new();
    let line = next_record(&mut reader, &mut record, &mut Lines::new(bytes, 1), shown)?
        .ok_or_else(|| Error::Format {
            path: shown.to_owned(),
            line: 1,
            msg: "empty file: a header row with the column names is required".into(),
        })?;
    let fields = record.iter().map(|f| trim(f).to_vec()).collect();
    Ok((fields, line, reader.position().byte() as usize))
}

/// The column names of the header: UTF-8, present and unique.
fn header_names(header: Vec<Vec<u8>>, line: usize, shown: &str) -> Result<Vec<String>> {
    let format_error = |msg: String| Error::Format { path: shown.to_owned(), line, msg };
    let mut names = Vec::with_capacity(header.len());
    for (j, field) in header.into_iter().enumerate() {
        let name = String::from_utf8(field)
            .map_err(|_| format_error(format!("column {} has a name that is not UTF-8", j + 1)))?;
        names.push(name);
    }
    if let Some(first) = names.first_mut() {
        *first = first.trim_start_matches('\u{feff}').to_owned();
    }
    if let Some(j) = names.iter().position(String::is_empty) {
        return Err(format_error(format!("column {} has an empty name in the header", j + 1)));
    }
    if let Some(dup) = first_duplicate(&names) {
        return Err(format_error(format!("duplicate column name `{dup}` in the header")));
    }
    Ok(names)
}

/// Which columns hold text, from the first kept rows: a value that is neither missing nor a
/// number makes its column text; a column not `selected` is skipped. Only a guess that saves a
/// second reading; the result is the same without it.
fn guess_kinds(data: &[u8], selected: &[bool], rules: &Rules) -> Vec<Kind> {
    let width = selected.len();
    let mut kinds: Vec<Kind> =
        selected.iter().map(|&s| if s { Kind::Numeric } else { Kind::Skip }).collect();
    let mut reader = reader(data, rules.delimiter);
    let mut lines = Lines::new(data, 1);
    let mut record = ByteRecord::new();
    for _ in 0..GUESS_ROWS {
        match next_record(&mut reader, &mut record, &mut lines, "") {
            Ok(Some(_)) => {}
            _ => break,
        }
        if record.len() != width || record.iter().any(|f| is_missing(trim(f), rules.missing)) {
            continue;
        }
        for (kind, field) in kinds.iter_mut().zip(record.iter()) {
            if *kind == Kind::Numeric && parse_number(trim(field)).is_none() {
                *kind = Kind::Text;
            }
        }
        // Nothing left to guess (text columns of long documents are slow to read twice).
        if !kinds.contains(&Kind::Numeric) {
            break;
        }
    }
    kinds
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str, block_bytes: usize, rules: &Rules) -> Result<Frame> {
        let bytes = text.as_bytes().to_vec();
        let open =
            move || -> Result<Box<dyn Read>> { Ok(Box::new(std::io::Cursor::new(bytes.clone()))) };
        parse_frame_in_blocks(&open, Some(text.len() as u64), rules, "t.csv", block_bytes)
    }

    fn rules(missing: &[String]) -> Rules<'_> {
        Rules {
            delimiter: b',',
            missing,
            drop_missing: true,
            parallel: true,
            columns: None,
            categorical: &[],
        }
    }

    /// Small blocks cut the file everywhere: inside quoted fields, between CR and LF, before a
    /// column turns to text; every cut gives the frame (and the errors) of one big block.
    #[test]
    fn any_block_size_gives_the_same_frame() {
        let missing = vec!["NA".to_owned()];
        let rules = rules(&missing);
        let mut text = String::from("\u{feff}id,name,x\r\n");
        for i in 0..60 {
            let name = match i % 4 {
                0 => "\"two\nlines\"".to_owned(),
                1 => format!("\"q\"\"{i}\""),
                2 => "plain".to_owned(),
                _ => "NA".to_owned(),
            };
            text.push_str(&format!("{i},{name},{}\r\n", f64::from(i) / 7.0));
            if i % 9 == 0 {
                text.push('\n');
            }
        }
        let whole = parse(&text, 1 << 20, &rules).unwrap();
        assert_eq!((whole.n_rows, whole.dropped_rows), (45, 15));
        for block in 1..80 {
            assert_eq!(parse(&text, block, &rules).unwrap(), whole, "block {block}");
        }
        let ragged = format!("{text}1,2\n");
        let line = 2 + 60 + 15 + 7; // header, rows, quoted newlines, blank lines
        for block in [1, 7, 64, 1 << 20] {
            let err = parse(&ragged, block, &rules).unwrap_err();
            assert!(matches!(err, Error::Format { line: l, .. } if l == line), "{block}: {err}");
        }
    }

    /// The fast lane for lines of plain numbers (`csv_fast.rs`) and the `csv` crate's reading
    /// give the same frame, or the same error, on lines that mix numbers with everything the lane
    /// must hand on: spaces, markers, blank lines, CRLF, non-finite values, words, ragged rows.
    #[test]
    fn the_fast_lane_reads_as_the_csv_crate_does() {
        let values = [
            "1.5", "-2e3", "0.1", "7", "3.25", "1e-300", " 7", "8 ", "NA", "", "NaN", "inf", "1e",
            "x", "+4", ".5",
        ];
        let missing = vec!["NA".to_owned(), "".to_owned(), "NaN".to_owned()];
        let mut state = 7u64;
        let mut next = |n: usize| {
            state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            (state >> 33) as usize % n
        };
        let (mut same_frames, mut same_errors) = (0, 0);
        for _ in 0..400 {
            let mut text = String::from("a,b,c\n");
            for _ in 0..12 {
                let width = if next(40) == 0 { 2 } else { 3 };
                let fields: Vec<&str> = (0..width)
                    .map(
                        |_| if next(5) == 0 { values[next(values.len())] } else { values[next(6)] },
                    )
                    .collect();
                text.push_str(&fields.join(","));
                text.push_str(if next(8) == 0 { "\r\n" } else { "\n" });
                if next(20) == 0 {
                    text.push('\n');
                }
            }
            let fast = parse(&text, 1 << 20, &rules(&missing));
            let slow = parse(&text, 1 << 20, &Rules { parallel: false, ..rules(&missing) });
            match (fast, slow) {
                (Ok(a), Ok(b)) => {
                    assert_eq!(a, b, "{text}");
                    same_frames += 1;
                }
                (Err(a), Err(b)) => {
                    assert_eq!(a.to_string(), b.to_string(), "{text}");
                    same_errors += 1;
                }
                (a, b) => panic!("{text}\nfast: {a:?}\nslow: {b:?}"),
            }
        }
        assert!(same_frames > 50 && same_errors > 50, "{same_frames} frames, {same_errors} errors");
    }
}
