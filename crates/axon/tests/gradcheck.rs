//! Gradient checks for every differentiable op of the engine.
//!
//! Each test builds a small function of `f64` tensors and hands it to the library's public
//! [`axon::gradcheck`], which compares autograd's gradients with central finite differences of
//! step `EPS` (through `L = Σ w ⊙ f(x)` with fixed random weights `w`). The tolerances are tight
//! (`ATOL = 1e-7`, `RTOL = 1e-5`): with `ε = 1e-6` in `f64` the truncation error is `O(ε²)` and the
//! rounding error about `1e-16 |L| / ε ≈ 1e-9` for the losses here, so a wrong gradient (a missed
//! transpose, a gradient routed to the wrong element, a lost broadcast sum) fails by orders of
//! magnitude. Input points keep clear of kinks (relu, abs, clamp bounds, ties of max/min) by much
//! more than `ε`. The file also checks the graph machinery itself: accumulation over several uses,
//! diamonds, views of views, a 10 000-op chain on a small stack, `detach`, `no_grad`, and errors.

use std::slice::from_ref;

use axon::{gradcheck, no_grad, DType, Error, Result, Rng, Shape, Tensor};

const EPS: f64 = 1e-6;
const ATOL: f64 = 1e-7;
const RTOL: f64 = 1e-5;

/// Runs `gradcheck` on `f` at `inputs`, prints the report and asserts it is within tolerance.
fn check(name: &str, f: impl Fn(&[Tensor]) -> Result<Tensor>, inputs: &[Tensor]) {
    check_tol(name, f, inputs, ATOL, RTOL);
}

fn check_tol(
    name: &str,
    f: impl Fn(&[Tensor]) -> Result<Tensor>,
    inputs: &[Tensor],
    atol: f64,
    rtol: f64,
) {
    let report = gradcheck(f, inputs, EPS).unwrap_or_else(|e| panic!("{name}: {e}"));
    println!("gradcheck {name}: {report}");
    assert!(
        report.is_close(atol, rtol),
        "{name}: {report}\nanalytic: {:?}\nnumeric:  {:?}",
        report.analytic,
        report.numeric
    );
    // The check must have looked at something.
    assert!(report.analytic.iter().map(Vec::len).sum::<usize>() > 0, "{name}: nothing checked");
}

/// Uniform `f64` values on `[lo, hi)`, fixed by `seed`.
fn rand(shape: impl Into<Shape>, lo: f64, hi: f64, seed: u64) -> Tensor {
    Tensor::rand(shape, lo, hi, DType::F64, &mut Rng::seed(seed))
}

/// Values with `0.2 ≤ |x| < 1.5` and random signs: clear of the kink at 0 of relu, abs, ...
fn away_from_zero(shape: impl Into<Shape>, seed: u64) -> Tensor {
    let shape = shape.into();
    let mut rng = Rng::seed(seed);
    let values: Vec<f64> = (0..shape.numel())
        .map(|_| {
            let m = rng.uniform_in(0.2, 1.5);
            if rng.uniform() < 0.5 {
                -m
            } else {
                m
            }
        })
        .collect();
    Tensor::from_vec(values, shape).unwrap()
}

fn f64s(values: &[f64], shape: impl Into<Shape>) -> Tensor {
    Tensor::from_slice(values, shape).unwrap()
}

fn i64s(values: &[i64], shape: impl Into<Shape>) -> Tensor {
    Tensor::from_slice(values, shape).unwrap()
}

fn assert_close(got: &[f64], want: &[f64], tol: f64, what: &str) {
    assert_eq!(got.len(), want.len(), "{what}: lengths differ");
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        assert!((g - w).abs() <= tol * (1.0 + w.abs()), "{what}[{i}]: got {g}, want {w}");
    }
}

// ---------------------------------------------------------------------------------------------
// Unary ops
// ---------------------------------------------------------------------------------------------

#[test]
fn unary_smooth_everywhere() {
    let x = rand([3, 4], -3.0, 3.0, 1);
    check("neg", |v| v[0].neg(), from_ref(&x));
    check("exp", |v| v[0].exp(), from_ref(&x));
    check("sigmoid", |v| v[0].sigmoid(), from_ref(&x));
    check("tanh", |v| v[0].tanh(), from_ref(&x));
    check("gelu", |v| v[0].gelu(), from_ref(&x));
    check("softplus", |v| v[0].softplus(), from_ref(&x));
    check("square", |v| v[0].square(), from_ref(&x));
    // Integer exponents are defined for negative bases too.
    check("powf(3)", |v| v[0].powf(3.0), from_ref(&x));
    check("powf(-2)", |v| v[0].powf(-2.0), &[away_from_zero([3, 4], 2)]);
}

#[test]
fn unary_scalar_arithmetic() {
    let x = rand([2, 5], -2.0, 2.0, 3);
    check("affine(2.5, -1)", |v| v[0].affine(2.5, -1.0), from_ref(&x));
    check("add_scalar", |v| v[0].add_scalar(0.75), from_ref(&x));
    check("sub_scalar", |v| v[0].sub_scalar(0.75), from_ref(&x));
    check("mul_scalar", |v| v[0].mul_scalar(-3.0), from_ref(&x));
    check("div_scalar", |v| v[0].div_scalar(4.0), from_ref(&x));
}

#[test]
fn unary_on_positive_domain() {
    let x = rand([3, 4], 0.3, 3.0, 4);
    check("log", |v| v[0].log(), from_ref(&x));
    check("sqrt", |v| v[0].sqrt(), from_ref(&x));
    check("powf(1.7)", |v| v[0].powf(1.7), from_ref(&x));
    check("powf(-0.5)", |v| v[0].powf(-0.5), from_ref(&x));
}

#[test]
fn unary_with_kinks_away_from_them() {
    let x = away_from_zero([4, 5], 5);
    check("abs", |v| v[0].abs(), from_ref(&x));
    check("relu", |v| v[0].relu(), from_ref(&x));
    check("leaky_relu", |v| v[0].leaky_relu(0.1), from_ref(&x));
    check("elu", |v| v[0].elu(1.3), from_ref(&x));
    // Bounds ±0.5; every value is at least 0.05 from a bound: inside (gradient 1), below and above
    // (gradient 0).
    let c = f64s(&[-1.2, -0.45, -0.3, 0.1, 0.45, 0.55, 0.9, -0.7, 0.0, 2.0], [2, 5]);
    check("clamp", |v| v[0].clamp(-0.5, 0.5), from_ref(&c));
    let g = gradcheck(|v| v[0].clamp(-0.5, 0.5), &[c], EPS).unwrap();
    let w = |i| g.analytic[0][i] != 0.0;
    assert!(!w(0) && w(1) && w(2) && w(3) && w(4) && !w(5) && !w(6) && !w(7) && w(8) && !w(9));
}

