//! Whether a convolution or dense layer has a bias: [`Bias`] (PyTorch's default) or
//! [`NoBias`] (convolutions followed by batch normalisation).

use crate::element::Element;
use crate::zeroable::Zeroable;

/// Chooses whether a layer stores a bias, at the type level (no storage when it does not).
pub trait BiasMode: 'static {
    /// Storage for `C` bias values (`[E; C]`, or `()`).
    type Store<E: Element, const C: usize>: Zeroable + Copy + core::fmt::Debug;
    /// The bias values, if any.
    fn get<E: Element, const C: usize>(s: &Self::Store<E, C>) -> Option<&[E]>;
    /// The bias values, mutable, if any.
    fn get_mut<E: Element, const C: usize>(s: &mut Self::Store<E, C>) -> Option<&mut [E]>;
}

/// The layer has a bias (PyTorch's `bias=True`), initialised like PyTorch's.
#[derive(Debug, Clone, Copy, Default)]
pub struct Bias;
/// The layer has no bias (PyTorch's `bias=False`), as before a batch normalisation.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoBias;

impl BiasMode for Bias {
    type Store<E: Element, const C: usize> = [E; C];
    #[inline]
    fn get<E: Element, const C: usize>(s: &[E; C]) -> Option<&[E]> {
        Some(s)
    }
    #[inline]
    fn get_mut<E: Element, const C: usize>(s: &mut [E; C]) -> Option<&mut [E]> {
        Some(s)
    }
}

impl BiasMode for NoBias {
    type Store<E: Element, const C: usize> = ();
    #[inline]
    fn get<E: Element, const C: usize>(_: &()) -> Option<&[E]> {
        None
    }
    #[inline]
    fn get_mut<E: Element, const C: usize>(_: &mut ()) -> Option<&mut [E]> {
        None
    }
}
