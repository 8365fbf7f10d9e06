//! Depthwise 2-D convolution (PyTorch's `groups = in_channels = out_channels`) over flat
//! `N, C, H, W` slices.
//!
//! One `KH × KW` filter per channel, weight layout `[C, 1, KH, KW]`; strides, paddings and
//! dilations per axis (`SH`, `SW`, …):
//!
//! `y[n, c, i, j] = b[c] + Σ_{u,v} x[n, c, i·SH − PH + u·DH, j·SW − PW + v·DW] · w[c, u, v]`
//!
//! Each output value reads only `KH·KW` inputs, so this is not a matrix product: the kernels walk
//! one channel plane at a time (a plane of a 56 × 56 map is 12 KiB, it stays in L1) and keep
//! everything in 8-lane registers:
//!
//! * forward computes a block of `R = 4` output rows × 8 columns at once: each input row
//!   that the block touches is loaded once per kernel column (`K` shifted vectors) and
//!   multiplied into every output row of the block that uses it, so a 3 × 3 kernel costs
//!   18 vector loads per 36 fused multiply-adds. Padding lanes are masked at load time (only
//!   the first and last vectors of a row are affected), padding rows are skipped: no
//!   per-element branch.
//! * backward-data with stride 1 is the same correlation of `dy` with the kernel flipped
//!   (padding `(K − 1)·D − P`), through the same code; with a larger stride it scatters.
//! * backward-weight keeps one vector accumulator per kernel tap (up to [`TAPS`] taps per pass
//!   over the plane) and reduces them once per channel; the bias gradient rides along.

use crate::kernels::isa::{Isa, dispatch};
use crate::kernels::lanes::{fmadd, hsum, keep, lanes};
use crate::kernels::scalar::Scalar;
use crate::kernels::window::KernelWindow;
use core::marker::PhantomData;

/// Compile-time geometry of a depthwise convolution (its kernel window: [`KernelWindow`]).
pub trait DepthwiseGeometry: KernelWindow {
    /// Batch size.
    const N: usize;
    /// Channels (input = output).
    const C: usize;
    /// Input height.
    const H: usize;
    /// Input width.
    const W: usize;
    /// Output height.
    const HO: usize;
    /// Output width.
    const WO: usize;

    /// Values of the input.
    const X_LEN: usize = Self::N * Self::C * Self::H * Self::W;
    /// Values of the output.
    const Y_LEN: usize = Self::N * Self::C * Self::HO * Self::WO;
    /// Values of the weight.
    const W_LEN: usize = Self::C * Self::KH * Self::KW;
    /// Multiply-adds of one forward pass.
    const MACS: usize = Self::Y_LEN * Self::KH * Self::KW;
}

/// A [`DepthwiseGeometry`] given by const parameters: `K`, `S`, `P`, `D` along rows and, unless
/// `KW`, `SW`, `PW`, `DW` say otherwise, along columns.
pub struct DepthwiseGeom<
    const N: usize,
    const C: usize,
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
    const C: usize,
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
> DepthwiseGeometry for DepthwiseGeom<N, C, H, W, HO, WO, K, S, P, D, KW, SW, PW, DW>
{
    const N: usize = N;
    const C: usize = C;
    const H: usize = H;
    const W: usize = W;
    const HO: usize = HO;
    const WO: usize = WO;
}

impl<
    const N: usize,
    const C: usize,
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
> KernelWindow for DepthwiseGeom<N, C, H, W, HO, WO, K, S, P, D, KW, SW, PW, DW>
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

/// Lanes per vector step (one 256-bit register of `f32`).
const L: usize = 8;

/// Kernel taps accumulated per pass over a plane by [`backward_weight`] (9: a whole 3 × 3
/// kernel in one pass, 9 + 2 vector registers).
pub const TAPS: usize = 9;

/// Output rows per register block of the forward (and stride-1 backward-data) pass.
const R: usize = 4;

/// `L` zeros, then `L` ones (all bits set): the lane masks of [`col_mask`] are windows of it.
static STEP: [u32; 2 * L] = {
    let mut t = [0u32; 2 * L];
    let mut l = L;
    while l < 2 * L {
        t[l] = u32::MAX;
        l += 1;
    }
    t
};

