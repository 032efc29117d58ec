//! Model files: a fitted linear model saved as a `.axon` (safetensors) file and loaded back
//! predicts exactly what it predicted before, from raw data rows, for logit, probit and softmax;
//! files that are not axon models (missing, truncated, foreign safetensors, another format) are
//! refused with an error naming the file, and a failed save leaves the old file in place.

use axon::data::{
    read_csv, read_sklearn_csv, Column, Design, DesignSpec, Frame, ReadOptions, SklearnData,
};
use axon::io::{load_safetensors, save_safetensors, write_atomic};
use axon::linear::{
    fit_binary, fit_multinomial, fit_one_vs_rest, BinaryData, BinaryOptions, LinearKind,
    LinearModel, Link, MultinomialData, MultinomialOptions, Penalty,
};
use axon::{DType, Error, Tensor};
use faer::Mat;
use std::collections::BTreeMap;
use std::path::PathBuf;

fn data(name: &str) -> String {
    format!("{}/../../data/{name}", env!("CARGO_MANIFEST_DIR"))
}

/// A fresh, empty folder for one test's files.
fn scratch(test: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("axon-model-file-{}-{test}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn lbw_design(spec: DesignSpec) -> (Frame, Design) {
    let frame = read_csv(data("lbw.csv"), &ReadOptions::default()).unwrap();
    let design = Design::new(&frame, &spec).unwrap();
    (frame, design)
}

fn lbw_spec() -> DesignSpec {
    DesignSpec { standardize: true, ..DesignSpec::new("low") }
        .with_features(&["age", "lwt", "race", "smoke", "ptl", "ht", "ui"])
}

fn max_diff(a: &Mat<f64>, b: &Mat<f64>) -> f64 {
    assert_eq!((a.nrows(), a.ncols()), (b.nrows(), b.ncols()));
    let mut worst = 0.0f64;
    for i in 0..a.nrows() {
        for j in 0..a.ncols() {
            worst = worst.max((a[(i, j)] - b[(i, j)]).abs());
        }
    }
    worst
}

#[test]
fn binary_models_round_trip_through_a_file() {
    let dir = scratch("binary");
    for link in [Link::Logit, Link::Probit] {
        let (frame, design) = lbw_design(lbw_spec());
        let y = design.binary_target().unwrap();
        let fit_data = BinaryData::new(design.x.as_ref(), y, &design.names).unwrap();
        let fit = fit_binary(&fit_data, &BinaryOptions::new(link, Some(0))).unwrap();
        let settings = serde_json::json!({ "link": link.name(), "data": "lbw.csv" });
        let model = LinearModel::from_binary(&fit, design.encoder.clone(), settings).unwrap();

        // The model's probabilities from raw rows are the fit's own.
        let before = model.predict_proba(&frame).unwrap();
        let direct = fit.predict_proba(design.x.as_ref()).unwrap();
        for (i, p) in direct.iter().enumerate() {
            assert!((before[(i, 1)] - p).abs() < 1e-15 && (before[(i, 0)] + p - 1.0).abs() < 1e-15);
        }

        let path = dir.join(format!("{}.axon", link.name()));
        model.save(&path).unwrap();
        let loaded = LinearModel::load(&path).unwrap();
        assert_eq!(loaded.kind, model.kind);
        assert_eq!(loaded.encoder, model.encoder);
        assert_eq!(loaded.settings["data"], "lbw.csv");
        assert_eq!(max_diff(&loaded.predict_proba(&frame).unwrap(), &before), 0.0);
    }
}

#[test]
fn softmax_model_round_trips_and_names_its_classes() {
    let SklearnData { x, n, p, labels, classes } = read_sklearn_csv(data("iris.csv")).unwrap();
    let names = ["sepal_length", "sepal_width", "petal_length", "petal_width"];
    let mut columns: Vec<Column> =
        (0..p).map(|j| Column::Numeric((0..n).map(|i| x[i * p + j]).collect())).collect();
    let species: Vec<&str> = labels.iter().map(|&k| classes[k].as_str()).collect();
    columns.push(Column::categorical(&species));
    let mut col_names: Vec<String> = names.iter().map(|s| s.to_string()).collect();
    col_names.push("species".into());
    let frame = Frame::new(col_names, columns).unwrap();
    // Sepal measurements only: the full iris data is separable and has no MLE.
    let spec = DesignSpec::new("species").with_features(&["sepal_length", "sepal_width"]);
    let design = Design::new(&frame, &spec).unwrap();
    let y = design.class_indices();
    let mdata = MultinomialData::new(design.x.as_ref(), &y, &design.names).unwrap();
    let opts = MultinomialOptions { penalty: Penalty::L2(1.0), ..MultinomialOptions::new(Some(0)) };
    let fit = fit_multinomial(&mdata, &opts).unwrap();
    let model =
        LinearModel::from_multinomial(&fit, design.encoder.clone(), serde_json::json!({})).unwrap();
    assert_eq!(model.classes(), ["setosa", "versicolor", "virginica"]);

    let before = model.predict_proba(&frame).unwrap();
    assert!(max_diff(&before, &fit.predict_proba(design.x.as_ref()).unwrap()) < 1e-14);
    let path = scratch("softmax").join("iris.axon");
    model.save(&path).unwrap();
    let loaded = LinearModel::load(&path).unwrap();
    assert_eq!(loaded.kind, LinearKind::Softmax);
    assert_eq!(max_diff(&loaded.predict_proba(&frame).unwrap(), &before), 0.0);
}

#[test]
fn one_vs_rest_probabilities_are_normalised_sigmoids() {
    let (_, design) = lbw_design(DesignSpec::new("race").with_features(&["age", "lwt"]));
    let k = design.target.n_classes();
    assert_eq!(k, 3);
    let b = Mat::from_fn(3, k, |j, c| 0.01 * (j as f64 + 1.0) * (c as f64 - 1.0));
    let model =
        LinearModel::new(LinearKind::Ovr, design.encoder.clone(), b.clone(), serde_json::json!({}))
            .unwrap();
    let proba = model.predict_proba_design(design.x.as_ref()).unwrap();
    let sigmoid = |t: f64| 1.0 / (1.0 + (-t).exp());
    for i in [0, 50, 188] {
        let s: Vec<f64> = (0..k)
            .map(|c| sigmoid((0..3).map(|j| design.x[(i, j)] * b[(j, c)]).sum::<f64>()))
            .collect();
        let total: f64 = s.iter().sum();
        for c in 0..k {
            assert!((proba[(i, c)] - s[c] / total).abs() < 1e-15);
        }
    }
}

#[test]
fn one_vs_rest_fit_packs_into_a_model() {
    let (frame, design) = lbw_design(DesignSpec::new("race").with_features(&["age", "lwt"]));
    let y = design.class_indices();
    let data = MultinomialData::new(design.x.as_ref(), &y, &design.names).unwrap();
    let fit = fit_one_vs_rest(&data, &BinaryOptions::new(Link::Logit, Some(0))).unwrap();
    let model = LinearModel::from_ovr(&fit, design.encoder.clone(), serde_json::json!({})).unwrap();
    assert_eq!(model.kind, LinearKind::Ovr);
    assert_eq!((model.coefficients.nrows(), model.coefficients.ncols()), (3, 3));
    let want = fit.predict_proba(design.x.as_ref()).unwrap();
    assert!(max_diff(&model.predict_proba(&frame).unwrap(), &want) < 1e-14);
}

#[test]
fn coefficient_shapes_must_fit_the_kind() {
    let (_, design) = lbw_design(lbw_spec());
    let wrong = Mat::zeros(design.names.len(), 2);
    let err = LinearModel::new(LinearKind::Logit, design.encoder, wrong, serde_json::json!({}))
        .unwrap_err();
    assert!(err.to_string().contains("expected 9 × 1"), "{err}");
}

#[test]
fn files_that_are_not_axon_models_are_refused_by_name() {
    let dir = scratch("refused");
    let missing = dir.join("missing.axon");
    let err = LinearModel::load(&missing).unwrap_err();
    assert!(matches!(err, Error::Io { .. }) && err.to_string().contains("missing.axon"), "{err}");

    let garbage = dir.join("garbage.axon");
    std::fs::write(&garbage, b"id,low,age\n1,0,19\n").unwrap();
    let err = LinearModel::load(&garbage).unwrap_err().to_string();
    assert!(err.contains("garbage.axon") && err.contains("not a valid safetensors"), "{err}");

    // A real safetensors file (say, PyTorch weights) without axon's description.
    let foreign = dir.join("weights.safetensors");
    let w = Tensor::ones([2, 3], DType::F32);
    save_safetensors(&foreign, &[("layer.weight".into(), w)], &BTreeMap::new()).unwrap();
    let err = LinearModel::load(&foreign).unwrap_err().to_string();
    assert!(err.contains("not an axon model"), "{err}");

    // A truncated model file.
    let (_, design) = lbw_design(lbw_spec());
    let b = Mat::zeros(design.names.len(), 1);
    let model =
        LinearModel::new(LinearKind::Logit, design.encoder, b, serde_json::json!({})).unwrap();
    let good = dir.join("good.axon");
    model.save(&good).unwrap();
    let bytes = std::fs::read(&good).unwrap();
    let cut = dir.join("cut.axon");
    std::fs::write(&cut, &bytes[..bytes.len() - 20]).unwrap();
    let err = LinearModel::load(&cut).unwrap_err().to_string();
    assert!(err.contains("cut.axon"), "{err}");
}

#[test]
fn safetensors_round_trip_keeps_names_dtypes_shapes_and_metadata() {
    let path = scratch("tensors").join("t.safetensors");
    let a = Tensor::from_vec(vec![1.5f32, -2.0, 3.25, 0.0, 7.0, 8.5], [2, 3]).unwrap();
    let b = Tensor::from_vec(vec![1e-300f64, -0.0, f64::MAX], [3]).unwrap();
    let c = Tensor::from_vec(vec![3i64, -9], [2, 1]).unwrap();
    let at = a.t().unwrap(); // a strided view is written in row-major order
    let tensors = vec![("z.first".into(), at.clone()), ("a.second".into(), b), ("c".into(), c)];
    let meta = BTreeMap::from([("note".to_owned(), "hello".to_owned())]);
    save_safetensors(&path, &tensors, &meta).unwrap();
    let file = load_safetensors(&path).unwrap();
    assert_eq!(file.metadata, meta);
    let names: Vec<&str> = file.tensors.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["a.second", "c", "z.first"], "sorted by name");
    for (name, want) in &tensors {
        let got = file.tensor(name).unwrap();
        assert_eq!(want.dims(), got.dims());
        assert_eq!(want.dtype(), got.dtype());
        assert_eq!(want.to_f64_vec(), got.to_f64_vec());
    }
}

#[test]
fn atomic_write_replaces_whole_files_and_keeps_the_old_one_on_failure() {
    let dir = scratch("atomic");
    let path = dir.join("model.axon");
    write_atomic(&path, b"first").unwrap();
    write_atomic(&path, b"second").unwrap();
    assert_eq!(std::fs::read(&path).unwrap(), b"second");
    // Writing into a folder that does not exist fails and touches nothing else.
    let err = write_atomic(dir.join("no/such/dir/model.axon"), b"x").unwrap_err();
    assert!(err.to_string().contains("no/such/dir"), "{err}");
    let left: Vec<_> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(left, ["model.axon"], "no temporary files are left behind");
}
