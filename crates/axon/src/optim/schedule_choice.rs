//! The choice of learning-rate schedule as plain data, so that a command line names one
//! (`step:10:0.5`, `cosine`, `warmup:5`), a run record stores it (`{"kind": "step", ...}`) and
//! [`ScheduleChoice::schedule`] makes the [`Schedule`] for a run of a given number of epochs.
//! The rate of epoch `e` (counted from 0) is the schedule's closed form at `e`, set before the
//! epoch's first step:
//!
//! ```text
//! step:S[:G]          η_0 · G^⌊e / S⌋                              (G = 0.1, PyTorch's default)
//! cosine[:T[:MIN]]    MIN + (η_0 − MIN)(1 + cos(π e / T)) / 2      (T = the epochs, MIN = 0)
//! warmup:W[:F]        η_0 · (F + (1 − F) · min(e, W) / W)          (F = 1/(W+1): η_0 (e+1)/(W+1))
//! ```

use std::fmt;

use serde::{Deserialize, Serialize};

use super::scheduler::{CosineAnnealingLR, LinearWarmup, Schedule, StepLR};
use crate::error::{Error, Result};

/// A learning-rate schedule and its settings.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum ScheduleChoice {
    /// Multiply by `gamma` every `step_size` epochs.
    Step { step_size: usize, gamma: f64 },
    /// Half a cosine down to `eta_min` over `t_max` epochs (`None`: the run's epochs).
    Cosine { t_max: Option<usize>, eta_min: f64 },
    /// A linear ramp from `start_factor · η_0` to `η_0` over `epochs` epochs.
    Warmup { epochs: usize, start_factor: f64 },
}

/// The forms `--scheduler` takes.
const FORMS: &str = "step:S[:GAMMA], cosine[:T_MAX[:ETA_MIN]] or warmup:W[:START_FACTOR]";

impl ScheduleChoice {
    /// Parses `step:S[:GAMMA]`, `cosine[:T_MAX[:ETA_MIN]]` or `warmup:W[:START_FACTOR]`.
    pub fn parse(spec: &str) -> Result<ScheduleChoice> {
        let invalid = |reason: String| Error::invalid("scheduler", spec, reason);
        let mut parts = spec.trim().split(':').map(str::trim);
        let kind = parts.next().unwrap_or_default();
        let args: Vec<&str> = parts.collect();
        let count = |name: &str, s: &str| {
            s.parse::<usize>().ok().filter(|&n| n > 0).ok_or_else(|| {
                invalid(format!("{name} must be a positive whole number, not `{s}`"))
            })
        };
        let number = |name: &str, s: &str| {
            s.parse::<f64>()
                .ok()
                .filter(|x| x.is_finite())
                .ok_or_else(|| invalid(format!("{name} must be a number, not `{s}`")))
        };
        let choice = match (kind, args.as_slice()) {
            ("step", [s]) => ScheduleChoice::Step { step_size: count("S", s)?, gamma: 0.1 },
            ("step", [s, g]) => {
                ScheduleChoice::Step { step_size: count("S", s)?, gamma: number("GAMMA", g)? }
            }
            ("cosine", []) => ScheduleChoice::Cosine { t_max: None, eta_min: 0.0 },
            ("cosine", [t]) => {
                ScheduleChoice::Cosine { t_max: Some(count("T_MAX", t)?), eta_min: 0.0 }
            }
            ("cosine", [t, m]) => ScheduleChoice::Cosine {
                t_max: Some(count("T_MAX", t)?),
                eta_min: number("ETA_MIN", m)?,
            },
            ("warmup", [w]) => {
                let epochs = count("W", w)?;
                ScheduleChoice::Warmup { epochs, start_factor: 1.0 / (epochs as f64 + 1.0) }
            }
            ("warmup", [w, f]) => ScheduleChoice::Warmup {
                epochs: count("W", w)?,
                start_factor: number("START_FACTOR", f)?,
            },
            ("step" | "cosine" | "warmup", _) => {
                return Err(invalid(format!("wrong number of `:` parts; expected {FORMS}")))
            }
            _ => return Err(invalid(format!("unknown schedule; expected {FORMS}"))),
        };
        // The schedule's own checks (gamma > 0, a start factor in (0, 1], ...).
        choice.schedule(1).map_err(|e| invalid(e.to_string()))?;
        Ok(choice)
    }

    /// The schedule for a run of `epochs` epochs.
    pub fn schedule(&self, epochs: usize) -> Result<Box<dyn Schedule + Send + Sync>> {
        Ok(match *self {
            ScheduleChoice::Step { step_size, gamma } => Box::new(StepLR::new(step_size, gamma)?),
            ScheduleChoice::Cosine { t_max, eta_min } => {
                Box::new(CosineAnnealingLR::new(t_max.unwrap_or(epochs.max(1)), eta_min)?)
            }
            ScheduleChoice::Warmup { epochs, start_factor } => {
                Box::new(LinearWarmup::new(epochs, start_factor)?)
            }
        })
    }
}

/// `step:10:0.5`, `cosine`, `cosine:20:0.0001`, `warmup:5:0.1667`: the form `parse` reads.
impl fmt::Display for ScheduleChoice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            ScheduleChoice::Step { step_size, gamma } => write!(f, "step:{step_size}:{gamma}"),
            ScheduleChoice::Cosine { t_max: None, .. } => write!(f, "cosine"),
            ScheduleChoice::Cosine { t_max: Some(t), eta_min } => write!(f, "cosine:{t}:{eta_min}"),
            ScheduleChoice::Warmup { epochs, start_factor } => {
                write!(f, "warmup:{epochs}:{start_factor}")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_each_form_with_its_defaults() {
        let step = ScheduleChoice::parse("step:10:0.5").unwrap();
        assert_eq!(step, ScheduleChoice::Step { step_size: 10, gamma: 0.5 });
        assert_eq!(step.schedule(30).unwrap().lr_at(1.0, 25), 0.25);
        let gamma = ScheduleChoice::parse("step:3").unwrap();
        assert_eq!(gamma, ScheduleChoice::Step { step_size: 3, gamma: 0.1 });
        let cosine = ScheduleChoice::parse("cosine").unwrap();
        assert!((cosine.schedule(4).unwrap().lr_at(1.0, 2) - 0.5).abs() < 1e-15);
        let warmup = ScheduleChoice::parse("warmup:3").unwrap();
        let s = warmup.schedule(10).unwrap();
        let lrs: Vec<f64> = (0..5).map(|e| s.lr_at(1.0, e)).collect();
        for (got, want) in lrs.iter().zip([0.25, 0.5, 0.75, 1.0, 1.0]) {
            assert!((got - want).abs() < 1e-15, "{lrs:?}");
        }
        for bad in ["foo", "step", "step:0", "step:2:-1", "cosine:x", "warmup:2:1.5", "warmup"] {
            let err = ScheduleChoice::parse(bad).unwrap_err().to_string();
            assert!(err.contains("scheduler"), "{bad}: {err}");
        }
    }
}
