//! Writing a matrix of `f32` (sentence embeddings, `axon embed --out FILE.parquet`) as a Parquet
//! file of one `Float32` column per matrix column, named as the caller says, one row per matrix
//! row: the layout pandas (`read_parquet`) and polars read as an ordinary data frame of float
//! columns, and that axon's own reader reads back. Snappy-compressed, in row groups of 65 536
//! rows, written atomically (a temporary file renamed over the destination at the end).

use std::path::Path;
use std::sync::Arc;

use ::parquet::arrow::ArrowWriter;
use ::parquet::basic::Compression;
use ::parquet::file::properties::WriterProperties;
use arrow_array::{ArrayRef, Float32Array, RecordBatch};
use arrow_schema::{DataType, Field, Schema};

use crate::error::{Error, Result};
use crate::io::AtomicWriter;

/// Rows per row group (and per record batch written).
const GROUP_ROWS: usize = 1 << 16;

/// Writes the `values.len() / names.len()` rows of the row-major matrix `values` to `path`, one
/// `Float32` column per name.
pub fn write_parquet_f32(path: impl AsRef<Path>, names: &[String], values: &[f32]) -> Result<()> {
    let path = path.as_ref();
    let bad = |msg: String| Error::Io { path: path.display().to_string(), msg };
    let d = names.len();
    if d == 0 || !values.len().is_multiple_of(d) {
        let reason = format!("{} values do not fill rows of {d} columns", values.len());
        return Err(Error::invalid("values", values.len(), reason));
    }
    let n = values.len() / d;
    let fields: Vec<Field> =
        names.iter().map(|name| Field::new(name.clone(), DataType::Float32, false)).collect();
    let schema = Arc::new(Schema::new(fields));
    let props = WriterProperties::builder()
        .set_compression(Compression::SNAPPY)
        .set_max_row_group_row_count(Some(GROUP_ROWS))
        .build();
    let file = AtomicWriter::create(path)?;
    let mut writer = ArrowWriter::try_new(file, schema.clone(), Some(props))
        .map_err(|e| bad(format!("cannot write Parquet: {e}")))?;
    for start in (0..n).step_by(GROUP_ROWS) {
        let rows = start..(start + GROUP_ROWS).min(n);
        let columns: Vec<ArrayRef> = (0..d)
            .map(|j| {
                let column = rows.clone().map(|i| values[i * d + j]);
                Arc::new(Float32Array::from_iter_values(column)) as ArrayRef
            })
            .collect();
        let batch = RecordBatch::try_new(schema.clone(), columns)
            .map_err(|e| bad(format!("cannot write Parquet: {e}")))?;
        writer.write(&batch).map_err(|e| bad(format!("cannot write Parquet: {e}")))?;
    }
    let file = writer.into_inner().map_err(|e| bad(format!("cannot write Parquet: {e}")))?;
    file.commit()
}
