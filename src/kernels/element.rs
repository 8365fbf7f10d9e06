//! [`Element`]: the floating-point types a network computes in (`f32`, `f64`). It lives with
//! the kernels, which are compiled for exactly these types, and is re-exported as
//! `constnet::element`.

use crate::zeroable::Zeroable;
use core::fmt::Debug;
use core::ops::{AddAssign, DivAssign, MulAssign, SubAssign};
use num_traits::{Float, FromPrimitive};

/// A float type networks compute in. Implemented for `f32` (speed) and `f64` (gradient checks),
/// and sealed to those two: the convolution kernels are compiled once per element type inside
/// this crate (a hidden supertrait), not again in every crate that uses them.
pub trait Element:
    Float
    + FromPrimitive
    + AddAssign
    + SubAssign
    + MulAssign
    + DivAssign
    + Zeroable
    + Default
    + Debug
    + Send
    + Sync
    + 'static
    + crate::kernels::conv::Instantiated
{
    /// `v` converted from `f64` (rounded to nearest).
    fn of(v: f64) -> Self;
    /// `self` as `f64`.
    fn to_f64_lossless(self) -> f64;
}

impl Element for f32 {
    #[inline(always)]
    fn of(v: f64) -> Self {
        v as f32
    }
    #[inline(always)]
    fn to_f64_lossless(self) -> f64 {
        self as f64
    }
}
impl Element for f64 {
    #[inline(always)]
    fn of(v: f64) -> Self {
        v
    }
    #[inline(always)]
    fn to_f64_lossless(self) -> f64 {
        self
    }
}
