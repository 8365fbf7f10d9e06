//! Max and average pooling over flat `N, C, H, W` slices (PyTorch semantics, floor mode).
//!
//! Windows of `KH × KW` with strides `SH`, `SW` and paddings `PH`, `PW` (rows, columns).
//! Padding: max pooling treats padded positions as `−∞`; average pooling counts them as zeros
//! and always divides by `KH·KW` (PyTorch's `count_include_pad=True`).
//!
//! The forward passes compute `L` outputs of a row at once (one vector per window tap, padding
//! lanes masked; 2 × 2 windows of stride 2 compare two contiguous rows first). The backward
//! passes of non-overlapping windows (`K ≤ S` along both axes, the usual case) write every input gradient
//! exactly once, row by row, instead of zeroing `dx` and scattering into it; overlapping
//! windows accumulate by scattering. No branch depends on the data (comparisons become vector
//! selects).

use crate::kernels::isa::{Isa, dispatch};
use crate::kernels::lanes::{keep, lanes, load};
use crate::kernels::scalar::Scalar;

/// Compile-time geometry of a pooling window over `PLANES = N·C` planes.
pub trait PoolGeometry {
    /// Number of planes (`N · C`).
    const PLANES: usize;
    /// Input height.
    const H: usize;
    /// Input width.
    const W: usize;
    /// Output height.
    const HO: usize;
    /// Output width.
    const WO: usize;
    /// Window height.
    const KH: usize;
    /// Window width.
    const KW: usize;
    /// Stride along rows.
    const SH: usize;
    /// Stride along columns.
    const SW: usize;
    /// Padding of the top and bottom.
    const PH: usize;
    /// Padding of the left and right.
    const PW: usize;
}

/// A [`PoolGeometry`] given by const parameters (`PLANES = N · C`): `K`, `S`, `P` along rows
/// and, unless `KW`, `SW`, `PW` say otherwise, along columns.
pub struct PoolGeom<
    const N: usize,
    const C: usize,
    const H: usize,
    const W: usize,
    const HO: usize,
    const WO: usize,
    const K: usize,
    const S: usize,
    const P: usize,
    const KW: usize = K,
    const SW: usize = S,
    const PW: usize = P,
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
    const KW: usize,
    const SW: usize,
    const PW: usize,
> PoolGeometry for PoolGeom<N, C, H, W, HO, WO, K, S, P, KW, SW, PW>
{
    const PLANES: usize = N * C;
    const H: usize = H;
    const W: usize = W;
    const HO: usize = HO;
    const WO: usize = WO;
    const KH: usize = K;
    const KW: usize = KW;
    const SH: usize = S;
    const SW: usize = SW;
    const PH: usize = P;
    const PW: usize = PW;
}

/// Whether every window lies inside the padded input. Always in floor mode; in ceil mode
/// (PyTorch's `ceil_mode=True`, an output size one larger) the last window of a row or column
/// may stick out: it covers the values it reaches, and the fast paths below, which assume
/// whole windows, are not taken.
const fn windows_inside<G: PoolGeometry>() -> bool {
    const fn fits(o: usize, extent: usize, k: usize, s: usize, p: usize) -> bool {
        o == 0 || (o - 1) * s + k <= extent + 2 * p
    }
    fits(G::HO, G::H, G::KH, G::SH, G::PH) && fits(G::WO, G::W, G::KW, G::SW, G::PW)
}

/// The input rows covered by window row `i`, clipped to the input.
#[inline(always)]
fn rows_of<G: PoolGeometry>(i: usize) -> core::ops::Range<usize> {
    span(i, G::H, G::KH, G::SH, G::PH)
}

/// The input columns covered by window column `j`, clipped to the input.
#[inline(always)]
fn cols_of<G: PoolGeometry>(j: usize) -> core::ops::Range<usize> {
    span(j, G::W, G::KW, G::SW, G::PW)
}