/// The mask of the lanes `l` (`u32::MAX`, else 0) whose column `c0 + l·s` lies in `0..w`,
/// all zero unless `row`.
///
/// Read from a table at a run-time offset: LLVM then keeps the mask a vector (computed lane by
/// lane, it turns the masked reads into conditional scalar loads).
#[inline(always)]
fn col_mask(c0: isize, s: usize, w: usize, row: bool) -> [u32; L] {
    let si = s as isize;
    let lo = if c0 >= 0 { 0 } else { (-c0 + si - 1) / si };
    let last = w as isize - 1 - c0;
    let hi = if last < 0 || !row { 0 } else { last / si + 1 };
    let (lo, hi) = (
        lo.clamp(0, L as isize) as usize,
        hi.clamp(0, L as isize) as usize,
    );
    // Lanes `l ≥ lo`, and lanes `l < hi`.
    let from: &[u32; L] = STEP[L - lo..][..L].try_into().unwrap();
    let to: &[u32; L] = STEP[L - hi..][..L].try_into().unwrap();
    let mut m = [0u32; L];
    for l in 0..L {
        m[l] = from[l] & !to[l];
    }
    m
}

/// The starts of the `L`-wide steps over `n` outputs: `0, L, 2L, …`, the last one moved back
/// to end at `n` (it recomputes a few outputs instead of handling a partial step). A single
/// step when `n < L`.
#[inline(always)]
fn chunks(n: usize) -> impl Iterator<Item = usize> {
    let last = n.saturating_sub(L);
    (0..n.div_ceil(L)).map(move |c| (c * L).min(last))
}

/// One plane-to-plane correlation with a `K × K` kernel:
/// `out[i, j] = b + Σ_{a,b} wt(a, b) · inp[i·S + a·D − PAD, j·S + b·D − PAD]` (zero outside the
/// input), where `wt(a, b) = w[a, b]`, or `w[K−1−a, K−1−b]` when `FLIP`.
trait Plane {
    /// Input height.
    const HI: usize;
    /// Input width.
    const WI: usize;
    /// Output height.
    const HO: usize;
    /// Output width.
    const WO: usize;
    /// Kernel height and width.
    const KH: usize;
    const KW: usize;
    /// Strides along rows and columns.
    const SH: usize;
    const SW: usize;
    /// Dilations along rows and columns.
    const DH: usize;
    const DW: usize;
    /// Padding of rows and of columns (negative: the first output reads further inside).
    const PADH: isize;
    const PADW: isize;
    /// Whether the kernel is read rotated by 180°.
    const FLIP: bool;
}

/// Forward of a depthwise convolution: `x → y` with the kernel as is.
struct Forward<G>(PhantomData<G>);

impl<G: DepthwiseGeometry> Plane for Forward<G> {
    const HI: usize = G::H;
    const WI: usize = G::W;
    const HO: usize = G::HO;
    const WO: usize = G::WO;
    const KH: usize = G::KH;
    const KW: usize = G::KW;
    const SH: usize = G::SH;
    const SW: usize = G::SW;
    const DH: usize = G::DH;
    const DW: usize = G::DW;
    const PADH: isize = G::PH as isize;
    const PADW: isize = G::PW as isize;
    const FLIP: bool = false;
}

/// Backward-data of a stride-1 depthwise convolution: `dy → dx`, the kernel flipped,
/// padding `(K − 1)·D − P` per axis.
struct Transposed<G>(PhantomData<G>);

impl<G: DepthwiseGeometry> Plane for Transposed<G> {
    const HI: usize = G::HO;
    const WI: usize = G::WO;
    const HO: usize = G::H;
    const WO: usize = G::W;
    const KH: usize = G::KH;
    const KW: usize = G::KW;
    const SH: usize = 1;
    const SW: usize = 1;
    const DH: usize = G::DH;
    const DW: usize = G::DW;
    const PADH: isize = ((G::KH - 1) * G::DH) as isize - G::PH as isize;
    const PADW: isize = ((G::KW - 1) * G::DW) as isize - G::PW as isize;
    const FLIP: bool = true;
}

/// How a [`tile`] reads its input.
mod read {
    /// Every read lies inside the plane: plain vector reads.
    pub const PLAIN: u8 = 0;
    /// Padding columns masked; every vector read lies inside the input tensor.
    pub const MASKED: u8 = 1;
    /// Padding columns masked; reads may stick out of the input tensor (its first and last
    /// rows): lane by lane, padding lanes not read.
    pub const SAFE: u8 = 2;
}

