//! Compositions of layers: sequential chains (tuples), residual blocks, channel concatenation.

mod chain;
pub mod concat;
pub mod named;
pub mod residual;

pub use concat::{Concat, ConcatTrace};
pub use residual::{Residual, ResidualProj};
