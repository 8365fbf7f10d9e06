//! [`ConvTranspose2d`]: 2-D transposed convolution ("deconvolution"), PyTorch's
//! `nn.ConvTranspose2d`.
//!
//! No kernel of its own: a transposed convolution `CI → CO` from `H` to
//! `HO = (H − 1)·S − 2P + D·(K − 1) + OP + 1` **is** the input gradient of the convolution
//! `CO → CI` from `HO` to `H` with the same weight tensor (`[CI, CO, K, K]` is exactly that
//! convolution's `[out, in, K, K]` layout). So
//!
//! | transposed convolution | computed by (the convolution `CO → CI`, `HO → H`) |
//! |---|---|
//! | forward `y = convᵀ(x, w) + b` | [`conv::backward_data`] with `dy := x`, `dx := y`, then the bias |
//! | input gradient `dx = conv(dy, w)` | [`conv::forward`] with `x := dy`, no bias |
//! | weight gradient | [`conv::backward_weight`] with the roles of `x` and `dy` swapped |
//!
//! That convolution must be an ordinary one: its output size for an input of `HO` must be `H`.
//! `⌊(HO + 2P − D·(K−1) − 1) / S⌋ + 1 = ⌊((H − 1)·S + OP) / S⌋ + 1`, which is `H` exactly when
//! `OP < S`. PyTorch also accepts `S ≤ OP < D` (output padding below the dilation); those
//! geometries are rejected at compile time ([`OutputPaddingBelowStride`]) rather than handed to a
//! convolution kernel whose geometry would be inconsistent.

use crate::element::Element;
#[cfg(doc)]
use crate::kernels::conv;
use crate::kernels::conv::Geom;
use crate::layer::Layer;
use crate::layers::bias::{Bias, BiasMode};
use crate::layers::conv_core::{self, Transposed};
use crate::shape::{Dim, TransposedWindow};
use crate::tensor::Tensor;

/// 2-D transposed convolution (PyTorch's `nn.ConvTranspose2d`, `groups = 1`): `CI` → `CO`
/// channels, square kernel `K`, stride `S`, padding `P`, output padding `OP`, dilation `D`, with a
/// bias unless `B` is [`NoBias`](crate::layers::NoBias).
///
/// On an input `Tensor<N, CI, H, W>` it gives `Tensor<N, CO, HO, WO>` with
/// `HO = (H − 1)·S − 2P + D·(K − 1) + OP + 1`, computed at compile time. Output padding must be
/// smaller than the stride (see the [module documentation](self) for why PyTorch's looser
/// `OP < max(S, D)` is not accepted).
///
/// The forward pass scatters every input value through the kernel:
/// `y[n, o, i·S − P + u·D, j·S − P + v·D] += x[n, c, i, j] · w[c, o, u, v]`.
///
/// ```
/// use constnet::prelude::*;
/// // Upsample 4×4 → 8×8 (stride 2, padding 1, output padding 1).
/// let up = <ConvTranspose2d<2, 3, 3, 2, 1, 1>>::zeroed();
/// let x = Tensor::<1, 2, 4, 4>::zeros();
/// let mut y = Tensor::<1, 3, 8, 8>::zeros(); // any other shape would not compile
/// up.forward(&x, &mut y, &mut ());
/// ```
#[derive(Clone, Copy, Debug)]
pub struct ConvTranspose2d<
    const CI: usize,
    const CO: usize,
    const K: usize,
    const S: usize = 1,
    const P: usize = 0,
    const OP: usize = 0,
    B: BiasMode = Bias,
    E: Element = f32,
    const D: usize = 1,
    const KW: usize = K,
    const SW: usize = S,
    const PW: usize = P,
    const OPW: usize = OP,
    const DW: usize = D,
> {
    /// Weights, PyTorch layout `[CI, CO, KH, KW]` (input channels first; `KH` = `K`).
    pub weight: [[[[E; KW]; K]; CO]; CI],
    /// Bias, `[CO]` (absent with `NoBias`).
    pub bias: B::Store<E, CO>,
}

pub use crate::shape::{BelowStride, OutputPaddingBelowStride};

crate::zeroable::zeroable_struct!([const CI: usize, const CO: usize, const K: usize, const S: usize, const P: usize, const OP: usize, B: BiasMode, E: Element, const D: usize, const KW: usize, const SW: usize, const PW: usize, const OPW: usize, const DW: usize] ConvTranspose2d<CI, CO, K, S, P, OP, B, E, D, KW, SW, PW, OPW, DW> { weight, bias });