/// `RB` output rows from `i0` × `L` output columns from `j0` of plane `base / (HI·WI)` of
/// [`Plane`] `Q`, over the kernel rows `us` (those whose input rows lie inside the plane for
/// every output row of the tile). `inp` is the whole input (all planes), so that padding lanes
/// may stick out of the plane. `MODE` is one of [`read`]'s.
///
/// Kernel rows and columns are (rolled) loops; inside, the `RB` rows are unrolled: one
/// weight, `RB` vector reads and `RB · L` multiply-adds per tap, every accumulator in its own
/// register.
#[inline(always)]
fn tile<I: Isa, Q: Plane, E: Scalar, const RB: usize, const MODE: u8>(
    _isa: I,
    inp: &[E],
    base: usize,
    w: &[E],
    b: E,
    (i0, j0): (usize, usize),
    us: core::ops::Range<usize>,
) -> [[E; L]; RB] {
    let mut acc = [[b; L]; RB];
    let r0 = (i0 * Q::SH) as isize - Q::PADH;
    // The columns the tile reads in every row: `c0 .. c0 + cspan`.
    let c0 = (j0 * Q::SW) as isize - Q::PADW;
    let span = (L - 1) * Q::SW + 1;
    let cspan = (Q::KW - 1) * Q::DW + span;
    for u in us {
        // This kernel row's input row of every output row of the tile.
        let mut segs: [&[E]; RB] = [&[]; RB];
        let mut starts = [0isize; RB];
        for rr in 0..RB {
            let ih = r0 + (rr * Q::SH + u * Q::DH) as isize;
            let start = base as isize + ih * Q::WI as isize + c0;
            if MODE == read::SAFE {
                starts[rr] = start;
            } else {
                segs[rr] = &inp[start as usize..][..cspan];
            }
        }
        for v in 0..Q::KW {
            let wv = if Q::FLIP {
                w[(Q::KH - 1 - u) * Q::KW + (Q::KW - 1 - v)]
            } else {
                w[u * Q::KW + v]
            };
            let m = col_mask(c0 + (v * Q::DW) as isize, Q::SW, Q::WI, true);
            let mut xs = [[E::zero(); L]; RB];
            for rr in 0..RB {
                xs[rr] = match MODE {
                    read::PLAIN => lanes::<E, L, 0>(segs[rr], v * Q::DW, Q::SW),
                    read::MASKED => {
                        let mut x = lanes::<E, L, 0>(segs[rr], v * Q::DW, Q::SW);
                        keep(&mut x, &m);
                        x
                    }
                    _ => {
                        let start = starts[rr] + (v * Q::DW) as isize;
                        let mut x = [E::zero(); L];
                        for l in 0..L {
                            if m[l] != 0 {
                                x[l] = inp[(start + (l * Q::SW) as isize) as usize];
                            }
                        }
                        x
                    }
                };
            }
            for (acc, xs) in acc.iter_mut().zip(&xs) {
                for l in 0..L {
                    acc[l] = fmadd::<I, _>(wv, xs[l], acc[l]);
                }
            }
        }
    }
    acc
}

/// [`tile`] with [`read::SAFE`] reads, out of line (a handful of tiles per tensor).
// (out of line, with the instruction set's features: see `Isa::run`)
#[inline(always)]
fn tile_safe<I: Isa, Q: Plane, E: Scalar, const RB: usize>(
    isa: I,
    inp: &[E],
    base: usize,
    w: &[E],
    b: E,
    at: (usize, usize),
    us: core::ops::Range<usize>,
) -> [[E; L]; RB] {
    isa.run(
        #[inline(always)]
        move || tile::<I, Q, E, RB, { read::SAFE }>(isa, inp, base, w, b, at, us),
    )
}

