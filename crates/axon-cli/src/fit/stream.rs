//! `axon fit --stream`: an online logistic fit (FTRL-Proximal, Adagrad or SGD) of a file of any
//! size in bounded memory, one or more passes, the rows hashed into `2^--hash-bits` columns:
//! a table's columns by `--hash`, `--numeric`, `--log-bin` and `--cross`, or a Vowpal Wabbit
//! text file as it is. The progressive log loss (each row scored before it is learned from) is
//! printed to stderr at 1, 2, 4, ... rows as Vowpal Wabbit prints it, with a rows/s bar on a
//! terminal, and a summary at the end; `--checkpoint` saves the state as it goes and
//! `--resume` continues from it. All the flags of the stream are here, flattened into `fit`.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use axon::data::{
    expand_pattern, rank_parts, read_batches, read_column_names, Column, Format, HashRole,
    HashedColumn, HashedColumns, ReadOptions,
};
use axon::distributed::world;
use axon::linear::SparseLinearModel;
use axon::online::{
    fit_stream_parts, load_checkpoint, Learner, OnlineModel, Report, Schedule, StreamEvent,
    StreamOptions, StreamSource, DEFAULT_SYNC_ROWS,
};
use axon::text::SparseEncoder;
use clap::{Args, ValueEnum};
use indicatif::{ProgressBar, ProgressStyle};
use serde::Serialize;

use super::FitArgs;
use crate::common::{flag, settings_record};
use crate::options::Model;
use crate::output::{errln, outln};
use crate::ranks;

/// The hashed feature space of a stream without `--hash-bits`: 2^18 columns, as Vowpal Wabbit's.
pub(super) const DEFAULT_HASH_BITS: u32 = 18;

/// The learning rate of adagrad and sgd without `--lr`.
const DEFAULT_RATE: f64 = 0.1;

/// The flags of `axon fit --stream` (its `--hash-bits` is the one of `text_args.rs`, its
/// learning rate `--lr`).
#[derive(Debug, Clone, Args, Serialize)]
pub struct StreamArgs {
    /// Fit online, streaming --data in batches (any size, bounded memory): a table hashed by
    /// --hash/--numeric/--log-bin/--cross, or a Vowpal Wabbit file (.vw). --target is the 0/1 or
    /// -1/1 label column of a table.
    #[arg(long)]
    pub stream: bool,
    /// The online learner (--stream).
    #[arg(long, value_enum, default_value_t = LearnerArg::Ftrl)]
    pub learner: LearnerArg,
    /// Passes over the file (--stream).
    #[arg(long, value_name = "N", default_value_t = 1)]
    pub passes: u32,
    /// Categorical columns to hash as `col=value`, in a stream or a batch fit; `--hash` alone:
    /// every column but the target, --numeric and --log-bin columns that is not numbers.
    #[arg(long, value_name = "COL,...", value_delimiter = ',', num_args = 0..)]
    pub hash: Option<Vec<String>>,
    /// Numeric columns to hash, one feature each with the value itself.
    #[arg(long, value_name = "COL,...", value_delimiter = ',')]
    pub numeric: Vec<String>,
    /// Count columns hashed by their order of magnitude, `col=floor(log2(1+x))`.
    #[arg(long, value_name = "COL,...", value_delimiter = ',')]
    pub log_bin: Vec<String>,
    /// A cross feature of two hashed columns, `A:B` (repeatable).
    #[arg(long, value_name = "A:B")]
    pub cross: Vec<String>,
    /// Rows read and learned per batch (--stream).
    #[arg(long, value_name = "N", default_value_t = 65_536)]
    pub batch_rows: usize,
    /// FTRL's alpha, the scale of its per-coordinate rates (--stream).
    #[arg(long, value_name = "A", default_value_t = 0.05)]
    pub ftrl_alpha: f64,
    /// FTRL's beta (--stream).
    #[arg(long, value_name = "B", default_value_t = 1.0)]
    pub ftrl_beta: f64,
    /// FTRL's L1 penalty (--stream).
    #[arg(long, value_name = "L", default_value_t = 0.0)]
    pub ftrl_l1: f64,
    /// The L2 penalty of the online learners (--stream).
    #[arg(long = "stream-l2", value_name = "L", default_value_t = 0.0)]
    pub l2: f64,
    /// How the sgd rate shrinks (--stream).
    #[arg(long, value_enum, default_value_t = ScheduleArg::InvSqrt)]
    pub schedule: ScheduleArg,
    /// Save the learner's state here (atomically) every 2^22 rows and after each pass
    /// (--stream).
    #[arg(long, value_name = "FILE")]
    pub checkpoint: Option<PathBuf>,
    /// Continue from a --checkpoint file made with the same data and settings (--stream).
    #[arg(long, value_name = "FILE")]
    pub resume: Option<PathBuf>,
    /// Over MPI ranks (`mpirun -n K`): the rows each rank learns between two merges of the
    /// ranks' models (one allreduce); they also merge at the end of each pass (--stream).
    #[arg(long, value_name = "N", default_value_t = DEFAULT_SYNC_ROWS)]
    pub sync_every: u64,
}

