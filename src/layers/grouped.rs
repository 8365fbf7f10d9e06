//! Grouped and depthwise convolutions: [`GroupedConv2d`], [`DepthwiseConv2d`],
//! [`DepthwiseSeparable`].
//!
//! * [`GroupedConv2d`] splits the channels into `G` independent groups (PyTorch's `groups=G`,
//!   ResNeXt, AlexNet's two towers) and runs the general convolution kernel
//!   ([`kernels::conv`](crate::kernels::conv)) with `G` groups.
//! * [`DepthwiseConv2d`] is the extreme case `groups = channels` (MobileNet). Each output reads
//!   only `K²` inputs, so it is memory-bound rather than a matrix product, and has its own kernel
//!   ([`kernels::depthwise`](crate::kernels::depthwise)). It computes the same function as
//!   `GroupedConv2d<C, 1, 1, K, S, P>` with the same weights, through the same kernel (the
//!   general convolution hands one-channel groups to it).

use crate::element::Element;
use crate::kernels::conv::{self, Geom};
use crate::kernels::depthwise::{self, DepthwiseGeom};
use crate::layer::{Input, Io, Layer};
use crate::layers::bias::{Bias, BiasMode, NoBias};
use crate::layers::conv2d::Conv2d;
use crate::shape::{Check, Dim, MulDim, Window};
use crate::tensor::Tensor;
use crate::visit::{Module, Path, TensorInfo, Visitor, parts};
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
/// [`Conv2d`]). An input whose channel count is not `G·CIG` is a compile error.
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

impl<
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
> GroupedConv2d<G, CIG, COG, K, S, P, B, E, D, KW, SW, PW, DW>
{
    /// The weights as one flat slice (`[G·COG, CIG, K, K]`).
    #[inline]
    pub fn weight_flat(&self) -> &[E] {
        self.weight
            .as_flattened()
            .as_flattened()
            .as_flattened()
            .as_flattened()
    }
    /// The weights as one flat mutable slice.
    #[inline]
    pub fn weight_flat_mut(&mut self) -> &mut [E] {
        self.weight
            .as_flattened_mut()
            .as_flattened_mut()
            .as_flattened_mut()
            .as_flattened_mut()
    }
}

impl<
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
> Module<E> for GroupedConv2d<G, CIG, COG, K, S, P, B, E, D, KW, SW, PW, DW>
{
    fn visit<V: Visitor<E, KK>, const KK: usize>(
        mut m: [&mut Self; KK],
        path: &Path<'_>,
        v: &mut V,
    ) {
        let fan_in = CIG * K * KW;
        let p = path.field("weight");
        v.tensor(
            TensorInfo::param(&p, &[G * COG, CIG, K, KW], fan_in),
            parts(&mut m, |l| l.weight_flat_mut()),
        );
        if <B as GroupBias>::get(&m[0].bias).is_some() {
            let p = path.field("bias");
            v.tensor(
                TensorInfo::param(&p, &[G * COG], fan_in),
                parts(&mut m, |l| {
                    <B as GroupBias>::get_mut(&mut l.bias)
                        .expect("bias presence is a type property")
                }),
            );
        }
    }
}

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
    type Output = Tensor<N, CO, HO, WO, E>;
    type Trace = ();
    type Training = Check<true>;

    #[inline]
    fn forward(&self, x: &Tensor<N, CI, H, W, E>, y: &mut Self::Output, _: &mut ()) {
        Layer::<Tensor<N, CI, H, W, E>>::infer_io(self, Io::apart_of(x, y), &mut []);
    }

    #[inline]
    fn infer_io(&self, io: Io<'_, E>, _: &mut [E]) {
        let (x, y) = io.apart();
        conv::forward::<Geom<N, G, CIG, COG, H, W, HO, WO, K, S, P, D, KW, SW, PW, DW>, E>(
            x,
            self.weight_flat(),
            <B as GroupBias>::get(&self.bias),
            y,
        );
    }

    #[inline]
    fn forward_train_unchecked(
        &mut self,
        x: &Tensor<N, CI, H, W, E>,
        y: &mut Self::Output,
        t: &mut (),
    ) {
        self.forward(x, y, t)
    }

    fn backward(
        &self,
        x: Input<'_, Tensor<N, CI, H, W, E>>,
        _: &mut (),
        dy: &Self::Output,
        grads: &mut Self,
    ) {
        conv::backward_weight::<Geom<N, G, CIG, COG, H, W, HO, WO, K, S, P, D, KW, SW, PW, DW>, E>(
            x.get().as_slice(),
            dy.as_slice(),
            grads
                .weight
                .as_flattened_mut()
                .as_flattened_mut()
                .as_flattened_mut()
                .as_flattened_mut(),
            <B as GroupBias>::get_mut(&mut grads.bias),
        );
        if let Some(dx) = x.into_grad() {
            conv::backward_data::<Geom<N, G, CIG, COG, H, W, HO, WO, K, S, P, D, KW, SW, PW, DW>, E>(
                dy.as_slice(),
                self.weight_flat(),
                dx.as_mut_slice(),
            );
        }
    }

    fn flops() -> u64 {
        (2 * N * G * COG * HO * WO * CIG * K * KW) as u64
    }
}

