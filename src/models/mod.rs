//! Networks from the literature, as types.
//!
//! Each is a plain type alias over the layers of this crate: the compiler checks every shape of
//! the network, `size_of` gives its memory, and `Layer` gives its forward and backward passes.

pub mod lenet;

pub use lenet::{LeNet5, LeNet5Classic};
