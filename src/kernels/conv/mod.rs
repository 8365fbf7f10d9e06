//! Grouped 2-D convolution (cross-correlation, PyTorch semantics) over flat `N, C, H, W` slices.
//!
//! Geometry ([`ConvGeometry`]): batch `N`, `G` groups of `CIG` input and `COG` output channels,
//! input `H × W`, output `HO × WO`, square kernel `K`, stride `S`, padding `P`, dilation `D`.
//! Weight layout is PyTorch's `[G·COG, CIG, K, K]`.
//!
//! `y[n, g·COG + o, i, j] = Σ_{c,u,v} x[n, g·CIG + c, i·S − P + u·D, j·S − P + v·D] · w[g·COG + o, c, u, v]`
//!
//! # How it is computed
//!
//! All three passes run on register-tiled micro-kernels, without a branch per element:
//!
//! * **Output-stationary tiles** (`direct`): a tile of `MC` output channels × `L` output columns
//!   of one output row lives in registers (`6 × 16` for `f32`: twelve 8-lane registers) while the
//!   whole reduction over input channels and kernel taps runs; every step loads one row segment
//!   of the input, broadcasts `MC` weights and issues `MC · L / 8` fused multiply-adds. It
//!   computes the forward pass, the data-backward pass (a convolution of `dy` with the
//!   transposed weights; for stride `S > 1` split into `S` row and `S` column phases so that
//!   the input side stays contiguous and each phase packs only its kernel taps), and dense
//!   layers on `1 × 1` maps (a GEMM). The weights of a pass are packed into a 16 KiB stack
//!   buffer (`PACK_BYTES`). Common kernel shapes have micro-kernels with constant trip counts
//!   (`tile_fixed`). Stride-2 rows read every other input column: with an even kernel the
//!   input's columns are first split by parity into a 24 KiB stack buffer, a block of channels
//!   at a time (`direct_split`), and the stride-1 tiles run on that; otherwise each tile
//!   shuffles the even columns out of consecutive loads, its lanes in the shuffle's order
//!   (`lanes::lane_order`).
//! * **Output channels along the lanes** (`wgrad`): the weight gradient is a matrix product
//!   reduced over output positions. A block of positions of `dy` is transposed into a 32 KiB
//!   stack buffer (`WGRAD_PACK_BYTES`), then a tile of 16 output channels × 6 weight rows
//!   `(c, u, v)` takes, per position, two vector loads, six broadcast input values and twelve
//!   fused multiply-adds, with no horizontal sums. Dense layers' forward pass uses dot products
//!   (`dense_forward`).
//!
//! * **Small maps on AVX-512** (`padded`): rows of at most 16 outputs with many channels run
//!   with the positions along the lanes across rows, on a zero-padded copy of the input.
//!
//! Padding is handled per tap and per tile, never per element: each tap of a tile knows the
//! range of its lanes (or, in `wgrad`, of output positions) that read inside the input; lanes
//! outside are zero (a vector select), positions outside are not visited, and a tap whose range
//! is empty is skipped. Every size is a run-time value inside the
//! kernels (the public functions pass the compile-time geometry down), so the micro-kernels
//! are compiled once per element type instead of once per layer shape.

use crate::kernels::depthwise::{self, DepthwiseGeometry};
use crate::kernels::element::Element;
use crate::kernels::isa::{Isa, Level, dispatch};
use crate::kernels::lanes::{
    fmadd, hsum, is_f32, keep, lane_order, lanes, load, one_vector, store_prefix, sum,
};
use crate::kernels::pointwise;
use core::marker::PhantomData;

#[cfg(target_arch = "x86_64")]
mod padded;

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

// =============================================================================================
// Public entry points
// =============================================================================================

/// Forward: `y = conv(x, w) (+ bias)`. Overwrites `y`.
pub fn forward<C: ConvGeometry, E: Element>(x: &[E], w: &[E], bias: Option<&[E]>, y: &mut [E]) {
    let (x, w, y) = (&x[..C::X_LEN], &w[..C::W_LEN], &mut y[..C::Y_LEN]);
    let bias = bias.map(|b| &b[..C::CO]);
    if const { is_dense::<C>() } {
        dense_forward(x, w, bias, y, C::N, C::CIG, C::COG);
        return;
    }
    if const { is_depthwise::<C>() } {
        depthwise::forward::<AsDepthwise<C>, E>(x, w, bias, y);
        return;
    }
    let d = Direct::forward::<C>();
    let kk = C::K * C::K;
    let (x_n, y_n) = (C::CI * C::H * C::W, C::CO * C::HO * C::WO);
    let batched = d.samples::<E>(C::N, x_n, y_n);
    let (d, samples) = match batched {
        Some(d) => (d, 1),
        None => (d, C::N),
    };
    for n in 0..samples {
        for g in 0..C::G {
            let init = match bias {
                Some(b) => Init::Bias(&b[g * C::COG..][..C::COG]),
                None => Init::Zero,
            };
            direct(
                &d,
                x,
                n * x_n + g * C::CIG * C::H * C::W,
                w,
                g * C::COG * C::CIG * kk,
                y,
                n * y_n + g * C::COG * C::HO * C::WO,
                init,
            );
        }
    }
}

/// Backward-data: `dx = convᵀ(dy, w)`, the input gradient. Overwrites `dx`.
///
/// This is also the forward pass of a transposed convolution (see [`transposed_forward`] for
/// one with a bias).
pub fn backward_data<C: ConvGeometry, E: Element>(dy: &[E], w: &[E], dx: &mut [E]) {
    transposed_forward::<C, E>(dy, w, None, dx);
}

/// The forward pass of the transposed convolution of `C`: `y = convᵀ(x, w) (+ bias)`, with
/// `x` shaped like `C`'s output, `y` like its input and `bias` one value per channel of `y`.
/// Overwrites `y`. The bias is the accumulators' starting value in the convolution kernels (no
/// second pass over `y`).
pub fn transposed_forward<C: ConvGeometry, E: Element>(
    x: &[E],
    w: &[E],
    bias: Option<&[E]>,
    y: &mut [E],
) {
    let (dy, w, dx) = (&x[..C::Y_LEN], &w[..C::W_LEN], &mut y[..C::X_LEN]);
    let bias = bias.map(|b| &b[..C::CI]);
    if is_dense::<C>() || is_depthwise::<C>() {
        if const { is_depthwise::<C>() } {
            depthwise::backward_data::<AsDepthwise<C>, E>(dy, w, dx);
        } else if const { C::N <= DENSE_AXPY_N } {
            // dx[n, :] = Σ_o dy[n, o] · w[o, :], row by row.
            let dx = &mut *dx;
            dispatch!(E, |isa| {
                for (dx, dy) in dx.chunks_exact_mut(C::CIG).zip(dy.chunks_exact(C::COG)) {
                    dx.fill(E::zero());
                    for (&a, w) in dy.iter().zip(w.chunks_exact(C::CIG)) {
                        axpy(isa, a, w, dx);
                    }
                }
            });
        } else {
            // dx[n, i] = Σ_o dy[n, o] · w[o, i]: rows of `w` combined with the weights `dy`.
            let d = Direct::gemm(C::N, C::COG, C::CIG, C::COG, 1);
            direct(&d, w, 0, dy, 0, dx, 0, Init::Zero);
        }
        // (these start from zero: the bias is a pass of its own)
        if let Some(b) = bias {
            pointwise::add_channel_bias(dx, b, C::H * C::W);
        }
        return;
    }
    let d = Direct::transposed::<C>();
    let kk = C::K * C::K;
    let (dy_n, dx_n) = (C::CO * C::HO * C::WO, C::CI * C::H * C::W);
    let batched = d.samples::<E>(C::N, dy_n, dx_n);
    let (d, samples) = match batched {
        Some(d) => (d, 1),
        None => (d, C::N),
    };
    for n in 0..samples {
        for g in 0..C::G {
            let init = match bias {
                Some(b) => Init::Bias(&b[g * C::CIG..][..C::CIG]),
                None => Init::Zero,
            };
            direct(
                &d,
                dy,
                n * dy_n + g * C::COG * C::HO * C::WO,
                w,
                g * C::COG * C::CIG * kk,
                dx,
                n * dx_n + g * C::CIG * C::H * C::W,
                init,
            );
        }
    }
}

/// Backward-weight: `dw += Σ dy ⊗ x` and, if given, `dbias += Σ dy`. Accumulates.
pub fn backward_weight<C: ConvGeometry, E: Element>(
    x: &[E],
    dy: &[E],
    dw: &mut [E],
    dbias: Option<&mut [E]>,
) {
    let (x, dy, dw) = (&x[..C::X_LEN], &dy[..C::Y_LEN], &mut dw[..C::W_LEN]);
    if const { is_depthwise::<C>() } {
        depthwise::backward_weight::<AsDepthwise<C>, E>(x, dy, dw, dbias);
        return;
    }
    let ohw = C::HO * C::WO;
    if let Some(db) = dbias {
        dispatch!(E, |_isa| {
            for n in 0..C::N {
                for (co, db) in db[..C::CO].iter_mut().enumerate() {
                    *db += sum(&dy[(n * C::CO + co) * ohw..][..ohw]);
                }
            }
        });
    }
    if const { is_dense::<C>() && C::N <= DENSE_AXPY_N } {
        // dw[o, :] += dy[n, o] · x[n, :], row by row.
        dispatch!(E, |isa| {
            for (x, dy) in x.chunks_exact(C::CIG).zip(dy.chunks_exact(C::COG)) {
                for (&a, dw) in dy.iter().zip(dw.chunks_exact_mut(C::CIG)) {
                    axpy(isa, a, x, dw);
                }
            }
        });
        return;
    }
    if const { is_dense::<C>() } {
        // dw[o, i] += Σ_n dy[n, o] · x[n, i]: rows of `x` combined with the weights `dyᵀ`.
        let d = Direct::gemm(C::COG, C::N, C::CIG, 1, C::COG);
        direct(&d, x, 0, dy, 0, dw, 0, Init::Load);
        return;
    }
    let q = Reduce::of::<C>();
    let kk = C::K * C::K;
    for g in 0..C::G {
        wgrad(
            &q,
            x,
            g * C::CIG * C::H * C::W,
            dy,
            g * C::COG * ohw,
            dw,
            g * C::COG * C::CIG * kk,
        );
    }
}

/// Batches up to this size run the backward passes of dense layers as rows of multiply-adds
/// ([`axpy`]): a matrix product with so few rows is all tile setup (at `N = 1`, `Linear<256, 120>`
/// forward + backward took 21.4 µs through the tiles, 6.1 µs this way).
const DENSE_AXPY_N: usize = 4;

/// `y += a · x`, element-wise (vectorised by the compiler).
#[inline]
fn axpy<I: Isa, E: Element>(_isa: I, a: E, x: &[E], y: &mut [E]) {
    for (y, &x) in y.iter_mut().zip(x) {
        *y = fmadd::<I, _>(a, x, *y);
    }
}

/// One input and one output channel per group: a depthwise convolution, computed by
/// [`kernels::depthwise`](crate::kernels::depthwise) (the same kernel as `DepthwiseConv2d`).
const fn is_depthwise<C: ConvGeometry>() -> bool {
    C::G > 1 && C::CIG == 1 && C::COG == 1
}

/// A [`ConvGeometry`] with one channel per group, as a [`DepthwiseGeometry`].
struct AsDepthwise<C>(PhantomData<C>);

impl<C: ConvGeometry> DepthwiseGeometry for AsDepthwise<C> {
    const N: usize = C::N;
    const C: usize = C::G;
    const H: usize = C::H;
    const W: usize = C::W;
    const HO: usize = C::HO;
    const WO: usize = C::WO;
    const K: usize = C::K;
    const S: usize = C::S;
    const P: usize = C::P;
    const D: usize = C::D;
}

/// A dense layer: `1 × 1` maps, `1 × 1` kernel, one group. The batch is then the only "pixel"
/// dimension, strided by the channel count, so these run as matrix products over rows.
const fn is_dense<C: ConvGeometry>() -> bool {
    C::H == 1 && C::W == 1 && C::HO == 1 && C::WO == 1 && C::K == 1 && C::P == 0 && C::G == 1
}

// =============================================================================================
// Output-stationary tiles
// =============================================================================================

/// One group of one sample as an output-stationary problem:
///
/// `out[m, oy, ox] (=|+=) Σ_r Σ_(u,v) in[r, iy, ix] · w[m·w_m + r·w_r + u·k + v]` with
/// `iy = oy·s − p + u·d` (forward) or `iy = (oy + p − u·d) / s` when that divides exactly
/// (transposed), and the same for columns.
#[derive(Clone, Copy, Debug)]
struct Direct {
    /// Output channels.
    m: usize,
    /// Reduction channels (input channels of this problem).
    r: usize,
    in_h: usize,
    in_w: usize,
    /// Distance between two input channels.
    in_plane: usize,
    out_h: usize,
    out_w: usize,
    /// Distance between two output channels.
    out_plane: usize,
    /// Weight distance between two output channels.
    w_m: usize,
    /// Weight distance between two reduction channels.
    w_r: usize,
    k: usize,
    s: usize,
    p: usize,
    d: usize,
    transposed: bool,
    /// The input is a column-split copy ([`direct_split`]): channel `r` holds the columns
    /// `2i + r mod 2 − p` of input channel `r / 2`, so kernel column `t` of channel `r` is
    /// weight column `2t + r mod 2`, read at lane stride 1 without padding.
    split: bool,
    /// Samples in one problem (they share the packed weights), and their distances in the
    /// input and the output.
    n: usize,
    x_n: usize,
    y_n: usize,
}

/// How a tile's accumulators start.
#[derive(Clone, Copy)]
enum Init<'a, E> {
    /// From zero (the output is overwritten).
    Zero,
    /// From the bias of each output channel (overwritten).
    Bias(&'a [E]),
    /// From the output's current values (accumulated).
    Load,
}