/// The input positions covered by window `o` of size `k`, stride `s` and padding `p` along an
/// axis, clipped to the input's `extent`.
#[inline(always)]
fn span(o: usize, extent: usize, k: usize, s: usize, p: usize) -> core::ops::Range<usize> {
    let start = o * s;
    let lo = start.saturating_sub(p);
    let hi = (start + k).saturating_sub(p).min(extent);
    lo..hi
}

/// Whether the windows overlap along an axis (`K > S` along rows or columns): then the backward
/// passes scatter.
const fn overlapping<G: PoolGeometry>() -> bool {
    G::KH > G::SH || G::KW > G::SW
}

/// 2 × 2 windows of stride 2 without padding (the vector paths of max pooling).
const fn two_by_two<G: PoolGeometry>() -> bool {
    G::KH == 2 && G::KW == 2 && G::SH == 2 && G::SW == 2 && G::PH == 0 && G::PW == 0
}

/// Outputs per vector step.
const L: usize = 8;

/// The starts of the `L`-wide steps over `n` outputs: `0, L, 2L, …`, the last one moved back
/// to end at `n` (it recomputes a few outputs instead of handling a partial step). A single
/// step when `n < L`.
#[inline(always)]
fn chunks(n: usize) -> impl Iterator<Item = usize> {
    let last = n.saturating_sub(L);
    (0..n.div_ceil(L)).map(move |c| (c * L).min(last))
}

/// Writes the lanes of a step starting at `j0` (only the first `row.len()` if the row is
/// shorter than a step).
#[inline(always)]
fn store<T: Copy>(row: &mut [T], j0: usize, v: &[T; L]) {
    if row.len() >= L {
        let o: &mut [T; L] = (&mut row[j0..][..L]).try_into().unwrap();
        *o = *v;
    } else {
        let n = row.len();
        row.copy_from_slice(&v[..n]);
    }
}

/// The lanes `lo..hi` of a step whose input column `c0 + l·SW` lies in `0..W`.
#[inline(always)]
fn lane_range<G: PoolGeometry>(c0: isize) -> (usize, usize) {
    let s = G::SW as isize;
    let lo = if c0 >= 0 { 0 } else { (-c0 + s - 1) / s };
    let last = G::W as isize - 1 - c0;
    let hi = if last < 0 { 0 } else { last / s + 1 };
    (lo as usize, (hi as usize).min(L))
}

/// `a` comes later than `b` in the scan of a window and replaces it: larger, or a NaN over a
/// number (NaN propagates, like in PyTorch). `&`, `|`: no branches.
#[inline(always)]
#[allow(clippy::eq_op)]
fn beats<E: Scalar>(a: E, b: E) -> bool {
    (a > b) | ((a != a) & (b == b))
}

/// Max pooling. Writes the maxima to `y` and, per output, the index `h·W + w` of the maximum
/// within its input plane to `argmax` (the first maximum on ties, like PyTorch).
pub fn max_forward<G: PoolGeometry, E: Scalar>(x: &[E], y: &mut [E], argmax: &mut [u32]) {
    dispatch!(E, |isa| max_forward_on::<_, G, E, true>(isa, x, y, argmax))
}

/// Max pooling without the arg-max (inference): the maxima of [`max_forward`].
pub fn max_values<G: PoolGeometry, E: Scalar>(x: &[E], y: &mut [E]) {
    dispatch!(E, |isa| max_forward_on::<_, G, E, false>(
        isa,
        x,
        y,
        &mut []
    ))
}

