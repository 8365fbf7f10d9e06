//! A network's element type, spelled by name: [`WithElement<Net, f64>`](WithElement) is `Net`
//! with every layer's element type replaced by `f64` (and everything else, shapes, bias modes,
//! configurations, kept), so the rare parameter need not be written in its position,
//! after the bias, in every layer. `WithElement<Conv2d<1, 6, 5>, f64>` is
//! `Conv2d<1, 6, 5, 1, 0, Bias, f64>`; `WithElement<models::LeNet5, f64>` is LeNet-5 in `f64`,
//! for a gradient check of the network a program trains in `f32`.

use crate::compose::named::{Name, Named};
use crate::compose::{Concat, Gate, Residual, ResidualProj};
use crate::element::Element;
use crate::layers::{
    AvgPool2d, BatchNorm2d, BatchNormConfig, Dropout, Flatten, GlobalAvgPool2d, Hardsigmoid,
    Hardswish, Identity, LeakyRelu, MaxPool2d, Relu, Relu6, Sigmoid, Tanh,
};

/// A layer or network whose element type can be replaced by `E`, keeping everything else
/// (shapes, bias modes, configurations): implemented by every layer and composition of
/// constnet. Name the result with [`WithElement`].
///
/// ```
/// use constnet::prelude::*;
/// let conv: WithElement<Conv2d<1, 6, 5>, f64> = Zeroable::zeroed();
/// let same: Conv2d<1, 6, 5, 1, 0, Bias, f64> = conv;
/// # let _ = same;
/// ```
pub trait ToElement<E: Element> {
    /// The same layer or network with element type `E`.
    type Out;
}

/// `L` with element type `E`: `WithElement<Conv2d<1, 6, 5>, f64>` is
/// `Conv2d<1, 6, 5, 1, 0, Bias, f64>`.
pub type WithElement<L, E> = <L as ToElement<E>>::Out;

// --- Layers that hold values of the element type: the convolution family's impls are written
// with its other impls, from one list of its generic parameters (`layers::conv_core::params!`).

impl<const C: usize, E: Element, Cfg: BatchNormConfig, E2: Element> ToElement<E2>
    for BatchNorm2d<C, E, Cfg>
{
    type Out = BatchNorm2d<C, E2, Cfg>;
}

// --- Layers that hold no values: the same type in every element type.

/// `ToElement` for layers with no parameters: they are themselves in every element type.
macro_rules! itself {
    ($([$($generics:tt)*] $ty:ty),* $(,)?) => {$(
        impl<$($generics)* E2: Element> ToElement<E2> for $ty {
            type Out = Self;
        }
    )*};
}

itself!(
    [] Relu,
    [] Relu6,
    [const SLOPE_E4: u32,] LeakyRelu<SLOPE_E4>,
    [] Sigmoid,
    [] Tanh,
    [] Hardswish,
    [] Hardsigmoid,
    [] Identity,
    [] Flatten,
    [] GlobalAvgPool2d,
    [const P_E4: u32,] Dropout<P_E4>,
    [const K: usize, const S: usize, const P: usize, const CEIL: bool, const KW: usize,
     const SW: usize, const PW: usize,] MaxPool2d<K, S, P, CEIL, KW, SW, PW>,
    [const K: usize, const S: usize, const P: usize, const KW: usize, const SW: usize,
     const PW: usize,] AvgPool2d<K, S, P, KW, SW, PW>,
);

// --- Compositions: their parts, retyped.

impl<F: ToElement<E2>, E2: Element> ToElement<E2> for Residual<F> {
    type Out = Residual<F::Out>;
}

impl<F: ToElement<E2>, Sc: ToElement<E2>, E2: Element> ToElement<E2> for ResidualProj<F, Sc> {
    type Out = ResidualProj<F::Out, Sc::Out>;
}

impl<B: ToElement<E2>, E2: Element> ToElement<E2> for Concat<B> {
    type Out = Concat<B::Out>;
}

impl<F: ToElement<E2>, E2: Element> ToElement<E2> for Gate<F> {
    type Out = Gate<F::Out>;
}

impl<N: Name, L: ToElement<E2>, E2: Element> ToElement<E2> for Named<N, L> {
    type Out = Named<N, L::Out>;
}

/// `ToElement` for the tuple of the given layers and, recursively, for every shorter tuple of
/// its last elements (chains of 1 to 32 layers).
macro_rules! chains {
    () => {};
    ($head:ident $($tail:ident)*) => {
        impl<$head: ToElement<E2>, $($tail: ToElement<E2>,)* E2: Element> ToElement<E2>
            for ($head, $($tail,)*)
        {
            type Out = ($head::Out, $($tail::Out,)*);
        }
        chains!($($tail)*);
    };
}

chains!(
    L0 L1 L2 L3 L4 L5 L6 L7 L8 L9 L10 L11 L12 L13 L14 L15 L16 L17 L18 L19 L20 L21 L22 L23 L24
    L25 L26 L27 L28 L29 L30 L31
);
