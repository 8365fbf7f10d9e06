//! The compile-time geometry of a convolution ([`ConvGeometry`]) and its one implementation
//! from const parameters ([`Geom`]).

use crate::kernels::window::KernelWindow;

/// Compile-time geometry of a convolution (its kernel window: [`KernelWindow`]).
pub trait ConvGeometry: KernelWindow {
    /// Batch size.
    const N: usize;
    /// Groups.
    const G: usize;
    /// Input channels per group.
    const CIG: usize;
    /// Output channels per group.
    const COG: usize;
    /// Input height.
    const H: usize;
    /// Input width.
    const W: usize;
    /// Output height.
    const HO: usize;
    /// Output width.
    const WO: usize;

    /// Input channels.
    const CI: usize = Self::G * Self::CIG;
    /// Output channels.
    const CO: usize = Self::G * Self::COG;
    /// Values of the input.
    const X_LEN: usize = Self::N * Self::CI * Self::H * Self::W;
    /// Values of the output.
    const Y_LEN: usize = Self::N * Self::CO * Self::HO * Self::WO;
    /// Values of the weight.
    const W_LEN: usize = Self::CO * Self::CIG * Self::KH * Self::KW;
    /// Multiply-adds of one forward pass.
    const MACS: usize = Self::Y_LEN * Self::CIG * Self::KH * Self::KW;
}

/// A [`ConvGeometry`] given by const parameters: `K`, `S`, `P`, `D` are the kernel height, the
/// strides, paddings and dilation along rows, and by default along columns too; `KW`, `SW`,
/// `PW`, `DW` give the columns' own.
pub struct Geom<
    const N: usize,
    const G: usize,
    const CIG: usize,
    const COG: usize,
    const H: usize,
    const W: usize,
    const HO: usize,
    const WO: usize,
    const K: usize,
    const S: usize,
    const P: usize,
    const D: usize,
    const KW: usize = K,
    const SW: usize = S,
    const PW: usize = P,
    const DW: usize = D,
>;

impl<
    const N: usize,
    const G: usize,
    const CIG: usize,
    const COG: usize,
    const H: usize,
    const W: usize,
    const HO: usize,
    const WO: usize,
    const K: usize,
    const S: usize,
    const P: usize,
    const D: usize,
    const KW: usize,
    const SW: usize,
    const PW: usize,
    const DW: usize,
> ConvGeometry for Geom<N, G, CIG, COG, H, W, HO, WO, K, S, P, D, KW, SW, PW, DW>
{
    const N: usize = N;
    const G: usize = G;
    const CIG: usize = CIG;
    const COG: usize = COG;
    const H: usize = H;
    const W: usize = W;
    const HO: usize = HO;
    const WO: usize = WO;
}

impl<
    const N: usize,
    const G: usize,
    const CIG: usize,
    const COG: usize,
    const H: usize,
    const W: usize,
    const HO: usize,
    const WO: usize,
    const K: usize,
    const S: usize,
    const P: usize,
    const D: usize,
    const KW: usize,
    const SW: usize,
    const PW: usize,
    const DW: usize,
> KernelWindow for Geom<N, G, CIG, COG, H, W, HO, WO, K, S, P, D, KW, SW, PW, DW>
{
    const KH: usize = K;
    const KW: usize = KW;
    const SH: usize = S;
    const SW: usize = SW;
    const PH: usize = P;
    const PW: usize = PW;
    const DH: usize = D;
    const DW: usize = DW;
}