#[test]
fn unary_on_non_contiguous_input() {
    // The kernels read a transposed (strided) input and a strided output gradient.
    let x = rand([3, 4], -2.0, 2.0, 6);
    check("tanh of t()", |v| v[0].t()?.tanh(), from_ref(&x));
    check("exp of narrow", |v| v[0].narrow(1, 1, 2)?.exp(), from_ref(&x));
    check("sigmoid of broadcast", |v| v[0].broadcast_to([2, 3, 4])?.sigmoid(), from_ref(&x));
    // A non-contiguous leaf passed straight to gradcheck.
    check("gelu of a transposed leaf", |v| v[0].gelu(), &[x.t().unwrap()]);
}

// ---------------------------------------------------------------------------------------------
// Binary ops
// ---------------------------------------------------------------------------------------------

/// Operand shapes for binary ops: equal, (3,1)x(1,4), (2,3,4)x(4), scalar x matrix, matrix x scalar.
const BINARY_SHAPES: [(&[usize], &[usize]); 5] =
    [(&[3, 4], &[3, 4]), (&[3, 1], &[1, 4]), (&[2, 3, 4], &[4]), (&[], &[3, 4]), (&[2, 3], &[])];

/// Checks one binary op on every pair of [`BINARY_SHAPES`], operands drawn by `make`.
fn check_binary(
    name: &str,
    op: impl Fn(&Tensor, &Tensor) -> Result<Tensor> + Copy,
    make: impl Fn(&[usize], u64) -> Tensor,
) {
    for (i, (sa, sb)) in BINARY_SHAPES.iter().enumerate() {
        let (a, b) = (make(sa, 10 + i as u64), make(sb, 20 + i as u64));
        check(&format!("{name} {sa:?} x {sb:?}"), |v| op(&v[0], &v[1]), &[a, b]);
    }
}

#[test]
fn binary_arithmetic() {
    let any = |s: &[usize], seed| rand(s, -2.0, 2.0, seed);
    check_binary("add", |a, b| a.add(b), any);
    check_binary("sub", |a, b| a.sub(b), any);
    check_binary("mul", |a, b| a.mul(b), any);
    // Denominators 0.2 ≤ |y| < 1.5, numerators too: both gradients are well scaled.
    check_binary("div", |a, b| a.div(b), |s: &[usize], seed| away_from_zero(s, seed));
}

#[test]
fn binary_pow() {
    // Base in [0.5, 2) (ln x defined), exponent in [-1.5, 2).
    let a = |s: &[usize], seed| rand(s, 0.5, 2.0, seed);
    let b = |s: &[usize], seed| rand(s, -1.5, 2.0, seed + 100);
    for (i, (sa, sb)) in BINARY_SHAPES.iter().enumerate() {
        let (x, y) = (a(sa, 30 + i as u64), b(sb, 40 + i as u64));
        check(&format!("pow {sa:?} x {sb:?}"), |v| v[0].pow(&v[1]), &[x, y]);
    }
}

#[test]
fn binary_maximum_minimum() {
    // Continuous random values: no ties, and every pair (after broadcasting) must differ by far
    // more than ε, or the finite difference would straddle the switch. Checked, not assumed:
    let any = |s: &[usize], seed| rand(s, -2.0, 2.0, seed);
    for (i, (sa, sb)) in BINARY_SHAPES.iter().enumerate() {
        let (a, b) = (any(sa, 10 + i as u64), any(sb, 20 + i as u64));
        let gap = a.sub(&b).unwrap().abs().unwrap().min_all().unwrap().item().unwrap();
        assert!(gap > 1e-3, "{sa:?} x {sb:?}: operands only {gap} apart");
    }
    check_binary("maximum", |a, b| a.maximum(b), any);
    check_binary("minimum", |a, b| a.minimum(b), any);
    // Both branches are taken, and the one that wins gets the whole gradient.
    let a = f64s(&[1.0, -2.0, 3.0], [3]).requires_grad();
    let b = f64s(&[0.5, 0.0, 4.0], [3]).requires_grad();
    let g = a.maximum(&b).unwrap().sum_all().unwrap().backward().unwrap();
    assert_eq!(g.get(&a).unwrap().to_vec::<f64>().unwrap(), [1.0, 0.0, 0.0]);
    assert_eq!(g.get(&b).unwrap().to_vec::<f64>().unwrap(), [0.0, 1.0, 1.0]);
}

#[test]
fn binary_with_one_untracked_operand() {
    let x = rand([3, 4], -1.0, 1.0, 50);
    let c = rand([4], 0.5, 1.5, 51);
    check("mul by constant", |v| v[0].mul(&c), from_ref(&x));
    check("constant / x", |v| c.div(&v[0].add_scalar(3.0)?), from_ref(&x));
}

// ---------------------------------------------------------------------------------------------
// Matrix products
// ---------------------------------------------------------------------------------------------

#[test]
fn matmul_all_rank_combinations() {
    let cases: [(&str, &[usize], &[usize]); 9] = [
        ("2-D", &[3, 4], &[4, 5]),
        ("batched 3-D", &[2, 3, 4], &[2, 4, 5]),
        ("3-D x 2-D", &[2, 3, 4], &[4, 5]),
        ("2-D x 3-D", &[3, 4], &[2, 4, 5]),
        ("batch-1 x batch-2", &[1, 3, 4], &[2, 4, 5]),
        ("batch-2 x batch-1", &[2, 3, 4], &[1, 4, 5]),
        ("1-D x 2-D", &[4], &[4, 5]),
        ("2-D x 1-D", &[3, 4], &[4]),
        ("1-D x 1-D", &[4], &[4]),
    ];
    for (i, (name, sa, sb)) in cases.iter().enumerate() {
        let (a, b) = (rand(*sa, -1.0, 1.0, 60 + i as u64), rand(*sb, -1.0, 1.0, 70 + i as u64));
        check(&format!("matmul {name}"), |v| v[0].matmul(&v[1]), &[a, b]);
    }
    let more: [(&str, &[usize], &[usize]); 2] =
        [("1-D x 3-D", &[4], &[2, 4, 5]), ("3-D x 1-D", &[2, 3, 4], &[4])];
    for (i, (name, sa, sb)) in more.iter().enumerate() {
        let (a, b) = (rand(*sa, -1.0, 1.0, 80 + i as u64), rand(*sb, -1.0, 1.0, 90 + i as u64));
        check(&format!("matmul {name}"), |v| v[0].matmul(&v[1]), &[a, b]);
    }
}

