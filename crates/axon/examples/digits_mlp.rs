//! A multilayer perceptron on the handwritten digits (`data/digits.csv.gz`: 1797 images of 8×8
//! pixels with values 0 to 16, one row of 64 pixels and the label per line, no header).
//!
//! The data are split 80/20 with `axon::cv::train_test_split` (seeded: 1437 training and 360 test
//! images), the pixels are scaled by 1/16 to `[0, 1]`, and the network
//! `64 → Linear → 256 → ReLU → Linear → 10` is trained in `f32` on the cross-entropy of its logits
//! with Adam (`η = 10⁻²`, cosine-annealed to 0 over 60 epochs), mini-batches of 32 from a
//! seeded, shuffling `DataLoader`. Each epoch prints the mean training loss, the learning rate
//! and the training and test accuracy; the final test accuracy is asserted to be at least 97%.
//!
//! The seed fixes the split, the initialisation and the batches. With seed 0 the test accuracy
//! is 98.9% (356 of 360). Over the seeds 0 to 9 the same recipe gives 96.9% to 99.2% (7 of the
//! 10 at or above 97%): the 360 test images are few, and one image is 0.28%.
//!
//! Run with `cargo run --release -p axon --example digits_mlp`.

use std::error::Error;
use std::io::{BufRead, BufReader};
use std::time::Instant;

use axon::cv::train_test_split;
use axon::data::{gather_rows, DataLoader};
use axon::nn::loss::{cross_entropy, Reduction};
use axon::nn::{Linear, Module, ReLU, Sequential};
use axon::optim::{Adam, AdamConfig, CosineAnnealingLR, Optimizer, Scheduler};
use axon::{no_grad, DType, Rng, Tensor};

const DATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../data/digits.csv.gz");
const SEED: u64 = 0;
const HIDDEN: usize = 256;
const EPOCHS: usize = 60;
const BATCH: usize = 32;
const LEARNING_RATE: f64 = 1e-2;
const MIN_ACCURACY: f64 = 0.97;

/// Pixels `(n, 64)` scaled to `[0, 1]` and labels `(n)`.
fn read_digits(path: &str) -> Result<(Tensor, Tensor), Box<dyn Error>> {
    let file = std::fs::File::open(path).map_err(|e| format!("{path}: {e}"))?;
    let reader = BufReader::new(flate2::read::GzDecoder::new(file));
    let (mut pixels, mut labels) = (Vec::new(), Vec::new());
    for (i, line) in reader.lines().enumerate() {
        let line = line?;
        let fields: Vec<&str> = line.trim().split(',').collect();
        if fields.len() != 65 {
            return Err(format!("{path}:{}: {} fields, expected 65", i + 1, fields.len()).into());
        }
        for f in &fields[..64] {
            pixels.push(f.trim().parse::<f32>()? / 16.0);
        }
        labels.push(fields[64].trim().parse::<f64>()? as i64);
    }
    let n = labels.len();
    Ok((Tensor::from_vec(pixels, [n, 64])?, Tensor::from_vec(labels, [n])?))
}

/// The share of rows of `x` whose largest logit is at the label.
fn accuracy(net: &Sequential, x: &Tensor, y: &Tensor) -> Result<f64, Box<dyn Error>> {
    let predicted = no_grad(|| net.forward(x))?.argmax(1, false)?.to_vec::<i64>()?;
    let labels = y.to_vec::<i64>()?;
    let hits = predicted.iter().zip(&labels).filter(|(p, l)| p == l).count();
    Ok(hits as f64 / labels.len() as f64)
}

fn main() -> Result<(), Box<dyn Error>> {
    let started = Instant::now();
    let (x, y) = read_digits(DATA)?;
    let n = y.numel();
    assert_eq!((n, x.dims()[1]), (1797, 64), "the digits data set");
    let mut rng = Rng::seed(SEED);
    let split = train_test_split(n, 0.2, Some(&mut rng))?;
    let (x_train, y_train) = (gather_rows(&x, &split.train)?, gather_rows(&y, &split.train)?);
    let (x_test, y_test) = (gather_rows(&x, &split.test)?, gather_rows(&y, &split.test)?);
    println!(
        "digits: {} training and {} test images of 8×8 pixels",
        split.train.len(),
        split.test.len()
    );

    let net = Sequential::new()
        .with(Linear::new(64, HIDDEN, true, DType::F32, &mut rng)?)
        .with(ReLU)
        .with(Linear::new(HIDDEN, 10, true, DType::F32, &mut rng)?);
    println!("{net}");
    let mut opt = Adam::new(net.params(), AdamConfig { lr: LEARNING_RATE, ..Default::default() })?;
    let mut schedule = Scheduler::new(CosineAnnealingLR::new(EPOCHS, 0.0)?, &mut opt)?;
    let mut loader = DataLoader::new(x_train.clone(), y_train.clone(), BATCH)?.shuffle(rng.split());

    println!(
        "{:>5} {:>10} {:>12} {:>10} {:>10}",
        "epoch", "lr", "train loss", "train acc", "test acc"
    );
    let mut test_accuracy = 0.0;
    for epoch in 1..=EPOCHS {
        let (mut total, mut seen) = (0.0, 0);
        for batch in loader.epoch() {
            let (xb, yb) = batch?;
            let loss = cross_entropy(&net.forward(&xb)?, &yb, None, Reduction::Mean)?;
            opt.step(&loss.backward()?)?;
            total += loss.item()? * yb.numel() as f64;
            seen += yb.numel();
        }
        let lr = opt.learning_rate();
        schedule.step(&mut opt)?;
        let train_accuracy = accuracy(&net, &x_train, &y_train)?;
        test_accuracy = accuracy(&net, &x_test, &y_test)?;
        let mean_loss = total / seen as f64;
        println!(
            "{epoch:>5} {lr:>10.2e} {mean_loss:>12.5} {train_accuracy:>10.4} {test_accuracy:>10.4}"
        );
    }
    println!(
        "test accuracy {:.2}% ({} of {} images) after {EPOCHS} epochs, {:.1} s",
        100.0 * test_accuracy,
        (test_accuracy * split.test.len() as f64).round(),
        split.test.len(),
        started.elapsed().as_secs_f64()
    );
    assert!(test_accuracy >= MIN_ACCURACY, "test accuracy {test_accuracy} below {MIN_ACCURACY}");
    Ok(())
}
