//! An online fit shared by `K` processes (`mpirun -n K axon fit --stream`), Vowpal Wabbit's
//! AllReduce scheme: each process streams its own part of the input and learns from it alone;
//! every [`StreamOptions::sync_rows`] of its rows, and when every process has finished its
//! part of a pass, the processes merge their models with one allreduce and go on from the
//! merged model, which is the same, bit for bit, on every process.
//!
//! A merge reduces, per coordinate, each process's weight change since the last merge, its
//! evidence (the sum of squared gradients it saw; SGD: of squared values) and the share of the
//! distance to the coordinate's optimum that this evidence closes at the learner's step size,
//! `f = 1 − exp(−step · evidence)` (squared gradients estimate the curvature `p(1 − p)`). The
//! merged change is `F · Σ changes / Σ f`, `F` the share that all the evidence closes: for a
//! coordinate few rows touched (small `f`) that is the sum of the changes, as one process
//! would have made them; for one every process learned to its optimum (`f` near 1) it is their
//! average, Vowpal Wabbit's rule, which never overshoots. The adaptive sums (FTRL's `n`,
//! Adagrad's) add up, as one process's would; FTRL's `z` is set to give the merged weight.
//! A plain sum of the changes (a parameter server's) overshoots frequent coordinates by `K`
//! once the interval is long enough for each process to reach their optimum, and diverges for
//! `K > 2`; VW's weighted average (`accumulate_weighted_avg`) learns rare coordinates `K` times
//! slower. Both were measured worse (docs/distributed.md).
//!
//! The progressive loss is the global one: each merge also sums the rows and log losses, and the
//! reports (at the first merge after 1, 2, 4, ... rows over all processes) are of every row.
//! A process whose part ends first keeps taking part in the merges, with no change, until all
//! are done, so every process makes the same collective calls. Resuming a checkpoint (which
//! holds no process's place in its part) and stopping early are refused over several processes.

use std::time::Instant;

use super::checkpoint::save_checkpoint;
use super::learner::{Learner, OnlineModel, Progress, Schedule};
use super::stream::{each_batch, StreamEvent, StreamOptions, StreamSource, StreamSummary};
use crate::data::FilePart;
use crate::distributed::Communicator;
use crate::error::{Error, Result};

