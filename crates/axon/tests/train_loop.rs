//! The library's training loop (`axon::nn::fit_classifier`) on a tiny, seeded two-class problem:
//! it learns (accuracy and loss), reports per-epoch metrics and events, stops early after
//! `patience` epochs without improvement, and a run resumed from its checkpoint (parameters,
//! batch-norm buffers, Adam's moments, the loader's generator) ends bit for bit where an
//! uninterrupted run does.

use std::path::Path;

use axon::data::DataLoader;
use axon::nn::{
    checkpoint_history, evaluate, fit_classifier, BatchNorm1d, Linear, Module, Monitor, ReLU,
    Sequential, TrainConfig, TrainEvent, TrainReport,
};
use axon::optim::{Adam, AdamConfig, Sgd, SgdConfig};
use axon::{DType, Rng, Tensor};

/// Two Gaussian blobs in 4 dimensions centred at ±1 (class 0 and 1), `n` points.
fn blobs(n: usize, seed: u64) -> (Tensor, Tensor) {
    let mut rng = Rng::seed(seed);
    let (mut x, mut y) = (Vec::new(), Vec::new());
    for i in 0..n {
        let label = (i % 2) as i64;
        let centre = if label == 1 { 1.0 } else { -1.0 };
        x.extend((0..4).map(|_| (centre + 0.8 * rng.normal()) as f32));
        y.push(label);
    }
    (Tensor::from_vec(x, [n, 4]).unwrap(), Tensor::from_vec(y, [n]).unwrap())
}

fn model(seed: u64) -> Sequential {
    let mut rng = Rng::seed(seed);
    Sequential::new()
        .with(Linear::new(4, 8, true, DType::F32, &mut rng).unwrap())
        .with(BatchNorm1d::new(8, DType::F32).unwrap())
        .with(ReLU)
        .with(Linear::new(8, 2, true, DType::F32, &mut rng).unwrap())
}

/// Trains a fresh model (initialised from `init_seed`) for `epochs`, checkpointing to `ckpt`.
fn run(init_seed: u64, epochs: usize, ckpt: &Path, resume: bool) -> (Sequential, TrainReport) {
    let (x, y) = blobs(96, 1);
    let (xv, yv) = blobs(40, 2);
    let mut net = model(init_seed);
    let mut opt = Adam::new(net.params(), AdamConfig { lr: 0.02, ..Default::default() }).unwrap();
    let mut loader = DataLoader::new(x, y, 16).unwrap().shuffle(Rng::seed(7));
    let config =
        TrainConfig { epochs, checkpoint: Some(ckpt.to_path_buf()), resume, ..Default::default() };
    let report =
        fit_classifier(&mut net, &mut opt, &mut loader, Some((&xv, &yv)), &config, &mut |_| {})
            .unwrap();
    (net, report)
}

fn values(net: &Sequential) -> Vec<Vec<u64>> {
    let params = net.parameters().into_iter().map(|(_, p)| p.value());
    let buffers = net.buffers().into_iter().map(|(_, b)| b.value());
    params.chain(buffers).map(|t| t.to_f64_vec().iter().map(|v| v.to_bits()).collect()).collect()
}

