//! `--format` on every verb that reads a table: a tab-separated file whose name says nothing
//! (`lbw.dat`) is read as TSV by `fit`, `train`, `predict` and `eval` when told, and the same
//! numbers come out as from the CSV file; without the flag it is read as CSV and fails with a
//! message that names the column it could not find.

mod common;

use common::{axon, data, error, ok_json, ok_stdout, temp_dir};

#[test]
fn every_verb_reads_a_tsv_file_when_told() {
    let dir = temp_dir("formats");
    let csv = data("lbw.csv");
    let tsv = dir.join("lbw.dat");
    std::fs::write(&tsv, std::fs::read_to_string(&csv).unwrap().replace(',', "\t")).unwrap();
    let tsv = tsv.to_str().unwrap();

    let fit = |file: &str, extra: &[&str]| {
        let mut args = vec!["fit", "--data", file, "--target", "low", "--features", "age,lwt"];
        args.extend_from_slice(extra);
        args.push("--json");
        ok_json(&args)["log_likelihood"].clone()
    };
    let ll = fit(tsv, &["--format", "tsv"]);
    assert!(ll.is_number(), "{ll}");
    assert_eq!(ll, fit(&csv, &[]));

    let model = dir.join("m.axon");
    let model = model.to_str().unwrap();
    let train = [
        "train",
        "--data",
        tsv,
        "--format",
        "tsv",
        "--target",
        "low",
        "--features",
        "age,lwt",
        "--epochs",
        "2",
        "--quiet",
        "--out",
        model,
    ];
    let trained = axon(&train);
    assert!(trained.status.success(), "{}", String::from_utf8_lossy(&trained.stderr));
    let from_tsv = ok_stdout(&["predict", "--model", model, "--data", tsv, "--format", "tsv"]);
    let from_csv = ok_stdout(&["predict", "--model", model, "--data", &csv]);
    assert_eq!(from_tsv, from_csv);
    let eval = |file: &str, extra: &[&str]| {
        let mut args = vec!["eval", "--model", model, "--data", file, "--json"];
        args.extend_from_slice(extra);
        ok_json(&args)["log_loss"].clone()
    };
    let loss = eval(tsv, &["--format", "tsv"]);
    assert!(loss.is_number(), "{loss}");
    assert_eq!(loss, eval(&csv, &[]));

    let msg = error(&["predict", "--model", model, "--data", tsv]);
    assert!(msg.contains("age"), "{msg}");
}
