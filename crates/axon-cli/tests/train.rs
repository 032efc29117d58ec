//! `axon train` end to end on `data/digits.csv.gz` (1797 8×8 images, no header, label last):
//! an MLP and the CNN learn (test accuracy above a bound), the `--json` object has its fields,
//! a fixed seed with one thread repeats the run exactly and another seed does not, the model
//! file and `<out>.run.json` record are written with what rebuilds and audits the run, the
//! `<out>.curves.svg` training curves are drawn (one line per series, also for one epoch), a run
//! stopped after epoch 2 and resumed from its checkpoint ends with the uninterrupted run's
//! parameters bit for bit (and resuming a missing checkpoint is an error, other settings or no
//! epochs left a warning), an exploding loss and a network too large for memory are reported,
//! progress goes to stderr and results to stdout, and bad arguments exit with 2 and `axon: ...`.

mod common;

use std::path::Path;

use common::{axon, data, error, temp_dir, train_json};
use serde_json::Value;

const MLP: [&str; 8] = ["--model", "mlp:64", "--epochs", "8", "--lr", "0.01", "--seed", "3"];

#[test]
fn mlp_learns_digits_and_reports_json() {
    let digits = data("digits.csv.gz");
    let v = train_json(&[&["--data", &digits][..], &MLP].concat());
    let accuracy = v["test_accuracy"].as_f64().unwrap();
    // Seed 3 on one thread gives 0.975 (351 of 360) and a log loss of 0.0849: the bounds sit
    // half a point under, so that a change that costs a little learning fails.
    assert!(accuracy >= 0.97, "test accuracy {accuracy}");
    let log_loss = v["test_log_loss"].as_f64().unwrap();
    assert!(log_loss > 0.0 && log_loss < 0.09, "test log loss {log_loss}");
    assert_eq!(v["epochs"], 8);
    assert_eq!(v["n_params"], 64 * 64 + 64 + 64 * 10 + 10);
    assert_eq!(
        (v["n_train"].as_u64(), v["n_val"].as_u64(), v["n_test"].as_u64()),
        (Some(1293), Some(144), Some(360))
    );
    assert!(v["train_seconds"].as_f64().unwrap() > 0.0);
    assert!(v["examples_per_second"].as_f64().unwrap() > 0.0);
}

#[test]
fn fixed_seed_repeats_exactly() {
    let digits = data("digits.csv.gz");
    let args = [&["--data", &digits][..], &MLP].concat();
    let (a, b) = (train_json(&args), train_json(&args));
    for key in ["test_accuracy", "test_log_loss", "final_train_loss", "final_val_accuracy"] {
        assert_eq!(a[key], b[key], "{key}");
    }
    let mut other = args.clone();
    other[args.len() - 1] = "4";
    let c = train_json(&other);
    assert_ne!(a["test_log_loss"], c["test_log_loss"], "another seed, another run");
}

#[test]
fn cnn_learns_digits() {
    let digits = data("digits.csv.gz");
    let args = ["--data", &digits, "--model", "cnn", "--epochs", "2", "--lr", "0.003"];
    let v = train_json(&args);
    let accuracy = v["test_accuracy"].as_f64().unwrap();
    // Seed 0 on one thread: 0.9333 (336 of 360), log loss 0.2387.
    assert!(accuracy >= 0.928, "cnn test accuracy {accuracy}");
    let log_loss = v["test_log_loss"].as_f64().unwrap();
    assert!(log_loss > 0.0 && log_loss < 0.245, "cnn test log loss {log_loss}");
    // conv 1→32 (288 + 32), conv 32→64 (18432 + 64), dense 256→128, 128→10.
    assert_eq!(v["n_params"], 320 + 18496 + 256 * 128 + 128 + 1290);
    assert_eq!(v["model"]["kind"], "cnn");
}

fn load(path: &Path) -> axon::io::TensorFile {
    axon::io::load_safetensors(path).unwrap()
}

