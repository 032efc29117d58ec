//! The IDX format of MNIST and Fashion-MNIST, plain or gzipped (told apart by the gzip magic bytes
//! `1f 8b`, not by the file name).
//!
//! An IDX file is a 4-byte magic number `00 00 TT DD` (`TT` the element type, `0x08` for unsigned
//! bytes; `DD` the number of dimensions), then `DD` big-endian `u32` sizes, then the elements in
//! row-major order. Images are `(n, rows, cols)` (`DD = 3`), labels `(n)` (`DD = 1`). Every check
//! (magic, type, dimensions, exact length) is an [`Error::Format`] naming the file (its `line` is 0:
//! a binary file has no lines); a file that cannot be opened is an [`Error::Io`]. Nothing here
//! panics on a truncated or foreign file, and no buffer is sized from the header before the length
//! has been checked against the bytes actually present.

use std::io::Read;
use std::path::{Path, PathBuf};

use flate2::read::MultiGzDecoder;

use crate::error::{Error, Result};
use crate::tensor::Tensor;

/// The IDX type byte of unsigned 8-bit elements.
const U8: u8 = 0x08;

/// A stack of `count` grey-scale images of `rows × cols` bytes, row-major, image after image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdxImages {
    pub count: usize,
    pub rows: usize,
    pub cols: usize,
    pub pixels: Vec<u8>,
}

impl IdxImages {
    /// The pixels of image `i` (`rows · cols` bytes), or `None` past the end.
    pub fn image(&self, i: usize) -> Option<&[u8]> {
        let size = self.rows * self.cols;
        (i < self.count).then(|| &self.pixels[i * size..(i + 1) * size])
    }

    /// The images as an `f32` tensor `(count, rows, cols)` with values `pixel / 255` in `[0, 1]`.
    pub fn to_tensor(&self) -> Tensor {
        let values = self.pixels.iter().map(|&p| f32::from(p) / 255.0).collect();
        Tensor::from_vec(values, [self.count, self.rows, self.cols])
            .expect("count · rows · cols pixels, checked when read")
    }
}

/// Reads an IDX file of `u8` images `(n, rows, cols)`.
pub fn read_idx_images(path: impl AsRef<Path>) -> Result<IdxImages> {
    let path = path.as_ref();
    let (dims, pixels) = read_idx(path, 3, "images (n, rows, cols)")?;
    Ok(IdxImages { count: dims[0], rows: dims[1], cols: dims[2], pixels })
}

/// Reads an IDX file of `u8` labels `(n)`.
pub fn read_idx_labels(path: impl AsRef<Path>) -> Result<Vec<usize>> {
    let (_, labels) = read_idx(path.as_ref(), 1, "labels (n)")?;
    Ok(labels.into_iter().map(usize::from).collect())
}

/// The sizes and the elements of an IDX file of `u8` with `ndim` dimensions.
fn read_idx(path: &Path, ndim: usize, what: &str) -> Result<(Vec<usize>, Vec<u8>)> {
    let shown = path.display().to_string();
    let bytes = read_maybe_gzipped(path, &shown)?;
    let fail = |msg: String| Error::Format { path: shown.clone(), line: 0, msg };
    if bytes.len() < 4 {
        return Err(fail(format!("{} bytes: too short for an IDX header", bytes.len())));
    }
    if bytes[..2] != [0, 0] {
        return Err(fail(format!(
            "not an IDX file: it starts with bytes {:02x} {:02x}, an IDX magic number with 00 00",
            bytes[0], bytes[1]
        )));
    }
    if bytes[2] != U8 {
        return Err(fail(format!(
            "IDX element type 0x{:02x}; only unsigned bytes (0x08) are supported",
            bytes[2]
        )));
    }
    if usize::from(bytes[3]) != ndim {
        return Err(fail(format!("{} dimensions in the IDX header; {what} need {ndim}", bytes[3])));
    }
    let header = 4 + 4 * ndim;
    if bytes.len() < header {
        return Err(fail(format!(
            "truncated: {} bytes, less than the {header}-byte header",
            bytes.len()
        )));
    }
    let dims: Vec<usize> = bytes[4..header]
        .chunks_exact(4)
        .map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]) as usize)
        .collect();
    let expected = dims.iter().try_fold(1usize, |n, &d| n.checked_mul(d));
    let found = bytes.len() - header;
    if expected != Some(found) {
        let expected = expected.map_or_else(|| "more than 2^64".to_owned(), |n| n.to_string());
        let kind = if expected.parse::<usize>().is_ok_and(|e| e < found) {
            "trailing data"
        } else {
            "truncated"
        };
        return Err(fail(format!(
            "{kind}: the header declares {what} of sizes {dims:?} = {expected} bytes of data, \
             the file holds {found}"
        )));
    }
    let mut data = bytes;
    data.drain(..header);
    Ok((dims, data))
}