#[test]
fn matmul_with_transposed_operands() {
    let a = rand([4, 3], -1.0, 1.0, 100);
    let b = rand([5, 4], -1.0, 1.0, 101);
    check(
        "matmul aᵀ b",
        |v| v[0].t()?.matmul(&v[1].t()?.t()?),
        &[a.clone(), rand([4, 5], -1.0, 1.0, 102)],
    );
    check("matmul aᵀ bᵀ", |v| v[0].t()?.matmul(&v[1].t()?), &[a.clone(), b.clone()]);
    check("matmul b aᵀᵀ", |v| v[1].matmul(&v[0]), &[a.clone(), b.clone()]);
    // Batched, with the last two axes swapped and a narrowed (offset) operand.
    let c = rand([2, 4, 3], -1.0, 1.0, 103);
    let d = rand([2, 6, 4], -1.0, 1.0, 104);
    check(
        "batched matmul of transposes",
        |v| v[0].transpose(1, 2)?.matmul(&v[1].narrow(1, 1, 5)?.transpose(1, 2)?),
        &[c, d],
    );
    // Non-contiguous leaves given to gradcheck directly.
    check("matmul of transposed leaves", |v| v[0].matmul(&v[1]), &[a.t().unwrap(), b.t().unwrap()]);
}

#[test]
fn matmul_backward_from_a_broadcast_gradient() {
    // `sum_all` sends back a stride-0 (broadcast) gradient: the matrix products of the backward
    // pass must read it correctly. ∂/∂A Σ AB = 1 Bᵀ, ∂/∂B = Aᵀ 1.
    let a = f64s(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0], [2, 3]).requires_grad();
    let b = f64s(&[1.0, -1.0, 0.5, 2.0, -3.0, 0.25], [3, 2]).requires_grad();
    let g = a.matmul(&b).unwrap().sum_all().unwrap().backward().unwrap();
    let row_sums_b = [0.0, 2.5, -2.75];
    let col_sums_a = [5.0, 7.0, 9.0];
    let want_a: Vec<f64> = (0..6).map(|i| row_sums_b[i % 3]).collect();
    let want_b: Vec<f64> = (0..6).map(|i| col_sums_a[i / 2]).collect();
    assert_eq!(g.get(&a).unwrap().to_vec::<f64>().unwrap(), want_a);
    assert_eq!(g.get(&b).unwrap().to_vec::<f64>().unwrap(), want_b);
    check(
        "sum of matmul",
        |v| v[0].matmul(&v[1])?.sum_all(),
        &[rand([3, 4], -1.0, 1.0, 105), rand([4, 2], -1.0, 1.0, 106)],
    );
}

// ---------------------------------------------------------------------------------------------
// Reductions and softmax
// ---------------------------------------------------------------------------------------------

#[test]
fn sum_and_mean() {
    let x = rand([2, 3, 4], -2.0, 2.0, 110);
    for keepdim in [false, true] {
        check(&format!("sum 1 keepdim={keepdim}"), |v| v[0].sum(1, keepdim), from_ref(&x));
        check(&format!("sum 0 keepdim={keepdim}"), |v| v[0].sum(0, keepdim), from_ref(&x));
        check(&format!("sum [0,2] keepdim={keepdim}"), |v| v[0].sum([0, 2], keepdim), from_ref(&x));
        check(
            &format!("sum all keepdim={keepdim}"),
            |v| v[0].sum([0, 1, 2], keepdim),
            from_ref(&x),
        );
        check(&format!("mean 2 keepdim={keepdim}"), |v| v[0].mean(2, keepdim), from_ref(&x));
        check(
            &format!("mean [1,2] keepdim={keepdim}"),
            |v| v[0].mean([1, 2], keepdim),
            from_ref(&x),
        );
        check(
            &format!("mean all keepdim={keepdim}"),
            |v| v[0].mean(vec![0, 1, 2], keepdim),
            from_ref(&x),
        );
    }
    check("sum_all", |v| v[0].sum_all(), from_ref(&x));
    check("mean_all", |v| v[0].mean_all(), from_ref(&x));
    check("sum of a transposed view", |v| v[0].transpose(0, 2)?.sum([0, 1], false), &[x]);
}

#[test]
fn variance() {
    let x = rand([2, 3, 4], -2.0, 2.0, 111);
    for keepdim in [false, true] {
        check(&format!("var 1 keepdim={keepdim}"), |v| v[0].var(1, keepdim), from_ref(&x));
        check(&format!("var [0,2] keepdim={keepdim}"), |v| v[0].var([0, 2], keepdim), from_ref(&x));
        check(
            &format!("var all keepdim={keepdim}"),
            |v| v[0].var([0, 1, 2], keepdim),
            from_ref(&x),
        );
    }
}

#[test]
fn max_and_min() {
    // Distinct random values: the extremum of each group is unique and beats the runner-up by far
    // more than ε.
    let x = rand([2, 3, 4], -2.0, 2.0, 112);
    for keepdim in [false, true] {
        check(&format!("max 1 keepdim={keepdim}"), |v| v[0].max(1, keepdim), from_ref(&x));
        check(&format!("max [0,2] keepdim={keepdim}"), |v| v[0].max([0, 2], keepdim), from_ref(&x));
        check(
            &format!("max all keepdim={keepdim}"),
            |v| v[0].max([0, 1, 2], keepdim),
            from_ref(&x),
        );
        check(&format!("min 2 keepdim={keepdim}"), |v| v[0].min(2, keepdim), from_ref(&x));
        check(&format!("min [0,1] keepdim={keepdim}"), |v| v[0].min([0, 1], keepdim), from_ref(&x));
        check(
            &format!("min all keepdim={keepdim}"),
            |v| v[0].min([0, 1, 2], keepdim),
            from_ref(&x),
        );
    }
    check("max_all", |v| v[0].max_all(), from_ref(&x));
    check("min_all", |v| v[0].min_all(), from_ref(&x));
    // On a tie the gradient is shared equally between the maxima (a subgradient, so checked by
    // hand rather than by finite differences).
    let t = f64s(&[1.0, 3.0, 3.0, 2.0], [4]).requires_grad();
    let g = t.max_all().unwrap().backward().unwrap();
    assert_eq!(g.get(&t).unwrap().to_vec::<f64>().unwrap(), [0.0, 0.5, 0.5, 0.0]);
}

