//! `nn::RNNCell`: one step against the formula `h' = f(x W_ihᵀ + b_ih + h W_hhᵀ + b_hh)`
//! evaluated by hand in `f64` (tanh and ReLU, with and without bias, batched and single rows),
//! the unrolled sequence against steps taken one by one, finite-difference gradient checks
//! through time in every weight, the input sequence and the initial state, PyTorch's parameter
//! names and shapes, and the errors for operands that do not fit.

use axon::nn::{Module, RNNCell, RnnNonlinearity};
use axon::{gradcheck, DType, Result, Rng, Shape, Tensor};

fn rand(shape: impl Into<Shape>, seed: u64) -> Tensor {
    Tensor::rand(shape, -1.0, 1.0, DType::F64, &mut Rng::seed(seed))
}

/// `f(x W_ihᵀ + b_ih + h W_hhᵀ + b_hh)` for one row, with plain loops.
fn by_hand(cell: &RNNCell, x: &[f64], h: &[f64], relu: bool) -> Vec<f64> {
    let params: Vec<Vec<f64>> =
        cell.parameters().iter().map(|(_, p)| p.value().to_f64_vec()).collect();
    let (n_in, n_h) = (cell.input_size(), cell.hidden_size());
    (0..n_h)
        .map(|i| {
            let mut z: f64 = (0..n_in).map(|j| params[0][i * n_in + j] * x[j]).sum();
            z += (0..n_h).map(|j| params[1][i * n_h + j] * h[j]).sum::<f64>();
            if params.len() == 4 {
                z += params[2][i] + params[3][i];
            }
            if relu {
                z.max(0.0)
            } else {
                z.tanh()
            }
        })
        .collect()
}

#[test]
fn one_step_is_the_formula() -> Result<()> {
    for (bias, nonlinearity) in [
        (true, RnnNonlinearity::Tanh),
        (false, RnnNonlinearity::Tanh),
        (true, RnnNonlinearity::Relu),
    ] {
        let cell = RNNCell::new(4, 3, bias, nonlinearity, DType::F64, &mut Rng::seed(7))?;
        let (x, h) = (rand([2, 4], 1), rand([2, 3], 2));
        let next = cell.step(&x, Some(&h))?.to_f64_vec();
        let (xv, hv) = (x.to_f64_vec(), h.to_f64_vec());
        for row in 0..2 {
            let expected = by_hand(
                &cell,
                &xv[row * 4..row * 4 + 4],
                &hv[row * 3..row * 3 + 3],
                nonlinearity == RnnNonlinearity::Relu,
            );
            for (got, want) in next[row * 3..row * 3 + 3].iter().zip(&expected) {
                assert!(
                    (got - want).abs() < 1e-14,
                    "{nonlinearity:?} bias={bias}: {got} vs {want}"
                );
            }
        }
        // A single row (rank 1) and the zero state: the same formula with h = 0.
        let single = cell.step(&x.narrow(0, 0, 1)?.squeeze(0)?, None)?;
        assert_eq!(single.dims(), [3]);
        let expected = by_hand(&cell, &xv[..4], &[0.0; 3], nonlinearity == RnnNonlinearity::Relu);
        for (got, want) in single.to_f64_vec().iter().zip(&expected) {
            assert!((got - want).abs() < 1e-14);
        }
        assert_eq!(cell.forward(&x)?.to_f64_vec(), cell.step(&x, None)?.to_f64_vec());
    }
    Ok(())
}

#[test]
fn unrolling_takes_the_steps_in_order() -> Result<()> {
    let cell = RNNCell::new(3, 5, true, RnnNonlinearity::Tanh, DType::F64, &mut Rng::seed(3))?;
    let (xs, h0) = (rand([4, 2, 3], 11), rand([2, 5], 12));
    let (states, last) = cell.unroll(&xs, Some(&h0))?;
    assert_eq!(states.dims(), [4, 2, 5]);
    let mut h = h0;
    for t in 0..4 {
        h = cell.step(&xs.narrow(0, t, 1)?.squeeze(0)?, Some(&h))?;
        assert_eq!(states.narrow(0, t, 1)?.squeeze(0)?.to_f64_vec(), h.to_f64_vec(), "step {t}");
    }
    assert_eq!(last.to_f64_vec(), h.to_f64_vec());
    Ok(())
}

