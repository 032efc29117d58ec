//! `axon fit --stream` on the committed click sample (`data/clicks_sample.csv.gz`, written by
//! `scripts/gen_clicks.py`): the progressive loss beats the best constant and falls, `--hash`
//! alone takes the text columns, a checkpoint resumes to the same loss as an uninterrupted run,
//! the same rows as a Vowpal Wabbit file learn the same, bad flags are refused by name, and
//! `--out` saves the hashed model for `predict`, `eval` and `summary`; the same hashed columns
//! fit in batch (TRON) without `--stream`, alone or beside text columns.

mod common;

use common::{axon, data, error, ok_json, temp_dir};

fn counts() -> String {
    (1..=13).map(|j| format!("I{j}")).collect::<Vec<_>>().join(",")
}

#[test]
fn ftrl_learns_the_click_sample() {
    let file = data("clicks_sample.csv.gz");
    let bins = counts();
    for learner in ["ftrl", "adagrad", "sgd"] {
        let args = [
            "fit",
            "--stream",
            "--data",
            &file,
            "--target",
            "label",
            "--hash",
            "--log-bin",
            &bins,
            "--cross",
            "C1:C2",
            "--learner",
            learner,
            "--json",
            "--batch-rows",
            "3000",
        ];
        let report = ok_json(&args);
        assert_eq!(report["rows"], 10_000);
        assert_eq!(report["passes"], 1);
        assert_eq!(report["features"], 1 << 18);
        let loss = report["progressive_log_loss"].as_f64().unwrap();
        // About 20% clicks: the best constant's loss is 0.500.
        assert!(loss < 0.48, "{learner}: {loss}");
        let reports = report["reports"].as_array().unwrap();
        assert_eq!(reports.len(), 14); // 1, 2, 4, ..., 8192 rows
        let since = |i: usize| reports[i]["since_last"].as_f64().unwrap();
        assert!(since(13) < since(9), "{learner}: {} vs {}", since(13), since(9));
    }
}

#[test]
fn hash_alone_takes_the_text_columns_and_prints_vw_lines() {
    let file = data("clicks_sample.csv.gz");
    let all: Vec<String> = (1..=26).map(|j| format!("C{j}")).collect();
    let listed = ok_json(&[
        "fit",
        "--stream",
        "--data",
        &file,
        "--target",
        "label",
        "--hash",
        &all.join(","),
        "--json",
    ]);
    let alone =
        ok_json(&["fit", "--stream", "--data", &file, "--target", "label", "--hash", "--json"]);
    assert_eq!(listed["progressive_log_loss"], alone["progressive_log_loss"]);
    let out = axon(&["fit", "--stream", "--data", &file, "--target", "label", "--hash"]);
    assert!(out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("average loss") && err.lines().any(|l| l.trim_end().ends_with("8192      1")),
        "{err}"
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("progressive log loss") && stdout.contains("rows/s"), "{stdout}");
}

