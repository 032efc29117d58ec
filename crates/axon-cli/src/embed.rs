//! `axon embed`: sentence embeddings of a text column by a sentence-transformers model directory
//! (`axon::nn::bert::SentenceEncoder`), written as CSV or Parquet (columns `e0 … e{d−1}`, one
//! row per input row, in order; Parquet's are `Float32`, what pandas and polars read as a frame
//! of float columns) or safetensors (`embeddings`, `f32` `(rows, d)`), atomically. Progress goes to stderr:
//! a bar with texts per second on a terminal, one summary line in any case unless `--quiet`.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::time::Instant;

use axon::data::{read_table, write_parquet_f32, ReadOptions};
use axon::io::{save_safetensors, write_atomic};
use axon::nn::bert::SentenceEncoder;
use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};

use crate::options::FormatArg;

/// Arguments of `axon embed`.
#[derive(Debug, Args)]
pub struct EmbedArgs {
    /// The model directory: sentence-transformers' (modules.json, 1_Pooling/…) or a Hugging Face
    /// BERT's (config.json, model.safetensors, tokenizer.json); see scripts/fetch_models.sh.
    #[arg(long, value_name = "DIR")]
    model: PathBuf,
    /// The data file (CSV, TSV or Parquet) holding the text column.
    #[arg(long, value_name = "FILE")]
    data: PathBuf,
    /// The format of --data [default: from the file name, else by its magic bytes].
    #[arg(long, value_enum)]
    format: Option<FormatArg>,
    /// The column of texts to embed (an empty field is an empty text).
    #[arg(long, value_name = "COL")]
    text: String,
    /// Texts encoded at a time (sorted by length, so a batch pads little).
    #[arg(long, value_name = "B", default_value_t = 32)]
    batch_size: usize,
    /// Where to write the embeddings: .csv, .parquet (one Float32 column per dimension) or
    /// .safetensors.
    #[arg(long, value_name = "FILE")]
    out: PathBuf,
    /// Print nothing on stderr.
    #[arg(long)]
    quiet: bool,
}

/// Runs `axon embed`.
pub fn run(args: &EmbedArgs) -> anyhow::Result<()> {
    let ext = args.out.extension().and_then(|e| e.to_str()).unwrap_or_default();
    let ext = ext.to_ascii_lowercase();
    if !matches!(ext.as_str(), "csv" | "parquet" | "safetensors") {
        anyhow::bail!("--out {}: write .csv, .parquet or .safetensors", args.out.display());
    }
    if args.batch_size == 0 {
        anyhow::bail!("--batch-size 0: encode at least one text at a time");
    }
    let encoder = SentenceEncoder::load(&args.model)?;
    let read = ReadOptions {
        format: args.format.map(Into::into),
        missing: Vec::new(),
        columns: Some(vec![args.text.clone()]),
        categorical: vec![args.text.clone()],
        ..ReadOptions::default()
    };
    let frame = read_table(&args.data, &read)?;
    let column = frame.column(&args.text)?;
    let texts: Vec<String> = (0..column.len()).map(|i| column.label(i).into_owned()).collect();
    drop(frame);
    let texts: Vec<&str> = texts.iter().map(String::as_str).collect();
    let bar = (!args.quiet && std::io::stderr().is_terminal()).then(|| {
        let bar = ProgressBar::new(texts.len() as u64);
        let style = ProgressStyle::with_template("embed {bar:30} {pos}/{len} {per_sec} {eta}")
            .unwrap_or_else(|_| ProgressStyle::default_bar());
        bar.set_style(style);
        bar
    });
    let started = Instant::now();
    let embeddings = encoder.embed_with_progress(&texts, args.batch_size, |done| {
        if let Some(bar) = &bar {
            bar.set_position(done as u64);
        }
    })?;
    let seconds = started.elapsed().as_secs_f64();
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    let dim = encoder.dim();
    let names: Vec<String> = (0..dim).map(|j| format!("e{j}")).collect();
    if ext == "parquet" {
        write_parquet_f32(&args.out, &names, &embeddings.to_vec::<f32>()?)?;
    } else if ext == "csv" {
        let values: Vec<f32> = embeddings.to_vec()?;
        let mut text = names.join(",");
        text.push('\n');
        for row in values.chunks(dim.max(1)) {
            let fields: Vec<String> = row.iter().map(f32::to_string).collect();
            text.push_str(&fields.join(","));
            text.push('\n');
        }
        write_atomic(&args.out, text.as_bytes())?;
    } else {
        let metadata = [
            ("model".to_owned(), args.model.display().to_string()),
            ("text_column".to_owned(), args.text.clone()),
        ];
        let tensors = [("embeddings".to_owned(), embeddings)];
        save_safetensors(&args.out, &tensors, &metadata.into_iter().collect())?;
    }
    if !args.quiet {
        let rate = texts.len() as f64 / seconds.max(1e-9);
        crate::output::errln!(
            "embedded {} texts ({dim} dimensions) in {seconds:.2} s, {rate:.1} texts/s; wrote {}",
            texts.len(),
            args.out.display()
        )?;
    }
    Ok(())
}
