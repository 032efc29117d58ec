//! The IDX reader on small files written here (plain and gzipped), on broken files (truncated,
//! foreign, wrong type or rank, trailing bytes, corrupt gzip), and on the real Fashion-MNIST
//! release in `/work/shared/data/fashion-mnist` when it is there: 60 000 + 10 000 images of
//! 28 × 28 with 6 000 / 1 000 of each class. That last test skips with a message when the folder
//! is missing, unless `AXON_REQUIRE_SHARED=1` is set, in which case it fails.

use std::io::Write;
use std::path::{Path, PathBuf};

use axon::data::{read_idx_images, read_idx_labels, MnistFiles};
use axon::{DType, Error};
use flate2::write::GzEncoder;
use flate2::Compression;

/// A fresh, empty folder for one test under cargo's temporary folder.
fn temp_dir(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("axon-idx-tests").join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// An IDX file of `u8` with the given sizes and data (not checked: tests make broken ones).
fn idx_bytes(dims: &[u32], data: &[u8]) -> Vec<u8> {
    let mut out = vec![0, 0, 0x08, dims.len() as u8];
    for d in dims {
        out.extend(d.to_be_bytes());
    }
    out.extend(data);
    out
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut enc = GzEncoder::new(Vec::new(), Compression::default());
    enc.write_all(bytes).unwrap();
    enc.finish().unwrap()
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

/// Three 2 × 4 images with pixel `i` of image `k` = `40 k + 10 i` (so 0 ..= 150), labels 7, 0, 3.
fn sample() -> (Vec<u8>, Vec<u8>) {
    let pixels: Vec<u8> =
        (0..3).flat_map(|k| (0..8).map(move |i| (40 * k + 10 * i) as u8)).collect();
    (idx_bytes(&[3, 2, 4], &pixels), idx_bytes(&[3], &[7, 0, 3]))
}

#[test]
fn plain_and_gzipped_files_read_back_the_same() {
    let dir = temp_dir("roundtrip");
    let (images, labels) = sample();
    // The gzipped copy is named without `.gz`: the magic bytes decide, not the name.
    for (name, bytes) in [("plain", images.clone()), ("zipped", gzip(&images))] {
        let x = read_idx_images(write(&dir, name, &bytes)).unwrap();
        assert_eq!((x.count, x.rows, x.cols), (3, 2, 4), "{name}");
        assert_eq!(x.image(1).unwrap(), [40, 50, 60, 70, 80, 90, 100, 110]);
        assert!(x.image(3).is_none());
        let t = x.to_tensor();
        assert_eq!((t.dims(), t.dtype()), (&[3, 2, 4][..], DType::F32));
        let v = t.to_vec::<f32>().unwrap();
        assert_eq!(v[0], 0.0);
        assert!((v[23] - 150.0 / 255.0).abs() < 1e-7);
    }
    for bytes in [labels.clone(), gzip(&labels)] {
        assert_eq!(read_idx_labels(write(&dir, "labels", &bytes)).unwrap(), [7, 0, 3]);
    }
}

#[test]
fn mnist_files_are_found_plain_or_gzipped_and_checked_against_each_other() {
    let dir = temp_dir("mnist");
    let (images, labels) = sample();
    write(&dir, "train-images-idx3-ubyte.gz", &gzip(&images));
    write(&dir, "train-labels-idx1-ubyte", &labels);
    write(&dir, "t10k-images-idx3-ubyte", &images);
    let e = MnistFiles::find(&dir).unwrap_err().to_string();
    assert!(e.contains("t10k-labels-idx1-ubyte") && e.contains("mnist"), "{e}");
    write(&dir, "t10k-labels-idx1-ubyte.gz", &gzip(&idx_bytes(&[2], &[1, 2])));
    let files = MnistFiles::find(&dir).unwrap();
    assert_eq!(files.train_images, dir.join("train-images-idx3-ubyte.gz"));
    assert_eq!(files.test_labels, dir.join("t10k-labels-idx1-ubyte.gz"));
    // Two test labels for three test images.
    let e = files.load().unwrap_err().to_string();
    assert!(e.contains("2 labels for 3 images"), "{e}");
    write(&dir, "t10k-labels-idx1-ubyte.gz", &gzip(&idx_bytes(&[3], &[1, 12, 2])));
    let e = files.load().unwrap_err().to_string();
    assert!(e.contains("label 12 of item 1"), "{e}");
    write(&dir, "t10k-labels-idx1-ubyte.gz", &gzip(&labels));
    let data = files.load().unwrap();
    assert_eq!(data.train_labels, [7, 0, 3]);
    assert_eq!(data.test_images, data.train_images);
}

/// Reading `bytes` as images must fail with a format error naming the file and containing `what`.
fn assert_format_error(dir: &Path, name: &str, bytes: &[u8], what: &str) {
    let path = write(dir, name, bytes);
    match read_idx_images(&path) {
        Err(e @ Error::Format { .. }) => {
            let msg = e.to_string();
            assert!(msg.contains(name) && msg.contains(what), "{name}: {msg}");
        }
        other => panic!("{name}: expected a format error containing {what:?}, got {other:?}"),
    }
}

#[test]
fn broken_files_are_errors_naming_the_file_and_the_problem() {
    let dir = temp_dir("broken");
    let (images, labels) = sample();
    let cut = &images[..images.len() - 1];
    assert_format_error(&dir, "truncated-data", cut, "truncated");
    assert_format_error(&dir, "truncated-gz", &gzip(cut), "truncated");
    assert_format_error(&dir, "truncated-header", &images[..9], "less than the 16-byte header");
    assert_format_error(&dir, "empty", &[], "too short");
    assert_format_error(&dir, "trailing", &[&images[..], &[0u8][..]].concat(), "trailing data");
    assert_format_error(&dir, "csv", b"a,b\n1,2\n", "not an IDX file");
    let mut floats = images.clone();
    floats[2] = 0x0d;
    assert_format_error(&dir, "floats", &floats, "element type 0x0d");
    assert_format_error(&dir, "labels-as-images", &labels, "1 dimensions");
    // Sizes whose product overflows: an error, not an allocation.
    assert_format_error(&dir, "huge", &idx_bytes(&[u32::MAX; 3], &[1, 2]), "truncated");
    // Half a gzip stream.
    let gz = gzip(&images);
    assert_format_error(&dir, "cut-gzip", &gz[..gz.len() / 2], "gzip");
    // A label reader given images.
    let e = read_idx_labels(write(&dir, "images-as-labels", &images)).unwrap_err();
    assert!(e.to_string().contains("3 dimensions"), "{e}");
    // A missing file is an I/O error naming it.
    let e = read_idx_images(dir.join("nope")).unwrap_err();
    assert!(matches!(&e, Error::Io { path, .. } if path.ends_with("nope")), "{e}");
}

#[test]
fn fashion_mnist_from_the_shared_folder() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/fashion-mnist");
    if !dir.is_dir() {
        let required = std::env::var("AXON_REQUIRE_SHARED").is_ok_and(|v| v == "1");
        assert!(!required, "AXON_REQUIRE_SHARED=1 but {} does not exist", dir.display());
        println!("skipped: {} does not exist (set AXON_REQUIRE_SHARED=1 to fail)", dir.display());
        return;
    }
    let data = MnistFiles::find(&dir).unwrap().load().unwrap();
    for (images, labels, n) in [
        (&data.train_images, &data.train_labels, 60_000),
        (&data.test_images, &data.test_labels, 10_000),
    ] {
        assert_eq!((images.count, images.rows, images.cols), (n, 28, 28));
        let mut counts = [0usize; 10];
        labels.iter().for_each(|&l| counts[l] += 1);
        assert_eq!(counts, [n / 10; 10]);
        // Real images: not blank, using the whole byte range.
        assert_eq!(images.pixels.iter().max(), Some(&255));
        assert_eq!(images.pixels.iter().min(), Some(&0));
    }
    // The first training image of the release is an ankle boot (class 9), the first test image too.
    assert_eq!((data.train_labels[0], data.test_labels[0]), (9, 9));
}
