//! The [`Encoder`]: everything learned from the training data that turns a [`Frame`] into a design
//! matrix (levels and reference levels of categorical columns, the basis expansion, the means and
//! standard deviations of standardisation, the target's classes), kept so that new data is
//! transformed exactly as the training data was and coefficients can be read on the original scale.
//! It is plain data (serde), saved next to a model.

use std::collections::HashMap;

use faer::Mat;
use serde::{Deserialize, Serialize};

use super::frame::{Column, Frame};
use super::scaling::mean_std;
use super::spec::{fit_target, DesignSpec, Target};
use crate::error::{Error, Result};

/// A feature column as the encoder knows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Input {
    /// A numeric column used as numbers.
    Numeric { name: String },
    /// A categorical column (or a numeric one forced categorical, `from_numeric`): its sorted levels
    /// and the reference level that gets no column (`None`: every level gets one, patsy's full-rank
    /// coding of the first categorical feature of a model without intercept).
    Categorical { name: String, levels: Vec<String>, reference: Option<String>, from_numeric: bool },
}

impl Input {
    /// The column name.
    pub fn name(&self) -> &str {
        match self {
            Input::Numeric { name } | Input::Categorical { name, .. } => name,
        }
    }
}

/// One column of the design matrix, in terms of the inputs (indices into [`Encoder::inputs`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Term {
    /// The constant 1.
    Intercept,
    /// A numeric input as it is.
    Linear { input: usize },
    /// 1 where a categorical input equals `levels[level]`, else 0.
    Dummy { input: usize, level: usize },
    /// A numeric input to the power `degree` (≥ 2).
    Power { input: usize, degree: u32 },
    /// The product of two numeric inputs.
    Interaction { a: usize, b: usize },
}

/// The fitted transformation from a [`Frame`] to a design matrix and a target vector.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Encoder {
    target_name: String,
    target: Target,
    inputs: Vec<Input>,
    terms: Vec<Term>,
    names: Vec<String>,
    means: Vec<f64>,
    stds: Vec<f64>,
}

/// The values of one input over the rows of a frame.
enum Values<'a> {
    Numbers(&'a [f64]),
    Codes(Vec<usize>),
}

impl Encoder {
    /// Learns the encoding of `frame` that `spec` describes (see [`DesignSpec`]).
    pub fn fit(frame: &Frame, spec: &DesignSpec) -> Result<Encoder> {
        if spec.poly_degree == 0 {
            return Err(Error::invalid("poly_degree", 0, "must be at least 1 (1: no powers)"));
        }
        let target =
            fit_target(frame.column(&spec.target)?, &spec.target, spec.positive.as_deref())?;
        let inputs = fit_inputs(frame, spec)?;
        let terms = expand_terms(frame, &inputs, spec)?;
        let names = terms.iter().map(|t| term_name(&inputs, *t)).collect();
        let mut encoder = Encoder {
            target_name: spec.target.clone(),
            target,
            inputs,
            terms,
            names,
            means: Vec::new(),
            stds: Vec::new(),
        };
        let values = encoder.input_values(frame, 0)?;
        let n = frame.n_rows;
        let scale = |t: &Term| match t {
            Term::Intercept | Term::Dummy { .. } => Ok((0.0, 1.0)),
            _ if !spec.standardize => Ok((0.0, 1.0)),
            _ => Ok(mean_std(encoder.raw_column(&values, *t, n)?.iter().copied())),
        };
        let scales = encoder.terms.iter().map(scale).collect::<Result<Vec<_>>>()?;
        drop(values);
        (encoder.means, encoder.stds) = scales.into_iter().unzip();
        Ok(encoder)
    }

    /// The design matrix of `frame` (n × p, column-major), transformed as the training data was.
    ///
    /// Needs every feature column (not the target); a level of a categorical column that the
    /// training data did not have, or a column that was numeric and now holds text, is an error.
    pub fn transform(&self, frame: &Frame) -> Result<Mat<f64>> {
        self.transform_from(frame, 0)
    }

