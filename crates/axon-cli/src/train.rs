//! `axon train`: trains a classifier (logistic regression, an MLP or a small CNN) by mini-batch
//! gradient descent on an IDX folder or a CSV file, reports test accuracy and log loss, and
//! saves the network with a run record and its training curves.
//!
//! The flags a student of the lectures reaches for map one to one onto library options: the
//! columns of a table (`--features`, `--drop`, `--categorical`: `axon::data::Columns`, encoded
//! by the encoder `axon fit` uses), the layers (`--activation leaky-relu:0.1`, `--dropout`,
//! `--batch-norm`, `--output sigmoid`: `LayerOptions`, recorded in the model's architecture),
//! and the training (`--nesterov`, `--class-weight`, `--scheduler`). Values clap can check
//! (a dropout probability, an activation's slope, a schedule) are checked as the flags are read,
//! so that their errors name the flag.
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

use axon::data::{Columns, Dataset, Format, SplitOptions};
use axon::io::{DataRecord, RunRecord};
use axon::linear::ClassWeight;
use axon::nn::{
    train_network, Activation as LibActivation, Architecture, EpochMetrics, LayerOptions, Monitor,
    NetworkOptions, Output, TrainConfig, TrainEvent, TrainSummary, TrainedNetwork, LEAKY_SLOPE,
};
use axon::optim::{OptimizerChoice, ScheduleChoice};
use clap::{Args, ValueEnum};
use indicatif::{ProgressBar, ProgressStyle};
use serde::Serialize;

use crate::common::settings_record;
use crate::curves::{self, CurveInfo};
use crate::options::FormatArg;
use crate::output::{errln, outln, OutputError};
use crate::ranks;
use crate::text_args::TextArgs;