/// One tile (see [`tile`]), with the cheapest reads that are correct for it, stored to `out`
/// (one output plane).
#[inline(always)]
#[allow(clippy::too_many_arguments)]
fn tile_to<I: Isa, Q: Plane, E: Scalar, const RB: usize>(
    isa: I,
    inp: &[E],
    base: usize,
    w: &[E],
    b: E,
    (i0, j0): (usize, usize),
    us: core::ops::Range<usize>,
    out: &mut [E],
) {
    let creach = ((L - 1) * Q::SW + (Q::KW - 1) * Q::DW) as isize;
    let c0 = (j0 * Q::SW) as isize - Q::PADW;
    let at = (i0, j0);
    let t = if c0 >= 0 && c0 + creach < Q::WI as isize && Q::WO >= L {
        tile::<I, Q, E, RB, { read::PLAIN }>(isa, inp, base, w, b, at, us)
    } else {
        // The first and last input rows read (`us` is not empty here).
        let r0 = (i0 * Q::SH) as isize - Q::PADH;
        let first = base as isize + (r0 + (us.start * Q::DH) as isize) * Q::WI as isize + c0;
        let last = base as isize
            + (r0 + ((RB - 1) * Q::SH + (us.end - 1) * Q::DH) as isize) * Q::WI as isize
            + c0;
        if first >= 0 && last + creach < inp.len() as isize {
            tile::<I, Q, E, RB, { read::MASKED }>(isa, inp, base, w, b, at, us)
        } else {
            tile_safe::<I, Q, E, RB>(isa, inp, base, w, b, at, us)
        }
    };
    for (rr, t) in t.iter().enumerate() {
        let row = &mut out[(i0 + rr) * Q::WO..][..Q::WO];
        if Q::WO >= L {
            row[j0..][..L].copy_from_slice(t);
        } else {
            row.copy_from_slice(&t[..Q::WO]);
        }
    }
}

/// `out = b + inp ⋆ w` for every plane (see [`Plane`]), channel `p % channels` for plane `p`.
///
/// The output rows whose kernel window lies inside the input go in tiles of `RB` rows × `L`
/// columns (the last tile of a column moved back to end at the last such row); the rows that
/// read padding rows (the first and last few) go row by row, over the kernel rows that land
/// inside the plane.
#[inline(always)]
fn correlate<I: Isa, Q: Plane, E: Scalar, const RB: usize>(
    isa: I,
    inp: &[E],
    w: &[E],
    bias: Option<&[E]>,
    out: &mut [E],
    channels: usize,
) {
    let (ihw, ohw, kk) = (Q::HI * Q::WI, Q::HO * Q::WO, Q::KH * Q::KW);
    let (hi, s, d, pad) = (Q::HI as isize, Q::SH as isize, Q::DH as isize, Q::PADH);
    let reach = ((Q::KH - 1) * Q::DH) as isize;
    // Rows `top..bottom` read no padding row: `i·SH − PADH ≥ 0` and `i·SH − PADH + reach < HI`.
    let top = if pad <= 0 {
        0
    } else {
        ((pad + s - 1) / s) as usize
    }
    .min(Q::HO);
    let lim = hi - 1 - reach + pad;
    let bottom = if lim < 0 { 0 } else { (lim / s + 1) as usize }.min(Q::HO);
    let (top, bottom) = (top, bottom.max(top));
    let blocks = if bottom - top >= RB {
        (bottom - top).div_ceil(RB)
    } else {
        0
    };
    for (p, op) in out.chunks_exact_mut(ohw).enumerate() {
        let c = p % channels;
        let b = bias.map_or(E::zero(), |b| b[c]);
        let wk = &w[c * kk..][..kk];
        let base = p * ihw;
        for blk in 0..blocks {
            let i0 = (top + blk * RB).min(bottom - RB);
            for j0 in chunks(Q::WO) {
                tile_to::<I, Q, E, RB>(isa, inp, base, wk, b, (i0, j0), 0..Q::KH, op);
            }
        }
        let single = |i: usize| blocks == 0 || i < top || i >= bottom;
        for i in (0..Q::HO).filter(|&i| single(i)) {
            // Kernel rows `u` with `0 ≤ r + u·DH < HI`.
            let r = (i * Q::SH) as isize - pad;
            let ulo = if r >= 0 { 0 } else { (-r + d - 1) / d };
            let uhi = if r >= hi {
                0
            } else {
                ((hi - 1 - r) / d + 1).min(Q::KH as isize)
            };
            if ulo >= uhi {
                // Only padding: the bias.
                op[i * Q::WO..][..Q::WO].fill(b);
                continue;
            }
            let us = ulo as usize..uhi as usize;
            for j0 in chunks(Q::WO) {
                tile_to::<I, Q, E, 1>(isa, inp, base, wk, b, (i, j0), us.clone(), op);
            }
        }
    }
}