/// `--learner`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum LearnerArg {
    Ftrl,
    Adagrad,
    Sgd,
}

/// `--schedule`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ScheduleArg {
    Constant,
    InvSqrt,
}

/// What the checkpoint records of a run, to refuse resuming with other settings.
#[derive(Serialize)]
struct Settings<'a> {
    data: String,
    source: &'a str,
    learner: Learner,
    /// MPI ranks (absent for one process, so one process's checkpoints read as before).
    #[serde(skip_serializing_if = "is_one")]
    ranks: usize,
}

fn is_one(n: &usize) -> bool {
    *n == 1
}

/// The JSON summary.
#[derive(Serialize)]
struct Summary {
    data: String,
    learner: Learner,
    features: usize,
    rows: u64,
    rows_this_run: u64,
    passes: u32,
    progressive_log_loss: f64,
    seconds: f64,
    rows_per_second: f64,
    reports: Vec<ReportJson>,
}

#[derive(Serialize)]
struct ReportJson {
    rows: u64,
    pass: u32,
    average_loss: f64,
    since_last: f64,
}

impl StreamArgs {
    /// The learner; `lr` is `--lr` (adagrad's and sgd's rate, default 0.1).
    fn learner(&self, lr: Option<f64>) -> Learner {
        let rate = lr.unwrap_or(DEFAULT_RATE);
        match self.learner {
            LearnerArg::Ftrl => Learner::Ftrl {
                alpha: self.ftrl_alpha,
                beta: self.ftrl_beta,
                l1: self.ftrl_l1,
                l2: self.l2,
            },
            LearnerArg::Adagrad => Learner::Adagrad { rate, l2: self.l2 },
            LearnerArg::Sgd => Learner::Sgd {
                rate,
                l2: self.l2,
                schedule: match self.schedule {
                    ScheduleArg::Constant => Schedule::Constant,
                    ScheduleArg::InvSqrt => Schedule::InvSqrt,
                },
            },
        }
    }

    /// Whether `--hash`, `--numeric`, `--log-bin` or `--cross` is given.
    pub fn hashes(&self) -> bool {
        self.hash.is_some()
            || !self.numeric.is_empty()
            || !self.log_bin.is_empty()
            || !self.cross.is_empty()
    }

