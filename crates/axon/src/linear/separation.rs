//! Separation: when a hyperplane splits the outcomes, the binary log-likelihood keeps rising as
//! the coefficients run off to infinity, so the maximum-likelihood estimate does not exist and a
//! solver that "converges" reports meaningless estimates of 10¹⁴.
//!
//! A direction `d ≠ 0` separates the data when `q_i xᵢᵀd ≥ 0` for every observation (`q = 2y − 1`):
//! perfectly when all are `> 0`, quasi-completely when some lie on the hyperplane. Two checks:
//!
//! - before fitting, one column at a time: with an intercept, column `j` separates when
//!   `min_{y=1} x_j ≥ max_{y=0} x_j` (or the mirror image) and the column is not constant — the
//!   direction is `e_j − c e_0` for a threshold `c` between the two; without an intercept only
//!   `c = 0` is available;
//! - during and after fitting, for combinations: the Newton direction `Δ` itself is tested
//!   (`q_i xᵢᵀΔ ≥ −10⁻⁶ max_k |x_kᵀΔ|`), and every observation correctly classified at the current
//!   `β` (`q_i xᵢᵀβ > 0` for all `i`) is perfect separation by `β`. The variables named are those
//!   whose share of the diverging direction, `|Δ_j| max_i |x_ij|`, is at least 10⁻³ of the largest.
//!
//! A message describes at most ten columns and counts the rest (a factor with a level
//! per row would otherwise make a message of kilobytes).

use faer::MatRef;
use rayon::prelude::*;

use super::gram::x_beta;
use crate::distributed::rows;
use crate::error::{capped, Error};

/// Relative slack for observations on the separating hyperplane.
pub(crate) const ON_PLANE: f64 = 1e-6;
/// Share of the largest column contribution for a column to count as diverging.
const DIVERGING: f64 = 1e-3;

/// One column that separates the outcomes by a threshold.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ColumnSplit {
    pub column: usize,
    pub threshold: f64,
    /// `true` when `y = 1` lies above the threshold.
    pub ones_above: bool,
    pub perfect: bool,
    /// Observations strictly above and strictly below the threshold (perfect: the `y = 0` side
    /// includes the threshold).
    pub counts: (usize, usize),
}

/// The columns (other than the intercept) that split the outcomes on their own. The ranges of
/// each column within each class, and then the counts of a split, are completed across the ranks
/// of a sharded fit ([`rows`]), so that every rank decides on the whole data set.
pub(crate) fn single_columns(
    x: MatRef<'_, f64>,
    y: &[f64],
    weights: Option<&[f64]>,
    intercept: Option<usize>,
) -> Vec<ColumnSplit> {
    // The outcome of each used row, and NaN for the other class or an unused row, so that the
    // range scan below has no data-dependent branch (`min`/`max` skip NaN).
    let side = |one: bool| -> Vec<f64> {
        let used = |i: usize| weights.is_none_or(|w| w[i] > 0.0);
        (0..y.len()).map(|i| if used(i) && (y[i] > 0.5) == one { 1.0 } else { f64::NAN }).collect()
    };
    let (ones, zeros) = (side(true), side(false));
    let columns: Vec<usize> = (0..x.ncols()).filter(|&j| Some(j) != intercept).collect();
    let range = |&j: &usize| column_ranges(x, (&ones, &zeros), j);
    let ranges: Vec<[f64; 4]> = if x.nrows() * x.ncols() < 1 << 18 {
        columns.iter().map(range).collect()
    } else {
        columns.par_iter().map(range).collect()
    };
    // (lo₁, −hi₁, lo₀, −hi₀): one minimum across the ranks completes all four.
    let mut flat: Vec<f64> = ranges.iter().flat_map(|r| [r[0], -r[1], r[2], -r[3]]).collect();
    rows::min_slice(&mut flat);
    let free = intercept.is_some();
    let mut splits: Vec<ColumnSplit> = columns
        .iter()
        .zip(flat.chunks_exact(4))
        .filter_map(|(&j, r)| {
            let (threshold, ones_above, perfect) = split_of([r[0], -r[1], r[2], -r[3]], free)?;
            let (gt, lt) = comparisons(perfect, ones_above);
            let count = |keep: &dyn Fn(f64) -> bool| {
                let used = |i: &usize| weights.is_none_or(|w| w[*i] > 0.0);
                (0..y.len()).filter(used).filter(|&i| keep(x[(i, j)])).count()
            };
            let counts = (count(&|v| gt.holds(v, threshold)), count(&|v| lt.holds(v, threshold)));
            Some(ColumnSplit { column: j, threshold, ones_above, perfect, counts })
        })
        .collect();
    let mut counts: Vec<f64> =
        splits.iter().flat_map(|s| [s.counts.0 as f64, s.counts.1 as f64]).collect();
    rows::sum_slice(&mut counts);
    for (s, c) in splits.iter_mut().zip(counts.chunks_exact(2)) {
        s.counts = (c[0] as usize, c[1] as usize);
    }
    splits
}

