//! An online fit shared by `K` processes (`mpirun -n K axon fit --stream`), Vowpal Wabbit's
//! AllReduce scheme: each process streams its own part of the input and learns from it alone;
//! every [`StreamOptions::sync_rows`] of its rows, and when every process has finished its
//! part of a pass, the processes merge their models with one allreduce and go on from the
//! merged model, which is the same, bit for bit, on every process.
//!
//! A merge reduces, per coordinate, each process's weight change since the last merge and two
//! shares of a gap that its learning closed, each as `f = 1 − exp(−x)` with its exponent `x`:
//! the coordinate's own gap to its optimum (`x = Σ stepⱼ g²xⱼ²` over the rows that touch it,
//! `g²` estimating the curvature `p(1 − p)`), and the gap of those rows' logits
//! (`x = Σ g² Σ_{k in the row} stepₖ xₖ²`: the row's logit moves by every coordinate at once).
//! The merged change is `c · Σ changes` with `c = min(F / Σ f, RELAX · F_rows / Σ f_rows)`, `F`
//! the share the summed exponents close. For a coordinate few rows touched (small `f`) `c` is 1,
//! the sum of the changes, as one process would have made them one after another; where every
//! process closed the gap, `c` is `1/K`, their average (Vowpal Wabbit's rule, which never
//! overshoots). The rows' bound is what keeps `K ≥ 4` from diverging: coordinates each of which
//! saw too little to have closed its own gap still close their rows' gaps together (all of a
//! row's categories move its logit), and summing their changes then overshoots the logits
//! `K`-fold; the bound lets them overshoot by at most half the gap (`RELAX = 1.5`), so the
//! merges contract, as a relaxed Jacobi step does. The adaptive sums (FTRL's `n`, Adagrad's) add
//! up, as one process's would; FTRL's `z` is set to give the merged weight (where the merged
//! weight is 0, under the L1 threshold, the changes of `z` add up instead). Measured on a
//! generated click log, held-out log loss relative to one process (docs/distributed.md): with
//! `K = 2`, within 0.4 % for every learner and `--sync-every` 500 to 20 000 (Adagrad 0.9 % at
//! 20 000, 4 % merging only at the end of the pass); with `K = 4`, 0–2.3 % at 500–2 000 rows,
//! 2–5 % at 20 000, no divergence. The coordinate rule alone (the earlier one) diverged for FTRL
//! and Adagrad with `K = 4` at 2 000 rows; the rows' share alone (no sum) lost 1.2–1.8 % with
//! `K = 2`; VW's weighted average lost 1.3–4.5 % with `K = 2`.
//!
//! The progressive loss is the global one: each merge also sums the rows and log losses, and the
//! reports (at the first merge after 1, 2, 4, ... rows over all processes) are of every row.
//! A process whose part ends first keeps taking part in the merges, with no change, until all
//! are done, so every process makes the same collective calls. A checkpoint (written by rank 0
//! after a merge, when every process holds the merged model) records each process's place in its
//! part, the rows of the pass it had learned; the same `K` processes resume from it, each
//! skipping its rows, and end with the bits of the uninterrupted run. Stopping early
//! ([`StreamOptions::stop_after`]) stops at the first merge that reaches the rows asked for.

use std::time::Instant;

use super::checkpoint::save_checkpoint;
use super::learner::{Learner, OnlineModel, Progress, Schedule};
use super::stream::{each_batch, StreamEvent, StreamOptions, StreamSource, StreamSummary};
use crate::data::FilePart;
use crate::distributed::Communicator;
use crate::error::{Error, Result};

/// The state at the last merge, this process's progress since, and the buffer the merges
/// reduce.
struct Merger<'a> {
    comm: &'a dyn Communicator,
    /// The state arrays and the weights at the last merge.
    a: Vec<f64>,
    b: Vec<f64>,
    w: Vec<f64>,
    progress: Progress,
    /// Per coordinate, since the last merge: `Σ stepⱼ gⱼ²` over the rows that touch it (the
    /// share of the coordinate's own gap closed, as an exponent), then `Σ q` over the same rows,
    /// `q` the share of the row's logit gap that learning the row closed (see [`row_share`]).
    closed: Vec<f64>,
    closed_rows: Vec<f64>,
    buffer: Vec<f64>,
}