/// [`correlate`] with a row block as tall as the output allows (8 rows: 8 independent chains
/// of multiply-adds, enough to cover their latency).
#[inline(always)]
fn correlate_planes<I: Isa, Q: Plane, E: Scalar>(
    isa: I,
    inp: &[E],
    w: &[E],
    bias: Option<&[E]>,
    out: &mut [E],
    channels: usize,
) {
    if Q::HO * Q::WO == 0 {
        return;
    }
    if const { Q::HO >= 2 * R } {
        correlate::<I, Q, E, { 2 * R }>(isa, inp, w, bias, out, channels);
    } else if const { Q::HO >= R } {
        correlate::<I, Q, E, R>(isa, inp, w, bias, out, channels);
    } else {
        correlate::<I, Q, E, 1>(isa, inp, w, bias, out, channels);
    }
}

/// Forward: `y = depthwise(x, w) (+ bias)`. Overwrites `y`.
pub fn forward<G: DepthwiseGeometry, E: Scalar>(x: &[E], w: &[E], bias: Option<&[E]>, y: &mut [E]) {
    dispatch!(E, |isa| forward_on::<_, G, E>(isa, x, w, bias, y))
}

#[inline(always)]
fn forward_on<I: Isa, G: DepthwiseGeometry, E: Scalar>(
    isa: I,
    x: &[E],
    w: &[E],
    bias: Option<&[E]>,
    y: &mut [E],
) {
    let (x, w, y) = (&x[..G::X_LEN], &w[..G::W_LEN], &mut y[..G::Y_LEN]);
    correlate_planes::<I, Forward<G>, E>(isa, x, w, bias, y, G::C);
}

/// Backward-data: `dx = depthwiseᵀ(dy, w)`, the input gradient. Overwrites `dx`.
pub fn backward_data<G: DepthwiseGeometry, E: Scalar>(dy: &[E], w: &[E], dx: &mut [E]) {
    dispatch!(E, |isa| backward_data_on::<_, G, E>(isa, dy, w, dx))
}

#[inline(always)]
fn backward_data_on<I: Isa, G: DepthwiseGeometry, E: Scalar>(
    isa: I,
    dy: &[E],
    w: &[E],
    dx: &mut [E],
) {
    let (dy, w, dx) = (&dy[..G::Y_LEN], &w[..G::W_LEN], &mut dx[..G::X_LEN]);
    let (hw, ohw, kk) = (G::H * G::W, G::HO * G::WO, G::KH * G::KW);
    if const { G::SH == 1 && G::SW == 1 && G::HO * G::WO > 0 } {
        return correlate_planes::<I, Transposed<G>, E>(isa, dy, w, None, dx, G::C);
    }
    dx.fill(E::zero());
    if ohw == 0 {
        return;
    }
    // Stride > 1: scatter row by row.
    for (p, (dxplane, dyplane)) in dx
        .chunks_exact_mut(hw)
        .zip(dy.chunks_exact(ohw))
        .enumerate()
    {
        let c = p % G::C;
        let wk = &w[c * kk..][..kk];
        for u in 0..G::KH {
            let (lo, hi, first) = span(G::HO, G::H, u * G::DH, G::SH, G::PH);
            for (k, i) in (lo..hi).enumerate() {
                let ih = first + k * G::SH;
                let dyrow = &dyplane[i * G::WO..][..G::WO];
                let dxrow = &mut dxplane[ih * G::W..][..G::W];
                for v in 0..G::KW {
                    let wv = wk[u * G::KW + v];
                    let (lo, hi, first) = span(G::WO, G::W, v * G::DW, G::SW, G::PW);
                    for (d, &g) in dxrow[first..].iter_mut().step_by(G::SW).zip(&dyrow[lo..hi]) {
                        *d += wv * g;
                    }
                }
            }
        }
    }
}