/// `axon train` arguments.
#[derive(Debug, Args, Serialize)]
pub struct TrainArgs {
    /// An IDX folder (MNIST / Fashion-MNIST files) or a CSV file. A CSV file with a header needs
    /// --target; without --target a CSV file is read as having no header and the class label in
    /// the last column (the digits.csv.gz layout).
    #[arg(long, value_name = "DIR_OR_CSV")]
    pub data: PathBuf,
    /// The format of a --data file with a header [default: from the file name: .csv, .tsv,
    /// .parquet, optionally .gz; else Parquet by its magic bytes, else CSV].
    #[arg(long, value_enum, requires = "target")]
    pub format: Option<FormatArg>,
    /// The class column of a CSV file with a header row.
    #[arg(long, value_name = "COL")]
    pub target: Option<String>,
    /// The feature columns, comma-separated [default: every column but the target]. Text
    /// columns (and --categorical ones) become one 0/1 column per level, as in `axon fit`.
    #[arg(long, value_name = "A,B,...", value_delimiter = ',', requires = "target")]
    pub features: Option<Vec<String>>,
    /// Columns to leave out of the features, comma-separated (an id, a leaking column).
    #[arg(long, value_name = "A,B,...", value_delimiter = ',', requires = "target")]
    pub drop: Vec<String>,
    /// Numeric feature columns to treat as categorical (text columns always are).
    #[arg(long, value_name = "C1,C2,...", value_delimiter = ',', requires = "target")]
    pub categorical: Vec<String>,
    /// `logreg`, `mlp:H1,H2,...` (hidden layer widths) or `cnn` (two conv 3x3 + ReLU + max-pool
    /// 2 blocks of 32 and 64 channels, a dense layer of 128; needs square images).
    #[arg(long, value_name = "SPEC", default_value = "mlp:128")]
    pub model: String,
    /// The activation of the hidden layers: relu, tanh, sigmoid, gelu, elu, or
    /// leaky-relu[:SLOPE] (the slope below zero, default 0.01; e.g. leaky-relu:0.1).
    #[arg(long, value_name = "NAME", default_value = "relu", value_parser = parse_activation)]
    pub activation: ActivationArg,
    /// Dropout after each hidden activation with this probability, in [0, 1) (training only;
    /// predictions use the whole network).
    #[arg(long, value_name = "P", default_value_t = 0.0, value_parser = parse_dropout)]
    pub dropout: f64,
    /// Batch normalisation (BatchNorm1d) after each hidden linear layer, before its activation;
    /// predictions use the running mean and variance saved with the model.
    #[arg(long)]
    pub batch_norm: bool,
    /// The output layer: softmax (one unit per class, cross-entropy) or, for two classes,
    /// sigmoid (one unit, P(class 1) = sigmoid(z), binary cross-entropy).
    #[arg(long, value_enum, default_value_t = OutputArg::Softmax)]
    pub output: OutputArg,
    /// Weights of the classes in the training loss: none, or balanced (class k weighs
    /// n / (K n_k) on the training rows, as scikit-learn).
    #[arg(long, value_enum, default_value_t = ClassWeightArg::None)]
    pub class_weight: ClassWeightArg,
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
    /// Nesterov momentum (with --optimizer sgd and --momentum > 0), as PyTorch's SGD.
    #[arg(long)]
    pub nesterov: bool,
    /// The learning rate per epoch e = 0, 1, ...: step:S[:GAMMA] (multiplied by GAMMA, default
    /// 0.1, every S epochs), cosine[:T_MAX[:ETA_MIN]] (half a cosine from --lr down to ETA_MIN,
    /// default 0, over T_MAX epochs, default --epochs), or warmup:W[:START] (a linear ramp from
    /// START x --lr, default 1/(W+1), to --lr over W epochs). Printed on each epoch line.
    #[arg(long, value_name = "SPEC", value_parser = parse_scheduler)]
    pub scheduler: Option<ScheduleChoice>,
    /// L2 penalty (sgd, adam) or decoupled weight decay (adamw) [default: 0; with --encoder
    /// 0.01, not on biases and layer norms].
    #[arg(long, value_name = "W")]
    pub weight_decay: Option<f64>,
    /// A sentence-transformers or Hugging Face BERT directory: train a classification head on
    /// its pooled output for the one --text column (the encoder frozen, unless --fine-tune),
    /// with AdamW, a linear warm-up then linear decay per step, and gradient clipping.
    #[arg(long, value_name = "DIR", requires = "text")]
    pub encoder: Option<PathBuf>,
    /// With --encoder: update the encoder's weights too (the lecture's "retrain").
    #[arg(long, requires = "encoder")]
    pub fine_tune: bool,
    /// With --fine-tune: keep the embeddings and the first K encoder layers fixed.
    #[arg(long, value_name = "K", requires = "fine_tune")]
    pub freeze_layers: Option<usize>,
    /// With --encoder: warm the learning rate up linearly from 0 over N optimizer steps [default:
    /// 0, or --warmup-ratio].
    #[arg(long, value_name = "N", requires = "encoder", conflicts_with = "warmup_ratio")]
    pub warmup_steps: Option<usize>,
    /// With --encoder: warm up over this share of all steps, rounded up.
    #[arg(long, value_name = "R", requires = "encoder")]
    pub warmup_ratio: Option<f64>,
    /// With --encoder: clip the global gradient norm to this.
    #[arg(long, value_name = "NORM", default_value_t = 1.0, requires = "encoder")]
    pub max_grad_norm: f64,
    /// With --encoder: truncate texts to this many tokens [default: the encoder's length].
    #[arg(long, value_name = "N", requires = "encoder")]
    pub max_length: Option<usize>,
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
    #[command(flatten)]
    pub text: TextArgs,
}

/// `--activation`: the hidden layers' activation and a leaky ReLU's slope.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct ActivationArg {
    pub name: LibActivation,
    /// The slope below zero of leaky-relu (recorded also when it is the default).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub negative_slope: Option<f64>,
}