/// The file's bytes, gunzipped when they start with the gzip magic `1f 8b`.
fn read_maybe_gzipped(path: &Path, shown: &str) -> Result<Vec<u8>> {
    let raw = std::fs::read(path)
        .map_err(|e| Error::Io { path: shown.to_owned(), msg: e.to_string() })?;
    if !raw.starts_with(&[0x1f, 0x8b]) {
        return Ok(raw);
    }
    let mut out = Vec::with_capacity(raw.len() * 2);
    MultiGzDecoder::new(raw.as_slice()).read_to_end(&mut out).map_err(|e| Error::Format {
        path: shown.to_owned(),
        line: 0,
        msg: format!("corrupt or truncated gzip data: {e}"),
    })?;
    Ok(out)
}

/// The four files of MNIST or Fashion-MNIST in one folder, under their original names
/// (`train-images-idx3-ubyte`, `train-labels-idx1-ubyte`, `t10k-images-idx3-ubyte`,
/// `t10k-labels-idx1-ubyte`), each gzipped (`.gz`) or not.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MnistFiles {
    pub train_images: PathBuf,
    pub train_labels: PathBuf,
    pub test_images: PathBuf,
    pub test_labels: PathBuf,
}

/// The training and test sets of MNIST or Fashion-MNIST.
#[derive(Debug, Clone)]
pub struct Mnist {
    pub train_images: IdxImages,
    pub train_labels: Vec<usize>,
    pub test_images: IdxImages,
    pub test_labels: Vec<usize>,
}

impl MnistFiles {
    /// Finds the four files in `dir`, preferring the plain file where both it and `.gz` exist.
    /// A missing file is an [`Error::Io`] naming the folder and the file.
    pub fn find(dir: impl AsRef<Path>) -> Result<MnistFiles> {
        let dir = dir.as_ref();
        let find = |stem: &str| -> Result<PathBuf> {
            let plain = dir.join(stem);
            let gz = dir.join(format!("{stem}.gz"));
            [plain, gz].into_iter().find(|p| p.is_file()).ok_or_else(|| Error::Io {
                path: dir.display().to_string(),
                msg: format!("no file {stem} or {stem}.gz (MNIST / Fashion-MNIST IDX files)"),
            })
        };
        Ok(MnistFiles {
            train_images: find("train-images-idx3-ubyte")?,
            train_labels: find("train-labels-idx1-ubyte")?,
            test_images: find("t10k-images-idx3-ubyte")?,
            test_labels: find("t10k-labels-idx1-ubyte")?,
        })
    }

    /// Reads the four files, checking that images and labels agree in number and that every
    /// label is a class `0..10`.
    pub fn load(&self) -> Result<Mnist> {
        let (train_images, train_labels) = read_split(&self.train_images, &self.train_labels)?;
        let (test_images, test_labels) = read_split(&self.test_images, &self.test_labels)?;
        Ok(Mnist { train_images, train_labels, test_images, test_labels })
    }
}

/// Images and labels of one split, checked against each other.
fn read_split(images: &Path, labels: &Path) -> Result<(IdxImages, Vec<usize>)> {
    let (x, y) = (read_idx_images(images)?, read_idx_labels(labels)?);
    let fail = |msg: String| Error::Format { path: labels.display().to_string(), line: 0, msg };
    if x.count != y.len() {
        return Err(fail(format!(
            "{} labels for {} images in {}",
            y.len(),
            x.count,
            images.display()
        )));
    }
    if let Some((i, &bad)) = y.iter().enumerate().find(|(_, &l)| l >= 10) {
        return Err(fail(format!("label {bad} of item {i} is not a class 0..10")));
    }
    Ok((x, y))
}