    /// The hashed columns `--hash`, `--numeric`, `--log-bin` and `--cross` describe for a table
    /// (`None` when they name none), for a stream or a batch fit.
    pub fn hashed_columns(
        &self,
        data: &Path,
        format: Format,
        target: &str,
        bits: u32,
    ) -> anyhow::Result<Option<HashedColumns>> {
        let with = |names: &[String], role: HashRole| -> Vec<HashedColumn> {
            names.iter().map(|name| HashedColumn { name: name.clone(), role }).collect()
        };
        let mut columns = with(&self.numeric, HashRole::Numeric);
        columns.extend(with(&self.log_bin, HashRole::LogBinned));
        match &self.hash {
            Some(names) if !names.is_empty() => columns.extend(with(names, HashRole::Categorical)),
            Some(_) => {
                let taken: Vec<String> = columns.iter().map(|c| c.name.clone()).collect();
                let text = text_columns(data, format, target, &taken)?;
                columns.extend(with(&text, HashRole::Categorical));
            }
            None => {}
        }
        if columns.is_empty() {
            if !self.cross.is_empty() {
                anyhow::bail!(
                    "--cross crosses hashed columns: name them with --hash, --numeric or --log-bin"
                );
            }
            return Ok(None);
        }
        let crosses = self
            .cross
            .iter()
            .map(|c| match c.split_once(':') {
                Some((a, b)) if !a.is_empty() && !b.is_empty() => Ok((a.to_owned(), b.to_owned())),
                _ => Err(anyhow::anyhow!("--cross {c}: expected two column names as A:B")),
            })
            .collect::<anyhow::Result<Vec<_>>>()?;
        let features = HashedColumns::new(bits, columns, crosses)
            .map_err(|e| anyhow::anyhow!("--hash/--cross: {e}"))?;
        Ok(Some(features))
    }

    /// The source of the rows: a VW file as it is, a table through its featurizer.
    fn source(
        &self,
        data: &Path,
        format: Format,
        target: &str,
        bits: u32,
    ) -> anyhow::Result<StreamSource> {
        if format == Format::Vw {
            if self.hashes() {
                anyhow::bail!(
                    "--hash, --numeric, --log-bin and --cross featurize a table; a Vowpal Wabbit \
                     file's features are hashed as they are"
                );
            }
            return Ok(StreamSource::Vw { path: data.to_owned(), bits });
        }
        let Some(features) = self.hashed_columns(data, format, target, bits)? else {
            anyhow::bail!(
                "--stream of a table needs features: --hash COL,... (or --hash alone for every \
                 text column), --numeric COL,... or --log-bin COL,..."
            );
        };
        let mut names: Vec<String> = features.columns().iter().map(|c| c.name.clone()).collect();
        let read = ReadOptions {
            format: Some(format),
            missing: vec![],
            categorical: names.clone(),
            columns: Some({
                names.push(target.to_owned());
                names
            }),
            ..ReadOptions::default()
        };
        Ok(StreamSource::Table { path: data.to_owned(), read, target: target.to_owned(), features })
    }
}

/// The columns of a table other than the target and `taken` whose values in the first rows are
/// not all numbers (empty fields aside).
fn text_columns(
    data: &Path,
    format: Format,
    target: &str,
    taken: &[String],
) -> anyhow::Result<Vec<String>> {
    let read = ReadOptions { format: Some(format), ..ReadOptions::default() };
    let all_names = read_column_names(data, &read)?;
    let names = all_names.iter().filter(|n| *n != target && !taken.contains(n));
    let all = ReadOptions {
        missing: vec![],
        categorical: all_names.iter().filter(|n| *n != target).cloned().collect(),
        ..read
    };
    let sample = read_batches(data, &all, 10_000)?.next().transpose()?;
    let Some(sample) = sample else { anyhow::bail!("{}: no rows", data.display()) };
    let is_text = |name: &str| match sample.column(name) {
        Ok(Column::Categorical { levels, .. }) => {
            levels.iter().any(|l| !l.trim().is_empty() && l.trim().parse::<f64>().is_err())
        }
        _ => false,
    };
    Ok(names.filter(|n| is_text(n)).cloned().collect())
}