impl Direct {
    fn forward<C: ConvGeometry>() -> Self {
        Self {
            m: C::COG,
            r: C::CIG,
            in_h: C::H,
            in_w: C::W,
            in_plane: C::H * C::W,
            out_h: C::HO,
            out_w: C::WO,
            out_plane: C::HO * C::WO,
            w_m: C::CIG * C::K * C::K,
            w_r: C::K * C::K,
            k: C::K,
            s: C::S,
            p: C::P,
            d: C::D,
            transposed: false,
            split: false,
            n: 1,
            x_n: 0,
            y_n: 0,
        }
        .flat_pointwise()
    }

    fn transposed<C: ConvGeometry>() -> Self {
        Self {
            m: C::CIG,
            r: C::COG,
            in_h: C::HO,
            in_w: C::WO,
            in_plane: C::HO * C::WO,
            out_h: C::H,
            out_w: C::W,
            out_plane: C::H * C::W,
            w_m: C::K * C::K,
            w_r: C::CIG * C::K * C::K,
            k: C::K,
            s: C::S,
            p: C::P,
            d: C::D,
            transposed: true,
            split: false,
            n: 1,
            x_n: 0,
            y_n: 0,
        }
        .flat_pointwise()
    }

    /// A matrix product `out[m, j] (+)= Σ_r w[m·w_m + r·w_r] · in[r, j]` over rows of
    /// length `len`.
    fn gemm(m: usize, r: usize, len: usize, w_m: usize, w_r: usize) -> Self {
        Self {
            m,
            r,
            in_h: 1,
            in_w: len,
            in_plane: len,
            out_h: 1,
            out_w: len,
            out_plane: len,
            w_m,
            w_r,
            k: 1,
            s: 1,
            p: 0,
            d: 1,
            transposed: false,
            split: false,
            n: 1,
            x_n: 0,
            y_n: 0,
        }
    }

    /// `n` samples in one problem, `x_n` and `y_n` apart, when their inputs together are small
    /// enough to stay in cache while every block of output channels sweeps them (then each
    /// pass packs its weights once for all of them). `None` otherwise: one problem per sample.
    fn samples<E>(self, n: usize, x_n: usize, y_n: usize) -> Option<Self> {
        (n > 1 && n * x_n * core::mem::size_of::<E>() <= L2_BLOCK).then_some(Self {
            n,
            x_n,
            y_n,
            ..self
        })
    }

    /// A `1 × 1`, stride-1, unpadded convolution maps each plane to itself position by
    /// position: treat the plane as one long row (full-width tiles, no row overhead).
    fn flat_pointwise(self) -> Self {
        if self.k == 1 && self.s == 1 && self.p == 0 {
            Self {
                in_h: 1,
                in_w: self.in_plane,
                out_h: 1,
                out_w: self.out_plane,
                ..self
            }
        } else {
            self
        }
    }

    /// A `1 × 1` convolution over planes flattened to one row ([`Self::flat_pointwise`]), with
    /// every row of weights contiguous: what [`pointwise`] computes.
    fn is_pointwise(&self) -> bool {
        !self.transposed
            && self.k == 1
            && self.s == 1
            && self.p == 0
            && self.in_h == 1
            && self.out_h == 1
            && self.w_r == 1
            && self.in_w == self.out_w
    }

    /// Output rows and columns (a multiple of `lanes`) per cache block: the input they read,
    /// over all reduction channels, is about [`L2_BLOCK`] bytes.
    fn block<E>(&self, lanes: usize) -> (usize, usize) {
        let per_value = self.r * core::mem::size_of::<E>();
        // Input rows read per output row (at least one; a transposed stride reads fewer).
        let step = if self.transposed { 1 } else { self.s };
        let row_bytes = (per_value * self.in_w * step).max(1);
        let halo = (self.k - 1) * self.d;
        let rows = (L2_BLOCK / row_bytes).saturating_sub(halo).max(1);
        if rows >= self.out_h || self.out_h > 1 {
            (rows.min(self.out_h).max(1), self.out_w.max(1))
        } else {
            // One long row (1 × 1 convolutions): block its columns.
            let cols = (L2_BLOCK / (per_value * step).max(1)).max(lanes);
            (1, cols.div_ceil(lanes) * lanes)
        }
    }

    /// Distance in the input between two lanes of a tile.
    fn lane_stride(&self) -> usize {
        if self.transposed || self.split {
            1
        } else {
            self.s
        }
    }

    /// Whether [`direct_split`] computes this problem with `room` values of scratch: a
    /// forward stride-2 convolution of dilation 1 and an even kernel (with input channels and
    /// rows) when one input channel's copy and packs fit.
    fn splits(&self, room: usize) -> bool {
        !self.transposed
            && !self.split
            && self.r > 0
            && self.in_h > 0
            && self.s == 2
            && self.d == 1
            && self.k.is_multiple_of(2)
            && self.split_cap(room) > 0
    }

    /// Input channels per block of a column split with `room` values of scratch: each takes
    /// its copy (two halves of `in_h × (WO + K/2 − 1)`) and its share of a pack, `K²` weights
    /// for each of up to 12 output channels (the tallest tile), so one pass per block.
    fn split_cap(&self, room: usize) -> usize {
        room / (2 * self.in_h * self.split_width() + self.k * self.k * 12)
    }

    /// Columns of each half of a column-split copy: `WO + K/2 − 1`.
    fn split_width(&self) -> usize {
        self.out_w + self.k / 2 - 1
    }

    /// Kernel columns (half of them in a column-split problem).
    fn cols(&self) -> usize {
        if self.split { self.k / 2 } else { self.k }
    }

    /// The weight of reduction channel `r`, kernel row `u`, kernel column `v` (relative to the
    /// output channel's first weight).
    #[inline(always)]
    fn w_at(&self, r: usize, u: usize, v: usize) -> usize {
        if self.split {
            (r / 2) * self.w_r + u * self.k + 2 * v + r % 2
        } else {
            r * self.w_r + u * self.k + v
        }
    }

    /// Column phases: a transposed tile holds output columns `ph, ph + s, ph + 2s, …` so
    /// that its lanes read consecutive input columns.
    fn phases(&self) -> usize {
        if self.transposed { self.s } else { 1 }
    }

    /// Output columns of phase `ph`.
    fn phase_len(&self, ph: usize) -> usize {
        if !self.transposed {
            self.out_w
        } else if ph < self.out_w {
            (self.out_w - ph).div_ceil(self.s)
        } else {
            0
        }
    }

    /// Output column `q` of phase `ph`.
    #[inline(always)]
    fn out_col(&self, ph: usize, q: usize) -> usize {
        if self.transposed { ph + self.s * q } else { q }
    }

    /// Whether kernel row (or column) `u` reaches the outputs of phase `ph` (always, unless
    /// transposed: then only when `(ph + p − u·d) mod s = 0`).
    fn in_phase(&self, ph: usize, u: usize) -> bool {
        let num = (ph + self.p) as isize - (u * self.d) as isize;
        !self.transposed || num.rem_euclid(self.s as isize) == 0
    }

    /// The input row read by output row `oy` through kernel row `u`, if any.
    fn row_tap(&self, oy: usize, u: usize) -> Option<usize> {
        let iy = if self.transposed {
            let num = (oy + self.p) as isize - (u * self.d) as isize;
            if num < 0 || !self.in_phase(oy, u) {
                return None;
            }
            num / self.s as isize
        } else {
            (oy * self.s + u * self.d) as isize - self.p as isize
        };
        (iy >= 0 && (iy as usize) < self.in_h).then_some(iy as usize)
    }

    /// The input column read by lane 0 of the tile starting at column `q0` of phase `ph`
    /// through kernel column `v` (may lie outside the input), if that tap applies.
    fn col_tap(&self, ph: usize, q0: usize, v: usize) -> Option<isize> {
        if self.transposed {
            let num = (ph + self.p) as isize - (v * self.d) as isize;
            self.in_phase(ph, v)
                .then(|| q0 as isize + num.div_euclid(self.s as isize))
        } else if self.split {
            Some((q0 + v) as isize)
        } else {
            Some((q0 * self.s + v * self.d) as isize - self.p as isize)
        }
    }
}

/// The lanes `lo..hi` (of `lanes`) whose input column `c0 + l·is` lies in `0..w`.
#[inline]
fn lane_range(c0: isize, is: usize, w: usize, lanes: usize) -> (usize, usize) {
    // The last valid lane has `l·is ≤ w − 1 − c0`.
    let last = w as isize - 1 - c0;
    if last < 0 {
        return (0, 0);
    }
    let (lo, hi) = if is == 1 {
        (c0.min(0).unsigned_abs(), last as usize + 1)
    } else {
        (
            c0.min(0).unsigned_abs().div_ceil(is),
            last as usize / is + 1,
        )
    };
    (lo.min(lanes), hi.min(lanes))
}

/// A kernel row of a tile: input row offset `iy · in_w` and index of its first tap in a packed
/// reduction channel.
#[derive(Clone, Copy, Default)]
struct RowTap {
    x: usize,
    w: usize,
}

/// A kernel column of a tile: offset of its lane 0 in the tile's input row segment, and which
/// lanes read inside the input (`u32::MAX`) or stand for padding (`0`).
#[derive(Clone, Copy)]
struct ColTap<const L: usize> {
    off: usize,
    keep: [u32; L],
}

/// Taps gathered per pass (kernels wider than this take several passes).
const MAX_TAPS: usize = 16;

/// Output channels per tile.
const MC: usize = 6;

/// Bytes of input per cache block (a quarter of a 1 MiB L2).
const L2_BLOCK: usize = 256 * 1024;

/// Bytes of weights packed per pass, `[r][u][v][m]`, on the stack (4096 `f32` or 2048 `f64`;
/// 4 KiB with the `small-stack` feature). Packing makes the `MC` weights of a step one
/// contiguous `[E; MC]` (they are `CIG·K²` apart in PyTorch's layout) read without bounds
/// checks, and costs one read of the weights per pass; a larger pack means fewer passes over
/// the output, each of which reads and writes every output once more. 16 KiB: 75 input
/// channels of a `3 × 3` kernel per pass, one pass for 64 channels (two with 8 KiB: 1–2 % more
/// instructions on 64-channel `3 × 3` layers, 11 % more on LeNet-5's second input gradient,
/// whose pack is 9.4 KiB). A column split has its own scratch ([`SPLIT_BYTES`]).
const PACK_BYTES: usize = if cfg!(feature = "small-stack") {
    4096
} else {
    16384
};

/// Bytes of scratch for a column split ([`direct_split`]): its copy of the input and its weight
/// packs (40 KiB, the size of the weight gradient's buffers, so a training step's stack need
/// does not grow; 8 KiB with `small-stack`). Each block of input channels that fits is one
/// more pass over the output: W5's input gradient takes 4 passes, 10.76 M instructions for
/// 3 runs (with 32 KiB, a fixed quarter of it for the packs: 7 passes, 11.82 M; 237–240 →
/// 221 µs).
const SPLIT_BYTES: usize = if cfg!(feature = "small-stack") {
    PACK_BYTES * 2
} else {
    PACK_BYTES * 5 / 2
};

/// Runs a [`Direct`] problem. `x0`, `w0`, `y0`: offsets of this sample and group.
///
/// Goes through [`Instantiated`]: the micro-kernels are compiled once, in this crate, per
/// element type (see there).
#[allow(clippy::too_many_arguments)]
#[inline(always)]
fn direct<E: Element>(
    d: &Direct,
    x: &[E],
    x0: usize,
    w: &[E],
    w0: usize,
    y: &mut [E],
    y0: usize,
    init: Init<'_, E>,
) {
    E::direct(d, x, x0, w, w0, y, y0, init);
}

/// [`direct`]'s body, generic over the element type; instantiated only by [`Instantiated`].
#[allow(clippy::too_many_arguments)]
#[inline(always)]
fn direct_any<I: Isa, E: Element>(
    isa: I,
    d: &Direct,
    x: &[E],
    x0: usize,
    w: &[E],
    w0: usize,
    y: &mut [E],
    y0: usize,
    init: Init<'_, E>,
) {
    // The pack: `PACK_BYTES` of `E`, in a frame of its own (out of line), as the column split's
    // scratch is in its own: one frame holding both would make every convolution's stack that
    // of the split, and the split's that of both (64 KiB in the test build).
    if d.splits(SPLIT_BYTES / core::mem::size_of::<E>()) {
        direct_split(isa, d, x, x0, w, w0, y, y0, init);
    } else {
        isa.run(
            #[inline(always)]
            move || {
                with_scratch::<E, { PACK_BYTES / 4 }, { PACK_BYTES / 8 }>(|pk| {
                    direct_lanes(isa, d, x, x0, w, w0, y, y0, init, pk)
                })
            },
        );
    }
}

/// Runs `f` on a zeroed stack buffer of `F32` values for `f32`, `F64` for `f64` (the same
/// bytes), in the caller's frame.
#[inline(always)]
fn with_scratch<E: Element, const F32: usize, const F64: usize>(f: impl FnOnce(&mut [E])) {
    // (`const` condition: each element type instantiates only its own buffer)
    if const { is_f32::<E>() } {
        f(&mut [E::zero(); F32])
    } else {
        f(&mut [E::zero(); F64])
    }
}

/// A stride-2 convolution (dilation 1, even kernel) as a stride-1 one: the input's columns
/// split by parity into `scratch`, a block of channels at a time, then the stride-1 tiles.
///
/// Kernel column `v` of output column `q` reads input column `2q + v − p`. With `v = 2t + e`
/// that is column `q + t` of the copy `xe[i] = x[2i + e − p]` (zero outside the input): each
/// input channel becomes two channels (`e = 0, 1`) of width `WO + K/2 − 1`, read by `K/2`
/// consecutive kernel columns at lane stride 1, with the padding in the copy. Each input value
/// is copied once per call, instead of being split again by shuffles in every tile of every
/// block of output channels (W5's input gradient, `4 × 4` of stride 2: 252 → 200 µs, 57 → 71 %
/// of peak). Odd kernels (ResNet's `3 × 3` downsampling) keep the shuffling tiles: their
/// halves have different tap counts.
///
/// Scratch: [`SPLIT_BYTES`] on the stack (this function's frame), for the copy of a block of
/// input channels and the weight packs of that block: as many channels per block as fit (a
/// block of channels is one more pass over the output).
#[allow(clippy::too_many_arguments)]
// (out of line, with the instruction set's features: see `Isa::run`)
#[inline(always)]
fn direct_split<I: Isa, E: Element>(
    isa: I,
    d: &Direct,
    x: &[E],
    x0: usize,
    w: &[E],
    w0: usize,
    y: &mut [E],
    y0: usize,
    init: Init<'_, E>,
) {
    isa.run(
        #[inline(always)]
        move || {
            with_scratch::<E, { SPLIT_BYTES / 4 }, { SPLIT_BYTES / 8 }>(|scratch| {
                split_blocks(isa, d, x, x0, w, w0, y, y0, init, scratch)
            });
        },
    )
}