/// Depthwise 2-D convolution (PyTorch's `nn.Conv2d(C, C, K, groups=C)`): one `K × K` filter per
/// channel, stride `S`, padding `P`, dilation `D`, with a bias unless `B` is [`NoBias`]. The
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

impl<
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
> DepthwiseConv2d<C, K, S, P, B, E, D, KW, SW, PW, DW>
{
    /// The weights as one flat slice (`[C, 1, K, K]`).
    #[inline]
    pub fn weight_flat(&self) -> &[E] {
        self.weight.as_flattened().as_flattened()
    }
    /// The weights as one flat mutable slice.
    #[inline]
    pub fn weight_flat_mut(&mut self) -> &mut [E] {
        self.weight.as_flattened_mut().as_flattened_mut()
    }
}

impl<
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
> Module<E> for DepthwiseConv2d<C, K, S, P, B, E, D, KW, SW, PW, DW>
{
    fn visit<V: Visitor<E, KK>, const KK: usize>(
        mut m: [&mut Self; KK],
        path: &Path<'_>,
        v: &mut V,
    ) {
        let fan_in = K * KW;
        let p = path.field("weight");
        v.tensor(
            TensorInfo::param(&p, &[C, 1, K, KW], fan_in),
            parts(&mut m, |l| l.weight_flat_mut()),
        );
        if B::get(&m[0].bias).is_some() {
            let p = path.field("bias");
            v.tensor(
                TensorInfo::param(&p, &[C], fan_in),
                parts(&mut m, |l| {
                    B::get_mut(&mut l.bias).expect("bias presence is a type property")
                }),
            );
        }
    }
}

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
    type Output = Tensor<N, C, HO, WO, E>;
    type Trace = ();
    type Training = Check<true>;

    #[inline]
    fn forward(&self, x: &Tensor<N, C, H, W, E>, y: &mut Self::Output, _: &mut ()) {
        Layer::<Tensor<N, C, H, W, E>>::infer_io(self, Io::apart_of(x, y), &mut []);
    }

    #[inline]
    fn infer_io(&self, io: Io<'_, E>, _: &mut [E]) {
        let (x, y) = io.apart();
        depthwise::forward::<DepthwiseGeom<N, C, H, W, HO, WO, K, S, P, D, KW, SW, PW, DW>, E>(
            x,
            self.weight_flat(),
            B::get(&self.bias),
            y,
        );
    }

    #[inline]
    fn forward_train_unchecked(
        &mut self,
        x: &Tensor<N, C, H, W, E>,
        y: &mut Self::Output,
        t: &mut (),
    ) {
        self.forward(x, y, t)
    }

    fn backward(
        &self,
        x: Input<'_, Tensor<N, C, H, W, E>>,
        _: &mut (),
        dy: &Self::Output,
        grads: &mut Self,
    ) {
        depthwise::backward_weight::<
            DepthwiseGeom<N, C, H, W, HO, WO, K, S, P, D, KW, SW, PW, DW>,
            E,
        >(
            x.get().as_slice(),
            dy.as_slice(),
            grads.weight.as_flattened_mut().as_flattened_mut(),
            B::get_mut(&mut grads.bias),
        );
        if let Some(dx) = x.into_grad() {
            depthwise::backward_data::<
                DepthwiseGeom<N, C, H, W, HO, WO, K, S, P, D, KW, SW, PW, DW>,
                E,
            >(dy.as_slice(), self.weight_flat(), dx.as_mut_slice());
        }
    }

    fn flops() -> u64 {
        (2 * N * C * HO * WO * K * KW) as u64
    }
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