    /// As [`Encoder::transform`], for a frame whose first row is data row `first_row + 1` of
    /// its file (a batch of a stream), so that an error names the row in the file.
    pub fn transform_from(&self, frame: &Frame, first_row: usize) -> Result<Mat<f64>> {
        let p = self.terms.len();
        if self.names.len() != p || self.means.len() != p || self.stds.len() != p {
            return Err(self.corrupt("names, means and stds must have one entry per term".into()));
        }
        // One column at a time, so that memory holds the frame, the matrix and one column.
        let values = self.input_values(frame, first_row)?;
        let mut x = Mat::<f64>::zeros(frame.n_rows, p);
        for (j, term) in self.terms.iter().enumerate() {
            let column = self.raw_column(&values, *term, frame.n_rows)?;
            let (mean, std) = (self.means[j], self.stds[j]);
            let out = x.col_mut(j).try_as_col_major_mut().expect("a column of a matrix");
            for (o, v) in out.as_slice_mut().iter_mut().zip(column) {
                *o = (v - mean) / std;
            }
        }
        Ok(x)
    }

    /// The target of `frame` as class indices (0/1 for a binary target, as f64); a class the
    /// training data did not have is an error.
    pub fn transform_target(&self, frame: &Frame) -> Result<Vec<f64>> {
        let column = frame.column(&self.target_name)?;
        let classes = self.target.classes();
        let index: HashMap<&str, usize> =
            classes.iter().enumerate().map(|(k, c)| (c.as_str(), k)).collect();
        (0..column.len())
            .map(|i| {
                let label = column.label(i);
                index.get(label.as_ref()).map(|&k| k as f64).ok_or_else(|| Error::Encoding {
                    column: self.target_name.clone(),
                    msg: format!(
                        "class `{label}` (data row {}) was not in the training data; the classes \
                         are {}",
                        i + 1,
                        classes.join(", ")
                    ),
                })
            })
            .collect()
    }

    /// Maps the coefficients of a binary model fitted on the standardised design back to the
    /// original scale of the (unstandardised, expanded) columns.
    ///
    /// With `x_std = (x − m) / s`, the linear predictor `b0 + Σ b_j x_std_j` equals
    /// `(b0 − Σ b_j m_j / s_j) + Σ (b_j / s_j) x_j`: each coefficient is divided by its column's
    /// standard deviation and the intercept absorbs the centring. Columns that were not standardised
    /// (dummies, or every column without `standardize`) have `m = 0`, `s = 1` and are unchanged.
    /// For a K-class model apply it to each class's coefficient vector.
    ///
    /// Errors if `beta` does not have one coefficient per column, or if centred columns have no
    /// intercept to absorb the shift.
    pub fn unstandardize_coefficients(&self, beta: &[f64]) -> Result<Vec<f64>> {
        if beta.len() != self.names.len() {
            let reason =
                format!("{} coefficients for {} design columns", beta.len(), self.n_cols());
            return Err(Error::invalid("beta", beta.len(), reason));
        }
        let mut out: Vec<f64> = (beta.iter().zip(&self.stds)).map(|(b, s)| b / s).collect();
        let shift: f64 = out.iter().zip(&self.means).map(|(b, m)| b * m).sum();
        match self.terms.iter().position(|t| *t == Term::Intercept) {
            Some(j) => out[j] -= shift,
            None if shift != 0.0 => {
                let reason =
                    "the columns were centred but the design has no intercept to absorb it";
                return Err(Error::invalid("beta", "(no intercept)", reason));
            }
            None => {}
        }
        Ok(out)
    }

    /// The design column names (patsy's: `Intercept`, `age`, `race[T.other]`, `age^2`, `age:lwt`).
    pub fn names(&self) -> &[String] {
        &self.names
    }

    /// The number of design columns.
    pub fn n_cols(&self) -> usize {
        self.names.len()
    }

    /// What each design column is.
    pub fn terms(&self) -> &[Term] {
        &self.terms
    }

    /// The feature columns, with their levels and reference levels.
    pub fn inputs(&self) -> &[Input] {
        &self.inputs
    }

    /// The name of the target column.
    pub fn target_name(&self) -> &str {
        &self.target_name
    }

    /// The target's classes (which one is positive for a binary target).
    pub fn target(&self) -> &Target {
        &self.target
    }

    /// The mean subtracted from each design column (0 where not standardised).
    pub fn means(&self) -> &[f64] {
        &self.means
    }