#[test]
fn logsumexp_reduction() {
    let x = rand([2, 3, 4], -3.0, 3.0, 113);
    for keepdim in [false, true] {
        check(
            &format!("logsumexp 1 keepdim={keepdim}"),
            |v| v[0].logsumexp(1, keepdim),
            from_ref(&x),
        );
        check(
            &format!("logsumexp 2 keepdim={keepdim}"),
            |v| v[0].logsumexp(2, keepdim),
            from_ref(&x),
        );
        check(
            &format!("logsumexp [0,2] keepdim={keepdim}"),
            |v| v[0].logsumexp([0, 2], keepdim),
            from_ref(&x),
        );
        check(
            &format!("logsumexp all keepdim={keepdim}"),
            |v| v[0].logsumexp([0, 1, 2], keepdim),
            from_ref(&x),
        );
    }
    // Large inputs: the gradient is still the softmax. Looser atol, for the *numeric* side only:
    // here |L| ≈ 8 outputs × 500 ≈ 4000, so one rounding of L is ≈ 4000 · 2.2e-16 ≈ 1e-12 and the
    // central difference carries ≈ 1e-12 / 2ε ≈ 5e-7 of noise (2.3e-7 is seen), above 1e-7.
    check_tol(
        "logsumexp of large values",
        |v| v[0].add_scalar(500.0)?.logsumexp(1, false),
        &[x],
        2e-6,
        RTOL,
    );
}

#[test]
fn softmax_and_log_softmax() {
    let m = rand([3, 5], -3.0, 3.0, 114);
    let x = rand([3, 2, 4], -3.0, 3.0, 115);
    check("softmax last axis 2-D", |v| v[0].softmax(1), from_ref(&m));
    check("log_softmax last axis 2-D", |v| v[0].log_softmax(1), from_ref(&m));
    check("softmax last axis 3-D", |v| v[0].softmax(2), from_ref(&x));
    check("log_softmax last axis 3-D", |v| v[0].log_softmax(2), from_ref(&x));
    check("softmax axis 0 of 3-D", |v| v[0].softmax(0), from_ref(&x));
    check("log_softmax axis 0 of 3-D", |v| v[0].log_softmax(0), from_ref(&x));
    check("softmax axis 1 of 3-D", |v| v[0].softmax(1), from_ref(&x));
    check("softmax of a 1-D vector", |v| v[0].softmax(0), &[rand([6], -2.0, 2.0, 116)]);
    // The usual cross-entropy pattern: log_softmax, then pick the target class with gather.
    let targets = i64s(&[4, 0, 2], [3, 1]);
    check(
        "cross-entropy via log_softmax + gather",
        |v| v[0].log_softmax(1)?.gather(1, &v[1])?.mean_all()?.neg(),
        &[m, targets],
    );
}

// ---------------------------------------------------------------------------------------------
// Views and shape ops
// ---------------------------------------------------------------------------------------------

#[test]
fn views() {
    let x = rand([2, 3, 4], -2.0, 2.0, 120);
    check("reshape", |v| v[0].reshape([4, 6]), from_ref(&x));
    check("reshape to 1-D", |v| v[0].reshape(24), from_ref(&x));
    check("flatten_from(1)", |v| v[0].flatten_from(1), from_ref(&x));
    check("flatten_from(0)", |v| v[0].flatten_from(0), from_ref(&x));
    check("permute [2,0,1]", |v| v[0].permute(&[2, 0, 1]), from_ref(&x));
    check("transpose(0,2)", |v| v[0].transpose(0, 2), from_ref(&x));
    check("t()", |v| v[0].t(), from_ref(&x));
    check("narrow axis 2", |v| v[0].narrow(2, 1, 2), from_ref(&x));
    check("narrow axis 0 (start)", |v| v[0].narrow(0, 0, 1), from_ref(&x));
    check("narrow axis 1 (end)", |v| v[0].narrow(1, 1, 2), from_ref(&x));
    check("unsqueeze(1)", |v| v[0].unsqueeze(1), from_ref(&x));
    check("unsqueeze(3)", |v| v[0].unsqueeze(3), from_ref(&x));
    check("contiguous of a transpose", |v| Ok(v[0].transpose(0, 1)?.contiguous()), from_ref(&x));
    check(
        "reshape of a transpose (copies)",
        |v| v[0].transpose(1, 2)?.reshape([6, 4]),
        from_ref(&x),
    );
    let y = rand([3, 1, 4], -2.0, 2.0, 121);
    check("squeeze(1)", |v| v[0].squeeze(1), from_ref(&y));
    check(
        "broadcast_to",
        |v| v[0].broadcast_to([2, 3, 5, 4]),
        &[y.squeeze(1).unwrap().unsqueeze(1).unwrap()],
    );
    check("expand", |v| v[0].expand([2, 3, 6, 4]), from_ref(&y));
    check("broadcast_to adding axes", |v| v[0].broadcast_to([5, 3, 1, 4]), from_ref(&y));
    check("broadcast of a scalar", |v| v[0].broadcast_to([2, 3]), &[Tensor::scalar(0.7f64)]);
}

#[test]
fn views_of_views() {
    let x = rand([4, 6], -2.0, 2.0, 122);
    check(
        "narrow of a transpose of a reshape",
        |v| v[0].reshape([2, 3, 4])?.transpose(0, 2)?.narrow(0, 1, 2),
        from_ref(&x),
    );
    check(
        "exp of narrow of transpose of reshape",
        |v| v[0].reshape([3, 8])?.t()?.narrow(0, 2, 5)?.narrow(1, 1, 2)?.exp(),
        from_ref(&x),
    );
    check(
        "unsqueeze, broadcast, permute, squeeze",
        |v| {
            v[0].unsqueeze(0)?
                .broadcast_to([3, 4, 6])?
                .permute(&[2, 0, 1])?
                .narrow(2, 1, 1)?
                .squeeze(2)
        },
        &[x],
    );
}

#[test]
fn concat_and_stack() {
    let a = rand([2, 3], -1.0, 1.0, 130);
    let b = rand([4, 3], -1.0, 1.0, 131);
    let c = rand([2, 5], -1.0, 1.0, 132);
    check("concat axis 0", |v| Tensor::concat(&[v[0].clone(), v[1].clone()], 0), &[a.clone(), b]);
    check("concat axis 1", |v| Tensor::concat(&[v[0].clone(), v[1].clone()], 1), &[a.clone(), c]);
    check(
        "concat of a tensor with itself and a view",
        |v| Tensor::concat(&[v[0].clone(), v[0].t()?.t()?, v[0].narrow(1, 0, 2)?.exp()?], 1),
        from_ref(&a),
    );
    let d = rand([2, 3], -1.0, 1.0, 133);
    for axis in 0..3 {
        check(
            &format!("stack axis {axis}"),
            |v| Tensor::stack(&[v[0].clone(), v[1].tanh()?, v[0].clone()], axis),
            &[a.clone(), d.clone()],
        );
    }
}