/// `ARGMAX`: whether to write the arg-max (`argmax` is empty otherwise).
#[inline(always)]
fn max_forward_on<I: Isa, G: PoolGeometry, E: Scalar, const ARGMAX: bool>(
    _isa: I,
    x: &[E],
    y: &mut [E],
    argmax: &mut [u32],
) {
    if const { two_by_two::<G>() && G::WO >= L && windows_inside::<G>() } {
        return max_forward_2x2::<G, E, ARGMAX>(x, y, argmax);
    }
    let (hw, ohw) = (G::H * G::W, G::HO * G::WO);
    for p in 0..G::PLANES {
        let xp = &x[p * hw..][..hw];
        let yp = &mut y[p * ohw..][..ohw];
        let ap = if ARGMAX {
            &mut argmax[p * ohw..][..ohw]
        } else {
            &mut []
        };
        for i in 0..G::HO {
            for j0 in chunks(G::WO) {
                let mut best = [E::neg_infinity(); L];
                let mut at = [0u32; L];
                for ih in rows_of::<G>(i) {
                    let row = &xp[ih * G::W..][..G::W];
                    for dw in 0..G::KW {
                        let c0 = (j0 * G::SW + dw) as isize - G::PW as isize;
                        let (lo, hi) = lane_range::<G>(c0);
                        let mut v = [E::neg_infinity(); L];
                        if lo == 0 && hi == L {
                            v = lanes::<E, L, 0>(row, c0 as usize, G::SW);
                        } else {
                            for (l, v) in v.iter_mut().enumerate().take(hi).skip(lo) {
                                *v = row[(c0 + (l * G::SW) as isize) as usize];
                            }
                        }
                        let base = (ih * G::W) as isize + c0;
                        for l in 0..L {
                            let take = beats(v[l], best[l]);
                            best[l] = if take { v[l] } else { best[l] };
                            let idx = (base + (l * G::SW) as isize) as u32;
                            at[l] = if take { idx } else { at[l] };
                        }
                    }
                }
                store(&mut yp[i * G::WO..][..G::WO], j0, &best);
                if ARGMAX {
                    store(&mut ap[i * G::WO..][..G::WO], j0, &at);
                }
            }
        }
    }
}

/// Max pooling 2 × 2, stride 2 (the common case): the two rows of `2L` inputs are compared
/// element-wise first (contiguous vectors), then the column pairs. A tie between the columns
/// goes to the smaller index, so the result is exactly the first maximum in row-major order.
#[inline(always)]
fn max_forward_2x2<G: PoolGeometry, E: Scalar, const ARGMAX: bool>(
    x: &[E],
    y: &mut [E],
    argmax: &mut [u32],
) {
    let (hw, ohw) = (G::H * G::W, G::HO * G::WO);
    for p in 0..G::PLANES {
        let xp = &x[p * hw..][..hw];
        let yp = &mut y[p * ohw..][..ohw];
        let ap = if ARGMAX {
            &mut argmax[p * ohw..][..ohw]
        } else {
            &mut []
        };
        for i in 0..G::HO {
            let (r0, r1) = (
                &xp[2 * i * G::W..][..G::W],
                &xp[(2 * i + 1) * G::W..][..G::W],
            );
            for j0 in chunks(G::WO) {
                let a = lanes::<E, { 2 * L }, 1>(r0, 2 * j0, 1);
                let b = lanes::<E, { 2 * L }, 1>(r1, 2 * j0, 1);
                // Down the columns: the lower row replaces the upper one only if it beats it.
                let mut v = [E::zero(); 2 * L];
                let mut down = [false; 2 * L];
                for k in 0..2 * L {
                    down[k] = beats(b[k], a[k]);
                    v[k] = if down[k] { b[k] } else { a[k] };
                }
                let top = (2 * i * G::W + 2 * j0) as u32;
                let mut best = [E::zero(); L];
                let mut at = [0u32; L];
                for l in 0..L {
                    let (c0, c1) = (v[2 * l], v[2 * l + 1]);
                    let i0 = top + 2 * l as u32 + if down[2 * l] { G::W as u32 } else { 0 };
                    let i1 = top + 2 * l as u32 + 1 + if down[2 * l + 1] { G::W as u32 } else { 0 };
                    // Across: the right column wins if it beats the left one, or ties with it
                    // (NaNs included) and comes first in row-major order.
                    #[allow(clippy::eq_op)]
                    let tie = (c1 == c0) | ((c1 != c1) & (c0 != c0));
                    let right = beats(c1, c0) | (tie & (i1 < i0));
                    best[l] = if right { c1 } else { c0 };
                    at[l] = if right { i1 } else { i0 };
                }
                store(&mut yp[i * G::WO..][..G::WO], j0, &best);
                if ARGMAX {
                    store(&mut ap[i * G::WO..][..G::WO], j0, &at);
                }
            }
        }
    }
}

