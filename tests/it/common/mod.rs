//! Shared test utilities, compiled once for the whole test binary: the PyTorch fixture reader,
//! small valid data files, the `safetensors` crate as the oracle of weight files,
//! the finite-difference gradient checker, the counting allocator, and LeNet-5 in any element
//! type.

pub mod alloc;
pub mod files;
pub mod fixture;
pub mod gradcheck;
pub mod oracle;

use constnet::prelude::*;

/// `constnet::models::LeNet5` with its element type as a parameter (the model is `f32` only),
/// for the tests that need LeNet-5 in `f64` too. `LeNet5Of` (`f32`, the default) is
/// `models::LeNet5`: checked below at compile time.
pub type LeNet5Of<E = f32> = (
    Conv2d<1, 6, 5, 1, 0, Bias, E>,
    Relu,
    MaxPool2d<2>,
    Conv2d<6, 16, 5, 1, 0, Bias, E>,
    Relu,
    MaxPool2d<2>,
    Flatten,
    Linear<256, 120, Bias, E>,
    Relu,
    Linear<120, 84, Bias, E>,
    Relu,
    Linear<84, 10, Bias, E>,
);

/// Compiles only if `LeNet5Of<f32>` and `models::LeNet5` are the same type.
const _: fn(LeNet5Of<f32>) -> constnet::models::LeNet5 = |net| net;
