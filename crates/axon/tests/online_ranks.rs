//! A stream shared by `K` processes, stood for by `K` threads that sum their buffers through
//! shared memory (in rank order, so every run makes the same sums): stopped in the middle of a
//! pass, the checkpoint holds each process's place in its part of the file, and the same `K`
//! resume from it to the bits of the uninterrupted run; other `K` are refused.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Barrier, Mutex};

use axon::data::{rank_parts, HashRole, HashedColumn, HashedColumns, ReadOptions};
use axon::distributed::Communicator;
use axon::online::{
    fit_stream_parts, load_checkpoint, Learner, OnlineModel, Schedule, StreamOptions, StreamSource,
};

/// The buffers of one allreduce, by rank, and the barrier the threads meet at.
struct Shared {
    barrier: Barrier,
    slots: Mutex<Vec<Vec<f64>>>,
}

/// One of `K` threads standing for `K` processes.
struct Threads {
    rank: usize,
    size: usize,
    shared: Arc<Shared>,
}

impl Communicator for Threads {
    fn rank(&self) -> usize {
        self.rank
    }
    fn size(&self) -> usize {
        self.size
    }
    fn allreduce_sum_f64(&self, buf: &mut [f64]) {
        self.shared.slots.lock().unwrap()[self.rank] = buf.to_vec();
        self.shared.barrier.wait();
        {
            let slots = self.shared.slots.lock().unwrap();
            for (i, v) in buf.iter_mut().enumerate() {
                *v = slots.iter().fold(0.0, |sum, slot| sum + slot[i]);
            }
        }
        self.shared.barrier.wait();
    }
    fn allreduce_sum_f32(&self, _: &mut [f32]) {
        unreachable!("a stream reduces f64 buffers")
    }
    fn allreduce_min_f64(&self, _: &mut [f64]) {
        unreachable!("a stream reduces sums")
    }
    fn broadcast_f32(&self, _: &mut [f32], _: usize) {
        unreachable!("a stream broadcasts nothing")
    }
    fn barrier(&self) {
        self.shared.barrier.wait();
    }
    fn abort(&self, message: &str, _: i32) -> ! {
        panic!("{message}")
    }
}

/// A click log of `rows` rows: a label and three categorical columns, the click probability
/// logistic in the first two.
fn write_clicks(path: &Path, rows: usize) {
    let mut text = String::from("label,a,b,c\n");
    let mut state = 7u64;
    let mut next = |n: u64| {
        state =
            state.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        (state >> 33) % n
    };
    for _ in 0..rows {
        let (a, b, c) = (next(20), next(50), next(5));
        let z = (a as f64 - 10.0) / 5.0 + if b % 3 == 0 { 1.0 } else { -0.5 };
        let label = u8::from((next(1000) as f64) < 1000.0 / (1.0 + (-z).exp()));
        writeln!(text, "{label},a{a},b{b},c{c}").unwrap();
    }
    std::fs::write(path, text).unwrap();
}

fn source(path: &Path) -> StreamSource {
    let names = ["a", "b", "c"].map(String::from);
    let columns =
        names.iter().map(|n| HashedColumn { name: n.clone(), role: HashRole::Categorical });
    let features = HashedColumns::new(12, columns.collect(), vec![]).unwrap();
    let read = ReadOptions { missing: vec![], categorical: names.to_vec(), ..Default::default() };
    StreamSource::Table { path: path.to_owned(), read, target: "label".into(), features }
}

/// `fit_stream_parts` on `k` threads, each its own part of `path`, from `start` (a fresh model
/// or a checkpoint's); every thread's model, by rank.
fn over_threads(
    path: &Path,
    k: usize,
    start: &OnlineModel,
    options: &StreamOptions,
) -> Vec<axon::Result<OnlineModel>> {
    let shared = Arc::new(Shared { barrier: Barrier::new(k), slots: Mutex::new(vec![vec![]; k]) });
    let source = source(path);
    let layout = source.layout(path).unwrap();
    std::thread::scope(|scope| {
        let runs: Vec<_> = (0..k)
            .map(|rank| {
                let (shared, source) = (shared.clone(), &source);
                scope.spawn(move || -> axon::Result<OnlineModel> {
                    let comm = Threads { rank, size: k, shared };
                    let parts = rank_parts(&[path.to_owned()], layout, rank, k)?;
                    let mut model = start.clone();
                    fit_stream_parts(source, &parts, &mut model, options, &comm, &mut |_| {})?;
                    Ok(model)
                })
            })
            .collect();
        runs.into_iter().map(|r| r.join().unwrap()).collect()
    })
}

fn bits(model: &OnlineModel) -> Vec<u64> {
    model.weights().iter().map(|w| w.to_bits()).collect()
}

#[test]
fn a_stream_over_ranks_stopped_mid_pass_resumes_to_the_uninterrupted_bits() {
    let dir = std::env::temp_dir().join(format!("axon-online-ranks-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let data: PathBuf = dir.join("clicks.csv");
    write_clicks(&data, 6_000);
    let n = source(&data).n_features();
    for learner in [
        Learner::Ftrl { alpha: 0.1, beta: 1.0, l1: 0.1, l2: 0.1 },
        Learner::Sgd { rate: 0.2, schedule: Schedule::InvSqrt, l2: 0.0 },
    ] {
        let fresh = OnlineModel::new(learner, n).unwrap();
        let options = StreamOptions {
            passes: 2,
            batch_rows: 500,
            sync_rows: 300,
            settings: "clicks".into(),
            ..StreamOptions::default()
        };
        for k in [2, 3] {
            let whole = over_threads(&data, k, &fresh, &options);
            let whole: Vec<OnlineModel> = whole.into_iter().map(Result::unwrap).collect();
            assert_eq!(whole[0].progress.rows, 12_000, "{learner:?}, K = {k}");
            assert!(whole.iter().all(|m| bits(m) == bits(&whole[0])), "the same on every rank");
            // Stopped in the middle of the second pass: rank 0 writes each rank's place.
            let path = dir.join(format!("{}-{k}.ckpt", learner.name()));
            let first = StreamOptions {
                checkpoint: Some(path.clone()),
                stop_after: Some(8_000),
                ..options.clone()
            };
            let stopped = over_threads(&data, k, &fresh, &first);
            let stopped = stopped.into_iter().next().unwrap().unwrap();
            assert_eq!(stopped.progress.pass, 1);
            let saved = load_checkpoint(&path).unwrap();
            assert_eq!(saved.places.len(), k);
            assert_eq!(saved.places.iter().sum::<u64>(), saved.model.progress.rows_in_pass);
            assert!(saved.model.progress.rows_in_pass > 0, "mid-pass");
            assert_eq!(bits(&saved.model), bits(&stopped));
            let resume = StreamOptions { places: saved.places.clone(), ..options.clone() };
            for resumed in over_threads(&data, k, &saved.model, &resume) {
                let resumed = resumed.unwrap();
                assert_eq!(resumed.progress, whole[0].progress, "{learner:?}, K = {k}");
                assert!(bits(&resumed) == bits(&whole[0]), "{learner:?}, K = {k}: the same bits");
            }
            // Other ranks than the checkpoint's: refused, each rank's place holds only for K.
            let other = over_threads(&data, k + 1, &saved.model, &resume);
            let err = other.into_iter().next().unwrap().unwrap_err().to_string();
            assert!(err.contains(&format!("written by {k} processes")), "{err}");
        }
    }
    std::fs::remove_dir_all(&dir).ok();
}