/// [`direct_split`] with its scratch.
#[allow(clippy::too_many_arguments)]
#[inline(always)]
fn split_blocks<I: Isa, E: Element>(
    isa: I,
    d: &Direct,
    x: &[E],
    x0: usize,
    w: &[E],
    w0: usize,
    y: &mut [E],
    y0: usize,
    init: Init<'_, E>,
    scratch: &mut [E],
) {
    let wp = d.split_width();
    let per_c = 2 * d.in_h * wp;
    // Balanced blocks of at most `cap` channels.
    let cap = d.split_cap(scratch.len());
    let blocks = d.r.div_ceil(cap);
    let cb = d.r.div_ceil(blocks);
    let (pk, buf) = scratch.split_at_mut(scratch.len() - cb * per_c);
    for n in 0..d.n {
        let (xn, yn) = (x0 + n * d.x_n, y0 + n * d.y_n);
        for c0 in (0..d.r).step_by(cb) {
            let nc = cb.min(d.r - c0);
            // Channel `2c + e`, row `iy`: `xe[i] = x[c0 + c, iy, 2i + e − p]`. The even
            // columns of `x` go to `e = p mod 2` from `i = ⌊p/2⌋`, the odd ones to the other
            // half from `i = ⌈p/2⌉`.
            let ev = d.p % 2;
            for c in 0..nc {
                let planes = &mut buf[2 * c * d.in_h * wp..][..2 * d.in_h * wp];
                let (lo, hi) = planes.split_at_mut(d.in_h * wp);
                let (ev_plane, od_plane) = if ev == 0 { (lo, hi) } else { (hi, lo) };
                let src = &x[xn + (c0 + c) * d.in_plane..][..d.in_h * d.in_w];
                for ((src, e), o) in src
                    .chunks_exact(d.in_w)
                    .zip(ev_plane.chunks_exact_mut(wp))
                    .zip(od_plane.chunks_exact_mut(wp))
                {
                    split_row(src, d.p, e, o);
                }
            }
            let sd = Direct {
                r: 2 * nc,
                in_w: wp,
                in_plane: d.in_h * wp,
                split: true,
                n: 1,
                x_n: 0,
                y_n: 0,
                ..*d
            };
            let init = if c0 == 0 { init } else { Init::Load };
            direct_lanes(isa, &sd, buf, 0, w, w0 + c0 * d.w_r, y, yn, init, pk);
        }
    }
}

/// `ev[p/2 + j] = src[2j]` and `od[⌈p/2⌉ + j] = src[2j + 1]` as far as `ev` and `od` reach;
/// zero elsewhere.
#[inline(always)]
fn split_row<E: Element>(src: &[E], p: usize, ev: &mut [E], od: &mut [E]) {
    let (e0, o0) = (p / 2, p.div_ceil(2));
    let e0 = e0.min(ev.len());
    let o0 = o0.min(od.len());
    let ne = src.len().div_ceil(2).min(ev.len() - e0);
    let no = (src.len() / 2).min(od.len() - o0);
    ev[..e0].fill(E::zero());
    ev[e0 + ne..].fill(E::zero());
    od[..o0].fill(E::zero());
    od[o0 + no..].fill(E::zero());
    // Pairs of columns (de-interleaved by shuffles), then what is left of either half.
    let pairs = ne.min(no);
    for ((a, b), pair) in ev[e0..][..pairs]
        .iter_mut()
        .zip(&mut od[o0..][..pairs])
        .zip(src.chunks_exact(2))
    {
        *a = pair[0];
        *b = pair[1];
    }
    for j in pairs..ne {
        ev[e0 + j] = src[2 * j];
    }
    for j in pairs..no {
        od[o0 + j] = src[2 * j + 1];
    }
}

#[allow(clippy::too_many_arguments)]
// (out of line, with the instruction set's features: see `Isa::run`)
#[inline(always)]
fn direct_lanes<I: Isa, E: Element>(
    isa: I,
    d: &Direct,
    x: &[E],
    x0: usize,
    w: &[E],
    w0: usize,
    y: &mut [E],
    y0: usize,
    init: Init<'_, E>,
    pk: &mut [E],
) {
    isa.run(
        #[inline(always)]
        move || {
            // 16 `f32` or 8 `f64` lanes per output row: with 6 channels, twelve 256-bit accumulators
            // (32 `f32` with AVX-512: twelve 512-bit ones). Rows of at most 8 outputs take half as
            // many lanes rather than waste half.
            // (`const` conditions: `f32` never instantiates the `f64` widths, nor the reverse, and
            // only AVX-512 the widest)
            // (AVX-512 only gets rows of more than 16 outputs: `Instantiated::direct`)
            if const { compact::<I>() } {
                // one width: two registers
                if const { is_f32::<E>() } {
                    direct_width::<I, E, 8>(isa, d, x, x0, w, w0, y, y0, init, pk)
                } else {
                    direct_width::<I, E, 4>(isa, d, x, x0, w, w0, y, y0, init, pk)
                }
            } else if const { is_f32::<E>() && I::VECTOR_BYTES == 64 } {
                direct_width::<I, E, 32>(isa, d, x, x0, w, w0, y, y0, init, pk)
            } else if const { is_f32::<E>() } {
                let narrow = d.phase_len(0) <= 8;
                if narrow {
                    direct_width::<I, E, 8>(isa, d, x, x0, w, w0, y, y0, init, pk)
                } else {
                    direct_width::<I, E, 16>(isa, d, x, x0, w, w0, y, y0, init, pk)
                }
            } else if d.phase_len(0) <= 8 {
                direct_width::<I, E, 4>(isa, d, x, x0, w, w0, y, y0, init, pk)
            } else {
                direct_width::<I, E, 8>(isa, d, x, x0, w, w0, y, y0, init, pk)
            }
        },
    )
}

#[allow(clippy::too_many_arguments)]
#[inline(always)]
fn direct_width<I: Isa, E: Element, const L: usize>(
    isa: I,
    d: &Direct,
    x: &[E],
    x0: usize,
    w: &[E],
    w0: usize,
    y: &mut [E],
    y0: usize,
    init: Init<'_, E>,
    pk: &mut [E],
) {
    if const { matches!(crate::kernels::STRATEGY, crate::kernels::Strategy::Size) } {
        // One instance, the lane stride read at run time.
        return direct_stride::<I, E, L, 0>(isa, d, x, x0, w, w0, y, y0, init, pk);
    }
    match d.lane_stride() {
        1 => direct_stride::<I, E, L, 1>(isa, d, x, x0, w, w0, y, y0, init, pk),
        2 => direct_stride::<I, E, L, 2>(isa, d, x, x0, w, w0, y, y0, init, pk),
        _ => direct_stride::<I, E, L, 0>(isa, d, x, x0, w, w0, y, y0, init, pk),
    }
}

#[allow(clippy::too_many_arguments)]
// (out of line, with the instruction set's features: see `Isa::run`)
#[inline(always)]
fn direct_stride<I: Isa, E: Element, const L: usize, const IS: usize>(
    isa: I,
    d: &Direct,
    x: &[E],
    x0: usize,
    w: &[E],
    w0: usize,
    y: &mut [E],
    y0: usize,
    init: Init<'_, E>,
    pk: &mut [E],
) {
    isa.run(
        #[inline(always)]
        move || {
            // One vector per tile row (8 `f32` or 4 `f64` lanes)? (`const` conditions on it below:
            // code for the other case is not instantiated.)
            let narrow = const { one_vector::<I, E, L>() };
            // Cache blocking: a block of output rows and columns whose input stays in L2 while every
            // block of output channels sweeps it (else a large 1 × 1 convolution streams its whole
            // input from memory once per 6 output channels).
            // Pointwise problems: whole tiles column by column, the rest below.
            let q_start = if const { IS == 1 && !one_vector::<I, E, L>() && !compact::<I>() } {
                if d.is_pointwise() {
                    pointwise::<I, E, L>(isa, d, x, x0, w, w0, y, y0, init)
                } else {
                    0
                }
            } else {
                0
            };
            let (rows, cols) = d.block::<E>(L);
            for oy0 in (0..d.out_h).step_by(rows) {
                for q0 in (q_start..d.phase_len(0)).step_by(cols) {
                    let region = Region {
                        oy: (oy0, (oy0 + rows).min(d.out_h)),
                        q: (q0, q0 + cols),
                    };
                    let mut m0 = 0;
                    while m0 < d.m {
                        let rem = d.m - m0;
                        // Narrow rows (one 8-lane `f32` vector): taller tiles keep 12 or 8
                        // accumulators in flight instead of 6 (two FMA pipes × 4 cycles of latency
                        // need at least 8); 16 channels as 8 + 8 rather than 12 + 4.
                        let mc = match rem {
                            // Blocks as even as `MC` allows (32 = 6 + 6 + 5 + 5 + 5 + 5, not 5 · 6 + 2:
                            // a block of 2 has too few accumulators to keep the FMA pipes busy).
                            _ if !narrow => rem.div_ceil(rem.div_ceil(MC)),
                            16 => 8,
                            12.. => 12,
                            8.. => 8,
                            _ => rem.min(MC),
                        };
                        let args = (d, x, x0, w, w0, &mut *y, y0, init, m0, region);
                        if const { one_vector::<I, E, L>() } {
                            match mc {
                                12 => direct_block::<I, E, 12, L, IS>(isa, args, 12, &mut *pk),
                                8 => direct_block::<I, E, 8, L, IS>(isa, args, 8, &mut *pk),
                                _ => direct_block_upto6::<I, E, L, IS>(isa, mc, args, &mut *pk),
                            }
                        } else {
                            direct_block_upto6::<I, E, L, IS>(isa, mc, args, &mut *pk);
                        }
                        m0 += mc;
                    }
                }
            }
        },
    )
}

/// [`direct_block`] for `mc ≤ MC` output channels.
///
/// Blocks of 4 or 5 channels (`f32` in two-vector rows: [`direct_stride`] makes the blocks of a
/// layer even, 64 = 9·6 + 2·5) run as tiles of 5 with fixed micro-kernels (a 4 repeats its last
/// channel): 32 = 5·6 + 2 had a block of 2 in the general loop, 6 % of W5's instructions.
/// Otherwise a block of 4 or 5 runs as a full `MC` tile whose channels from `mc` on repeat the
/// last one ([`direct_pass`]): the full tile's fixed micro-kernel with a third more
/// multiply-adds costs fewer instructions than the general loop with fewer (W2f 41.29 →
/// 40.99 M, W3's forward 320.0 → 317.6 M; 1–2 % less time).
/// At lane stride 2 (`f32`, odd kernels) every partial block does: the shuffles of the input
/// cost the same per tile whatever its channel count, and the general loop would gather
/// strided lanes instead (W5's input gradient, before [`direct_split`]: 7 % more instructions
/// that way). Smaller blocks elsewhere keep their own tiles: a layer of 1–3 output channels
/// would pay for 6.
#[inline(always)]
fn direct_block_upto6<I: Isa, E: Element, const L: usize, const IS: usize>(
    isa: I,
    mc: usize,
    args: BlockArgs<'_, '_, E>,
    pk: &mut [E],
) {
    match mc {
        _ if const { compact::<I>() } => direct_block::<I, E, MC, L, IS>(isa, args, mc, pk),
        4 | 5 if const { is_f32::<E>() && !one_vector::<I, E, L>() } => {
            direct_block::<I, E, 5, L, IS>(isa, args, mc, pk)
        }
        _ if mc >= 4 || const { IS == 2 && is_f32::<E>() } => {
            direct_block::<I, E, MC, L, IS>(isa, args, mc, pk)
        }
        3 => direct_block::<I, E, 3, L, IS>(isa, args, 3, pk),
        2 => direct_block::<I, E, 2, L, IS>(isa, args, 2, pk),
        _ => direct_block::<I, E, 1, L, IS>(isa, args, 1, pk),
    }
}

/// A pointwise problem ([`Direct::is_pointwise`]) in whole tiles of `L` columns, column tiles
/// outside and output channels inside: a tile's input (`L` columns of every reduction channel)
/// stays in L1 while every block of output channels sweeps it, and the weights, read in place
/// (each row of `w` is contiguous), stay in L2. With the output channels outside instead (the
/// general path), every block of channels streams the input from L2 again (1×1 convolution
/// 128→128 on 56×56: 64 % of peak that way). Returns the first column left to the general path.
#[allow(clippy::too_many_arguments)]
#[inline(always)]
fn pointwise<I: Isa, E: Element, const L: usize>(
    isa: I,
    d: &Direct,
    x: &[E],
    x0: usize,
    w: &[E],
    w0: usize,
    y: &mut [E],
    y0: usize,
    init: Init<'_, E>,
) -> usize {
    let full = d.out_w / L * L;
    for n in 0..d.n {
        let (xn, yn) = (x0 + n * d.x_n, y0 + n * d.y_n);
        for q0 in (0..full).step_by(L) {
            let mut m0 = 0;
            while m0 < d.m {
                let mc = (d.m - m0).min(MC);
                let t = (d, x, xn + q0, w, w0, &mut *y, yn + q0, init, m0);
                match mc {
                    MC => pointwise_tile::<I, E, MC, L>(isa, t),
                    5 => pointwise_tile::<I, E, 5, L>(isa, t),
                    4 => pointwise_tile::<I, E, 4, L>(isa, t),
                    3 => pointwise_tile::<I, E, 3, L>(isa, t),
                    2 => pointwise_tile::<I, E, 2, L>(isa, t),
                    _ => pointwise_tile::<I, E, 1, L>(isa, t),
                }
                m0 += mc;
            }
        }
    }
    full
}

