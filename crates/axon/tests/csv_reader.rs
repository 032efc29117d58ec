//! The fast CSV reader: type inference per column, exact round trips of 17-digit numbers, the
//! parallel and single-threaded parses giving the same frames and errors, quoting, CRLF and the
//! byte order mark. The older error-message tests are in `data.rs`.

use std::path::PathBuf;

use axon::data::{read_csv, read_numeric_csv, Column, Frame, ReadOptions};
use axon::Error;
use common::SplitMix as Rng;

mod common;

fn temp_file(name: &str, contents: &str) -> PathBuf {
    let path = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("csv_reader_{name}"));
    std::fs::write(&path, contents).unwrap();
    path
}

fn read(path: &PathBuf) -> axon::Result<Frame> {
    read_csv(path, &ReadOptions::default())
}

/// Reads with `parallel` on and off, on a pool of four threads so that the file is split even
/// on a small machine, and checks that both give the same answer.
fn read_both(path: &PathBuf, options: &ReadOptions) -> axon::Result<Frame> {
    let pool = rayon::ThreadPoolBuilder::new().num_threads(4).build().unwrap();
    let parallel =
        pool.install(|| read_csv(path, &ReadOptions { parallel: true, ..options.clone() }));
    let single = read_csv(path, &ReadOptions { parallel: false, ..options.clone() });
    match (&parallel, &single) {
        (Ok(a), Ok(b)) => assert_eq!(a, b),
        (Err(a), Err(b)) => assert_eq!(a.to_string(), b.to_string()),
        _ => panic!("parallel {parallel:?} but single-threaded {single:?}"),
    }
    parallel
}

fn levels(values: &[&str]) -> Vec<String> {
    values.iter().map(|v| v.to_string()).collect()
}

#[test]
fn columns_are_typed_one_by_one() {
    let text = "int,float,text,flag,mixed\n1,0.5,b,true,1\n-2,1e3,a,false,2\n30,-.25,b,TRUE,x\n";
    let frame = read(&temp_file("types.csv", text)).unwrap();
    assert_eq!(frame.columns[0], Column::Numeric(vec![1.0, -2.0, 30.0]));
    assert_eq!(frame.columns[1], Column::Numeric(vec![0.5, 1000.0, -0.25]));
    let text_column = Column::Categorical { levels: levels(&["a", "b"]), codes: vec![1, 0, 1] };
    assert_eq!(frame.columns[2], text_column);
    let flags =
        Column::Categorical { levels: levels(&["TRUE", "false", "true"]), codes: vec![2, 1, 0] };
    assert_eq!(frame.columns[3], flags);
    let mixed = Column::Categorical { levels: levels(&["1", "2", "x"]), codes: vec![0, 1, 2] };
    assert_eq!(frame.columns[4], mixed);

    let options = ReadOptions { drop_missing: true, ..ReadOptions::default() };
    let all_missing = temp_file("all_missing.csv", "a,b\n1,NA\n2,\n3,?\n");
    let msg = read_csv(&all_missing, &options).unwrap_err().to_string();
    assert!(msg.contains("all_missing.csv:1:") && msg.contains("all 3 data rows"), "{msg}");
}

#[test]
fn a_quoted_empty_field_is_a_row_and_a_blank_line_is_not() {
    // One column: `""` and `"  "` are empty values of their rows (an empty document), while an
    // empty or all-space line is skipped.
    let text = "text\nhello\n\"\"\n\n   \n\"  \"\nworld\n";
    let path = temp_file("quoted_empty.csv", text);
    let as_text = ReadOptions { missing: Vec::new(), ..ReadOptions::default() };
    let frame = read_both(&path, &as_text).unwrap();
    let column = frame.column("text").unwrap();
    let rows: Vec<String> = (0..frame.n_rows).map(|i| column.label(i).into_owned()).collect();
    assert_eq!(rows, ["hello", "", "", "world"]);
    // With the default missing-value markers the empty value is missing, on its own line.
    let msg = read(&path).unwrap_err().to_string();
    assert!(msg.contains("quoted_empty.csv:3:"), "{msg}");
}

#[test]
fn the_numeric_reader_skips_blank_lines_but_not_a_quoted_empty_field() {
    // Blank and all-space lines are skipped; fields are trimmed.
    let path = temp_file("numeric_blank.csv", "1, 2\n\n   \n 3 ,4\n");
    let rows = read_numeric_csv(&path, "").unwrap();
    assert_eq!((rows.rows, rows.width, rows.values), (2, 2, vec![1.0, 2.0, 3.0, 4.0]));
    assert_eq!(rows.lines, [1, 4]);
    // A lone `""` is a row with one empty field, not a blank line to skip silently.
    let path = temp_file("numeric_quoted_empty.csv", "1,2\n\"\"\n3,4\n");
    let msg = read_numeric_csv(&path, "").unwrap_err().to_string();
    assert!(msg.contains("numeric_quoted_empty.csv:2"), "{msg}");
}

