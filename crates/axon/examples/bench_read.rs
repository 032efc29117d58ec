//! Times `read_csv` or `read_parquet` on one file, for `scripts/bench_read.py`, which runs it in a
//! process of its own next to pandas, polars and pyarrow: `cargo run --release --example
//! bench_read -- FILE` prints the seconds, the rows and the columns as one line of JSON. A file
//! whose name ends in `.parquet` is read by `read_parquet`, any other by `read_csv`. Rows with a
//! missing value are dropped (the adult data set marks them `?`). Without a file it reads the
//! shipped `data/lbw.csv` and checks its size, so that CI runs it as it runs every example.

use std::path::Path;
use std::time::Instant;

use axon::data::{read_csv, read_parquet, CsvOptions, ParquetOptions};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let shipped = concat!(env!("CARGO_MANIFEST_DIR"), "/../../data/lbw.csv");
    let given = std::env::args().nth(1);
    let path = given.clone().unwrap_or_else(|| shipped.to_owned());
    let parquet = Path::new(&path).extension().is_some_and(|e| e.eq_ignore_ascii_case("parquet"));
    let start = Instant::now();
    let frame = if parquet {
        read_parquet(&path, &ParquetOptions { drop_missing: true, ..ParquetOptions::default() })?
    } else {
        read_csv(&path, &CsvOptions { drop_missing: true, ..CsvOptions::default() })?
    };
    let seconds = start.elapsed().as_secs_f64();
    if given.is_none() {
        assert_eq!((frame.n_rows, frame.n_cols()), (189, 11), "data/lbw.csv: 189 rows, 11 columns");
    }
    println!(r#"{{"seconds": {seconds}, "rows": {}, "cols": {}}}"#, frame.n_rows, frame.n_cols());
    Ok(())
}
