//! The numeric kernels: plain loops over flat slices, with every size a compile-time constant.
//!
//! Typed layers are thin wrappers that call into this module; all arithmetic lives here, once.
//! Speeding up a kernel speeds up every layer that uses it:
//!
//! * [`conv`] — grouped 2-D convolution (forward, backward-data, backward-weight). Also serves
//!   dense layers (a 1×1 convolution on a 1×1 map) and transposed convolution (its forward is
//!   convolution's backward-data and vice versa).
//! * [`pool`] — max pooling with arg-max, average pooling.
//! * [`depthwise`] — depthwise convolution (one filter per channel): memory-bound, so it has
//!   its own register-tiled kernel; [`conv`] hands groups of one input and one output channel
//!   to it.
//! * [`pointwise`] — element-wise maps (activations) and their derivatives, bias addition.
//! * [`reduce`] — per-plane means (global average pooling).
//! * [`dropout`] — seeded dropout masks.
//! * [`loss`] — losses (softmax cross-entropy, MSE, BCE on logits) and their gradients.
//! * [`optim`] — the element-wise parameter updates of SGD and Adam.
//! * [`norm`] — per-channel statistics for batch normalisation, its backward, folding.
//! * [`channels`] — copying channel blocks (concatenation along channels).
//! * [`window`] — a kernel's size, stride, padding and dilation per axis, shared by the
//!   convolution and depthwise geometries.

/// What the kernels are compiled for: speed or code size. One choice for the whole build,
/// read by the instruction-set dispatch (`isa`) and the convolution tiles; nothing else in the
/// kernels depends on the build's purpose.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Strategy {
    /// Every instruction set the CPU may have (AVX-512, AVX2, the baseline), chosen at run time,
    /// with tiles unrolled per row width and channel count: the default on x86-64 and aarch64.
    Speed,
    /// The build's own instruction set only, no run-time dispatch, one tile shape (two vector
    /// registers of lanes, six channels) and the general loops: the same results in a fraction
    /// of the code. Feature `small-code`, and the default on every other target (Cortex-M…).
    Size,
}

/// This build's [`Strategy`].
pub const STRATEGY: Strategy = if cfg!(feature = "small-code")
    || !cfg!(any(target_arch = "x86_64", target_arch = "aarch64"))
{
    Strategy::Size
} else {
    Strategy::Speed
};

pub mod channels;
pub mod conv;
pub mod depthwise;
pub mod dropout;
pub mod element;
pub mod isa;
mod lanes;
pub mod loss;
pub mod norm;
pub mod optim;
pub mod pointwise;
pub mod pool;
pub mod reduce;
pub mod scalar;
pub mod window;