#[test]
fn a_stray_word_in_a_column_of_numbers_is_an_error_unless_the_column_is_categorical() {
    let mut text = String::from("x,g\n");
    for i in 0..200 {
        text.push_str(&format!("{i},{}\n", i % 3));
    }
    text.push_str("7,seven\n");
    let path = temp_file("late_text.csv", &text);
    let err = read_both(&path, &ReadOptions::default()).unwrap_err();
    assert!(matches!(&err, Error::Parse { line: 202, column, .. } if column == "g"), "{err}");
    assert!(err.to_string().contains("`seven` is not a number, but 99.5%"), "{err}");
    // Also when the word comes first, in the rows the reader guesses types from.
    let early = temp_file("early_text.csv", &text.replacen("0,0\n", "0,zero\n", 1));
    let err = read_both(&early, &ReadOptions::default()).unwrap_err();
    assert!(matches!(&err, Error::Parse { line: 2, column, .. } if column == "g"), "{err}");

    let categorical = ReadOptions { categorical: vec!["g".into()], ..ReadOptions::default() };
    let frame = read_both(&path, &categorical).unwrap();
    assert!(frame.columns[0].is_numeric());
    let Column::Categorical { levels: found, codes } = &frame.columns[1] else { panic!("numeric") };
    assert_eq!(found, &levels(&["0", "1", "2", "seven"]));
    assert_eq!((codes[4], codes[200]), (1, 3));
}

#[test]
fn seventeen_digit_numbers_round_trip_exactly() {
    let mut rng = Rng(20261129);
    let mut values = Vec::new();
    let mut text = String::from("a,b,c\n");
    for _ in 0..20_000 {
        let row = [rng.any_finite(), rng.uniform(), (rng.uniform() - 0.5) * 1e6];
        text.push_str(&format!("{:?},{:?},{:?}\n", row[0], row[1], row[2]));
        values.push(row);
    }
    let frame = read(&temp_file("round_trip.csv", &text)).unwrap();
    for (j, column) in frame.columns.iter().enumerate() {
        let read_back = column.as_numeric().unwrap();
        for (i, row) in values.iter().enumerate() {
            assert_eq!(
                read_back[i].to_bits(),
                row[j].to_bits(),
                "row {i} column {j}: {:?}",
                row[j]
            );
        }
    }
}

#[test]
fn numbers_are_read_as_the_standard_parser_reads_them() {
    let fields = [
        "1", "+1", "-0", "007", "1.", ".5", "+.5", "1e5", "1E-5", "1e+5", "2.5e-310", "1e400",
        "infinity", "-Inf", "NaN", "nan", "1e", "e5", ".", "+", "1..2", "0x10", "1_000", "١",
    ];
    let path = temp_file("one_column.csv", "x\n0\n");
    for field in fields {
        std::fs::write(&path, format!("x\n{field}\n")).unwrap();
        let got = read(&path);
        match field.parse::<f64>() {
            Ok(x) if x.is_finite() => {
                let column = got.unwrap().columns.remove(0);
                assert_eq!(column.as_numeric().unwrap()[0].to_bits(), x.to_bits(), "{field}");
            }
            Ok(_) => assert!(matches!(got, Err(Error::Parse { line: 2, .. })), "{field}"),
            Err(_) => assert!(!got.unwrap().columns[0].is_numeric(), "{field}"),
        }
    }
}

/// A file of a few megabytes with numbers, text, blank lines, CRLF line ends, missing values and
/// a column that turns to text only near the end, so that it is cut into many chunks.
fn big_file(rows: usize, last_line: &str) -> String {
    let mut rng = Rng(7);
    let mut text = String::from("x,y,group,late\r\n");
    for i in 0..rows {
        let group = ["red", "green", "blue", "grün"][(rng.next() % 4) as usize];
        let y = if i % 997 == 5 { "NA".to_owned() } else { format!("{:?}", rng.uniform()) };
        let late = if i == rows - 3 { "text".to_owned() } else { format!("{}", i % 10) };
        let end = if i % 2 == 0 { "\r\n" } else { "\n" };
        text.push_str(&format!("{:?}, {y} ,{group},{late}{end}", rng.any_finite()));
        if i % 1000 == 0 {
            text.push('\n');
        }
    }
    text.push_str(last_line);
    text
}

