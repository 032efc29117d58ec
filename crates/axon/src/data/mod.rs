//! Tabular data in, design matrices out: read a CSV file (plain or gzipped) into a [`Frame`] of
//! numeric and categorical columns, then build the design matrix `X` (n × p) and target `y` of a
//! model exactly as R's `model.matrix` and statsmodels' formulas do (treatment-coded categories,
//! patsy's column names, optional powers, interactions and standardisation), keeping the
//! [`Encoder`] that transforms new data the same way. Image sets in the IDX format (MNIST,
//! Fashion-MNIST) are read by [`read_idx_images`], [`read_idx_labels`] and [`MnistFiles`];
//! [`DataLoader`] serves mini-batches of an in-memory dataset for training networks.
//! Parquet files are read into the same [`Frame`] by [`read_parquet`] (only the columns asked
//! for, row groups in parallel) or a batch of rows at a time by [`parquet_batches`].
//!
//! The data module owns the layouts a model can be trained on ([`Source`]: a CSV file with a
//! header, a header-less CSV file, an IDX folder): [`Dataset::load`] reads one for training,
//! splits it (a table's [`Columns`] encoded by the same [`Encoder`]) and fits its [`Scaling`];
//! a model's [`Schema`] records the layout, features and classes, and [`read_examples`] reads
//! new rows by it for prediction and evaluation. [`separating_features`] finds the features that
//! alone separate a two-class target (target leakage) before a network is trained on them.
//!
//! scikit-learn's bundled files (`data/iris.csv`: a first line `150,4,setosa,versicolor,virginica`
//! instead of a header) are recognised by the table reader and read with named feature columns
//! and the class column [`SKLEARN_TARGET`] (`target`), the default target of every command.
//!
//! ```
//! use axon::data::{read_csv, ReadOptions, Design, DesignSpec};
//!
//! # let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../data/lbw.csv");
//! let frame = read_csv(path, &ReadOptions::default())?; // data/lbw.csv
//! let spec = DesignSpec::new("low").with_features(&["age", "lwt", "race", "smoke"]);
//! let design = Design::new(&frame, &spec)?;
//! assert_eq!(design.names, ["Intercept", "age", "lwt", "race[T.other]", "race[T.white]", "smoke"]);
//! let y = design.binary_target()?; // 0/1, `low` = 1 positive
//! assert_eq!(y.iter().sum::<f64>(), 59.0);
//! # Ok::<(), axon::Error>(())
//! ```

mod csv;
mod csv_batches;
mod csv_blocks;
mod csv_chunks;
mod csv_columns;
mod csv_fast;
mod csv_records;
mod csv_table;
mod dataset;
mod design;
mod encoder;
mod examples;
mod frame;
mod hashed;
mod hashed_csv;
mod idx;
mod leakage;
mod libsvm;
mod loader;
mod parquet;
mod parquet_column;
mod parquet_write;
mod parts;
mod read_ahead;
mod read_options;
mod scaling;
mod schema;
mod sklearn;
mod spec;
mod table;
mod vw;

pub use self::csv::{read_numeric_csv, CsvWriter, NumericRows};
pub use self::parquet::{
    parquet_batches, parquet_group_batches, parquet_row_groups, read_parquet, ParquetBatches,
};
pub use dataset::{Columns, Dataset, Split, SplitOptions};
pub use design::Design;
pub use encoder::{Encoder, Input, Term};
pub use examples::{
    read_example_batches, read_examples, read_libsvm_examples, ExampleBatches, Examples, Features,
    Labels,
};
pub use frame::{Column, Frame};
pub use hashed::{HashRole, HashedColumn, HashedColumns};
pub use hashed_csv::{hashed_csv_batches, hashed_csv_batches_from, HashedBatch, HashedCsvBatches};
pub use idx::{read_idx_images, read_idx_labels, IdxImages, Mnist, MnistFiles};
pub use leakage::{leakage_warning, separating_features, LEAKAGE_AUC};
pub use libsvm::{read_libsvm, LibsvmOptions, SparseData};
pub use loader::{gather_rows, Batches, DataLoader};
pub use parquet_write::write_parquet_f32;
pub use parts::{
    byte_range, expand_pattern, is_pattern, open_part, rank_parts, FilePart, Layout, Span,
};
pub use read_options::{Format, ReadOptions};
pub use scaling::{mean_std, Scaling};
pub use schema::{Feature, FeatureKind, Schema, Source};
pub use sklearn::{read_sklearn_csv, SklearnData, SKLEARN_TARGET};
pub use spec::{DesignSpec, Target};
pub use table::{read_batches, read_column_names, read_csv, read_table};
pub use vw::{vw_batches, vw_batches_from, VwBatch, VwBatches};