/// The progress and flags carried after the arrays: rows, rows of the pass, loss sum, weight
/// sum, processes done.
const TAIL: usize = 5;

impl<'a> Merger<'a> {
    fn new(model: &mut OnlineModel, comm: &'a dyn Communicator) -> Merger<'a> {
        let progress = model.progress;
        let learner = model.learner();
        let (a, b) = model.state_mut();
        let w = weights(learner, a, b);
        let width = a.len();
        let buffer = vec![0.0; arrays(learner) * width + TAIL];
        let (closed, closed_rows) = (vec![0.0; width], vec![0.0; width]);
        Merger { comm, a: a.to_vec(), b: b.to_vec(), w, progress, closed, closed_rows, buffer }
    }

    /// Notes a row just learned with log loss `loss` (importance `weight` included).
    fn saw(
        &mut self,
        model: &OnlineModel,
        indices: &[u32],
        values: &[f64],
        loss: f64,
        weight: f64,
    ) {
        let Some((g2, steps)) = row_steps(model, indices, values, loss, weight) else { return };
        let q = g2 * steps.iter().sum::<f64>();
        let bias = self.closed_rows.len() - 1;
        for (j, s) in indices.iter().map(|&j| j as usize).chain([bias]).zip(&steps) {
            self.closed[j] += g2 * s;
            self.closed_rows[j] += q;
        }
    }

    /// Merges every process's model (see the module docs); `done` says this process has
    /// finished its part of the pass. Returns whether every process has.
    fn merge(&mut self, model: &mut OnlineModel, done: bool) -> bool {
        let learner = model.learner();
        let p = model.progress;
        let (a, b) = model.state_mut();
        let width = a.len();
        // Per coordinate: the weight change; the share of its own gap this process closed and
        // its exponent; the same for the gaps of its rows' logits; the adaptive learners'
        // evidence (the change of their sums of squared gradients) and FTRL's change of z.
        let (changes, rest) = self.buffer.split_at_mut(width);
        let (shares, rest) = rest.split_at_mut(width);
        let (exponents, rest) = rest.split_at_mut(width);
        let (row_shares, rest) = rest.split_at_mut(width);
        let (row_exponents, rest) = rest.split_at_mut(width);
        let (rest, tail) = rest.split_at_mut(rest.len() - TAIL);
        for i in 0..width {
            let w = learner.weight_of(a[i], b.get(i).copied().unwrap_or(0.0));
            changes[i] = w - self.w[i];
            exponents[i] = self.closed[i];
            shares[i] = -(-self.closed[i]).exp_m1();
            row_exponents[i] = self.closed_rows[i];
            row_shares[i] = -(-self.closed_rows[i]).exp_m1();
        }
        if !b.is_empty() {
            let (evidence, z_changes) = rest.split_at_mut(width);
            for ((e, now), was) in evidence.iter_mut().zip(b.iter()).zip(&self.b) {
                *e = now - was;
            }
            for ((d, now), was) in z_changes.iter_mut().zip(a.iter()).zip(&self.a) {
                *d = now - was;
            }
        }
        tail[0] = (p.rows - self.progress.rows) as f64;
        tail[1] = (p.rows_in_pass - self.progress.rows_in_pass) as f64;
        tail[2] = p.loss_sum - self.progress.loss_sum;
        tail[3] = p.weight_sum - self.progress.weight_sum;
        tail[4] = f64::from(u8::from(done));
        self.comm.allreduce_sum_f64(&mut self.buffer);
        let (changes, rest) = self.buffer.split_at(width);
        let (shares, rest) = rest.split_at(width);
        let (exponents, rest) = rest.split_at(width);
        let (row_shares, rest) = rest.split_at(width);
        let (row_exponents, rest) = rest.split_at(width);
        let (rest, tail) = rest.split_at(rest.len() - TAIL);
        let (evidence, z_changes) = rest.split_at(rest.len() / 2);
        for i in 0..width {
            if shares[i] <= 0.0 {
                // No process learned from this coordinate: it stays as merged last.
                continue;
            }
            // The share all the evidence closes, times the gap the processes' changes
            // estimate, but the rows' logits moved by at most `RELAX` times their gap.
            let own = -(-exponents[i]).exp_m1() / shares[i];
            let rows = -RELAX * (-row_exponents[i]).exp_m1() / row_shares[i];
            let w = self.w[i] + own.min(rows) * changes[i];
            match learner {
                Learner::Ftrl { .. } => {
                    let n = self.b[i] + evidence[i];
                    // Below FTRL's L1 threshold: the changes of z add up.
                    let z =
                        if w == 0.0 { self.a[i] + z_changes[i] } else { learner.state_of(w, n) };
                    self.a[i] = z;
                    self.b[i] = n;
                    self.w[i] = learner.weight_of(z, n);
                }
                Learner::Adagrad { .. } => {
                    self.a[i] = w;
                    self.b[i] += evidence[i];
                    self.w[i] = w;
                }
                Learner::Sgd { .. } => {
                    self.a[i] = w;
                    self.w[i] = w;
                }
            }
        }
        a.copy_from_slice(&self.a);
        b.copy_from_slice(&self.b);
        self.closed.iter_mut().for_each(|e| *e = 0.0);
        self.closed_rows.iter_mut().for_each(|e| *e = 0.0);
        let merged = &mut self.progress;
        merged.rows += tail[0] as u64;
        merged.rows_in_pass += tail[1] as u64;
        merged.loss_sum += tail[2];
        merged.weight_sum += tail[3];
        // The report marks stay as the model last set them (the same on every process).
        merged.pass = p.pass;
        merged.next_report = p.next_report;
        merged.reported_loss = p.reported_loss;
        merged.reported_weight = p.reported_weight;
        model.progress = *merged;
        tail[4] as usize == self.comm.size()
    }
}

/// How far past its gap a merge may move a row's logit: the ranks' summed changes may
/// overshoot a gap every rank closed, as a relaxed Jacobi step does, by less than the gap
/// itself (`< 2`), so that repeated merges contract.
const RELAX: f64 = 1.5;

/// The arrays a merge reduces: changes, two shares and their exponents; the adaptive learners'
/// evidence and changes of their first state array too.
fn arrays(learner: Learner) -> usize {
    if matches!(learner, Learner::Sgd { .. }) {
        5
    } else {
        7
    }
}

/// A learned row's `g²` and each of its coordinates' step times `xⱼ²` (the bias last, its `x`
/// 1), or `None` for a row of weight 0. Learning the row moved its logit by `g · Σⱼ stepⱼ xⱼ²`
/// while its gap to the optimum is `g / p(1 − p)`, and `g²` estimates `p(1 − p)`
/// (`E[(p − y)²] = p(1 − p)` for a calibrated `p`): `q = g² Σⱼ stepⱼ xⱼ²` is the share of the
/// row's gap it closed, `g² stepⱼ xⱼ²` the share of coordinate `j`'s own. `|p − y|` is recovered
/// from the row's log loss, `1 − exp(−loss)`; the steps are the ones the learner takes next.
fn row_steps(
    model: &OnlineModel,
    indices: &[u32],
    values: &[f64],
    loss: f64,
    weight: f64,
) -> Option<(f64, Vec<f64>)> {
    if weight <= 0.0 || !loss.is_finite() {
        return None;
    }
    let residual = -(-loss / weight).exp_m1() * weight;
    let learner = model.learner();
    let (_, b) = model.state();
    let t = model.progress.rows;
    let bias = model.n_features();
    let step = |j: usize| step_of(learner, b.get(j).copied().unwrap_or(0.0), t);
    let mut steps: Vec<f64> =
        indices.iter().zip(values).map(|(&j, &v)| step(j as usize) * v * v).collect();
    steps.push(step(bias));
    Some((residual * residual, steps))
}

/// The step a learner takes on a coordinate whose sum of squared gradients is `n`, after `t`
/// rows (SGD).
fn step_of(learner: Learner, n: f64, t: u64) -> f64 {
    match learner {
        Learner::Ftrl { alpha, beta, l2, .. } => 1.0 / ((beta + n.sqrt()) / alpha + l2),
        Learner::Adagrad { rate, .. } if n > 0.0 => rate / n.sqrt(),
        Learner::Adagrad { .. } => 0.0,
        Learner::Sgd { rate, schedule: Schedule::Constant, .. } => rate,
        Learner::Sgd { rate, schedule: Schedule::InvSqrt, .. } => rate / (1.0 + t as f64).sqrt(),
    }
}

/// The weights of the state arrays `a` and `b`.
fn weights(learner: Learner, a: &[f64], b: &[f64]) -> Vec<f64> {
    (0..a.len()).map(|i| learner.weight_of(a[i], b.get(i).copied().unwrap_or(0.0))).collect()
}

/// `fit_stream_parts` over several processes; see the module docs.
pub(super) fn fit_over_ranks(
    source: &StreamSource,
    parts: &[FilePart],
    model: &mut OnlineModel,
    options: &StreamOptions,
    comm: &dyn Communicator,
    on_event: &mut dyn FnMut(StreamEvent),
) -> Result<StreamSummary> {
    let (k, rank) = (comm.size(), comm.rank());
    let resumed = model.progress.rows > 0 || model.progress.pass > 0;
    // A resumed process skips the rows of the current pass it had learned (`fit_stream_parts`
    // checked that the checkpoint has one place per process).
    let mut skip = if resumed { options.places[rank] } else { 0 };
    if resumed && options.places.iter().sum::<u64>() != model.progress.rows_in_pass {
        return Err(Error::invalid(
            "resume",
            model.progress.rows_in_pass,
            "the checkpoint's places do not add up to the rows of its pass",
        ));
    }
    if options.sync_rows == 0 {
        return Err(Error::invalid("sync_rows", 0, "at least one row between merges"));
    }
    let start = Instant::now();
    let first_row = model.progress.rows;
    // Every process takes part (the places are gathered by one allreduce); rank 0 writes.
    let checkpoint = |model: &OnlineModel, mine: u64| -> Result<()> {
        let Some(path) = &options.checkpoint else { return Ok(()) };
        let mut places = vec![0.0; k];
        places[rank] = mine as f64;
        comm.allreduce_sum_f64(&mut places);
        if rank != 0 {
            return Ok(());
        }
        let places: Vec<u64> = places.iter().map(|&p| p as u64).collect();
        save_checkpoint(path, model, &options.settings, &places)
    };
    let mut merger = Merger::new(model, comm);
    let mut last_checkpoint = model.progress.rows;
    // After each merge (the same rows on every process): the report due, a checkpoint every
    // `checkpoint_rows` rows, and whether to stop (`stop_after`, after a checkpoint).
    let mut after_merge = |model: &mut OnlineModel,
                           mine: u64,
                           on_event: &mut dyn FnMut(StreamEvent)|
     -> Result<bool> {
        if model.progress.rows >= model.progress.next_report {
            on_event(StreamEvent::Report(model.report()));
        }
        let stop = options.stop_after.is_some_and(|n| model.progress.rows >= n);
        if stop || model.progress.rows - last_checkpoint >= options.checkpoint_rows {
            checkpoint(model, mine)?;
            last_checkpoint = model.progress.rows;
        }
        Ok(stop)
    };
    let mut stopped = false;
    while model.progress.pass < options.passes && !stopped {
        // This process's rows of the pass (skipped or learned), and since the last merge.
        let (mut mine, mut since) = (0, 0);
        each_batch(source, parts, options.batch_rows, &mut |(x, labels, weights)| {
            model.check_batch(&x, &labels, weights.as_deref())?;
            for (i, &y) in labels.iter().enumerate() {
                mine += 1;
                if skip > 0 {
                    skip -= 1;
                    continue;
                }
                let (indices, values) = x.row(i);
                let weight = weights.as_ref().map_or(1.0, |w| w[i]);
                let loss = model.learn_row(indices, values, y, weight);
                merger.saw(model, indices, values, loss, weight);
                since += 1;
                if since == options.sync_rows {
                    merger.merge(model, false);
                    stopped = after_merge(model, mine, on_event)?;
                    since = 0;
                    if stopped {
                        return Ok(false);
                    }
                }
            }
            let p = model.progress;
            on_event(StreamEvent::Batch { pass: p.pass, rows_in_pass: p.rows_in_pass });
            Ok(true)
        })?;
        if stopped {
            break;
        }
        if skip > 0 {
            return Err(Error::invalid(
                "checkpoint",
                mine + skip,
                format!(
                    "rank {rank}'s part of {} has fewer rows than the checkpoint's pass had",
                    source.path().display()
                ),
            ));
        }
        // This part is done: merge, with no further change, until every process is.
        loop {
            let all_done = merger.merge(model, true);
            stopped = after_merge(model, mine, on_event)?;
            if all_done || stopped {
                break;
            }
        }
        if stopped {
            break;
        }
        model.end_pass();
        merger.progress = model.progress;
        checkpoint(model, 0)?;
    }
    Ok(StreamSummary::of(model, first_row, start))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `K` processes that learned exactly the same rows: the sum of any buffer is `K` times it.
    struct Copies(usize);

    impl Communicator for Copies {
        fn rank(&self) -> usize {
            0
        }
        fn size(&self) -> usize {
            self.0
        }
        fn allreduce_sum_f64(&self, buf: &mut [f64]) {
            buf.iter_mut().for_each(|v| *v *= self.0 as f64);
        }
        fn allreduce_sum_f32(&self, _: &mut [f32]) {}
        fn allreduce_min_f64(&self, _: &mut [f64]) {}
        fn broadcast_f32(&self, _: &mut [f32], _: usize) {}
        fn barrier(&self) {}
        fn abort(&self, message: &str, _: i32) -> ! {
            panic!("{message}")
        }
    }

    /// The weight changes of one process and of the merge of `k` copies of it, after 2 000 rows
    /// that all hold feature 0 (3 in 10 positive) and one row that holds feature 1 too.
    fn changes_merged(learner: Learner, k: usize) -> (Vec<f64>, Vec<f64>) {
        let mut model = OnlineModel::new(learner, 3).unwrap();
        let comm = Copies(k);
        let mut merger = Merger::new(&mut model, &comm);
        for i in 0..2000 {
            let indices: &[u32] = if i == 0 { &[0, 1] } else { &[0] };
            let values = vec![1.0; indices.len()];
            let y = f64::from(u8::from(i % 10 < 3));
            let loss = model.learn_row(indices, &values, y, 1.0);
            merger.saw(&model, indices, &values, loss, 1.0);
        }
        let alone = model.weights();
        merger.merge(&mut model, true);
        (alone, model.weights())
    }

    #[test]
    fn a_merge_adds_up_what_one_row_taught_and_averages_what_every_row_did() {
        let learners = [
            Learner::Adagrad { rate: 0.1, l2: 0.0 },
            Learner::Ftrl { alpha: 0.1, beta: 1.0, l1: 0.0, l2: 0.0 },
            Learner::Sgd { rate: 0.05, schedule: Schedule::Constant, l2: 0.0 },
        ];
        for learner in learners {
            for k in [2, 4] {
                let (alone, merged) = changes_merged(learner, k);
                // Feature 1, seen in one row: nearly the K copies' sum (each closed a few per
                // cent of its gap).
                let ratio = merged[1] / alone[1];
                assert!(
                    ratio > 0.8 * k as f64 && ratio <= k as f64,
                    "{learner:?}, K = {k}: {ratio}"
                );
                // Feature 0 and the bias, in every row, at their optimum in each copy: the
                // average, which is each copy's own change.
                for i in [0, 3] {
                    let ratio = merged[i] / alone[i];
                    assert!((ratio - 1.0).abs() < 0.05, "{learner:?}, K = {k}, {i}: {ratio}");
                }
            }
        }
    }
}
