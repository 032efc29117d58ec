//! The Parquet reader: files written by pyarrow (`scripts/reference/make_parquet_fixtures.py`)
//! read to exactly the frames the CSV reader makes of the same tables, column selection, missing
//! values, the batched reader, the types it refuses, and damaged files, which must be errors
//! naming the file and never panics. Edge cases pyarrow's fixtures lack (NaN, empty files, dates)
//! are written here with the `parquet` crate's own writer.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow_array::{ArrayRef, Date32Array, Float64Array, Int64Array, RecordBatch, StringArray};
use axon::data::{parquet_batches, read_csv, read_parquet, Column, Frame, ReadOptions};
use axon::Error;
use common::SplitMix as Rng;
use parquet::arrow::ArrowWriter;

mod common;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/parquet").join(name)
}

fn lbw_csv() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/lbw.csv")
}

fn all() -> ReadOptions {
    ReadOptions::default()
}

fn dropping() -> ReadOptions {
    ReadOptions { drop_missing: true, ..ReadOptions::default() }
}

/// A folder of this test binary's own, emptied.
fn temp_dir(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("parquet_{name}"));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Writes `columns` as a Parquet file with the `parquet` crate's writer.
fn write_parquet(path: &Path, columns: Vec<(&str, ArrayRef)>) {
    let batch = RecordBatch::try_from_iter(columns).unwrap();
    let mut writer =
        ArrowWriter::try_new(std::fs::File::create(path).unwrap(), batch.schema(), None).unwrap();
    writer.write(&batch).unwrap();
    writer.close().unwrap();
}

/// Runs `read` on a rayon pool of `threads` threads.
fn on_threads<T: Send>(threads: usize, read: impl FnOnce() -> T + Send) -> T {
    rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap().install(read)
}

/// Asserts that two frames are equal with every number bit for bit the same.
fn assert_same(a: &Frame, b: &Frame) {
    assert_eq!(a, b);
    for (x, y) in a.columns.iter().zip(&b.columns) {
        if let (Column::Numeric(x), Column::Numeric(y)) = (x, y) {
            let bits = |v: &[f64]| v.iter().map(|f| f.to_bits()).collect::<Vec<_>>();
            assert_eq!(bits(x), bits(y));
        }
    }
}

#[test]
fn lbw_reads_as_its_csv_does_on_any_number_of_threads() {
    let csv = read_csv(lbw_csv(), &ReadOptions::default()).unwrap();
    for threads in [1, 2, 3, 8] {
        let frame = on_threads(threads, || read_parquet(fixture("lbw.parquet"), &all())).unwrap();
        assert_same(&frame, &csv);
    }
    assert_eq!(csv.n_rows, 189);
}

#[test]
fn every_type_reads_as_its_csv_twin() {
    let csv_options = ReadOptions { drop_missing: true, ..ReadOptions::default() };
    let csv = read_csv(fixture("typed.csv"), &csv_options).unwrap();
    let frame = read_parquet(fixture("typed.parquet"), &dropping()).unwrap();
    assert_same(&frame, &csv);
    assert_eq!((frame.n_rows, frame.dropped_rows), (37, 3));
    assert_eq!(frame.names, ["count", "x", "flag", "city", "grade", "price", "score"]);
    let column = |name: &str| frame.column(name).unwrap();
    // Levels in byte order; the dictionary's unused value is no level.
    let levels = |name: &str| match column(name) {
        Column::Categorical { levels, .. } => levels.clone(),
        other => panic!("{name}: {other:?}"),
    };
    assert_eq!(levels("grade"), ["A", "B", "C"]);
    assert_eq!(levels("city"), ["Berlin", "Oslo", "Zürich", "amsterdam", "berlin", "Ängelholm"]);
    let numbers = |name: &str| column(name).as_numeric().unwrap().to_vec();
    assert!(numbers("flag").iter().all(|&f| f == 0.0 || f == 1.0));
    // 2^53 + 1 rounds to 2^53, and 0.1 + 0.2 keeps its 17 digits.
    assert!(numbers("count").contains(&9007199254740992.0));
    assert!(numbers("x").contains(&(0.1 + 0.2)));
}

