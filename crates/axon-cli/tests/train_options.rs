//! `axon train`'s options for a student of the lectures, each shown to change what is trained
//! or predicted in a way checked against an independent computation:
//!
//! - `--features`/`--drop`/`--categorical`: a table's text and categorical columns become 0/1
//!   columns by the encoder `axon fit` uses, saved with the network, so that `axon predict` and
//!   `axon eval` encode new rows (columns in any order) the same way; an unseen level is an error;
//! - a feature that alone separates the classes (`bwt`, and the sorted `id`, on `lbw.csv`) is
//!   warned about on stderr by name;
//! - `--activation leaky-relu:0.1`, `--dropout`, `--batch-norm` and `--output sigmoid`: the
//!   predictions of the saved model equal a forward pass computed here by hand from its stored
//!   tensors (the slope given, no dropout mask, batch norm with the saved running statistics,
//!   one sigmoid unit), and the model file records each;
//! - `--scheduler`: the learning rate of every epoch in the run record and on its line is the
//!   formula's, also after resuming from a checkpoint;
//! - `--class-weight balanced`: the training loss is the weighted one, computed here by hand;
//! - `--nesterov` changes the run and is recorded;
//! - bad values are errors naming the flag.

mod common;

use std::collections::HashMap;
use std::fs;
use std::path::Path;

use axon::nn::{Architecture, Module, NetworkClassifier, Output};
use common::{axon, data, error, ok_stdout, predictions, temp_dir, train_json};
use serde_json::Value;

/// `axon train` on `lbw.csv` for `low` without the two leaking columns, with `extra` flags,
/// saved to `out`; the `--json` summary.
fn train_lbw(out: &Path, extra: &[&str]) -> Value {
    let lbw = data("lbw.csv");
    let out = out.to_str().unwrap();
    let base = ["--data", &lbw, "--target", "low", "--drop", "id,bwt", "--out", out];
    let common = ["--model", "mlp:6", "--epochs", "4", "--lr", "0.01", "--seed", "5"];
    train_json(&[&base[..], &common, extra].concat())
}

/// The tensors (parameters and buffers) of a saved network by name, as f64.
fn tensors(net: &NetworkClassifier) -> HashMap<String, Vec<f64>> {
    let params = net.net.parameters().into_iter().map(|(n, p)| (n, p.value().to_f64_vec()));
    let buffers = net.net.buffers().into_iter().map(|(n, b)| (n, b.value().to_f64_vec()));
    params.chain(buffers).collect()
}

/// `W x + b` for the stored `{i}.weight` (out, in) and `{i}.bias`.
fn linear(t: &HashMap<String, Vec<f64>>, i: usize, x: &[f64]) -> Vec<f64> {
    let (w, b) = (&t[&format!("{i}.weight")], &t[&format!("{i}.bias")]);
    b.iter()
        .enumerate()
        .map(|(o, b)| b + (0..x.len()).map(|j| w[o * x.len() + j] * x[j]).sum::<f64>())
        .collect()
}

/// The class probabilities of one encoded, unscaled row, by hand: scaling, then every layer
/// of an MLP as its architecture says, in evaluation mode.
fn forward_by_hand(net: &NetworkClassifier, encoded: &[f64]) -> Vec<f64> {
    let Architecture::Mlp { hidden, negative_slope, dropout, batch_norm, output, .. } =
        &net.architecture
    else {
        panic!("an mlp");
    };
    let t = tensors(net);
    let Some(axon::data::Scaling::Standardize { mean, std }) = &net.scaling else {
        panic!("standardised");
    };
    let mut x: Vec<f64> =
        encoded.iter().zip(mean).zip(std).map(|((v, m), s)| ((v - m) / s) as f32 as f64).collect();
    let per_layer = 2 + usize::from(*batch_norm) + usize::from(*dropout > 0.0);
    let slope = negative_slope.expect("a leaky relu");
    for layer in 0..hidden.len() {
        let i = per_layer * layer;
        x = linear(&t, i, &x);
        if *batch_norm {
            let bn = |k: &str| &t[&format!("{}.{k}", i + 1)];
            let (rm, rv, g, b) = (bn("running_mean"), bn("running_var"), bn("weight"), bn("bias"));
            x = (0..x.len())
                .map(|c| (x[c] - rm[c]) / (rv[c] + 1e-5).sqrt() * g[c] + b[c])
                .collect();
        }
        x = x.iter().map(|&h| if h > 0.0 { h } else { slope * h }).collect();
    }
    let z = linear(&t, per_layer * hidden.len(), &x);
    match output {
        Output::Sigmoid => {
            assert_eq!(z.len(), 1, "one output unit");
            let p1 = 1.0 / (1.0 + (-z[0]).exp());
            vec![1.0 - p1, p1]
        }
        Output::Softmax => {
            let m = z.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
            let e: Vec<f64> = z.iter().map(|v| (v - m).exp()).collect();
            e.iter().map(|v| v / e.iter().sum::<f64>()).collect()
        }
    }
}