/// Runs `axon fit --stream` (and `axon fit` of a .vw file).
pub fn run(args: &FitArgs) -> anyhow::Result<()> {
    let flags = &args.stream;
    let data = &args.design.data;
    let format = Format::resolve(args.design.format.map(Format::from), data);
    if format == Format::Libsvm {
        anyhow::bail!(
            "--stream reads tables and Vowpal Wabbit files; a LibSVM file is fitted whole"
        );
    }
    if !args.text.text.is_empty() {
        anyhow::bail!("--text: a stream hashes table columns (--hash); fit text columns whole");
    }
    if args.model != Model::Logit {
        anyhow::bail!("--stream fits the logit (got --model {})", flag(args.model));
    }
    if let Some(name) = args.text.other_flags().into_iter().find(|f| *f != "--hash-bits") {
        anyhow::bail!("{name} describes text features (--text); --stream hashes table columns");
    }
    let bits = args.text.hash_bits.unwrap_or(DEFAULT_HASH_BITS);
    // `--data 'part-*.csv'`: every file, in name order; the first stands for them all.
    let files = expand_pattern(data)?;
    let first = &files[0];
    let source = flags.source(first, format, &args.design.target, bits)?;
    let comm = world();
    let parts = rank_parts(&files, source.layout(first)?, comm.rank(), comm.size())?;
    if let (Some(out), StreamSource::Vw { .. }) = (&args.out, &source) {
        anyhow::bail!(
            "--out {}: a model streamed from a Vowpal Wabbit file is not saved for predict (which \
             reads tables); --checkpoint keeps its state",
            out.display()
        );
    }
    let source_text = match &source {
        StreamSource::Table { features, .. } => serde_json::to_string(features)?,
        StreamSource::Vw { bits, .. } => format!("vw, {bits} bits"),
    };
    let learner = flags.learner(args.fit.lr);
    let settings = serde_json::to_string(&Settings {
        data: data.display().to_string(),
        source: &source_text,
        learner,
        ranks: comm.size(),
    })?;
    let (mut model, places) = match &flags.resume {
        Some(path) => {
            let saved = load_checkpoint(path)?;
            // Each rank's place in its part of the data holds only for the same ranks.
            let by = saved.places.len().max(1);
            if by != comm.size() {
                let runs = |k: usize| match k {
                    1 => "one process".to_owned(),
                    k => format!("{k} MPI ranks"),
                };
                anyhow::bail!(
                    "--resume {}: the checkpoint was written by {}, this run has {}: resume it \
                     with {}",
                    path.display(),
                    runs(by),
                    runs(comm.size()),
                    if by == 1 { "one process".to_owned() } else { format!("mpirun -n {by}") }
                );
            }
            if saved.settings != settings {
                anyhow::bail!(
                    "--resume {}: the checkpoint was made with other data or settings:\n  saved: \
                     {}\n  now:   {settings}",
                    path.display(),
                    saved.settings
                );
            }
            (saved.model, saved.places)
        }
        None => (OnlineModel::new(learner, source.n_features())?, Vec::new()),
    };
    let options = StreamOptions {
        passes: flags.passes,
        batch_rows: flags.batch_rows,
        checkpoint: flags.checkpoint.clone(),
        settings,
        sync_rows: flags.sync_every,
        places,
        ..StreamOptions::default()
    };
    let root = ranks::is_root();
    let bar = if root { progress_bar() } else { None };
    let mut reports = Vec::new();
    let mut failed = None;
    let summary =
        fit_stream_parts(&source, &parts, &mut model, &options, comm, &mut |event| match event {
            StreamEvent::Report(r) => {
                if failed.is_none() && !args.json && root {
                    let first = reports.is_empty();
                    failed = match &bar {
                        Some(bar) => bar.suspend(|| report_line(&r, first)).err(),
                        None => report_line(&r, first).err(),
                    };
                }
                reports.push(r);
            }
            StreamEvent::Batch { pass, rows_in_pass } => {
                if let Some(bar) = &bar {
                    bar.set_position(rows_in_pass);
                    bar.set_message(format!("pass {}", pass + 1));
                }
            }
        });
    if let Some(bar) = &bar {
        bar.finish_and_clear();
    }
    let summary = summary?;
    if let Some(e) = failed {
        return Err(e);
    }
    if !root {
        return Ok(());
    }
    if let (Some(out), StreamSource::Table { features, .. }) = (&args.out, &source) {
        save_model(args, first, features, &model, out)?;
    }
    let rows_per_second = summary.rows_now as f64 / summary.seconds.max(1e-9);
    if args.json {
        let out = Summary {
            data: data.display().to_string(),
            learner,
            features: source.n_features(),
            rows: summary.rows,
            rows_this_run: summary.rows_now,
            passes: summary.passes,
            progressive_log_loss: summary.average_loss,
            seconds: summary.seconds,
            rows_per_second,
            reports: reports
                .iter()
                .map(|r| ReportJson {
                    rows: r.rows,
                    pass: r.pass,
                    average_loss: r.average_loss,
                    since_last: r.since_last,
                })
                .collect(),
        };
        outln!("{}", serde_json::to_string_pretty(&out)?)?;
    } else {
        outln!("Online logistic regression ({}) of {}", learner.name(), data.display())?;
        outln!(
            "  features               2^{} hashed columns + bias",
            source.n_features().trailing_zeros()
        )?;
        outln!("  rows learned           {} ({} this run)", summary.rows, summary.rows_now)?;
        outln!("  passes                 {}", summary.passes)?;
        outln!("  progressive log loss   {:.6}", summary.average_loss)?;
        outln!("  seconds                {:.2}", summary.seconds)?;
        outln!("  rows/s                 {rows_per_second:.0}")?;
    }
    if let Some(path) = &flags.checkpoint {
        errln!("axon: checkpoint written to {}", path.display())?;
    }
    Ok(())
}

