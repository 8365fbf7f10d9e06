//! [`Conv2d`]: 2-D convolution with stride, padding, dilation and an optional bias.

use crate::element::Element;
use crate::kernels::conv::Geom;
use crate::layer::Layer;
use crate::layers::bias::{Bias, BiasMode};
use crate::layers::conv_core::{self, Direct};
use crate::shape::{Dim, Window};
use crate::tensor::Tensor;

/// 2-D convolution (PyTorch's `nn.Conv2d`): `CI` → `CO` channels, kernel `K`, stride `S`,
/// padding `P` (zeros), dilation `D`, with a bias unless `B` is
/// [`NoBias`](crate::layers::NoBias).
///
/// `K`, `S`, `P`, `D` hold along rows and, by default, along columns; the last four
/// parameters give the columns their own (`KW`, `SW`, `PW`, `DW`). Spell a rectangular
/// convolution with [`Conv2dHw`] (PyTorch's order: `Conv2dHw<CI, CO, 1, 7, 1, 1, 0, 3>` is
/// `nn.Conv2d(CI, CO, (1, 7), padding=(0, 3))`).
///
/// On an input `Tensor<N, CI, H, W>` it gives `Tensor<N, CO, HO, WO>` with
/// `HO = ⌊(H + 2P − D·(K − 1) − 1) / S⌋ + 1` (and `WO` the same with the column values),
/// computed at compile time: a channel count that does not match, or a kernel that does not
/// fit, is a compile error.
///
/// ```
/// use constnet::prelude::*;
/// let conv = <Conv2d<1, 6, 5>>::zeroed();
/// let x = Tensor::<1, 1, 28, 28>::zeros();
/// let mut y = Tensor::<1, 6, 24, 24>::zeros(); // any other shape would not compile
/// conv.forward(&x, &mut y, &mut ());
/// ```
#[derive(Clone, Copy, Debug)]
pub struct Conv2d<
    const CI: usize,
    const CO: usize,
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
    /// Weights, PyTorch layout `[CO, CI, KH, KW]` (`KH` = `K`).
    pub weight: [[[[E; KW]; K]; CI]; CO],
    /// Bias, `[CO]` (absent with `NoBias`).
    pub bias: B::Store<E, CO>,
}

crate::zeroable::zeroable_struct!([const CI: usize, const CO: usize, const K: usize, const S: usize, const P: usize, B: BiasMode, E: Element, const D: usize, const KW: usize, const SW: usize, const PW: usize, const DW: usize] Conv2d<CI, CO, K, S, P, B, E, D, KW, SW, PW, DW> { weight, bias });

conv_core::params!(
    [const CI: usize, const CO: usize, const K: usize, const S: usize, const P: usize, B: BiasMode,
     E: Element, const D: usize, const KW: usize, const SW: usize, const PW: usize, const DW: usize]
    Conv2d<CI, CO, K, S, P, B, E, D, KW, SW, PW, DW>, E, B: BiasMode,
    shape: [CO, CI, K, KW], fan_in: CI * K * KW,
    flat: as_flattened.as_flattened.as_flattened,
    flat_mut: as_flattened_mut.as_flattened_mut.as_flattened_mut,
    in E2: Conv2d<CI, CO, K, S, P, B, E2, D, KW, SW, PW, DW>
);

impl<
    const N: usize,
    const CI: usize,
    const CO: usize,
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
> Layer<Tensor<N, CI, H, W, E>> for Conv2d<CI, CO, K, S, P, B, E, D, KW, SW, PW, DW>
where
    Dim<H>: Window<K, S, P, D, Out = Dim<HO>>,
    Dim<W>: Window<KW, SW, PW, DW, Out = Dim<WO>>,
{
    conv_core::layer_body!(
        Tensor<N, CI, H, W, E> => Tensor<N, CO, HO, WO, E>, E,
        Direct<Geom<N, 1, CI, CO, H, W, HO, WO, K, S, P, D, KW, SW, PW, DW>>
    );
}

/// A 2-D convolution with its own kernel size, stride, padding and dilation along rows (`…H`)
/// and columns (`…W`), in PyTorch's order: `Conv2dHw<CI, CO, KH, KW, SH, SW, PH, PW>` is
/// `nn.Conv2d(CI, CO, (KH, KW), (SH, SW), (PH, PW))`. The same type as [`Conv2d`] with its
/// column parameters given (so `Conv2dHw<C, C, 3, 3>` is `Conv2d<C, C, 3>`).
///
/// ```
/// use constnet::prelude::*;
/// // Inception-v3's 1 × 7 convolution: 17 × 17 stays 17 × 17.
/// let conv = <Conv2dHw<4, 6, 1, 7, 1, 1, 0, 3>>::zeroed();
/// let x = Tensor::<1, 4, 17, 17>::zeros();
/// let mut y = Tensor::<1, 6, 17, 17>::zeros();
/// conv.forward(&x, &mut y, &mut ());
/// ```
pub type Conv2dHw<
    const CI: usize,
    const CO: usize,
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
> = Conv2d<CI, CO, KH, SH, PH, B, E, DH, KW, SW, PW, DW>;

/// A dilated 2-D convolution with the dilation in fourth place and the bias and element type
/// after it: `DilatedConv2d<CI, CO, K, S, P, D>` is `nn.Conv2d(CI, CO, K, S, P, dilation=D)`,
/// the same type as `Conv2d<CI, CO, K, S, P, Bias, f32, D>` (whose dilation comes after the
/// bias and element type, the rarely written parameters last).
///
/// ```
/// use constnet::prelude::*;
/// // A 3 × 3 kernel of dilation 2 reads a 5 × 5 window: 9 × 9 with padding 2 stays 9 × 9.
/// let conv = <DilatedConv2d<2, 4, 3, 1, 2, 2>>::zeroed();
/// let x = Tensor::<1, 2, 9, 9>::zeros();
/// let mut y = Tensor::<1, 4, 9, 9>::zeros();
/// conv.forward(&x, &mut y, &mut ());
/// let same: Conv2d<2, 4, 3, 1, 2, Bias, f32, 2> = conv;
/// # let _ = same;
/// ```
pub type DilatedConv2d<
    const CI: usize,
    const CO: usize,
    const K: usize,
    const S: usize,
    const P: usize,
    const D: usize,
    B = Bias,
    E = f32,
> = Conv2d<CI, CO, K, S, P, B, E, D>;