/// `(min, max)` of `v` over the rows where `mask` is 1 rather than NaN (`v · NaN` is NaN, which
/// `min` and `max` pass over); four lanes so that the loop vectorises.
fn masked_range(v: &[f64], mask: &[f64]) -> (f64, f64) {
    const LANES: usize = 8;
    let (mut lo, mut hi) = ([f64::MAX; LANES], [f64::MIN; LANES]);
    let (vc, mc) = (v.chunks_exact(LANES), mask.chunks_exact(LANES));
    let tail = vc.remainder().iter().zip(mc.remainder()).map(|(a, m)| a * m);
    let (tail_lo, tail_hi) = tail.fold((f64::MAX, f64::MIN), |(l, h), m| (l.min(m), h.max(m)));
    for (vs, ms) in vc.zip(mc) {
        for l in 0..LANES {
            let m = vs[l] * ms[l];
            (lo[l], hi[l]) = (lo[l].min(m), hi[l].max(m));
        }
    }
    (lo.iter().fold(tail_lo, |a, &b| a.min(b)), hi.iter().fold(tail_hi, |a, &b| a.max(b)))
}

/// `[lo₁, hi₁, lo₀, hi₀]`: column `j`'s range among the `y = 1` and among the `y = 0` rows.
fn column_ranges(x: MatRef<'_, f64>, (ones, zeros): (&[f64], &[f64]), j: usize) -> [f64; 4] {
    let column: Vec<f64>;
    let v = match x.col(j).try_as_col_major() {
        Some(c) => c.as_slice(),
        None => {
            column = x.col(j).iter().copied().collect();
            &column
        }
    };
    let ((lo1, hi1), (lo0, hi0)) = (masked_range(v, ones), masked_range(v, zeros));
    [lo1, hi1, lo0, hi0]
}

/// The split a column's class ranges make, `(threshold, ones_above, perfect)`, if any: at any
/// threshold when the model has an intercept (`free_threshold`), else at 0.
fn split_of([lo1, hi1, lo0, hi0]: [f64; 4], free_threshold: bool) -> Option<(f64, bool, bool)> {
    let constant = lo1.min(lo0) == hi1.max(hi0);
    if constant {
        None
    } else if free_threshold && lo1 >= hi0 {
        Some((hi0, true, lo1 > hi0))
    } else if free_threshold && hi1 <= lo0 {
        Some((lo0, false, hi1 < lo0))
    } else if lo1 >= 0.0 && hi0 <= 0.0 {
        Some((0.0, true, lo1 > 0.0 && hi0 < 0.0))
    } else if hi1 <= 0.0 && lo0 >= 0.0 {
        Some((0.0, false, hi1 < 0.0 && lo0 > 0.0))
    } else {
        None
    }
}

/// `>` or `>=`, `<` or `<=`.
#[derive(Clone, Copy)]
enum Cmp {
    Gt,
    Ge,
    Lt,
    Le,
}

impl Cmp {
    fn holds(self, v: f64, c: f64) -> bool {
        match self {
            Cmp::Gt => v > c,
            Cmp::Ge => v >= c,
            Cmp::Lt => v < c,
            Cmp::Le => v <= c,
        }
    }

    fn symbol(self) -> &'static str {
        match self {
            Cmp::Gt => ">",
            Cmp::Ge => ">=",
            Cmp::Lt => "<",
            Cmp::Le => "<=",
        }
    }
}

/// The threshold is the extreme of the `y = 0` group, so with perfect separation that side of
/// the split includes the threshold itself.
fn comparisons(perfect: bool, ones_above: bool) -> (Cmp, Cmp) {
    match (perfect, ones_above) {
        (true, true) => (Cmp::Gt, Cmp::Le),
        (true, false) => (Cmp::Ge, Cmp::Lt),
        _ => (Cmp::Gt, Cmp::Lt),
    }
}

/// "all 6 observations with `x` > 6 have y = 1, all 6 with `x` <= 6 have y = 0".
fn describe(s: &ColumnSplit, name: &str) -> String {
    let (gt, lt) = comparisons(s.perfect, s.ones_above);
    let (above, below) = if s.ones_above { (1, 0) } else { (0, 1) };
    let c = s.threshold;
    let mut parts = Vec::new();
    if s.counts.0 > 0 {
        parts.push(format!(
            "all {} with `{name}` {} {c} have y = {above}",
            s.counts.0,
            gt.symbol()
        ));
    }
    if s.counts.1 > 0 {
        parts.push(format!(
            "all {} with `{name}` {} {c} have y = {below}",
            s.counts.1,
            lt.symbol()
        ));
    }
    if !s.perfect {
        parts.push(format!("those with `{name}` = {c} have both outcomes"));
    }
    format!("observations: {}", parts.join(", "))
}