#[test]
fn index_select_with_repeats() {
    let x = rand([4, 3], -2.0, 2.0, 140);
    // Row 1 is taken three times and row 3 twice: their gradients accumulate.
    let rows = i64s(&[1, 3, 1, 0, 1, 3], [6]);
    check("index_select axis 0", |v| v[0].index_select(0, &v[1]), &[x.clone(), rows.clone()]);
    let cols = i64s(&[2, 2, 0], [3]);
    check("index_select axis 1", |v| v[0].index_select(1, &cols), from_ref(&x));
    let y = rand([2, 3, 4], -2.0, 2.0, 141);
    check(
        "index_select axis 1 of 3-D",
        |v| v[0].index_select(1, &v[1]),
        &[y, i64s(&[2, 0, 2, 2], [4])],
    );
    check("index_select of a transpose", |v| v[0].t()?.index_select(1, &v[1]), &[x, rows]);
    // By hand: the gradient counts how often each row was taken.
    let leaf = Tensor::zeros([4, 3], DType::F64).requires_grad();
    let g = leaf.index_select(0, &i64s(&[1, 3, 1, 0, 1, 3], [6])).unwrap();
    let grads = g.sum_all().unwrap().backward().unwrap();
    let counts: Vec<f64> = [1.0, 3.0, 0.0, 2.0].iter().flat_map(|&c| [c; 3]).collect();
    assert_eq!(grads.get(&leaf).unwrap().to_vec::<f64>().unwrap(), counts);
}

#[test]
fn gather_with_repeats() {
    let x = rand([3, 4], -2.0, 2.0, 150);
    let along1 = i64s(&[0, 0, 3, 2, 2, 2, 1, 3, 1], [3, 3]);
    check("gather axis 1", |v| v[0].gather(1, &v[1]), &[x.clone(), along1]);
    let along0 = i64s(&[2, 0, 0, 1, 2, 2, 1, 1], [2, 4]);
    check("gather axis 0", |v| v[0].gather(0, &v[1]), &[x.clone(), along0]);
    // An index smaller than the input on the other axis.
    let narrow_index = i64s(&[1, 1, 0, 3], [2, 2]);
    check("gather with a smaller index", |v| v[0].gather(1, &v[1]), &[x.clone(), narrow_index]);
    let y = rand([2, 3, 4], -2.0, 2.0, 151);
    let idx3 = i64s(&[0, 2, 2, 1, 1, 1, 0, 0, 2, 2, 2, 0, 1, 0, 1, 2], [2, 2, 4]);
    check("gather axis 1 of 3-D", |v| v[0].gather(1, &v[1]), &[y, idx3]);
    check(
        "gather of a transposed input",
        |v| v[0].t()?.gather(0, &v[1]),
        &[x, i64s(&[3, 3, 0, 1, 1, 0], [2, 3])],
    );
}

#[test]
fn where_cond_with_broadcasting() {
    let a = rand([3, 4], -2.0, 2.0, 160);
    let b = rand([4], -2.0, 2.0, 161);
    let mask = i64s(&[1, 0, 1], [3, 1]);
    check(
        "where (3,1) ? (3,4) : (4)",
        |v| Tensor::where_cond(&v[2], &v[0], &v[1]),
        &[a.clone(), b.clone(), mask],
    );
    // A float mask, captured (gradcheck would otherwise perturb it).
    let fmask = f64s(&[0.0, 1.0, 1.0, 0.0], [4]);
    check(
        "where (4) ? (3,4) : scalar",
        |v| Tensor::where_cond(&fmask, &v[0], &v[1]),
        &[a.clone(), Tensor::scalar(0.3f64)],
    );
    check(
        "where with the same tensor on both sides",
        |v| Tensor::where_cond(&fmask, &v[0].exp()?, &v[0]),
        &[a],
    );
}

#[test]
fn to_dtype_round_trip_by_hand() {
    // gradcheck works in f64 throughout, so the casts are checked against known gradients.
    let x = f64s(&[0.5, -1.25, 2.0, 0.1], [4]).requires_grad();
    let w = f64s(&[1.0, 2.0, -3.0, 0.5], [4]);
    let y = x.to_dtype(DType::F32).unwrap();
    assert_eq!(y.dtype(), DType::F32);
    assert!(y.op().is_some(), "a cast between floats is recorded");
    let z = y.tanh().unwrap().to_dtype(DType::F64).unwrap();
    assert_eq!(z.dtype(), DType::F64);
    let grads = z.mul(&w).unwrap().sum_all().unwrap().backward().unwrap();
    let g = grads.get(&x).unwrap();
    assert_eq!(g.dtype(), DType::F64, "the gradient has the leaf's dtype");
    let want: Vec<f64> = [0.5f64, -1.25, 2.0, 0.1]
        .iter()
        .zip([1.0, 2.0, -3.0, 0.5])
        .map(|(&v, w)| w * (1.0 - v.tanh().powi(2)))
        .collect();
    // Computed in f32 in the middle: agreement to f32 precision.
    assert_close(&g.to_vec::<f64>().unwrap(), &want, 1e-6, "d/dx w·cast(tanh(cast x))");

    // An f32 leaf through f64 arithmetic: ∂/∂x Σ (x as f64)² = 2x, in f32.
    let x32 = Tensor::from_vec(vec![1.5f32, -0.25, 3.0], [3]).unwrap().requires_grad();
    let g =
        x32.to_dtype(DType::F64).unwrap().square().unwrap().sum_all().unwrap().backward().unwrap();
    let g = g.get(&x32).unwrap();
    assert_eq!(g.dtype(), DType::F32);
    assert_eq!(g.to_vec::<f32>().unwrap(), [3.0, -0.5, 6.0]);

    // f64 → f32 → f64 with nothing in between passes the gradient through unchanged.
    let grads = x
        .to_dtype(DType::F32)
        .unwrap()
        .to_dtype(DType::F64)
        .unwrap()
        .mul(&w)
        .unwrap()
        .sum_all()
        .unwrap()
        .backward()
        .unwrap();
    assert_eq!(grads.get(&x).unwrap().to_vec::<f64>().unwrap(), w.to_vec::<f64>().unwrap());

    // Conversions to i64 are not differentiable and record nothing.
    assert!(x.to_dtype(DType::I64).unwrap().op().is_none());
}

#[test]
fn gradcheck_rejects_f32_inputs() {
    let x = Tensor::ones([2], DType::F32);
    assert!(matches!(
        gradcheck(|v| v[0].exp(), &[x], EPS),
        Err(Error::DTypeMismatch { op: "gradcheck", .. })
    ));
}

