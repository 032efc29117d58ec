//! `read_table` and `read_batches`, the one way in for table files: the format from the name or
//! given, the columns a caller asks for (and only their missing values), typed inference of
//! integers, floats, booleans and all-missing columns, and streams of fixed-size batches that add
//! up to the whole file.

use std::path::PathBuf;

use axon::data::{read_batches, read_csv, read_table, Column, Format, Frame, ReadOptions};
use axon::Error;

fn temp_file(name: &str, contents: &str) -> PathBuf {
    let path = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("table_{name}"));
    std::fs::write(&path, contents).unwrap();
    path
}

fn lbw() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../data/lbw.csv"))
}

#[test]
fn the_format_comes_from_the_name_or_is_given() {
    assert_eq!(Format::of("a/b.csv"), Some(Format::Csv));
    assert_eq!(Format::of("b.CSV.gz"), Some(Format::Csv));
    assert_eq!(Format::of("b.tsv.gz"), Some(Format::Tsv));
    assert_eq!(Format::of("b.parquet"), Some(Format::Parquet));
    assert_eq!(Format::of("b.data"), None);
    assert_eq!("TSV".parse::<Format>().unwrap(), Format::Tsv);
    assert!("xlsx".parse::<Format>().is_err());

    let csv = read_csv(lbw(), &ReadOptions::default()).unwrap();
    let tsv_text = std::fs::read_to_string(lbw()).unwrap().replace(',', "\t");
    let tsv = read_table(temp_file("lbw.tsv", &tsv_text), &ReadOptions::default()).unwrap();
    assert_eq!(tsv, csv);
    // A name that says nothing: CSV unless given.
    let unnamed = temp_file("lbw_tabs.data", &tsv_text);
    assert_eq!(read_table(&unnamed, &ReadOptions::default()).unwrap().n_cols(), 1);
    let given = ReadOptions { format: Some(Format::Tsv), ..ReadOptions::default() };
    assert_eq!(read_table(&unnamed, &given).unwrap(), csv);
}

#[test]
fn only_the_columns_asked_for_are_read() {
    let text = "a,b,c,d\n1,x,NA,2.5\n2,y,oops,3.5\n3,x,,4.5\n";
    let path = temp_file("columns.csv", text);
    let columns = Some(vec!["d".to_owned(), "a".to_owned()]);
    let options = ReadOptions { columns, ..ReadOptions::default() };
    let frame = read_table(&path, &options).unwrap();
    // In the order asked; the missing values and the text in `c` are not looked at.
    assert_eq!(frame.names, ["d", "a"]);
    assert_eq!(frame.columns[0], Column::Numeric(vec![2.5, 3.5, 4.5]));
    assert_eq!((frame.n_rows, frame.dropped_rows), (3, 0));

    let unknown = ReadOptions { columns: Some(vec!["e".into()]), ..ReadOptions::default() };
    let err = read_table(&path, &unknown).unwrap_err();
    assert!(matches!(err, Error::Format { line: 1, .. }), "{err}");
    assert!(err.to_string().contains("no column `e`"), "{err}");
}

#[test]
fn integers_floats_booleans_and_empty_columns_are_typed() {
    let text =
        "int,float,flag,none\n1,0.1,true,NA\n-7,2e-3,false,NA\n9007199254740993,-0.0,TRUE,\n";
    let path = temp_file("types.csv", text);
    let options = ReadOptions { columns: None, ..ReadOptions::default() };
    // A column with nothing but missing values stops the read, naming it ...
    let err = read_table(&path, &options).unwrap_err();
    assert!(matches!(&err, Error::Parse { line: 2, column, .. } if column == "none"), "{err}");
    // ... or empties the table when rows with missing values are dropped.
    let drop = ReadOptions { drop_missing: true, ..ReadOptions::default() };
    let err = read_table(&path, &drop).unwrap_err();
    assert!(err.to_string().contains("all 3 data rows have a missing value"), "{err}");

    let some = vec!["int".to_owned(), "float".to_owned(), "flag".to_owned()];
    let frame = read_table(&path, &ReadOptions { columns: Some(some), ..options }).unwrap();
    // Integers are exact up to 2^53 and rounded to the nearest f64 beyond, as f64::from_str.
    assert_eq!(frame.columns[0], Column::Numeric(vec![1.0, -7.0, 9007199254740992.0]));
    let Column::Numeric(floats) = &frame.columns[1] else { panic!("text") };
    assert_eq!(floats[..2], [0.1, 2e-3]);
    assert!(floats[2] == 0.0 && floats[2].is_sign_negative());
    // Booleans are a two-level factor, as patsy codes a bool column (`flag[T.true]`).
    let levels: Vec<String> = ["TRUE", "false", "true"].map(String::from).into();
    assert_eq!(frame.columns[2], Column::Categorical { levels, codes: vec![2, 1, 0] });
}

/// The file in batches of `rows`, with the rows of each.
fn batches(path: &PathBuf, options: &ReadOptions, rows: usize) -> axon::Result<Vec<Frame>> {
    read_batches(path, options, rows)?.collect()
}

#[test]
fn batches_add_up_to_the_whole_file() {
    let mut text = String::from("x,group,y\n");
    for i in 0..50_000 {
        let y = if i % 1000 == 7 { "NA".to_owned() } else { format!("{}", i % 2) };
        text.push_str(&format!("{:?},g{},{y}\n", f64::from(i).sqrt(), i % 7));
    }
    let path = temp_file("batches.csv", &text);
    let drop = ReadOptions { drop_missing: true, ..ReadOptions::default() };
    let whole = read_table(&path, &drop).unwrap();
    for rows in [1000, 4096, 49_950, 100_000] {
        let parts = batches(&path, &drop, rows).unwrap();
        let sizes: Vec<usize> = parts.iter().map(|p| p.n_rows).collect();
        assert!(sizes[..sizes.len() - 1].iter().all(|&n| n == rows), "{rows}: {sizes:?}");
        assert_eq!(sizes.iter().sum::<usize>(), whole.n_rows);
        assert_eq!(parts.iter().map(|p| p.dropped_rows).sum::<usize>(), 50);
        let joined = parts.iter().skip(1).fold(parts[0].clone(), |a, b| Frame::concat(&a, b));
        assert_eq!(Frame { dropped_rows: whole.dropped_rows, ..joined }, whole);
    }
    let err = read_batches(&path, &drop, 0).err().expect("zero rows");
    assert!(err.to_string().contains("at least one row"), "{err}");
}

#[test]
fn a_stream_stops_at_a_word_in_a_column_of_numbers() {
    let mut text = String::from("x,y\n");
    for i in 0..300_000 {
        text.push_str(&format!("{i},{}\n", i % 2));
    }
    text.push_str("oops,1\n");
    let path = temp_file("stream_typo.csv", &text);
    let all: Vec<axon::Result<Frame>> =
        read_batches(&path, &ReadOptions::default(), 100_000).unwrap().collect();
    let err = all.last().unwrap().as_ref().unwrap_err();
    assert!(matches!(err, Error::Parse { line: 300_002, column, .. } if column == "x"), "{err}");
    assert!(all[..all.len() - 1].iter().all(Result::is_ok));
}
