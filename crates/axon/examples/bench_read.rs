//! Times `read_table` on one file (CSV, TSV or Parquet), for `scripts/bench_read.py`, which runs it
//! in a process of its own next to pandas, polars and pyarrow: `cargo run --release --example
//! bench_read -- FILE` prints the seconds, the rows and the columns as one line of JSON. Rows with a
//! missing value are dropped (the adult data set marks them `?`). Without a file it reads the
//! shipped `data/lbw.csv` and checks its size, so that CI runs it as it runs every example.

use std::time::Instant;

use axon::data::{read_table, ReadOptions};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let shipped = concat!(env!("CARGO_MANIFEST_DIR"), "/../../data/lbw.csv");
    let given = std::env::args().nth(1);
    let path = given.clone().unwrap_or_else(|| shipped.to_owned());
    let start = Instant::now();
    let frame = read_table(&path, &ReadOptions { drop_missing: true, ..ReadOptions::default() })?;
    let seconds = start.elapsed().as_secs_f64();
    if given.is_none() {
        assert_eq!((frame.n_rows, frame.n_cols()), (189, 11), "data/lbw.csv: 189 rows, 11 columns");
    }
    println!(r#"{{"seconds": {seconds}, "rows": {}, "cols": {}}}"#, frame.n_rows, frame.n_cols());
    Ok(())
}