/// A wrong backward must be caught. The engine has no user-defined ops, so the wrong gradient is
/// made with `detach`: `x ⊙ detach(x)` has the derivative `2x`, but the recorded graph holds only
/// one factor and autograd returns `x`, as a backward that forgot half of the product rule would.
/// The numeric side must see the true `2x`, and `is_close` must refuse the pair.
#[test]
fn gradcheck_rejects_a_wrong_gradient() {
    let x = away_from_zero([3, 2], 190);
    let report = gradcheck(|v| v[0].mul(&v[0].detach()), from_ref(&x), EPS).unwrap();
    assert!(!report.is_close(ATOL, RTOL), "a gradient off by half passed: {report}");
    assert!(!report.is_close(1e-3, 1e-3), "a gradient off by half passed loosely: {report}");
    assert!((report.max_rel_error() - 0.5).abs() < 1e-6, "{report}");
    for (a, n) in report.analytic[0].iter().zip(&report.numeric[0]) {
        assert!((2.0 * a - n).abs() < 1e-7, "analytic {a}, numeric {n}");
    }

    // A small error: exp(x) + 1e-3 · x ⊙ detach(x) loses a term of about 1e-3 |x|, a few
    // hundredths of a percent of the derivative, still far above the tolerances.
    let f = |v: &[Tensor]| v[0].exp()?.add(&v[0].mul(&v[0].detach())?.mul_scalar(1e-3)?);
    let report = gradcheck(f, from_ref(&x), EPS).unwrap();
    assert!(!report.is_close(ATOL, RTOL), "a gradient missing 1e-3 x passed: {report}");
    let true_f = |v: &[Tensor]| v[0].exp()?.add(&v[0].square()?.mul_scalar(1e-3)?);
    assert!(gradcheck(true_f, from_ref(&x), EPS).unwrap().is_close(ATOL, RTOL));

    // A correct report with one analytic element moved by 1e-4 of its value is refused, by
    // `is_close` and by the error measures.
    let a = rand([2, 3], -1.0, 1.0, 191);
    let b = rand([3, 2], -1.0, 1.0, 192);
    let mut report = gradcheck(|v| v[0].matmul(&v[1]), &[a, b], EPS).unwrap();
    assert!(report.is_close(ATOL, RTOL), "{report}");
    let g = &mut report.analytic[1][4];
    *g *= 1.0 + 1e-4;
    assert!(!report.is_close(ATOL, RTOL), "one element 1e-4 off passed: {report}");
    assert!(report.max_rel_error() > 0.5e-4 && report.max_abs_error() > 0.0, "{report}");
}

// ---------------------------------------------------------------------------------------------
// Graph structure
// ---------------------------------------------------------------------------------------------

#[test]
fn tensor_used_twice() {
    let x = rand([3, 2], -2.0, 2.0, 170);
    check("x * x + x", |v| v[0].mul(&v[0])?.add(&v[0]), from_ref(&x));
    // By hand: d/dx Σ (x² + x) = 2x + 1.
    let leaf = x.clone().requires_grad();
    let g = leaf.mul(&leaf).unwrap().add(&leaf).unwrap().sum_all().unwrap().backward().unwrap();
    let want: Vec<f64> = x.to_vec::<f64>().unwrap().iter().map(|v| 2.0 * v + 1.0).collect();
    assert_close(&g.get(&leaf).unwrap().to_vec::<f64>().unwrap(), &want, 1e-15, "2x + 1");
}

#[test]
fn diamond_graph() {
    // One trunk h = x w feeds two branches (sigmoid, tanh) that meet again in a product, and h
    // and the left branch are used once more: gradients must add over every path.
    let x = rand([2, 3], -1.0, 1.0, 171);
    let w = rand([3, 2], -1.0, 1.0, 172);
    check(
        "diamond",
        |v| {
            let h = v[0].matmul(&v[1])?; // shared trunk
            let left = h.sigmoid()?;
            let right = h.mul_scalar(2.0)?.tanh()?;
            let joined = left.mul(&right)?.add(&h)?;
            joined.sub(&left.log_softmax(1)?)
        },
        &[x, w],
    );
}

#[test]
fn leaf_in_two_branches_accumulates() {
    let w = f64s(&[1.0, -2.0, 0.5], [3]).requires_grad();
    let branch1 = w.mul_scalar(2.0).unwrap().sum_all().unwrap();
    let branch2 = w.mul_scalar(3.0).unwrap().sum_all().unwrap();
    let branch3 = w.square().unwrap().sum_all().unwrap();
    let loss = branch1.add(&branch2).unwrap().add(&branch3).unwrap();
    let g = loss.backward().unwrap();
    // 2 + 3 + 2w
    assert_eq!(g.get(&w).unwrap().to_vec::<f64>().unwrap(), [7.0, 1.0, 6.0]);
}

/// Runs `f` on a thread with a 256 KiB stack: a recursive backward or drop over a 10 000-node
/// graph needs far more and would overflow (crashing the test process).
fn on_small_stack<R: Send + 'static>(f: impl FnOnce() -> R + Send + 'static) -> R {
    std::thread::Builder::new()
        .stack_size(256 * 1024)
        .spawn(f)
        .expect("spawn a thread")
        .join()
        .expect("the thread did not panic")
}

#[test]
fn deep_chain_of_affine_ops_on_a_small_stack() {
    let (grad, value) = on_small_stack(|| {
        let x = Tensor::scalar(0.5f64).requires_grad();
        let mut y = x.clone();
        for i in 0..10_000 {
            y = if i % 2 == 0 { y.mul_scalar(1.0001) } else { y.add_scalar(0.001) }.unwrap();
        }
        let value = y.item().unwrap();
        let grads = y.backward().unwrap();
        let grad = grads.get(&x).unwrap().item().unwrap();
        drop(grads);
        drop(y); // the 10 000-node graph is unlinked here
        (grad, value)
    });
    let want = 1.0001f64.powi(5000);
    assert!((grad - want).abs() < 1e-12 * want, "grad {grad}, want {want}");
    let mut v = 0.5f64;
    for _ in 0..5000 {
        v = v * 1.0001 + 0.001;
    }
    assert!((value - v).abs() < 1e-12 * v, "value {value}, want {v}");
}

#[test]
fn deep_chain_of_tanh_on_a_small_stack() {
    let (grad, value) = on_small_stack(|| {
        let x = Tensor::from_vec(vec![0.5f64, -0.8], [2]).unwrap().requires_grad();
        let mut y = x.clone();
        for _ in 0..10_000 {
            y = y.tanh().unwrap();
        }
        let value = y.to_vec::<f64>().unwrap();
        let grads = y.sum_all().unwrap().backward().unwrap();
        let grad = grads.get(&x).unwrap().to_vec::<f64>().unwrap();
        drop(y);
        (grad, value)
    });
    for (i, x0) in [0.5f64, -0.8].into_iter().enumerate() {
        let (mut v, mut d) = (x0, 1.0f64);
        for _ in 0..10_000 {
            v = v.tanh();
            d *= 1.0 - v * v;
        }
        assert!(d.abs() > 1e-8, "the test point keeps a measurable gradient");
        assert!((value[i] - v).abs() <= 1e-14, "value {} vs {v}", value[i]);
        assert!((grad[i] - d).abs() <= 1e-10 * d.abs(), "grad {} vs {d}", grad[i]);
    }
}