/// Rows in another column order than the training file, with each race level.
const NEW_ROWS: &str = "race,ftv,ui,ht,ptl,smoke,lwt,age,low\n\
                        black,0,1,0,0,0,182,19,0\n\
                        other,3,0,0,1,1,100,33,1\n\
                        white,1,0,1,0,1,135,25,0\n";

/// The encoded columns of `NEW_ROWS` (age, lwt, race[black|other|white], smoke, ptl, ht, ui,
/// C(ftv)[T.1..]) when `ftv` is categorical: levels 0, 1, 2, 3, 4, 6.
fn encoded_new_rows() -> Vec<Vec<f64>> {
    let ftv =
        |v: usize| [1, 2, 3, 4, 6].iter().map(|&l| f64::from(u8::from(l == v))).collect::<Vec<_>>();
    let row =
        |age: f64, lwt: f64, race: usize, smoke: f64, ptl: f64, ht: f64, ui: f64, f: usize| {
            let mut r = vec![age, lwt];
            r.extend((0..3).map(|k| f64::from(u8::from(k == race))));
            r.extend([smoke, ptl, ht, ui]);
            r.extend(ftv(f));
            r
        };
    vec![
        row(19.0, 182.0, 0, 0.0, 0.0, 0.0, 1.0, 0),
        row(33.0, 100.0, 1, 1.0, 1.0, 0.0, 0.0, 3),
        row(25.0, 135.0, 2, 1.0, 0.0, 1.0, 0.0, 1),
    ]
}

/// `axon predict --proba` of `rows` (a CSV text) with the model in `model`.
fn predict_proba(dir: &Path, model: &Path, rows: &str) -> Vec<Vec<f64>> {
    let csv = dir.join("new.csv");
    fs::write(&csv, rows).unwrap();
    let args = ["predict", "--model", model.to_str().unwrap(), "--data", csv.to_str().unwrap()];
    let out = ok_stdout(&[&args[..], &["--proba"]].concat());
    predictions(&out).1.into_iter().map(|(_, p)| p).collect()
}

fn assert_close(got: &[Vec<f64>], want: &[Vec<f64>], tol: f64) {
    for (g, w) in got.iter().zip(want) {
        for (a, b) in g.iter().zip(w) {
            assert!((a - b).abs() < tol, "got {got:?}, by hand {want:?}");
        }
    }
    assert_eq!(got.len(), want.len());
}