/// The output positions `lo..hi` (of `0..out`) whose input position `o·s + off − p` lies in
/// `0..extent`, where `off = u·d` is the offset of a kernel tap along an axis of stride `s`
/// and padding `p`, and the input position of `lo`. Empty (`lo == hi`) when the tap never
/// lands inside the input.
#[inline(always)]
fn span(out: usize, extent: usize, off: usize, s: usize, p: usize) -> (usize, usize, usize) {
    // o·s + off ≥ p
    let lo = if off >= p { 0 } else { (p - off).div_ceil(s) };
    // o·s + off − p ≤ extent − 1  ⇔  o·s + off < extent + p
    let lim = extent + p;
    let hi = if lim <= off {
        0
    } else {
        ((lim - off - 1) / s + 1).min(out)
    };
    if lo >= hi {
        return (0, 0, 0);
    }
    (lo, hi, lo * s + off - p)
}

/// Backward-weight: `dw[c, u, v] += Σ_{n,i,j} dy[n, c, i, j] · x[n, c, i·SH − PH + u·DH, j·SW − PW + v·DW]`
/// and, if given, `dbias[c] += Σ dy[n, c, ·]`. Accumulates.
///
/// Per plane, passes of up to [`TAPS`] taps: each step reads `L` values of `dy` and, per tap,
/// the `L` inputs they multiply (padding masked), into one vector accumulator per tap.
pub fn backward_weight<G: DepthwiseGeometry, E: Scalar>(
    x: &[E],
    dy: &[E],
    dw: &mut [E],
    dbias: Option<&mut [E]>,
) {
    dispatch!(E, |isa| backward_weight_on::<_, G, E>(
        isa, x, dy, dw, dbias
    ))
}

#[inline(always)]
fn backward_weight_on<I: Isa, G: DepthwiseGeometry, E: Scalar>(
    isa: I,
    x: &[E],
    dy: &[E],
    dw: &mut [E],
    mut dbias: Option<&mut [E]>,
) {
    let (x, dy, dw) = (&x[..G::X_LEN], &dy[..G::Y_LEN], &mut dw[..G::W_LEN]);
    let (hw, ohw, kk) = (G::H * G::W, G::HO * G::WO, G::KH * G::KW);
    if ohw == 0 {
        return;
    }
    // The input columns a row's steps read: from `−PW` to `cend` (exclusive).
    let last_step = (G::WO - 1) / L * L;
    let cend =
        (last_step * G::SW + (G::KW - 1) * G::DW + (L - 1) * G::SW + 1) as isize - G::PW as isize;
    for p in 0..G::N * G::C {
        let c = p % G::C;
        let (xb, gb) = ((p * hw) as isize, p * ohw);
        for t0 in (0..kk).step_by(TAPS) {
            let n = TAPS.min(kk - t0);
            let mut acc = [[E::zero(); L]; TAPS];
            let mut gsum = [E::zero(); L];
            for i in 0..G::HO {
                let grow = &dy[gb + i * G::WO..][..G::WO];
                // Input rows of this output row inside the plane: `rlo..=rhi`.
                let r = (i * G::SH) as isize - G::PH as isize;
                let rlo = r.max(0);
                let rhi = (r + ((G::KH - 1) * G::DH) as isize).min(G::H as isize - 1);
                let inside = xb + rlo * G::W as isize - G::PW as isize >= 0
                    && xb + rhi * G::W as isize + cend <= x.len() as isize;
                if inside {
                    weight_row::<I, G, E, false>(isa, x, xb, grow, r, t0, n, &mut acc, &mut gsum);
                } else {
                    weight_row_safe::<I, G, E>(isa, x, xb, grow, r, t0, n, &mut acc, &mut gsum);
                }
            }
            let dwk = &mut dw[c * kk..][..kk];
            for (k, acc) in acc.iter().enumerate().take(n) {
                dwk[t0 + k] += hsum(*acc);
            }
            if t0 == 0
                && let Some(db) = dbias.as_deref_mut()
            {
                db[c] += hsum(gsum);
            }
        }
    }
}

/// [`weight_row`] with lane-by-lane reads, out of line (rows at the ends of the tensor).
// (out of line, with the instruction set's features: see `Isa::run`)
#[inline(always)]
#[allow(clippy::too_many_arguments)]
fn weight_row_safe<I: Isa, G: DepthwiseGeometry, E: Scalar>(
    isa: I,
    x: &[E],
    xb: isize,
    grow: &[E],
    r: isize,
    t0: usize,
    n: usize,
    acc: &mut [[E; L]; TAPS],
    gsum: &mut [E; L],
) {
    isa.run(
        #[inline(always)]
        move || weight_row::<I, G, E, true>(isa, x, xb, grow, r, t0, n, acc, gsum),
    )
}

