//! `axon train`: trains a classifier (logistic regression, an MLP or a small CNN) by mini-batch
//! gradient descent on an IDX folder or a CSV file, reports test accuracy and log loss, and
//! saves the network with a run record and its training curves.
//!
//! The library does the work: `Dataset::load` reads, splits and scales the data,
//! `train_network` builds and trains the network and scores it on the test rows, and the
//! `NetworkClassifier` saves itself in the one model-file format (its architecture, scaling and
//! data schema beside the weights). This file turns flags into those options, draws the
//! progress bar, and writes `<out>.run.json` (argv, settings, seed, data digests, versions,
//! threads, per-epoch metrics) and `<out>.curves.svg` (or `--plot`, `curves.rs`).
//!
//! Progress goes to stderr: the network about to be trained, the bar, one line per epoch, the
//! files written and any warning (a loss that exploded, a resumed checkpoint with other
//! settings or no epochs left). Results go to stdout: the trained network and its test scores,
//! or with `--json` one object (its `warnings` field holds the warnings too).

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::time::Instant;

use axon::data::{Dataset, SplitOptions};
use axon::io::{DataRecord, RunRecord};
use axon::nn::{
    train_network, Activation as LibActivation, Architecture, EpochMetrics, Monitor,
    NetworkOptions, TrainConfig, TrainEvent, TrainSummary, TrainedNetwork,
};
use axon::optim::OptimizerChoice;
use clap::{Args, ValueEnum};
use indicatif::{ProgressBar, ProgressStyle};
use serde::Serialize;

use crate::common::settings_record;
use crate::curves::{self, CurveInfo};
use crate::output::{errln, outln, OutputError};