#[test]
fn categorical_columns_are_encoded_as_fit_does_and_predict_encodes_new_rows_alike() {
    let dir = temp_dir("train-categorical");
    let model = dir.join("lbw.axon");
    let v = train_lbw(&model, &["--categorical", "ftv", "--activation", "leaky-relu:0.1"]);
    // age, lwt, race (3 levels), smoke, ptl, ht, ui, ftv (6 levels, the first dropped).
    assert_eq!(v["model"]["inputs"], 14);
    let net = NetworkClassifier::load(&model).unwrap();
    let names = net.encoder.as_ref().expect("an encoder in the model file").names().to_vec();
    let want = ["age", "lwt", "race[black]", "race[other]", "race[white]", "smoke", "ptl", "ht"];
    assert_eq!(names[..8], want);
    assert_eq!(
        names[9..],
        ["C(ftv)[T.1]", "C(ftv)[T.2]", "C(ftv)[T.3]", "C(ftv)[T.4]", "C(ftv)[T.6]"]
    );
    let Architecture::Mlp { negative_slope, .. } = &net.architecture else { panic!("an mlp") };
    assert_eq!(*negative_slope, Some(0.1), "the slope given is recorded");
    // The saved model's predictions are the hand-computed forward pass with slope 0.1 ...
    let got = predict_proba(&dir, &model, NEW_ROWS);
    let by_hand: Vec<Vec<f64>> =
        encoded_new_rows().iter().map(|r| forward_by_hand(&net, r)).collect();
    assert_close(&got, &by_hand, 1e-5);
    // ... and not the one with PyTorch's default slope: the slope matters on these rows.
    let mut default = NetworkClassifier::load(&model).unwrap();
    if let Architecture::Mlp { negative_slope, .. } = &mut default.architecture {
        *negative_slope = Some(0.01);
    }
    let other: Vec<Vec<f64>> =
        encoded_new_rows().iter().map(|r| forward_by_hand(&default, r)).collect();
    assert!(got.iter().zip(&other).any(|(g, o)| (g[1] - o[1]).abs() > 1e-4), "{got:?} {other:?}");
    // eval reads the same rows with their classes.
    let csv = dir.join("new.csv");
    let eval = ["eval", "--model", model.to_str().unwrap(), "--data", csv.to_str().unwrap()];
    assert!(ok_stdout(&eval).contains("(3 rows)"));
    // A level the training rows did not have is an error naming it.
    let unseen = NEW_ROWS.replace("black,0", "asian,0");
    fs::write(&csv, unseen).unwrap();
    let predict = ["predict", "--model", model.to_str().unwrap(), "--data", csv.to_str().unwrap()];
    let err = error(&predict);
    assert!(err.contains("asian") && err.contains("race"), "{err}");
}

#[test]
fn features_selects_columns_in_order() {
    let dir = temp_dir("train-features");
    let model = dir.join("lbw.axon");
    let lbw = data("lbw.csv");
    let args = ["--data", &lbw, "--target", "low", "--features", "race,age", "--model", "logreg"];
    let v = train_json(&[&args[..], &["--epochs", "1", "--out", model.to_str().unwrap()]].concat());
    assert_eq!(v["model"]["inputs"], 4);
    let net = NetworkClassifier::load(&model).unwrap();
    let names = net.encoder.unwrap().names().to_vec();
    assert_eq!(names, ["race[black]", "race[other]", "race[white]", "age"]);
    // The features leave out bwt: no leakage warning.
    assert_eq!(v["warnings"], Value::Array(vec![]));
}

#[test]
fn a_feature_that_defines_the_target_is_warned_about() {
    let lbw = data("lbw.csv");
    let run = |drop: &str| {
        let args = ["train", "--data", &lbw, "--target", "low", "--drop", drop, "--epochs", "1"];
        let out = axon(&[&args[..], &["--model", "logreg", "--quiet"]].concat());
        assert!(out.status.success());
        String::from_utf8(out.stderr).unwrap()
    };
    // `bwt` (birth weight < 2500 g defines `low`) separates the classes exactly.
    let warned = run("id");
    assert!(warned.contains("warning: the feature `bwt` (AUC 1.0000) alone separates"), "{warned}");
    assert!(warned.contains("--drop bwt"), "{warned}");
    assert!(!warned.contains("`age`"), "{warned}");
    // The file is sorted by `low`, so its `id` does too.
    assert!(run("bwt").contains("`id` (AUC 1.0000)"));
    assert!(!run("id,bwt").contains("warning"));
    // In the JSON summary too.
    let v = train_json(&["--data", &lbw, "--target", "low", "--epochs", "1", "--model", "logreg"]);
    let warnings = v["warnings"].to_string();
    assert!(warnings.contains("`id`") && warnings.contains("`bwt`"), "{warnings}");
}