type PointwiseArgs<'a, 'b, E> = (
    &'a Direct,
    &'a [E],
    usize,
    &'a [E],
    usize,
    &'b mut [E],
    usize,
    Init<'a, E>,
    usize,
);

/// Output channels `m0..m0 + M` × `L` columns of a pointwise problem, from input offset `xo` and
/// output offset `yo` (the tile's first column).
// (out of line, with the instruction set's features: see `Isa::run`)
#[inline(always)]
fn pointwise_tile<I: Isa, E: Element, const M: usize, const L: usize>(
    isa: I,
    (d, x, xo, w, w0, y, yo, init, m0): PointwiseArgs<'_, '_, E>,
) {
    isa.run(
        #[inline(always)]
        move || {
            let r = d.r;
            let mut a = [[E::zero(); L]; M];
            let out = |m: usize| yo + (m0 + m) * d.out_plane;
            match init {
                Init::Zero => {}
                Init::Bias(b) => {
                    for (m, a) in a.iter_mut().enumerate() {
                        *a = [b[m0 + m]; L];
                    }
                }
                Init::Load => {
                    for (m, a) in a.iter_mut().enumerate() {
                        *a = lanes::<E, L, 1>(y, out(m), 1);
                    }
                }
            }
            if r > 0 {
                let mut wr: [&[E]; M] = [&[]; M];
                for (m, wr) in wr.iter_mut().enumerate() {
                    *wr = &w[w0 + (m0 + m) * d.w_m..][..r];
                }
                // Equal chunks (every reduction channel but the last), no length bookkeeping per step.
                let xs = x[xo..][..(r - 1) * d.in_plane].chunks_exact(d.in_plane);
                let last = &x[xo + (r - 1) * d.in_plane..][..L];
                a = pointwise_steps(isa, a, &wr, 0, xs);
                a = pointwise_steps(isa, a, &wr, r - 1, [last].into_iter());
            }
            for (m, a) in a.iter().enumerate() {
                let o: &mut [E; L] = (&mut y[out(m)..][..L]).try_into().unwrap();
                *o = *a;
            }
        },
    )
}

/// `a[m] += wr[m][c] · x_c` for the input rows `x_c` of `xs`, `c` counting from `c0`.
#[inline(always)]
fn pointwise_steps<'a, I: Isa, E: Element + 'a, const M: usize, const L: usize>(
    _isa: I,
    mut a: [[E; L]; M],
    wr: &[&[E]; M],
    c0: usize,
    xs: impl Iterator<Item = &'a [E]>,
) -> [[E; L]; M] {
    for (c, xr) in (c0..).zip(xs) {
        let xv = lanes::<E, L, 1>(xr, 0, 1);
        for m in 0..M {
            let b = wr[m][c];
            for l in 0..L {
                a[m][l] = fmadd::<I, _>(b, xv[l], a[m][l]);
            }
        }
    }
    a
}

/// Output rows `oy.0..oy.1` and tile columns `q.0..q.1` (of every column phase).
#[derive(Clone, Copy)]
struct Region {
    oy: (usize, usize),
    q: (usize, usize),
}

type BlockArgs<'a, 'b, E> = (
    &'a Direct,
    &'a [E],
    usize,
    &'a [E],
    usize,
    &'b mut [E],
    usize,
    Init<'a, E>,
    usize,
    Region,
);

/// One pass over the tiles of a row phase and a column phase: reduction channels `r0..r1`,
/// kernel rows `us`, kernel columns `vs` (packed in that order).
struct Pass<'a> {
    /// Row phase: the pass covers output rows `py, py + ys, py + 2·ys, …` of the region.
    py: usize,
    ys: usize,
    ph: usize,
    r0: usize,
    r1: usize,
    us: &'a [usize],
    vs: &'a [usize],
}

/// All tiles of output channels `m0..m0 + M`, per column phase, in passes over ranges of
/// reduction channels and kernel taps whose weights fit the pack. The first pass of a phase
/// starts from `init`, the others add to the output.
// (out of line, with the instruction set's features: see `Isa::run`)
#[inline(always)]
fn direct_block<I: Isa, E: Element, const M: usize, const L: usize, const IS: usize>(
    isa: I,
    (d, x, x0, w, w0, y, y0, init, m0, region): BlockArgs<'_, '_, E>,
    mc: usize,
    pk: &mut [E],
) {
    isa.run(
        #[inline(always)]
        move || {
            debug_assert!((1..=M).contains(&mc));
            let pack = pk.len();
            let mut vs = [0usize; MAX_TAPS];
            let mut us = [0usize; MAX_TAPS];
            // A transposed stride reads, for output rows of one phase, only the kernel rows of that
            // phase (`(oy + p − u·d) mod s = 0`): the pack holds only those (a quarter of a 4 × 4
            // kernel's taps at stride 2 instead of half of them), so fewer passes over the outputs.
            let row_phases = d.phases();
            for py in 0..row_phases {
                for ph in 0..d.phases() {
                    let mut first = true;
                    // The kernel columns that apply to this phase, in batches.
                    // Their input columns increase along the list (transposed: from the last column).
                    let mut i = 0;
                    while i < d.cols() {
                        let mut cv = 0;
                        while i < d.cols() && cv < MAX_TAPS.min(pack / M) {
                            let v = if d.transposed { d.k - 1 - i } else { i };
                            if d.col_tap(ph, 0, v).is_some() {
                                vs[cv] = v;
                                cv += 1;
                            }
                            i += 1;
                        }
                        if cv == 0 {
                            continue;
                        }
                        let nu = MAX_TAPS.min(pack / (cv * M)).max(1);
                        // The kernel rows of this row phase, in batches of at most `nu`.
                        let mut j = 0;
                        loop {
                            let mut cu = 0;
                            while j < d.k && cu < nu {
                                if d.in_phase(py, j) {
                                    us[cu] = j;
                                    cu += 1;
                                }
                                j += 1;
                            }
                            if cu == 0 {
                                break;
                            }
                            let rb = d.r.clamp(1, pack / (cu * cv * M));
                            for r0 in (0..d.r).step_by(rb) {
                                let r1 = (r0 + rb).min(d.r);
                                // Layout `[r][u][v][m]`, in the order the micro-kernel reads it: one
                                // `[E; M]` per tap, from each channel's weights (a channel from `mc`
                                // on repeats the last one).
                                // (all as long as the pass's last weight: one bounds check per tap,
                                // not per channel)
                                let u_max = us[..cu].iter().max().copied().unwrap_or(0);
                                let v_max = vs[..cv].iter().max().copied().unwrap_or(0);
                                let ext = d.w_at(r1 - 1, u_max, v_max) + 1;
                                let mut wm: [&[E]; M] = [&[]; M];
                                for (m, wm) in wm.iter_mut().enumerate() {
                                    *wm = &w[w0 + (m0 + m.min(mc - 1)) * d.w_m..][..ext];
                                }
                                let i = (r1 - r0) * cu * cv * M;
                                let mut taps = pk[..i].as_chunks_mut::<M>().0.iter_mut();
                                for r in r0..r1 {
                                    for &u in &us[..cu] {
                                        for &v in &vs[..cv] {
                                            let at = d.w_at(r, u, v);
                                            let tap = taps.next().expect("one tap per (r, u, v)");
                                            for (t, wm) in tap.iter_mut().zip(&wm) {
                                                *t = wm[at];
                                            }
                                        }
                                    }
                                }
                                let pass = Pass {
                                    py,
                                    ys: row_phases,
                                    ph,
                                    r0,
                                    r1,
                                    us: &us[..cu],
                                    vs: &vs[..cv],
                                };
                                let init = if first { init } else { Init::Load };
                                for n in 0..d.n {
                                    let (xn, yn) = (x0 + n * d.x_n, y0 + n * d.y_n);
                                    direct_pass::<I, E, M, L, IS>(
                                        isa,
                                        d,
                                        &pass,
                                        region,
                                        x,
                                        xn,
                                        &pk[..i],
                                        y,
                                        yn,
                                        (m0, mc),
                                        init,
                                    );
                                }
                                first = false;
                            }
                        }
                    }
                    if first {
                        // No tap at all reaches this phase (or no input channels): outputs keep `init`.
                        let pass = Pass {
                            py,
                            ys: row_phases,
                            ph,
                            r0: 0,
                            r1: 0,
                            us: &[],
                            vs: &[],
                        };
                        for n in 0..d.n {
                            let (xn, yn) = (x0 + n * d.x_n, y0 + n * d.y_n);
                            direct_pass::<I, E, M, L, IS>(
                                isa,
                                d,
                                &pass,
                                region,
                                x,
                                xn,
                                &[],
                                y,
                                yn,
                                (m0, mc),
                                init,
                            );
                        }
                    }
                }
            }
        },
    )
}

/// Lanes `..n` of a transposed stride-2 phase's register, `y[o + 2·l]` (out of line: inlined,
/// it made `direct_block` too big to be inlined itself, +6 % instructions on W5's input
/// gradient, which never takes it).
// (out of line, with the instruction set's features: see `Isa::run`)
#[inline(always)]
fn load_phase<I: Isa, E: Element, const L: usize>(isa: I, y: &[E], o: usize, n: usize) -> [E; L] {
    isa.run(
        #[inline(always)]
        move || load::<E, L, 2>(y, o as isize, 2, 0, n),
    )
}

/// Stores lanes `..n` of `v` at `y[o + 2·l]` (see [`load_phase`]).
// (out of line, with the instruction set's features: see `Isa::run`)
#[inline(always)]
fn store_phase<I: Isa, E: Element, const L: usize>(
    isa: I,
    y: &mut [E],
    o: usize,
    v: &[E; L],
    n: usize,
) {
    isa.run(
        #[inline(always)]
        move || store_prefix::<E, L, 2>(y, o, v, n),
    )
}

/// Every tile of one pass.
#[allow(clippy::too_many_arguments)]
#[inline(always)]
fn direct_pass<I: Isa, E: Element, const M: usize, const L: usize, const IS: usize>(
    isa: I,
    d: &Direct,
    pass: &Pass<'_>,
    region: Region,
    x: &[E],
    x0: usize,
    pk: &[E],
    y: &mut [E],
    y0: usize,
    (m0, mc): (usize, usize),
    init: Init<'_, E>,
) {
    let mut rows = [RowTap::default(); MAX_TAPS];
    let mut cols = [ColTap {
        off: 0,
        keep: [0; L],
    }; MAX_TAPS];
    let is = d.lane_stride();
    let span = (L - 1) * is + 1;
    let cv = pass.vs.len();
    let nr = pass.r1 - pass.r0;
    let xr0 = x0 + pass.r0 * d.in_plane;
    // The pack as one `[E; M]` per (reduction channel, tap).
    let pk = pk.as_chunks::<M>().0;
    let per_r = pass.us.len() * cv;
    // Whether a tile's outputs are consecutive (not one column phase of a transposed stride).
    let contiguous = !d.transposed || d.s == 1;
    let ph = pass.ph;
    let nq = d.phase_len(ph).min(region.q.1);
    // Column strips outside, rows inside: a strip's taps (offsets, lane masks) are the same
    // in every row.
    let mut q0 = region.q.0;
    while q0 < nq {
        let nv = L.min(nq - q0);
        // The columns of the taps, relative to the leftmost one, and their lane masks.
        let mut first = isize::MAX;
        let mut last = isize::MIN;
        let mut any = false;
        let mut masked = false;
        for (ct, &v) in cols.iter_mut().zip(pass.vs) {
            let c0 = d.col_tap(ph, q0, v).unwrap_or(0);
            let (lo, hi) = lane_range(c0, is, d.in_w, L);
            any |= lo < hi;
            masked |= lo > 0 || hi < L;
            first = first.min(c0);
            last = last.max(c0);
            let (lo, n) = (lo as u32, hi.saturating_sub(lo) as u32);
            for (l, k) in ct.keep.iter_mut().enumerate() {
                // (unsigned 32-bit lanes: vectorises)
                *k = if (l as u32).wrapping_sub(lo) < n {
                    u32::MAX
                } else {
                    0
                };
            }
            ct.off = c0 as usize; // relative to `first`, fixed below
        }
        if cv == 0 {
            (first, last) = (0, 0);
        }
        for ct in &mut cols[..cv] {
            ct.off = (ct.off as isize - first) as usize;
        }
        let seg = Segment {
            start: first,
            len: (last - first) as usize + span,
        };
        // Consecutive taps one column apart (the usual dilation 1).
        let unit = cols[..cv].iter().enumerate().all(|(t, ct)| ct.off == t);
        // The region's first row of this row phase.
        let oy_first = region.oy.0 + (pass.py + pass.ys - region.oy.0 % pass.ys) % pass.ys;
        for oy in (oy_first..region.oy.1).step_by(pass.ys) {
            let mut nrows = 0;
            for (i, &u) in pass.us.iter().enumerate() {
                if let Some(iy) = d.row_tap(oy, u) {
                    rows[nrows] = RowTap {
                        x: iy * d.in_w,
                        w: i * cv,
                    };
                    nrows += 1;
                }
            }
            // Channels from `mc` on repeat the last one (its weights, bias and output): they
            // compute its values again and store the same bits over them, so every loop over
            // the tile's channels keeps its constant trip count.
            let out = |m: usize, l: usize| {
                y0 + (m0 + m.min(mc - 1)) * d.out_plane + oy * d.out_w + d.out_col(ph, q0 + l)
            };
            let mut acc = [[E::zero(); L]; M];
            match init {
                Init::Zero => {}
                Init::Bias(b) => {
                    for (m, a) in acc.iter_mut().enumerate() {
                        *a = [b[m0 + m.min(mc - 1)]; L];
                    }
                }
                Init::Load => {
                    for (m, a) in acc.iter_mut().enumerate() {
                        if contiguous && nv == L {
                            *a = lanes::<E, L, 1>(y, out(m, 0), 1);
                        } else if contiguous {
                            *a = load::<E, L, 1>(y, out(m, 0) as isize, 1, 0, nv);
                        } else if d.s == 2 {
                            *a = load_phase(isa, y, out(m, 0), nv);
                        } else {
                            for (l, a) in a[..nv].iter_mut().enumerate() {
                                *a = y[out(m, l)];
                            }
                        }
                    }
                }
            }
            if any && nrows > 0 && nr > 0 {
                let args = (
                    x,
                    xr0,
                    d.in_plane,
                    is,
                    &rows[..nrows],
                    &cols[..cv],
                    seg,
                    pk,
                    per_r,
                    nr,
                    &mut acc,
                );
                match (masked, unit) {
                    (true, true) => direct_tile::<I, E, M, L, IS, true, true>(isa, args),
                    (true, false) => direct_tile::<I, E, M, L, IS, true, false>(isa, args),
                    (false, true) => direct_tile::<I, E, M, L, IS, false, true>(isa, args),
                    (false, false) => direct_tile::<I, E, M, L, IS, false, false>(isa, args),
                }
            }
            for (m, a) in acc.iter().enumerate() {
                if contiguous && nv == L {
                    let o: &mut [E; L] = (&mut y[out(m, 0)..][..L]).try_into().unwrap();
                    *o = *a;
                } else if contiguous {
                    store_prefix::<E, L, 1>(y, out(m, 0), a, nv);
                } else if d.s == 2 {
                    store_phase(isa, y, out(m, 0), a, nv);
                } else {
                    for (l, &a) in a[..nv].iter().enumerate() {
                        y[out(m, l)] = a;
                    }
                }
            }
        }
        q0 += L;
    }
}

