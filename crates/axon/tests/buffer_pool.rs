//! The tensor buffer pool (`axon::tensor::buffers`): a dropped tensor's buffer serves the next
//! tensor of its size; training does not grow the pool step after step; and a buffer from the
//! pool never leaks its old values into a result (training on a pool primed with NaN buffers
//! gives the same bits as training on an empty pool). The pool is one per process, so the tests
//! of this file take a lock and run one at a time.

use std::sync::Mutex;

use axon::nn::loss::{cross_entropy, Reduction};
use axon::nn::{Linear, Module, ReLU, Sequential};
use axon::optim::{Optimizer, Sgd, SgdConfig};
use axon::tensor::{empty_buffer_pool, pooled_bytes, Storage};
use axon::{DType, Rng, Tensor};

static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

fn address(t: &Tensor) -> *const f32 {
    match t.storage() {
        Storage::F32(v) => v.as_ptr(),
        _ => panic!("an f32 tensor"),
    }
}

#[test]
fn a_dropped_buffer_serves_the_next_tensor_of_its_size() {
    let _lock = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    empty_buffer_pool();
    let mut rng = Rng::seed(1);
    let x = Tensor::randn([300, 100], 0.0, 1.0, DType::F32, &mut rng);
    let y = x.exp().unwrap();
    let before = address(&y);
    drop(y);
    assert_eq!(pooled_bytes(), 300 * 100 * 4);
    let z = x.neg().unwrap();
    assert_eq!(address(&z), before, "the freed buffer was not reused");
    assert_eq!(pooled_bytes(), 0);
    // Its values are the negation's, not the old exp's.
    assert_eq!(z.to_vec::<f32>().unwrap()[7], -x.to_vec::<f32>().unwrap()[7]);
    // A small buffer is not kept in the shared pool (it goes to this thread's cache).
    drop(Tensor::randn([10], 0.0, 1.0, DType::F32, &mut rng).exp().unwrap());
    assert_eq!(pooled_bytes(), 0);
    empty_buffer_pool();
}

/// An MLP 64-128-96-10 trained with SGD momentum on fixed random data for `steps` steps; the
/// losses, the final parameters, and the pool's size after each step.
fn train(steps: usize, before_each: impl Fn()) -> (Vec<f32>, Vec<Vec<f32>>, Vec<usize>) {
    let mut rng = Rng::seed(7);
    let f = DType::F32;
    let net = Sequential::new()
        .with(Linear::new(64, 128, true, f, &mut rng).unwrap())
        .with(ReLU)
        .with(Linear::new(128, 96, true, f, &mut rng).unwrap())
        .with(ReLU)
        .with(Linear::new(96, 10, true, f, &mut rng).unwrap());
    let config = SgdConfig { lr: 0.05, momentum: 0.9, ..Default::default() };
    let mut opt = Sgd::new(net.params(), config).unwrap();
    let x = Tensor::randn([256, 64], 0.0, 1.0, f, &mut rng);
    let labels: Vec<i64> = (0..256).map(|i| (i * 7 % 10) as i64).collect();
    let y = Tensor::from_vec(labels, [256]).unwrap();
    let (mut losses, mut sizes) = (Vec::new(), Vec::new());
    for _ in 0..steps {
        before_each();
        let loss = cross_entropy(&net.forward(&x).unwrap(), &y, None, Reduction::Mean).unwrap();
        opt.step(&loss.backward().unwrap()).unwrap();
        losses.push(loss.to_scalar::<f32>().unwrap());
        drop(loss);
        sizes.push(pooled_bytes());
    }
    let params = net.params().iter().map(|p| p.value().to_vec::<f32>().unwrap()).collect();
    (losses, params, sizes)
}

#[test]
fn training_does_not_grow_the_pool() {
    let _lock = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    empty_buffer_pool();
    let (losses, _, sizes) = train(100, || {});
    assert!(losses[99] < losses[0], "the network did not learn: {losses:?}");
    let warm = sizes[4];
    assert!(warm > 0, "nothing went back to the pool");
    assert!(sizes[5..].iter().all(|&s| s == warm), "the pool grew or shrank: {sizes:?}");
    empty_buffer_pool();
    assert_eq!(pooled_bytes(), 0);
}

#[test]
fn stale_buffers_never_reach_a_result() {
    let _lock = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let fresh = train(20, empty_buffer_pool);
    // Every size of the step's buffers, large (the shared pool) and small (this thread's cache),
    // filled with NaN and dropped into the pool before each step: a kernel that read an element
    // it did not write would turn the loss into NaN.
    let sizes =
        [256 * 128, 256 * 96, 256 * 64, 128 * 64, 96 * 128, 256 * 10, 96 * 10, 1, 10, 96, 128, 256];
    let poison = || {
        empty_buffer_pool();
        for n in sizes {
            for _ in 0..4 {
                drop(Tensor::full(f64::NAN, [n], DType::F32).exp().unwrap());
            }
        }
    };
    let primed = train(20, poison);
    assert!(fresh.0.iter().all(|l| l.is_finite()));
    assert_eq!(fresh.0, primed.0, "the losses differ");
    assert_eq!(fresh.1, primed.1, "the parameters differ");
    empty_buffer_pool();
}
