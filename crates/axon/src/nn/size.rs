//! How big a network an [`Architecture`] describes, known before anything is allocated: the
//! name and shape of every parameter (as the built network's `state_dict` names them), their
//! count in checked arithmetic, and the refusal of a network whose parameters would not fit in
//! memory. A width typed with three zeros too many (`mlp:100000000000`) or a model file whose
//! architecture was tampered with is then an error that names the size, not an aborted
//! allocation or a "capacity overflow" panic deep inside a tensor constructor.
//!
//! ```text
//! bytes needed ≈ parameters × bytes per parameter    (4 to load an f32 network; 16 to train it:
//!                                                     the values, their gradients, Adam's moments)
//! refused when parameters > MAX_PARAMETERS, or bytes needed > MemAvailable (Linux, when readable)
//! ```

use std::fmt;

use super::architecture::{Activation, Architecture, Output};
use crate::error::{Error, Result};

/// Why a network whose size overflows is refused.
const UNCOUNTABLE: &str = "more than a 64-bit count holds";

impl Architecture {
    /// The most parameters a network may have: 2³⁰, 4 GiB of `f32` values.
    pub const MAX_PARAMETERS: usize = 1 << 30;

    /// Bytes per parameter to hold a network's values (`f32`).
    pub const BYTES_TO_LOAD: usize = 4;

    /// Bytes per parameter to train a network: its values, their gradients and an optimizer's
    /// state.
    pub const BYTES_TO_TRAIN: usize = 16;

    /// The name and shape of every parameter of the built network, in its `state_dict` order;
    /// an error when a size overflows.
    pub fn parameter_shapes(&self) -> Result<Vec<(String, Vec<usize>)>> {
        let linear = |i: usize, inputs: usize, outputs: usize| {
            [(format!("{i}.weight"), vec![outputs, inputs]), (format!("{i}.bias"), vec![outputs])]
        };
        Ok(match self {
            Architecture::Logreg { inputs, classes, output } => {
                linear(0, *inputs, output.units(*classes)).to_vec()
            }
            Architecture::Mlp { inputs, hidden, classes, output, batch_norm, dropout, .. } => {
                // Linear, [BatchNorm1d], activation, [Dropout] per hidden layer.
                let per_layer = 2 + usize::from(*batch_norm) + usize::from(*dropout > 0.0);
                let mut shapes = Vec::new();
                let mut width = *inputs;
                for (layer, &h) in hidden.iter().enumerate() {
                    let i = per_layer * layer;
                    shapes.extend(linear(i, width, h));
                    if *batch_norm {
                        shapes.push((format!("{}.weight", i + 1), vec![h]));
                        shapes.push((format!("{}.bias", i + 1), vec![h]));
                    }
                    width = h;
                }
                shapes.extend(linear(per_layer * hidden.len(), width, output.units(*classes)));
                shapes
            }
            Architecture::Cnn { height, width, channels: [c1, c2], dense, classes } => {
                let flat = [*c2, height / 4, width / 4]
                    .into_iter()
                    .try_fold(1usize, usize::checked_mul)
                    .ok_or_else(|| too_large(self, Some(UNCOUNTABLE.into())))?;
                let mut shapes = vec![
                    ("0.weight".to_owned(), vec![*c1, 1, 3, 3]),
                    ("0.bias".to_owned(), vec![*c1]),
                    ("3.weight".to_owned(), vec![*c2, *c1, 3, 3]),
                    ("3.bias".to_owned(), vec![*c2]),
                ];
                shapes.extend(linear(7, flat, *dense));
                shapes.extend(linear(9, *dense, *classes));
                shapes
            }
        })
    }

    /// The number of parameters, or an error when it overflows `usize`.
    pub fn parameter_count(&self) -> Result<usize> {
        let count = |shape: &Vec<usize>| shape.iter().try_fold(1usize, |n, &d| n.checked_mul(d));
        self.parameter_shapes()?
            .iter()
            .try_fold(0usize, |total, (_, shape)| total.checked_add(count(shape)?))
            .ok_or_else(|| too_large(self, Some(UNCOUNTABLE.into())))
    }