/// Parses `relu`, ..., `leaky-relu` or `leaky-relu:SLOPE`.
fn parse_activation(s: &str) -> Result<ActivationArg, String> {
    let (name, slope) = match s.trim().split_once(':') {
        Some((name, slope)) => (name.trim(), Some(slope.trim())),
        None => (s.trim(), None),
    };
    let name = match name {
        "relu" => LibActivation::Relu,
        "tanh" => LibActivation::Tanh,
        "sigmoid" => LibActivation::Sigmoid,
        "gelu" => LibActivation::Gelu,
        "elu" => LibActivation::Elu,
        "leaky-relu" | "leaky_relu" => LibActivation::LeakyRelu,
        _ => return Err("expected relu, tanh, sigmoid, gelu, elu or leaky-relu[:SLOPE]".into()),
    };
    let negative_slope = match (name, slope) {
        (LibActivation::LeakyRelu, None) => Some(LEAKY_SLOPE),
        (LibActivation::LeakyRelu, Some(v)) => match v.parse::<f64>() {
            Ok(slope) if slope.is_finite() => Some(slope),
            _ => return Err(format!("the slope of leaky-relu:SLOPE must be a number, not `{v}`")),
        },
        (_, Some(_)) => return Err("only leaky-relu takes a slope (leaky-relu:SLOPE)".into()),
        (_, None) => None,
    };
    Ok(ActivationArg { name, negative_slope })
}

/// A dropout probability in [0, 1).
fn parse_dropout(s: &str) -> Result<f64, String> {
    match s.trim().parse::<f64>() {
        Ok(p) if (0.0..1.0).contains(&p) => Ok(p),
        _ => Err(format!("a dropout probability is a number in [0, 1), not `{s}`")),
    }
}

/// `--scheduler`, by the library's parser.
fn parse_scheduler(s: &str) -> Result<ScheduleChoice, String> {
    ScheduleChoice::parse(s).map_err(|e| match e {
        axon::Error::InvalidArgument { reason, .. } => reason,
        e => e.to_string(),
    })
}

/// `--output`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum OutputArg {
    Softmax,
    Sigmoid,
}

/// `--class-weight`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ClassWeightArg {
    None,
    Balanced,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum OptimizerKind {
    Sgd,
    Adam,
    Adamw,
}

impl TrainArgs {
    /// Which columns of a table with a header to train on (`None` without --target).
    fn columns(&self) -> Option<Columns> {
        let trimmed = |v: &[String]| v.iter().map(|s| s.trim().to_owned()).collect::<Vec<_>>();
        self.target.as_ref().map(|target| Columns {
            target: target.trim().to_owned(),
            features: self.features.as_deref().map(trimmed),
            drop: trimmed(&self.drop),
            categorical: trimmed(&self.categorical),
            format: self.format.map(Format::from),
        })
    }

    /// The library's options from the flags.
    pub(crate) fn options(&self) -> anyhow::Result<NetworkOptions> {
        if self.nesterov && (self.optimizer != OptimizerKind::Sgd || self.momentum <= 0.0) {
            anyhow::bail!("--nesterov needs --optimizer sgd and a --momentum above 0");
        }
        let wd = self.weight_decay.unwrap_or(0.0);
        let optimizer = match self.optimizer {
            OptimizerKind::Sgd => OptimizerChoice::Sgd {
                lr: self.lr.unwrap_or(0.01),
                momentum: self.momentum,
                weight_decay: wd,
                nesterov: self.nesterov,
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
        let layers = LayerOptions {
            activation: self.activation.name,
            negative_slope: self.activation.negative_slope,
            dropout: self.dropout,
            batch_norm: self.batch_norm,
            output: match self.output {
                OutputArg::Softmax => Output::Softmax,
                OutputArg::Sigmoid => Output::Sigmoid,
            },
        };
        let class_weight = match self.class_weight {
            ClassWeightArg::None => ClassWeight::None,
            ClassWeightArg::Balanced => ClassWeight::Balanced,
        };
        Ok(NetworkOptions {
            model: self.model.clone(),
            layers,
            optimizer,
            scheduler: self.scheduler,
            class_weight,
            batch_size: self.batch_size,
            seed: self.seed,
            train,
        })
    }
}

/// The progress bar (only on a terminal, without --quiet) and per-epoch lines (without --quiet).
/// A line that cannot be written stops the lines; the failure is said after training.
pub(crate) struct Reporter {
    /// Whether to draw a bar: stderr is a terminal and not --quiet.
    draw: bool,
    bar: Option<ProgressBar>,
    quiet: bool,
    /// Whether the epoch lines show the learning rate (it changes with a --scheduler).
    show_lr: bool,
    started: Instant,
    pub(crate) failed: Option<OutputError>,
}

impl Reporter {
    pub(crate) fn new(quiet: bool, show_lr: bool) -> Reporter {
        let draw = !quiet && std::io::stderr().is_terminal();
        let started = Instant::now();
        Reporter { draw, bar: None, quiet, show_lr, started, failed: None }
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

    pub(crate) fn event(&mut self, event: TrainEvent<'_>) {
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
                    self.failed = errln!("{}", epoch_line(m, self.show_lr)).err();
                }
            }
        }
    }
}

