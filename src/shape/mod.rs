//! Compile-time shape arithmetic on stable Rust.
//!
//! Users write plain numbers (`Conv2d<3, 16, 3, 1, 1>`, `Tensor<8, 16, 32, 32>`). Output sizes
//! such as `(H + 2P − D·(K−1) − 1) / S + 1` are computed here, in the type system, so that a
//! wrong chain of layers is an error reported by `cargo check`.
//!
//! How: each size `N` is a type [`Dim<N>`]. A generated table maps `Dim<N>` to a typenum number
//! (`0..=4096`), the arithmetic happens on typenum numbers, and a second generated table maps the
//! result back to a `Dim` (`0..=4096`, or `0..=32768` with the `wide-dims` feature). Layer impls
//! bind the output size through an associated-type equality
//! (`Dim<H>: Window<K, S, P, D, Out = Dim<HO>>`), which stable Rust accepts.
//!
//! Diagnostics: typenum's own operators are never allowed to fail (subtractions are written as
//! `max(a, b) − b`, divisions by `max(s, 1)`). Every precondition is a separate bound on one of
//! the marker traits below, each annotated with `#[diagnostic::on_unimplemented]`, so the first
//! line of an error talks about shapes, not typenum internals. The reverse table lookup is total
//! too (results are clamped into the table), and "the result is in the table" is one more such
//! precondition. Two more rules keep typenum out of messages: a precondition's `Self` type is a
//! [`Check`], not a typenum bit; and an equality that users get wrong (the input size of a dense
//! layer) is a trait bound ([`FlattensTo`]) rather than an associated-type equality, which rustc
//! would report as a "type mismatch resolving" somewhere inside the arithmetic.
//!
//! What a wrong network looks like (the first line of each error; more in `tests/ui/`):
//!
//! * `a window of size 5 (dilation 1) does not fit an input of size 3 with padding 0`
//! * `a dense layer with 400 inputs cannot take a 16 × 4 × 4 feature map (16·4·4 ≠ 400)`
//! * `the flattened size of a 512 × 8 × 8 feature map is too large for the compile-time shape
//!   table` (with a note pointing to the `wide-dims` feature)
//!
//! The typenum machinery is an implementation detail: users never name a typenum type.

use core::ops::{Add, Div, Mul, Rem, Sub};
use typenum::{
    B0, B1, Diff, GrEq, IsGreaterOrEqual, IsLess, IsLessOrEqual, Le, LeEq, Max, Maximum, Min,
    Minimum, Mod, Prod, Quot, Sum, U1, U256, UInt, UTerm, Unsigned,
};

/// A size known at compile time, as a type. `Dim<28>` is "28".
///
/// Used only in bounds: `Dim<H>: Window<K, S, P, D, Out = Dim<HO>>` reads "an input of height `H`
/// through a window `K` with stride `S`, padding `P` and dilation `D` gives height `HO`".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Dim<const N: usize>;

/// Forward table: `Dim<N>` → typenum number (generated for `0..=4096`).
#[doc(hidden)]
#[diagnostic::on_unimplemented(
    message = "`{Self}`: this size is too large for the compile-time shape table",
    label = "sizes that enter shape arithmetic must be at most 4096",
    note = "channel counts, heights, widths, kernels, strides and paddings are limited to 0..=4096"
)]
pub trait Num {
    /// The typenum number.
    type T: Unsigned;
}

/// Reverse table, high part (`n / 256`) → marker type. ([`ToDim`] clamps its argument into the
/// table, so this lookup does not fail; the message is a fallback.)
#[doc(hidden)]
#[diagnostic::on_unimplemented(
    message = "a computed size is too large for the compile-time shape table",
    label = "results of shape arithmetic are limited to 0..=4096",
    note = "enable the `wide-dims` feature of constnet to compute sizes up to 32768"
)]
pub trait High {
    /// Marker for the high part.
    type M;
}
/// Reverse table, low part (`n % 256`) → marker type.
#[doc(hidden)]
pub trait Low {
    /// Marker for the low part.
    type M;
}
/// Reverse table, join of the two markers → `Dim<n>`.
#[doc(hidden)]
pub trait Join<L> {
    /// The size.
    type D;
}
/// Marker of a low part.
#[doc(hidden)]
pub struct L<const N: usize>;

