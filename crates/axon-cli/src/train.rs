//! `axon train`: trains a classifier (logistic regression, an MLP or a small CNN) by mini-batch
//! gradient descent on an IDX folder or a CSV file, reports test accuracy and log loss, and
//! saves the network with everything needed to rebuild it plus a run record.
//!
//! The data side (reading, splitting, scaling, fingerprints) is in `train_data.rs`; the loop
//! is the library's `axon::nn::fit_classifier`. The model file is safetensors (parameters by
//! their `state_dict` names) with JSON metadata `axon.architecture`, `axon.scaling`,
//! `axon.classes`, `axon.features`, `axon.source` and `axon.target` (read back by
//! `network.rs` for `axon predict` / `axon eval`); `<out>.run.json` records argv, settings,
//! seed, data fingerprints, versions, threads and per-epoch metrics; `<out>.curves.svg` (or
//! `--plot`) draws the per-epoch loss and accuracy (`curves.rs`).

use std::collections::BTreeMap;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{bail, Context};
use axon::nn::{
    evaluate, fit_classifier, Conv2d, EpochMetrics, Flatten, LeakyReLU, Linear, MaxPool2d, Module,
    Monitor, ReLU, Sequential, Sigmoid, Tanh, TrainConfig, TrainEvent, TrainReport, ELU, GELU,
};
use axon::optim::{Adam, AdamConfig, AdamW, AdamWConfig, Optimizer, Sgd, SgdConfig};
use axon::{data::DataLoader, Conv2dArgs, DType, Rng, Tensor};
use clap::{Args, ValueEnum};
use indicatif::{ProgressBar, ProgressStyle};
use serde::Serialize;
use serde_json::json;

use crate::curves::{self, CurveInfo};
use crate::train_data::{self, Dataset, Split};

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
    /// Write a checkpoint here after every epoch; with --resume, continue from it.
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
    /// No progress bar and no per-epoch lines on stderr.
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

/// The network's shape, stored in the model file so that it can be rebuilt.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Architecture {
    Logreg { inputs: usize, classes: usize },
    Mlp { inputs: usize, hidden: Vec<usize>, activation: String, classes: usize },
    Cnn { height: usize, width: usize, channels: [usize; 2], dense: usize, classes: usize },
}

impl Architecture {
    /// Parses `--model` for data with `d` features, `image` sides and `classes` classes.
    pub fn parse(
        spec: &str,
        activation: Activation,
        d: usize,
        image: Option<(usize, usize)>,
        classes: usize,
    ) -> anyhow::Result<Architecture> {
        let activation = activation.to_possible_value().map(|v| v.get_name().to_owned());
        let activation = activation.unwrap_or_else(|| "relu".into());
        let spec = spec.trim();
        Ok(match spec.split_once(':') {
            None if spec == "logreg" => Architecture::Logreg { inputs: d, classes },
            None if spec == "cnn" => {
                let Some((height, width)) = image else {
                    let why = "an IDX folder or a square number of pixel columns";
                    bail!("--model cnn needs images: {why} ({d} is not square)");
                };
                Architecture::Cnn { height, width, channels: [32, 64], dense: 128, classes }
            }
            Some(("mlp", widths)) => {
                let hidden = widths
                    .split(',')
                    .map(|w| w.trim().parse::<usize>().ok().filter(|&w| w > 0))
                    .collect::<Option<Vec<_>>>()
                    .with_context(|| format!("--model {spec}: widths must be positive integers"))?;
                Architecture::Mlp { inputs: d, hidden, activation, classes }
            }
            _ => bail!("--model {spec}: expected logreg, mlp:H1,H2,... or cnn"),
        })
    }

