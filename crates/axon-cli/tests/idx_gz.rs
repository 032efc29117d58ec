//! Gzipped IDX files through the command line, as Fashion-MNIST ships them: `axon train`,
//! `eval` and `predict` on a folder of `*-ubyte.gz` files (a committed 200 + 50 image excerpt of
//! Fashion-MNIST, `tests/fixtures/fashion-idx-small`, made by
//! `scripts/reference/make_idx_fixture.py`). The gzipped folder gives the run the same folder
//! gunzipped gives, bit for bit, eval's confusion matrix counts the labels the test file holds,
//! and a truncated file is an error naming it.

mod common;

use std::io::Read;
use std::path::{Path, PathBuf};

use common::{error, ok_json, ok_stdout, temp_dir, train_json};

const FIXTURE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/fashion-idx-small");
const NAMES: [&str; 4] = [
    "train-images-idx3-ubyte",
    "train-labels-idx1-ubyte",
    "t10k-images-idx3-ubyte",
    "t10k-labels-idx1-ubyte",
];

/// The bytes of the fixture's file `name`, gunzipped.
fn gunzipped(name: &str) -> Vec<u8> {
    let file = std::fs::File::open(Path::new(FIXTURE).join(format!("{name}.gz"))).unwrap();
    let mut bytes = Vec::new();
    flate2::read::GzDecoder::new(file).read_to_end(&mut bytes).unwrap();
    bytes
}

/// The fixture gunzipped into `dir/plain`.
fn plain_copy(dir: &Path) -> PathBuf {
    let plain = dir.join("plain");
    std::fs::create_dir_all(&plain).unwrap();
    for name in NAMES {
        std::fs::write(plain.join(name), gunzipped(name)).unwrap();
    }
    plain
}

#[test]
fn gzipped_idx_folder_trains_evaluates_and_predicts() {
    let dir = temp_dir("idx-gz");
    let (model, plain_model) = (dir.join("gz.axon"), dir.join("plain.axon"));
    let plain = plain_copy(&dir);
    let run = |data: &str, out: &Path| {
        let args = ["--data", data, "--model", "mlp:32", "--epochs", "10", "--seed", "0"];
        train_json(&[&args[..], &["--out", out.to_str().unwrap()]].concat())
    };
    let gz = run(FIXTURE, &model);
    assert_eq!((gz["n_train"].as_u64(), gz["n_val"].as_u64()), (Some(180), Some(20)));
    assert_eq!(gz["n_test"], 50);
    assert_eq!(gz["model"]["inputs"], 784);
    let unzipped = run(plain.to_str().unwrap(), &plain_model);
    for key in ["test_accuracy", "test_log_loss", "final_train_loss", "final_val_accuracy"] {
        assert_eq!(gz[key], unzipped[key], "{key}: gzipped vs plain files");
    }
    // Fashion-MNIST is learnable from 180 images: well above the 10% of chance.
    assert!(gz["test_accuracy"].as_f64().unwrap() >= 0.3, "{}", gz["test_accuracy"]);

    // eval scores the 50 test images; its confusion matrix's rows count the test labels.
    let m = model.to_str().unwrap();
    let report = ok_json(&["eval", "--model", m, "--data", FIXTURE, "--json"]);
    assert_eq!(report["n_samples"], 50);
    let labels = gunzipped("t10k-labels-idx1-ubyte");
    assert_eq!(labels[..4], [0, 0, 8, 1], "IDX label magic");
    let mut counts = [0u64; 10];
    labels[8..].iter().for_each(|&l| counts[l as usize] += 1);
    let rows: Vec<u64> = (report["confusion"].as_array().unwrap().iter())
        .map(|r| r.as_array().unwrap().iter().map(|v| v.as_u64().unwrap()).sum())
        .collect();
    assert_eq!(rows, counts);
    let correct: u64 = (0..10).map(|k| report["confusion"][k][k].as_u64().unwrap()).sum();
    assert_eq!(report["accuracy"].as_f64().unwrap(), correct as f64 / 50.0);
    assert_eq!(report["accuracy"], gz["test_accuracy"], "eval on the test files is train's test");
    // predict: one row per test image.
    let out = ok_stdout(&["predict", "--model", m, "--data", FIXTURE]);
    assert_eq!(out.lines().count(), 51);
}

#[test]
fn a_truncated_gzipped_idx_file_is_an_error_naming_it() {
    let dir = temp_dir("idx-gz-bad");
    for name in NAMES {
        let file = format!("{name}.gz");
        std::fs::copy(Path::new(FIXTURE).join(&file), dir.join(&file)).unwrap();
    }
    let images = dir.join("train-images-idx3-ubyte.gz");
    let bytes = std::fs::read(&images).unwrap();
    std::fs::write(&images, &bytes[..bytes.len() / 2]).unwrap();
    let err = error(&["train", "--data", dir.to_str().unwrap(), "--model", "mlp:8", "--quiet"]);
    assert!(err.contains("train-images-idx3-ubyte.gz"), "{err}");
}