#[test]
fn deep_graph_dropped_without_backward_on_a_small_stack() {
    on_small_stack(|| {
        let x = Tensor::ones([3], DType::F32).requires_grad();
        let mut y = x.clone();
        for _ in 0..10_000 {
            y = y.add(&x).unwrap().mul_scalar(0.5).unwrap();
        }
        assert!(y.op().is_some());
        drop(x);
        drop(y);
    });
}

// ---------------------------------------------------------------------------------------------
// What is and is not recorded
// ---------------------------------------------------------------------------------------------

#[test]
fn detach_stops_gradients() {
    let x = f64s(&[1.0, 2.0], [2]).requires_grad();
    let e = x.exp().unwrap();
    let d = e.detach();
    assert!(e.op().is_some());
    assert!(d.op().is_none() && !d.is_tracked());
    assert!(d.shares_storage(&e), "detach is a view of the same values");
    // L = Σ x · detach(x²): the detached factor is a constant, so ∂L/∂x = x² only.
    let loss = x.mul(&x.square().unwrap().detach()).unwrap().sum_all().unwrap();
    let g = loss.backward().unwrap();
    assert_eq!(g.get(&x).unwrap().to_vec::<f64>().unwrap(), [1.0, 4.0]);
    // A loss built only from a detached tensor is not tracked at all.
    let err = d.sum_all().unwrap().backward().err().expect("untracked loss");
    assert!(matches!(err, Error::Backward(_)), "{err}");
}

#[test]
fn untracked_inputs_record_nothing() {
    let a = rand([2, 3], -1.0, 1.0, 180);
    let b = rand([3, 2], -1.0, 1.0, 181);
    let idx = i64s(&[0, 1, 1], [3]);
    let results = [
        a.exp().unwrap(),
        a.add(&a).unwrap(),
        a.matmul(&b).unwrap(),
        a.sum(1, false).unwrap(),
        a.max_all().unwrap(),
        a.logsumexp(0, true).unwrap(),
        a.softmax(1).unwrap(),
        a.log_softmax(0).unwrap(),
        a.t().unwrap(),
        a.reshape([6]).unwrap(),
        a.narrow(1, 1, 2).unwrap(),
        a.unsqueeze(0).unwrap(),
        a.broadcast_to([4, 2, 3]).unwrap(),
        a.t().unwrap().contiguous(),
        Tensor::concat(&[a.clone(), a.clone()], 0).unwrap(),
        Tensor::stack(&[a.clone(), a.clone()], 0).unwrap(),
        a.index_select(1, &idx).unwrap(),
        a.gather(1, &i64s(&[0, 0, 1, 2, 2, 2], [2, 3])).unwrap(),
        Tensor::where_cond(&a.gt(&b.t().unwrap()).unwrap(), &a, &a.neg().unwrap()).unwrap(),
        a.to_dtype(DType::F32).unwrap(),
    ];
    for (i, r) in results.iter().enumerate() {
        assert!(r.op().is_none(), "result {i} recorded an op from untracked inputs");
        assert!(!r.is_tracked());
    }
    // Adding a tracked operand records the op.
    let w = b.clone().requires_grad();
    assert!(a.matmul(&w).unwrap().op().is_some());
    assert!(w.op().is_none() && w.is_tracked() && w.is_leaf_param());
}

#[test]
fn no_grad_records_nothing() {
    let w = f64s(&[1.0, 2.0, 3.0], [3]).requires_grad();
    assert!(axon::is_grad_enabled());
    let y = no_grad(|| {
        assert!(!axon::is_grad_enabled());
        let y = w.exp().unwrap().mul(&w).unwrap().sum_all().unwrap();
        // Nested no_grad restores the outer state (still disabled).
        no_grad(|| ());
        assert!(!axon::is_grad_enabled());
        y
    });
    assert!(axon::is_grad_enabled(), "no_grad restores recording on return");
    assert!(y.op().is_none() && !y.is_tracked());
    assert!(matches!(y.backward(), Err(Error::Backward(_))));
    // And recording is back afterwards.
    assert!(w.exp().unwrap().op().is_some());
    // Even a panic inside no_grad restores the state.
    let _ = std::panic::catch_unwind(|| no_grad(|| panic!("inside no_grad")));
    assert!(axon::is_grad_enabled());
}

#[test]
fn backward_needs_a_scalar() {
    let w = f64s(&[1.0, 2.0, 3.0], [3]).requires_grad();
    let y = w.exp().unwrap();
    let err = y.backward().err().expect("non-scalar loss");
    assert!(matches!(err, Error::Backward(_)), "{err}");
    assert!(err.to_string().contains("[3]"), "{err}");
    // A one-element tensor of rank 1 or 2 is fine.
    assert!(y.sum(0, true).unwrap().backward().is_ok());
    assert!(y.reshape([1, 3]).unwrap().sum(1, true).unwrap().backward().is_ok());
    // backward_with takes the seed gradient of a non-scalar output (a vector-Jacobian product).
    let g = y.backward_with(&f64s(&[1.0, 0.0, 2.0], [3])).unwrap();
    let e = [1f64.exp(), 0.0, 2.0 * 3f64.exp()];
    assert_close(&g.get(&w).unwrap().to_vec::<f64>().unwrap(), &e, 1e-15, "vjp");
    assert!(y.backward_with(&f64s(&[1.0, 0.0], [2])).is_err());
}

/// `X·W` of a constant sparse matrix: the gradient in `W` (a matrix or a vector), on a matrix
/// with an empty row and a repeated column.
#[test]
fn sparse_matmul() {
    use std::sync::Arc;

    use axon::sparse::Csr;

    let rows = vec![vec![(0, 1.5), (3, -2.0)], vec![], vec![(1, 0.5), (3, 0.25), (4, 3.0)]];
    let x = Arc::new(Csr::from_rows(5, rows).unwrap());
    let (xm, xv) = (x.clone(), x.clone());
    check(
        "sparse_matmul (p, k)",
        move |v| Tensor::sparse_matmul(&xm, &v[0])?.square()?.sum_all(),
        &[rand([5, 3], -1.0, 1.0, 41)],
    );
    check(
        "sparse_matmul (p)",
        move |v| Tensor::sparse_matmul(&xv, &v[0])?.exp()?.sum_all(),
        &[rand([5], -1.0, 1.0, 42)],
    );
    let w = rand([5, 2], -1.0, 1.0, 43);
    let got = Tensor::sparse_matmul(&x, &w).unwrap().to_vec::<f64>().unwrap();
    let wv = w.to_vec::<f64>().unwrap();
    let want = [1.5 * wv[0] - 2.0 * wv[6], 1.5 * wv[1] - 2.0 * wv[7], 0.0, 0.0];
    assert_close(&got[..4], &want, 1e-15, "sparse_matmul values");
    assert!(Tensor::sparse_matmul(&x, &rand([4, 2], -1.0, 1.0, 44)).is_err());
}

