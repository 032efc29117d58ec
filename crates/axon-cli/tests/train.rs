//! `axon train` end to end on `data/digits.csv.gz` (1797 8×8 images, no header, label last):
//! an MLP and the CNN learn (test accuracy above a bound), the `--json` object has its fields,
//! a fixed seed with one thread repeats the run exactly and another seed does not, the model
//! file and `<out>.run.json` record are written with what rebuilds and audits the run, the
//! `<out>.curves.svg` training curves are drawn (one line per series, also for one epoch), a
//! checkpointed run resumes to the same result, and bad arguments exit with 2 and `axon: ...`.

mod common;

use std::path::Path;

use common::{axon, data, temp_dir, train_json};
use serde_json::Value;

const MLP: [&str; 8] = ["--model", "mlp:64", "--epochs", "8", "--lr", "0.01", "--seed", "3"];

#[test]
fn mlp_learns_digits_and_reports_json() {
    let digits = data("digits.csv.gz");
    let v = train_json(&[&["--data", &digits][..], &MLP].concat());
    let accuracy = v["test_accuracy"].as_f64().unwrap();
    assert!(accuracy >= 0.95, "test accuracy {accuracy}");
    let log_loss = v["test_log_loss"].as_f64().unwrap();
    assert!(log_loss > 0.0 && log_loss < 0.3, "test log loss {log_loss}");
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
    assert!(accuracy >= 0.85, "cnn test accuracy {accuracy}");
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

#[test]
fn checkpoint_resume_gives_the_uninterrupted_result() {
    let dir = temp_dir("resume");
    let digits = data("digits.csv.gz");
    let base = ["--data", &digits, "--model", "mlp:32", "--lr", "0.01", "--seed", "5"];
    let full = train_json(&[&base[..], &["--epochs", "4"]].concat());
    let ckpt = dir.join("run.ckpt");
    let ckpt = ckpt.to_str().unwrap();
    let first = train_json(&[&base[..], &["--epochs", "2", "--checkpoint", ckpt]].concat());
    assert_eq!(first["epochs"], 2);
    let resumed =
        train_json(&[&base[..], &["--epochs", "4", "--checkpoint", ckpt, "--resume"]].concat());
    assert_eq!(resumed["epochs"], 4);
    assert_eq!(resumed["test_log_loss"], full["test_log_loss"]);
    assert_eq!(resumed["final_train_loss"], full["final_train_loss"]);
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
        (&["--data", &data("lbw.csv"), "--target", "low"], "not numeric"),
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
