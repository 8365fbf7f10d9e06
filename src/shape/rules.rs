//! Preconditions of the compositions and of the layers whose rule is an equality of sizes
//! (concatenated branches, residual additions, batch norm's channels, a transposed
//! convolution's output padding): marker traits implemented only for [`Check<true>`], each with
//! the sentence `cargo check` prints when it fails. The layers and compositions re-export them.

use super::{Check, Dim, Holds, Num, ToCheck};
use typenum::{IsLess, Le};

/// Precondition of [`Concat`](crate::compose::Concat): every branch output (`B`) has the height and width of the first
/// branch's (`A`). Implemented only for typenum's "true" bit, computed from the two shapes.
#[diagnostic::on_unimplemented(
    message = "concatenated branches differ in height or width: the first branch gives `{A}`, another `{B}`",
    label = "branches joined along channels must produce the same height and width",
    note = "check the padding and stride of each branch (a 3×3 convolution keeps the size with padding 1, a 5×5 with padding 2)"
)]
pub trait SameSpatial<A, B> {}
impl<A, B> SameSpatial<A, B> for Check<true> {}

/// Precondition of [`Residual<F>`](crate::compose::Residual): the branch maps `X` to `Y = X`. Implemented only for
/// typenum's "true" bit, which [`SizesEq`](super::SizesEq) computes from the two shapes.
#[diagnostic::on_unimplemented(
    message = "residual branch changes the shape: it maps `{X}` to `{Y}`",
    label = "`Residual<F>` adds x to F(x), so F's output must have exactly the input's shape",
    note = "for a branch that changes channels or resolution use `ResidualProj<F, Shortcut>` with a projection shortcut (e.g. a strided 1×1 convolution and a batch norm)"
)]
pub trait SameShape<X, Y> {}
impl<X, Y> SameShape<X, Y> for Check<true> {}

/// Precondition of [`Gate<F>`](crate::compose::Gate): the gate maps `X = Tensor<N, C, H, W>`
/// to `Y = Tensor<N, C, 1, 1>`, one value per sample and channel. Implemented only for
/// typenum's "true" bit, which [`SizesEq`](super::SizesEq) computes from the two shapes.
#[diagnostic::on_unimplemented(
    message = "a channel gate must give one value per channel: it maps `{X}` to `{Y}`",
    label = "`Gate<F>` multiplies each channel of x by F(x), so F's output must be N × C × 1 × 1 with x's C",
    note = "squeeze-and-excitation: global average pooling, 1×1 convolutions C → S → C, then a sigmoid"
)]
pub trait OnePerChannel<X, Y> {}
impl<X, Y> OnePerChannel<X, Y> for Check<true> {}

/// Precondition of [`ResidualProj<F, Sc>`](crate::compose::ResidualProj): the branch's output `Y` and the shortcut's `S`
/// have the same shape. Implemented only for typenum's "true" bit.
#[diagnostic::on_unimplemented(
    message = "the residual branch and the shortcut produce different shapes: `{Y}` vs `{S}`",
    label = "F(x) + Sc(x) needs both to have the same channels, height and width",
    note = "give the shortcut the branch's output channels and overall stride"
)]
pub trait SameOutput<Y, S> {}
impl<Y, S> SameOutput<Y, S> for Check<true> {}

/// Precondition of [`BatchNorm2d<C>`](crate::layers::BatchNorm2d): the input has `CX = C` channels. Implemented only for
/// typenum's "true" bit, computed from the two counts (so the compiler never assumes the input
/// has `C` channels while still computing it, and reports this message instead).
#[diagnostic::on_unimplemented(
    message = "batch norm over {C} channels cannot take an input with {CX} channels",
    label = "channel count mismatch",
    note = "`BatchNorm2d<C>` must follow a layer that outputs exactly C channels"
)]
pub trait ChannelsMatch<const C: usize, const CX: usize> {}
impl<const C: usize, const CX: usize> ChannelsMatch<C, CX> for Check<true> {}

/// Precondition of [`ConvTranspose2d`](crate::layers::ConvTranspose2d): output padding below the stride.
///
/// `Dim<OP>: OutputPaddingBelowStride<S>` holds when `OP < S`.
#[diagnostic::on_unimplemented(
    message = "output padding {Self} of a transposed convolution must be smaller than its stride {S}",
    label = "output_padding ≥ stride",
    note = "PyTorch also accepts output_padding < dilation; constnet computes a transposed convolution as the input gradient of a convolution, which needs output_padding < stride"
)]
pub trait OutputPaddingBelowStride<const S: usize> {}
impl<const OP: usize, const S: usize> OutputPaddingBelowStride<S> for Dim<OP>
where
    Dim<OP>: Num,
    Dim<S>: Num,
    <Dim<OP> as Num>::T: IsLess<<Dim<S> as Num>::T>,
    Le<<Dim<OP> as Num>::T, <Dim<S> as Num>::T>: ToCheck,
    Holds<Le<<Dim<OP> as Num>::T, <Dim<S> as Num>::T>>: BelowStride,
{
}

/// `OP < S` (implemented only for [`Check<true>`]).
#[doc(hidden)]
#[diagnostic::on_unimplemented(
    message = "output padding of a transposed convolution must be smaller than its stride",
    label = "output_padding ≥ stride",
    note = "PyTorch also accepts output_padding < dilation; constnet computes a transposed convolution as the input gradient of a convolution, which needs output_padding < stride"
)]
pub trait BelowStride {}
impl BelowStride for Check<true> {}
