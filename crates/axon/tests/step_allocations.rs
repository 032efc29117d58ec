//! How many heap allocations one training step of a tiny network makes once warm. At batch size
//! one the step is all per-op overhead (graph nodes, shapes, gradient tensors, the gradient
//! store), and every `malloc`/`free` pair is a measurable share of it (issue 15: the
//! 4-16-16-3 step of `examples/bench_nn_step.rs`). A counting global allocator, per thread,
//! pins the count, so that a change that adds allocations to the step fails here.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use axon::nn::loss::{cross_entropy, Reduction};
use axon::nn::{Linear, Module, ReLU, Sequential};
use axon::optim::{Optimizer, Sgd, SgdConfig};
use axon::{DType, Rng, Tensor};

struct Counting;

thread_local! {
    static ALLOCATIONS: Cell<usize> = const { Cell::new(0) };
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.with(|n| n.set(n.get() + 1));
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.with(|n| n.set(n.get() + 1));
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static COUNTING: Counting = Counting;

fn allocations() -> usize {
    ALLOCATIONS.with(Cell::get)
}

/// Allocations of one warm SGD step (forward, loss, backward, update) of a 4-16-16-3 ReLU MLP at
/// batch size one, with momentum `momentum`.
fn step_allocations(momentum: f64) -> usize {
    let mut rng = Rng::seed(0);
    let f = DType::F32;
    let net = Sequential::new()
        .with(Linear::new(4, 16, true, f, &mut rng).unwrap())
        .with(ReLU)
        .with(Linear::new(16, 16, true, f, &mut rng).unwrap())
        .with(ReLU)
        .with(Linear::new(16, 3, true, f, &mut rng).unwrap());
    let mut opt =
        Sgd::new(net.params(), SgdConfig { lr: 0.01, momentum, ..Default::default() }).unwrap();
    let x = Tensor::randn([1, 4], 0.0, 1.0, f, &mut rng);
    let y = Tensor::from_vec(vec![1i64], [1]).unwrap();
    let step = |opt: &mut Sgd| {
        let loss = cross_entropy(&net.forward(&x).unwrap(), &y, None, Reduction::Mean).unwrap();
        opt.step(&loss.backward().unwrap()).unwrap();
    };
    for _ in 0..10 {
        step(&mut opt);
    }
    let before = allocations();
    for _ in 0..100 {
        step(&mut opt);
    }
    (allocations() - before).div_ceil(100)
}

/// The count measured for issue 15 (84 before kernel outputs came from recycled nodes and the
/// buffer pool's per-thread cache of small buffers): what is left is the backward pass's
/// bookkeeping (topological order, visited set, gradient store), the view nodes over shared
/// storage, and the optimizer's new parameter leaves.
const MOST: usize = 15;

#[test]
fn a_warm_tiny_step_allocates_no_more_than_measured() {
    for momentum in [0.0, 0.9] {
        let n = step_allocations(momentum);
        println!("momentum {momentum}: {n} allocations per step");
        assert!(n <= MOST, "momentum {momentum}: {n} allocations per step, more than {MOST}");
    }
}
