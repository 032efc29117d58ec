//! The part of the input one process reads when `K` of them share a stream (`mpirun -n K axon
//! fit --stream`): a pattern of files (`part-*.csv`) deals file `i` to rank `i mod K`, and one
//! file is cut into `K` parts, a text file (CSV, TSV, Vowpal Wabbit) at line breaks and a
//! Parquet file by row groups. [`rank_parts`] says what rank `r` of `K` reads, [`open_part`]
//! opens a text part as bytes (a table's header line first). The parsers are unchanged: they
//! read a part as they read a whole file.
//!
//! A text file of `n` bytes is cut at the offsets `⌊r·n/K⌋`: each cut moves forward to the
//! start of the next line (the byte after the first line break at or after offset − 1), so a
//! line belongs to the part its first byte falls in and every line is read exactly once, in
//! file order across the parts. A table's header line belongs to no part; each part is read
//! with it. Records are lines: a quoted CSV field holding a line break is not supported (as by
//! the stream's CSV reader in one process). A gzipped file cannot be cut (its bytes are not
//! seekable by line) and is refused; give one file per rank instead.

use std::fs::File;
use std::io::{BufRead, BufReader, Cursor, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use super::csv::is_gzipped;
use super::read_ahead::ReadAhead;
use crate::error::{Error, Result};

/// What of a file a part holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Span {
    /// The whole file.
    Whole,
    /// The lines starting in `start..end`, after the header bytes `0..header`.
    Bytes { header: u64, start: u64, end: u64 },
    /// These row groups of a Parquet file, in order.
    RowGroups(Vec<usize>),
}

/// A file, or a part of one, that a rank reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FilePart {
    pub path: PathBuf,
    pub span: Span,
}

impl FilePart {
    /// The whole of `path`.
    pub fn whole(path: impl Into<PathBuf>) -> FilePart {
        FilePart { path: path.into(), span: Span::Whole }
    }

    /// The part as error messages name it: the path, and the bytes or row groups of a part.
    pub fn shown(&self) -> String {
        let path = self.path.display();
        match &self.span {
            Span::Whole => path.to_string(),
            Span::Bytes { start, end, .. } => {
                format!("{path} (bytes {start}..{end}, lines counted from there)")
            }
            Span::RowGroups(groups) => format!("{path} (row groups {groups:?})"),
        }
    }
}

/// How a file's parts are cut.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    /// Lines, the first one a header (CSV, TSV).
    LinesWithHeader,
    /// Lines, no header (Vowpal Wabbit text).
    Lines,
    /// Row groups (Parquet); `row_groups` counts them.
    RowGroups { row_groups: usize },
}

/// Whether `pattern` is a pattern of file names (its last component holds `*` or `?`).
pub fn is_pattern(pattern: &Path) -> bool {
    pattern.file_name().is_some_and(|n| n.to_string_lossy().contains(['*', '?']))
}

/// The files `pattern` names, sorted: `*` matches any run of characters and `?` one character
/// in the file name (the directory is taken as written). A path without `*` or `?` is itself.
/// No match is an error.
pub fn expand_pattern(pattern: &Path) -> Result<Vec<PathBuf>> {
    if !is_pattern(pattern) {
        return Ok(vec![pattern.to_owned()]);
    }
    let shown = pattern.display().to_string();
    let name = pattern.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let dir = match pattern.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_owned(),
        _ => PathBuf::from("."),
    };
    if dir.to_string_lossy().contains(['*', '?']) {
        return Err(Error::invalid("data", shown, "only the file name may hold `*` or `?`"));
    }
    let entries = std::fs::read_dir(&dir)
        .map_err(|e| Error::Io { path: dir.display().to_string(), msg: e.to_string() })?;
    let mut files = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| Error::Io { path: shown.clone(), msg: e.to_string() })?;
        let file_name = entry.file_name().to_string_lossy().into_owned();
        if matches(name.as_bytes(), file_name.as_bytes()) && entry.path().is_file() {
            files.push(pattern.with_file_name(file_name));
        }
    }
    if files.is_empty() {
        return Err(Error::Io { path: shown, msg: "no file matches the pattern".into() });
    }
    files.sort();
    Ok(files)
}

/// Whether `name` matches `pattern` (`*`: any run, `?`: one byte).
fn matches(pattern: &[u8], name: &[u8]) -> bool {
    match (pattern.first(), name.first()) {
        (None, None) => true,
        (Some(b'*'), _) => {
            matches(&pattern[1..], name) || (!name.is_empty() && matches(pattern, &name[1..]))
        }
        (Some(b'?'), Some(_)) => matches(&pattern[1..], &name[1..]),
        (Some(p), Some(n)) if p == n => matches(&pattern[1..], &name[1..]),
        _ => false,
    }
}