/// One output row (`grow`, whose kernel window starts at input row `r`) of
/// [`backward_weight`]'s pass over taps `t0..t0 + n`: `acc[k] += dy · x(tap t0 + k)` lane-wise,
/// `gsum += dy`. Without `SAFE`, every vector read must lie inside `x`.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
fn weight_row<I: Isa, G: DepthwiseGeometry, E: Scalar, const SAFE: bool>(
    isa: I,
    x: &[E],
    xb: isize,
    grow: &[E],
    r: isize,
    t0: usize,
    n: usize,
    acc: &mut [[E; L]; TAPS],
    gsum: &mut [E; L],
) {
    let mut a = *acc;
    let mut gs = *gsum;
    // Steps whose reads all lie inside the input row (and that hold `L` outputs) need no mask.
    let creach = ((L - 1) * G::SW + (G::KW - 1) * G::DW) as isize;
    for j0 in (0..G::WO).step_by(L) {
        let c0 = (j0 * G::SW) as isize - G::PW as isize;
        if !SAFE && j0 + L <= G::WO && c0 >= 0 && c0 + creach < G::W as isize {
            weight_step::<I, G, E, { read::PLAIN }>(
                isa, x, xb, grow, r, t0, n, j0, &mut a, &mut gs,
            );
        } else if SAFE {
            weight_step::<I, G, E, { read::SAFE }>(isa, x, xb, grow, r, t0, n, j0, &mut a, &mut gs);
        } else {
            weight_step::<I, G, E, { read::MASKED }>(
                isa, x, xb, grow, r, t0, n, j0, &mut a, &mut gs,
            );
        }
    }
    *acc = a;
    *gsum = gs;
}

/// One step (`L` outputs from column `j0`) of [`weight_row`], reading its inputs as `MODE`
/// says (one of [`read`]'s).
#[inline(always)]
#[allow(clippy::too_many_arguments)]
fn weight_step<I: Isa, G: DepthwiseGeometry, E: Scalar, const MODE: u8>(
    _isa: I,
    x: &[E],
    xb: isize,
    grow: &[E],
    r: isize,
    t0: usize,
    n: usize,
    j0: usize,
    a: &mut [[E; L]; TAPS],
    gs: &mut [E; L],
) {
    let g = if MODE == read::PLAIN {
        lanes::<E, L, 1>(grow, j0, 1)
    } else {
        let mut g = [E::zero(); L];
        let k = L.min(G::WO - j0);
        g[..k].copy_from_slice(&grow[j0..][..k]);
        g
    };
    for l in 0..L {
        gs[l] += g[l];
    }
    // Lanes past the end of the row hold no output: masked, in `dy` and `x`.
    let gm = col_mask(j0 as isize, 1, G::WO, true);
    for (k, a) in a.iter_mut().enumerate() {
        if k >= n {
            break;
        }
        let (u, v) = ((t0 + k) / G::KW, (t0 + k) % G::KW);
        let ih = r + (u * G::DH) as isize;
        if ih < 0 || ih >= G::H as isize {
            continue;
        }
        let c0 = (j0 * G::SW + v * G::DW) as isize - G::PW as isize;
        let start = xb + ih * G::W as isize + c0;
        let (gv, xv) = if MODE == read::PLAIN {
            (g, lanes::<E, L, 0>(x, start as usize, G::SW))
        } else {
            let mut m = col_mask(c0, G::SW, G::W, true);
            for l in 0..L {
                m[l] &= gm[l];
            }
            let xv = if MODE == read::SAFE {
                let mut xv = [E::zero(); L];
                for l in 0..L {
                    if m[l] != 0 {
                        xv[l] = x[(start + (l * G::SW) as isize) as usize];
                    }
                }
                xv
            } else {
                let mut xv = lanes::<E, L, 0>(x, start as usize, G::SW);
                keep(&mut xv, &m);
                xv
            };
            // Both factors masked: an infinite `dy` next to the padding must not meet a
            // padding zero (∞ · 0 = NaN) in a tap that does not read it.
            let mut gv = g;
            keep(&mut gv, &m);
            (gv, xv)
        };
        for l in 0..L {
            a[l] = fmadd::<I, _>(gv[l], xv[l], a[l]);
        }
    }
}
