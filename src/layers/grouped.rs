//! [`GroupedConv2d`]: a convolution whose channels split into independent groups (PyTorch's
//! `groups=G`: ResNeXt, AlexNet's two towers), run by the general convolution kernel
//! ([`kernels::conv`](crate::kernels::conv)) with `G` groups. Groups of one channel are a
//! depthwise convolution, which that kernel hands to its own
//! ([`DepthwiseConv2d`](super::DepthwiseConv2d)).

use crate::element::Element;
use crate::kernels::conv::Geom;
use crate::layer::Layer;
use crate::layers::bias::{Bias, BiasMode, NoBias};
use crate::layers::conv_core::{self, Direct};
use crate::shape::{Dim, MulDim, Window};
use crate::tensor::Tensor;
use crate::zeroable::Zeroable;

/// Bias storage of a grouped layer: `G · COG` values stored as `G` groups of `COG`.
///
/// Implemented for [`Bias`] and [`NoBias`]; stable Rust cannot name `[E; G·COG]`, so the bias is
/// `[[E; COG]; G]` (the same values in the same order as PyTorch's `[G·COG]`).
pub trait GroupBias: BiasMode {
    /// Storage for `G × COG` bias values (`[[E; COG]; G]`, or `()`).
    type Store<E: Element, const G: usize, const COG: usize>: Zeroable + Copy + core::fmt::Debug;
    /// The bias values, flat, if any.
    fn get<E: Element, const G: usize, const COG: usize>(
        s: &<Self as GroupBias>::Store<E, G, COG>,
    ) -> Option<&[E]>;
    /// The bias values, flat and mutable, if any.
    fn get_mut<E: Element, const G: usize, const COG: usize>(
        s: &mut <Self as GroupBias>::Store<E, G, COG>,
    ) -> Option<&mut [E]>;
}

impl GroupBias for Bias {
    type Store<E: Element, const G: usize, const COG: usize> = [[E; COG]; G];
    #[inline]
    fn get<E: Element, const G: usize, const COG: usize>(s: &[[E; COG]; G]) -> Option<&[E]> {
        Some(s.as_flattened())
    }
    #[inline]
    fn get_mut<E: Element, const G: usize, const COG: usize>(
        s: &mut [[E; COG]; G],
    ) -> Option<&mut [E]> {
        Some(s.as_flattened_mut())
    }
}

impl GroupBias for NoBias {
    type Store<E: Element, const G: usize, const COG: usize> = ();
    #[inline]
    fn get<E: Element, const G: usize, const COG: usize>(_: &()) -> Option<&[E]> {
        None
    }
    #[inline]
    fn get_mut<E: Element, const G: usize, const COG: usize>(_: &mut ()) -> Option<&mut [E]> {
        None
    }
}

/// Grouped 2-D convolution (PyTorch's `nn.Conv2d(G·CIG, G·COG, K, groups=G)`): `G` groups, each
/// mapping its own `CIG` input channels to its own `COG` output channels; kernel `K`, stride
/// `S`, padding `P`, dilation `D` (along rows, and along columns unless `KW`, `SW`, `PW`, `DW`
/// say otherwise: see [`GroupedConv2dHw`]), with a bias unless `B` is [`NoBias`].
///
/// On an input `Tensor<N, G·CIG, H, W>` it gives `Tensor<N, G·COG, HO, WO>` (`HO` as for
/// [`Conv2d`](crate::layers::Conv2d)). An input whose channel count is not `G·CIG` is a compile error.
///
/// ```
/// use constnet::prelude::*;
/// // 8 → 12 channels in 4 groups of 2 → 3.
/// let conv = <GroupedConv2d<4, 2, 3, 3, 1, 1>>::zeroed();
/// let x = Tensor::<1, 8, 6, 6>::zeros();
/// let mut y = Tensor::<1, 12, 6, 6>::zeros();
/// conv.forward(&x, &mut y, &mut ());
/// ```
#[derive(Clone, Copy, Debug)]
pub struct GroupedConv2d<
    const G: usize,
    const CIG: usize,
    const COG: usize,
    const K: usize,
    const S: usize = 1,
    const P: usize = 0,
    B: GroupBias = Bias,
    E: Element = f32,
    const D: usize = 1,
    const KW: usize = K,
    const SW: usize = S,
    const PW: usize = P,
    const DW: usize = D,