/// An `f32` weight gives an `f32` product and an `f32` gradient equal to `XᵀG` rounded.
#[test]
fn sparse_matmul_in_f32() {
    use std::sync::Arc;

    use axon::sparse::Csr;
    use axon::DType;

    let x = Arc::new(Csr::from_rows(3, vec![vec![(0, 2.0), (2, -1.0)], vec![(1, 0.5)]]).unwrap());
    let w = Tensor::from_vec(vec![1.0f32, 2.0, 3.0], [3]).unwrap().requires_grad();
    let y = Tensor::sparse_matmul(&x, &w).unwrap();
    assert_eq!(y.dtype(), DType::F32);
    assert_eq!(y.to_vec::<f32>().unwrap(), [-1.0, 1.0]);
    let grads = y.sum_all().unwrap().backward().unwrap();
    let g = grads.get(&w).unwrap();
    assert_eq!(g.dtype(), DType::F32);
    assert_eq!(g.to_vec::<f32>().unwrap(), [2.0, 0.5, -1.0]);
}

/// A `Linear` layer on sparse rows equals the layer on the same rows densified, and so do its
/// gradients.
#[test]
fn linear_on_sparse_rows_equals_linear_on_dense_rows() {
    use std::sync::Arc;

    use axon::nn::{Linear, Module};
    use axon::sparse::Csr;
    use axon::{DType, Rng};

    let rows = vec![vec![(0, 1.5), (3, -2.0)], vec![], vec![(1, 0.5), (3, 0.25), (4, 3.0)]];
    let x = Arc::new(Csr::from_rows(5, rows).unwrap());
    let mut dense = vec![0.0; 15];
    for i in 0..3 {
        let (idx, val) = x.row(i);
        idx.iter().zip(val).for_each(|(&j, &v)| dense[i * 5 + j as usize] = v);
    }
    let dense = f64s(&dense, [3, 5]);
    let layer = Linear::new(5, 2, true, DType::F64, &mut Rng::seed(7)).unwrap();
    let run = |y: Tensor| {
        let grads = y.square().unwrap().sum_all().unwrap().backward().unwrap();
        let w = grads.get(&layer.weight().value()).unwrap().to_vec::<f64>().unwrap();
        let b = grads.get(&layer.bias().unwrap().value()).unwrap().to_vec::<f64>().unwrap();
        (y.to_vec::<f64>().unwrap(), w, b)
    };
    let (ys, ws, bs) = run(layer.forward_sparse(&x).unwrap());
    let (yd, wd, bd) = run(layer.forward(&dense).unwrap());
    assert_close(&ys, &yd, 1e-14, "outputs");
    assert_close(&ws, &wd, 1e-14, "weight gradient");
    assert_close(&bs, &bd, 1e-14, "bias gradient");
}

/// A `Sequential` whose first layer is `Linear` takes sparse rows through `Module::forward_sparse`
/// (the first layer sparse, the others dense) and equals the network on the rows densified, in
/// its output and every gradient; one that starts with another layer refuses sparse rows.
#[test]
fn a_sequential_on_sparse_rows_equals_it_on_dense_rows() {
    use std::sync::Arc;

    use axon::nn::{Linear, Module, ReLU, Sequential};
    use axon::sparse::Csr;
    use axon::{DType, Rng};

    let rows = vec![vec![(0, 1.5), (3, -2.0)], vec![(2, 1.0)], vec![(1, 0.5), (4, 3.0)]];
    let x = Arc::new(Csr::from_rows(5, rows).unwrap());
    let mut dense = vec![0.0; 15];
    for i in 0..3 {
        let (idx, val) = x.row(i);
        idx.iter().zip(val).for_each(|(&j, &v)| dense[i * 5 + j as usize] = v);
    }
    let dense = f64s(&dense, [3, 5]);
    let mut rng = Rng::seed(11);
    let net = Sequential::new()
        .with(Linear::new(5, 4, true, DType::F64, &mut rng).unwrap())
        .with(ReLU)
        .with(Linear::new(4, 2, true, DType::F64, &mut rng).unwrap());
    let module: &dyn Module = &net;
    let run = |y: Tensor| {
        let grads = y.square().unwrap().sum_all().unwrap().backward().unwrap();
        let g: Vec<Vec<f64>> = (module.params().iter())
            .map(|p| grads.get(&p.value()).unwrap().to_vec::<f64>().unwrap())
            .collect();
        (y.to_vec::<f64>().unwrap(), g)
    };
    let (ys, gs) = run(module.forward_sparse(&x).unwrap());
    let (yd, gd) = run(module.forward(&dense).unwrap());
    assert_close(&ys, &yd, 1e-14, "outputs");
    assert_eq!(gs.len(), 4);
    for (s, d) in gs.iter().zip(&gd) {
        assert_close(s, d, 1e-14, "gradient");
    }
    let relu_first = Sequential::new().with(ReLU);
    let err = relu_first.forward_sparse(&x).unwrap_err().to_string();
    assert!(err.contains("ReLU"), "{err}");
}

/// `backward_hooked` reports each parameter once, as soon as the last op that reads it is
/// differentiated (the second layer's before the first's, a parameter read twice after its
/// second read), with the gradient `backward` gives.
#[test]
fn the_backward_hook_sees_each_final_gradient_once_in_reverse_order() {
    let x = rand([4, 3], -1.0, 1.0, 60);
    let w1 = rand([3, 5], -1.0, 1.0, 61).requires_grad();
    let w2 = rand([5, 2], -1.0, 1.0, 62).requires_grad();
    let s = rand([2], 0.5, 1.5, 63).requires_grad();
    let loss = || -> Result<Tensor> {
        let h = x.matmul(&w1)?.tanh()?.matmul(&w2)?.mul(&s)?;
        h.mul(&s)?.sum_all()
    };
    let want = loss().unwrap().backward().unwrap();
    let mut seen = Vec::new();
    let got = loss()
        .unwrap()
        .backward_hooked(&mut |leaf, g| {
            let name = [(&w1, "w1"), (&w2, "w2"), (&s, "s")]
                .iter()
                .find(|(t, _)| t.id() == leaf.id())
                .map(|(_, n)| *n)
                .expect("a parameter");
            let all = want.get(leaf).unwrap().to_vec::<f64>().unwrap();
            assert_eq!(g.to_vec::<f64>().unwrap(), all, "{name}: the final gradient");
            seen.push(name);
            Ok(())
        })
        .unwrap();
    assert_eq!(seen, ["s", "w2", "w1"]);
    for p in [&w1, &w2, &s] {
        let (a, b) = (got.get(p).unwrap(), want.get(p).unwrap());
        assert_eq!(a.to_vec::<f64>().unwrap(), b.to_vec::<f64>().unwrap());
    }
}