/// One progressive-loss line, as Vowpal Wabbit prints them (the header above the first).
fn report_line(r: &Report, first: bool) -> anyhow::Result<()> {
    if first {
        errln!("{:>12} {:>12} {:>12} {:>6}", "average loss", "since last", "rows", "pass")?;
    }
    errln!("{:>12.6} {:>12.6} {:>12} {:>6}", r.average_loss, r.since_last, r.rows, r.pass + 1)?;
    Ok(())
}

/// A rows/s counter on stderr, only on a terminal.
fn progress_bar() -> Option<ProgressBar> {
    if !std::io::stderr().is_terminal() {
        return None;
    }
    let bar = ProgressBar::new_spinner();
    let style = ProgressStyle::with_template("{spinner} {msg} {human_pos} rows {per_sec}")
        .unwrap_or_else(|_| ProgressStyle::default_spinner());
    bar.set_style(style);
    Some(bar)
}

/// Saves the streamed weights with their hashing as a sparse logit, for `axon predict` and
/// `axon eval`. The classes are named by the label coding of the file's first rows (`-1`/`1`
/// when a −1 is among them, else `0`/`1`).
fn save_model(
    args: &FitArgs,
    first: &Path,
    features: &HashedColumns,
    model: &OnlineModel,
    out: &Path,
) -> anyhow::Result<()> {
    let target = &args.design.target;
    let read = ReadOptions {
        format: args.design.format.map(Format::from),
        columns: Some(vec![target.clone()]),
        missing: Vec::new(),
        ..ReadOptions::default()
    };
    let first = read_batches(first, &read, 4096)?.next().transpose()?;
    let minus_one = first.is_some_and(|frame| {
        frame.column(target).is_ok_and(|c| (0..c.len()).any(|i| c.label(i).trim() == "-1"))
    });
    let negative = if minus_one { "-1" } else { "0" };
    let classes = vec![negative.to_owned(), "1".to_owned()];
    let mut weights = model.weights();
    let bias = weights.pop().expect("the bias is the last weight");
    let saved = SparseLinearModel::new(
        SparseEncoder::hashed(features.clone()),
        target.clone(),
        classes,
        weights,
        vec![bias],
        settings_record("fit", args)?,
    )?;
    saved.save(out)?;
    errln!("saved the model to {}", out.display())?;
    Ok(())
}