/// [`direct_tile`]'s taps for a segment that is not inside `x`, lane by lane.
#[cold]
// (out of line, with the instruction set's features: see `Isa::run`)
#[inline(always)]
fn edge_taps<I: Isa, E: Element, const M: usize, const L: usize>(
    isa: I,
    x: &[E],
    start: isize,
    is: usize,
    cols: &[ColTap<L>],
    taps: &[[E; M]],
    acc: &mut [[E; L]; M],
) {
    isa.run(
        #[inline(always)]
        move || {
            for (ct, wv) in cols.iter().zip(taps) {
                let mut xs = [E::zero(); L];
                for (l, v) in xs.iter_mut().enumerate() {
                    if ct.keep[l] != 0 {
                        *v = x[(start + (ct.off + l * is) as isize) as usize];
                    }
                }
                for m in 0..M {
                    for l in 0..L {
                        acc[m][l] = fmadd::<I, _>(wv[m], xs[l], acc[m][l]);
                    }
                }
            }
        },
    )
}

/// The input columns a tile reads in one row: `start` (relative to the row, may be negative)
/// and `len` values from there.
#[derive(Clone, Copy)]
struct Segment {
    start: isize,
    len: usize,
}

type TileArgs<'a, 'b, E, const M: usize, const L: usize> = (
    &'a [E],
    usize,
    usize,
    usize,
    &'a [RowTap],
    &'a [ColTap<L>],
    Segment,
    &'a [[E; M]],
    usize,
    usize,
    &'b mut [[E; L]; M],
);

/// The micro-kernel: `acc[m][l] += Σ_r Σ_rows Σ_cols pk[r, tap][m] · in[r, …]` for one tile.
///
/// Per reduction channel and kernel row, the tile's input row segment is bounds-checked once;
/// per tap, one `L`-lane read from it (with its lane mask when `MASKED`), `M` packed weights
/// and `M · L` multiply-adds.
// (out of line, with the instruction set's features: see `Isa::run`)
#[inline(always)]
fn direct_tile<
    I: Isa,
    E: Element,
    const M: usize,
    const L: usize,
    const IS: usize,
    const MASKED: bool,
    const UNIT: bool,
>(
    isa: I,
    (x, x0, in_plane, is, rows, cols, seg, pk, per_r, nr, acc): TileArgs<'_, '_, E, M, L>,
) {
    isa.run(
        #[inline(always)]
        move || {
            // (`const`: the other instances of this function do not instantiate the fixed tiles)
            // The full tiles: `MC` or 5 channels, or the taller ones of one-vector rows.
            if const {
                UNIT && !compact::<I>()
                    && (M == MC
                        || (M == 5 && !one_vector::<I, E, L>())
                        || (one_vector::<I, E, L>() && (M == 12 || M == 8)))
            } {
                // Common kernel shapes with consecutive taps: a fixed count of rows and columns when
                // every packed kernel row applies (so row `i`'s taps are at `i · KV` in the pack), else
                // (`KU = 0`: rows at the edges of a map, transposed problems of stride 1) a fixed count
                // of columns.
                let all_rows = per_r == rows.len() * cols.len();
                let shape = (IS, if all_rows { rows.len() } else { 0 }, cols.len());
                // (`f64`, the gradient-checking type, only for 3 × 3: each shape is 8 more copies of
                // the micro-kernel to compile; the `const` condition keeps the others from being
                // instantiated for it at all)
                let fixed = if const { is_f32::<E>() } {
                    fixed_tile::<I, E, M, L, MASKED>(isa, shape)
                } else if shape == (1, 3, 3) {
                    Some(tile_fixed::<I, E, M, L, 1, 3, 3, MASKED> as TileFn<I, E, M, L>)
                } else {
                    None
                };
                if let Some(tile) = fixed {
                    tile(
                        isa,
                        (x, x0, in_plane, is, rows, cols, seg, pk, per_r, nr, acc),
                    );
                    return;
                }
            }
            let mut a = *acc;
            let span = (L - 1) * if IS > 0 { IS } else { is } + 1;
            if let ([rt], [ct]) = (rows, cols) {
                // A single tap (1 × 1 kernels, GEMMs): the reduction channels are the only loop.
                let start = (x0 + rt.x) as isize + seg.start + ct.off as isize;
                let end = start + ((nr - 1) * in_plane + span) as isize;
                // (Planes narrower than a tile's span, small transposed phases, take the loop below.)
                if start >= 0 && end as usize <= x.len() && per_r == 1 && span <= in_plane {
                    let start = start as usize;
                    let keep_mask = MASKED.then_some(&ct.keep);
                    // Equal chunks (whole planes but the last), so that the loop carries no length
                    // bookkeeping; the last plane as a chunk of its own (the same iterator type: one
                    // instance of `gemm_steps`).
                    let xs = x[start..][..(nr - 1) * in_plane].chunks_exact(in_plane);
                    let last = x[start + (nr - 1) * in_plane..][..span].chunks_exact(span);
                    a = gemm_steps::<I, E, M, L, IS>(isa, a, &pk[..nr - 1], xs, is, keep_mask);
                    a = gemm_steps::<I, E, M, L, IS>(isa, a, &pk[nr - 1..nr], last, is, keep_mask);
                    *acc = a;
                    return;
                }
            }
            for (r, pr) in pk.chunks_exact(per_r).take(nr).enumerate() {
                let xr = x0 + r * in_plane;
                for rt in rows {
                    let taps = &pr[rt.w..][..cols.len()];
                    let start = (xr + rt.x) as isize + seg.start;
                    let row = if start >= 0 {
                        x.get(start as usize..start as usize + seg.len)
                    } else {
                        None
                    };
                    let Some(row) = row else {
                        // The segment sticks out of `x` (first or last rows of the tensor).
                        *acc = a;
                        edge_taps::<I, E, M, L>(
                            isa,
                            x,
                            start,
                            if IS > 0 { IS } else { is },
                            cols,
                            taps,
                            acc,
                        );
                        a = *acc;
                        continue;
                    };
                    let mut step = |ct: &ColTap<L>, wv: &[E; M], seg: &[E]| {
                        let mut xs = lanes::<E, L, IS>(seg, 0, is);
                        // (every column: a test per tap costs more than the masks in small kernels)
                        if MASKED {
                            keep(&mut xs, &ct.keep);
                        }
                        for m in 0..M {
                            for l in 0..L {
                                a[m][l] = fmadd::<I, _>(wv[m], xs[l], a[m][l]);
                            }
                        }
                    };
                    if UNIT {
                        // Tap `t` starts at column `t` of the segment: its windows, no bounds checks.
                        for ((ct, wv), seg) in cols.iter().zip(taps).zip(row.windows(span)) {
                            step(ct, wv, seg);
                        }
                    } else {
                        for (ct, wv) in cols.iter().zip(taps) {
                            step(ct, wv, &row[ct.off..][..span]);
                        }
                    }
                }
            }
            *acc = a;
        },
    )
}

/// The steps of a single-tap tile: `a[m] += w[r][m] · x[r][lanes]` for each reduction channel
/// `r` (the rows of `xs`), lanes outside `keep` zeroed.
#[inline(always)]
fn gemm_steps<'a, I: Isa, E: Element + 'a, const M: usize, const L: usize, const IS: usize>(
    _isa: I,
    mut a: [[E; L]; M],
    pk: &[[E; M]],
    xs: impl Iterator<Item = &'a [E]>,
    is: usize,
    keep_mask: Option<&[u32; L]>,
) -> [[E; L]; M] {
    for (wv, xr) in pk.iter().zip(xs) {
        let mut xs = lanes::<E, L, IS>(xr, 0, is);
        if let Some(k) = keep_mask {
            keep(&mut xs, k);
        }
        for m in 0..M {
            for l in 0..L {
                a[m][l] = fmadd::<I, _>(wv[m], xs[l], a[m][l]);
            }
        }
    }
    a
}

/// The kernel strategy for `I`: whether it is the compact one.
///
/// * **Full** (every vector path: AVX-512, AVX2, and the baseline of other architectures, NEON
///   on aarch64): fixed micro-kernels ([`tile_fixed`]), tiles of every channel count, rows of
///   one and of two registers, the pointwise path.
/// * **Compact** (baseline x86-64, i.e. SSE2 only: CPUs before 2013 or a forced
///   `CONSTNET_ISA=baseline`; and `f64`, the gradient-checking type, which always runs the
///   baseline): one row width (two registers), tiles of [`MC`] channels only (a partial block
///   repeats its last channel), the general loop of [`direct_tile`]. The same results; it keeps
///   the third copy of the kernels from costing the build time of the other two. Every level
///   is compact under [`crate::kernels::Strategy::Size`] (then the baseline is the only one).
const fn compact<I: Isa>() -> bool {
    matches!(crate::kernels::STRATEGY, crate::kernels::Strategy::Size)
        || (cfg!(target_arch = "x86_64") && matches!(I::LEVEL, Level::Baseline))
}

type TileFn<I, E, const M: usize, const L: usize> = for<'a, 'b> fn(I, TileArgs<'a, 'b, E, M, L>);

/// The [`tile_fixed`] for a tile's `(lane stride, rows, columns)`, if there is one (rows `0`:
/// any number of rows).
#[inline(always)]
fn fixed_tile<I: Isa, E: Element, const M: usize, const L: usize, const MASKED: bool>(
    _isa: I,
    shape: (usize, usize, usize),
) -> Option<TileFn<I, E, M, L>> {
    Some(match shape {
        // 3 × 3 (stride 1, and transposed problems of stride 1)
        (1, 3, 3) => tile_fixed::<I, E, M, L, 1, 3, 3, MASKED>,
        // 5 × 5 (LeNet, Inception)
        (1, 5, 5) => tile_fixed::<I, E, M, L, 1, 5, 5, MASKED>,
        // transposed 4 × 4 of stride 2 (one row phase and one column phase: 2 × 2 taps)
        (1, 2, 2) => tile_fixed::<I, E, M, L, 1, 2, 2, MASKED>,
        // 4 × 4 of stride 2 as a column split (`direct_split`: 4 rows of 2 taps), and its
        // first and last rows
        (1, 4, 2) => tile_fixed::<I, E, M, L, 1, 4, 2, MASKED>,
        (1, 0, 2) => tile_fixed::<I, E, M, L, 1, 0, 2, MASKED>,
        // 3 × 3 of stride 2 (ResNet's downsampling), 4 × 4 of stride 2 on maps too wide for
        // `direct_split`'s copy
        (2, 3, 3) => tile_fixed::<I, E, M, L, 2, 3, 3, MASKED>,
        (2, 4, 4) => tile_fixed::<I, E, M, L, 2, 4, 4, MASKED>,
        // Rows at the top and bottom of a map, transposed problems of stride 1.
        (1, 0, 3) => tile_fixed::<I, E, M, L, 1, 0, 3, MASKED>,
        (1, 0, 5) => tile_fixed::<I, E, M, L, 1, 0, 5, MASKED>,
        // The same at stride 2 (the first and last rows of a padded map)
        (2, 0, 3) => tile_fixed::<I, E, M, L, 2, 0, 3, MASKED>,
        (2, 0, 4) => tile_fixed::<I, E, M, L, 2, 0, 4, MASKED>,
        _ => return None,
    })
}

/// The accumulators `v` with their lanes in `order` (lane `j` ← lane `order[j]`).
#[inline(always)]
fn permute<I: Isa, E: Element, const M: usize, const L: usize>(
    _isa: I,
    v: &[[E; L]; M],
    order: &[usize; L],
) -> [[E; L]; M] {
    let mut p = [[E::zero(); L]; M];
    for m in 0..M {
        for j in 0..L {
            p[m][j] = v[m][order[j]];
        }
    }
    p
}

/// The inverse of [`permute`].
#[inline(always)]
fn unpermute<I: Isa, E: Element, const M: usize, const L: usize>(
    _isa: I,
    p: &[[E; L]; M],
    order: &[usize; L],
) -> [[E; L]; M] {
    let mut v = [[E::zero(); L]; M];
    for m in 0..M {
        for j in 0..L {
            v[m][order[j]] = p[m][j];
        }
    }
    v
}

/// [`direct_tile`] for `KU` kernel rows (`0`: any number, each with its offset in the pack) of
/// `KV` consecutive taps each, lane stride `IS` (`1` or `2`): per kernel row and reduction
/// channel, `KV` steps with constant trip counts over one input row segment ([`segment_steps`]).
///
/// When every segment of the tile lies inside `x` (all tiles but those at the first and last
/// rows of the tensor), kernel rows are the outer loop and channels the inner one, so a
/// segment is the next chunk of an iterator with no bounds check of its own: W2f 41.04 →
/// 34.94 M instructions (3 runs), W5's input gradient 13.57 → 12.12 M. The other tiles check
/// each segment, channels outside and rows inside, and take the segments that stick out of
/// `x` lane by lane ([`edge_taps`]). Both run the same steps ([`segment_steps`]).
// (out of line, with the instruction set's features: see `Isa::run`)
#[inline(always)]
fn tile_fixed<
    I: Isa,
    E: Element,
    const M: usize,
    const L: usize,
    const IS: usize,
    const KU: usize,
    const KV: usize,
    const MASKED: bool,