#[test]
fn model_file_and_run_record() {
    let dir = temp_dir("record");
    let out = dir.join("digits.axon");
    let digits = data("digits.csv.gz");
    let v = train_json(&[&["--data", &digits, "--out", out.to_str().unwrap()][..], &MLP].concat());
    let file = load(&out);
    let names: Vec<&str> = file.tensors.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["0.bias", "0.weight", "2.bias", "2.weight"]);
    let n: usize = file.tensors.iter().map(|(_, t)| t.numel()).sum();
    assert_eq!(n as u64, v["n_params"].as_u64().unwrap());
    let description: Value = serde_json::from_str(&file.metadata["axon"]).unwrap();
    assert_eq!(
        (&description["format"], &description["kind"]),
        (&"axon-model".into(), &"network".into())
    );
    let model = &description["model"];
    let arch = &model["architecture"];
    assert_eq!(
        *arch,
        serde_json::json!({
            "kind": "mlp", "inputs": 64, "hidden": [64], "activation": "relu", "classes": 10
        })
    );
    let scaling = &model["scaling"];
    assert_eq!(scaling["kind"], "standardize");
    assert_eq!(scaling["mean"].as_array().unwrap().len(), 64);
    let classes: Vec<String> = serde_json::from_value(model["schema"]["classes"].clone()).unwrap();
    assert_eq!(classes, (0..10).map(|c| c.to_string()).collect::<Vec<_>>());

    let record: Value =
        serde_json::from_slice(&std::fs::read(dir.join("digits.axon.run.json")).unwrap()).unwrap();
    assert!(record["argv"].as_array().unwrap().iter().any(|a| a == "mlp:64"));
    assert_eq!(record["seed"], 3);
    assert_eq!(record["settings"]["batch_size"], 64);
    assert_eq!(record["settings"]["optimizer"], "adam");
    assert_eq!(record["threads"], 1);
    assert_eq!(record["axon_version"], env!("CARGO_PKG_VERSION"));
    let files = record["data"]["files"].as_array().unwrap();
    let size = std::fs::metadata(&digits).unwrap().len();
    assert_eq!((files.len(), files[0]["bytes"].as_u64()), (1, Some(size)));
    assert_eq!(files[0]["sha256"].as_str().unwrap().len(), 64);
    let epochs = record["epochs"].as_array().unwrap();
    assert_eq!(epochs.len(), 8);
    assert_eq!(epochs[7]["epoch"], 8);
    assert_eq!(epochs[7]["train_loss"], v["final_train_loss"]);
    assert!(epochs[0]["val_accuracy"].as_f64().is_some());
    assert_eq!(record["result"]["test_accuracy"], v["test_accuracy"]);
}

/// The tensors of a saved model or checkpoint, by name, as the bits of their values.
fn bits(path: &Path) -> Vec<(String, Vec<u64>)> {
    let file = load(path);
    let bits = |t: &axon::Tensor| t.to_f64_vec().iter().map(|v| v.to_bits()).collect();
    file.tensors.iter().map(|(n, t)| (n.clone(), bits(t))).collect()
}

/// A run record's per-epoch wall-clock seconds (measured, so equal only when copied).
fn epoch_seconds(record: &Path) -> Vec<f64> {
    let record: Value = serde_json::from_slice(&std::fs::read(record).unwrap()).unwrap();
    record["epochs"].as_array().unwrap().iter().map(|e| e["seconds"].as_f64().unwrap()).collect()
}

#[test]
fn resume_after_an_interruption_gives_the_uninterrupted_parameters_bit_for_bit() {
    let dir = temp_dir("resume");
    let path = |name: &str| dir.join(name).to_str().unwrap().to_owned();
    let digits = data("digits.csv.gz");
    let base = ["--data", &digits, "--model", "mlp:32", "--lr", "0.01", "--seed", "5"];
    let (full, first, resumed, ckpt) =
        (path("full.axon"), path("first.axon"), path("resumed.axon"), path("run.ckpt"));
    let v = train_json(&[&base[..], &["--epochs", "5", "--out", &full]].concat());
    // Stopped after epoch 2 (the checkpoint holds the state after epoch 2), resumed to 5.
    train_json(&[&base[..], &["--epochs", "2", "--checkpoint", &ckpt, "--out", &first]].concat());
    assert_eq!(checkpoint_epochs(&ckpt), 2);
    let r = train_json(
        &[&base[..], &["--epochs", "5", "--checkpoint", &ckpt, "--resume", "--out", &resumed]]
            .concat(),
    );
    assert_eq!(checkpoint_epochs(&ckpt), 5);
    assert_eq!(bits(Path::new(&resumed)), bits(Path::new(&full)), "final parameters");
    assert_ne!(bits(Path::new(&first)), bits(Path::new(&full)), "two epochs are not five");
    for key in ["test_log_loss", "final_train_loss", "best_epoch", "epochs"] {
        assert_eq!(r[key], v[key], "{key}");
    }
    assert_eq!(r["warnings"], serde_json::json!([]));
    // Epochs 1 and 2 of the resumed run are the interrupted run's, read from the checkpoint:
    // their measured times are copies, not a second measurement.
    let (first_s, resumed_s, full_s) = (
        epoch_seconds(&dir.join("first.axon.run.json")),
        epoch_seconds(&dir.join("resumed.axon.run.json")),
        epoch_seconds(&dir.join("full.axon.run.json")),
    );
    assert_eq!(resumed_s.len(), 5);
    assert_eq!(resumed_s[..2], first_s[..], "the first two epochs come from the checkpoint");
    assert_ne!(resumed_s[..2], full_s[..2]);
}