#[test]
fn parallel_and_single_threaded_reads_agree() {
    let late = vec!["late".to_owned()];
    let drop =
        ReadOptions { drop_missing: true, categorical: late.clone(), ..ReadOptions::default() };
    let path = temp_file("big.csv", &big_file(60_000, ""));
    let frame = read_both(&path, &drop).unwrap();
    assert_eq!((frame.n_rows, frame.dropped_rows), (60_000 - 61, 61));
    assert!(frame.columns[0].is_numeric() && frame.columns[1].is_numeric());
    let Column::Categorical { levels: found, .. } = &frame.columns[2] else { panic!("numeric") };
    assert_eq!(found, &levels(&["blue", "green", "grün", "red"]));
    assert!(!frame.columns[3].is_numeric());

    // The same errors with the same lines: 60 000 rows, 60 blank lines, the header.
    let keep = ReadOptions { categorical: late, ..ReadOptions::default() };
    let err = read_both(&path, &keep).unwrap_err();
    assert!(matches!(&err, Error::Parse { line: 8, column, .. } if column == "y"), "{err}");
    let err = read_both(&path, &ReadOptions { drop_missing: true, ..ReadOptions::default() });
    let err = err.unwrap_err();
    assert!(matches!(&err, Error::Parse { line: 60_059, column, .. } if column == "late"), "{err}");
    let ragged = temp_file("big_ragged.csv", &big_file(60_000, "1,2\n"));
    let err = read_both(&ragged, &drop).unwrap_err();
    assert!(matches!(err, Error::Format { line: 60_062, .. }), "{err}");
    let inf = temp_file("big_inf.csv", &big_file(60_000, "inf,0.5,red,1\n"));
    let err = read_both(&inf, &drop).unwrap_err();
    assert!(matches!(&err, Error::Parse { line: 60_062, column, .. } if column == "x"), "{err}");
}

#[test]
fn quoted_fields_may_hold_newlines() {
    let text = "name,x\n\"two\nlines\",1\n\"a, b\",2\n\"\"\"q\"\"\",3\nc,4,5\n";
    let path = temp_file("quoted.csv", text);
    let msg = read(&path).unwrap_err().to_string();
    assert!(msg.contains("quoted.csv:6:") && msg.contains("3 fields"), "{msg}");
    let path = temp_file("quoted_ok.csv", &text.replace("c,4,5\n", ""));
    let frame = read(&path).unwrap();
    let names = Column::Categorical {
        levels: levels(&["\"q\"", "a, b", "two\nlines"]),
        codes: vec![2, 1, 0],
    };
    assert_eq!(frame.columns[0], names);
    assert_eq!(frame.columns[1], Column::Numeric(vec![1.0, 2.0, 3.0]));
}

#[test]
fn crlf_line_ends_and_a_byte_order_mark_are_allowed() {
    let path = temp_file("crlf.csv", "\u{feff}a,b\r\n1,x\r\n\r\n2,y\r\n");
    let frame = read(&path).unwrap();
    assert_eq!(frame.names, ["a", "b"]);
    assert_eq!(frame.columns[0], Column::Numeric(vec![1.0, 2.0]));
    assert_eq!(
        frame.columns[1],
        Column::Categorical { levels: levels(&["x", "y"]), codes: vec![0, 1] }
    );
    let path = temp_file("crlf_missing.csv", "\u{feff}a,b\r\n1,x\r\n\r\nNA,y\r\n");
    let err = read(&path).unwrap_err();
    assert!(matches!(&err, Error::Parse { line: 4, column, .. } if column == "a"), "{err}");
}

#[test]
fn the_simple_splitter_reads_as_the_csv_crate_does() {
    let drop = ReadOptions { drop_missing: true, ..ReadOptions::default() };
    let texts = [
        "a,b\n1,x\n   \n\n2, y \r\n\r\n3,z",
        "a,b\r1,x\r\r2,y\r\n3,z\n",
        "a;b\n1;x\n2;\n3; ?\n4,5;w\n",
        "a,b\n1,x\n2,y,\n",
        " a , b \n\t1\t,x\n",
    ];
    for (i, text) in texts.iter().enumerate() {
        let path = temp_file(&format!("simple{i}.csv"), text);
        for options in [ReadOptions::default(), drop.clone()] {
            let delimiter = if i == 2 { b';' } else { b',' };
            let _ = read_both(&path, &ReadOptions { delimiter: Some(delimiter), ..options });
        }
    }
}
