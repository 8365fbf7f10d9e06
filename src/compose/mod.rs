//! Compositions of layers: sequential chains (tuples), residual blocks, channel concatenation,
//! channel gating.

mod chain;
pub mod concat;
pub mod gate;
pub mod named;
pub mod residual;

pub use concat::{Concat, ConcatTrace};
pub use gate::{Gate, GateTrace};
pub use residual::{Residual, ResidualProj};