/// What rank `rank` of `size` reads of `files` (all of one format, cut as `layout` says): with
/// several files, files `rank, rank + size, ...` whole; with one file and one rank, the file;
/// with one file and several ranks, its part (lines or row groups). A rank left with nothing
/// (fewer files or row groups than ranks) is an error naming the counts.
pub fn rank_parts(
    files: &[PathBuf],
    layout: Layout,
    rank: usize,
    size: usize,
) -> Result<Vec<FilePart>> {
    let size = size.max(1);
    let none = |what: String| {
        Error::invalid("ranks", size, format!("rank {rank} of {size} has nothing to read: {what}"))
    };
    match files {
        [] => Err(Error::invalid("data", "no files", "a stream needs at least one file")),
        [file] if size == 1 => Ok(vec![FilePart::whole(file)]),
        [file] => match layout {
            Layout::RowGroups { row_groups } => {
                let groups: Vec<usize> =
                    (rank * row_groups / size..(rank + 1) * row_groups / size).collect();
                if groups.is_empty() {
                    return Err(none(format!(
                        "{} has {row_groups} row groups for {size} ranks",
                        file.display()
                    )));
                }
                Ok(vec![FilePart { path: file.clone(), span: Span::RowGroups(groups) }])
            }
            Layout::Lines | Layout::LinesWithHeader => {
                let header = layout == Layout::LinesWithHeader;
                let (header, start, end) = byte_range(file, header, rank, size)?;
                Ok(vec![FilePart { path: file.clone(), span: Span::Bytes { header, start, end } }])
            }
        },
        _ => {
            let mine: Vec<FilePart> =
                files.iter().skip(rank).step_by(size).map(FilePart::whole).collect();
            if mine.is_empty() {
                return Err(none(format!("{} files for {size} ranks", files.len())));
            }
            Ok(mine)
        }
    }
}

/// Rank `rank`'s lines of the text file `path` of `size` parts: `(header, start, end)`, the
/// header line's length (0 without one) and the bytes of the part's lines (see the module docs).
pub fn byte_range(path: &Path, header: bool, rank: usize, size: usize) -> Result<(u64, u64, u64)> {
    let shown = path.display().to_string();
    if is_gzipped(path) {
        return Err(Error::invalid(
            "data",
            shown,
            "a gzipped file cannot be cut into byte ranges for several ranks: give one file \
             per rank (a pattern such as part-*.csv.gz)",
        ));
    }
    let io = |e: std::io::Error| Error::Io { path: shown.clone(), msg: e.to_string() };
    let mut file = File::open(path).map_err(io)?;
    let len = file.metadata().map_err(io)?.len();
    let header = if header { line_start_after(&mut file, 1, len).map_err(io)? } else { 0 };
    let cut = |file: &mut File, part: usize| -> std::io::Result<u64> {
        let offset = (part as u128 * len as u128 / size.max(1) as u128) as u64;
        Ok(line_start_after(file, offset, len)?.max(header))
    };
    let start = cut(&mut file, rank).map_err(io)?;
    let end = cut(&mut file, rank + 1).map_err(io)?;
    Ok((header, start, end))
}

/// The start of the first line that starts at or after `offset`: 0 for offset 0, else the
/// byte after the first `\n` at or after `offset − 1`, or `len` if there is none.
fn line_start_after(file: &mut File, offset: u64, len: u64) -> std::io::Result<u64> {
    if offset == 0 {
        return Ok(0);
    }
    if offset >= len {
        return Ok(len);
    }
    file.seek(SeekFrom::Start(offset - 1))?;
    let mut reader = BufReader::with_capacity(64 << 10, &mut *file);
    let mut skipped = Vec::new();
    let n = reader.read_until(b'\n', &mut skipped)? as u64;
    Ok((offset - 1 + n).min(len))
}

