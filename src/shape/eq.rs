//! Equality of sizes as a type-level bit, for readable "shapes differ" diagnostics.

use super::{Dim, Num, T, ToCheck};
use core::ops::BitAnd;
use typenum::{And, Bit, Eq, IsEqual};

/// Whether sizes (one [`Dim`], or a pair or triple of them) equal others, as a typenum bit.
///
/// Used as `<(Dim<C>, Dim<H>, Dim<W>) as SizesEq<(Dim<C2>, Dim<H2>, Dim<W2>)>>::Out: Marker<…>`
/// where `Marker` is a precondition trait with a readable message, implemented only for the
/// "true" bit. Unlike a trait implemented only for equal types (`impl<T> Same<T> for T`),
/// proving this never makes the compiler *assume* the sizes are equal while it is still
/// computing them, which would turn a shape error into a confusing type mismatch deep inside a
/// layer ("expected `8`, found `4`" about some convolution window).
#[doc(hidden)]
pub trait SizesEq<Other> {
    /// `B1` if equal, `B0` if not (see [`super::Holds`]).
    type Out: Bit + ToCheck;
}

impl<const A: usize, const B: usize> SizesEq<Dim<B>> for Dim<A>
where
    Dim<A>: Num,
    Dim<B>: Num,
    T<A>: IsEqual<T<B>>,
    Eq<T<A>, T<B>>: Bit + ToCheck,
{
    type Out = Eq<T<A>, T<B>>;
}

impl<A0, A1, B0, B1> SizesEq<(B0, B1)> for (A0, A1)
where
    A0: SizesEq<B0>,
    A1: SizesEq<B1>,
    A0::Out: BitAnd<A1::Out>,
    And<A0::Out, A1::Out>: Bit + ToCheck,
{
    type Out = And<A0::Out, A1::Out>;
}

impl<A0, A1, A2, B0, B1, B2> SizesEq<(B0, B1, B2)> for (A0, A1, A2)
where
    (A0, A1): SizesEq<(B0, B1)>,
    A2: SizesEq<B2>,
    <(A0, A1) as SizesEq<(B0, B1)>>::Out: BitAnd<A2::Out>,
    And<<(A0, A1) as SizesEq<(B0, B1)>>::Out, A2::Out>: Bit + ToCheck,
{
    type Out = And<<(A0, A1) as SizesEq<(B0, B1)>>::Out, A2::Out>;
}