/// The error for columns that split the outcomes on their own (the first ten described).
pub(crate) fn column_error(splits: &[ColumnSplit], names: &[String]) -> Error {
    let perfect = splits.iter().any(|s| s.perfect);
    let described: Vec<String> = splits.iter().map(|s| describe(s, &names[s.column])).collect();
    let detail = capped(&described, "; ");
    Error::Separation {
        variables: splits.iter().map(|s| names[s.column].clone()).collect(),
        kind: if perfect { "perfect" } else { "quasi-complete" },
        detail,
    }
}

/// Whether `direction` separates the outcomes: `q_i xᵢᵀd ≥ −10⁻⁶ max |xᵀd|` for every observation.
pub(crate) fn separates(
    x: MatRef<'_, f64>,
    y: &[f64],
    weights: Option<&[f64]>,
    direction: &[f64],
) -> bool {
    separation_kind(x, y, weights, direction).is_some()
}

/// `Some(true)` when `direction` splits the outcomes strictly (every `q_i xᵢᵀd > 10⁻⁶ max |xᵀd|`),
/// `Some(false)` when it splits them up to observations on the hyperplane, `None` otherwise.
pub(crate) fn separation_kind(
    x: MatRef<'_, f64>,
    y: &[f64],
    weights: Option<&[f64]>,
    direction: &[f64],
) -> Option<bool> {
    if direction.len() != x.ncols() || direction.iter().any(|v| !v.is_finite()) {
        return None;
    }
    let eta = x_beta(x, direction);
    let used = |i: &usize| weights.is_none_or(|w| w[*i] > 0.0);
    let scale = (0..eta.len()).filter(used).fold(0.0f64, |m, i| m.max(eta[i].abs()));
    let lowest = (0..eta.len())
        .filter(used)
        .map(|i| if y[i] > 0.5 { eta[i] } else { -eta[i] })
        .fold(f64::INFINITY, f64::min);
    let (scale, lowest) = rows::max_min(scale, lowest);
    (scale > 0.0 && lowest >= -ON_PLANE * scale).then_some(lowest > ON_PLANE * scale)
}

/// The error for separation by a combination of columns along `direction`.
pub(crate) fn direction_error(
    x: MatRef<'_, f64>,
    weights: Option<&[f64]>,
    direction: &[f64],
    intercept: Option<usize>,
    names: &[String],
    perfect: bool,
) -> Error {
    let columns = diverging_columns(x, weights, direction, intercept);
    let variables: Vec<String> = columns.iter().map(|&j| names[j].clone()).collect();
    let detail = if perfect {
        "every observation is classified correctly, so the fitted probabilities run to 0 and 1"
            .to_string()
    } else {
        format!(
            "a combination of {} splits the outcomes up to ties, so some fitted probabilities run \
             to 0 and 1",
            capped(&variables.iter().map(|v| format!("`{v}`")).collect::<Vec<_>>(), ", ")
        )
    };
    Error::Separation {
        variables,
        kind: if perfect { "perfect" } else { "quasi-complete" },
        detail,
    }
}

/// Columns whose share `|d_j| max_i |x_ij|` of the direction is at least 10⁻³ of the largest.
fn diverging_columns(
    x: MatRef<'_, f64>,
    weights: Option<&[f64]>,
    direction: &[f64],
    intercept: Option<usize>,
) -> Vec<usize> {
    let mut scales: Vec<f64> = (0..x.ncols())
        .map(|j| {
            x.col(j)
                .iter()
                .enumerate()
                .filter(|(i, _)| weights.is_none_or(|w| w[*i] > 0.0))
                .fold(0.0f64, |m, (_, v)| m.max(v.abs()))
        })
        .collect();
    rows::max_slice(&mut scales);
    let share: Vec<f64> = (0..x.ncols())
        .map(|j| {
            if Some(j) == intercept || !direction[j].is_finite() {
                return 0.0;
            }
            direction[j].abs() * scales[j]
        })
        .collect();
    let top = share.iter().fold(0.0f64, |m, &s| m.max(s));
    (0..share.len()).filter(|&j| top > 0.0 && share[j] >= DIVERGING * top).collect()
}

#[cfg(test)]
mod tests {
    use super::masked_range;

    #[test]
    fn masked_range_equals_the_direct_scan() {
        for n in [0, 1, 7, 8, 9, 23, 64] {
            let v: Vec<f64> = (0..n).map(|i| ((i * 37) % 19) as f64 - 9.5).collect();
            let mask: Vec<f64> = (0..n).map(|i| if i % 3 == 1 { f64::NAN } else { 1.0 }).collect();
            let kept = v.iter().zip(&mask).filter(|(_, m)| !m.is_nan()).map(|(v, _)| *v);
            let want = kept.fold((f64::MAX, f64::MIN), |(l, h), x| (l.min(x), h.max(x)));
            assert_eq!(masked_range(&v, &mask), want, "n = {n}");
        }
    }
}
