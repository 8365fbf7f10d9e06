//! The compile-time geometry of a convolution ([`ConvGeometry`]) and its one implementation
//! from const parameters ([`Geom`]).

/// Compile-time geometry of a convolution.
pub trait ConvGeometry {
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
    /// Kernel size.
    const K: usize;
    /// Stride.
    const S: usize;
    /// Padding.
    const P: usize;
    /// Dilation.
    const D: usize;

    /// Input channels.
    const CI: usize = Self::G * Self::CIG;
    /// Output channels.
    const CO: usize = Self::G * Self::COG;
    /// Values of the input.
    const X_LEN: usize = Self::N * Self::CI * Self::H * Self::W;
    /// Values of the output.
    const Y_LEN: usize = Self::N * Self::CO * Self::HO * Self::WO;
    /// Values of the weight.
    const W_LEN: usize = Self::CO * Self::CIG * Self::K * Self::K;
    /// Multiply-adds of one forward pass.
    const MACS: usize = Self::Y_LEN * Self::CIG * Self::K * Self::K;
}

/// A [`ConvGeometry`] given by const parameters.
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
> ConvGeometry for Geom<N, G, CIG, COG, H, W, HO, WO, K, S, P, D>
{
    const N: usize = N;
    const G: usize = G;
    const CIG: usize = CIG;
    const COG: usize = COG;
    const H: usize = H;
    const W: usize = W;
    const HO: usize = HO;
    const WO: usize = WO;
    const K: usize = K;
    const S: usize = S;
    const P: usize = P;
    const D: usize = D;
}