    /// Refuses a network of more than [`Architecture::MAX_PARAMETERS`] parameters, or one whose parameters at
    /// `bytes_per_parameter` need more memory than is available; the parameter count otherwise.
    pub fn check_size(&self, bytes_per_parameter: usize) -> Result<usize> {
        let n = self.parameter_count()?;
        if n > Self::MAX_PARAMETERS {
            let why = format!("more than the {} allowed", Self::MAX_PARAMETERS);
            return Err(too_large(self, Some(why)));
        }
        let bytes = (n as u64).saturating_mul(bytes_per_parameter as u64);
        match available_memory() {
            Some(free) if bytes > free => {
                let why = format!("{} needed, {} available", gib(bytes as f64), gib(free as f64));
                Err(too_large(self, Some(why)))
            }
            _ => Ok(n),
        }
    }
}

/// The error for a network too large to build: its description, its parameter count, and `why`.
fn too_large(arch: &Architecture, why: Option<String>) -> Error {
    let n = approximate_count(arch);
    let count = if n < 1e15 { format!("{n}") } else { format!("{n:.3e}") };
    let why = why.map_or(String::new(), |w| format!(": {w}"));
    let size = format!("{count} parameters ({} as f32){why}", gib(4.0 * n));
    Error::invalid("model", arch, format!("the network would have {size}"))
}

/// The parameter count in floating point, which neither overflows nor fails (exact below 2⁵³).
fn approximate_count(arch: &Architecture) -> f64 {
    let linear = |inputs: f64, outputs: f64| (inputs + 1.0) * outputs;
    let f = |v: usize| v as f64;
    match arch {
        Architecture::Logreg { inputs, classes, output } => {
            linear(f(*inputs), f(output.units(*classes)))
        }
        Architecture::Mlp { inputs, hidden, classes, output, batch_norm, .. } => {
            let mut width = f(*inputs);
            let mut total = 0.0;
            for &h in hidden {
                total += linear(width, f(h));
                if *batch_norm {
                    total += 2.0 * f(h);
                }
                width = f(h);
            }
            total + linear(width, f(output.units(*classes)))
        }
        Architecture::Cnn { height, width, channels: [c1, c2], dense, classes } => {
            let flat = f(*c2) * f(height / 4) * f(width / 4);
            let convs = linear(9.0, f(*c1)) + linear(9.0 * f(*c1), f(*c2));
            convs + linear(flat, f(*dense)) + linear(f(*dense), f(*classes))
        }
    }
}

/// `mlp:100000000000 on 64 features`: the description `--model` takes and what it is for.
impl fmt::Display for Architecture {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Architecture::Logreg { inputs, output, .. } => {
                write!(f, "logreg on {inputs} features{}", sigmoid(*output))
            }
            Architecture::Mlp {
                inputs,
                hidden,
                activation,
                negative_slope,
                dropout,
                batch_norm,
                output,
                ..
            } => {
                let widths: Vec<String> = hidden.iter().map(usize::to_string).collect();
                write!(f, "mlp:{} on {inputs} features", widths.join(","))?;
                // The activation when it is not the default ReLU.
                let name = serde_json::to_value(activation).ok();
                let name = name.as_ref().and_then(|v| v.as_str()).unwrap_or("?").to_owned();
                match negative_slope {
                    Some(slope) => write!(f, ", {name} (slope {slope})")?,
                    None if *activation != Activation::Relu => write!(f, ", {name}")?,
                    None => {}
                }
                if *batch_norm {
                    write!(f, ", batch norm")?;
                }
                if *dropout > 0.0 {
                    write!(f, ", dropout {dropout}")?;
                }
                write!(f, "{}", sigmoid(*output))
            }
            Architecture::Cnn { height, width, .. } => write!(f, "cnn on {height}x{width} images"),
        }
    }
}