mod eq;
pub use eq::SizesEq;
mod training;
pub use training::{BatchStats, MoreThanOneValue, Trainable};
mod rules;
pub use rules::{
    BelowStride, ChannelsMatch, OnePerChannel, OutputPaddingBelowStride, SameOutput, SameShape,
    SameSpatial,
};

mod tables {
    use super::{Dim, High, Join, L, Low, Num};
    use typenum::{B0, B1, UInt, UTerm};
    include!(concat!(env!("OUT_DIR"), "/dim_tables.rs"));
}
pub use tables::{FORWARD_MAX, REVERSE_MAX};

/// The largest size the reverse table holds, as a typenum number.
#[cfg(not(feature = "wide-dims"))]
type ReverseMax = typenum::U4096;
/// The largest size the reverse table holds, as a typenum number.
#[cfg(feature = "wide-dims")]
type ReverseMax = typenum::U32768;
const _: () = assert!(<ReverseMax as Unsigned>::USIZE == REVERSE_MAX);

/// The reverse table's index, clamped into the table.
type Clamped<U> = Minimum<U, ReverseMax>;

/// typenum number → `Dim`. Total: a number beyond the table maps to the table's last entry and
/// reports [`ToDim::InTable`] = false, which every user of `ToDim` turns into a readable
/// precondition (a marker trait below) instead of a failing table lookup (whose error would list
/// typenum numbers). The clamped value never reaches a compiled program: the precondition fails.
#[doc(hidden)]
pub trait ToDim {
    /// The size (clamped to the table).
    type D;
    /// Whether the number is in the table (a typenum bit, see [`ToCheck`]).
    type InTable: ToCheck;
}
impl<U> ToDim for U
where
    U: Min<ReverseMax> + IsLessOrEqual<ReverseMax>,
    LeEq<U, ReverseMax>: ToCheck,
    Clamped<U>: Div<U256> + Rem<U256>,
    Quot<Clamped<U>, U256>: High,
    Mod<Clamped<U>, U256>: Low,
    <Quot<Clamped<U>, U256> as High>::M: Join<<Mod<Clamped<U>, U256> as Low>::M>,
{
    type D = <<Quot<Clamped<U>, U256> as High>::M as Join<<Mod<Clamped<U>, U256> as Low>::M>>::D;
    type InTable = LeEq<U, ReverseMax>;
}

/// The typenum number of `Dim<N>`.
pub(crate) type T<const N: usize> = <Dim<N> as Num>::T;

// ---------------------------------------------------------------------------------------------
// Preconditions: marker traits implemented only for `Check<true>`, with readable diagnostics.
// Their const parameters carry the sizes involved, so that the message can print them, and
// their `Self` type is a `Check<bool>` (not a typenum bit), so no typenum name reaches the user.
// ---------------------------------------------------------------------------------------------

/// The outcome of a compile-time precondition: `Check<true>` holds, `Check<false>` does not.
///
/// Each precondition is a marker trait implemented only for `Check<true>`; an unmet one is
/// reported with that trait's message, which names the sizes involved.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Check<const OK: bool>;

/// typenum bit → [`Check`].
#[doc(hidden)]
pub trait ToCheck {
    /// `Check<true>` or `Check<false>`.
    type C;
}
impl ToCheck for B0 {
    type C = Check<false>;
}
impl ToCheck for B1 {
    type C = Check<true>;
}
/// The [`Check`] of a typenum bit.
#[doc(hidden)]
pub type Holds<B> = <B as ToCheck>::C;

/// Precondition: the (dilated) window fits into the (padded) input.
#[diagnostic::on_unimplemented(
    message = "a window of size {K} (dilation {D}) does not fit an input of size {H} with padding {P}",
    label = "input too small for this kernel or pooling window",
    note = "an input of size H through kernel K, padding P and dilation D needs H + 2·P ≥ D·(K − 1) + 1"
)]
pub trait WindowFits<const H: usize, const K: usize, const P: usize, const D: usize> {}
impl<const H: usize, const K: usize, const P: usize, const D: usize> WindowFits<H, K, P, D>
    for Check<true>
{
}

/// Precondition: a stride, kernel or dilation is at least 1.
#[diagnostic::on_unimplemented(
    message = "kernel size, stride and dilation must be at least 1 (got kernel {K}, stride {S}, dilation {D})",
    label = "a zero kernel, stride or dilation was given"
)]
pub trait NonZero<const K: usize, const S: usize, const D: usize> {}
impl<const K: usize, const S: usize, const D: usize> NonZero<K, S, D> for Check<true> {}

