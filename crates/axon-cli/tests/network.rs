//! `axon train --out` → `axon predict` / `axon eval` on trained networks, for the three data
//! layouts: the header-less digits CSV, a CSV file with a header (iris with named columns,
//! written here), and an IDX folder (the digits written here as IDX files). Each time `eval` on
//! the training run's own test rows (rebuilt from the seed, or the IDX test files) gives exactly
//! the `test_accuracy` that `axon train --json` reported; `predict`'s labels agree with `eval`'s
//! report and its probabilities sum to 1; two-class networks take `--threshold` and
//! `--log-odds`; a linear model file still works; bad data are errors naming the file, column
//! and row; and after early stopping the saved network is the best epoch's (its accuracy and
//! loss on the rebuilt validation rows are that epoch's), or the last one's with
//! `--no-restore-best`; `predict | head` ends quietly.

mod common;

use std::io::Read;
use std::path::Path;

use axon::cv::train_test_split;
use axon::Rng;
use common::{data, error, ok_json, ok_stdout, predictions, temp_dir, train_json};
use serde_json::Value;

/// The digits: 64 features (0..16) and the label, per row.
fn digits() -> Vec<(Vec<f64>, usize)> {
    let file = std::fs::File::open(data("digits.csv.gz")).unwrap();
    let mut text = String::new();
    flate2::read::GzDecoder::new(file).read_to_string(&mut text).unwrap();
    text.lines()
        .map(|l| {
            let v: Vec<f64> = l.split(',').map(|f| f.parse().unwrap()).collect();
            (v[..64].to_vec(), v[64] as usize)
        })
        .collect()
}

/// The test rows of `axon train`'s 80/20 split of `n` CSV rows with `seed` (its first draw).
fn test_rows(n: usize, seed: u64) -> Vec<usize> {
    train_test_split(n, 0.2, Some(&mut Rng::seed(seed))).unwrap().test
}

