//! Zero-initialised storage, on the stack, in a `static`, or directly on the heap.
//!
//! A network, its gradients and its training trace are plain data: arrays of floats (and
//! integer arg-max indices). All-zero bytes are a valid value for all of them, which is what
//! [`Zeroable`] records. [`Zeroable::boxed`] uses that to allocate big types (VGG at 224×224 is
//! hundreds of MB) zeroed **directly on the heap**: `Box::new(T::zeroed())` would build the value
//! on the stack first and overflow it.
//!
//! This module holds the crate's only `unsafe` code: the trait, its impls for numbers, `bool`,
//! arrays, tuples and `PhantomData`, and `zeroable_struct!`, the one way the crate's own
//! structs implement it (sound by construction, see there).
#![allow(unsafe_code)]

/// Types for which the all-zero bit pattern is a valid value.
///
/// # Safety
/// Implement only for types whose every field is itself `Zeroable` (floats, integers, arrays and
/// tuples of them, and structs of those). No references, no `NonZero*`, no enums without a zero
/// discriminant, no `bool`-like invariants.
pub unsafe trait Zeroable: Sized {
    /// The all-zero value as a constant, so that tensors, layers and whole networks can be
    /// built in a `const` context (`static NET: LeNet5 = LeNet5::ZERO;`). Its bytes are all
    /// zero, like [`Zeroable::zeroed`]'s (checked by the tests for every layer type).
    const ZERO: Self;

    /// The all-zero value. Builds the value on the stack: use [`Zeroable::boxed`] for big types.
    #[inline]
    fn zeroed() -> Self {
        // SAFETY: the trait's contract says all-zero bytes are a valid `Self`.
        unsafe { core::mem::zeroed() }
    }

    /// The all-zero value, allocated directly on the heap (never on the stack).
    ///
    /// ```
    /// use constnet::{Tensor, Zeroable};
    /// // 64 MiB: would overflow a thread's stack if built there.
    /// let big = <Tensor<64, 64, 64, 64>>::boxed();
    /// assert!(big.as_slice().iter().all(|&v| v == 0.0));
    /// ```
    #[cfg(feature = "alloc")]
    fn boxed() -> alloc::boxed::Box<Self> {
        let b = alloc::boxed::Box::<Self>::new_zeroed();
        // SAFETY: `new_zeroed` returns zero-filled memory of the right size and alignment, and the
        // trait's contract says all-zero bytes are a valid `Self`.
        unsafe { b.assume_init() }
    }
}

macro_rules! zeroable_scalars {
    ($($t:ty),*) => { $(
        // SAFETY: zero is a valid value of every primitive number type.
        unsafe impl Zeroable for $t {
            const ZERO: Self = 0 as $t;
        }
    )* };
}
zeroable_scalars!(f32, f64, u8, u16, u32, u64, usize, i8, i16, i32, i64, isize);

// SAFETY: `false` is the all-zero byte.
unsafe impl Zeroable for bool {
    const ZERO: Self = false;
}

// SAFETY: a zero-sized marker has no bytes.
unsafe impl<T: ?Sized> Zeroable for core::marker::PhantomData<T> {
    const ZERO: Self = core::marker::PhantomData;
}

/// Implements [`Zeroable`] for a struct, its `ZERO` built from its fields' own:
/// `zeroable_struct!([const N: usize, E: Zeroable] Tensor<N, E> { 0 })` (generic parameters in
/// brackets, then the type and every field, by name or, for a tuple struct, by number).
///
/// Sound by construction, which is why it is the only way the crate's structs implement the
/// `unsafe` trait: the struct expression `Self { field: Zeroable::ZERO, … }` compiles only if it
/// names every field of the struct and every field's type is itself `Zeroable`, so all-zero
/// bytes are a valid value of every field, hence of the struct (padding bytes have no validity
/// to break). Enums are not built that way, so they cannot be given to it.
macro_rules! zeroable_struct {
    ([$($g:tt)*] $t:ty { $($f:tt),* $(,)? }) => {
        // SAFETY: every field is named and `Zeroable` (the struct expression below checks both);
        // see `zeroable_struct`.
        #[allow(unsafe_code)]
        unsafe impl<$($g)*> $crate::zeroable::Zeroable for $t {
            const ZERO: Self = Self { $($f: $crate::zeroable::Zeroable::ZERO),* };
        }
    };
}
pub(crate) use zeroable_struct;

