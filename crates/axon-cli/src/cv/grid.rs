//! The `--grid NAME=V1,V2,...` flags of `axon cv`: which fit options a grid may vary, how their
//! values are read, and the settings they make (the cartesian product of the entries, the first
//! entry varying slowest). A setting is applied to a copy of the command's own flags, so a
//! candidate is fitted exactly as `axon fit` with those flags would fit it.
//!
//! The names are the flags of `axon fit`: `alpha`, `l1-ratio`, `penalty`, `model`,
//! `class-weight`, `solver`, `poly`, `interactions`, `standardize`, and for `--text` fits
//! `nb-alpha` (`_` may stand for `-`).
//! An unknown name, a value that does not parse, an empty list or a name given twice is an
//! error naming the `--grid` entry.

use std::fmt;

use clap::ValueEnum;
use serde::ser::{Serialize, SerializeMap, Serializer};

use crate::common::flag;
use crate::options::{ClassWeightKind, DesignArgs, Model, PenaltyKind, Solver, SolverArgs};

/// The names a grid may vary, as written on the command line.
pub const NAMES: [&str; 10] = [
    "alpha",
    "l1-ratio",
    "penalty",
    "model",
    "class-weight",
    "solver",
    "poly",
    "interactions",
    "standardize",
    "nb-alpha",
];

/// One value of one grid parameter.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Value {
    Alpha(f64),
    L1Ratio(f64),
    Penalty(PenaltyKind),
    Model(Model),
    ClassWeight(ClassWeightKind),
    Solver(Solver),
    Poly(usize),
    Interactions(bool),
    Standardize(bool),
    /// The smoothing of `--model nb` on text columns (`cv/text.rs`).
    NbAlpha(f64),
}

impl Value {
    /// The grid name of the parameter.
    pub fn name(&self) -> &'static str {
        match self {
            Value::Alpha(_) => NAMES[0],
            Value::L1Ratio(_) => NAMES[1],
            Value::Penalty(_) => NAMES[2],
            Value::Model(_) => NAMES[3],
            Value::ClassWeight(_) => NAMES[4],
            Value::Solver(_) => NAMES[5],
            Value::Poly(_) => NAMES[6],
            Value::Interactions(_) => NAMES[7],
            Value::Standardize(_) => NAMES[8],
            Value::NbAlpha(_) => NAMES[9],
        }
    }

    /// Sets the flag this value stands for (`nb-alpha` is not a table flag: the text
    /// cross-validation reads it from the setting).
    pub fn apply(&self, design: &mut DesignArgs, fit: &mut SolverArgs, model: &mut Model) {
        match *self {
            Value::Alpha(a) => fit.alpha = a,
            Value::L1Ratio(r) => fit.l1_ratio = r,
            Value::Penalty(p) => fit.penalty = Some(p),
            Value::Model(m) => *model = m,
            Value::ClassWeight(c) => fit.class_weight = c,
            Value::Solver(s) => fit.solver = s,
            Value::Poly(d) => design.poly = d,
            Value::Interactions(b) => design.interactions = b,
            Value::Standardize(b) => design.standardize = b,
            Value::NbAlpha(_) => {}
        }
    }

    /// The value as JSON: a number, a boolean or the flag's spelling.
    fn json(&self) -> serde_json::Value {
        match *self {
            Value::Alpha(v) | Value::L1Ratio(v) | Value::NbAlpha(v) => serde_json::json!(v),
            Value::Poly(d) => serde_json::json!(d),
            Value::Interactions(b) | Value::Standardize(b) => serde_json::json!(b),
            _ => serde_json::json!(self.to_string()),
        }
    }

    /// Reads `text` as a value of the parameter `name` (a known name).
    fn parse(name: &str, text: &str) -> Result<Value, String> {
        let number = |what: &str, ok: &dyn Fn(f64) -> bool| match text.parse::<f64>() {
            Ok(v) if v.is_finite() && ok(v) => Ok(v),
            _ => Err(format!("`{text}` is not {what}")),
        };
        let choice = |possible: &[&str]| format!("`{text}` is not one of {}", possible.join(", "));
        fn pick<T: ValueEnum>(text: &str) -> Option<T> {
            T::from_str(text, true).ok()
        }
        fn names<T: ValueEnum>() -> Vec<String> {
            T::value_variants().iter().map(|v| flag(v.clone())).collect()
        }
        let enum_value = |found: Option<Value>, all: Vec<String>| {
            let all: Vec<&str> = all.iter().map(String::as_str).collect();
            found.ok_or_else(|| choice(&all))
        };
        let boolean = || match text {
            "true" | "yes" | "on" | "1" => Ok(true),
            "false" | "no" | "off" | "0" => Ok(false),
            _ => Err(format!("`{text}` is not true or false")),
        };
        match name {
            "alpha" => number("a penalty strength (a number ≥ 0)", &|v| v >= 0.0).map(Value::Alpha),
            "l1-ratio" => {
                number("an elastic-net mix (a number in [0, 1])", &|v| (0.0..=1.0).contains(&v))
                    .map(Value::L1Ratio)
            }
            "penalty" => enum_value(pick(text).map(Value::Penalty), names::<PenaltyKind>()),
            "model" => enum_value(pick(text).map(Value::Model), names::<Model>()),
            "class-weight" => {
                enum_value(pick(text).map(Value::ClassWeight), names::<ClassWeightKind>())
            }
            "solver" => enum_value(pick(text).map(Value::Solver), names::<Solver>()),
            "poly" => match text.parse::<usize>() {
                Ok(d) if d >= 1 => Ok(Value::Poly(d)),
                _ => Err(format!("`{text}` is not a polynomial degree (an integer ≥ 1)")),
            },
            "interactions" => boolean().map(Value::Interactions),
            "nb-alpha" => number("a smoothing (a number > 0)", &|v| v > 0.0).map(Value::NbAlpha),
            _ => boolean().map(Value::Standardize),
        }
    }
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Value::Alpha(v) | Value::L1Ratio(v) | Value::NbAlpha(v) => write!(f, "{v}"),
            Value::Penalty(p) => f.write_str(&flag(p)),
            Value::Model(m) => f.write_str(&flag(m)),
            Value::ClassWeight(c) => f.write_str(&flag(c)),
            Value::Solver(s) => f.write_str(&flag(s)),
            Value::Poly(d) => write!(f, "{d}"),
            Value::Interactions(b) | Value::Standardize(b) => write!(f, "{b}"),
        }
    }
}