/// Calls `f(ih, i)` for every input row `ih`, with the output row `i` whose window holds it
/// (`None` if none does), when windows do not overlap (`KH ≤ SH`).
#[inline(always)]
fn disjoint_rows<G: PoolGeometry>(mut f: impl FnMut(usize, Option<usize>)) {
    for ih in 0..G::H {
        let (i, r) = ((ih + G::PH) / G::SH, (ih + G::PH) % G::SH);
        f(ih, (r < G::KH && i < G::HO).then_some(i));
    }
}

/// For input columns `iw0..iw0 + L` of a covered row (windows not overlapping): the output
/// column of each lane's window (clamped into the row) and whether the lane is in one.
#[inline(always)]
fn disjoint_cols<G: PoolGeometry>(iw0: usize) -> ([usize; L], [bool; L]) {
    let mut j = [0usize; L];
    let mut inside = [false; L];
    for l in 0..L {
        let (jj, r) = ((iw0 + l + G::PW) / G::SW, (iw0 + l + G::PW) % G::SW);
        inside[l] = r < G::KW && jj < G::WO && iw0 + l < G::W;
        j[l] = jj.min(G::WO.saturating_sub(1));
    }
    (j, inside)
}

/// Max pooling backward: each `dy` goes to its recorded arg-max; `dx` is overwritten
/// (overlapping windows accumulate).
pub fn max_backward<G: PoolGeometry, E: Scalar>(dy: &[E], argmax: &[u32], dx: &mut [E]) {
    dispatch!(E, |isa| max_backward_on::<_, G, E>(isa, dy, argmax, dx))
}

