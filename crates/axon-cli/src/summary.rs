//! `axon summary`: what a saved model file holds, printed again without refitting: its kind and
//! data schema (layout, target, classes, features), a linear model's coefficients by name or a
//! network's architecture with its parameter tensors and counts, and the record of the run that
//! saved it (the command line and its settings); a model on sentence embeddings also names its
//! encoder's directory and files. Only what the file stores: a linear model file
//! has no standard errors, so none are shown (`axon fit` on the data gives them). The library's
//! `SavedModel::summary` gathers it all; this file prints it, as text or one JSON object.

use std::fmt::Write;
use std::path::PathBuf;

use axon::data::{FeatureKind, Schema, Source};
use axon::linear::CoefficientTable;
use axon::model::{ModelSummary, SavedModel};
use clap::Args;
use serde_json::Value;

use crate::output::{out, outln};

/// Arguments of `axon summary`.
#[derive(Debug, Args)]
pub struct SummaryArgs {
    /// The model file written by `axon fit --out` or `axon train --out`.
    #[arg(value_name = "MODEL")]
    model: PathBuf,
    /// Print one JSON object instead of the text.
    #[arg(long)]
    json: bool,
}

/// Runs `axon summary`.
pub fn run(args: &SummaryArgs) -> anyhow::Result<()> {
    let summary = SavedModel::load(&args.model)?.summary()?;
    if args.json {
        outln!("{}", serde_json::to_string_pretty(&summary)?)?;
    } else {
        out!("{}", text(&summary, &args.model.display().to_string()))?;
    }
    Ok(())
}

/// The whole text report of the model in `file`.
fn text(s: &ModelSummary, file: &str) -> String {
    let mut out = format!("Model: {} in {file}, {} parameters\n", s.kind, s.parameter_count);
    out.push_str(&schema(&s.schema));
    if let Some(e) = &s.text_encoder {
        let _ = writeln!(
            out,
            "Sentence encoder: {} ({} dimensions per text column, {} texts at a time)",
            e.dir.display(),
            e.dim,
            e.batch_size
        );
        for f in &e.files {
            let _ = writeln!(out, "  {} ({} bytes, SHA-256 {})", f.path, f.bytes, f.sha256);
        }
    }
    if let Some(table) = &s.coefficients {
        out.push_str(&coefficients(table));
    }
    if let Some(architecture) = &s.architecture {
        let _ = writeln!(out, "\nArchitecture: {architecture}");
        let width = s.parameters.iter().map(|(n, _)| n.len()).max().unwrap_or(4).max(4);
        let _ = writeln!(out, "{:<width$} {:>16} {:>12}", "tensor", "shape", "parameters");
        for (name, shape) in &s.parameters {
            let size: usize = shape.iter().product();
            let shape = format!("{shape:?}");
            let _ = writeln!(out, "{name:<width$} {shape:>16} {size:>12}");
        }
    }
    out + &settings(&s.settings)
}

/// Layout, target, classes and features, one line each.
fn schema(schema: &Schema) -> String {
    let features: Vec<String> = (schema.features.iter())
        .map(|f| match &f.kind {
            FeatureKind::Numeric => f.name.clone(),
            FeatureKind::Categorical { levels } => format!("{} ({})", f.name, levels.join("|")),
            FeatureKind::Text => format!("{} (text)", f.name),
        })
        .collect();
    let target = schema.target.as_deref().unwrap_or("(last column)");
    let features = if schema.source == Source::Libsvm {
        "Features: the file's numbered columns (index:value)".to_owned()
    } else {
        format!("Features ({}): {}", features.len(), features.join(", "))
    };
    format!(
        "Data: {} layout, target {target}, classes {}\n{features}\n",
        schema.source.name(),
        schema.classes.join(", "),
    )
}

/// The coefficients, one column per equation, and why there is nothing more.
fn coefficients(table: &CoefficientTable) -> String {
    let width = table.names.iter().map(|n| n.chars().count()).max().unwrap_or(4).max(4);
    let mut out = String::from(
        "\nCoefficients (the file stores the estimates only; `axon fit` gives their inference):\n",
    );
    let _ = write!(out, "{:<width$}", "");
    for class in &table.equations {
        let _ = write!(out, " {:>12}", format!("[{class}]"));
    }
    out.push('\n');
    for (name, row) in table.names.iter().zip(&table.values) {
        let _ = write!(out, "{name:<width$}");
        for b in row {
            let _ = write!(out, " {b:>12.6}");
        }
        out.push('\n');
    }
    out
}

/// The record of the run that saved the model: version, command line, one line per setting.
fn settings(record: &Value) -> String {
    if record.is_null() {
        return "\nNo record of the run that saved it.\n".to_owned();
    }
    let mut out = String::from("\nSaved by:");
    if let Some(v) = record["axon_version"].as_str() {
        let _ = write!(out, " axon {v}");
    }
    if let Some(argv) = record["argv"].as_array() {
        let words: Vec<&str> = argv.iter().filter_map(Value::as_str).collect();
        let _ = write!(out, ": {}", words.join(" "));
    }
    out.push('\n');
    if let Some(settings) = record["settings"].as_object() {
        out.push_str("Settings:\n");
        let width = settings.keys().map(String::len).max().unwrap_or(4);
        for (key, value) in settings {
            let _ = writeln!(out, "  {key:<width$} = {value}");
        }
    }
    out
}