pub(crate) fn epoch_line(m: &EpochMetrics, show_lr: bool) -> String {
    let val = match (m.val_loss, m.val_accuracy) {
        (Some(l), Some(a)) => format!("  val loss {l:.4} acc {:.2}%", 100.0 * a),
        _ => String::new(),
    };
    let lr = if show_lr { format!("  lr {:.6e}", m.learning_rate) } else { String::new() };
    format!(
        "epoch {:>3}{lr}  train loss {:.4} acc {:.2}%{val}  {}  {:.0} examples/s",
        m.epoch,
        m.train_loss,
        100.0 * m.train_accuracy,
        duration(m.seconds),
        m.examples_per_second
    )
}

/// `12.3 ms` below a tenth of a second, `1.5 s` from there.
pub(crate) fn duration(seconds: f64) -> String {
    if seconds < 0.1 {
        format!("{:.1} ms", 1e3 * seconds)
    } else {
        format!("{seconds:.1} s")
    }
}

/// `1 epoch`, `2 epochs`.
pub(crate) fn epochs(n: usize) -> String {
    format!("{n} epoch{}", if n == 1 { "" } else { "s" })
}

/// Runs `axon train`.
pub fn run(args: &TrainArgs) -> anyhow::Result<()> {
    axon::nn::join_thread_pool();
    if args.encoder.is_some() {
        return crate::train_encoder::run(args);
    }
    if !args.text.text.is_empty() {
        return crate::train_text::run(args);
    }
    if let Some(name) = args.text.other_flags().first() {
        anyhow::bail!("{name} describes text features: name the text columns with --text COL");
    }
    let split =
        SplitOptions { seed: args.seed, val_fraction: args.val_fraction, ..Default::default() };
    let mut options = args.options()?;
    // Over MPI ranks every rank trains on its slice of each batch; rank 0 alone speaks and
    // writes the checkpoint, which every rank resumes from.
    options.train.data_parallel = true;
    let quiet = args.quiet || !ranks::is_root();
    let data = Dataset::load(&args.data, args.columns().as_ref(), &split)?;
    if !quiet {
        let (d, image, k) = (data.d, data.image, data.n_classes());
        let arch = Architecture::parse(&options.model, &options.layers, d, image, k);
        if let Some(arch) = arch.ok().filter(|a| a.check_size(Architecture::BYTES_TO_TRAIN).is_ok())
        {
            errln!("axon: training {arch}, {k} classes, {} rows", data.train.len())?;
        }
    }
    let mut reporter = Reporter::new(quiet, args.scheduler.is_some());
    let trained = train_network(&data, &options, &mut |e| reporter.event(e))?;
    if !ranks::is_root() {
        return Ok(());
    }
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
pub(crate) fn plot_path(args: &TrainArgs) -> Option<PathBuf> {
    args.plot.clone().or_else(|| args.out.as_ref().map(|out| with_suffix(out, ".curves.svg")))
}

/// `path` with `suffix` appended to its name.
pub(crate) fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
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