>(
    isa: I,
    (x, x0, in_plane, _, rows, cols, seg, pk, per_r, nr, acc): TileArgs<'_, '_, E, M, L>,
) {
    isa.run(
        #[inline(always)]
        move || {
            // Stride 2: lanes in the shuffle's order ([`lane_order`]); the accumulators and the lane
            // masks are permuted to it here and back at the end (no-ops at stride 1).
            let order = const { lane_order::<I, E, L, IS>() };
            let mut keeps = [[0u32; L]; KV];
            if MASKED && IS == 2 {
                for (k, ct) in keeps.iter_mut().zip(cols) {
                    for j in 0..L {
                        k[j] = ct.keep[order[j]];
                    }
                }
            }
            let mut a = permute(isa, acc, &order);
            let span = (L - 1) * IS + 1;
            let len = span + KV - 1;
            debug_assert!(seg.len == len);
            debug_assert!(KU == 0 || per_r == KU * KV);
            debug_assert!(KU == 0 || rows.iter().enumerate().all(|(i, rt)| rt.w == i * KV));
            // (dispatched on these counts; a constant count of rows when `KU > 0`)
            let rows = if KU > 0 { &rows[..KU] } else { rows };
            let cols: &[ColTap<L>; KV] = cols.try_into().expect("KV kernel columns");
            let per_r = if KU > 0 { KU * KV } else { per_r };
            // A loop over the taps, not unrolled by hand: unrolled, LLVM hoists the loads of later taps
            // and spills accumulators. Two taps it unrolls by itself, with the same result (the column
            // split's `4 × 2` tiles: 15.6 M instructions and 343 µs for W5's input gradient, against
            // 13.7 M and 200 µs with a count LLVM cannot see, taken once per tile call); masked tiles
            // (transposed phases) do not spill, and the opaque count costs them 13 % more instructions.
            let kv = if KV <= 2 && !MASKED {
                core::hint::black_box(KV)
            } else {
                KV
            };
            // Every row segment of every reduction channel inside `x` (all tiles but those at the
            // tensor's first and last rows): kernel rows outside, reduction channels inside, and no
            // check per segment.
            let lo = rows.iter().map(|rt| rt.x).min();
            let hi = rows.iter().map(|rt| rt.x).max();
            if let (Some(lo), Some(hi), true) = (lo, hi, nr > 0 && len <= in_plane) {
                let first = (x0 + lo) as isize + seg.start;
                let end = (x0 + (nr - 1) * in_plane + hi) as isize + seg.start + len as isize;
                if first >= 0 && end as usize <= x.len() {
                    for (u, rt) in rows.iter().enumerate() {
                        let at = if KU > 0 { u * KV } else { rt.w };
                        let start = ((x0 + rt.x) as isize + seg.start) as usize;
                        let (body, last) =
                            x[start..][..(nr - 1) * in_plane + len].split_at((nr - 1) * in_plane);
                        // (the last channel's segment as a chunk of its own: the same iterator type)
                        a = row_steps::<I, E, M, L, IS, KV, MASKED>(
                            isa,
                            a,
                            pk[..(nr - 1) * per_r].chunks_exact(per_r),
                            body.chunks_exact(in_plane),
                            at,
                            cols,
                            &keeps,
                            &order,
                            kv,
                        );
                        a = row_steps::<I, E, M, L, IS, KV, MASKED>(
                            isa,
                            a,
                            pk[(nr - 1) * per_r..][..per_r].chunks_exact(per_r),
                            last.chunks_exact(len),
                            at,
                            cols,
                            &keeps,
                            &order,
                            kv,
                        );
                    }
                    *acc = unpermute(isa, &a, &order);
                    return;
                }
            }
            for (r, pr) in pk.chunks_exact(per_r).take(nr).enumerate() {
                let xr = x0 + r * in_plane;
                for (u, rt) in rows.iter().enumerate() {
                    let at = if KU > 0 { u * KV } else { rt.w };
                    let taps: &[[E; M]; KV] = pr[at..][..KV].try_into().expect("KV taps");
                    let start = (xr + rt.x) as isize + seg.start;
                    let row = if start >= 0 {
                        x.get(start as usize..start as usize + len)
                    } else {
                        None
                    };
                    let Some(row) = row else {
                        // The segment sticks out of `x` (first or last rows of the tensor).
                        *acc = unpermute(isa, &a, &order);
                        edge_taps::<I, E, M, L>(isa, x, start, IS, cols, taps, acc);
                        a = permute(isa, acc, &order);
                        continue;
                    };
                    a = segment_steps::<I, E, M, L, IS, KV, MASKED>(
                        isa, a, taps, row, cols, &keeps, &order, kv,
                    );
                }
            }
            *acc = unpermute(isa, &a, &order);
        },
    )
}

/// [`tile_fixed`]'s steps for one kernel row over the reduction channels: for each channel's
/// packed taps `pk` (taps `at..at + KV`) and input row segment (the start of each chunk of
/// `xs`), `KV` (or `kv`) taps.
#[allow(clippy::too_many_arguments)]
#[inline(always)]
fn row_steps<
    'a,
    I: Isa,
    E: Element,
    const M: usize,
    const L: usize,
    const IS: usize,
    const KV: usize,
    const MASKED: bool,
>(
    isa: I,
    mut a: [[E; L]; M],
    pk: core::slice::ChunksExact<'a, [E; M]>,
    xs: core::slice::ChunksExact<'a, E>,
    at: usize,
    cols: &[ColTap<L>; KV],
    keeps: &[[u32; L]; KV],
    order: &[usize; L],
    kv: usize,
) -> [[E; L]; M] {
    let len = (L - 1) * IS + KV;
    for (pr, xr) in pk.zip(xs) {
        let taps: &[[E; M]; KV] = pr[at..][..KV].try_into().expect("KV taps");
        a = segment_steps::<I, E, M, L, IS, KV, MASKED>(
            isa,
            a,
            taps,
            &xr[..len],
            cols,
            keeps,
            order,
            kv,
        );
    }
    a
}

/// The `KV` (or `kv`) taps of one kernel row on one input row segment `row`: tap `t` reads the
/// window at column `t`, lane `j` its column `IS · order[j]` (at stride 2 each register is one
/// shuffle of two loads, see `lane_order`), masked in masked tiles (every column: a test per
/// step cost more than the mask, W5's forward 11.73 → 11.36 M instructions), times the tap's
/// `M` weights.
#[allow(clippy::too_many_arguments)]
#[inline(always)]
fn segment_steps<
    I: Isa,
    E: Element,
    const M: usize,
    const L: usize,
    const IS: usize,
    const KV: usize,
    const MASKED: bool,
>(
    _isa: I,
    mut a: [[E; L]; M],
    taps: &[[E; M]; KV],
    row: &[E],
    cols: &[ColTap<L>; KV],
    keeps: &[[u32; L]; KV],
    order: &[usize; L],
    kv: usize,
) -> [[E; L]; M] {
    let span = (L - 1) * IS + 1;
    for (((ct, k), wv), seg) in cols
        .iter()
        .zip(keeps)
        .zip(taps)
        .zip(row.windows(span))
        .take(kv)
    {
        let mut xs = [E::zero(); L];
        for j in 0..L {
            xs[j] = seg[IS * order[j]];
        }
        if MASKED {
            keep(&mut xs, if IS == 2 { k } else { &ct.keep });
        }
        for m in 0..M {
            for l in 0..L {
                a[m][l] = fmadd::<I, _>(wv[m], xs[l], a[m][l]);
            }
        }
    }
    a
}

// =============================================================================================
// Dense forward: dot products of rows
// =============================================================================================

/// Dense forward: `y[n, o] = b[o] + Σ_i x[n, i] · w[o, i]`, dot products of rows (through
/// [`Instantiated`]).
#[inline(always)]
fn dense_forward<E: Element>(
    x: &[E],
    w: &[E],
    bias: Option<&[E]>,
    y: &mut [E],
    n: usize,
    ci: usize,
    co: usize,
) {
    E::dense_forward(x, w, bias, y, n, ci, co);
}

/// [`dense_forward`]'s body; instantiated only by [`Instantiated`].
#[inline(always)]
#[allow(clippy::too_many_arguments)]
fn dense_forward_any<I: Isa, E: Element>(
    isa: I,
    x: &[E],
    w: &[E],
    bias: Option<&[E]>,
    y: &mut [E],
    n: usize,
    ci: usize,
    co: usize,
) {
    if const { is_f32::<E>() } {
        dense_lanes::<I, E, 8>(isa, x, w, bias, y, n, ci, co)
    } else {
        dense_lanes::<I, E, 4>(isa, x, w, bias, y, n, ci, co)
    }
}

/// Samples per dense tile.
const DN: usize = 3;
/// Output features per dense tile.
const DO: usize = 4;

#[inline(always)]
#[allow(clippy::too_many_arguments)]
fn dense_lanes<I: Isa, E: Element, const L: usize>(
    isa: I,
    x: &[E],
    w: &[E],
    bias: Option<&[E]>,
    y: &mut [E],
    n: usize,
    ci: usize,
    co: usize,
) {
    let mut n0 = 0;
    while n0 < n {
        let nb = (n - n0).min(DN);
        let mut o0 = 0;
        while o0 < co {
            let args = (x, w, bias, &mut *y, ci, co, n0, o0);
            match nb {
                DN => dense_tile::<I, E, DN, L>(isa, args),
                2 => dense_tile::<I, E, 2, L>(isa, args),
                _ => dense_tile::<I, E, 1, L>(isa, args),
            }
            o0 += DO;
        }
        n0 += nb;
    }
}

type DenseArgs<'a, 'b, E> = (
    &'a [E],
    &'a [E],
    Option<&'a [E]>,
    &'b mut [E],
    usize,
    usize,
    usize,
    usize,
);

/// `NB` samples × `DO` outputs (`o0..`, clamped to the last output: the duplicates of a
/// partial tile are computed and not stored).
#[inline(always)]
fn dense_tile<I: Isa, E: Element, const NB: usize, const L: usize>(
    _isa: I,
    (x, w, bias, y, ci, co, n0, o0): DenseArgs<'_, '_, E>,
) {
    let mut xr: [&[E]; NB] = [&[]; NB];
    for (a, xr) in xr.iter_mut().enumerate() {
        *xr = &x[(n0 + a) * ci..][..ci];
    }
    let mut wr: [&[E]; DO] = [&[]; DO];
    for (b, wr) in wr.iter_mut().enumerate() {
        *wr = &w[(o0 + b).min(co - 1) * ci..][..ci];
    }
    let mut acc = [[[E::zero(); L]; DO]; NB];
    let mut c = 0;
    while c + L <= ci {
        let mut xs = [[E::zero(); L]; NB];
        for a in 0..NB {
            xs[a] = lanes::<E, L, 1>(xr[a], c, 1);
        }
        let mut ws = [[E::zero(); L]; DO];
        for b in 0..DO {
            ws[b] = lanes::<E, L, 1>(wr[b], c, 1);
        }
        for a in 0..NB {
            for b in 0..DO {
                for l in 0..L {
                    acc[a][b][l] = fmadd::<I, _>(xs[a][l], ws[b][l], acc[a][b][l]);
                }
            }
        }
        c += L;
    }
    for a in 0..NB {
        for b in 0..DO.min(co - o0) {
            let mut s = hsum(acc[a][b]);
            for i in c..ci {
                s = fmadd::<I, _>(xr[a][i], wr[b][i], s);
            }
            let o = o0 + b;
            y[(n0 + a) * co + o] = s + bias.map_or(E::zero(), |bias| bias[o]);
        }
    }
}

/// One group's weight gradient as dot products:
/// `dw[m, c, u, v] += Σ_(n, i, j) dy[n, m, i, j] · x[n, c, i·s − p + u·d, j·s − p + v·d]`.
#[derive(Clone, Copy, Debug)]
struct Reduce {
    n: usize,
    ci: usize,
    co: usize,
    h: usize,
    w: usize,
    ho: usize,
    wo: usize,
    k: usize,
    s: usize,
    p: usize,
    d: usize,
    /// Distance between two samples in `x` and in `dy`.
    x_n: usize,
    dy_n: usize,
}

impl Reduce {
    fn of<C: ConvGeometry>() -> Self {
        let q = Self {
            n: C::N,
            ci: C::CIG,
            co: C::COG,
            h: C::H,
            w: C::W,
            ho: C::HO,
            wo: C::WO,
            k: C::K,
            s: C::S,
            p: C::P,
            d: C::D,
            x_n: C::CI * C::H * C::W,
            dy_n: C::CO * C::HO * C::WO,
        };
        if q.k == 1 && q.s == 1 && q.p == 0 {
            // Planes as one long row (see `Direct::flat_pointwise`).
            Self {
                h: 1,
                w: q.h * q.w,
                ho: 1,
                wo: q.ho * q.wo,
                ..q
            }
        } else {
            q
        }
    }
}

/// The outputs `o` in `lo..hi` (of `0..n_out`) for which `o·s + shift − p` lies in `0..n_in`.
#[inline]
fn valid_range(shift: usize, p: usize, s: usize, n_in: usize, n_out: usize) -> (usize, usize) {
    if n_in + p <= shift {
        return (0, 0);
    }
    let (lo, last) = (p.saturating_sub(shift), n_in - 1 + p - shift);
    let (lo, hi) = if s == 1 {
        (lo, last + 1)
    } else {
        (lo.div_ceil(s), last / s + 1)
    };
    let hi = hi.min(n_out);
    (lo.min(hi), hi)
}

// =============================================================================================
// Weight gradient: output channels along the lanes
// =============================================================================================

