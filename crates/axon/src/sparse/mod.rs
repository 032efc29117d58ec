//! Sparse matrices, for designs with many columns and few non-zeros per row: bag-of-words
//! documents, hashed click features, LibSVM files. A model reads such a design only through the
//! products it needs (`X·β` and `Xᵀr`), so nothing is ever densified; [`hstack`] puts the blocks
//! of several sources side by side.

mod csr;
mod hstack;
mod scatter;

pub use csr::Csr;
pub use hstack::hstack;
pub use scatter::RowScatter;
