//! The numeric kernels: plain loops over flat slices, with every size a compile-time constant.
//!
//! Typed layers are thin wrappers that call into this module; all arithmetic lives here, once.
//! Speeding up a kernel speeds up every layer that uses it:
//!
//! * [`conv`] — grouped 2-D convolution (forward, backward-data, backward-weight). Also serves
//!   dense layers (a 1×1 convolution on a 1×1 map), depthwise convolution (groups = channels)
//!   and transposed convolution (its forward is convolution's backward-data and vice versa).
//! * [`pool`] — max pooling with arg-max, average pooling.
//! * [`pointwise`] — element-wise maps (activations) and their derivatives, bias addition.
//! * [`norm`] — per-channel statistics for batch normalisation.

pub mod conv;
mod lanes;
pub mod pointwise;
pub mod pool;