> {
    /// Weights, PyTorch layout `[G·COG, CIG, KH, KW]` (stored as `[G][COG][CIG][KH][KW]`, the
    /// same order; `KH` = `K`).
    pub weight: [[[[[E; KW]; K]; CIG]; COG]; G],
    /// Bias, `[G·COG]` (stored as `[G][COG]`; absent with `NoBias`).
    pub bias: <B as GroupBias>::Store<E, G, COG>,
}

crate::zeroable::zeroable_struct!([const G: usize, const CIG: usize, const COG: usize, const K: usize, const S: usize, const P: usize, B: GroupBias, E: Element, const D: usize, const KW: usize, const SW: usize, const PW: usize, const DW: usize] GroupedConv2d<G, CIG, COG, K, S, P, B, E, D, KW, SW, PW, DW> { weight, bias });

conv_core::params!(
    [const G: usize, const CIG: usize, const COG: usize, const K: usize, const S: usize,
     const P: usize, B: GroupBias, E: Element, const D: usize, const KW: usize, const SW: usize,
     const PW: usize, const DW: usize]
    GroupedConv2d<G, CIG, COG, K, S, P, B, E, D, KW, SW, PW, DW>, E, B: GroupBias,
    shape: [G * COG, CIG, K, KW], fan_in: CIG * K * KW,
    flat: as_flattened.as_flattened.as_flattened.as_flattened,
    flat_mut: as_flattened_mut.as_flattened_mut.as_flattened_mut.as_flattened_mut,
    in E2: GroupedConv2d<G, CIG, COG, K, S, P, B, E2, D, KW, SW, PW, DW>
);

impl<
    const N: usize,
    const G: usize,
    const CIG: usize,
    const COG: usize,
    const K: usize,
    const S: usize,
    const P: usize,
    B: GroupBias,
    E: Element,
    const D: usize,
    const KW: usize,
    const SW: usize,
    const PW: usize,
    const DW: usize,
    const CI: usize,
    const CO: usize,
    const H: usize,
    const W: usize,
    const HO: usize,
    const WO: usize,
> Layer<Tensor<N, CI, H, W, E>> for GroupedConv2d<G, CIG, COG, K, S, P, B, E, D, KW, SW, PW, DW>
where
    Dim<G>: MulDim<CIG, Out = Dim<CI>>,
    Dim<G>: MulDim<COG, Out = Dim<CO>>,
    Dim<H>: Window<K, S, P, D, Out = Dim<HO>>,
    Dim<W>: Window<KW, SW, PW, DW, Out = Dim<WO>>,
{
    conv_core::layer_body!(
        Tensor<N, CI, H, W, E> => Tensor<N, CO, HO, WO, E>, E,
        Direct<Geom<N, G, CIG, COG, H, W, HO, WO, K, S, P, D, KW, SW, PW, DW>>
    );
}

/// A grouped convolution with its own kernel size, stride, padding and dilation along rows and
/// columns, in PyTorch's order (`GroupedConv2dHw<G, CIG, COG, KH, KW, SH, SW, PH, PW>`): the
/// same type as [`GroupedConv2d`] with its column parameters given.
pub type GroupedConv2dHw<
    const G: usize,
    const CIG: usize,
    const COG: usize,
    const KH: usize,
    const KW: usize,
    const SH: usize = 1,
    const SW: usize = SH,
    const PH: usize = 0,
    const PW: usize = PH,
    B = Bias,
    E = f32,
    const DH: usize = 1,
    const DW: usize = DH,
> = GroupedConv2d<G, CIG, COG, KH, SH, PH, B, E, DH, KW, SW, PW, DW>;
