//! Cross-validation fits every fold exactly as a plain fit of the fold's training rows: the
//! design (levels, standardisation) learned from those rows alone, the model by the same
//! `fit_linear`. The plain fit here reads a file that holds only the training rows, so the
//! check does not go through the frame subsetting that cross-validation uses.

use std::path::PathBuf;

use axon::cv::Metric;
use axon::data::{read_csv, Design, DesignSpec, ReadOptions};
use axon::linear::{
    fit_fold, fit_linear, stratified_folds, ClassWeight, LinearKind, LinearOptions, Penalty, Solver,
};

const LBW: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../data/lbw.csv");

/// A file of the header and the data lines `rows` (0-based data rows) of lbw.csv.
fn subset(rows: &[usize], name: &str) -> PathBuf {
    let text = std::fs::read_to_string(LBW).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let mut out = String::from(lines[0]);
    for &r in rows {
        out.push('\n');
        out.push_str(lines[r + 1]);
    }
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("axon-crossval");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, out).unwrap();
    path
}

fn mean(xs: &[f64]) -> f64 {
    xs.iter().sum::<f64>() / xs.len() as f64
}

#[test]
fn every_fold_is_a_plain_fit_of_its_training_rows() {
    let frame = read_csv(LBW, &ReadOptions::default()).unwrap();
    let features = ["age", "lwt", "race", "smoke"];
    let l2 = LinearOptions { penalty: Penalty::L2(1.0), ..LinearOptions::default() };
    let lasso = LinearOptions {
        penalty: Penalty::L1(2.0),
        class_weight: ClassWeight::Balanced,
        solver: Solver::coordinate_descent(),
        ..LinearOptions::default()
    };
    let cases = [
        (LinearKind::Logit, "low", LinearOptions::default()),
        (LinearKind::Probit, "low", l2),
        (LinearKind::Softmax, "race", l2),
        (LinearKind::Ovr, "race", lasso),
    ];
    for (kind, target, options) in cases {
        let features: Vec<&str> = features.iter().copied().filter(|f| *f != target).collect();
        let spec =
            DesignSpec { standardize: true, ..DesignSpec::new(target) }.with_features(&features);
        let fit = |design: &Design| {
            fit_linear(kind, design, None, &options)?
                .to_model(design.encoder.clone(), Default::default())
        };
        let folds = stratified_folds(&frame, target, 5, 3).unwrap();
        for (f, fold) in folds.iter().enumerate() {
            let inside = fit_fold(&frame, &spec, fold, fit).unwrap();
            let train =
                read_csv(subset(&fold.train, "train.csv"), &ReadOptions::default()).unwrap();
            let plain = fit(&Design::new(&train, &spec).unwrap()).unwrap();
            let (a, b) = (&inside.model.coefficients, &plain.coefficients);
            assert_eq!((a.nrows(), a.ncols()), (b.nrows(), b.ncols()));
            for j in 0..a.nrows() {
                for c in 0..a.ncols() {
                    let (x, y) = (a[(j, c)], b[(j, c)]);
                    assert!((x - y).abs() <= 1e-12 * y.abs().max(1.0), "{kind:?} fold {f}");
                }
            }
            // Standardised with the training rows' statistics, not all rows'.
            let age = |rows: &[usize]| {
                let column = frame.column("age").unwrap().as_numeric().unwrap();
                mean(&rows.iter().map(|&i| column[i]).collect::<Vec<_>>())
            };
            let all: Vec<usize> = (0..frame.n_rows).collect();
            let j = inside.model.encoder.names().iter().position(|n| n == "age").unwrap();
            let fold_mean = inside.model.encoder.means()[j];
            assert!((fold_mean - age(&fold.train)).abs() < 1e-12, "{kind:?} fold {f}");
            assert!((fold_mean - age(&all)).abs() > 1e-6, "{kind:?} fold {f}");
            // The held-out rows are scored by the plain model.
            let test = read_csv(subset(&fold.test, "test.csv"), &ReadOptions::default()).unwrap();
            let p = plain.predict_proba(&test).unwrap();
            let k = p.ncols();
            for (i, row) in inside.proba.chunks(k).enumerate() {
                for c in 0..k {
                    assert!((row[c] - p[(i, c)]).abs() < 1e-12, "{kind:?} fold {f} row {i}");
                }
            }
            assert!(inside.score(Metric::LogLoss).unwrap() > 0.0);
        }
    }
}