/// Precondition of a transposed convolution: the output is at least one pixel.
#[diagnostic::on_unimplemented(
    message = "transposed convolution of an input of size {H} (kernel {K}, stride {S}, output padding {OP}, dilation {D}) is empty: padding {P} is too large",
    label = "(H − 1)·S + D·(K − 1) + output_padding + 1 must exceed 2·P",
    note = "reduce the padding or enlarge the kernel"
)]
pub trait OutputNonEmpty<
    const H: usize,
    const K: usize,
    const S: usize,
    const P: usize,
    const OP: usize,
    const D: usize,
>
{
}
impl<
    const H: usize,
    const K: usize,
    const S: usize,
    const P: usize,
    const OP: usize,
    const D: usize,
> OutputNonEmpty<H, K, S, P, OP, D> for Check<true>
{
}

/// Precondition of a transposed convolution: `output_padding < max(stride, dilation)` (PyTorch's rule).
#[diagnostic::on_unimplemented(
    message = "output padding {OP} of a transposed convolution must be smaller than its stride {S} or its dilation {D}",
    label = "output_padding ≥ max(stride, dilation)"
)]
pub trait OutputPaddingValid<const OP: usize, const S: usize, const D: usize> {}
impl<const OP: usize, const S: usize, const D: usize> OutputPaddingValid<OP, S, D> for Check<true> {}

/// Precondition: the output size of a window is in the table of compile-time sizes.
#[diagnostic::on_unimplemented(
    message = "the output size of an input of size {H} through kernel {K}, stride {S}, padding {P} is too large for the compile-time shape table",
    label = "results of shape arithmetic are limited to 0..=4096 (0..=32768 with the `wide-dims` feature)",
    note = "enable the `wide-dims` feature of constnet to compute sizes up to 32768",
    note = "until then the result counts as the largest size in the table: later errors may mention that size"
)]
pub trait WindowInTable<const H: usize, const K: usize, const S: usize, const P: usize> {}
impl<const H: usize, const K: usize, const S: usize, const P: usize> WindowInTable<H, K, S, P>
    for Check<true>
{
}

/// Precondition: the output size of a transposed window is in the table of compile-time sizes.
#[diagnostic::on_unimplemented(
    message = "the output size of an input of size {H} through a transposed kernel {K}, stride {S} is too large for the compile-time shape table",
    label = "results of shape arithmetic are limited to 0..=4096 (0..=32768 with the `wide-dims` feature)",
    note = "enable the `wide-dims` feature of constnet to compute sizes up to 32768",
    note = "until then the result counts as the largest size in the table: later errors may mention that size"
)]
pub trait TransposedInTable<const H: usize, const K: usize, const S: usize> {}
impl<const H: usize, const K: usize, const S: usize> TransposedInTable<H, K, S> for Check<true> {}

/// Precondition: a sum of sizes is in the table of compile-time sizes.
#[diagnostic::on_unimplemented(
    message = "the sum {A} + {B} is too large for the compile-time shape table",
    label = "results of shape arithmetic are limited to 0..=4096 (0..=32768 with the `wide-dims` feature)",
    note = "enable the `wide-dims` feature of constnet to compute sizes up to 32768",
    note = "until then the result counts as the largest size in the table: later errors may mention that size"
)]
pub trait SumInTable<const A: usize, const B: usize> {}
impl<const A: usize, const B: usize> SumInTable<A, B> for Check<true> {}

/// Precondition: a product of sizes is in the table of compile-time sizes.
#[diagnostic::on_unimplemented(
    message = "the size {A} × {B} is too large for the compile-time shape table",
    label = "results of shape arithmetic are limited to 0..=4096 (0..=32768 with the `wide-dims` feature)",
    note = "enable the `wide-dims` feature of constnet to compute sizes up to 32768",
    note = "until then the result counts as the largest size in the table: later errors may mention that size"
)]
pub trait ProductInTable<const A: usize, const B: usize> {}
impl<const A: usize, const B: usize> ProductInTable<A, B> for Check<true> {}

/// Precondition: a flattened size is in the table of compile-time sizes.
#[diagnostic::on_unimplemented(
    message = "the flattened size of a {C} × {H} × {W} feature map is too large for the compile-time shape table",
    label = "results of shape arithmetic are limited to 0..=4096 (0..=32768 with the `wide-dims` feature)",
    note = "enable the `wide-dims` feature of constnet to compute sizes up to 32768",
    note = "until then the result counts as the largest size in the table: later errors may mention that size"
)]
pub trait FlattenInTable<const C: usize, const H: usize, const W: usize> {}
impl<const C: usize, const H: usize, const W: usize> FlattenInTable<C, H, W> for Check<true> {}

