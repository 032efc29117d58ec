//! Online logistic regression over sparse rows, for click logs and other data larger than
//! memory: SGD, Adagrad and FTRL-Proximal learners ([`Learner`]) that learn a row at a time
//! with per-coordinate state ([`OnlineModel`]), progressive validation (each row scored before
//! it is learned from, reported at powers of two as Vowpal Wabbit does), checkpoints that
//! resume bit for bit, and [`fit_stream`], one or more passes over a file in bounded memory.
//!
//! ```
//! use axon::online::{Learner, OnlineModel};
//! use axon::sparse::Csr;
//!
//! let x = Csr::from_rows(4, vec![vec![(0, 1.0)], vec![(1, 1.0)], vec![(0, 1.0)]])?;
//! let learner = Learner::Ftrl { alpha: 0.1, beta: 1.0, l1: 0.0, l2: 0.0 };
//! let mut model = OnlineModel::new(learner, 4)?;
//! model.learn_batch(&x, &[1.0, 0.0, 1.0], None)?;
//! assert_eq!(model.progress.rows, 3);
//! assert!(model.predict_row(&[0], &[1.0]) > model.predict_row(&[1], &[1.0]));
//! # Ok::<(), axon::Error>(())
//! ```

mod checkpoint;
mod learner;
mod ranks;
mod stream;

pub use checkpoint::{load_checkpoint, save_checkpoint, Saved};
pub use learner::{Learner, OnlineModel, Progress, Report, Schedule};
pub use stream::{
    fit_stream, fit_stream_parts, StreamEvent, StreamOptions, StreamSource, StreamSummary,
    DEFAULT_SYNC_ROWS,
};