    /// The standard deviation each design column is divided by (1 where not standardised).
    pub fn stds(&self) -> &[f64] {
        &self.stds
    }

    /// Whether the first column is the intercept.
    pub fn has_intercept(&self) -> bool {
        self.terms.first() == Some(&Term::Intercept)
    }

    /// The values of every input in `frame` (numbers borrowed, categories as codes).
    fn input_values<'a>(&self, frame: &'a Frame, first_row: usize) -> Result<Vec<Values<'a>>> {
        self.check_terms()?;
        (self.inputs.iter()).map(|input| input_values(frame, input, first_row)).collect()
    }

    /// The unscaled values of `term` over `n` rows, from its inputs' `values`.
    fn raw_column(&self, values: &[Values], term: Term, n: usize) -> Result<Vec<f64>> {
        let number = |k: usize| match &values[k] {
            Values::Numbers(x) => Ok(*x),
            Values::Codes(_) => Err(self.corrupt(format!("input {k} is used as a number"))),
        };
        Ok(match term {
            Term::Intercept => vec![1.0; n],
            Term::Linear { input } => number(input)?.to_vec(),
            Term::Power { input, degree } => {
                number(input)?.iter().map(|x| x.powi(degree as i32)).collect()
            }
            Term::Interaction { a, b } => {
                number(a)?.iter().zip(number(b)?).map(|(x, y)| x * y).collect()
            }
            Term::Dummy { input, level } => match &values[input] {
                Values::Codes(c) => c.iter().map(|&c| f64::from(u8::from(c == level))).collect(),
                Values::Numbers(_) => return Err(self.corrupt(format!("input {input}"))),
            },
        })
    }

    /// Checks that every term refers to an input (and level) that exists: a deserialised encoder
    /// might not, and transforming must not panic.
    fn check_terms(&self) -> Result<()> {
        let levels = |k: usize| match self.inputs.get(k) {
            Some(Input::Categorical { levels, .. }) => Some(levels.len()),
            _ => None,
        };
        let ok = |t: &Term| match *t {
            Term::Intercept => true,
            Term::Linear { input } | Term::Power { input, .. } => input < self.inputs.len(),
            Term::Interaction { a, b } => a.max(b) < self.inputs.len(),
            Term::Dummy { input, level } => levels(input).is_some_and(|l| level < l),
        };
        match self.terms.iter().position(|t| !ok(t)) {
            Some(j) => Err(self.corrupt(format!("term {j} refers to a missing input or level"))),
            None => Ok(()),
        }
    }

    fn corrupt(&self, reason: String) -> Error {
        Error::invalid("encoder", format!("for target `{}`", self.target_name), reason)
    }
}

/// The feature columns of `spec`, with the levels of the categorical ones.
fn fit_inputs(frame: &Frame, spec: &DesignSpec) -> Result<Vec<Input>> {
    let features: Vec<String> = match &spec.features {
        Some(f) => f.clone(),
        None => frame.names.iter().filter(|n| **n != spec.target).cloned().collect(),
    };
    if let Some(dup) = super::frame::first_duplicate(&features) {
        return Err(Error::invalid("features", dup, "listed twice"));
    }
    if features.contains(&spec.target) {
        return Err(Error::invalid("features", &spec.target, "the target cannot be a feature"));
    }
    if let Some(c) = spec.categorical.iter().find(|c| !features.contains(c)) {
        frame.column(c)?;
        return Err(Error::invalid("categorical", c, "not one of the features"));
    }
    let mut full_rank_left = !spec.intercept;
    let input = |name: &String| -> Result<Input> {
        let column = frame.column(name)?;
        if column.is_numeric() && !spec.categorical.contains(name) {
            return Ok(Input::Numeric { name: name.clone() });
        }
        let levels = column.distinct_labels();
        let reference = if full_rank_left { None } else { levels.first().cloned() };
        full_rank_left = false;
        Ok(Input::Categorical {
            name: name.clone(),
            levels,
            reference,
            from_numeric: column.is_numeric(),
        })
    };
    features.iter().map(input).collect()
}