/// `axon train` arguments.
#[derive(Debug, Args, Serialize)]
pub struct TrainArgs {
    /// An IDX folder (MNIST / Fashion-MNIST files) or a CSV file. A CSV file with a header needs
    /// --target; without --target a CSV file is read as having no header and the class label in
    /// the last column (the digits.csv.gz layout).
    #[arg(long, value_name = "DIR_OR_CSV")]
    pub data: PathBuf,
    /// The class column of a CSV file with a header row.
    #[arg(long, value_name = "COL")]
    pub target: Option<String>,
    /// `logreg`, `mlp:H1,H2,...` (hidden layer widths) or `cnn` (two conv 3x3 + ReLU + max-pool
    /// 2 blocks of 32 and 64 channels, a dense layer of 128; needs square images).
    #[arg(long, value_name = "SPEC", default_value = "mlp:128")]
    pub model: String,
    /// The activation of the hidden layers.
    #[arg(long, value_enum, default_value_t = Activation::Relu)]
    pub activation: Activation,
    #[arg(long, default_value_t = 10)]
    pub epochs: usize,
    #[arg(long, default_value_t = 64)]
    pub batch_size: usize,
    /// Learning rate [default: 0.01 for sgd, 0.001 for adam and adamw].
    #[arg(long, value_name = "LR")]
    pub lr: Option<f64>,
    #[arg(long, value_enum, default_value_t = OptimizerKind::Adam)]
    pub optimizer: OptimizerKind,
    /// SGD momentum.
    #[arg(long, default_value_t = 0.0)]
    pub momentum: f64,
    /// L2 penalty (sgd, adam) or decoupled weight decay (adamw).
    #[arg(long, default_value_t = 0.0)]
    pub weight_decay: f64,
    /// Seeds the split, the initialisation and the batch order.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// The share of the training rows held out for validation (per-epoch val metrics, early
    /// stopping).
    #[arg(long, default_value_t = 0.1)]
    pub val_fraction: f64,
    /// Stop after this many epochs without a lower validation loss.
    #[arg(long, value_name = "N")]
    pub patience: Option<usize>,
    /// Keep the last epoch's weights. By default, with validation rows, the model ends with the
    /// parameters and buffers of the epoch with the lowest validation loss (`best_epoch`).
    #[arg(long)]
    pub no_restore_best: bool,
    /// Write a checkpoint here after every epoch; with --resume, continue from it (it must
    /// exist).
    #[arg(long, value_name = "FILE")]
    pub checkpoint: Option<PathBuf>,
    #[arg(long, requires = "checkpoint")]
    pub resume: bool,
    /// Save the model here (and the run record as `<out>.run.json`, the training curves as
    /// `<out>.curves.svg`).
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Draw the training curves (loss and accuracy per epoch) to this SVG file [default:
    /// `<out>.curves.svg` with --out].
    #[arg(long, value_name = "FILE")]
    pub plot: Option<PathBuf>,
    /// Print one JSON object instead of the text report.
    #[arg(long)]
    pub json: bool,
    /// No progress on stderr (the network about to be trained, the bar, the per-epoch lines,
    /// the files written); warnings are still printed. Results always go to stdout.
    #[arg(long)]
    pub quiet: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Activation {
    Relu,
    Tanh,
    Sigmoid,
    Gelu,
    LeakyRelu,
    Elu,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum OptimizerKind {
    Sgd,
    Adam,
    Adamw,
}

impl From<Activation> for LibActivation {
    fn from(a: Activation) -> LibActivation {
        match a {
            Activation::Relu => LibActivation::Relu,
            Activation::Tanh => LibActivation::Tanh,
            Activation::Sigmoid => LibActivation::Sigmoid,
            Activation::Gelu => LibActivation::Gelu,
            Activation::LeakyRelu => LibActivation::LeakyRelu,
            Activation::Elu => LibActivation::Elu,
        }
    }
}

impl TrainArgs {
    /// The library's options from the flags.
    fn options(&self) -> NetworkOptions {
        let wd = self.weight_decay;
        let optimizer = match self.optimizer {
            OptimizerKind::Sgd => OptimizerChoice::Sgd {
                lr: self.lr.unwrap_or(0.01),
                momentum: self.momentum,
                weight_decay: wd,
            },
            OptimizerKind::Adam => {
                OptimizerChoice::Adam { lr: self.lr.unwrap_or(1e-3), weight_decay: wd }
            }
            OptimizerKind::Adamw => {
                OptimizerChoice::AdamW { lr: self.lr.unwrap_or(1e-3), weight_decay: wd }
            }
        };
        let train = TrainConfig {
            epochs: self.epochs,
            patience: self.patience,
            monitor: Monitor::ValLoss,
            checkpoint: self.checkpoint.clone(),
            resume: self.resume,
            restore_best: !self.no_restore_best,
            ..Default::default()
        };
        NetworkOptions {
            model: self.model.clone(),
            activation: self.activation.into(),
            optimizer,
            batch_size: self.batch_size,
            seed: self.seed,
            train,
        }
    }
}

/// The progress bar (only on a terminal, without --quiet) and per-epoch lines (without --quiet).
/// A line that cannot be written stops the lines; the failure is said after training.
struct Reporter {
    /// Whether to draw a bar: stderr is a terminal and not --quiet.
    draw: bool,
    bar: Option<ProgressBar>,
    quiet: bool,
    started: Instant,
    failed: Option<OutputError>,
}

impl Reporter {
    fn new(quiet: bool) -> Reporter {
        let draw = !quiet && std::io::stderr().is_terminal();
        Reporter { draw, bar: None, quiet, started: Instant::now(), failed: None }
    }

    /// A bar for one epoch of `batches` steps.
    fn bar(epoch: usize, batches: usize) -> ProgressBar {
        let bar = ProgressBar::new(batches as u64);
        let style = ProgressStyle::with_template("epoch {prefix} {bar:30} {pos}/{len} {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar());
        bar.set_style(style);
        bar.set_prefix(epoch.to_string());
        bar
    }

    fn event(&mut self, event: TrainEvent<'_>) {
        match event {
            TrainEvent::Batch { epoch, batch, batches, loss, seen, accuracy } => {
                if !self.draw {
                    return;
                }
                if batch == 1 {
                    self.started = Instant::now();
                    self.bar = Some(Reporter::bar(epoch, batches));
                }
                let Some(bar) = &self.bar else { return };
                let rate = seen as f64 / self.started.elapsed().as_secs_f64().max(1e-9);
                bar.set_position(batch as u64);
                let acc = 100.0 * accuracy;
                bar.set_message(format!("loss {loss:.4}  acc {acc:.2}%  {rate:.0} examples/s"));
            }
            TrainEvent::Epoch(m) => {
                if let Some(bar) = self.bar.take() {
                    bar.finish_and_clear();
                }
                if !self.quiet && self.failed.is_none() {
                    self.failed = errln!("{}", epoch_line(m)).err();
                }
            }
        }
    }
}

fn epoch_line(m: &EpochMetrics) -> String {
    let val = match (m.val_loss, m.val_accuracy) {
        (Some(l), Some(a)) => format!("  val loss {l:.4} acc {:.2}%", 100.0 * a),
        _ => String::new(),
    };
    format!(
        "epoch {:>3}  train loss {:.4} acc {:.2}%{val}  {}  {:.0} examples/s",
        m.epoch,
        m.train_loss,
        100.0 * m.train_accuracy,
        duration(m.seconds),
        m.examples_per_second
    )
}

/// `12.3 ms` below a tenth of a second, `1.5 s` from there.
fn duration(seconds: f64) -> String {
    if seconds < 0.1 {
        format!("{:.1} ms", 1e3 * seconds)
    } else {
        format!("{seconds:.1} s")
    }
}

/// `1 epoch`, `2 epochs`.
fn epochs(n: usize) -> String {
    format!("{n} epoch{}", if n == 1 { "" } else { "s" })
}

/// Runs `axon train`.
pub fn run(args: &TrainArgs) -> anyhow::Result<()> {
    let split =
        SplitOptions { seed: args.seed, val_fraction: args.val_fraction, ..Default::default() };
    let data = Dataset::load(&args.data, args.target.as_deref(), &split)?;
    let options = args.options();
    if !args.quiet {
        let (d, image, k) = (data.d, data.image, data.n_classes());
        let arch = Architecture::parse(&options.model, options.activation, d, image, k);
        if let Some(arch) = arch.ok().filter(|a| a.check_size(Architecture::BYTES_TO_TRAIN).is_ok())
        {
            errln!("axon: training {arch}, {k} classes, {} rows", data.train.len())?;
        }
    }
    let mut reporter = Reporter::new(args.quiet);
    let trained = train_network(&data, &options, &mut |e| reporter.event(e))?;
    let summary = trained.summary(&data);
    for warning in &summary.warnings {
        errln!("axon: warning: {warning}")?;
    }
    if let Some(out) = &args.out {
        trained.classifier.save(out, &settings_record("train", args)?)?;
        write_run_record(out, args, &data, &trained, &summary)?;
    }
    if let Some(plot) = plot_path(args) {
        write_plot(args, &plot, &trained)?;
    }
    // An epoch line that could not be written fails the run only once the model is saved.
    if let Some(failed) = reporter.failed {
        return Err(failed.into());
    }
    if args.json {
        outln!("{}", serde_json::to_string_pretty(&summary)?)?;
        return Ok(());
    }
    outln!("{}", trained.classifier.net)?;
    let restored = match trained.report.restored_epoch {
        Some(best) => format!(" (the weights of epoch {best}, the best on validation)"),
        None => String::new(),
    };
    outln!(
        "test accuracy {:.2}% ({} rows), log loss {:.4}, {} in {}{restored}",
        100.0 * trained.test_accuracy,
        data.test.len(),
        trained.test_log_loss,
        epochs(trained.report.progress.history.len()),
        duration(trained.seconds)
    )?;
    Ok(())
}

/// Draws the training curves to `plot`.
fn write_plot(args: &TrainArgs, plot: &Path, trained: &TrainedNetwork) -> anyhow::Result<()> {
    let data = args.data.file_name().unwrap_or(args.data.as_os_str()).to_string_lossy();
    let title = format!("axon train: {} on {data}", args.model);
    let best_epoch = trained.report.restored_epoch;
    let test_accuracy = Some(trained.test_accuracy);
    let info = CurveInfo { title: &title, test_accuracy, best_epoch };
    curves::write(plot, &trained.report.progress.history, &info)?;
    if !args.quiet {
        errln!("axon: training curves written to {}", plot.display())?;
    }
    Ok(())
}

/// `--plot`, or `<out>.curves.svg` with `--out`.
fn plot_path(args: &TrainArgs) -> Option<PathBuf> {
    args.plot.clone().or_else(|| args.out.as_ref().map(|out| with_suffix(out, ".curves.svg")))
}

/// `path` with `suffix` appended to its name.
fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

/// `<out>.run.json`: everything needed to repeat and audit the run.
fn write_run_record(
    out: &Path,
    args: &TrainArgs,
    data: &Dataset,
    trained: &TrainedNetwork,
    summary: &TrainSummary,
) -> anyhow::Result<()> {
    let files = DataRecord::new(&args.data, data.schema.source.name(), &data.files)?;
    let argv = std::env::args().collect();
    let mut record = RunRecord::new(argv, serde_json::to_value(args)?, args.seed, files);
    record.best_epoch = summary.best_epoch;
    record.epochs = trained.report.progress.history.clone();
    record.result = serde_json::to_value(summary)?;
    record.write(&with_suffix(out, ".run.json"))?;
    if !args.quiet {
        errln!("axon: model written to {}", out.display())?;
    }
    Ok(())
}