    /// A freshly initialised network (f32) from `rng`.
    pub fn build(&self, rng: &mut Rng) -> anyhow::Result<Sequential> {
        let f = DType::F32;
        let mut net = Sequential::new();
        match self {
            Architecture::Logreg { inputs, classes } => {
                net.push(Box::new(Linear::new(*inputs, *classes, true, f, rng)?))
            }
            Architecture::Mlp { inputs, hidden, activation, classes } => {
                let mut width = *inputs;
                for &h in hidden {
                    net.push(Box::new(Linear::new(width, h, true, f, rng)?));
                    net.push(activation_module(activation)?);
                    width = h;
                }
                net.push(Box::new(Linear::new(width, *classes, true, f, rng)?));
            }
            Architecture::Cnn { height, width, channels: [c1, c2], dense, classes } => {
                let same = Conv2dArgs::new(1, 1, 1);
                net.push(Box::new(Conv2d::new(1, *c1, 3, same, true, f, rng)?));
                net.push(Box::new(ReLU));
                net.push(Box::new(MaxPool2d::new(2, 2, 0)?));
                net.push(Box::new(Conv2d::new(*c1, *c2, 3, same, true, f, rng)?));
                net.push(Box::new(ReLU));
                net.push(Box::new(MaxPool2d::new(2, 2, 0)?));
                net.push(Box::new(Flatten::new()));
                let flat = c2 * (height / 4) * (width / 4);
                if flat == 0 {
                    bail!("--model cnn: {height}x{width} images are too small (at least 4x4)");
                }
                net.push(Box::new(Linear::new(flat, *dense, true, f, rng)?));
                net.push(Box::new(ReLU));
                net.push(Box::new(Linear::new(*dense, *classes, true, f, rng)?));
            }
        }
        Ok(net)
    }

    /// The input shape of one row: `(d)` or `(1, H, W)`.
    pub fn row_shape(&self) -> Vec<usize> {
        match self {
            Architecture::Logreg { inputs, .. } | Architecture::Mlp { inputs, .. } => vec![*inputs],
            Architecture::Cnn { height, width, .. } => vec![1, *height, *width],
        }
    }
}

fn activation_module(name: &str) -> anyhow::Result<Box<dyn Module>> {
    Ok(match name {
        "relu" => Box::new(ReLU),
        "tanh" => Box::new(Tanh),
        "sigmoid" => Box::new(Sigmoid),
        "gelu" => Box::new(GELU),
        "leaky-relu" | "leaky_relu" => Box::new(LeakyReLU::new(0.01)),
        "elu" => Box::new(ELU::new(1.0)),
        other => bail!("unknown activation `{other}`"),
    })
}

/// Features and labels of `split` as tensors with rows of `row_shape`.
fn tensors(split: &Split, row_shape: &[usize]) -> anyhow::Result<(Tensor, Tensor)> {
    let mut shape = vec![split.len()];
    shape.extend_from_slice(row_shape);
    let x = Tensor::from_vec(split.x.clone(), shape)?;
    Ok((x, Tensor::from_vec(split.y.clone(), [split.len()])?))
}

fn optimizer(args: &TrainArgs, net: &Sequential) -> anyhow::Result<Box<dyn Optimizer>> {
    let (params, wd) = (net.params(), args.weight_decay);
    Ok(match args.optimizer {
        OptimizerKind::Sgd => {
            let lr = args.lr.unwrap_or(0.01);
            let config =
                SgdConfig { lr, momentum: args.momentum, weight_decay: wd, ..Default::default() };
            Box::new(Sgd::new(params, config)?)
        }
        OptimizerKind::Adam => {
            let config =
                AdamConfig { lr: args.lr.unwrap_or(1e-3), weight_decay: wd, ..Default::default() };
            Box::new(Adam::new(params, config)?)
        }
        OptimizerKind::Adamw => {
            let config =
                AdamWConfig { lr: args.lr.unwrap_or(1e-3), weight_decay: wd, ..Default::default() };
            Box::new(AdamW::new(params, config)?)
        }
    })
}

/// The progress bar (only on a terminal, without --quiet) and per-epoch lines (without --quiet).
struct Reporter {
    /// Whether to draw a bar: stderr is a terminal and not --quiet.
    draw: bool,
    bar: Option<ProgressBar>,
    quiet: bool,
    started: Instant,
}