// SAFETY: an array of zeroable elements is zeroable element by element.
unsafe impl<T: Zeroable, const N: usize> Zeroable for [T; N] {
    const ZERO: Self = [T::ZERO; N];
}
// SAFETY: the unit type has no bytes.
unsafe impl Zeroable for () {
    const ZERO: Self = ();
}

macro_rules! zeroable_tuples {
    ($( ($($t:ident),+) )*) => { $(
        // SAFETY: a tuple of zeroable fields is zeroable field by field.
        unsafe impl<$($t: Zeroable),+> Zeroable for ($($t,)+) {
            const ZERO: Self = ($($t::ZERO,)+);
        }
    )* };
}
zeroable_tuples! {
    (A)
    (A, B)
    (A, B, C)
    (A, B, C, D)
    (A, B, C, D, E)
    (A, B, C, D, E, F)
    (A, B, C, D, E, F, G)
    (A, B, C, D, E, F, G, H)
    (A, B, C, D, E, F, G, H, I)
    (A, B, C, D, E, F, G, H, I, J)
    (A, B, C, D, E, F, G, H, I, J, K)
    (A, B, C, D, E, F, G, H, I, J, K, L)
    (A, B, C, D, E, F, G, H, I, J, K, L, M)
    (A, B, C, D, E, F, G, H, I, J, K, L, M, N)
    (A, B, C, D, E, F, G, H, I, J, K, L, M, N, O)
    (A, B, C, D, E, F, G, H, I, J, K, L, M, N, O, P)
    (T0, T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12, T13, T14, T15, T16)
    (T0, T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12, T13, T14, T15, T16, T17)
    (T0, T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12, T13, T14, T15, T16, T17, T18)
    (T0, T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12, T13, T14, T15, T16, T17, T18, T19)
    (T0, T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12, T13, T14, T15, T16, T17, T18, T19, T20)
    (T0, T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12, T13, T14, T15, T16, T17, T18, T19, T20, T21)
    (T0, T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12, T13, T14, T15, T16, T17, T18, T19, T20, T21, T22)
    (T0, T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12, T13, T14, T15, T16, T17, T18, T19, T20, T21, T22, T23)
    (T0, T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12, T13, T14, T15, T16, T17, T18, T19, T20, T21, T22, T23, T24)
    (T0, T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12, T13, T14, T15, T16, T17, T18, T19, T20, T21, T22, T23, T24, T25)
    (T0, T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12, T13, T14, T15, T16, T17, T18, T19, T20, T21, T22, T23, T24, T25, T26)
    (T0, T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12, T13, T14, T15, T16, T17, T18, T19, T20, T21, T22, T23, T24, T25, T26, T27)
    (T0, T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12, T13, T14, T15, T16, T17, T18, T19, T20, T21, T22, T23, T24, T25, T26, T27, T28)
    (T0, T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12, T13, T14, T15, T16, T17, T18, T19, T20, T21, T22, T23, T24, T25, T26, T27, T28, T29)
    (T0, T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12, T13, T14, T15, T16, T17, T18, T19, T20, T21, T22, T23, T24, T25, T26, T27, T28, T29, T30)
    (T0, T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12, T13, T14, T15, T16, T17, T18, T19, T20, T21, T22, T23, T24, T25, T26, T27, T28, T29, T30, T31)
}

#[cfg(all(test, feature = "alloc"))]
mod tests {
    use super::*;

    #[test]
    fn boxed_is_zero_and_large() {
        // 32 MiB of f32, far beyond a test thread's 2 MiB stack.
        let b = <[[f32; 1024]; 8192]>::boxed();
        assert!(b.iter().flatten().all(|&v| v == 0.0));
        let t = <(u32, [f64; 3], (u8, i64))>::zeroed();
        assert_eq!(t, (0, [0.0; 3], (0, 0)));
    }
}