#[inline(always)]
fn max_backward_on<I: Isa, G: PoolGeometry, E: Scalar>(
    _isa: I,
    dy: &[E],
    argmax: &[u32],
    dx: &mut [E],
) {
    let (hw, ohw) = (G::H * G::W, G::HO * G::WO);
    // (overlapping windows, and windows that stick out of the input: scatter by the arg-max)
    if const { overlapping::<G>() || G::WO == 0 || !windows_inside::<G>() } {
        dx[..G::PLANES * hw].fill(E::zero());
        for p in 0..G::PLANES {
            let dxp = &mut dx[p * hw..][..hw];
            for (&g, &a) in dy[p * ohw..][..ohw].iter().zip(&argmax[p * ohw..][..ohw]) {
                dxp[a as usize] += g;
            }
        }
        return;
    }
    if const { two_by_two::<G>() && G::WO >= L } {
        return max_backward_2x2::<G, E>(dy, argmax, dx);
    }
    if const { G::KH == G::SH && G::KW == G::SW && G::PH == 0 && G::PW == 0 && G::WO >= L } {
        // Windows tile the input: per input row, `L` outputs give `SW·L` consecutive input
        // gradients.
        for p in 0..G::PLANES {
            let dyp = &dy[p * ohw..][..ohw];
            let ap = &argmax[p * ohw..][..ohw];
            let dxp = &mut dx[p * hw..][..hw];
            for ih in 0..G::H {
                let i = ih / G::SH;
                let out = &mut dxp[ih * G::W..][..G::W];
                if i >= G::HO {
                    out.fill(E::zero());
                    continue;
                }
                let (gr, ar) = (&dyp[i * G::WO..][..G::WO], &ap[i * G::WO..][..G::WO]);
                for j0 in chunks(G::WO) {
                    let g = lanes::<E, L, 1>(gr, j0, 1);
                    let a = lanes::<u32, L, 1>(ar, j0, 1);
                    let o = &mut out[j0 * G::SW..][..L * G::SW];
                    // Input column by input column (each output's values repeated `SW` times:
                    // a lane permutation), so that the stores stay contiguous.
                    let base = (ih * G::W + j0 * G::SW) as u32;
                    for (k, o) in o.iter_mut().enumerate() {
                        let (gk, ak) = (g[k / G::SW], a[k / G::SW]);
                        *o = if ak == base + k as u32 { gk } else { E::zero() };
                    }
                }
                out[G::WO * G::SW..].fill(E::zero());
            }
        }
        return;
    }
    for p in 0..G::PLANES {
        let dyp = &dy[p * ohw..][..ohw];
        let ap = &argmax[p * ohw..][..ohw];
        let dxp = &mut dx[p * hw..][..hw];
        disjoint_rows::<G>(|ih, i| {
            let out = &mut dxp[ih * G::W..][..G::W];
            let Some(i) = i else {
                out.fill(E::zero());
                return;
            };
            let (gr, ar) = (&dyp[i * G::WO..][..G::WO], &ap[i * G::WO..][..G::WO]);
            for (c, chunk) in out.chunks_mut(L).enumerate() {
                let iw0 = c * L;
                let (j, inside) = disjoint_cols::<G>(iw0);
                let mut v = [E::zero(); L];
                for l in 0..L {
                    let here = (ih * G::W + iw0 + l) as u32;
                    let (g, a) = (gr[j[l]], ar[j[l]]);
                    v[l] = if inside[l] & (a == here) {
                        g
                    } else {
                        E::zero()
                    };
                }
                chunk.copy_from_slice(&v[..chunk.len()]);
            }
        });
    }
}

/// [`max_backward`] for 2 × 2 windows of stride 2: per `L` outputs, the offset of each
/// arg-max from its window's top-left corner (`0`, `1`, `W` or `W + 1`) gives four lane masks,
/// one per window position; the masked gradients of the even and odd columns of each input row
/// are interleaved into `2L` contiguous input gradients.
#[inline(always)]
fn max_backward_2x2<G: PoolGeometry, E: Scalar>(dy: &[E], argmax: &[u32], dx: &mut [E]) {
    let (hw, ohw) = (G::H * G::W, G::HO * G::WO);
    let w = G::W as u32;
    let mut step = [0u32; L];
    for (l, s) in step.iter_mut().enumerate() {
        *s = 2 * l as u32;
    }
    for p in 0..G::PLANES {
        let dyp = &dy[p * ohw..][..ohw];
        let ap = &argmax[p * ohw..][..ohw];
        let dxp = &mut dx[p * hw..][..hw];
        for i in 0..G::HO {
            let (gr, ar) = (&dyp[i * G::WO..][..G::WO], &ap[i * G::WO..][..G::WO]);
            let (upper, lower) = dxp[2 * i * G::W..][..2 * G::W].split_at_mut(G::W);
            for j0 in chunks(G::WO) {
                let g = lanes::<E, L, 1>(gr, j0, 1);
                let a = lanes::<u32, L, 1>(ar, j0, 1);
                let corner = (2 * i * G::W + 2 * j0) as u32;
                let mut masks = [[0u32; L]; 4];
                for l in 0..L {
                    let rel = a[l].wrapping_sub(corner + step[l]);
                    for (q, off) in [0, 1, w, w + 1].into_iter().enumerate() {
                        masks[q][l] = if rel == off { u32::MAX } else { 0 };
                    }
                }
                for (r, row) in [&mut *upper, &mut *lower].into_iter().enumerate() {
                    let (mut even, mut odd) = (g, g);
                    keep(&mut even, &masks[2 * r]);
                    keep(&mut odd, &masks[2 * r + 1]);
                    let o = &mut row[2 * j0..][..2 * L];
                    for l in 0..L {
                        o[2 * l] = even[l];
                        o[2 * l + 1] = odd[l];
                    }
                }
            }
            upper[2 * G::WO..].fill(E::zero());
            lower[2 * G::WO..].fill(E::zero());
        }
        dxp[2 * G::HO * G::W..].fill(E::zero());
    }
}