#[test]
fn selected_columns_come_in_the_order_asked_for() {
    let csv = read_csv(lbw_csv(), &ReadOptions::default()).unwrap();
    let columns = Some(vec!["race".to_owned(), "low".to_owned(), "bwt".to_owned()]);
    let options = ReadOptions { columns, ..ReadOptions::default() };
    let frame = read_parquet(fixture("lbw.parquet"), &options).unwrap();
    assert_eq!(frame.names, ["race", "low", "bwt"]);
    for name in &frame.names {
        assert_eq!(frame.column(name).unwrap(), csv.column(name).unwrap(), "{name}");
    }
    // An unselected column with nulls is not read, so it is no error.
    let options = ReadOptions { columns: Some(vec!["x".into()]), ..ReadOptions::default() };
    assert_eq!(read_parquet(fixture("typed.parquet"), &options).unwrap().n_rows, 40);
}

#[test]
fn an_unknown_or_repeated_column_is_an_error_naming_it_and_the_file() {
    let options = ReadOptions { columns: Some(vec!["low".into(), "weight".into()]), ..all() };
    let e = read_parquet(fixture("lbw.parquet"), &options).unwrap_err();
    let msg = e.to_string();
    assert!(matches!(e, Error::Format { .. }), "{e:?}");
    assert!(
        msg.contains("lbw.parquet") && msg.contains("`weight`") && msg.contains("bwt"),
        "{msg}"
    );
    assert!(parquet_batches(fixture("lbw.parquet"), &options, 10).is_err());
    let options = ReadOptions { columns: Some(vec!["low".into(), "low".into()]), ..all() };
    let msg = read_parquet(fixture("lbw.parquet"), &options).unwrap_err().to_string();
    assert!(msg.contains("lbw.parquet") && msg.contains("`low`"), "{msg}");
    let options = ReadOptions { columns: Some(vec![]), ..all() };
    assert!(read_parquet(fixture("lbw.parquet"), &options).is_err());
}