/// The number of epochs a checkpoint has finished.
fn checkpoint_epochs(path: &str) -> usize {
    axon::nn::checkpoint_history(path).unwrap().len()
}

#[test]
fn resume_from_a_missing_checkpoint_is_an_error() {
    let dir = temp_dir("resume-missing");
    let ckpt = dir.join("none.ckpt");
    let digits = data("digits.csv.gz");
    let args = ["train", "--data", &digits, "--epochs", "1", "--quiet"];
    let err = error(&[&args[..], &["--checkpoint", ckpt.to_str().unwrap(), "--resume"]].concat());
    assert!(err.contains("none.ckpt: no checkpoint to resume from"), "{err}");
    assert!(!ckpt.exists(), "nothing was trained or written");
}

#[test]
fn resume_warns_about_other_settings_and_no_epochs_left() {
    let dir = temp_dir("resume-warn");
    let ckpt = dir.join("run.ckpt");
    let ckpt = ckpt.to_str().unwrap();
    let digits = data("digits.csv.gz");
    let base = ["--data", &digits, "--model", "mlp:8", "--seed", "2", "--checkpoint", ckpt];
    let v = train_json(&[&base[..], &["--epochs", "2"]].concat());
    assert_eq!(v["warnings"], serde_json::json!([]));
    let run = |extra: &[&str]| {
        let args = [&["train"][..], &base, &["--resume", "--quiet"], extra].concat();
        let out = axon(&args);
        assert!(out.status.success(), "{args:?}");
        String::from_utf8(out.stderr).unwrap()
    };
    let stderr = run(&["--epochs", "3", "--optimizer", "sgd"]);
    assert!(
        stderr.contains(
            "axon: warning: the checkpoint was written with the optimizer adam (lr 0.001, \
             weight decay 0), this run uses sgd (lr 0.01, momentum 0, weight decay 0)"
        ),
        "{stderr}"
    );
    let stderr = run(&["--epochs", "2", "--optimizer", "sgd"]);
    assert!(
        stderr.contains("the checkpoint has already trained 3 epochs, at least the 2 asked for"),
        "{stderr}"
    );
    let v = train_json(&[&base[..], &["--epochs", "1", "--resume", "--optimizer", "sgd"]].concat());
    let warnings = v["warnings"].as_array().unwrap();
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert_eq!(v["epochs"], 3, "the checkpoint's model, untouched");
}

#[test]
fn an_exploding_loss_is_warned_about() {
    // Adam at a learning rate of 5: the loss is finite but thousands of times ln 10.
    let digits = data("digits.csv.gz");
    let args = ["--data", &digits, "--model", "mlp:32", "--epochs", "2", "--lr", "5"];
    let v = train_json(&args);
    let warnings = v["warnings"].as_array().unwrap();
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(warnings[0].as_str().unwrap().starts_with("the loss exploded"), "{warnings:?}");
    let out = axon(&[&["train"][..], &args, &["--quiet"]].concat());
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(out.status.success());
    assert!(stderr.starts_with("axon: warning: the loss exploded"), "{stderr}");
    assert!(stderr.contains("learning rate is probably too large"), "{stderr}");
    // A sound run has no warning.
    let v = train_json(&["--data", &digits, "--model", "mlp:32", "--epochs", "2"]);
    assert_eq!(v["warnings"], serde_json::json!([]));
}