// ---------------------------------------------------------------------------------------------
// Arithmetic on typenum numbers. Every impl is total: nothing here can fail for valid numbers.
// ---------------------------------------------------------------------------------------------

/// `a − b` if `a ≥ b`, else 0, written so that typenum never underflows.
type SatSub<A, B> = Diff<Maximum<A, B>, B>;

/// Window arithmetic on typenum numbers `(H, K, S, P, D)`.
#[doc(hidden)]
pub trait WindowT {
    /// `H + 2P ≥ D(K−1) + 1` (a typenum bit).
    type Fits: ToCheck;
    /// `K ≥ 1 ∧ S ≥ 1 ∧ D ≥ 1` as three bits folded into one.
    type Valid: ToCheck;
    /// `(max(H + 2P, ext) − ext) / max(S, 1) + 1` with `ext = D·(max(K,1) − 1) + 1`.
    type Out: Unsigned;
}

type Padded<H, P> = Sum<Sum<H, P>, P>;
type Extent<K, D> = Sum<Prod<D, SatSub<K, U1>>, U1>;

impl<H, K, S, P, D> WindowT for (H, K, S, P, D)
where
    H: Add<P>,
    Sum<H, P>: Add<P>,
    K: Max<U1>,
    Maximum<K, U1>: Sub<U1>,
    D: Mul<SatSub<K, U1>>,
    Prod<D, SatSub<K, U1>>: Add<U1>,
    Padded<H, P>: IsGreaterOrEqual<Extent<K, D>> + Max<Extent<K, D>>,
    Maximum<Padded<H, P>, Extent<K, D>>: Sub<Extent<K, D>>,
    S: Max<U1>,
    SatSub<Padded<H, P>, Extent<K, D>>: Div<Maximum<S, U1>>,
    Quot<SatSub<Padded<H, P>, Extent<K, D>>, Maximum<S, U1>>: Add<U1>,
    Sum<Quot<SatSub<Padded<H, P>, Extent<K, D>>, Maximum<S, U1>>, U1>: Unsigned,
    GrEq<Padded<H, P>, Extent<K, D>>: ToCheck,
    K: IsGreaterOrEqual<U1>,
    S: IsGreaterOrEqual<U1>,
    D: IsGreaterOrEqual<U1>,
    GrEq<K, U1>: core::ops::BitAnd<GrEq<S, U1>>,
    typenum::And<GrEq<K, U1>, GrEq<S, U1>>: core::ops::BitAnd<GrEq<D, U1>>,
    typenum::And<typenum::And<GrEq<K, U1>, GrEq<S, U1>>, GrEq<D, U1>>: ToCheck,
{
    type Fits = GrEq<Padded<H, P>, Extent<K, D>>;
    type Valid = typenum::And<typenum::And<GrEq<K, U1>, GrEq<S, U1>>, GrEq<D, U1>>;
    type Out = Sum<Quot<SatSub<Padded<H, P>, Extent<K, D>>, Maximum<S, U1>>, U1>;
}

/// Output size of a sliding window (convolution, pooling) along one axis.
///
/// `Dim<H>: Window<K, S, P, D, Out = Dim<HO>>` holds exactly when
/// `HO = ⌊(H + 2P − D·(K − 1) − 1) / S⌋ + 1` (PyTorch's formula) and the window fits.
#[diagnostic::on_unimplemented(
    message = "`{Self}` does not fit a window of kernel {K}, stride {S}, padding {P}, dilation {D}",
    label = "the input is too small for this kernel, or a size is out of range"
)]
pub trait Window<const K: usize, const S: usize, const P: usize, const D: usize> {
    /// The output size.
    type Out;
}
impl<const H: usize, const K: usize, const S: usize, const P: usize, const D: usize>
    Window<K, S, P, D> for Dim<H>