fn path(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// Checks `predict --proba` against the true `labels` and `eval --json`'s report: the rows'
/// probabilities sum to 1, the label is the most probable class, and the number of correct
/// labels and the confusion matrix are eval's.
fn check_predictions(csv: &str, classes: &[&str], labels: &[usize], report: &Value) {
    let (header, rows) = predictions(csv);
    let mut expected = vec!["prediction".to_owned()];
    expected.extend(classes.iter().map(|c| format!("p_{c}")));
    assert_eq!(header, expected);
    assert_eq!(rows.len(), labels.len());
    let k = classes.len();
    let mut confusion = vec![vec![0u64; k]; k];
    for ((label, p), &truth) in rows.iter().zip(labels) {
        assert!((p.iter().sum::<f64>() - 1.0).abs() < 1e-9, "probabilities sum to 1: {p:?}");
        let best = (0..k).fold(0, |b, c| if p[c] > p[b] { c } else { b });
        assert_eq!(label, classes[best]);
        confusion[truth][best] += 1;
    }
    let correct: u64 = (0..k).map(|c| confusion[c][c]).sum();
    let accuracy = report["accuracy"].as_f64().unwrap();
    assert_eq!(correct as f64 / labels.len() as f64, accuracy);
    let eval_confusion: Vec<Vec<u64>> =
        serde_json::from_value(report["confusion"].clone()).unwrap();
    assert_eq!(confusion, eval_confusion);
}

#[test]
fn digits_network_eval_matches_the_training_runs_test_accuracy() {
    let dir = temp_dir("net-digits");
    let model = dir.join("digits.axon");
    let args = ["--model", "mlp:32", "--epochs", "3", "--lr", "0.01", "--seed", "7"];
    let digits_csv = data("digits.csv.gz");
    let summary =
        train_json(&[&["--data", &digits_csv, "--out", path(&model)][..], &args].concat());

    let rows = digits();
    let test = test_rows(rows.len(), 7);
    let line = |r: &[f64]| r.iter().map(f64::to_string).collect::<Vec<_>>().join(",");
    let labelled: String =
        test.iter().map(|&i| format!("{},{}\n", line(&rows[i].0), rows[i].1)).collect();
    let features: String = test.iter().map(|&i| format!("{}\n", line(&rows[i].0))).collect();
    let (with_labels, without) = (dir.join("test.csv"), dir.join("test-x.csv"));
    std::fs::write(&with_labels, labelled).unwrap();
    std::fs::write(&without, features).unwrap();

    let report =
        ok_json(&["eval", "--model", path(&model), "--data", path(&with_labels), "--json"]);
    assert_eq!(report["kind"], "nn-classifier");
    assert_eq!(report["architecture"]["kind"], "mlp");
    assert_eq!(report["n_samples"], 360);
    assert_eq!(report["accuracy"], summary["test_accuracy"], "the same rows, the same weights");
    let (eval_loss, train_loss) =
        (report["log_loss"].as_f64().unwrap(), summary["test_log_loss"].as_f64().unwrap());
    assert!((eval_loss - train_loss).abs() < 1e-5, "log loss {eval_loss} vs {train_loss}");

    let classes: Vec<String> = (0..10).map(|c| c.to_string()).collect();
    let classes: Vec<&str> = classes.iter().map(String::as_str).collect();
    let labels: Vec<usize> = test.iter().map(|&i| rows[i].1).collect();
    let csv = ok_stdout(&["predict", "--model", path(&model), "--data", path(&without), "--proba"]);
    check_predictions(&csv, &classes, &labels, &report);
    let labelled_csv =
        ok_stdout(&["predict", "--model", path(&model), "--data", path(&with_labels), "--proba"]);
    assert_eq!(csv, labelled_csv, "a label column last is ignored");

    // Ten classes: no threshold, no log-odds; eval needs the labels; widths must fit.
    let m = path(&model);
    let e = error(&["predict", "--model", m, "--data", path(&without), "--threshold", "0.5"]);
    assert!(e.contains("10 classes, not 2"), "{e}");
    let e = error(&["predict", "--model", m, "--data", path(&without), "--log-odds"]);
    assert!(e.contains("10 classes, not 2"), "{e}");
    let e = error(&["eval", "--model", m, "--data", path(&without)]);
    assert!(e.contains("test-x.csv") && e.contains("no label"), "{e}");
    let bad = dir.join("bad.csv");
    std::fs::write(&bad, format!("{}\n{},x,1\n", line(&rows[0].0), line(&rows[1].0[..62])))
        .unwrap();
    let e = error(&["predict", "--model", m, "--data", path(&bad)]);
    assert!(e.contains("bad.csv:2: field 63 `x` is not a finite number"), "{e}");
    std::fs::write(&bad, "1,2,3\n").unwrap();
    let e = error(&["predict", "--model", m, "--data", path(&bad)]);
    assert!(e.contains("bad.csv") && e.contains("3 fields per row") && e.contains("64"), "{e}");
}

/// Iris with a header: the four measurements by name and the species by name.
fn iris_with_header(dir: &Path) -> (std::path::PathBuf, Vec<Vec<String>>) {
    let text = std::fs::read_to_string(data("iris.csv")).unwrap();
    let species = ["setosa", "versicolor", "virginica"];
    let rows: Vec<Vec<String>> = text
        .lines()
        .skip(1)
        .map(|l| {
            let mut f: Vec<String> = l.split(',').map(str::to_owned).collect();
            f[4] = species[f[4].parse::<usize>().unwrap()].to_owned();
            f
        })
        .collect();
    let mut csv = String::from("sepal_length,sepal_width,petal_length,petal_width,species\n");
    rows.iter().for_each(|r| csv.push_str(&format!("{}\n", r.join(","))));
    let file = dir.join("iris.csv");
    std::fs::write(&file, csv).unwrap();
    (file, rows)
}

#[test]
fn header_csv_network_reads_columns_by_name() {
    let dir = temp_dir("net-iris");
    let (iris, rows) = iris_with_header(&dir);
    let model = dir.join("iris.axon");
    let summary = train_json(&[
        "--data",
        path(&iris),
        "--target",
        "species",
        "--model",
        "mlp:8",
        "--epochs",
        "20",
        "--batch-size",
        "16",
        "--lr",
        "0.02",
        "--seed",
        "2",
        "--out",
        path(&model),
    ]);
    // The test rows again, with the columns in another order and an extra one.
    let test = test_rows(rows.len(), 2);
    let mut csv = String::from("species,id,petal_width,sepal_length,petal_length,sepal_width\n");
    for &i in &test {
        let r = &rows[i];
        csv.push_str(&format!("{},{i},{},{},{},{}\n", r[4], r[3], r[0], r[2], r[1]));
    }
    let shuffled = dir.join("test.csv");
    std::fs::write(&shuffled, &csv).unwrap();
    let m = path(&model);
    let report = ok_json(&["eval", "--model", m, "--data", path(&shuffled), "--json"]);
    assert_eq!(report["accuracy"], summary["test_accuracy"]);
    assert_eq!(report["target"], "species");
    assert_eq!(report["classes"], serde_json::json!(["setosa", "versicolor", "virginica"]));
    assert!(report["accuracy"].as_f64().unwrap() >= 0.8, "{report}");
    let species = ["setosa", "versicolor", "virginica"];
    let labels: Vec<usize> =
        test.iter().map(|&i| species.iter().position(|s| *s == rows[i][4]).unwrap()).collect();
    let out = ok_stdout(&["predict", "--model", m, "--data", path(&shuffled), "--proba"]);
    check_predictions(&out, &species, &labels, &report);
    let table = ok_stdout(&["eval", "--model", m, "--data", path(&shuffled)]);
    assert!(table.starts_with("nn-classifier model") && table.contains("classes of `species`"));

    // The class column is optional for predict, required for eval; features are required.
    let without_target: String =
        csv.lines().map(|l| l.split_once(',').unwrap().1.to_owned() + "\n").collect();
    let no_target = dir.join("no-target.csv");
    std::fs::write(&no_target, without_target).unwrap();
    assert_eq!(ok_stdout(&["predict", "--model", m, "--data", path(&no_target), "--proba"]), out);
    let e = error(&["eval", "--model", m, "--data", path(&no_target)]);
    assert!(e.contains("no-target.csv") && e.contains("`species`"), "{e}");
    let missing = dir.join("missing.csv");
    std::fs::write(&missing, csv.replace("petal_width", "petal_w")).unwrap();
    let e = error(&["predict", "--model", m, "--data", path(&missing)]);
    assert!(e.contains("missing.csv") && e.contains("feature column `petal_width`"), "{e}");
    let mut lines: Vec<String> = csv.lines().map(str::to_owned).collect();
    let mut fields: Vec<&str> = lines[2].split(',').collect();
    fields[2] = "wide";
    lines[2] = fields.join(",");
    std::fs::write(&missing, lines.join("\n")).unwrap();
    let e = error(&["predict", "--model", m, "--data", path(&missing)]);
    assert!(e.contains("missing.csv:3: column `petal_width`: `wide` is not a number"), "{e}");
    std::fs::write(&missing, csv.replacen("setosa", "rosa", 1)).unwrap();
    let e = error(&["eval", "--model", m, "--data", path(&missing)]);
    assert!(e.contains("`rosa` is not a class of the model"), "{e}");
}

#[test]
fn two_class_network_takes_threshold_and_log_odds() {
    let dir = temp_dir("net-chd");
    let model = dir.join("chd.axon");
    let chd = data("chd_age.csv");
    let m = path(&model);
    let args = ["--data", &chd, "--target", "chd", "--model", "logreg", "--out", m];
    train_json(&[&args[..], &["--epochs", "30", "--lr", "0.05", "--val-fraction", "0"]].concat());
    let out = ok_stdout(&["predict", "--model", m, "--data", &chd, "--proba", "--log-odds"]);
    let (header, rows) = predictions(&out);
    assert_eq!(header, ["prediction", "p_0", "p_1", "log_odds"]);
    assert_eq!(rows.len(), 33);
    for (label, v) in &rows {
        let (p0, p1, log_odds) = (v[0], v[1], v[2]);
        assert!((log_odds - (p1 / p0).ln()).abs() < 1e-9, "log-odds {log_odds} vs {p0}, {p1}");
        assert_eq!(label, if p1 > p0 { "1" } else { "0" });
    }
    // The probability of chd rises with age: the oldest subjects are the likeliest cases.
    assert!(rows[32].1[1] > rows[0].1[1]);
    let all_positive = ok_stdout(&["predict", "--model", m, "--data", &chd, "--threshold", "0"]);
    assert!(all_positive.lines().skip(1).all(|l| l.split_once(',').unwrap().1 == "1"));
    let cut = (rows[0].1[1] + rows[32].1[1]) / 2.0;
    let cut_s = cut.to_string();
    let split = ok_stdout(&["predict", "--model", m, "--data", &chd, "--threshold", &cut_s]);
    for (line, (_, v)) in split.lines().skip(1).zip(&rows) {
        assert_eq!(line.split_once(',').unwrap().1, if v[1] >= cut { "1" } else { "0" });
    }
    let e = error(&["predict", "--model", m, "--data", &chd, "--threshold", "1.5"]);
    assert!(e.contains("[0, 1]"), "{e}");
}

/// Writes an IDX file: magic `0 0 8 ndims`, big-endian sizes, then the bytes.
fn write_idx(path: &Path, dims: &[u32], bytes: &[u8]) {
    let mut out = vec![0, 0, 8, dims.len() as u8];
    dims.iter().for_each(|d| out.extend_from_slice(&d.to_be_bytes()));
    out.extend_from_slice(bytes);
    std::fs::write(path, out).unwrap();
}

#[test]
fn idx_folder_network_is_evaluated_on_its_test_files() {
    let dir = temp_dir("net-idx");
    let idx = dir.join("digits-idx");
    std::fs::create_dir_all(&idx).unwrap();
    let rows = digits();
    let (train, test) = rows.split_at(1500);
    for (stem, part) in [("train", train), ("t10k", test)] {
        let pixels: Vec<u8> =
            part.iter().flat_map(|(x, _)| x.iter().map(|v| (v * 15.9) as u8)).collect();
        let labels: Vec<u8> = part.iter().map(|(_, l)| *l as u8).collect();
        let n = part.len() as u32;
        write_idx(&idx.join(format!("{stem}-images-idx3-ubyte")), &[n, 8, 8], &pixels);
        write_idx(&idx.join(format!("{stem}-labels-idx1-ubyte")), &[n], &labels);
    }
    let model = dir.join("idx.axon");
    let m = path(&model);
    let args = ["--data", path(&idx), "--model", "cnn", "--epochs", "2", "--out", m];
    let summary = train_json(&[&args[..], &["--lr", "0.003", "--val-fraction", "0"]].concat());
    assert_eq!(summary["n_test"], 297);
    let report = ok_json(&["eval", "--model", m, "--data", path(&idx), "--json"]);
    assert_eq!(report["accuracy"], summary["test_accuracy"], "the IDX test files");
    assert_eq!(report["architecture"]["kind"], "cnn");
    assert!(report["accuracy"].as_f64().unwrap() > 0.7, "{report}");
    let classes: Vec<String> = (0..10).map(|c| c.to_string()).collect();
    let classes: Vec<&str> = classes.iter().map(String::as_str).collect();
    let labels: Vec<usize> = test.iter().map(|(_, l)| *l).collect();
    let out = ok_stdout(&["predict", "--model", m, "--data", path(&idx), "--proba"]);
    check_predictions(&out, &classes, &labels, &report);
}

#[test]
fn linear_model_files_still_work_and_bad_model_files_are_named() {
    let dir = temp_dir("net-linear");
    let model = dir.join("chd-logit.axon");
    let (m, chd) = (path(&model), data("chd_age.csv"));
    ok_json(&["fit", "--data", &chd, "--target", "chd", "--out", m, "--json"]);
    let report = ok_json(&["eval", "--model", m, "--data", &chd, "--json"]);
    assert_eq!(report["kind"], "logit");
    assert!(report.get("architecture").is_none());
    let out = ok_stdout(&["predict", "--model", m, "--data", &chd, "--proba", "--log-odds"]);
    let (header, rows) = predictions(&out);
    assert_eq!(header, ["prediction", "p_0", "p_1", "log_odds"]);
    let correct = rows.iter().zip(chd_labels()).filter(|((label, _), y)| label == y).count();
    assert_eq!(correct as f64 / 33.0, report["accuracy"].as_f64().unwrap());

    let missing = dir.join("none.axon");
    let e = error(&["predict", "--model", path(&missing), "--data", &chd]);
    assert!(e.contains("none.axon"), "{e}");
    let junk = dir.join("junk.axon");
    std::fs::write(&junk, b"not a model").unwrap();
    let e = error(&["eval", "--model", path(&junk), "--data", &chd]);
    assert!(e.contains("junk.axon"), "{e}");
}

/// The `chd` column of `chd_age.csv`, as text.
fn chd_labels() -> Vec<String> {
    let text = std::fs::read_to_string(data("chd_age.csv")).unwrap();
    text.lines().skip(1).map(|l| l.split(',').nth(1).unwrap().trim().to_owned()).collect()
}

#[test]
fn the_saved_network_is_the_best_epochs() {
    // A wide network with a large step overfits the digits within a few epochs; patience 3.
    let dir = temp_dir("net-best");
    let digits_csv = data("digits.csv.gz");
    let args = ["--data", &digits_csv, "--model", "mlp:256,256", "--lr", "0.01", "--seed", "4"];
    let args = [&args[..], &["--epochs", "30", "--patience", "3"]].concat();
    // The validation rows: `axon train` draws them from its training rows after the test split.
    let rows = digits();
    let mut rng = Rng::seed(4);
    let fold = train_test_split(rows.len(), 0.2, Some(&mut rng)).unwrap();
    let val = train_test_split(fold.train.len(), 0.1, Some(&mut rng)).unwrap().test;
    let line = |r: &[f64]| r.iter().map(f64::to_string).collect::<Vec<_>>().join(",");
    let val_csv: String = val
        .iter()
        .map(|&i| &rows[fold.train[i]])
        .map(|(x, y)| format!("{},{y}\n", line(x)))
        .collect();
    let val_file = dir.join("val.csv");
    std::fs::write(&val_file, val_csv).unwrap();
    for restore in [true, false] {
        let model = dir.join(format!("restore-{restore}.axon"));
        let mut all = [&args[..], &["--out", path(&model)]].concat();
        if !restore {
            all.push("--no-restore-best");
        }
        let summary = train_json(&all);
        let record: Value =
            serde_json::from_slice(&std::fs::read(format!("{}.run.json", path(&model))).unwrap())
                .unwrap();
        let best = summary["best_epoch"].as_u64().unwrap() as usize;
        let epochs = summary["epochs"].as_u64().unwrap() as usize;
        assert!(best < epochs, "the run overfits: best epoch {best} of {epochs}");
        assert_eq!(record["best_epoch"], best);
        assert_eq!(summary["restored_best_weights"], restore);
        let kept = if restore { best } else { epochs };
        let m = path(&model);
        let report = ok_json(&["eval", "--model", m, "--data", path(&val_file), "--json"]);
        let epoch = &record["epochs"][kept - 1];
        assert_eq!(report["accuracy"], epoch["val_accuracy"], "epoch {kept}'s weights");
        // eval's log loss clips probabilities at 1e-15; the loop's cross-entropy does not.
        let out = ok_stdout(&["predict", "--model", m, "--data", path(&val_file), "--proba"]);
        let (_, predicted) = predictions(&out);
        let labels = val.iter().map(|&i| rows[fold.train[i]].1);
        let loss = -predicted.iter().zip(labels).map(|((_, p), y)| p[y].ln()).sum::<f64>()
            / val.len() as f64;
        let recorded = epoch["val_loss"].as_f64().unwrap();
        let close = (loss - recorded).abs() < 1e-5 * recorded;
        assert!(close, "val loss {loss} vs epoch {kept}: {recorded}");
    }
}

#[test]
fn predict_stops_quietly_when_its_reader_does() {
    use std::io::BufRead;
    use std::process::{Command, Stdio};
    let dir = temp_dir("net-pipe");
    let model = dir.join("digits.axon");
    let digits_csv = data("digits.csv.gz");
    let args = ["--data", &digits_csv, "--model", "logreg", "--epochs", "1"];
    train_json(&[&args[..], &["--out", path(&model)]].concat());
    // 1797 rows of 11 numbers is far more than a pipe holds: the writer is still writing when
    // the reader (like `head -1`) goes away.
    let mut child = Command::new(env!("CARGO_BIN_EXE_axon"))
        .args(["predict", "--model", path(&model), "--data", &digits_csv, "--proba"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = String::new();
    std::io::BufReader::new(child.stdout.take().unwrap()).read_line(&mut first).unwrap();
    assert!(first.starts_with("row,prediction,p_0"), "{first}");
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(out.stderr.is_empty(), "{}", String::from_utf8_lossy(&out.stderr));
}