fn temp(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("axon-train-loop-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    let _ = std::fs::remove_file(&path);
    path
}

#[test]
fn learns_and_reports_metrics() {
    let (net, report) = run(3, 6, &temp("learn.ckpt"), false);
    let h = &report.progress.history;
    assert_eq!(h.len(), 6);
    assert_eq!(h.iter().map(|m| m.epoch).collect::<Vec<_>>(), [1, 2, 3, 4, 5, 6]);
    let last = h.last().unwrap();
    assert!(last.val_accuracy.unwrap() >= 0.9, "val accuracy {:?}", last.val_accuracy);
    assert!(last.train_loss < h[0].train_loss, "training loss falls: {h:?}");
    assert!(last.examples_per_second > 0.0 && last.learning_rate == 0.02);
    assert!(!net.is_training(), "the loop leaves the model in eval mode");
    assert_eq!(checkpoint_history(temp_path("learn.ckpt")).unwrap(), *h);
}

fn temp_path(name: &str) -> std::path::PathBuf {
    std::env::temp_dir().join(format!("axon-train-loop-{}", std::process::id())).join(name)
}

#[test]
fn resume_from_checkpoint_matches_an_uninterrupted_run() {
    let (full, full_report) = run(3, 5, &temp("full.ckpt"), false);
    let path = temp("split.ckpt");
    let (_, first) = run(3, 2, &path, false);
    assert_eq!(first.progress.history.len(), 2);
    // A different initialisation: everything must come from the checkpoint.
    let (resumed, report) = run(99, 5, &path, true);
    assert_eq!(report.resumed_after, 2);
    assert_eq!(values(&resumed), values(&full), "parameters and buffers bit for bit");
    let strip = |r: &TrainReport| {
        let h = r.progress.history.iter().map(|m| (m.epoch, m.train_loss, m.val_loss));
        h.collect::<Vec<_>>()
    };
    assert_eq!(strip(&report), strip(&full_report), "the same per-epoch losses");
    // Without resume, the same path starts afresh (and differs, from another initialisation).
    let (fresh, _) = run(99, 5, &path, false);
    assert_ne!(values(&fresh), values(&full));
}

#[test]
fn early_stopping_and_events() {
    let (x, y) = blobs(32, 4);
    let mut net = model(5);
    // A learning rate of zero never improves the validation loss: stop after `patience` epochs.
    let mut opt = Sgd::new(net.params(), SgdConfig { lr: 0.0, ..Default::default() }).unwrap();
    let mut loader = DataLoader::new(x.clone(), y.clone(), 10).unwrap();
    let config = TrainConfig { epochs: 10, patience: Some(2), ..Default::default() };
    let (mut batches, mut epochs) = (0, 0);
    let mut on_event = |e: TrainEvent<'_>| match e {
        TrainEvent::Batch { batches: n, .. } => {
            assert_eq!(n, 4);
            batches += 1
        }
        TrainEvent::Epoch(_) => epochs += 1,
    };
    let val = Some((&x, &y));
    let report =
        fit_classifier(&mut net, &mut opt, &mut loader, val, &config, &mut on_event).unwrap();
    assert!(report.progress.stopped_early);
    assert_eq!(report.progress.history.len(), 3, "best at epoch 1, then 2 without improvement");
    assert_eq!(report.progress.best_epoch, 1);
    assert_eq!((batches, epochs), (12, 3));
    let config = TrainConfig { patience: Some(1), monitor: Monitor::ValAccuracy, ..config };
    assert!(fit_classifier(&mut net, &mut opt, &mut loader, None, &config, &mut |_| {}).is_err());
}

/// Steps `opt` twice, copies its state into `fresh` (over equal parameters), and checks that the
/// next step moves both to the same values.
fn state_round_trip(make: &dyn Fn(Vec<axon::nn::Param>) -> Box<dyn axon::optim::Optimizer>) {
    let (x, y) = blobs(16, 9);
    let (a, b) = (model(1), model(1));
    let mut opt_a = make(a.params());
    let step = |net: &Sequential, opt: &mut dyn axon::optim::Optimizer| {
        let loss = axon::nn::loss::cross_entropy(
            &net.forward(&x).unwrap(),
            &y,
            None,
            axon::nn::Reduction::Mean,
        )
        .unwrap();
        opt.step(&loss.backward().unwrap()).unwrap();
    };
    step(&a, opt_a.as_mut());
    step(&a, opt_a.as_mut());
    for ((_, pa), (_, pb)) in a.parameters().into_iter().zip(b.parameters()) {
        pb.set(pa.value()).unwrap();
    }
    for ((_, ba), (_, bb)) in a.buffers().into_iter().zip(b.buffers()) {
        bb.set(ba.value()).unwrap();
    }
    let mut opt_b = make(b.params());
    assert!(!opt_a.state().is_empty());
    opt_b.load_state(&opt_a.state()).unwrap();
    step(&a, opt_a.as_mut());
    step(&b, opt_b.as_mut());
    assert_eq!(values(&a), values(&b));
}

#[test]
fn optimizer_state_round_trips() {
    use axon::optim::*;
    state_round_trip(&|p| {
        Box::new(Sgd::new(p, SgdConfig { lr: 0.1, momentum: 0.9, ..Default::default() }).unwrap())
    });
    state_round_trip(&|p| Box::new(Adam::new(p, AdamConfig::default()).unwrap()));
    state_round_trip(&|p| Box::new(AdamW::new(p, AdamWConfig::default()).unwrap()));
    let rms = RmsPropConfig { momentum: 0.5, centered: true, ..Default::default() };
    state_round_trip(&|p| Box::new(RmsProp::new(p, rms).unwrap()));
    state_round_trip(&|p| Box::new(Adagrad::new(p, AdagradConfig::default()).unwrap()));
    // A state that does not fit the parameters is an error.
    let mut sgd = Sgd::new(model(1).params(), SgdConfig::default()).unwrap();
    assert!(sgd.load_state(&[("momentum.0".into(), vec![1.0])]).is_err());
    let mut rng = Rng::seed(4);
    rng.uniform();
    let mut copy = Rng::from_state(&rng.to_state()).unwrap();
    assert_eq!(copy.uniform().to_bits(), rng.uniform().to_bits(), "rng state round-trips");
    assert!(Rng::from_state("not a state").is_err());
}