where
    Dim<H>: Num,
    Dim<K>: Num,
    Dim<S>: Num,
    Dim<P>: Num,
    Dim<D>: Num,
    (T<H>, T<K>, T<S>, T<P>, T<D>): WindowT,
    Holds<<(T<H>, T<K>, T<S>, T<P>, T<D>) as WindowT>::Valid>: NonZero<K, S, D>,
    Holds<<(T<H>, T<K>, T<S>, T<P>, T<D>) as WindowT>::Fits>: WindowFits<H, K, P, D>,
    <(T<H>, T<K>, T<S>, T<P>, T<D>) as WindowT>::Out: ToDim,
    Holds<<<(T<H>, T<K>, T<S>, T<P>, T<D>) as WindowT>::Out as ToDim>::InTable>:
        WindowInTable<H, K, S, P>,
{
    type Out = <<(T<H>, T<K>, T<S>, T<P>, T<D>) as WindowT>::Out as ToDim>::D;
}

/// Ceil-mode window arithmetic on typenum numbers `(H, K, S, P)` (pooling: dilation 1).
#[doc(hidden)]
pub trait CeilWindowT {
    /// `⌈(H + 2P − K) / S⌉ + 1`, less one when that window would start past `H + P` (PyTorch's
    /// rule: the last window starts inside the input or its left padding).
    type Out: Unsigned;
}

/// `q = ⌈(H + 2P − K) / S⌉`, the index of the last window before PyTorch's correction.
type CeilQuot<H, K, S, P> = Quot<Sum<SatSub<Padded<H, P>, K>, SatSub<S, U1>>, Maximum<S, U1>>;
/// Whether window `q` starts at or past `H + P` (then it does not count).
type CeilPast<H, K, S, P> = GrEq<Prod<CeilQuot<H, K, S, P>, Maximum<S, U1>>, Sum<H, P>>;

impl<H, K, S, P> CeilWindowT for (H, K, S, P)
where
    H: Add<P>,
    Sum<H, P>: Add<P>,
    Padded<H, P>: Max<K>,
    Maximum<Padded<H, P>, K>: Sub<K>,
    S: Max<U1>,
    Maximum<S, U1>: Sub<U1>,
    SatSub<Padded<H, P>, K>: Add<SatSub<S, U1>>,
    Sum<SatSub<Padded<H, P>, K>, SatSub<S, U1>>: Div<Maximum<S, U1>>,
    CeilQuot<H, K, S, P>: Mul<Maximum<S, U1>> + Add<U1>,
    Prod<CeilQuot<H, K, S, P>, Maximum<S, U1>>: IsGreaterOrEqual<Sum<H, P>>,
    Sum<CeilQuot<H, K, S, P>, U1>: Sub<CeilPast<H, K, S, P>>,
    Diff<Sum<CeilQuot<H, K, S, P>, U1>, CeilPast<H, K, S, P>>: Unsigned,
{
    type Out = Diff<Sum<CeilQuot<H, K, S, P>, U1>, CeilPast<H, K, S, P>>;
}

/// Output size of a pooling window along one axis, rounded down (`CEIL = false`) or up.
///
/// `Dim<H>: PoolWindow<K, S, P, false, Out = Dim<HO>>` is [`Window`]'s rule;
/// `Dim<H>: PoolWindow<K, S, P, true, Out = Dim<HO>>` holds exactly when
/// `HO = ⌈(H + 2P − K) / S⌉ + 1`, less one if window `HO − 1` would start at or past `H + P`
/// (PyTorch's `ceil_mode=True`), and the window fits.
#[diagnostic::on_unimplemented(
    message = "`{Self}` does not fit a pooling window of size {K}, stride {S}, padding {P}",
    label = "the input is too small for this pooling window, or a size is out of range"
)]
pub trait PoolWindow<const K: usize, const S: usize, const P: usize, const CEIL: bool> {
    /// The output size.
    type Out;
}
impl<const H: usize, const K: usize, const S: usize, const P: usize> PoolWindow<K, S, P, false>
    for Dim<H>
where
    Dim<H>: Window<K, S, P, 1>,
{
    type Out = <Dim<H> as Window<K, S, P, 1>>::Out;
}
impl<const H: usize, const K: usize, const S: usize, const P: usize> PoolWindow<K, S, P, true>
    for Dim<H>
where
    // (the same preconditions and messages as floor mode: the window fits, sizes are valid)
    Dim<H>: Window<K, S, P, 1>,
    Dim<H>: Num,
    Dim<K>: Num,
    Dim<S>: Num,
    Dim<P>: Num,
    (T<H>, T<K>, T<S>, T<P>): CeilWindowT,
    <(T<H>, T<K>, T<S>, T<P>) as CeilWindowT>::Out: ToDim,
    Holds<<<(T<H>, T<K>, T<S>, T<P>) as CeilWindowT>::Out as ToDim>::InTable>:
        WindowInTable<H, K, S, P>,
{
    type Out = <<(T<H>, T<K>, T<S>, T<P>) as CeilWindowT>::Out as ToDim>::D;
}