/// Bytes of the transposed block of `dy` that [`wgrad`] keeps on its stack (4 KiB with the
/// `small-stack` feature). Every block costs the transpose and adding each tile's sums into
/// `dw`. 32 KiB (512 positions × 16 channels) rather than 8 KiB: 18–20 % less time on the
/// 64-channel weight gradients of W2 and W3, 21 % on W5's (whose 256 positions are one block
/// from 16 KiB on).
const WGRAD_PACK_BYTES: usize = if cfg!(feature = "small-stack") {
    4096
} else {
    32768
};

/// Bytes of the tiles' sums that [`wgrad`] holds on its stack before adding them into `dw`
/// (1 KiB with the `small-stack` feature).
///
/// A tile's sums go to `dw[m, (c, u, v)]` for its 16 output channels `m`, which lie a whole
/// filter (`CIG·K²` values) apart: added tile by tile, they are 16 lines of `dw` per weight row,
/// which at power-of-two filter sizes share one or two cache sets and evict one another between
/// the taps that add to the same line. Held here and added filter by filter, four filters at a
/// time, they are not: W5's weight gradient (4×4, stride 2, 32 → 64 channels) 212–215 →
/// 197–198 µs, a 4×4 stride-1 one on 16×16 maps 188 → 158–164 µs.
const WGRAD_SUMS_BYTES: usize = if cfg!(feature = "small-stack") {
    1024
} else {
    8192
};

/// Accumulates one group's weight gradient. `x0`, `dy0`, `dw0`: offsets of the group (through
/// [`Instantiated`]).
///
/// The weight gradient is a matrix product reduced over output positions,
/// `dw[m, (c, u, v)] += Σ_positions dy[m, ·] · x[c, shifted by (u, v)]`. It runs with the output
/// channels along the vector lanes: a block of output positions of `dy` is transposed once into
/// a small pack (positions × channels, [`WGRAD_PACK_BYTES`]); each register tile — `MV` vectors
/// of output channels × `J` weight rows `(c, u, v)` — then takes, per output position, `MV`
/// vector loads from the pack, `J` broadcast input values and `MV · J` multiply-adds. There are
/// no horizontal sums and no masks: each row of a tile reads inside the input on a known range
/// of output positions, and only those are visited (padding is never multiplied, so an infinity
/// next to the border cannot meet a zero); a stride only changes the step between input values.
#[inline(always)]
fn wgrad<E: Element>(
    q: &Reduce,
    x: &[E],
    x0: usize,
    dy: &[E],
    dy0: usize,
    dw: &mut [E],
    dw0: usize,
) {
    E::wgrad(q, x, x0, dy, dy0, dw, dw0);
}

/// [`wgrad`]'s body; instantiated only by [`Instantiated`].
#[inline(always)]
#[allow(clippy::too_many_arguments)]
fn wgrad_any<I: Isa, E: Element>(
    isa: I,
    q: &Reduce,
    x: &[E],
    x0: usize,
    dy: &[E],
    dy0: usize,
    dw: &mut [E],
    dw0: usize,
) {
    let a = (q, x, x0, dy, dy0, dw, dw0);
    // Tiles of 12 accumulator registers (13 with one vector of channels: with the `dy` vector
    // and a broadcast, 15 of the 16 registers; LeNet-5's first layer, 25 weight rows, is two
    // tiles of 13 and 12 instead of three of 12 with a third one mostly repeated rows: 32 %
    // fewer instructions, ≈ 20 % less time); packs of `WGRAD_PACK_BYTES`.
    // (`const` condition: each element type instantiates only its own lane count)
    if const { is_f32::<E>() && I::VECTOR_BYTES == 64 } {
        wgrad_width::<I, E, 16>(isa, a)
    } else if const { is_f32::<E>() } {
        wgrad_width::<I, E, 8>(isa, a)
    } else {
        wgrad_width::<I, E, 4>(isa, a)
    }
}

/// [`wgrad_any`] for `L` lanes (one 256-bit register): one vector of output channels when
/// they fit, else two.
#[inline(always)]
fn wgrad_width<I: Isa, E: Element, const L: usize>(isa: I, a: WgradArgs<'_, E>) {
    // (the packs hold `[[E; L]; MV]` entries: 64-byte vectors take half as many)
    if const { L * core::mem::size_of::<E>() == 64 } {
        if a.0.co <= L {
            wgrad_tiles::<I, E, L, 1, 13, 12, { WGRAD_PACK_BYTES / 64 }, { WGRAD_SUMS_BYTES / 64 }>(
                isa, a,
            )
        } else {
            wgrad_tiles::<I, E, L, 2, 6, 5, { WGRAD_PACK_BYTES / 128 }, { WGRAD_SUMS_BYTES / 128 }>(
                isa, a,
            )
        }
    } else if a.0.co <= L {
        wgrad_tiles::<I, E, L, 1, 13, 12, { WGRAD_PACK_BYTES / 32 }, { WGRAD_SUMS_BYTES / 32 }>(
            isa, a,
        )
    } else {
        wgrad_tiles::<I, E, L, 2, 6, 5, { WGRAD_PACK_BYTES / 64 }, { WGRAD_SUMS_BYTES / 64 }>(
            isa, a,
        )
    }
}

type WgradArgs<'a, E> = (
    &'a Reduce,
    &'a [E],
    usize,
    &'a [E],
    usize,
    &'a mut [E],
    usize,
);

/// One row `(c, u, v)` of a weight-gradient tile.
#[derive(Clone, Copy, Default)]
struct WRow {
    /// Offset of the weight `(c, u, v)` within an output channel's filter.
    at: usize,
    /// Offset in `x`, from the sample's start, of the value that output position `(0, 0)` would
    /// read (it may lie outside: `rows` and `cols` say which positions read inside).
    x: isize,
    /// Output rows and output columns whose input lies inside.
    rows: (usize, usize),
    cols: (usize, usize),
}

/// Tiles of `MV` vectors of `L` output channels × `J` (or `JS = J − 1`) weight rows, over blocks
/// of `PB` output positions (`PB · MV · L` values: [`WGRAD_PACK_BYTES`]).
#[inline(always)]
fn wgrad_tiles<
    I: Isa,
    E: Element,
    const L: usize,
    const MV: usize,
    const J: usize,
    const JS: usize,
    const PB: usize,
    const GR: usize,
>(
    isa: I,
    (q, x, x0, dy, dy0, dw, dw0): WgradArgs<'_, E>,
) {
    // (One vector register holds 32 bytes; `L` is chosen to match the element type.)
    const { assert!(PB * MV * 32 <= WGRAD_PACK_BYTES) };
    const { assert!(GR * MV * 32 <= WGRAD_SUMS_BYTES && GR >= J) };
    let (hw, ohw, kk) = (q.h * q.w, q.ho * q.wo, q.k * q.k);
    let cikk = q.ci * kk;
    let ml = MV * L;
    // Per tap: output rows and columns that read inside the input, and the input offset that
    // output position `(0, 0)` would read from channel 0.
    let tap_of = |tap: usize| {
        let (u, v) = (tap / q.k, tap % q.k);
        let (dr, dc) = (
            (u * q.d) as isize - q.p as isize,
            (v * q.d) as isize - q.p as isize,
        );
        WRow {
            at: tap,
            x: dr * q.w as isize + dc,
            rows: valid_range(u * q.d, q.p, q.s, q.h, q.ho),
            cols: valid_range(v * q.d, q.p, q.s, q.w, q.wo),
        }
    };
    let row_of = |c: usize, t: WRow| WRow {
        at: c * kk + t.at,
        x: (c * hw) as isize + t.x,
        ..t
    };
    // The tiles' rows: blocks of `J` or `JS` channels of one tap when there are that many
    // (channel blocks outside, taps inside, so that a block's input rows stay in L1), else runs
    // of `J` (tap, channel) pairs. A partial tile repeats its last row (computed, not stored).
    let per_tap = q.ci >= J;
    let blocks = q.ci.div_ceil(J);
    // Blocks of `J` then of `JS` channels when they add up exactly, else of `J` and a rest.
    let big = if q.ci >= blocks * JS {
        q.ci - blocks * JS
    } else {
        blocks
    };
    let ntiles = if per_tap {
        kk * blocks
    } else {
        cikk.div_ceil(J)
    };
    let tile = |t: usize| {
        let mut rows = [WRow::default(); J];
        let nr;
        if per_tap {
            let (b, tap) = (t / kk, tap_of(t % kk));
            let c0 = b * JS + b.min(big);
            nr = (q.ci - c0).min(if b < big { J } else { JS });
            for (r, row) in rows.iter_mut().enumerate() {
                *row = row_of(c0 + r.min(nr - 1), tap);
            }
        } else {
            let t0 = t * J;
            nr = (cikk - t0).min(J);
            for (r, row) in rows.iter_mut().enumerate() {
                let f = t0 + r.min(nr - 1);
                *row = row_of(f % q.ci, tap_of(f / q.ci));
            }
        }
        (rows, nr)
    };
    // Blocks of output positions: whole rows when one fits the pack, else pieces of a row.
    let (block_rows, block_cols) = if q.wo <= PB {
        (PB / q.wo, q.wo)
    } else {
        (1, PB)
    };
    let mut pack = [[[E::zero(); L]; MV]; PB];
    // The sums of the last tiles (`held` rows) and the weights they belong to.
    let mut sums = [[[E::zero(); L]; MV]; GR];
    let mut ats = [0usize; GR];
    let mut held = 0;
    for n in 0..q.n {
        let (xn, dyn_) = (x0 + n * q.x_n, dy0 + n * q.dy_n);
        for m0 in (0..q.co).step_by(ml) {
            let mc = (q.co - m0).min(ml);
            for i0 in (0..q.ho).step_by(block_rows) {
                let i1 = (i0 + block_rows).min(q.ho);
                for j0 in (0..q.wo).step_by(block_cols) {
                    let j1 = (j0 + block_cols).min(q.wo);
                    let bw = j1 - j0;
                    let pack = &mut pack[..(i1 - i0) * bw];
                    // Transpose `dy[m0.., i0..i1, j0..j1]` (channels past the last are zero:
                    // their lanes are computed, never stored).
                    for m in 0..ml {
                        let (mv, l) = (m / L, m % L);
                        if m < mc {
                            let plane = &dy[dyn_ + (m0 + m) * ohw..][..ohw];
                            for i in i0..i1 {
                                let src = &plane[i * q.wo + j0..][..bw];
                                for (d, &s) in pack[(i - i0) * bw..][..bw].iter_mut().zip(src) {
                                    d[mv][l] = s;
                                }
                            }
                        } else {
                            pack.iter_mut().for_each(|d| d[mv][l] = E::zero());
                        }
                    }
                    let block = WBlock {
                        isa,
                        q,
                        x,
                        xn,
                        pack,
                        rows: (i0, i1),
                        cols: (j0, j1),
                    };
                    let dw = &mut dw[dw0 + m0 * cikk..][..mc * cikk];
                    for t in 0..ntiles {
                        let (rows, nr) = tile(t);
                        if held + nr > GR {
                            wgrad_flush(isa, dw, cikk, &sums[..held], &ats[..held]);
                            held = 0;
                        }
                        let mut add = |acc: &[[[E; L]; MV]]| {
                            for (acc, row) in acc.iter().zip(&rows).take(nr) {
                                sums[held] = *acc;
                                ats[held] = row.at;
                                held += 1;
                            }
                        };
                        let uniform = per_tap
                            || rows
                                .iter()
                                .all(|r| r.rows == rows[0].rows && r.cols == rows[0].cols);
                        if !uniform {
                            add(&block.tile(&rows));
                        } else if let (true, Some(rows)) = (nr == JS, rows.first_chunk::<JS>()) {
                            add(&block.uniform(rows));
                        } else {
                            add(&block.uniform(&rows));
                        }
                    }
                    wgrad_flush(isa, dw, cikk, &sums[..held], &ats[..held]);
                    held = 0;
                }
            }
        }
    }
}

/// Adds held tile sums into the filters of a block of output channels: `dw[m·cikk + ats[k]] +=
/// sums[k][m]`, four filters at a time (see [`WGRAD_SUMS_BYTES`]; one index and one bounds
/// check per four additions).
#[inline(always)]
fn wgrad_flush<I: Isa, E: Element, const L: usize, const MV: usize>(
    _isa: I,
    dw: &mut [E],
    cikk: usize,
    sums: &[[[E; L]; MV]],
    ats: &[usize],
) {
    // (the first filter the quads leave over)
    let m0 = dw.len() / cikk / 4 * 4;
    let mut quads = dw.chunks_exact_mut(4 * cikk);
    for (q, dw) in (&mut quads).enumerate() {
        let (d0, dw) = dw.split_at_mut(cikk);
        let (d1, dw) = dw.split_at_mut(cikk);
        let (d2, d3) = dw.split_at_mut(cikk);
        for (s, &at) in sums.iter().zip(ats) {
            let s = &s.as_flattened()[4 * q..][..4];
            d0[at] += s[0];
            d1[at] += s[1];
            d2[at] += s[2];
            d3[at] += s[3];
        }
    }
    for (m, dw) in quads.into_remainder().chunks_exact_mut(cikk).enumerate() {
        for (s, &at) in sums.iter().zip(ats) {
            dw[at] += s.as_flattened()[m0 + m];
        }
    }
}

/// A block of output positions of one sample, with its transposed `dy`.
struct WBlock<'a, I, E, const L: usize, const MV: usize> {
    isa: I,
    q: &'a Reduce,
    x: &'a [E],
    /// Start of the sample (and group) in `x`.
    xn: usize,
    /// `dy` at the block's positions (row-major), output channels along the lanes.
    pack: &'a [[[E; L]; MV]],
    rows: (usize, usize),
    cols: (usize, usize),
}