#[test]
fn networks_too_large_for_memory_are_refused_naming_the_size() {
    let digits = data("digits.csv.gz");
    let cases = [
        (
            "mlp:100000000000",
            "mlp:100000000000 on 64 features: the network would have \
          7500000000010 parameters (27939.7 GiB as f32): more than the 1073741824 allowed",
        ),
        ("mlp:4611686018427387904", "3.459e20 parameters"),
        ("mlp:64,18446744073709551615", "more than a 64-bit count holds"),
    ];
    for (model, message) in cases {
        let err = error(&["train", "--data", &digits, "--model", model]);
        assert!(err.contains(message), "{model}: {err}");
        assert_eq!(err.lines().count(), 1, "no progress before the error: {err}");
    }
}

#[test]
fn progress_on_stderr_results_on_stdout() {
    let digits = data("digits.csv.gz");
    let args = ["train", "--data", &digits, "--model", "mlp:8", "--epochs", "1"];
    let out = axon(&args);
    assert!(out.status.success());
    let (stdout, stderr) =
        (String::from_utf8(out.stdout).unwrap(), String::from_utf8(out.stderr).unwrap());
    assert!(stderr.starts_with("axon: training mlp:8 on 64 features, 10 classes, 1293 rows\n"));
    assert!(stderr.contains("epoch   1  train loss"), "{stderr}");
    assert!(!stdout.contains("epoch   1"), "{stdout}");
    assert!(stdout.starts_with("Sequential("), "{stdout}");
    let last = stdout.lines().last().unwrap();
    assert!(last.contains(", 1 epoch in "), "{last}");
    // A run this small takes milliseconds: they are printed as such, not as `0.0 s`.
    assert!(last.contains(" ms"), "{last}");
    assert!(!format!("{stdout}{stderr}").contains("0.0 s"), "{stdout}{stderr}");
}

#[test]
fn patience_stops_early() {
    // A learning rate of 0 never lowers the validation loss: epoch 1 is the best, then stop.
    let digits = data("digits.csv.gz");
    let args = ["--data", &digits, "--epochs", "10", "--lr", "0", "--patience", "2"];
    let v = train_json(&args);
    assert_eq!((v["epochs"].as_u64(), v["stopped_early"].as_bool()), (Some(3), Some(true)));
    assert_eq!(
        (v["best_epoch"].as_u64(), v["restored_best_weights"].as_bool()),
        (Some(1), Some(true))
    );
    let v = train_json(&[&args[..], &["--no-restore-best"]].concat());
    assert_eq!(
        (v["best_epoch"].as_u64(), v["restored_best_weights"].as_bool()),
        (Some(1), Some(false))
    );
    let v = train_json(&["--data", &digits, "--epochs", "1", "--val-fraction", "0"]);
    assert_eq!(
        (v["best_epoch"].as_u64(), v["restored_best_weights"].as_bool()),
        (None, Some(false))
    );
}

#[test]
fn header_csv_with_target() {
    let v = train_json(&[
        "--data",
        &data("chd_age.csv"),
        "--target",
        "chd",
        "--model",
        "logreg",
        "--epochs",
        "5",
        "--val-fraction",
        "0",
    ]);
    assert_eq!(v["n_params"], 4, "one feature, two classes: a 2x1 weight and 2 biases");
    assert_eq!((v["n_train"].as_u64(), v["n_test"].as_u64()), (Some(26), Some(7)));
}

#[test]
fn bad_arguments_exit_2_with_a_message() {
    let digits = data("digits.csv.gz");
    let cases: [(&[&str], &str); 8] = [
        (&["--data", &digits, "--model", "mlp:x"], "widths must be positive"),
        (&["--data", &digits, "--model", "resnet"], "expected logreg, mlp"),
        (&["--data", "no/such.csv"], "no such file"),
        (&["--data", &data("chd_age.csv"), "--target", "chd", "--model", "cnn"], "too small"),
        (&["--data", &data("chd_age.csv"), "--target", "nope"], "nope"),
        (&["--data", &data("lbw.csv"), "--target", "low", "--features", "age,nope"], "`nope`"),
        (&["--data", &data("chd_age.csv")], "needs --target"),
        (&["--data", &digits, "--epochs", "0"], "at least 1"),
    ];
    for (args, message) in cases {
        let out = axon(&[&["train"][..], args].concat());
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.starts_with("axon: ") && stderr.contains(message), "{args:?}: {stderr}");
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
    }
    let out = axon(&["train", "--data", &digits, "--optimizer", "lbfgs"]);
    assert_eq!(out.status.code(), Some(2), "clap usage errors exit 2 too");
}