/// Transposed-window arithmetic on typenum numbers `(H, K, S, P, OP, D)`.
#[doc(hidden)]
pub trait TransposedT {
    /// Output is non-empty.
    type NonEmpty: ToCheck;
    /// `OP < max(S, D)`.
    type OpValid: ToCheck;
    /// `K ≥ 1 ∧ S ≥ 1 ∧ D ≥ 1`.
    type Valid: ToCheck;
    /// `max(A, 2P) − 2P` with `A = (max(H,1) − 1)·S + D·(max(K,1) − 1) + OP + 1`.
    type Out: Unsigned;
}

type TFull<H, K, S, OP, D> = Sum<Sum<Sum<Prod<SatSub<H, U1>, S>, Prod<D, SatSub<K, U1>>>, OP>, U1>;
type TwoP<P> = Sum<P, P>;

impl<H, K, S, P, OP, D> TransposedT for (H, K, S, P, OP, D)
where
    H: Max<U1>,
    Maximum<H, U1>: Sub<U1>,
    SatSub<H, U1>: Mul<S>,
    K: Max<U1>,
    Maximum<K, U1>: Sub<U1>,
    D: Mul<SatSub<K, U1>>,
    Prod<SatSub<H, U1>, S>: Add<Prod<D, SatSub<K, U1>>>,
    Sum<Prod<SatSub<H, U1>, S>, Prod<D, SatSub<K, U1>>>: Add<OP>,
    Sum<Sum<Prod<SatSub<H, U1>, S>, Prod<D, SatSub<K, U1>>>, OP>: Add<U1>,
    P: Add<P>,
    TFull<H, K, S, OP, D>: Max<TwoP<P>> + typenum::IsGreater<TwoP<P>>,
    Maximum<TFull<H, K, S, OP, D>, TwoP<P>>: Sub<TwoP<P>>,
    SatSub<TFull<H, K, S, OP, D>, TwoP<P>>: Unsigned,
    typenum::Gr<TFull<H, K, S, OP, D>, TwoP<P>>: ToCheck,
    S: Max<D>,
    OP: IsLess<Maximum<S, D>>,
    Le<OP, Maximum<S, D>>: ToCheck,
    K: IsGreaterOrEqual<U1>,
    S: IsGreaterOrEqual<U1>,
    D: IsGreaterOrEqual<U1>,
    GrEq<K, U1>: core::ops::BitAnd<GrEq<S, U1>>,
    typenum::And<GrEq<K, U1>, GrEq<S, U1>>: core::ops::BitAnd<GrEq<D, U1>>,
    typenum::And<typenum::And<GrEq<K, U1>, GrEq<S, U1>>, GrEq<D, U1>>: ToCheck,
{
    type NonEmpty = typenum::Gr<TFull<H, K, S, OP, D>, TwoP<P>>;
    type OpValid = Le<OP, Maximum<S, D>>;
    type Valid = typenum::And<typenum::And<GrEq<K, U1>, GrEq<S, U1>>, GrEq<D, U1>>;
    type Out = SatSub<TFull<H, K, S, OP, D>, TwoP<P>>;
}

/// Output size of a transposed convolution along one axis:
/// `(H − 1)·S − 2P + D·(K − 1) + OP + 1` (PyTorch's formula).
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot go through a transposed window of kernel {K}, stride {S}, padding {P}, output padding {OP}",
    label = "invalid transposed-convolution geometry"
)]
pub trait TransposedWindow<
    const K: usize,
    const S: usize,
    const P: usize,
    const OP: usize,
    const D: usize,
>
{
    /// The output size.
    type Out;
}
impl<
    const H: usize,
    const K: usize,
    const S: usize,
    const P: usize,
    const OP: usize,
    const D: usize,