impl<I: Isa, E: Element, const L: usize, const MV: usize> WBlock<'_, I, E, L, MV> {
    /// [`tile`](Self::tile) for rows that read inside the input at the same positions (rows of
    /// one tap, or any rows without padding).
    // (out of line, with the instruction set's features: see `Isa::run`)
    #[inline(always)]
    fn uniform<const J: usize>(&self, rows: &[WRow; J]) -> [[[E; L]; MV]; J] {
        let isa = self.isa;
        isa.run(
            #[inline(always)]
            move || {
                let q = self.q;
                let ((i0, i1), (j0, j1)) = (self.rows, self.cols);
                let bw = j1 - j0;
                let r0 = &rows[0];
                let (rlo, rhi) = (i0.max(r0.rows.0), i1.min(r0.rows.1));
                let (clo, chi) = (j0.max(r0.cols.0), j1.min(r0.cols.1));
                let mut acc = [[[E::zero(); L]; MV]; J];
                if clo >= chi || rlo >= rhi {
                    return acc;
                }
                let mut xo = [0; J];
                for (xo, r) in xo.iter_mut().zip(rows) {
                    *xo =
                        (self.xn as isize + r.x + (rlo * q.s * q.w + clo * q.s) as isize) as usize;
                }
                let at = Rect {
                    rows: rhi - rlo,
                    cols: chi - clo,
                    x_step: q.s * q.w,
                    d_step: bw,
                };
                let d = &self.pack[(rlo - i0) * bw + clo - j0..];
                wgrad_run(isa, &mut acc, self.x, xo, q.s, d, at);
                acc
            },
        )
    }

    /// The tile's sums over the block: `acc[r][·] = Σ_positions x[row r] · dy[·]`.
    // (out of line, with the instruction set's features: see `Isa::run`)
    #[inline(always)]
    fn tile<const J: usize>(&self, rows: &[WRow; J]) -> [[[E; L]; MV]; J] {
        let isa = self.isa;
        isa.run(
            #[inline(always)]
            move || {
                let q = self.q;
                let ((i0, i1), (j0, j1)) = (self.rows, self.cols);
                let bw = j1 - j0;
                // Where every row of the tile reads inside the input.
                let (mut rlo, mut rhi, mut clo, mut chi) = (i0, i1, j0, j1);
                for r in rows {
                    (rlo, rhi) = (rlo.max(r.rows.0), rhi.min(r.rows.1));
                    (clo, chi) = (clo.max(r.cols.0), chi.min(r.cols.1));
                }
                let x_at = |r: &WRow, i: usize, j: usize| {
                    (self.xn as isize + r.x + (i * q.s * q.w + j * q.s) as isize) as usize
                };
                let mut acc = [[[E::zero(); L]; MV]; J];
                for i in i0..i1 {
                    let d = &self.pack[(i - i0) * bw..][..bw];
                    let all = rlo <= i && i < rhi && clo < chi;
                    if all {
                        let mut xo = [0; J];
                        for (xo, r) in xo.iter_mut().zip(rows) {
                            *xo = x_at(r, i, clo);
                        }
                        wgrad_run(
                            isa,
                            &mut acc,
                            self.x,
                            xo,
                            q.s,
                            &d[clo - j0..],
                            Rect::run(chi - clo),
                        );
                    }
                    // The rest of each row's range, row by row (only at borders, or when the rows of a
                    // tile are different taps).
                    for (a, r) in acc.iter_mut().zip(rows) {
                        if i < r.rows.0 || i >= r.rows.1 {
                            continue;
                        }
                        let (lo, hi) = (j0.max(r.cols.0), j1.min(r.cols.1));
                        let pieces = if all {
                            [(lo, clo), (chi, hi)]
                        } else {
                            [(lo, hi), (0, 0)]
                        };
                        for (a0, b0) in pieces {
                            if a0 < b0 {
                                let mut one = [*a];
                                let xo = [x_at(r, i, a0)];
                                wgrad_run(
                                    isa,
                                    &mut one,
                                    self.x,
                                    xo,
                                    q.s,
                                    &d[a0 - j0..],
                                    Rect::run(b0 - a0),
                                );
                                *a = one[0];
                            }
                        }
                    }
                }
                acc
            },
        )
    }
}

/// A rectangle of output positions for [`wgrad_run`]: `rows` output rows of `cols` positions;
/// row `i` reads `x` from `xo[r] + i·x_step` and its `dy` values are `d[i·d_step..][..cols]`.
#[derive(Clone, Copy)]
struct Rect {
    rows: usize,
    cols: usize,
    x_step: usize,
    d_step: usize,
}

impl Rect {
    /// One run of `cols` positions.
    fn run(cols: usize) -> Self {
        Self {
            rows: 1,
            cols,
            x_step: 0,
            d_step: 0,
        }
    }
}

/// `acc[r][·] += Σ_(i, j) x[xo[r] + i·x_step + j·s] · d[i·d_step + j][·]` over a rectangle of
/// output positions.
#[inline(always)]
fn wgrad_run<I: Isa, E: Element, const L: usize, const MV: usize, const J: usize>(
    isa: I,
    acc: &mut [[[E; L]; MV]; J],
    x: &[E],
    xo: [usize; J],
    s: usize,
    d: &[[[E; L]; MV]],
    at: Rect,
) {
    if at.rows == 0 || at.cols == 0 {
        return;
    }
    // Whether every row's values lie in whole chunks of `IS` (the last one included).
    let fits = |is: usize| {
        let span = (at.rows - 1) * at.x_step + at.cols * is;
        xo.iter().all(|&o| o + span <= x.len())
    };
    match s {
        1 if fits(1) => wgrad_stride::<I, E, L, MV, J, 1>(isa, acc, x, xo, s, d, at),
        2 if fits(2) => wgrad_stride::<I, E, L, MV, J, 2>(isa, acc, x, xo, s, d, at),
        _ => wgrad_stride::<I, E, L, MV, J, 0>(isa, acc, x, xo, s, d, at),
    }
}

/// [`wgrad_run`] with the stride `IS` known (`0`: `s` at run time).
#[inline(always)]
fn wgrad_stride<
    I: Isa,
    E: Element,
    const L: usize,
    const MV: usize,
    const J: usize,
    const IS: usize,
>(
    _isa: I,
    acc: &mut [[[E; L]; MV]; J],
    x: &[E],
    mut xo: [usize; J],
    s: usize,
    d: &[[[E; L]; MV]],
    at: Rect,
) {
    let n = at.cols;
    let mut a = *acc;
    for i in 0..at.rows {
        let d = &d[i * at.d_step..][..n];
        if IS > 0 {
            let mut xs: [&[[E; IS]]; J] = [&[]; J];
            for (xs, &o) in xs.iter_mut().zip(&xo) {
                *xs = x[o..][..n * IS].as_chunks::<IS>().0;
                assert!(xs.len() == n);
            }
            for (j, dv) in d.iter().enumerate() {
                for r in 0..J {
                    let b = xs[r][j][0];
                    for mv in 0..MV {
                        for l in 0..L {
                            a[r][mv][l] = fmadd::<I, _>(b, dv[mv][l], a[r][mv][l]);
                        }
                    }
                }
            }
        } else {
            let mut xs: [&[E]; J] = [&[]; J];
            for (xs, &o) in xs.iter_mut().zip(&xo) {
                *xs = &x[o..][..(n - 1) * s + 1];
            }
            for (j, dv) in d.iter().enumerate() {
                for r in 0..J {
                    let b = xs[r][j * s];
                    for mv in 0..MV {
                        for l in 0..L {
                            a[r][mv][l] = fmadd::<I, _>(b, dv[mv][l], a[r][mv][l]);
                        }
                    }
                }
            }
        }
        for o in &mut xo {
            *o += at.x_step;
        }
    }
    *acc = a;
}

// =============================================================================================
// One instantiation per element type
// =============================================================================================

/// The convolution micro-kernels for one element type, as plain (non-generic) functions.
///
/// The kernels take every size at run time, so they do not depend on the layer's geometry, only
/// on the element type. Generic functions are compiled again in every crate that instantiates
/// them (each test binary, example and user crate); these impls for `f32` and `f64` are not
/// generic, so they are compiled once, here, and every other crate links to them. That took the
/// build of a test binary running LeNet-5 (`tests/smoke.rs`, opt-level 2) from 35 s to 1.9 s of
/// CPU time, with unchanged kernel speed. The public entry points stay generic over the
/// geometry and the element type and dispatch here.
/// A supertrait of [`Element`]; it cannot be implemented outside this crate (its methods take
/// crate-private types), which seals `Element` to `f32` and `f64`.
#[doc(hidden)]
#[allow(private_interfaces, clippy::too_many_arguments)]
pub trait Instantiated: Sized {
    /// [`direct_any`] for this type.
    fn direct(
        d: &Direct,
        x: &[Self],
        x0: usize,
        w: &[Self],
        w0: usize,
        y: &mut [Self],
        y0: usize,
        init: Init<'_, Self>,
    );
    /// [`dense_forward_any`] for this type.
    fn dense_forward(
        x: &[Self],
        w: &[Self],
        bias: Option<&[Self]>,
        y: &mut [Self],
        n: usize,
        ci: usize,
        co: usize,
    );
    /// [`wgrad_any`] for this type.
    fn wgrad(
        q: &Reduce,
        x: &[Self],
        x0: usize,
        dy: &[Self],
        dy0: usize,
        dw: &mut [Self],
        dw0: usize,
    );
}

/// Runs `d` through [`padded`] (positions along the lanes across rows, on a zero-padded copy)
/// when the kernels run on AVX-512 and `d` is a small-map problem that suits it (`f32` only).
/// Whether it did.
///
/// Here, beside the dispatch rather than inside [`direct_any`]: there its 40 KiB frame stacked
/// on the dispatch's own, and a training step overflowed the 64 KiB of
/// `tests/it/stack_budget.rs` (it fits when called from here).
// (Not collapsed into one `if … && let …` chain: a lone `if const` is what keeps `f64` from
// instantiating the route, see `Instantiated`.)
#[allow(clippy::too_many_arguments, clippy::collapsible_if)]
#[inline(always)]
fn padded_route<E: Element>(
    d: &Direct,
    x: &[E],
    x0: usize,
    w: &[E],
    w0: usize,
    y: &mut [E],
    y0: usize,
    init: Init<'_, E>,
) -> bool {
    #[cfg(target_arch = "x86_64")]
    if const { is_f32::<E>() && matches!(crate::kernels::STRATEGY, crate::kernels::Strategy::Speed) }
    {
        if let crate::kernels::isa::Token::Avx512(isa) = crate::kernels::isa::token() {
            if let Some(plan) = padded::plan::<E>(d) {
                padded::run(isa, d, &plan, x, x0, w, w0, y, y0, init);
                return true;
            }
        }
    }
    let _ = (d, x, x0, w, w0, y, y0, init);
    false
}

macro_rules! instantiate {
    ($($t:ty),*) => {$(
        #[allow(private_interfaces)]
        impl Instantiated for $t {
            // (Never inlined: its frame holds the weight pack, which must not stay on the stack
            // of a caller that goes on to the weight gradient's own buffer.)
            #[inline(never)]
            fn direct(
                d: &Direct,
                x: &[Self],
                x0: usize,
                w: &[Self],
                w0: usize,
                y: &mut [Self],
                y0: usize,
                init: Init<'_, Self>,
            ) {
                // Small maps with many channels (ResNet's last stages) run on AVX-512 with
                // positions along the lanes across rows (`padded`). Other rows of at most 16
                // outputs (LeNet-5, few channels, `1 × 1` kernels) run on AVX2's tall tiles of 8
                // lanes × 12 channels: AVX-512's rows of 16 lanes hold at most 6 channels (see
                // `lanes::one_vector`), and were slower (LeNet-5 at N = 64: 2.81 ms against
                // 2.44 ms with AVX2).
                if padded_route(d, x, x0, w, w0, y, y0, init) {
                    return;
                }
                let cap = if d.phase_len(0) <= 16 { Level::Avx2 } else { Level::Avx512 };
                dispatch!($t, cap = cap, |isa| direct_any(isa, d, x, x0, w, w0, y, y0, init))
            }
            fn dense_forward(
                x: &[Self],
                w: &[Self],
                bias: Option<&[Self]>,
                y: &mut [Self],
                n: usize,
                ci: usize,
                co: usize,
            ) {
                dispatch!($t, |isa| dense_forward_any(isa, x, w, bias, y, n, ci, co))
            }
            fn wgrad(
                q: &Reduce,
                x: &[Self],
                x0: usize,
                dy: &[Self],
                dy0: usize,
                dw: &mut [Self],
                dw0: usize,
            ) {
                dispatch!($t, |isa| wgrad_any(isa, q, x, x0, dy, dy0, dw, dw0))
            }
        }
    )*};
}
instantiate!(f32, f64);

#[cfg(test)]
mod tests {
    use super::*;

    /// The weight gradient of a batch (several blocks of positions per sample) accumulates
    /// every sample, and what `dw` held before.
    #[test]
    fn weight_gradient_accumulates_every_sample() {
        type C = Geom<3, 1, 6, 6, 48, 48, 48, 48, 3, 1, 1, 1>;
        let x: Vec<f64> = (0..C::X_LEN)
            .map(|i| ((i * 7919 % 101) as f64 - 50.0) / 50.0)
            .collect();
        let dy: Vec<f64> = (0..C::Y_LEN)
            .map(|i| ((i * 104_729 % 97) as f64 - 48.0) / 48.0)
            .collect();
        let mut dw = vec![0.5; C::W_LEN];
        backward_weight::<C, f64>(&x, &dy, &mut dw, None);
        let (h, w) = (C::H as isize, C::W as isize);
        for o in 0..C::CO {
            for c in 0..C::CI {
                for u in 0..3 {
                    for v in 0..3 {
                        let mut s = 0.5;
                        for n in 0..C::N {
                            for i in 0..C::HO {
                                for j in 0..C::WO {
                                    let (iy, ix) = (i as isize + u - 1, j as isize + v - 1);
                                    if (0..h).contains(&iy) && (0..w).contains(&ix) {
                                        let xi = ((n * C::CI + c) * C::H + iy as usize) * C::W
                                            + ix as usize;
                                        let yi = ((n * C::CO + o) * C::HO + i) * C::WO + j;
                                        s += dy[yi] * x[xi];
                                    }
                                }
                            }
                        }
                        let got = dw[((o * C::CI + c) * 3 + u as usize) * 3 + v as usize];
                        assert!((got - s).abs() <= 1e-9 * (1.0 + s.abs()), "{got} vs {s}");
                    }
                }
            }
        }
    }
}
