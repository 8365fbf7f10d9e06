//! [`Scalar`]: what the kernels need of a floating-point type (arithmetic, conversions, plain
//! data). Every kernel module is generic over it; [`Element`](super::element::Element), the
//! types a network computes in, is a `Scalar` whose convolution kernels are compiled in this
//! crate. (So the kernels depend on `Scalar` and `Element` on the convolution kernels: no
//! circle.)

use crate::zeroable::Zeroable;
use core::fmt::Debug;
use core::ops::{AddAssign, DivAssign, MulAssign, SubAssign};
use num_traits::{Float, FromPrimitive};

/// A float type the kernels compute in: `f32` and `f64`.
pub trait Scalar:
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
{
    /// `v` converted from `f64` (rounded to nearest).
    fn of(v: f64) -> Self;
    /// `self` as `f64`.
    fn to_f64_lossless(self) -> f64;
}

impl Scalar for f32 {
    #[inline(always)]
    fn of(v: f64) -> Self {
        v as f32
    }
    #[inline(always)]
    fn to_f64_lossless(self) -> f64 {
        self as f64
    }
}
impl Scalar for f64 {
    #[inline(always)]
    fn of(v: f64) -> Self {
        v
    }
    #[inline(always)]
    fn to_f64_lossless(self) -> f64 {
        self
    }
}