> TransposedWindow<K, S, P, OP, D> for Dim<H>
where
    Dim<H>: Num,
    Dim<K>: Num,
    Dim<S>: Num,
    Dim<P>: Num,
    Dim<OP>: Num,
    Dim<D>: Num,
    (T<H>, T<K>, T<S>, T<P>, T<OP>, T<D>): TransposedT,
    Holds<<(T<H>, T<K>, T<S>, T<P>, T<OP>, T<D>) as TransposedT>::Valid>: NonZero<K, S, D>,
    Holds<<(T<H>, T<K>, T<S>, T<P>, T<OP>, T<D>) as TransposedT>::OpValid>:
        OutputPaddingValid<OP, S, D>,
    Holds<<(T<H>, T<K>, T<S>, T<P>, T<OP>, T<D>) as TransposedT>::NonEmpty>:
        OutputNonEmpty<H, K, S, P, OP, D>,
    <(T<H>, T<K>, T<S>, T<P>, T<OP>, T<D>) as TransposedT>::Out: ToDim,
    Holds<<<(T<H>, T<K>, T<S>, T<P>, T<OP>, T<D>) as TransposedT>::Out as ToDim>::InTable>:
        TransposedInTable<H, K, S>,
{
    type Out = <<(T<H>, T<K>, T<S>, T<P>, T<OP>, T<D>) as TransposedT>::Out as ToDim>::D;
}

/// `A + B`, for channel counts of a concatenation.
#[diagnostic::on_unimplemented(message = "cannot add sizes `{Self}` and `{B}`")]
pub trait AddDim<const B: usize> {
    /// The sum.
    type Out;
}
impl<const A: usize, const B: usize> AddDim<B> for Dim<A>
where
    Dim<A>: Num,
    Dim<B>: Num,
    T<A>: Add<T<B>>,
    Sum<T<A>, T<B>>: ToDim,
    Holds<<Sum<T<A>, T<B>> as ToDim>::InTable>: SumInTable<A, B>,
{
    type Out = <Sum<T<A>, T<B>> as ToDim>::D;
}

/// `A · B`, for grouped channel counts.
#[diagnostic::on_unimplemented(message = "cannot multiply sizes `{Self}` and `{B}`")]
pub trait MulDim<const B: usize> {
    /// The product.
    type Out;
}
impl<const A: usize, const B: usize> MulDim<B> for Dim<A>
where
    Dim<A>: Num,
    Dim<B>: Num,
    T<A>: Mul<T<B>>,
    Prod<T<A>, T<B>>: ToDim,
    Holds<<Prod<T<A>, T<B>> as ToDim>::InTable>: ProductInTable<A, B>,
{
    type Out = <Prod<T<A>, T<B>> as ToDim>::D;
}

/// `C · H · W`, the length of a flattened feature map.
#[diagnostic::on_unimplemented(
    message = "cannot compute the flattened size of `{Self}` × {H} × {W}"
)]
pub trait Volume<const H: usize, const W: usize> {
    /// The product.
    type Out;
}
impl<const C: usize, const H: usize, const W: usize> Volume<H, W> for Dim<C>
where
    Dim<C>: Num,
    Dim<H>: Num,
    Dim<W>: Num,
    T<C>: Mul<T<H>>,
    Prod<T<C>, T<H>>: Mul<T<W>>,
    Prod<Prod<T<C>, T<H>>, T<W>>: ToDim,
    Holds<<Prod<Prod<T<C>, T<H>>, T<W>> as ToDim>::InTable>: FlattenInTable<C, H, W>,
{
    type Out = <Prod<Prod<T<C>, T<H>>, T<W>> as ToDim>::D;
}

/// Precondition of a dense layer: a `C × H × W` input flattens to exactly `IN` features.
///
/// `Dim<C>: FlattensTo<C, H, W, IN>` holds exactly when `C·H·W = IN` (and `C·H·W` is in the
/// table of compile-time sizes). (`C` is also a parameter so that the message can print it:
/// rustc reports this bound, not [`FeaturesMatch`], when the input type is named first.)
#[diagnostic::on_unimplemented(
    message = "a dense layer with {IN} inputs cannot take a {C} × {H} × {W} feature map ({C}·{H}·{W} ≠ {IN})",
    label = "the flattened size C·H·W of the input must equal the dense layer's input size"
)]
pub trait FlattensTo<const C: usize, const H: usize, const W: usize, const IN: usize> {}
// The flattened size is kept a projection (not bound to a fresh `F` through `Out = Dim<F>`):
// with a fresh `F`, rustc would infer `F = IN` from the single `FeaturesMatch` impl and report
// the mismatch inside the typenum arithmetic instead of through `FeaturesMatch`'s message.
impl<const C: usize, const H: usize, const W: usize, const IN: usize> FlattensTo<C, H, W, IN>
    for Dim<C>
where
    Dim<C>: Volume<H, W>,
    <Dim<C> as Volume<H, W>>::Out: FeaturesMatch<C, H, W, IN>,
{
}