#[test]
fn a_checkpoint_resumes_to_the_same_result() {
    let dir = temp_dir("stream-ckpt");
    let file = data("clicks_sample.csv.gz");
    let ckpt = dir.join("state.ckpt").display().to_string();
    let bins = counts();
    let base = [
        "fit",
        "--stream",
        "--data",
        &file,
        "--target",
        "label",
        "--hash",
        "--log-bin",
        &bins,
        "--json",
    ];
    let two = ok_json(&[&base[..], &["--passes", "2"]].concat());
    let one = ok_json(&[&base[..], &["--passes", "1", "--checkpoint", &ckpt]].concat());
    assert_eq!(one["rows"], 10_000);
    let resumed = ok_json(&[&base[..], &["--passes", "2", "--resume", &ckpt]].concat());
    assert_eq!(resumed["rows"], 20_000);
    assert_eq!(resumed["rows_this_run"], 10_000);
    assert_eq!(resumed["progressive_log_loss"], two["progressive_log_loss"]);
    // Other settings are refused.
    let err =
        error(&[&base[..], &["--passes", "2", "--resume", &ckpt, "--hash-bits", "16"]].concat());
    assert!(err.contains("--resume") && err.contains("other data or settings"), "{err}");
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn a_vw_file_streams_and_bad_flags_are_named() {
    let dir = temp_dir("stream-vw");
    let vw = dir.join("rows.vw");
    let mut text = String::new();
    for i in 0..3000 {
        let label = if i % 4 == 0 { "1" } else { "-1" };
        text.push_str(&format!("{label} |c site={} ad={} |n depth:{}\n", i % 4, i % 7, i % 3));
    }
    std::fs::write(&vw, text).unwrap();
    let vw = vw.display().to_string();
    let report =
        ok_json(&["fit", "--data", &vw, "--json", "--learner", "adagrad", "--passes", "2"]);
    assert_eq!(report["rows"], 6000);
    assert!(report["progressive_log_loss"].as_f64().unwrap() < 0.1);
    let err = error(&["fit", "--data", &vw, "--hash", "a"]);
    assert!(err.contains("--hash"), "{err}");
    let file = data("clicks_sample.csv.gz");
    let err = error(&["fit", "--stream", "--data", &file, "--target", "label"]);
    assert!(err.contains("--hash"), "{err}");
    let err = error(&[
        "fit", "--stream", "--data", &file, "--target", "label", "--hash", "--cross", "C1",
    ]);
    assert!(err.contains("--cross C1"), "{err}");
    let err = error(&[
        "fit", "--stream", "--data", &file, "--target", "label", "--hash", "C1", "--cross", "C1:C9",
    ]);
    assert!(err.contains("C9"), "{err}");
    let err = error(&["fit", "--stream", "--data", &file, "--target", "label", "--numeric", "C1"]);
    assert!(err.contains("C1") && err.contains("not a number"), "{err}");
    let err = error(&["fit", "--stream", "--data", &file, "--target", "I1", "--hash", "C1"]);
    assert!(err.contains("I1") && err.contains("label"), "{err}");
    let err = error(&[
        "fit",
        "--stream",
        "--data",
        &file,
        "--target",
        "label",
        "--hash",
        "C1",
        "--learner",
        "ftrl",
        "--ftrl-alpha",
        "0",
    ]);
    assert!(err.contains("alpha"), "{err}");
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn a_streamed_model_is_saved_for_predict_and_eval() {
    let dir = temp_dir("stream-out");
    let model = dir.join("clicks.axon").display().to_string();
    let file = data("clicks_sample.csv.gz");
    let bins = counts();
    let fit = ok_json(&[
        "fit",
        "--stream",
        "--data",
        &file,
        "--target",
        "label",
        "--hash",
        "--log-bin",
        &bins,
        "--cross",
        "C1:C2",
        "--passes",
        "2",
        "--json",
        "--out",
        &model,
    ]);
    let progressive = fit["progressive_log_loss"].as_f64().unwrap();
    let eval = ok_json(&["eval", "--model", &model, "--data", &file, "--json"]);
    let loss = eval["log_loss"].as_f64().unwrap();
    // The final weights fit the rows they learned better than the rows' progressive scores did,
    // and far better than the best constant (0.500).
    assert!(loss < progressive && loss > 0.1, "eval {loss}, progressive {progressive}");
    let summary = ok_json(&["summary", &model, "--json"]);
    assert_eq!(summary["kind"], "sparse-logit");
    assert_eq!(summary["schema"]["classes"], serde_json::json!(["0", "1"]));
    // A row with an empty field (no feature) and an unseen category still gets a probability.
    let new = dir.join("new.csv");
    let header = std::iter::once("label".to_string())
        .chain((1..=13).map(|j| format!("I{j}")))
        .chain((1..=26).map(|j| format!("C{j}")))
        .collect::<Vec<_>>()
        .join(",");
    let row = std::iter::once("1".to_string())
        .chain((1..=13).map(|j| if j == 3 { String::new() } else { j.to_string() }))
        .chain((1..=26).map(|j| format!("never-seen-{j}")))
        .collect::<Vec<_>>()
        .join(",");
    std::fs::write(&new, format!("{header}\n{row}\n")).unwrap();
    let out =
        axon(&["predict", "--model", &model, "--data", &new.display().to_string(), "--proba"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8(out.stdout).unwrap();
    assert_eq!(text.lines().count(), 2, "{text}");
    // A Vowpal Wabbit file's model is not saved.
    let vw = dir.join("rows.vw");
    std::fs::write(&vw, "1 |c a=1\n-1 |c a=2\n").unwrap();
    let err = error(&["fit", "--data", &vw.display().to_string(), "--out", &model]);
    assert!(err.contains("--out") && err.contains("--checkpoint"), "{err}");
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn hashed_columns_fit_in_batch_and_join_text_columns() {
    let dir = temp_dir("hash-batch");
    let model = dir.join("batch.axon").display().to_string();
    let file = data("clicks_sample.csv.gz");
    let bins = counts();
    let hashed = ["--hash", "--log-bin", &bins, "--cross", "C1:C2"];
    let batch = ok_json(
        &[
            &["fit", "--data", &file, "--target", "label"][..],
            &hashed,
            &["--alpha", "10", "--json", "--out", &model],
        ]
        .concat(),
    );
    assert_eq!(batch["model"], "sparse-logit");
    assert_eq!(batch["converged"], true);
    assert_eq!(batch["n_features"], 1 << 18);
    assert_eq!(batch["columns"].as_array().unwrap().len(), 39, "13 counts and 26 categories");
    let stream = ok_json(
        &[&["fit", "--stream", "--data", &file, "--target", "label"][..], &hashed, &["--json"]]
            .concat(),
    );
    // The exact penalised fit of the same hashed design fits its rows better than one online
    // pass learns them.
    let (fitted, progressive) =
        (batch["log_loss"].as_f64().unwrap(), stream["progressive_log_loss"].as_f64().unwrap());
    assert!(fitted < progressive, "batch {fitted}, stream {progressive}");
    let eval = ok_json(&["eval", "--model", &model, "--data", &file, "--json"]);
    assert!((eval["log_loss"].as_f64().unwrap() - fitted).abs() < 1e-9);
    // Text and hashed columns in one design: the vocabulary's columns, then 2^10 hashed ones.
    let mail = data("spam_sample.csv.gz");
    let both = ok_json(&[
        "fit",
        "--data",
        &mail,
        "--target",
        "label",
        "--text",
        "text",
        "--hash",
        "group",
        "--hash-bits",
        "10",
        "--json",
    ]);
    let text = ok_json(&["fit", "--data", &mail, "--target", "label", "--text", "text", "--json"]);
    let width = |r: &serde_json::Value| r["n_features"].as_u64().unwrap();
    assert_eq!(both["columns"], serde_json::json!(["text", "group"]));
    // --hash-bits also hashes the text's terms here: 2^10 + 2^10 columns.
    assert_eq!(width(&both), 2048, "text {}", width(&text));
    let err = error(&["fit", "--data", &file, "--target", "label", "--hash", "--ngram", "2"]);
    assert!(err.contains("--ngram describes text features"), "{err}");
    let err = error(&["fit", "--stream", "--data", &mail, "--target", "label", "--text", "text"]);
    assert!(err.contains("--text"), "{err}");
    std::fs::remove_dir_all(&dir).ok();
}