#[test]
fn a_null_is_an_error_naming_the_row_and_column_as_the_csv_reader_does() {
    let e = read_parquet(fixture("typed.parquet"), &all()).unwrap_err();
    match &e {
        Error::Parse { path, line, column, msg } => {
            assert!(path.ends_with("typed.parquet"), "{e}");
            assert_eq!((*line, column.as_str()), (7, "score"), "{e}");
            assert!(msg.contains("drop_missing"), "{e}");
        }
        other => panic!("{other:?}"),
    }
    // The CSV twin fails at the same data row (its line 8, after the header) and column.
    match read_csv(fixture("typed.csv"), &ReadOptions::default()).unwrap_err() {
        Error::Parse { line, column, .. } => assert_eq!((line, column.as_str()), (8, "score")),
        other => panic!("{other:?}"),
    }
    // A null string is missing too (row 30), and batches report rows of the whole file.
    let options = ReadOptions { columns: Some(vec!["city".into()]), ..all() };
    let errors: Vec<Error> = parquet_batches(fixture("typed.parquet"), &options, 8)
        .unwrap()
        .filter_map(Result::err)
        .collect();
    match errors.as_slice() {
        [Error::Parse { line: 30, column, .. }] => assert_eq!(column, "city"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn nan_and_infinity_are_missing_and_a_file_with_no_rows_left_is_an_error() {
    let dir = temp_dir("nan");
    let path = dir.join("nan.parquet");
    let x: ArrayRef = Arc::new(Float64Array::from(vec![1.0, f64::NAN, 3.0, f64::INFINITY, 5.0]));
    let k: ArrayRef = Arc::new(Int64Array::from(vec![Some(1), Some(2), None, Some(4), Some(5)]));
    write_parquet(&path, vec![("x", x), ("k", k)]);
    let e = read_parquet(&path, &all()).unwrap_err();
    assert!(matches!(&e, Error::Parse { line: 2, column, .. } if column == "x"), "{e:?}");
    assert!(e.to_string().contains("non-finite value `NaN`"), "{e}");
    let frame = read_parquet(&path, &dropping()).unwrap();
    assert_eq!(frame.columns[0], Column::Numeric(vec![1.0, 5.0]));
    assert_eq!(frame.columns[1], Column::Numeric(vec![1.0, 5.0]));
    assert_eq!((frame.n_rows, frame.dropped_rows), (2, 3));

    let path = dir.join("all_missing.parquet");
    let x: ArrayRef = Arc::new(Float64Array::from(vec![None, Some(f64::NAN)]));
    write_parquet(&path, vec![("x", x)]);
    let msg = read_parquet(&path, &dropping()).unwrap_err().to_string();
    assert!(msg.contains("all_missing.parquet") && msg.contains("all 2 data rows"), "{msg}");
    let items: Vec<_> = parquet_batches(&path, &dropping(), 1).unwrap().collect();
    assert_eq!(items.len(), 3, "two empty frames, then the error");
    assert!(items[..2].iter().all(|f| f.as_ref().is_ok_and(|f| f.n_rows == 0)));
    assert!(items[2].as_ref().unwrap_err().to_string().contains("all 2 data rows"));

    let path = dir.join("empty.parquet");
    let x: ArrayRef = Arc::new(Float64Array::from(Vec::<f64>::new()));
    write_parquet(&path, vec![("x", x)]);
    let msg = read_parquet(&path, &all()).unwrap_err().to_string();
    assert!(msg.contains("empty.parquet") && msg.contains("no data rows"), "{msg}");
    assert!(parquet_batches(&path, &all(), 4).is_err());
}

#[test]
fn a_date_column_is_an_error_naming_it_and_its_type_unless_left_out() {
    let path = temp_dir("dates").join("dates.parquet");
    let day: ArrayRef = Arc::new(Date32Array::from(vec![19000, 19001]));
    let name: ArrayRef = Arc::new(StringArray::from(vec!["a", "b"]));
    write_parquet(&path, vec![("day", day), ("name", name)]);
    let msg = read_parquet(&path, &all()).unwrap_err().to_string();
    assert!(
        msg.contains("dates.parquet") && msg.contains("`day`") && msg.contains("Date32"),
        "{msg}"
    );
    let options = ReadOptions { columns: Some(vec!["name".into()]), ..all() };
    let frame = read_parquet(&path, &options).unwrap();
    assert_eq!(frame.columns, [Column::categorical(&["a", "b"])]);
}

/// Concatenates batch frames: numbers as they are, categorical columns as their labels (each
/// batch has levels of its own), and the dropped-row counts.
fn concatenate(frames: &[Frame]) -> (Vec<Vec<String>>, usize, usize) {
    let width = frames[0].n_cols();
    let mut labels = vec![Vec::new(); width];
    for frame in frames {
        for (j, column) in frame.columns.iter().enumerate() {
            labels[j].extend((0..frame.n_rows).map(|i| column.label(i).into_owned()));
        }
    }
    let rows = frames.iter().map(|f| f.n_rows).sum();
    (labels, rows, frames.iter().map(|f| f.dropped_rows).sum())
}

#[test]
fn batches_concatenate_to_the_whole_read() {
    for (name, options) in [("lbw.parquet", all()), ("typed.parquet", dropping())] {
        let whole = read_parquet(fixture(name), &options).unwrap();
        for batch_rows in [1, 7, 64, 100, 1000] {
            let frames: Vec<Frame> = parquet_batches(fixture(name), &options, batch_rows)
                .unwrap()
                .collect::<axon::Result<_>>()
                .unwrap();
            assert!(frames.iter().all(|f| f.n_rows + f.dropped_rows <= batch_rows));
            assert!(frames.iter().all(|f| f.names == whole.names));
            let (labels, rows, dropped) = concatenate(&frames);
            assert_eq!((rows, dropped), (whole.n_rows, whole.dropped_rows), "{name} {batch_rows}");
            assert_eq!(labels, concatenate(std::slice::from_ref(&whole)).0, "{name} {batch_rows}");
            // Numbers bit for bit, not only as labels.
            for (j, column) in whole.columns.iter().enumerate() {
                if let Column::Numeric(all) = column {
                    let parts: Vec<f64> = frames
                        .iter()
                        .flat_map(|f| f.columns[j].as_numeric().unwrap().to_vec())
                        .collect();
                    assert_eq!(
                        all.iter().map(|x| x.to_bits()).collect::<Vec<_>>(),
                        parts.iter().map(|x| x.to_bits()).collect::<Vec<_>>()
                    );
                }
            }
        }
    }
    assert!(parquet_batches(fixture("lbw.parquet"), &all(), 0).is_err());
}

/// Damaged copies of `bytes`: cut short at several points, with bytes flipped here and there
/// (in the data, the footer and the magic), and both.
fn damaged(bytes: &[u8], rng: &mut Rng, count: usize) -> Vec<Vec<u8>> {
    let n = bytes.len();
    let mut out: Vec<Vec<u8>> = [0, 1, 3, 4, 8, n / 2, n - 9, n - 8, n - 5, n - 4, n - 1]
        .iter()
        .map(|&cut| bytes[..cut].to_vec())
        .collect();
    out.push(b"PAR1 not really".to_vec());
    out.push(b"a,b\n1,2\n".to_vec());
    while out.len() < count {
        let mut copy = bytes.to_vec();
        for _ in 0..1 + rng.below(4) {
            // Half the flips land in the last 300 bytes: the footer, its length and the magic.
            let at = if rng.below(2) == 0 { n - 1 - rng.below(300.min(n)) } else { rng.below(n) };
            copy[at] ^= 1 << rng.below(8);
        }
        if rng.below(4) == 0 {
            copy.truncate(1 + rng.below(n - 1));
        }
        out.push(copy);
    }
    out
}

/// Reads a file whole and in batches; a panic is returned as `Err` with its message.
fn read_everything(path: &Path) -> Result<Vec<axon::Result<Frame>>, String> {
    let read = || {
        let mut results = vec![read_parquet(path, &dropping())];
        match parquet_batches(path, &all(), 50) {
            Ok(batches) => results.extend(batches),
            Err(e) => results.push(Err(e)),
        }
        results
    };
    std::panic::catch_unwind(read).map_err(|p| {
        p.downcast_ref::<String>()
            .cloned()
            .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_default()
    })
}

#[test]
fn damaged_files_are_errors_naming_the_file_never_panics() {
    let dir = temp_dir("damaged");
    let mut rng = Rng(42);
    let mut errors = 0;
    for name in ["lbw.parquet", "typed.parquet"] {
        let bytes = std::fs::read(fixture(name)).unwrap();
        for (i, copy) in damaged(&bytes, &mut rng, 250).into_iter().enumerate() {
            let path = dir.join(format!("{name}-{i}.parquet"));
            std::fs::write(&path, &copy).unwrap();
            let results = read_everything(&path)
                .unwrap_or_else(|panic| panic!("{}: panicked: {panic}", path.display()));
            for e in results.into_iter().filter_map(Result::err) {
                let msg = e.to_string();
                assert!(msg.contains(&path.display().to_string()), "{msg}");
                errors += 1;
            }
        }
    }
    // Most damage is noticed (a flipped bit in a value can go unnoticed without checksums).
    assert!(errors > 300, "only {errors} errors in 500 damaged files");
}

/// Damage that made the `parquet` crate panic (found by the loop above with other seeds and
/// 16 000 files), as byte offsets in the committed fixtures and the values written there: a
/// bitmap slice out of bounds (`arrow-buffer`'s `bit_chunk_iterator.rs`), a dictionary page
/// missing its decoder (`decoder.rs`), a decimal's dictionary index out of range
/// (`fixed_len_byte_array.rs`), and a byte-stream-split index out of bounds. Each must be an
/// error naming the file.
#[test]
fn damage_the_parquet_crate_panics_on_is_an_error() {
    let dir = temp_dir("panics");
    let cases: [(&str, &[(usize, u8)]); 6] = [
        ("lbw.parquet", &[(1590, 201), (8331, 81)]),
        ("lbw.parquet", &[(600, 122), (2060, 24), (5929, 166)]),
        ("typed.parquet", &[(1036, 81)]),
        ("typed.parquet", &[(1328, 14)]),
        ("typed.parquet", &[(2481, 166)]),
        ("typed.parquet", &[(1695, 18)]),
    ];
    for (i, (name, edits)) in cases.into_iter().enumerate() {
        let mut bytes = std::fs::read(fixture(name)).unwrap();
        edits.iter().for_each(|&(at, value)| bytes[at] = value);
        let path = dir.join(format!("{i}-{name}"));
        std::fs::write(&path, &bytes).unwrap();
        let results = read_everything(&path).unwrap_or_else(|p| panic!("{}: {p}", path.display()));
        let errors: Vec<String> =
            results.into_iter().filter_map(Result::err).map(|e| e.to_string()).collect();
        assert!(!errors.is_empty(), "{}: no error", path.display());
        for msg in errors {
            assert!(msg.contains(&path.display().to_string()), "{msg}");
        }
    }
}