/// One candidate: a value for every grid parameter, in the order of the `--grid` flags.
#[derive(Debug, Clone, PartialEq)]
pub struct Setting(pub Vec<Value>);

impl Setting {
    /// The command's flags with this setting's values put in.
    pub fn apply(
        &self,
        design: &DesignArgs,
        fit: &SolverArgs,
        model: Model,
    ) -> (DesignArgs, SolverArgs, Model) {
        let (mut design, mut fit, mut model) = (design.clone(), fit.clone(), model);
        for value in &self.0 {
            value.apply(&mut design, &mut fit, &mut model);
        }
        (design, fit, model)
    }
}

/// `alpha=0.1 penalty=l1`.
impl fmt::Display for Setting {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let parts: Vec<String> = self.0.iter().map(|v| format!("{}={v}", v.name())).collect();
        f.write_str(&parts.join(" "))
    }
}

/// `{"alpha": 0.1, "penalty": "l1"}`.
impl Serialize for Setting {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for value in &self.0 {
            map.serialize_entry(value.name(), &value.json())?;
        }
        map.end()
    }
}

/// The values of one `--grid` entry, `NAME=V1,V2,...`.
fn parse_entry(entry: &str) -> anyhow::Result<Vec<Value>> {
    let err = |msg: String| anyhow::anyhow!("--grid `{entry}`: {msg}");
    let (name, values) = entry.split_once('=').ok_or_else(|| {
        err(format!("expected NAME=V1,V2,... with NAME one of {}", NAMES.join(", ")))
    })?;
    let name = name.trim().replace('_', "-");
    if !NAMES.contains(&name.as_str()) {
        return Err(err(format!(
            "unknown parameter `{name}`; the grid takes {}",
            NAMES.join(", ")
        )));
    }
    let values: Vec<&str> = values.split(',').map(str::trim).collect();
    if values.iter().all(|v| v.is_empty()) {
        return Err(err(format!("no values for `{name}`")));
    }
    values.iter().map(|v| Value::parse(&name, v).map_err(err)).collect()
}

/// The settings of the `--grid` entries: their cartesian product, the first entry varying
/// slowest. Returns the parameter names too.
pub fn settings(entries: &[String]) -> anyhow::Result<(Vec<&'static str>, Vec<Setting>)> {
    let mut names: Vec<&'static str> = Vec::new();
    let mut settings = vec![Setting(Vec::new())];
    for entry in entries {
        let values = parse_entry(entry)?;
        let name = values[0].name();
        if names.contains(&name) {
            anyhow::bail!("--grid `{entry}`: `{name}` is given by another --grid too");
        }
        names.push(name);
        settings = settings
            .iter()
            .flat_map(|s| {
                values.iter().map(move |v| Setting(s.0.iter().copied().chain([*v]).collect()))
            })
            .collect();
    }
    if names.is_empty() {
        anyhow::bail!("--grid: give at least one NAME=V1,V2,...");
    }
    Ok((names, settings))
}
