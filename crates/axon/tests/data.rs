//! Tests of the data module on the committed data sets (lbw, chd_age, scikit-learn's breast cancer,
//! iris and wine) and on small temporary files made to fail: the design matrix must match R /
//! statsmodels column for column, and every bad file must be an error naming file, line and column.

use std::io::Write;
use std::path::PathBuf;

use axon::data::{
    read_csv, read_sklearn_csv, read_table, Column, Design, DesignSpec, Encoder, Frame,
    ReadOptions, SklearnData, Target,
};
use axon::Error;

const LBW: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../data/lbw.csv");
const CHD: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../data/chd_age.csv");
const BREAST: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../data/breast_cancer.csv");
const IRIS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../data/iris.csv");
const WINE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../data/wine_data.csv");

const LBW_FEATURES: [&str; 7] = ["age", "lwt", "race", "smoke", "ptl", "ht", "ui"];

/// Writes `text` to a fresh file named `name` under cargo's temporary folder for integration tests.
fn temp_file(name: &str, text: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("axon-data-tests");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

fn read(path: &PathBuf) -> axon::Result<Frame> {
    read_csv(path, &ReadOptions::default())
}

fn lbw() -> Frame {
    read_csv(LBW, &ReadOptions::default()).unwrap()
}

fn row(design: &Design, i: usize) -> Vec<f64> {
    (0..design.n_cols()).map(|j| design.x[(i, j)]).collect()
}

fn counts(labels: &[usize], k: usize) -> Vec<usize> {
    (0..k).map(|c| labels.iter().filter(|&&l| l == c).count()).collect()
}

#[test]
fn lbw_reads_with_types_and_levels() {
    let frame = lbw();
    assert_eq!(frame.n_rows, 189);
    assert_eq!(frame.dropped_rows, 0);
    assert_eq!(frame.names[..3], ["id", "low", "age"]);
    let race = frame.column("race").unwrap();
    let Column::Categorical { levels, codes } = race else { panic!("race is not categorical") };
    assert_eq!(levels, &["black", "other", "white"]);
    assert_eq!(codes[..3], [0, 1, 2]);
    let low = frame.column("low").unwrap().as_numeric().unwrap();
    assert_eq!(low.iter().sum::<f64>(), 59.0);
    assert_eq!(frame.column("bwt").unwrap().as_numeric().unwrap()[0], 2523.0);
}

#[test]
fn lbw_design_matches_statsmodels_columns() {
    let spec = DesignSpec::new("low").with_features(&LBW_FEATURES);
    let design = Design::new(&lbw(), &spec).unwrap();
    let names =
        ["Intercept", "age", "lwt", "race[T.other]", "race[T.white]", "smoke", "ptl", "ht", "ui"];
    assert_eq!(design.names, names);
    assert_eq!((design.n_rows(), design.n_cols()), (189, 9));
    // id 85: 19, 182, black, 0, 0, 0, 1 / id 86: 33, 155, other / id 87: 20, 105, white, smoker.
    assert_eq!(row(&design, 0), [1.0, 19.0, 182.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0]);
    assert_eq!(row(&design, 1), [1.0, 33.0, 155.0, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0]);
    assert_eq!(row(&design, 2), [1.0, 20.0, 105.0, 0.0, 1.0, 1.0, 0.0, 0.0, 0.0]);
    let y = design.binary_target().unwrap();
    assert_eq!(y.iter().sum::<f64>(), 59.0);
    let binary = Target::Binary { negative: "0".into(), positive: "1".into() };
    assert_eq!(design.target, binary);
    assert!(design.encoder.has_intercept());
}

#[test]
fn all_columns_but_target_by_default_and_forced_categorical() {
    let frame = lbw();
    let design = Design::new(&frame, &DesignSpec::new("low")).unwrap();
    assert_eq!(design.n_cols(), 1 + 9 + 2); // ten features, race has two dummies
    let spec = DesignSpec { categorical: vec!["ftv".into()], ..DesignSpec::new("low") }
        .with_features(&["age", "ftv"]);
    let design = Design::new(&frame, &spec).unwrap();
    let ftv = ["C(ftv)[T.1]", "C(ftv)[T.2]", "C(ftv)[T.3]", "C(ftv)[T.4]", "C(ftv)[T.6]"];
    assert_eq!(design.names[2..], ftv);
    assert_eq!(row(&design, 1), [1.0, 33.0, 0.0, 0.0, 1.0, 0.0, 0.0]); // ftv = 3
}

#[test]
fn without_intercept_the_first_factor_keeps_every_level() {
    let spec = DesignSpec { intercept: false, ..DesignSpec::new("low") }
        .with_features(&["race", "age", "smoke"]);
    let design = Design::new(&lbw(), &spec).unwrap();
    assert_eq!(design.names, ["race[black]", "race[other]", "race[white]", "age", "smoke"]);
    assert!(!design.encoder.has_intercept());
}

#[test]
fn powers_and_interactions_are_named_as_patsy() {
    let spec = DesignSpec { poly_degree: 3, interactions: true, ..DesignSpec::new("low") }
        .with_features(&["age", "race", "lwt", "smoke"]);
    let design = Design::new(&lbw(), &spec).unwrap();
    let names = [
        "Intercept",
        "age",
        "race[T.other]",
        "race[T.white]",
        "lwt",
        "smoke",
        "age^2",
        "age^3",
        "lwt^2",
        "lwt^3",
        "age:lwt",
        "age:smoke",
        "lwt:smoke",
    ];
    assert_eq!(design.names, names); // no smoke^2: it would equal smoke
    let r = row(&design, 0); // age 19, lwt 182, smoke 0
    assert_eq!(r[6..11], [361.0, 6859.0, 182.0 * 182.0, 182.0f64.powi(3), 19.0 * 182.0]);
}

#[test]
fn chd_age_reads() {
    let frame = read_csv(CHD, &ReadOptions::default()).unwrap();
    assert_eq!((frame.n_rows, frame.names.clone()), (33, vec!["age".into(), "chd".into()]));
    let design = Design::new(&frame, &DesignSpec::new("chd")).unwrap();
    assert_eq!(design.names, ["Intercept", "age"]);
    assert_eq!(design.binary_target().unwrap().iter().sum::<f64>(), 14.0);
    assert_eq!(row(&design, 0), [1.0, 22.0]);
}

#[test]
fn sklearn_files_read_with_shapes_and_class_counts() {
    let SklearnData { x, n, p, labels, classes } = read_sklearn_csv(BREAST).unwrap();
    assert_eq!((n, p, x.len(), labels.len()), (569, 30, 569 * 30, 569));
    assert_eq!(classes, ["malignant", "benign"]);
    assert_eq!(counts(&labels, 2), [212, 357]);
    assert_eq!((x[0], x[1], x[30]), (17.99, 10.38, 20.57));

    let SklearnData { x, n, p, labels, classes } = read_sklearn_csv(IRIS).unwrap();
    assert_eq!((n, p, x.len()), (150, 4, 600));
    assert_eq!(classes, ["setosa", "versicolor", "virginica"]);
    assert_eq!(counts(&labels, 3), [50, 50, 50]);
    assert_eq!(x[..4], [5.1, 3.5, 1.4, 0.2]);

    let SklearnData { x, n, p, labels, classes } = read_sklearn_csv(WINE).unwrap();
    assert_eq!((n, p, x.len()), (178, 13, 178 * 13));
    assert_eq!(classes, ["class_0", "class_1", "class_2"]);
    assert_eq!(counts(&labels, 3), [59, 71, 48]);
}

#[test]
fn sklearn_size_mismatch_and_bad_label_are_errors() {
    let path = temp_file("sk_rows.csv", "3,2,a,b\n1,2,0\n3,4,1\n");
    let msg = read_sklearn_csv(&path).unwrap_err().to_string();
    assert!(msg.contains("sk_rows.csv:1:") && msg.contains("declares 3 rows"), "{msg}");
    let path = temp_file("sk_width.csv", "2,2,a,b\n1,2,0\n3,4,5,1\n");
    let msg = read_sklearn_csv(&path).unwrap_err().to_string();
    assert!(msg.contains("sk_width.csv:3:") && msg.contains("4 fields"), "{msg}");
    let path = temp_file("sk_label.csv", "2,2,a,b\n1,2,0\n3,4,2\n");
    let msg = read_sklearn_csv(&path).unwrap_err().to_string();
    assert!(msg.contains("sk_label.csv:3:") && msg.contains("label"), "{msg}");
    let path = temp_file("sk_header.csv", "x,y,a\n1,2,0\n");
    assert!(matches!(read_sklearn_csv(&path), Err(Error::Format { line: 1, .. })));
}

#[test]
fn sklearn_layout_reads_as_a_table_with_named_columns_and_target() {
    let frame = read_table(IRIS, &ReadOptions::default()).unwrap();
    let names = ["sepal_length", "sepal_width", "petal_length", "petal_width", "target"];
    assert_eq!((frame.n_rows, frame.names.clone()), (150, names.map(String::from).to_vec()));
    assert_eq!(frame.column("sepal_width").unwrap().as_numeric().unwrap()[..2], [3.5, 3.0]);
    let target = frame.column("target").unwrap();
    assert_eq!(target.distinct_labels(), ["setosa", "versicolor", "virginica"]);
    assert_eq!(
        (target.label(0), target.label(50), target.label(149)),
        ("setosa".into(), "versicolor".into(), "virginica".into())
    );
    // Breast cancer: 30 named features, the class names (sorted) as the target's levels.
    let frame = read_table(BREAST, &ReadOptions::default()).unwrap();
    assert_eq!(
        (frame.n_cols(), frame.names[0].as_str(), frame.names[29].as_str()),
        (31, "mean_radius", "worst_fractal_dimension")
    );
    let target = frame.column("target").unwrap();
    assert_eq!((target.label(0), target.label(19)), ("malignant".into(), "benign".into()));
    // Columns picked by name, in the order asked; an unknown one is an error naming them all.
    let columns = Some(vec!["target".to_owned(), "alcohol".to_owned()]);
    let frame = read_table(WINE, &ReadOptions { columns, ..ReadOptions::default() }).unwrap();
    assert_eq!(frame.names, ["target", "alcohol"]);
    assert_eq!(frame.column("alcohol").unwrap().as_numeric().unwrap()[0], 14.23);
    let columns = Some(vec!["alcohool".to_owned()]);
    let msg = read_table(WINE, &ReadOptions { columns, ..ReadOptions::default() })
        .unwrap_err()
        .to_string();
    assert!(msg.contains("no column `alcohool`") && msg.contains("proline"), "{msg}");
    // Another file in the layout: feature_0, ...; streamed in batches the same way.
    let path = temp_file("sk_other.csv", "3,2,no,yes\n1,2,0\n3,4,1\n5,6,1\n");
    let frame = read_table(&path, &ReadOptions::default()).unwrap();
    assert_eq!(frame.names, ["feature_0", "feature_1", "target"]);
    assert_eq!(frame.column("target").unwrap().label(2), "yes");
    let batches: Vec<Frame> = axon::data::read_batches(&path, &ReadOptions::default(), 2)
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(batches.iter().map(|b| b.n_rows).collect::<Vec<_>>(), [2, 1]);
    assert_eq!(batches[1].column("feature_1").unwrap().as_numeric().unwrap(), [6.0]);
    // The layout's errors are the scikit-learn reader's.
    let path = temp_file("sk_rows2.csv", "3,2,no,yes\n1,2,0\n3,4,1\n");
    let msg = read_table(&path, &ReadOptions::default()).unwrap_err().to_string();
    assert!(msg.contains("declares 3 rows"), "{msg}");
}

#[test]
fn ordinary_headers_are_not_taken_for_the_sklearn_layout() {
    // Numeric column names (pandas' default header; the "class name" 2 is a number) and two
    // numbers followed by names but a second line of another width are ordinary headers.
    let path = temp_file("sk_not_pandas.csv", "0,1,2\n5,6,1\n7,8,0\n");
    assert_eq!(read_table(&path, &ReadOptions::default()).unwrap().names, ["0", "1", "2"]);
    let path = temp_file("sk_not_width.csv", "2,5,a,b\n1,2,3,4\n5,6,7,8\n");
    assert_eq!(read_table(&path, &ReadOptions::default()).unwrap().names, ["2", "5", "a", "b"]);
    // Numbers as class names: not the layout, so the row is too short for the header.
    let path = temp_file("sk_not_names.csv", "2,1,7,8\n1,0\n");
    let msg = read_table(&path, &ReadOptions::default()).unwrap_err().to_string();
    assert!(msg.contains("2 fields") && !msg.contains("declares"), "{msg}");
}

#[test]
fn gzipped_files_are_read_transparently() {
    let text = "x,\"group, quoted\",y\n1.5,b,0\n2.5,a,1\n\n";
    let path = temp_file("small.csv.gz", "");
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(text.as_bytes()).unwrap();
    std::fs::write(&path, gz.finish().unwrap()).unwrap();
    let frame = read(&path).unwrap();
    assert_eq!(frame.names, ["x", "group, quoted", "y"]);
    assert_eq!(frame.n_rows, 2);
    assert_eq!(frame.column("x").unwrap(), &Column::Numeric(vec![1.5, 2.5]));
    let levels = vec!["a".to_owned(), "b".to_owned()];
    let group = Column::Categorical { levels, codes: vec![1, 0] };
    assert_eq!(frame.column("group, quoted").unwrap(), &group);

    let not_gzip = temp_file("broken.csv.gz", "x,y\n1,2\n");
    assert!(matches!(read(&not_gzip), Err(Error::Io { .. })));
}

#[test]
fn missing_values_are_errors_naming_file_line_and_column() {
    for (i, missing) in ["NA", "", " ? "].iter().enumerate() {
        let name = format!("missing{i}.csv");
        let path = temp_file(&name, &format!("a,b,c\n1,2,x\n3,{missing},y\n4,5,z\n"));
        let err = read(&path).unwrap_err();
        assert!(matches!(&err, Error::Parse { line: 3, column, .. } if column == "b"), "{err:?}");
        let msg = err.to_string();
        assert!(msg.contains(&format!("{name}:3: column `b`")), "{msg}");
    }
}

#[test]
fn drop_missing_drops_rows_and_counts_them() {
    let path = temp_file("drop.csv", "a,b,c\n1,2,x\n3,NA,y\n?,5,z\n6,7,w\n");
    let options = ReadOptions { drop_missing: true, ..ReadOptions::default() };
    let frame = read_csv(&path, &options).unwrap();
    assert_eq!((frame.n_rows, frame.dropped_rows), (2, 2));
    assert_eq!(frame.column("a").unwrap().as_numeric().unwrap(), [1.0, 6.0]);
    let all = temp_file("drop_all.csv", "a,b\n1,NA\n");
    let msg = read_csv(&all, &options).unwrap_err().to_string();
    assert!(msg.contains("all 1 data rows"), "{msg}");
}

#[test]
fn malformed_files_are_format_errors_with_lines() {
    let ragged = temp_file("ragged.csv", "a,b,c\n1,2,3\n4,5\n");
    let msg = read(&ragged).unwrap_err().to_string();
    assert!(msg.contains("ragged.csv:3:") && msg.contains("2 fields"), "{msg}");
    let empty = temp_file("empty.csv", "");
    let msg = read(&empty).unwrap_err().to_string();
    assert!(msg.contains("empty.csv:1:") && msg.contains("empty file"), "{msg}");
    let header_only = temp_file("header_only.csv", "a,b\n\n");
    assert!(read(&header_only).unwrap_err().to_string().contains("no data rows"));
    let dup = temp_file("dup.csv", "a,b,a\n1,2,3\n");
    let msg = read(&dup).unwrap_err().to_string();
    assert!(msg.contains("dup.csv:1:") && msg.contains("duplicate column name `a`"), "{msg}");
    let inf = temp_file("inf.csv", "a,b\n1,2\ninf,3\n");
    let msg = read(&inf).unwrap_err().to_string();
    assert!(msg.contains("inf.csv:3: column `a`"), "{msg}");
    let absent = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("no-such-file.csv");
    let msg = read(&absent).unwrap_err().to_string();
    assert!(msg.contains("no-such-file.csv"), "{msg}");
}

#[test]
fn unknown_columns_are_errors_listing_the_columns() {
    let frame = lbw();
    let msg = frame.column("weight").unwrap_err().to_string();
    assert!(msg.contains("`weight`") && msg.contains("id, low, age"), "{msg}");
    let spec = DesignSpec::new("low").with_features(&["age", "weight"]);
    assert!(matches!(Design::new(&frame, &spec), Err(Error::UnknownColumn { .. })));
    assert!(matches!(
        Design::new(&frame, &DesignSpec::new("lo")),
        Err(Error::UnknownColumn { .. })
    ));
}

#[test]
fn targets_binary_categorical_and_multiclass() {
    let path = temp_file("targets.csv", "x,sex,species\n1,m,b\n2,f,a\n3,m,c\n4,f,a\n");
    let frame = read(&path).unwrap();
    let two = Design::new(&frame, &DesignSpec::new("sex").with_features(&["x"])).unwrap();
    let binary = Target::Binary { negative: "f".into(), positive: "m".into() };
    assert_eq!((&two.target, two.binary_target().unwrap()), (&binary, &[1.0, 0.0, 1.0, 0.0][..]));
    let spec = DesignSpec { positive: Some("f".into()), ..DesignSpec::new("sex") };
    let flipped = Design::new(&frame, &spec.with_features(&["x"])).unwrap();
    assert_eq!(flipped.binary_target().unwrap(), [0.0, 1.0, 0.0, 1.0]);

    let three = Design::new(&frame, &DesignSpec::new("species").with_features(&["x"])).unwrap();
    assert_eq!(three.classes(), ["a", "b", "c"]);
    assert_eq!(three.class_indices(), [1, 0, 2, 0]);
    let msg = three.binary_target().unwrap_err().to_string();
    assert!(
        msg.contains("`species`") && msg.contains("binary model") && msg.contains("3"),
        "{msg}"
    );
}

#[test]
fn unknown_level_at_transform_is_an_error() {
    let train = read(&temp_file("train.csv", "x,g,y\n1,a,0\n2,b,1\n3,a,1\n")).unwrap();
    let encoder = Encoder::fit(&train, &DesignSpec::new("y")).unwrap();
    assert_eq!(encoder.names(), ["Intercept", "x", "g[T.b]"]);
    let new = read(&temp_file("new.csv", "x,g\n4,b\n5,c\n")).unwrap();
    let msg = encoder.transform(&new).unwrap_err().to_string();
    assert!(msg.contains("column `g`") && msg.contains("level `c`"), "{msg}");
    let text = read(&temp_file("text.csv", "x,g\nfour,b\n")).unwrap();
    let msg = encoder.transform(&text).unwrap_err().to_string();
    assert!(msg.contains("column `x`") && msg.contains("`four`"), "{msg}");
    let missing = read(&temp_file("missing_col.csv", "g\nb\n")).unwrap();
    assert!(matches!(encoder.transform(&missing), Err(Error::UnknownColumn { .. })));
    let ok = read(&temp_file("ok.csv", "g,x\nb,4\na,5\n")).unwrap();
    let x = encoder.transform(&ok).unwrap();
    assert_eq!((x[(0, 1)], x[(0, 2)], x[(1, 1)], x[(1, 2)]), (4.0, 1.0, 5.0, 0.0));
}

#[test]
fn standardized_columns_have_mean_zero_std_one_and_coefficients_map_back() {
    let frame = lbw();
    let raw_spec = DesignSpec { poly_degree: 2, interactions: true, ..DesignSpec::new("low") }
        .with_features(&LBW_FEATURES);
    let std_spec = DesignSpec { standardize: true, ..raw_spec.clone() };
    let raw = Design::new(&frame, &raw_spec).unwrap();
    let std = Design::new(&frame, &std_spec).unwrap();
    assert_eq!(raw.names, std.names);
    let n = std.n_rows() as f64;
    for (j, name) in std.names.iter().enumerate() {
        let col: Vec<f64> = (0..std.n_rows()).map(|i| std.x[(i, j)]).collect();
        let mean = col.iter().sum::<f64>() / n;
        let var = col.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / n;
        if name == "Intercept" || name.contains("[T.") {
            assert!(col.iter().all(|&v| v == 0.0 || v == 1.0), "{name} changed");
        } else if name == "ht:ui" {
            // No mother has both: a constant column is centred and left unscaled, as sklearn does.
            assert!(col.iter().all(|&v| v == 0.0) && std.encoder.stds()[j] == 1.0);
        } else {
            assert!(mean.abs() < 1e-12 && (var - 1.0).abs() < 1e-12, "{name}: {mean} {var}");
        }
    }
    let beta: Vec<f64> = (0..std.n_cols()).map(|j| 0.3 * (j as f64) - 1.1).collect();
    let beta_raw = std.encoder.unstandardize_coefficients(&beta).unwrap();
    for i in 0..std.n_rows() {
        let eta_std: f64 = (0..std.n_cols()).map(|j| std.x[(i, j)] * beta[j]).sum();
        let eta_raw: f64 = (0..raw.n_cols()).map(|j| raw.x[(i, j)] * beta_raw[j]).sum();
        assert!((eta_std - eta_raw).abs() < 1e-8 * (1.0 + eta_raw.abs()), "{eta_std} {eta_raw}");
    }
    assert!(std.encoder.unstandardize_coefficients(&beta[1..]).is_err());
}

#[test]
fn encoder_round_trips_through_json() {
    let frame = lbw();
    let spec = DesignSpec { standardize: true, poly_degree: 2, ..DesignSpec::new("low") }
        .with_features(&LBW_FEATURES);
    let design = Design::new(&frame, &spec).unwrap();
    let json = serde_json::to_string(&design.encoder).unwrap();
    let back: Encoder = serde_json::from_str(&json).unwrap();
    assert_eq!(back, design.encoder);
    assert_eq!(back.transform(&frame).unwrap(), design.x);
    let mut corrupt: serde_json::Value = serde_json::from_str(&json).unwrap();
    corrupt["means"] = serde_json::json!([0.0]);
    let corrupt: Encoder = serde_json::from_value(corrupt).unwrap();
    assert!(corrupt.transform(&frame).is_err());
}