/// Average pooling: each output is the sum of its window divided by `KH·KW`.
pub fn avg_forward<G: PoolGeometry, E: Scalar>(x: &[E], y: &mut [E]) {
    dispatch!(E, |isa| avg_forward_on::<_, G, E>(isa, x, y))
}

#[inline(always)]
fn avg_forward_on<I: Isa, G: PoolGeometry, E: Scalar>(_isa: I, x: &[E], y: &mut [E]) {
    let (hw, ohw) = (G::H * G::W, G::HO * G::WO);
    let scale = E::one() / E::of((G::KH * G::KW) as f64);
    for p in 0..G::PLANES {
        let xp = &x[p * hw..][..hw];
        let yp = &mut y[p * ohw..][..ohw];
        for i in 0..G::HO {
            for j0 in chunks(G::WO) {
                let mut sum = [E::zero(); L];
                for ih in rows_of::<G>(i) {
                    for dw in 0..G::KW {
                        let c0 = (j0 * G::SW + dw) as isize - G::PW as isize;
                        let (lo, hi) = lane_range::<G>(c0);
                        let v = load::<E, L, 0>(xp, (ih * G::W) as isize + c0, G::SW, lo, hi);
                        for l in 0..L {
                            sum[l] += v[l];
                        }
                    }
                }
                for s in &mut sum {
                    *s *= scale;
                }
                store(&mut yp[i * G::WO..][..G::WO], j0, &sum);
            }
        }
    }
}

/// Average pooling backward: each `dy` is spread as `dy / (KH·KW)` over its window. Overwrites
/// `dx`.
pub fn avg_backward<G: PoolGeometry, E: Scalar>(dy: &[E], dx: &mut [E]) {
    dispatch!(E, |isa| avg_backward_on::<_, G, E>(isa, dy, dx))
}

#[inline(always)]
fn avg_backward_on<I: Isa, G: PoolGeometry, E: Scalar>(_isa: I, dy: &[E], dx: &mut [E]) {
    let (hw, ohw) = (G::H * G::W, G::HO * G::WO);
    let scale = E::one() / E::of((G::KH * G::KW) as f64);
    if const { overlapping::<G>() || G::WO == 0 } {
        dx[..G::PLANES * hw].fill(E::zero());
        for p in 0..G::PLANES {
            let dyp = &dy[p * ohw..][..ohw];
            let dxp = &mut dx[p * hw..][..hw];
            for i in 0..G::HO {
                for j in 0..G::WO {
                    let g = dyp[i * G::WO + j] * scale;
                    for ih in rows_of::<G>(i) {
                        for iw in cols_of::<G>(j) {
                            dxp[ih * G::W + iw] += g;
                        }
                    }
                }
            }
        }
        return;
    }
    for p in 0..G::PLANES {
        let dyp = &dy[p * ohw..][..ohw];
        let dxp = &mut dx[p * hw..][..hw];
        disjoint_rows::<G>(|ih, i| {
            let out = &mut dxp[ih * G::W..][..G::W];
            let Some(i) = i else {
                out.fill(E::zero());
                return;
            };
            let gr = &dyp[i * G::WO..][..G::WO];
            for (c, chunk) in out.chunks_mut(L).enumerate() {
                let (j, inside) = disjoint_cols::<G>(c * L);
                let mut v = [E::zero(); L];
                for l in 0..L {
                    v[l] = if inside[l] {
                        gr[j[l]] * scale
                    } else {
                        E::zero()
                    };
                }
                chunk.copy_from_slice(&v[..chunk.len()]);
            }
        });
    }
}
