//! [`DepthwiseConv2d`] (PyTorch's `groups = channels`, MobileNet) and
//! [`DepthwiseSeparable`]. Each output of a depthwise convolution reads only `K²` inputs, so it
//! is memory-bound rather than a matrix product, and has its own kernel
//! ([`kernels::depthwise`](crate::kernels::depthwise)). It computes the same function as
//! `GroupedConv2d<C, 1, 1, K, S, P>` with the same weights, through the same kernel (the
//! general convolution hands one-channel groups to it).

use crate::element::Element;
use crate::kernels::depthwise::DepthwiseGeom;
use crate::layer::Layer;
use crate::layers::bias::{Bias, BiasMode};
use crate::layers::conv_core::{self, Depthwise};
use crate::layers::conv2d::Conv2d;
use crate::shape::{Dim, Window};
use crate::tensor::Tensor;

/// Depthwise 2-D convolution (PyTorch's `nn.Conv2d(C, C, K, groups=C)`): one `K × K` filter per
/// channel, stride `S`, padding `P`, dilation `D`, with a bias unless `B` is [`NoBias`](crate::layers::NoBias). The
/// last four parameters give the columns their own kernel size, stride, padding and dilation
/// (see [`DepthwiseConv2dHw`]).
///
/// `Tensor<N, C, H, W>` → `Tensor<N, C, HO, WO>` (`HO` as for [`Conv2d`]). Same function as
/// `GroupedConv2d<C, 1, 1, K, S, P, B, E, D>`; both run the memory-bound depthwise kernel
/// ([`kernels::depthwise`](crate::kernels::depthwise)).
///
/// ```
/// use constnet::prelude::*;
/// let dw = <DepthwiseConv2d<16, 3, 2, 1>>::zeroed();
/// let x = Tensor::<1, 16, 32, 32>::boxed();
/// let mut y = Tensor::<1, 16, 16, 16>::boxed();
/// dw.forward(&x, &mut y, &mut ());
/// ```
#[derive(Clone, Copy, Debug)]
pub struct DepthwiseConv2d<
    const C: usize,
    const K: usize,
    const S: usize = 1,
    const P: usize = 0,
    B: BiasMode = Bias,
    E: Element = f32,
    const D: usize = 1,
    const KW: usize = K,
    const SW: usize = S,
    const PW: usize = P,
    const DW: usize = D,
> {
    /// Weights, PyTorch layout `[C, 1, KH, KW]` (stored as `[C][KH][KW]`, the same order;
    /// `KH` = `K`).
    pub weight: [[[E; KW]; K]; C],
    /// Bias, `[C]` (absent with `NoBias`).
    pub bias: B::Store<E, C>,
}

crate::zeroable::zeroable_struct!([const C: usize, const K: usize, const S: usize, const P: usize, B: BiasMode, E: Element, const D: usize, const KW: usize, const SW: usize, const PW: usize, const DW: usize] DepthwiseConv2d<C, K, S, P, B, E, D, KW, SW, PW, DW> { weight, bias });

conv_core::params!(
    [const C: usize, const K: usize, const S: usize, const P: usize, B: BiasMode, E: Element,
     const D: usize, const KW: usize, const SW: usize, const PW: usize, const DW: usize]
    DepthwiseConv2d<C, K, S, P, B, E, D, KW, SW, PW, DW>, E, B: BiasMode,
    shape: [C, 1, K, KW], fan_in: K * KW,
    flat: as_flattened.as_flattened,
    flat_mut: as_flattened_mut.as_flattened_mut,
    in E2: DepthwiseConv2d<C, K, S, P, B, E2, D, KW, SW, PW, DW>
);

impl<
    const N: usize,
    const C: usize,
    const K: usize,
    const S: usize,
    const P: usize,
    B: BiasMode,
    E: Element,
    const D: usize,
    const KW: usize,
    const SW: usize,
    const PW: usize,
    const DW: usize,
    const H: usize,
    const W: usize,
    const HO: usize,
    const WO: usize,
> Layer<Tensor<N, C, H, W, E>> for DepthwiseConv2d<C, K, S, P, B, E, D, KW, SW, PW, DW>
where
    Dim<H>: Window<K, S, P, D, Out = Dim<HO>>,
    Dim<W>: Window<KW, SW, PW, DW, Out = Dim<WO>>,
{
    conv_core::layer_body!(
        Tensor<N, C, H, W, E> => Tensor<N, C, HO, WO, E>, E,
        Depthwise<DepthwiseGeom<N, C, H, W, HO, WO, K, S, P, D, KW, SW, PW, DW>>
    );
}

/// Depthwise-separable convolution: a [`DepthwiseConv2d`] (`CI` channels, kernel `K`, stride
/// `S`, padding `P`) followed by a pointwise (1×1) [`Conv2d`] `CI → CO`, as a plain chain.
///
/// This is the bare factorisation of a `K × K` convolution. MobileNet puts batch normalisation
/// and ReLU after each of the two convolutions; write that chain yourself, e.g.
/// `(DepthwiseConv2d<C, 3, 1, 1, NoBias>, BatchNorm2d<C>, Relu, Conv2d<C, CO, 1, 1, 0, NoBias>,
/// BatchNorm2d<CO>, Relu)`.
///
/// ```
/// use constnet::prelude::*;
/// type Block = DepthwiseSeparable<8, 16, 3, 1, 1>;
/// let block = Block::zeroed();
/// let x = Tensor::<2, 8, 10, 10>::zeros();
/// let mut y = Tensor::<2, 16, 10, 10>::zeros();
/// block.forward(&x, &mut y, &mut TraceOf::<Block, Tensor<2, 8, 10, 10>>::zeroed());
/// ```
pub type DepthwiseSeparable<
    const CI: usize,
    const CO: usize,
    const K: usize,
    const S: usize = 1,
    const P: usize = 0,
    B = Bias,
    E = f32,
> = (
    DepthwiseConv2d<CI, K, S, P, B, E>,
    Conv2d<CI, CO, 1, 1, 0, B, E>,
);

/// A depthwise convolution with its own kernel size, stride, padding and dilation along rows
/// and columns, in PyTorch's order (`DepthwiseConv2dHw<C, KH, KW, SH, SW, PH, PW>`): the same
/// type as [`DepthwiseConv2d`] with its column parameters given.
pub type DepthwiseConv2dHw<
    const C: usize,
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
> = DepthwiseConv2d<C, KH, SH, PH, B, E, DH, KW, SW, PW, DW>;