// (PyTorch computes the fan-in of a `[CI, CO, K, K]` weight from its dimension 1.)
conv_core::params!(
    [const CI: usize, const CO: usize, const K: usize, const S: usize, const P: usize,
     const OP: usize, B: BiasMode, E: Element, const D: usize, const KW: usize, const SW: usize,
     const PW: usize, const OPW: usize, const DW: usize]
    ConvTranspose2d<CI, CO, K, S, P, OP, B, E, D, KW, SW, PW, OPW, DW>, E, B: BiasMode,
    shape: [CI, CO, K, KW], fan_in: CO * K * KW,
    flat: as_flattened.as_flattened.as_flattened,
    flat_mut: as_flattened_mut.as_flattened_mut.as_flattened_mut,
    in E2: ConvTranspose2d<CI, CO, K, S, P, OP, B, E2, D, KW, SW, PW, OPW, DW>
);

/// The convolution `CO → CI`, `HO × WO → H × W` whose input gradient is this transposed
/// convolution.
type Adjoint<
    const N: usize,
    const CI: usize,
    const CO: usize,
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
> = Geom<N, 1, CO, CI, HO, WO, H, W, K, S, P, D, KW, SW, PW, DW>;

impl<
    const N: usize,
    const CI: usize,
    const CO: usize,
    const K: usize,
    const S: usize,
    const P: usize,
    const OP: usize,
    B: BiasMode,
    E: Element,
    const D: usize,
    const KW: usize,
    const SW: usize,
    const PW: usize,
    const OPW: usize,
    const DW: usize,
    const H: usize,
    const W: usize,
    const HO: usize,
    const WO: usize,
> Layer<Tensor<N, CI, H, W, E>>
    for ConvTranspose2d<CI, CO, K, S, P, OP, B, E, D, KW, SW, PW, OPW, DW>
where
    Dim<H>: TransposedWindow<K, S, P, OP, D, Out = Dim<HO>>,
    Dim<W>: TransposedWindow<KW, SW, PW, OPW, DW, Out = Dim<WO>>,
    Dim<OP>: OutputPaddingBelowStride<S>,
    Dim<OPW>: OutputPaddingBelowStride<SW>,
{
    conv_core::layer_body!(
        Tensor<N, CI, H, W, E> => Tensor<N, CO, HO, WO, E>, E,
        Transposed<Adjoint<N, CI, CO, H, W, HO, WO, K, S, P, D, KW, SW, PW, DW>>
    );
}

/// A transposed convolution with its own kernel size, stride, padding, output padding and
/// dilation along rows and columns, in PyTorch's order:
/// `ConvTranspose2dHw<CI, CO, KH, KW, SH, SW, PH, PW, OPH, OPW>` is
/// `nn.ConvTranspose2d(CI, CO, (KH, KW), (SH, SW), (PH, PW), (OPH, OPW))`. The same type as
/// [`ConvTranspose2d`] with its column parameters given.
pub type ConvTranspose2dHw<
    const CI: usize,
    const CO: usize,
    const KH: usize,
    const KW: usize,
    const SH: usize = 1,
    const SW: usize = SH,
    const PH: usize = 0,
    const PW: usize = PH,
    const OPH: usize = 0,
    const OPW: usize = OPH,
    B = Bias,
    E = f32,
    const DH: usize = 1,
    const DW: usize = DH,
> = ConvTranspose2d<CI, CO, KH, SH, PH, OPH, B, E, DH, KW, SW, PW, OPW, DW>;

/// A dilated 2-D transposed convolution with the dilation right after the output padding and
/// the bias and element type after it: `DilatedConvTranspose2d<CI, CO, K, S, P, OP, D>` is
/// `nn.ConvTranspose2d(CI, CO, K, S, P, OP, dilation=D)`, the same type as
/// `ConvTranspose2d<CI, CO, K, S, P, OP, Bias, f32, D>`.
///
/// ```
/// use constnet::prelude::*;
/// // 4 × 4 → (4 − 1)·2 − 2·1 + 2·(3 − 1) + 1 + 1 = 10 × 10.
/// let up = <DilatedConvTranspose2d<2, 3, 3, 2, 1, 1, 2>>::zeroed();
/// let x = Tensor::<1, 2, 4, 4>::zeros();
/// let mut y = Tensor::<1, 3, 10, 10>::zeros();
/// up.forward(&x, &mut y, &mut ());
/// let same: ConvTranspose2d<2, 3, 3, 2, 1, 1, Bias, f32, 2> = up;
/// # let _ = same;
/// ```
pub type DilatedConvTranspose2d<
    const CI: usize,
    const CO: usize,
    const K: usize,
    const S: usize,
    const P: usize,
    const OP: usize,
    const D: usize,
    B = Bias,
    E = f32,
> = ConvTranspose2d<CI, CO, K, S, P, OP, B, E, D>;
