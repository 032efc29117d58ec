//! `axon predict` streams a table file: a gzip CSV of 5 670 rows (lbw's 189 rows 30 times) read
//! in batches of 1 000 gives, row for row, the predictions of one batch holding the whole file
//! (to rounding), and `--out` writes them atomically; a level the model never saw in the fourth
//! batch is an error naming the file and its data row counted from the start of the file, and
//! then `--out` leaves no file (nor a temporary one) behind; a value that is not a number names
//! the file and line.

mod common;

use std::io::Write;
use std::path::Path;

use common::{error, ok_stdout, temp_dir};
use flate2::write::GzEncoder;
use flate2::Compression;

/// lbw's header and its rows `times` times, gzipped into `path`; `edit` may change a data row
/// (0-based) before it is written.
fn big_lbw(path: &Path, times: usize, edit: impl Fn(usize, &str) -> String) {
    let text = std::fs::read_to_string(common::data("lbw.csv")).unwrap();
    let mut lines = text.lines();
    let header = lines.next().unwrap();
    let rows: Vec<&str> = lines.filter(|l| !l.is_empty()).collect();
    let mut gz = GzEncoder::new(std::fs::File::create(path).unwrap(), Compression::fast());
    writeln!(gz, "{header}").unwrap();
    for i in 0..times * rows.len() {
        writeln!(gz, "{}", edit(i, rows[i % rows.len()])).unwrap();
    }
    gz.finish().unwrap();
}

/// A logit of lbw with the categorical `race`, saved in `dir`.
fn model(dir: &Path) -> String {
    let model = dir.join("lbw.axon");
    let model = model.to_str().unwrap().to_owned();
    let lbw = common::data("lbw.csv");
    let fit = ["fit", "--data", &lbw, "--target", "low", "--features", "age,lwt,race,smoke"];
    ok_stdout(&[&fit[..], &["--categorical", "race", "--out", &model]].concat());
    model
}

/// Row `i` with its race (the fifth field) set to `race`.
fn with_race(row: &str, race: &str) -> String {
    let mut fields: Vec<&str> = row.split(',').collect();
    fields[4] = race;
    fields.join(",")
}

#[test]
fn batches_predict_as_the_whole_file_and_out_is_written_whole() {
    let dir = temp_dir("predict-stream");
    let model = model(&dir);
    let data = dir.join("big.csv.gz");
    big_lbw(&data, 30, |_, row| row.to_owned());
    let data = data.to_str().unwrap();
    let whole = ok_stdout(&["predict", "--model", &model, "--data", data, "--proba", "--id", "id"]);
    assert_eq!(whole.lines().count(), 5671);
    let out = dir.join("pred.csv");
    let streamed = ok_stdout(&[
        "predict",
        "--model",
        &model,
        "--data",
        data,
        "--proba",
        "--id",
        "id",
        "--batch-rows",
        "1000",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(streamed.is_empty(), "--out writes nothing on stdout");
    // The same rows, classes and probabilities (to rounding: a matrix product of another
    // number of rows may round the last bit differently).
    let (first, second) = (std::fs::read_to_string(&out).unwrap(), whole);
    let (first, second) = (first.lines().collect::<Vec<_>>(), second.lines().collect::<Vec<_>>());
    assert_eq!(first.len(), second.len());
    assert_eq!(first[0], second[0]);
    for (a, b) in first.iter().zip(&second).skip(1) {
        let (a, b): (Vec<&str>, Vec<&str>) = (a.split(',').collect(), b.split(',').collect());
        assert_eq!(a[..2], b[..2], "id and class");
        for (x, y) in a[2..].iter().zip(&b[2..]) {
            let (x, y): (f64, f64) = (x.parse().unwrap(), y.parse().unwrap());
            assert!((x - y).abs() < 1e-12, "{a:?} vs {b:?}");
        }
    }
    let numbered =
        ok_stdout(&["predict", "--model", &model, "--data", data, "--batch-rows", "999"]);
    let last = numbered.lines().last().unwrap();
    assert!(last.starts_with("5670,"), "{last}");
    assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 3, "no temporary file is left");
}

#[test]
fn a_bad_row_in_a_later_batch_names_the_file_and_its_row() {
    let dir = temp_dir("predict-stream-bad");
    let model = model(&dir);
    let data = dir.join("bad.csv.gz");
    // Data row 3 500 (0-based 3 499), in the fourth batch of 1 000.
    big_lbw(
        &data,
        30,
        |i, row| if i == 3499 { with_race(row, "\"purple\"") } else { row.to_owned() },
    );
    let data = data.to_str().unwrap();
    let out = dir.join("pred.csv");
    let err = error(&[
        "predict",
        "--model",
        &model,
        "--data",
        data,
        "--batch-rows",
        "1000",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(err.contains("bad.csv.gz") && err.contains("data row 3500"), "{err}");
    assert!(err.contains("purple"), "{err}");
    assert!(!out.exists(), "a failed run leaves no output file");
    let names: Vec<String> = (std::fs::read_dir(&dir).unwrap())
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(names.iter().all(|n| !n.ends_with(".tmp")), "{names:?}");

    let text = dir.join("text.csv.gz");
    big_lbw(&text, 30, |i, row| {
        if i == 2999 {
            let mut f: Vec<&str> = row.split(',').collect();
            f[2] = "abc";
            f.join(",")
        } else {
            row.to_owned()
        }
    });
    let err = error(&[
        "predict",
        "--model",
        &model,
        "--data",
        text.to_str().unwrap(),
        "--batch-rows",
        "1000",
    ]);
    assert!(err.contains("text.csv.gz:3001") && err.contains("`abc`"), "{err}");
    let zero = error(&["predict", "--model", &model, "--data", data, "--batch-rows", "0"]);
    assert!(zero.contains("--batch-rows"), "{zero}");
}