/// A run that overfits: 16 noisy training points, a wide network with batch norm, Adam with a
/// large step; patience 4 on the validation loss. `restore_best` as given; checkpointed to `ckpt`.
fn overfit(
    init_seed: u64,
    epochs: usize,
    ckpt: Option<&Path>,
    resume: bool,
    restore_best: bool,
) -> (Sequential, TrainReport, (Tensor, Tensor)) {
    let (x, y) = blobs(16, 11);
    let (xv, yv) = blobs(64, 12);
    let mut rng = Rng::seed(init_seed);
    let mut net = Sequential::new()
        .with(Linear::new(4, 64, true, DType::F32, &mut rng).unwrap())
        .with(BatchNorm1d::new(64, DType::F32).unwrap())
        .with(ReLU)
        .with(Linear::new(64, 2, true, DType::F32, &mut rng).unwrap());
    let mut opt = Adam::new(net.params(), AdamConfig { lr: 0.1, ..Default::default() }).unwrap();
    let mut loader = DataLoader::new(x, y, 4).unwrap().shuffle(Rng::seed(8));
    let config = TrainConfig {
        epochs,
        patience: Some(4),
        checkpoint: ckpt.map(Path::to_path_buf),
        resume,
        restore_best,
        ..Default::default()
    };
    let val = Some((&xv, &yv));
    let report =
        fit_classifier(&mut net, &mut opt, &mut loader, val, &config, &mut |_| {}).unwrap();
    (net, report, (xv, yv))
}

/// The recorded validation loss of `epoch` (1-based).
fn val_loss(report: &TrainReport, epoch: usize) -> f64 {
    report.progress.history[epoch - 1].val_loss.unwrap()
}

#[test]
fn early_stopping_restores_the_best_epochs_weights() {
    let (net, report, (xv, yv)) = overfit(3, 40, None, false, true);
    let p = &report.progress;
    let (best, last) = (p.best_epoch, p.history.len());
    assert!(p.stopped_early, "the run overfits and stops: {:?}", p.history);
    assert_eq!(last, best + 4, "patience 4 after the best epoch");
    assert_eq!(report.restored_epoch, Some(best));
    assert!(val_loss(&report, last) > val_loss(&report, best));
    // The model is the best epoch's: its validation loss is that epoch's, bit for bit (the
    // batch-norm running statistics are restored too, or eval mode would differ).
    let (loss, accuracy) = evaluate(&net, &xv, &yv, 1024).unwrap();
    assert_eq!(loss.to_bits(), val_loss(&report, best).to_bits());
    assert_eq!(Some(accuracy), p.history[best - 1].val_accuracy);

    // Without restoring, the model keeps the last epoch's weights.
    let (net, kept, _) = overfit(3, 40, None, false, false);
    assert_eq!(kept.restored_epoch, None);
    assert_eq!(kept.progress.best_epoch, best, "the same run");
    let (loss, _) = evaluate(&net, &xv, &yv, 1024).unwrap();
    assert_eq!(loss.to_bits(), val_loss(&kept, last).to_bits());
}

#[test]
fn the_best_weights_survive_checkpoint_and_resume() {
    let (full, report, _) = overfit(3, 40, Some(&temp("best-full.ckpt")), false, true);
    let best = report.progress.best_epoch;
    // Stop one epoch after the best, so that the best weights exist only in the checkpoint's
    // `best.*` tensors when the run resumes (from another initialisation).
    let path = temp("best-split.ckpt");
    let (_, first, _) = overfit(3, best + 1, Some(&path), false, true);
    assert_eq!((first.progress.best_epoch, first.restored_epoch), (best, Some(best)));
    let (resumed, again, _) = overfit(99, 40, Some(&path), true, true);
    assert_eq!(again.resumed_after, best + 1);
    assert_eq!(again.progress.best_epoch, best);
    assert_eq!(again.restored_epoch, Some(best));
    assert_eq!(values(&resumed), values(&full), "the best epoch's weights, bit for bit");
    // Resuming a finished run trains nothing and still ends with the best weights.
    let (finished, done, _) = overfit(99, 40, Some(&path), true, true);
    assert_eq!(done.resumed_after, done.progress.history.len());
    assert_eq!(values(&finished), values(&full));
}