/// `Dim<F>: FeaturesMatch<C, H, W, IN>`: the flattened size `F = C·H·W` equals `IN`. Used by
/// [`FlattensTo`]; its message names all four sizes.
#[diagnostic::on_unimplemented(
    message = "a dense layer with {IN} inputs cannot take a {C} × {H} × {W} feature map ({C}·{H}·{W} ≠ {IN})",
    label = "the flattened size C·H·W of the input must equal the dense layer's input size"
)]
pub trait FeaturesMatch<const C: usize, const H: usize, const W: usize, const IN: usize> {}
impl<const C: usize, const H: usize, const W: usize, const F: usize> FeaturesMatch<C, H, W, F>
    for Dim<F>
{
}

// Keep the structural typenum types nameable by the generated tables.
#[allow(dead_code)]
type _Uses = (UInt<UTerm, B1>, Mod<U1, U1>);

#[cfg(test)]
mod tests {
    use super::*;

    fn window<
        const H: usize,
        const K: usize,
        const S: usize,
        const P: usize,
        const D: usize,
        const O: usize,
    >() -> usize
    where
        Dim<H>: Window<K, S, P, D, Out = Dim<O>>,
    {
        O
    }
    fn transposed<
        const H: usize,
        const K: usize,
        const S: usize,
        const P: usize,
        const OP: usize,
        const D: usize,
        const O: usize,
    >() -> usize
    where
        Dim<H>: TransposedWindow<K, S, P, OP, D, Out = Dim<O>>,
    {
        O
    }
    fn volume<const C: usize, const H: usize, const W: usize, const O: usize>() -> usize
    where
        Dim<C>: Volume<H, W, Out = Dim<O>>,
    {
        O
    }

    #[test]
    fn window_sizes_match_pytorch() {
        assert_eq!(window::<28, 5, 1, 0, 1, 24>(), 24);
        assert_eq!(window::<32, 3, 1, 1, 1, 32>(), 32);
        assert_eq!(window::<9, 3, 2, 1, 1, 5>(), 5);
        assert_eq!(window::<7, 2, 2, 0, 1, 3>(), 3); // floor mode
        assert_eq!(window::<7, 3, 1, 2, 2, 7>(), 7); // dilation 2
        assert_eq!(window::<224, 11, 4, 2, 1, 55>(), 55); // AlexNet conv1
        assert_eq!(window::<5, 5, 1, 0, 1, 1>(), 1); // exact fit
    }

    #[test]
    fn transposed_sizes_match_pytorch() {
        assert_eq!(transposed::<4, 3, 2, 0, 0, 1, 9>(), 9);
        assert_eq!(transposed::<5, 4, 2, 1, 0, 1, 10>(), 10);
        assert_eq!(transposed::<4, 3, 2, 1, 1, 1, 8>(), 8);
        assert_eq!(transposed::<16, 4, 2, 1, 0, 1, 32>(), 32);
    }

    fn sum<const A: usize, const B: usize, const O: usize>() -> usize
    where
        Dim<A>: AddDim<B, Out = Dim<O>>,
    {
        O
    }
    fn product<const A: usize, const B: usize, const O: usize>() -> usize
    where
        Dim<A>: MulDim<B, Out = Dim<O>>,
    {
        O
    }
    fn flattens<const C: usize, const H: usize, const W: usize, const IN: usize>()
    where
        Dim<C>: FlattensTo<C, H, W, IN>,
    {
    }

    #[test]
    fn volumes() {
        assert_eq!(volume::<16, 4, 4, 256>(), 256);
        assert_eq!(volume::<64, 8, 8, 4096>(), 4096); // the last entry of the default table
        assert_eq!(volume::<1, 1, 1, 1>(), 1);
        assert_eq!(volume::<0, 7, 7, 0>(), 0);
    }

    #[test]
    fn sums_and_products() {
        assert_eq!(sum::<64, 32, 96>(), 96);
        assert_eq!(sum::<2048, 2048, 4096>(), 4096);
        assert_eq!(product::<4, 8, 32>(), 32);
        assert_eq!(product::<4096, 1, 4096>(), 4096);
        assert_eq!(product::<300, 0, 0>(), 0);
    }

    #[test]
    fn dense_inputs() {
        flattens::<16, 4, 4, 256>();
        flattens::<120, 1, 1, 120>();
        flattens::<64, 8, 8, 4096>();
    }
}