#[test]
fn dropout_is_off_and_batch_norm_uses_running_statistics_at_prediction() {
    let dir = temp_dir("train-dropout-bn");
    let model = dir.join("lbw.axon");
    let extra = ["--categorical", "ftv", "--activation", "leaky-relu", "--dropout", "0.5"];
    let v = train_lbw(&model, &[&extra[..], &["--batch-norm"]].concat());
    assert_eq!(v["model"]["dropout"], 0.5);
    assert_eq!(v["model"]["batch_norm"], true);
    assert_eq!(v["model"]["negative_slope"], 0.01, "the default slope, recorded");
    let net = NetworkClassifier::load(&model).unwrap();
    assert!(!net.net.is_training());
    let t = tensors(&net);
    // Trained running statistics were saved (not the initial 0 and 1).
    assert!(t["1.running_mean"].iter().all(|m| *m != 0.0), "{:?}", t["1.running_mean"]);
    assert!(t["1.running_var"].iter().all(|v| *v != 1.0), "{:?}", t["1.running_var"]);
    // Linear, BatchNorm1d, LeakyReLU, Dropout, Linear.
    let layers: Vec<&str> = ["0.weight", "1.weight", "4.weight"].to_vec();
    assert!(layers.iter().all(|n| t.contains_key(*n)), "{:?}", t.keys());
    let got = predict_proba(&dir, &model, NEW_ROWS);
    let by_hand: Vec<Vec<f64>> =
        encoded_new_rows().iter().map(|r| forward_by_hand(&net, r)).collect();
    assert_close(&got, &by_hand, 1e-5);
    // Twice the same: no dropout mask at prediction.
    assert_eq!(predict_proba(&dir, &model, NEW_ROWS), got);
    // summary names every choice.
    let summary = ok_stdout(&["summary", model.to_str().unwrap()]);
    assert!(
        summary.contains("mlp:6 on 14 features, leaky-relu (slope 0.01), batch norm, dropout 0.5"),
        "{summary}"
    );
}

#[test]
fn sigmoid_output_has_one_unit_and_predicts_by_hand() {
    let dir = temp_dir("train-sigmoid");
    let model = dir.join("lbw.axon");
    let extra = ["--categorical", "ftv", "--activation", "leaky-relu:0.2", "--output", "sigmoid"];
    let v = train_lbw(&model, &extra);
    assert_eq!(v["model"]["output"], "sigmoid");
    // 14·6 + 6 hidden, 6 + 1 out.
    assert_eq!(v["n_params"], 14 * 6 + 6 + 6 + 1);
    let net = NetworkClassifier::load(&model).unwrap();
    assert_eq!(tensors(&net)["2.weight"].len(), 6, "one output unit of 6 weights");
    let got = predict_proba(&dir, &model, NEW_ROWS);
    let by_hand: Vec<Vec<f64>> =
        encoded_new_rows().iter().map(|r| forward_by_hand(&net, r)).collect();
    assert_close(&got, &by_hand, 1e-5);
    for p in &got {
        assert!((p[0] + p[1] - 1.0).abs() < 1e-12);
    }
    // The log-odds are the unit's logit: p₁ = σ(z).
    let csv = dir.join("new.csv");
    let args = ["predict", "--model", model.to_str().unwrap(), "--data", csv.to_str().unwrap()];
    let out = ok_stdout(&[&args[..], &["--proba", "--log-odds"]].concat());
    for (_, row) in predictions(&out).1 {
        assert!((row[1] - 1.0 / (1.0 + (-row[2]).exp())).abs() < 1e-12, "{row:?}");
    }
    let summary = ok_stdout(&["summary", model.to_str().unwrap()]);
    assert!(summary.contains("sigmoid output"), "{summary}");
}

