//! Times `read_csv` on one file, for `scripts/bench_read.py`, which runs it in a process of its
//! own next to pandas and polars: `cargo run --release --example bench_read -- FILE` prints the
//! seconds, the rows and the columns as one line of JSON. Rows with a missing value are dropped
//! (the adult data set marks them `?`).

use std::time::Instant;

use axon::data::{read_csv, CsvOptions};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = std::env::args().nth(1).ok_or("usage: bench_read FILE.csv[.gz]")?;
    let start = Instant::now();
    let frame = read_csv(&path, &CsvOptions { drop_missing: true, ..CsvOptions::default() })?;
    let seconds = start.elapsed().as_secs_f64();
    println!(r#"{{"seconds": {seconds}, "rows": {}, "cols": {}}}"#, frame.n_rows, frame.n_cols());
    Ok(())
}