/// The bytes of a text part: the header line (if any), then the part's lines; the whole file
/// for [`Span::Whole`]. Read ahead on a thread of its own, as whole files are.
pub fn open_part(part: &FilePart) -> Result<Box<dyn Read>> {
    let shown = part.path.display().to_string();
    let io = |e: std::io::Error| Error::Io { path: shown.clone(), msg: e.to_string() };
    match &part.span {
        Span::Whole => super::csv::open_read_ahead(&part.path),
        Span::Bytes { header, start, end } => {
            let mut file = File::open(&part.path).map_err(io)?;
            let mut head = vec![0; *header as usize];
            file.read_exact(&mut head).map_err(io)?;
            file.seek(SeekFrom::Start(*start)).map_err(io)?;
            let body = file.take(end - start);
            Ok(Box::new(ReadAhead::new(Cursor::new(head).chain(body))))
        }
        Span::RowGroups(_) => Err(Error::invalid(
            "part",
            part.shown(),
            "row groups are read by the Parquet reader, not as bytes",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A small deterministic generator (splitmix64).
    fn next(state: &mut u64) -> u64 {
        *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = *state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// The lines of `bytes` as the parts hand them on (a last line without `\n` included).
    fn lines(bytes: &[u8]) -> Vec<Vec<u8>> {
        let mut out: Vec<Vec<u8>> =
            bytes.split_inclusive(|&b| b == b'\n').map(<[u8]>::to_vec).collect();
        out.retain(|l| !l.is_empty());
        out
    }

    fn read_all(part: &FilePart) -> Vec<u8> {
        let mut bytes = Vec::new();
        open_part(part).unwrap().read_to_end(&mut bytes).unwrap();
        bytes
    }

    #[test]
    fn byte_ranges_give_every_line_once_in_order() {
        let dir = std::env::temp_dir().join(format!("axon-parts-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let mut state = 7;
        for case in 0..60 {
            // Lines of 0 to 40 bytes (empty lines too), some files without a last `\n`.
            let n_lines = (next(&mut state) % 50) as usize;
            let mut text = b"label,x\n".to_vec();
            for _ in 0..n_lines {
                let width = (next(&mut state) % 41) as usize;
                text.extend((0..width).map(|_| b'a' + (next(&mut state) % 26) as u8));
                text.push(b'\n');
            }
            if case % 3 == 0 && text.len() > 8 {
                text.pop();
            }
            let path = dir.join(format!("case{case}.csv"));
            std::fs::write(&path, &text).unwrap();
            for header in [true, false] {
                let body = if header { &text[8..] } else { &text[..] };
                for size in 1..=8 {
                    let mut union = Vec::new();
                    for rank in 0..size {
                        let (h, start, end) = byte_range(&path, header, rank, size).unwrap();
                        assert_eq!(h, if header { 8 } else { 0 });
                        let part = FilePart {
                            path: path.clone(),
                            span: Span::Bytes { header: h, start, end },
                        };
                        let bytes = read_all(&part);
                        assert_eq!(&bytes[..h as usize], &text[..h as usize]);
                        let mine = lines(&bytes[h as usize..]);
                        // Every part starts at a line start.
                        assert!(
                            start == h
                                || start == text.len() as u64
                                || text[start as usize - 1] == b'\n'
                        );
                        union.extend(mine);
                    }
                    assert_eq!(union, lines(body), "case {case}, header {header}, K = {size}");
                }
            }
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn files_and_row_groups_are_dealt_to_the_ranks() {
        let files: Vec<PathBuf> = (0..5).map(|i| PathBuf::from(format!("p{i}.csv"))).collect();
        let of = |rank| rank_parts(&files, Layout::LinesWithHeader, rank, 2).unwrap();
        let names =
            |parts: Vec<FilePart>| -> Vec<PathBuf> { parts.into_iter().map(|p| p.path).collect() };
        assert_eq!(names(of(0)), [&files[0], &files[2], &files[4]].map(Clone::clone));
        assert_eq!(names(of(1)), [&files[1], &files[3]].map(Clone::clone));
        let err = rank_parts(&files, Layout::Lines, 5, 6).unwrap_err().to_string();
        assert!(err.contains("rank 5 of 6") && err.contains("5 files"), "{err}");
        let one = [PathBuf::from("t.parquet")];
        let groups = |rank| rank_parts(&one, Layout::RowGroups { row_groups: 5 }, rank, 2);
        assert_eq!(groups(0).unwrap()[0].span, Span::RowGroups(vec![0, 1]));
        assert_eq!(groups(1).unwrap()[0].span, Span::RowGroups(vec![2, 3, 4]));
        // One row group for two ranks: rank 1 reads it, rank 0 has nothing.
        assert!(rank_parts(&one, Layout::RowGroups { row_groups: 1 }, 0, 2).is_err());
    }

    #[test]
    fn patterns_match_file_names() {
        assert!(matches(b"part-*.csv", b"part-00.csv"));
        assert!(matches(b"part-?.csv", b"part-1.csv"));
        assert!(!matches(b"part-?.csv", b"part-10.csv"));
        assert!(!matches(b"part-*.csv", b"part-1.csv.gz"));
        assert!(matches(b"*", b""));
        assert!(is_pattern(Path::new("dir/part-*.csv")));
        assert!(!is_pattern(Path::new("dir/part.csv")));
        let err = expand_pattern(Path::new("/nonexistent-axon-dir/x-*.csv")).unwrap_err();
        assert!(err.to_string().contains("nonexistent-axon-dir"), "{err}");
    }

    #[test]
    fn a_gzipped_file_is_not_cut() {
        let err = byte_range(Path::new("clicks.csv.gz"), true, 0, 2).unwrap_err().to_string();
        assert!(err.contains("gzipped") && err.contains("part-*"), "{err}");
    }
}
