#![doc = include_str!("../README.md")]
#![cfg_attr(not(feature = "std"), no_std)]
#![deny(unsafe_code)]
#![warn(missing_docs)]

#[cfg(feature = "alloc")]
extern crate alloc;

pub mod compose;
#[cfg(feature = "std")]
pub mod data;
pub use kernels::element;
pub mod init;
pub mod io;
pub mod kernels;
pub mod layer;
pub mod layers;
pub mod loss;
pub mod models;
pub mod optim;
pub mod shape;
pub mod summary;
pub mod tensor;
#[cfg(feature = "std")]
pub mod train;
pub mod visit;
pub mod workspace;
pub mod zeroable;

pub use element::Element;
pub use layer::{ArenaTooSmall, Input, Io, Layer, Out, TraceOf, arena_len};
pub use tensor::{Batch, Tensor, Vector};
pub use visit::{Module, ModuleExt, Path, Role, TensorInfo, Visitor};
pub use workspace::Workspace;
pub use zeroable::Zeroable;

/// Everything needed to declare, run and train a network.
pub mod prelude {
    pub use crate::compose::named::{Inline, Named};
    pub use crate::compose::{Concat, Gate, Residual, ResidualProj};
    pub use crate::element::Element;
    pub use crate::layer::{
        ArenaTooSmall, Input, Io, Layer, Out, ToElement, TraceOf, WithElement, arena_len,
    };
    pub use crate::layers::*;
    pub use crate::loss::{BceWithLogits, Loss, LossError, Mse, SoftmaxCrossEntropy};
    pub use crate::optim::{Adam, AdamConfig, Optimizer, PlainSgd, Sgd, SgdConfig};
    pub use crate::shape::Trainable;
    pub use crate::tensor::{Batch, Tensor, Vector};
    pub use crate::visit::{Module, ModuleExt};
    pub use crate::workspace::Workspace;
    pub use crate::zeroable::Zeroable;
}