#[test]
fn scheduler_rates_per_epoch_are_the_formulas() {
    let dir = temp_dir("train-scheduler");
    let digits = data("digits.csv.gz");
    /// The rate of epoch `e` (from 0) with `--lr 0.01 --epochs 5`.
    type Formula = fn(f64) -> f64;
    let cases: [(&str, Formula); 4] = [
        ("step:2:0.5", |e| 0.01 * 0.5f64.powi((e / 2.0).floor() as i32)),
        ("step:3", |e| 0.01 * 0.1f64.powi((e / 3.0).floor() as i32)),
        ("cosine", |e| 0.01 * (1.0 + (std::f64::consts::PI * e / 5.0).cos()) / 2.0),
        ("warmup:3", |e| 0.01 * ((e + 1.0) / 4.0).min(1.0)),
    ];
    for (spec, formula) in cases {
        let out = dir.join("m.axon");
        let args = ["train", "--data", &digits, "--model", "logreg", "--epochs", "5"];
        let more = ["--lr", "0.01", "--scheduler", spec, "--out", out.to_str().unwrap()];
        let run = axon(&[&args[..], &more].concat());
        assert!(run.status.success(), "{spec}");
        let stderr = String::from_utf8(run.stderr).unwrap();
        let record: Value =
            serde_json::from_str(&fs::read_to_string(dir.join("m.axon.run.json")).unwrap())
                .unwrap();
        let epochs = record["epochs"].as_array().unwrap();
        assert_eq!(epochs.len(), 5);
        for (e, m) in epochs.iter().enumerate() {
            let (got, want) = (m["learning_rate"].as_f64().unwrap(), formula(e as f64));
            assert!((got - want).abs() < 1e-15, "{spec} epoch {e}: {got} vs {want}");
            let line = format!("epoch {:>3}  lr {want:.6e}", e + 1);
            assert!(stderr.contains(&line), "{spec}: no `{line}` in {stderr}");
        }
        assert_eq!(record["settings"]["scheduler"]["kind"], spec.split(':').next().unwrap());
    }
    // A run stopped after epoch 2 and resumed runs epochs 3 to 5 at the same rates.
    let checkpoint = dir.join("c.ckpt");
    let out = dir.join("r.axon");
    let args = ["train", "--data", &digits, "--model", "logreg", "--lr", "0.01", "--quiet"];
    let more = ["--scheduler", "step:2:0.5", "--checkpoint", checkpoint.to_str().unwrap()];
    let first = axon(&[&args[..], &more, &["--epochs", "2"]].concat());
    assert!(first.status.success());
    let rest = ["--epochs", "5", "--resume", "--out", out.to_str().unwrap()];
    assert!(axon(&[&args[..], &more, &rest].concat()).status.success());
    let record: Value =
        serde_json::from_str(&fs::read_to_string(dir.join("r.axon.run.json")).unwrap()).unwrap();
    let rates: Vec<f64> = record["epochs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["learning_rate"].as_f64().unwrap())
        .collect();
    assert_eq!(rates, [0.01, 0.01, 0.005, 0.005, 0.0025]);
}

/// A two-feature table where every class-0 row is `x = 0` and every class-1 row `x = 1`
/// (40 rows, 32 of class 0), so that the model's loss on a row depends only on its class.
fn two_point_data(dir: &Path) -> String {
    let mut csv = String::from("x,y\n");
    for i in 0..40 {
        let y = usize::from(i % 5 == 0);
        csv.push_str(&format!("{y},{y}\n"));
    }
    let path = dir.join("two.csv");
    fs::write(&path, csv).unwrap();
    path.to_str().unwrap().to_owned()
}

#[test]
fn balanced_class_weights_give_the_weighted_loss() {
    let dir = temp_dir("train-class-weight");
    let data = two_point_data(&dir);
    let model = dir.join("w.axon");
    for output in ["softmax", "sigmoid"] {
        // One full batch, no validation rows, a step too small to move the numbers: the epoch's
        // training loss is the loss of the saved model's predictions.
        let args = ["--data", &data, "--target", "y", "--model", "logreg", "--epochs", "1"];
        let more = ["--batch-size", "100", "--val-fraction", "0", "--optimizer", "sgd"];
        let fixed = ["--lr", "1e-9", "--seed", "2", "--output", output, "--out"];
        let base = [&args[..], &more, &fixed, &[model.to_str().unwrap()]].concat();
        let plain = train_json(&base)["final_train_loss"].as_f64().unwrap();
        let p = predict_proba(&dir, &model, "x,y\n0,0\n1,1\n");
        let (l0, l1) = (-p[0][0].ln(), -p[1][1].ln());
        assert!((l0 - l1).abs() > 0.01, "{output}: the classes' losses must differ");
        let weighted = train_json(&[&base[..], &["--class-weight", "balanced"]].concat());
        // n / (2 n_k) of the training rows' class counts, which sum to 32.
        let w = weighted["class_weights"].as_array().unwrap();
        let (w0, w1) = (w[0].as_f64().unwrap(), w[1].as_f64().unwrap());
        let n0 = 32.0 / (2.0 * w0);
        assert!((n0 - n0.round()).abs() < 1e-9 && (32.0 / (2.0 * w1) + n0 - 32.0).abs() < 1e-9);
        let weighted = weighted["final_train_loss"].as_f64().unwrap();
        // Σ w_y ℓ_y / Σ w_y with w_k = n / (2 n_k): each class counts as much as the other.
        assert!((weighted - (l0 + l1) / 2.0).abs() < 1e-5, "{output}: {weighted} {l0} {l1}");
        // Unweighted: (n₀ ℓ₀ + n₁ ℓ₁) / n, with a whole number of class-1 training rows.
        let n = 32.0;
        let n1 = n * (plain - l0) / (l1 - l0);
        assert!((n1 - n1.round()).abs() < 1e-3 && n1.round() > 0.0, "{output}: n1 = {n1}");
        assert!((plain - weighted).abs() > 1e-3, "{output}");
        let record: Value =
            serde_json::from_str(&fs::read_to_string(dir.join("w.axon.run.json")).unwrap())
                .unwrap();
        assert_eq!(record["settings"]["class_weight"], "balanced");
    }
}

#[test]
fn nesterov_changes_the_run_and_is_recorded() {
    let dir = temp_dir("train-nesterov");
    let digits = data("digits.csv.gz");
    let out = dir.join("n.axon");
    let args = ["--data", &digits, "--model", "logreg", "--epochs", "2", "--optimizer", "sgd"];
    let args = [&args[..], &["--momentum", "0.9", "--out", out.to_str().unwrap()]].concat();
    let plain = train_json(&args);
    let nesterov = train_json(&[&args[..], &["--nesterov"]].concat());
    assert_ne!(plain["test_log_loss"], nesterov["test_log_loss"]);
    let record: Value =
        serde_json::from_str(&fs::read_to_string(dir.join("n.axon.run.json")).unwrap()).unwrap();
    assert_eq!(record["settings"]["nesterov"], true);
}

#[test]
fn bad_values_name_their_flag() {
    let lbw = data("lbw.csv");
    let train = ["train", "--data", &lbw, "--target", "low", "--epochs", "1"];
    let cases: [(&[&str], &str); 10] = [
        (&["--dropout", "1.5"], "--dropout"),
        (&["--dropout", "x"], "--dropout"),
        (&["--activation", "leaky-relu:x"], "--activation"),
        (&["--activation", "relu:0.1"], "--activation"),
        (&["--scheduler", "foo"], "--scheduler"),
        (&["--scheduler", "step:0"], "--scheduler"),
        (&["--nesterov"], "--nesterov"),
        (&["--drop", "nope"], "--drop"),
        (&["--model", "logreg", "--dropout", "0.2"], "--dropout"),
        // 135 training rows: a last batch of 1 row has no variance for batch norm.
        (&["--drop", "id,bwt", "--batch-norm", "--batch-size", "67"], "--batch-size"),
    ];
    for (extra, flag) in cases {
        // A value clap rejects (`error: invalid value ... for '--dropout <P>'`) or one the
        // command rejects (`axon: --drop nope: ...`): exit code 2 either way.
        let out = axon(&[&train[..], extra].concat());
        assert_eq!(out.status.code(), Some(2), "{extra:?}");
        let err = String::from_utf8(out.stderr).unwrap();
        assert!(err.contains(flag), "{extra:?}: {err}");
    }
    // A single sigmoid unit is for two classes; `race` has three.
    let race = ["train", "--data", &lbw, "--target", "race", "--drop", "id", "--output", "sigmoid"];
    let err = error(&race);
    assert!(err.contains("--output sigmoid") && err.contains("has 3"), "{err}");
}