#[test]
fn gradients_through_time_match_finite_differences() -> Result<()> {
    let mut rng = Rng::seed(5);
    let shapes = [[4usize, 3], [4, 4]];
    let init = RNNCell::new(3, 4, true, RnnNonlinearity::Tanh, DType::F64, &mut rng)?;
    let params: Vec<Tensor> = init.parameters().iter().map(|(_, p)| p.value()).collect();
    assert_eq!(params[0].dims(), shapes[0]);
    assert_eq!(params[1].dims(), shapes[1]);
    let inputs = [
        params[0].clone(),
        params[1].clone(),
        params[2].clone(),
        params[3].clone(),
        rand([3, 2, 3], 21),
        rand([2, 4], 22),
    ];
    let check = gradcheck(
        |t| {
            let cell = RNNCell::from_tensors(
                t[0].clone(),
                t[1].clone(),
                Some((t[2].clone(), t[3].clone())),
                RnnNonlinearity::Tanh,
            )?;
            let (states, _) = cell.unroll(&t[4], Some(&t[5]))?;
            Ok(states)
        },
        &inputs,
        1e-6,
    )?;
    println!("{check}");
    assert!(check.is_close(1e-8, 1e-6), "{check}");
    Ok(())
}

#[test]
fn names_and_shapes_are_pytorchs() -> Result<()> {
    let cell = RNNCell::new(10, 20, true, RnnNonlinearity::Tanh, DType::F32, &mut Rng::seed(0))?;
    let named: Vec<(String, Vec<usize>)> =
        cell.parameters().iter().map(|(n, p)| (n.clone(), p.value().dims().to_vec())).collect();
    assert_eq!(
        named,
        [
            ("weight_ih".to_string(), vec![20, 10]),
            ("weight_hh".to_string(), vec![20, 20]),
            ("bias_ih".to_string(), vec![20]),
            ("bias_hh".to_string(), vec![20]),
        ]
    );
    assert_eq!(cell.num_parameters(), 20 * 10 + 20 * 20 + 40);
    assert_eq!(cell.describe(), "RNNCell(10, 20)");
    let bound = 1.0 / 20f64.sqrt();
    for (name, p) in cell.parameters() {
        let v = p.value().to_f64_vec();
        assert!(v.iter().all(|w| w.abs() <= bound), "{name} outside U(−1/√20, 1/√20)");
    }
    Ok(())
}

#[test]
fn operands_that_do_not_fit_are_refused() -> Result<()> {
    let cell = RNNCell::new(3, 2, true, RnnNonlinearity::Tanh, DType::F64, &mut Rng::seed(1))?;
    assert!(cell.step(&rand([2, 4], 1), None).is_err(), "wrong input size");
    assert!(cell.step(&rand([2, 3], 1), Some(&rand([3, 2], 2))).is_err(), "state rows differ");
    assert!(cell.step(&rand([1, 2, 3], 1), None).is_err(), "3-D step input");
    assert!(cell.unroll(&rand([2, 3], 1), None).is_err(), "a sequence is 3-D");
    assert!(RNNCell::new(0, 2, true, RnnNonlinearity::Tanh, DType::F64, &mut Rng::seed(1)).is_err());
    let err = RNNCell::from_tensors(rand([2, 3], 1), rand([3, 3], 2), None, RnnNonlinearity::Tanh)
        .err()
        .expect("W_hh must be (hidden, hidden)");
    assert!(err.to_string().contains("RNNCell"), "{err}");
    Ok(())
}
