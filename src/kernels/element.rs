//! [`Element`]: the floating-point types a network computes in (`f32`, `f64`). It lives with
//! the kernels, which are compiled for exactly these types, and is re-exported as
//! `constnet::element`.

use crate::kernels::conv::Instantiated;
pub use crate::kernels::scalar::Scalar;

/// A float type networks compute in: a [`Scalar`] whose convolution kernels are compiled inside
/// this crate (a hidden supertrait), not again in every crate that uses them. Implemented for
/// `f32` (speed) and `f64` (gradient checks), and sealed to those two (the hidden supertrait
/// cannot be implemented outside this crate).
pub trait Element: Scalar + Instantiated {}

impl<T: Scalar + Instantiated> Element for T {}