impl Reporter {
    fn new(quiet: bool) -> Reporter {
        let draw = !quiet && std::io::stderr().is_terminal();
        Reporter { draw, bar: None, quiet, started: Instant::now() }
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
                if !self.quiet {
                    eprintln!("{}", epoch_line(m));
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
        "epoch {:>3}  train loss {:.4} acc {:.2}%{val}  {:.1} s  {:.0} examples/s",
        m.epoch,
        m.train_loss,
        100.0 * m.train_accuracy,
        m.seconds,
        m.examples_per_second
    )
}

/// Runs `axon train`.
pub fn run(args: &TrainArgs) -> anyhow::Result<()> {
    if args.epochs == 0 || args.batch_size == 0 {
        bail!("--epochs and --batch-size must be at least 1");
    }
    let ds = train_data::load(&args.data, args.target.as_deref(), args.seed, args.val_fraction)?;
    let classes = ds.classes.len();
    if classes < 2 {
        bail!("{}: needs at least 2 classes, found {classes}", args.data.display());
    }
    let arch = Architecture::parse(&args.model, args.activation, ds.d, ds.image, classes)?;
    let mut rng = Rng::seed(args.seed);
    let mut net = arch.build(&mut rng)?;
    let mut opt = optimizer(args, &net)?;
    let row = arch.row_shape();
    let (x_train, y_train) = tensors(&ds.train, &row)?;
    let val = ds.val.as_ref().map(|v| tensors(v, &row)).transpose()?;
    let (x_test, y_test) = tensors(&ds.test, &row)?;
    let mut loader = DataLoader::new(x_train, y_train, args.batch_size)?.shuffle(rng.split());
    let config = train_config(args);
    let mut reporter = Reporter::new(args.quiet);
    let started = Instant::now();
    let val_ref = val.as_ref().map(|(x, y)| (x, y));
    let report = fit_classifier(&mut net, opt.as_mut(), &mut loader, val_ref, &config, &mut |e| {
        reporter.event(e)
    })?;
    let train_seconds = started.elapsed().as_secs_f64();
    let (test_log_loss, test_accuracy) = evaluate(&net, &x_test, &y_test, 1024)?;
    let history = &report.progress.history;
    let test = (test_log_loss, test_accuracy);
    let summary = summarise(&report, test, train_seconds, &net, &arch, &ds);
    if let Some(out) = &args.out {
        save(out, &net, &arch, &ds)?;
        write_run_record(out, args, &ds, history, &summary)?;
    }
    if let Some(plot) = plot_path(args) {
        write_plot(args, &plot, &report, test_accuracy)?;
    }
    if args.json {
        println!("{}", serde_json::to_string_pretty(&summary)?);
    } else {
        println!("{net}");
        let (pct, rows, epochs) = (100.0 * test_accuracy, ds.test.len(), history.len());
        let restored = match report.restored_epoch {
            Some(best) => format!(" (the weights of epoch {best}, the best on validation)"),
            None => String::new(),
        };
        println!(
            "test accuracy {pct:.2}% ({rows} rows), log loss {test_log_loss:.4}, \
             {epochs} epochs in {train_seconds:.1} s{restored}"
        );
    }
    Ok(())
}

/// The `--json` object (and the run record's `result`).
fn summarise(
    report: &TrainReport,
    (test_log_loss, test_accuracy): (f64, f64),
    train_seconds: f64,
    net: &Sequential,
    arch: &Architecture,
    ds: &Dataset,
) -> serde_json::Value {
    let history = &report.progress.history;
    let trained: usize = history.len().saturating_sub(report.resumed_after) * ds.train.len();
    json!({
        "test_accuracy": test_accuracy,
        "test_log_loss": test_log_loss,
        "epochs": history.len(),
        "stopped_early": report.progress.stopped_early,
        "best_epoch": (report.progress.best_epoch > 0).then_some(report.progress.best_epoch),
        "restored_best_weights": report.restored_epoch.is_some(),
        "train_seconds": train_seconds,
        "examples_per_second": trained as f64 / train_seconds.max(1e-9),
        "n_params": net.num_parameters(),
        "n_train": ds.train.len(),
        "n_val": ds.val.as_ref().map_or(0, Split::len),
        "n_test": ds.test.len(),
        "model": arch,
        "final_train_loss": history.last().map(|m| m.train_loss),
        "final_val_accuracy": history.last().and_then(|m| m.val_accuracy),
    })
}

/// The library's loop settings from the flags.
fn train_config(args: &TrainArgs) -> TrainConfig {
    TrainConfig {
        epochs: args.epochs,
        patience: args.patience,
        monitor: Monitor::ValLoss,
        checkpoint: args.checkpoint.clone(),
        resume: args.resume,
        restore_best: !args.no_restore_best,
        ..Default::default()
    }
}

/// Draws the training curves to `plot`.
fn write_plot(
    args: &TrainArgs,
    plot: &Path,
    report: &TrainReport,
    test_accuracy: f64,
) -> anyhow::Result<()> {
    let data = args.data.file_name().unwrap_or(args.data.as_os_str()).to_string_lossy();
    let title = format!("axon train: {} on {data}", args.model);
    let best_epoch = report.restored_epoch;
    let info = CurveInfo { title: &title, test_accuracy: Some(test_accuracy), best_epoch };
    curves::write(plot, &report.progress.history, &info)?;
    if !args.quiet {
        eprintln!("axon: training curves written to {}", plot.display());
    }
    Ok(())
}

/// Saves the parameters (and buffers) with the metadata that rebuilds the network.
fn save(out: &Path, net: &Sequential, arch: &Architecture, ds: &Dataset) -> anyhow::Result<()> {
    let mut tensors: Vec<(String, Tensor)> =
        net.parameters().into_iter().map(|(n, p)| (n, p.value())).collect();
    tensors.extend(net.buffers().into_iter().map(|(n, b)| (n, b.value())));
    let meta = BTreeMap::from([
        ("format".to_owned(), "pt".to_owned()),
        ("axon.kind".to_owned(), "nn-classifier".to_owned()),
        ("axon.architecture".to_owned(), serde_json::to_string(arch)?),
        ("axon.scaling".to_owned(), serde_json::to_string(&ds.scaling)?),
        ("axon.source".to_owned(), ds.source.to_owned()),
        ("axon.target".to_owned(), serde_json::to_string(&ds.target)?),
        ("axon.classes".to_owned(), serde_json::to_string(&ds.classes)?),
        ("axon.features".to_owned(), serde_json::to_string(&ds.feature_names)?),
        ("axon.version".to_owned(), env!("CARGO_PKG_VERSION").to_owned()),
    ]);
    axon::io::save_safetensors(out, &tensors, &meta)?;
    Ok(())
}

/// `--plot`, or `<out>.curves.svg` with `--out`.
fn plot_path(args: &TrainArgs) -> Option<PathBuf> {
    args.plot.clone().or_else(|| {
        args.out.as_ref().map(|out| {
            let mut path = out.as_os_str().to_owned();
            path.push(".curves.svg");
            PathBuf::from(path)
        })
    })
}

/// `<out>.run.json`: everything needed to repeat and audit the run.
fn write_run_record(
    out: &Path,
    args: &TrainArgs,
    ds: &Dataset,
    history: &[EpochMetrics],
    summary: &serde_json::Value,
) -> anyhow::Result<()> {
    let mut path = out.as_os_str().to_owned();
    path.push(".run.json");
    let record = json!({
        "argv": std::env::args().collect::<Vec<_>>(),
        "settings": args,
        "seed": args.seed,
        "data": { "path": args.data.display().to_string(), "source": ds.source,
                  "files": train_data::digests(&args.data)? },
        "axon_version": env!("CARGO_PKG_VERSION"),
        "threads": rayon::current_num_threads(),
        "best_epoch": summary["best_epoch"],
        "epochs": history,
        "result": summary,
    });
    let bytes = serde_json::to_vec_pretty(&record)?;
    axon::io::write_atomic(PathBuf::from(path), &bytes)?;
    if !args.quiet {
        eprintln!("axon: model written to {}", out.display());
    }
    Ok(())
}