/// The state at the last merge, this process's evidence since, and the buffer the merges
/// reduce.
struct Merger<'a> {
    comm: &'a dyn Communicator,
    /// The state arrays and the weights at the last merge.
    a: Vec<f64>,
    b: Vec<f64>,
    w: Vec<f64>,
    progress: Progress,
    /// SGD's evidence per coordinate since the last merge: the sum of the squared values.
    seen: Vec<f64>,
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
        // Weighted changes and evidence, and FTRL's changes of z.
        let arrays = if matches!(learner, Learner::Ftrl { .. }) { 4 } else { 3 };
        let seen = if b.is_empty() { vec![0.0; width] } else { Vec::new() };
        let buffer = vec![0.0; arrays * width + TAIL];
        Merger { comm, a: a.to_vec(), b: b.to_vec(), w, progress, seen, buffer }
    }

    /// Notes a learned row (SGD's evidence).
    fn saw(&mut self, indices: &[u32], values: &[f64]) {
        if let Some(bias) = self.seen.len().checked_sub(1) {
            for (&j, &v) in indices.iter().zip(values) {
                self.seen[j as usize] += v * v;
            }
            self.seen[bias] += 1.0;
        }
    }

    /// Merges every process's model (see the module docs); `done` says this process has
    /// finished its part of the pass. Returns whether every process has.
    fn merge(&mut self, model: &mut OnlineModel, done: bool) -> bool {
        let learner = model.learner();
        let p = model.progress;
        let (a, b) = model.state_mut();
        let width = a.len();
        let t = self.progress.rows;
        // Per coordinate: the weight change, the share of its gap this process closed, the
        // evidence (squared gradients; SGD: squared values), and FTRL's change of z.
        let (changes, rest) = self.buffer.split_at_mut(width);
        let (closed, rest) = rest.split_at_mut(width);
        let (evidence, rest) = rest.split_at_mut(width);
        let (z_changes, tail) = rest.split_at_mut(rest.len() - TAIL);
        for i in 0..width {
            let n = self.b.get(i).copied().unwrap_or(0.0);
            let e = if b.is_empty() { self.seen[i] } else { b[i] - n };
            let w = learner.weight_of(a[i], b.get(i).copied().unwrap_or(0.0));
            changes[i] = w - self.w[i];
            closed[i] = share_closed(learner, n + e, e, t);
            evidence[i] = e;
        }
        for ((d, now), was) in z_changes.iter_mut().zip(a.iter()).zip(&self.a) {
            *d = now - was;
        }
        tail[0] = (p.rows - self.progress.rows) as f64;
        tail[1] = (p.rows_in_pass - self.progress.rows_in_pass) as f64;
        tail[2] = p.loss_sum - self.progress.loss_sum;
        tail[3] = p.weight_sum - self.progress.weight_sum;
        tail[4] = f64::from(u8::from(done));
        self.comm.allreduce_sum_f64(&mut self.buffer);
        let (changes, rest) = self.buffer.split_at(width);
        let (closed, rest) = rest.split_at(width);
        let (evidence, rest) = rest.split_at(width);
        let (z_changes, tail) = rest.split_at(rest.len() - TAIL);
        for i in 0..width {
            let total = evidence[i];
            if total <= 0.0 || closed[i] <= 0.0 {
                // No process learned from this coordinate: it stays as merged last.
                continue;
            }
            let n = self.b.get(i).copied().unwrap_or(0.0) + total;
            // The gap all the evidence closes, times the gap the processes' changes estimate.
            let w = self.w[i] + share_closed(learner, n, total, t) * changes[i] / closed[i];
            match learner {
                Learner::Ftrl { .. } => {
                    // Below FTRL's L1 threshold: the changes of z add up.
                    let z =
                        if w == 0.0 { self.a[i] + z_changes[i] } else { learner.state_of(w, n) };
                    self.a[i] = z;
                    self.b[i] = n;
                    self.w[i] = learner.weight_of(z, n);
                }
                Learner::Adagrad { .. } => {
                    self.a[i] = w;
                    self.b[i] = n;
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
        self.seen.iter_mut().for_each(|e| *e = 0.0);
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

/// The share `1 − exp(−g)` of the distance to its optimum that a coordinate covers on
/// `evidence` (squared gradients) at the step size the learner takes once its sum of squared
/// gradients is `n`; `g = step · evidence` is the step times the curvature the evidence
/// measures (`E[(p − y)²] = p(1 − p)` for calibrated `p`). SGD's evidence is squared values,
/// times the largest curvature 1/4, at its step after `t` rows.
fn share_closed(learner: Learner, n: f64, evidence: f64, t: u64) -> f64 {
    let step = match learner {
        Learner::Ftrl { alpha, beta, l2, .. } => 1.0 / ((beta + n.sqrt()) / alpha + l2),
        Learner::Adagrad { rate, .. } if n > 0.0 => rate / n.sqrt(),
        Learner::Adagrad { .. } => 0.0,
        Learner::Sgd { rate, schedule: Schedule::Constant, .. } => rate / 4.0,
        Learner::Sgd { rate, schedule: Schedule::InvSqrt, .. } => {
            rate / (1.0 + t as f64).sqrt() / 4.0
        }
    };
    -(-step * evidence).exp_m1()
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
    let k = comm.size();
    if model.progress.rows > 0 || model.progress.pass > 0 {
        return Err(Error::invalid(
            "resume",
            format!("{} rows", model.progress.rows),
            format!(
                "a checkpoint cannot be resumed over {k} processes (it holds no process's place \
                 in its part of the input): resume it in one process, or start afresh"
            ),
        ));
    }
    if options.stop_after.is_some() {
        return Err(Error::invalid("stop_after", k, "stopping early needs one process"));
    }
    if options.sync_rows == 0 {
        return Err(Error::invalid("sync_rows", 0, "at least one row between merges"));
    }
    let start = Instant::now();
    let is_root = comm.rank() == 0;
    let checkpoint = |model: &OnlineModel| match &options.checkpoint {
        Some(path) if is_root => save_checkpoint(path, model, &options.settings),
        _ => Ok(()),
    };
    let mut merger = Merger::new(model, comm);
    let mut last_checkpoint = 0;
    // After each merge: the report due, and a checkpoint every `checkpoint_rows` rows.
    let mut after_merge =
        |model: &mut OnlineModel, on_event: &mut dyn FnMut(StreamEvent)| -> Result<()> {
            if model.progress.rows >= model.progress.next_report {
                on_event(StreamEvent::Report(model.report()));
            }
            if model.progress.rows - last_checkpoint >= options.checkpoint_rows {
                checkpoint(model)?;
                last_checkpoint = model.progress.rows;
            }
            Ok(())
        };
    while model.progress.pass < options.passes {
        let mut since = 0;
        each_batch(source, parts, options.batch_rows, &mut |(x, labels, weights)| {
            model.check_batch(&x, &labels, weights.as_deref())?;
            for (i, &y) in labels.iter().enumerate() {
                let (indices, values) = x.row(i);
                model.learn_row(indices, values, y, weights.as_ref().map_or(1.0, |w| w[i]));
                merger.saw(indices, values);
                since += 1;
                if since == options.sync_rows {
                    merger.merge(model, false);
                    after_merge(model, on_event)?;
                    since = 0;
                }
            }
            let p = model.progress;
            on_event(StreamEvent::Batch { pass: p.pass, rows_in_pass: p.rows_in_pass });
            Ok(true)
        })?;
        // This part is done: merge, with no further change, until every process is.
        loop {
            let all_done = merger.merge(model, true);
            after_merge(model, on_event)?;
            if all_done {
                break;
            }
        }
        model.end_pass();
        merger.progress = model.progress;
        checkpoint(model)?;
    }
    Ok(StreamSummary::of(model, 0, start))
}