/// The design columns: intercept, main effects in feature order, powers, pairwise interactions.
fn expand_terms(frame: &Frame, inputs: &[Input], spec: &DesignSpec) -> Result<Vec<Term>> {
    let mut terms = Vec::new();
    if spec.intercept {
        terms.push(Term::Intercept);
    }
    let mut numeric = Vec::new();
    for (k, input) in inputs.iter().enumerate() {
        match input {
            Input::Numeric { .. } => {
                terms.push(Term::Linear { input: k });
                numeric.push(k);
            }
            Input::Categorical { levels, reference, .. } => {
                let first = usize::from(reference.is_some());
                terms.extend((first..levels.len()).map(|level| Term::Dummy { input: k, level }));
            }
        }
    }
    let degree = u32::try_from(spec.poly_degree)
        .map_err(|_| Error::invalid("poly_degree", spec.poly_degree, "too large"))?;
    for &k in &numeric {
        // x^d = x for a 0/1 column: its powers would only repeat it.
        if !is_indicator(frame.column(inputs[k].name())?) {
            terms.extend((2..=degree).map(|degree| Term::Power { input: k, degree }));
        }
    }
    if spec.interactions {
        for (i, &a) in numeric.iter().enumerate() {
            terms.extend(numeric[i + 1..].iter().map(|&b| Term::Interaction { a, b }));
        }
    }
    Ok(terms)
}

/// Whether every value of a numeric column is 0 or 1.
fn is_indicator(column: &Column) -> bool {
    column.as_numeric().is_some_and(|x| x.iter().all(|&v| v == 0.0 || v == 1.0))
}

/// A design column's name, as patsy writes it.
fn term_name(inputs: &[Input], term: Term) -> String {
    match term {
        Term::Intercept => "Intercept".into(),
        Term::Linear { input } => inputs[input].name().into(),
        Term::Power { input, degree } => format!("{}^{degree}", inputs[input].name()),
        Term::Interaction { a, b } => format!("{}:{}", inputs[a].name(), inputs[b].name()),
        Term::Dummy { input, level } => match &inputs[input] {
            Input::Categorical { name, levels, reference, from_numeric } => {
                let factor = if *from_numeric { format!("C({name})") } else { name.clone() };
                let t = if reference.is_some() { "T." } else { "" };
                format!("{factor}[{t}{}]", levels[level])
            }
            Input::Numeric { name } => name.clone(),
        },
    }
}

/// The values of `input` in `frame`: numbers, or codes into the encoder's levels.
fn input_values<'a>(frame: &'a Frame, input: &Input, first_row: usize) -> Result<Values<'a>> {
    let column = frame.column(input.name())?;
    if column.len() != frame.n_rows {
        let msg = format!("{} values in a frame of {} rows", column.len(), frame.n_rows);
        return Err(Error::Encoding { column: input.name().to_owned(), msg });
    }
    match (input, column) {
        (Input::Numeric { .. }, Column::Numeric(x)) => Ok(Values::Numbers(x)),
        (Input::Numeric { name }, Column::Categorical { levels, .. }) => {
            let text = levels.iter().find(|l| l.parse::<f64>().is_err()).map_or("", String::as_str);
            Err(Error::Encoding {
                column: name.clone(),
                msg: format!("was numeric in the training data but holds text here (`{text}`)"),
            })
        }
        (Input::Categorical { name, levels, .. }, _) => {
            level_codes(column, name, levels, first_row)
        }
    }
}

/// Row `i`'s level as an index into `levels`; a level not among them is an error naming its
/// data row (the frame's first being row `first_row + 1`).
fn level_codes<'a>(
    column: &Column,
    name: &str,
    levels: &[String],
    first_row: usize,
) -> Result<Values<'a>> {
    let index: HashMap<&str, usize> =
        levels.iter().enumerate().map(|(k, l)| (l.as_str(), k)).collect();
    let code = |i: usize| {
        let label = column.label(i);
        index.get(label.as_ref()).copied().ok_or_else(|| Error::Encoding {
            column: name.to_owned(),
            msg: format!(
                "level `{label}` (data row {}) was not in the training data; the levels are {}",
                first_row + i + 1,
                levels.join(", ")
            ),
        })
    };
    Ok(Values::Codes((0..column.len()).map(code).collect::<Result<_>>()?))
}
