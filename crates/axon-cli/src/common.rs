//! What every command shares: reading a CSV file into a frame, the record of the command line
//! and settings kept with every model, and how a library error is told to a user of the command
//! line: an argument the library names (`val_fraction`, a model's `solver`) is written as the
//! flag that set it (`--val-fraction`, `--solver`).

use clap::ValueEnum;
use serde::Serialize;

/// Library argument names that are flags under another name.
const RENAMED: [(&str, &str); 5] = [
    ("poly_degree", "poly"),
    ("k", "folds"),
    ("learning_rate", "lr"),
    ("log_odds", "log-odds"),
    ("negative_slope", "activation"),
];

/// Library argument names that are flags of the same name (`_` written `-`).
const FLAGS: [&str; 27] = [
    "activation",
    "alpha",
    "batch_norm",
    "batch_size",
    "categorical",
    "class_weight",
    "drop",
    "dropout",
    "epochs",
    "features",
    "l1_ratio",
    "max_iter",
    "metric",
    "model",
    "nesterov",
    "output",
    "patience",
    "penalty",
    "positive",
    "scheduler",
    "seed",
    "solver",
    "steps",
    "target",
    "tol",
    "val_fraction",
    "weights",
];

/// The flag that sets the library's argument `name`, if one does.
fn flag_of(name: &str) -> Option<String> {
    if let Some((_, flag)) = RENAMED.iter().find(|(n, _)| *n == name) {
        return Some(format!("--{flag}"));
    }
    FLAGS.contains(&name).then(|| format!("--{}", name.replace('_', "-")))
}

/// The message for `err`: a library error about an argument in terms of its flag, every other
/// error with its chain of causes.
pub fn message(err: &anyhow::Error) -> String {
    let plain = || format!("{err:#}");
    let Some(e) = err.downcast_ref::<axon::Error>().filter(|_| err.chain().count() == 1) else {
        return plain();
    };
    match e {
        axon::Error::Unsupported { model, option, value, allowed } => match flag_of(option) {
            Some(f) => format!("--model {model} takes {f} {allowed} (got {value})"),
            None => plain(),
        },
        axon::Error::InvalidArgument { name, value, reason } => match flag_of(name) {
            Some(f) => format!("{f} {value}: {reason}"),
            None => plain(),
        },
        // `--target` was left at its default on a file without that column.
        axon::Error::UnknownColumn { name, .. } if name == axon::data::SKLEARN_TARGET => {
            format!("{} (name the class column with --target COL)", plain())
        }
        axon::Error::Format { msg, .. } if msg.starts_with("no column `target`") => {
            format!("{} (name the class column with --target COL)", plain())
        }
        // The reader's hints name its options; say the flags instead.
        axon::Error::Parse { .. } | axon::Error::Format { .. } => plain()
            .replace("set drop_missing", "use --drop-missing")
            .replace("needs the target option", "needs --target"),
        _ => plain(),
    }
}

/// The record kept with a model: the command line as typed, the parsed settings, the version.
pub fn settings_record(command: &str, args: &impl Serialize) -> anyhow::Result<serde_json::Value> {
    let argv: Vec<String> = std::env::args().collect();
    Ok(axon::io::settings_record(command, &argv, serde_json::to_value(args)?))
}

/// A value as it is spelled on the command line.
pub fn flag(value: impl ValueEnum) -> String {
    value.to_possible_value().map_or_else(String::new, |v| v.get_name().to_owned())
}
