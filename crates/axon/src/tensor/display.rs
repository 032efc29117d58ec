//! Printing. A tensor prints its shape, dtype and values, nested by axis as in PyTorch; tensors
//! of more than 1000 elements show the first and last three entries of each axis around `...`.

use std::fmt;

use super::{DType, Tensor};

/// Above this many elements, axes are summarised.
const SUMMARY_THRESHOLD: usize = 1000;
/// Entries shown at each end of a summarised axis.
const EDGE: usize = 3;

impl fmt::Display for Tensor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let values = self.to_f64_vec();
        let summarise = values.len() > SUMMARY_THRESHOLD;
        let dtype = self.dtype();
        let cell = |v: f64| match dtype {
            DType::I64 => format!("{v}"),
            _ => format!("{v:.4}"),
        };
        let width = values.iter().map(|&v| cell(v).len()).max().unwrap_or(1);
        let mut out = String::new();
        write_axis(&mut out, &values, self.dims(), 0, summarise, &|v| {
            format!("{:>width$}", cell(v))
        });
        writeln!(f, "Tensor{} {}", self.shape(), dtype)?;
        write!(f, "{out}")
    }
}

impl fmt::Debug for Tensor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// Writes `values` (row-major over `dims`) as nested brackets; `depth` sets the indentation.
fn write_axis(
    out: &mut String,
    values: &[f64],
    dims: &[usize],
    depth: usize,
    summarise: bool,
    cell: &dyn Fn(f64) -> String,
) {
    let Some((&n, rest)) = dims.split_first() else {
        out.push_str(&cell(values[0]));
        return;
    };
    let block: usize = rest.iter().product();
    let shown: Vec<Option<usize>> = if summarise && n > 2 * EDGE {
        (0..EDGE).map(Some).chain([None]).chain((n - EDGE..n).map(Some)).collect()
    } else {
        (0..n).map(Some).collect()
    };
    out.push('[');
    for (j, item) in shown.iter().enumerate() {
        if j > 0 {
            if rest.is_empty() {
                out.push_str(", ");
            } else {
                out.push(',');
                out.push_str(&"\n".repeat(rest.len()));
                out.push_str(&" ".repeat(depth + 1));
            }
        }
        match item {
            Some(i) => write_axis(
                out,
                &values[i * block..(i + 1) * block],
                rest,
                depth + 1,
                summarise,
                cell,
            ),
            None => out.push_str("..."),
        }
    }
    out.push(']');
}

#[cfg(test)]
mod tests {
    use crate::Tensor;

    #[test]
    fn prints_nested_rows() {
        let t = Tensor::from_vec(vec![1.0f32, 2.0, 3.0, 4.0, 5.0, 6.0], [2, 3]).unwrap();
        let s = t.to_string();
        assert_eq!(s, "Tensor[2, 3] f32\n[[1.0000, 2.0000, 3.0000],\n [4.0000, 5.0000, 6.0000]]");
    }

    #[test]
    fn summarises_large_tensors() {
        let t = Tensor::zeros([2000], crate::DType::F32);
        let s = t.to_string();
        assert!(s.contains("..."), "{s}");
        assert!(s.len() < 200);
    }
}