/// `, sigmoid output` for a single sigmoid unit, nothing for softmax.
fn sigmoid(output: Output) -> &'static str {
    match output {
        Output::Sigmoid => ", sigmoid output",
        Output::Softmax => "",
    }
}

/// `3.2 GiB`.
fn gib(bytes: f64) -> String {
    let gib = bytes / (1u64 << 30) as f64;
    if gib < 1e6 {
        format!("{gib:.1} GiB")
    } else {
        format!("{gib:.2e} GiB")
    }
}

/// The memory available to new allocations (Linux's `MemAvailable`), when it can be read.
fn available_memory() -> Option<u64> {
    let info = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = info.lines().find(|l| l.starts_with("MemAvailable:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    kib.checked_mul(1024)
}

#[cfg(test)]
mod tests {
    use crate::nn::{Activation, Architecture, Module, Output};
    use crate::rng::Rng;

    #[test]
    fn shapes_are_those_of_the_built_network() {
        let archs = [
            Architecture::Logreg { inputs: 5, classes: 3, output: Output::Softmax },
            Architecture::Logreg { inputs: 5, classes: 2, output: Output::Sigmoid },
            Architecture::mlp(4, vec![7, 3], Activation::Tanh, 2),
            Architecture::Mlp {
                inputs: 4,
                hidden: vec![7, 3],
                activation: Activation::LeakyRelu,
                negative_slope: Some(0.2),
                dropout: 0.5,
                batch_norm: true,
                classes: 2,
                output: Output::Sigmoid,
            },
            Architecture::Mlp {
                inputs: 4,
                hidden: vec![7, 3],
                activation: Activation::Relu,
                negative_slope: None,
                dropout: 0.0,
                batch_norm: true,
                classes: 3,
                output: Output::Softmax,
            },
            Architecture::Cnn { height: 9, width: 8, channels: [2, 3], dense: 5, classes: 4 },
        ];
        for arch in archs {
            let net = arch.build(&mut Rng::seed(0)).unwrap();
            let built: Vec<(String, Vec<usize>)> =
                net.parameters().into_iter().map(|(n, p)| (n, p.value().dims().to_vec())).collect();
            assert_eq!(arch.parameter_shapes().unwrap(), built, "{arch:?}");
            assert_eq!(arch.parameter_count().unwrap(), net.num_parameters(), "{arch:?}");
        }
    }

    #[test]
    fn huge_networks_are_refused_by_size_before_allocation() {
        let mlp = |width| Architecture::mlp(64, vec![width], Activation::Relu, 10);
        let err = mlp(100_000_000_000).build(&mut Rng::seed(0)).err().unwrap().to_string();
        assert!(err.contains("mlp:100000000000 on 64 features"), "{err}");
        assert!(err.contains("7500000000010 parameters (27939.7 GiB as f32)"), "{err}");
        assert!(err.contains("more than the 1073741824 allowed"), "{err}");
        // 75 · 2⁶² overflows a 64-bit count: still an error with the size, not a panic.
        let err = mlp(4611686018427387904).check_size(4).unwrap_err().to_string();
        assert!(err.contains("3.459e20 parameters"), "{err}");
        assert!(mlp(usize::MAX).parameter_count().is_err());
        let cnn = Architecture::Cnn {
            height: usize::MAX,
            width: usize::MAX,
            channels: [32, 64],
            dense: 128,
            classes: 10,
        };
        let err = cnn.build(&mut Rng::seed(0)).err().unwrap().to_string();
        assert!(err.contains("cnn on 18446744073709551615x18446744073709551615 images"), "{err}");
        assert_eq!(mlp(16).check_size(16).unwrap(), 64 * 16 + 16 + 16 * 10 + 10);
    }
}