/// The `<polyline>`s of an SVG drawn in `stroke` colour, as their numbers of points.
fn polylines(svg: &str, stroke: &str) -> Vec<usize> {
    svg.split("<polyline")
        .skip(1)
        .map(|p| p.split("/>").next().unwrap())
        .filter(|p| p.contains(&format!("stroke=\"{stroke}\"")))
        .map(|p| {
            let points = p.split("points=\"").nth(1).unwrap().split('"').next().unwrap();
            points.split_whitespace().count()
        })
        .collect()
}

#[test]
fn training_curves_are_drawn_beside_the_model() {
    let dir = temp_dir("curves");
    let out = dir.join("digits.axon");
    let digits = data("digits.csv.gz");
    let args = ["--data", &digits, "--model", "mlp:16", "--epochs", "5", "--seed", "1"];
    train_json(&[&args[..], &["--out", out.to_str().unwrap()]].concat());
    let svg = std::fs::read_to_string(dir.join("digits.axon.curves.svg")).unwrap();
    assert!(svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"));
    assert_eq!(svg.matches("<svg").count(), 1);
    assert_eq!(svg.matches("<text").count(), svg.matches("</text>").count());
    for text in ["axon train: mlp:16 on digits.csv.gz", "loss", "accuracy", "epoch", "validation"] {
        assert!(svg.contains(text), "the SVG names `{text}`");
    }
    // Train (blue) and validation (orange): one 5-point line per panel, one legend swatch each.
    for colour in ["#1F77B4", "#FF7F0E"] {
        let mut lines = polylines(&svg, colour);
        lines.sort_unstable();
        assert_eq!(lines, [2, 2, 5, 5], "{colour}");
    }
    assert!(svg.contains("test, final model"), "the test accuracy is marked");

    // One epoch, no validation set, to a path of one's own: still a plot, with 1-point lines.
    let plot = dir.join("one.svg");
    let one = ["--epochs", "1", "--val-fraction", "0", "--plot", plot.to_str().unwrap()];
    train_json(&[&args[..4], &one[..]].concat());
    let svg = std::fs::read_to_string(&plot).unwrap();
    assert!(svg.starts_with("<svg"));
    let mut lines = polylines(&svg, "#1F77B4");
    lines.sort_unstable();
    assert_eq!(lines, [1, 1, 2, 2]);
    assert!(polylines(&svg, "#FF7F0E").is_empty(), "no validation curve without validation rows");
    assert!(!svg.contains("validation"));
}

#[test]
fn a_model_file_whose_architecture_disagrees_with_its_weights_allocates_nothing() {
    let dir = temp_dir("tampered");
    let out = dir.join("digits.axon");
    let digits = data("digits.csv.gz");
    let args = ["--data", &digits, "--model", "mlp:8", "--epochs", "1"];
    train_json(&[&args[..], &["--out", out.to_str().unwrap()]].concat());
    let file = load(&out);
    // The description says a hidden layer of 2³¹ (about 160 GB to build), or one of 9 beside
    // stored weights of 8: both are refused before the network is built.
    for (hidden, message) in [
        (
            2147483648usize,
            "`0.weight` is [8, 64] in the file, [2147483648, 64] in the architecture",
        ),
        (9, "`0.weight` is [8, 64] in the file, [9, 64] in the architecture"),
    ] {
        let mut metadata = file.metadata.clone();
        let mut description: Value = serde_json::from_str(&metadata["axon"]).unwrap();
        description["model"]["architecture"]["hidden"] = serde_json::json!([hidden]);
        metadata.insert("axon".into(), description.to_string());
        let bad = dir.join(format!("bad{hidden}.axon"));
        axon::io::save_safetensors(&bad, &file.tensors, &metadata).unwrap();
        let err = error(&["predict", "--model", bad.to_str().unwrap(), "--data", &digits]);
        assert!(err.contains(message), "{hidden}: {err}");
    }
}
