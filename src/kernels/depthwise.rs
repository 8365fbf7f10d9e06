//! Depthwise 2-D convolution (PyTorch's `groups = in_channels = out_channels`) over flat
//! `N, C, H, W` slices.
//!
//! One `K × K` filter per channel, weight layout `[C, 1, K, K]`:
//!
//! `y[n, c, i, j] = b[c] + Σ_{u,v} x[n, c, i·S − P + u·D, j·S − P + v·D] · w[c, u, v]`
//!
//! Each output value reads only `K²` inputs, so this is memory-bound, not a matrix product: the
//! kernel walks one channel plane at a time, and for every kernel tap `(u, v)` it updates a whole
//! output row at once over the precomputed range of columns whose input lies inside the plane
//! (no per-element bounds test; with stride 1 the inner loop is a contiguous `axpy` that the
//! compiler vectorises).

use crate::element::Element;

/// Compile-time geometry of a depthwise convolution.
pub trait DepthwiseGeometry {
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
    /// Kernel size.
    const K: usize;
    /// Stride.
    const S: usize;
    /// Padding.
    const P: usize;
    /// Dilation.
    const D: usize;

    /// Values of the input.
    const X_LEN: usize = Self::N * Self::C * Self::H * Self::W;
    /// Values of the output.
    const Y_LEN: usize = Self::N * Self::C * Self::HO * Self::WO;
    /// Values of the weight.
    const W_LEN: usize = Self::C * Self::K * Self::K;
    /// Multiply-adds of one forward pass.
    const MACS: usize = Self::Y_LEN * Self::K * Self::K;
}

/// A [`DepthwiseGeometry`] given by const parameters.
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
> DepthwiseGeometry for DepthwiseGeom<N, C, H, W, HO, WO, K, S, P, D>
{
    const N: usize = N;
    const C: usize = C;
    const H: usize = H;
    const W: usize = W;
    const HO: usize = HO;
    const WO: usize = WO;
    const K: usize = K;
    const S: usize = S;
    const P: usize = P;
    const D: usize = D;
}

/// The output positions `lo..hi` (of `0..out`) whose input position `o·S + off − P` lies in
/// `0..extent`, where `off = u·D` is the offset of a kernel tap, and the input position of `lo`.
/// Empty (`lo == hi`) when the tap never lands inside the input.
#[inline(always)]
fn span<G: DepthwiseGeometry>(out: usize, extent: usize, off: usize) -> (usize, usize, usize) {
    // o·S + off ≥ P
    let lo = if off >= G::P {
        0
    } else {
        (G::P - off).div_ceil(G::S)
    };
    // o·S + off − P ≤ extent − 1  ⇔  o·S + off < extent + P
    let lim = extent + G::P;
    let hi = if lim <= off {
        0
    } else {
        ((lim - off - 1) / G::S + 1).min(out)
    };
    if lo >= hi {
        return (0, 0, 0);
    }
    (lo, hi, lo * G::S + off - G::P)
}

/// Calls `f(i, ih)` for every output row `i` and the input row `ih` it reads under kernel row `u`.
#[inline(always)]
fn rows<G: DepthwiseGeometry>(u: usize, mut f: impl FnMut(usize, usize)) {
    let (lo, hi, first) = span::<G>(G::HO, G::H, u * G::D);
    for (k, i) in (lo..hi).enumerate() {
        f(i, first + k * G::S);
    }
}

/// `Σ a[i] · b[i]` with eight independent partial sums, so that the loop vectorises (a single
/// running sum would force strictly sequential float additions).
#[inline(always)]
fn dot<E: Element>(a: &[E], b: &[E]) -> E {
    const L: usize = 8;
    let (ac, ar) = a.as_chunks::<L>();
    let (bc, br) = b[..a.len()].as_chunks::<L>();
    let mut lanes = [E::zero(); L];
    for (a, b) in ac.iter().zip(bc) {
        for k in 0..L {
            lanes[k] += a[k] * b[k];
        }
    }
    let mut sum = ar.iter().zip(br).fold(E::zero(), |s, (&a, &b)| s + a * b);
    for l in lanes {
        sum += l;
    }
    sum
}

/// Forward: `y = depthwise(x, w) (+ bias)`. Overwrites `y`.
pub fn forward<G: DepthwiseGeometry, E: Element>(
    x: &[E],
    w: &[E],
    bias: Option<&[E]>,
    y: &mut [E],
) {
    let (x, w, y) = (&x[..G::X_LEN], &w[..G::W_LEN], &mut y[..G::Y_LEN]);
    let (hw, ohw, kk) = (G::H * G::W, G::HO * G::WO, G::K * G::K);
    for (p, (xplane, yplane)) in x.chunks_exact(hw).zip(y.chunks_exact_mut(ohw)).enumerate() {
        let c = p % G::C;
        yplane.fill(bias.map_or(E::zero(), |b| b[c]));
        let wk = &w[c * kk..][..kk];
        for u in 0..G::K {
            rows::<G>(u, |i, ih| {
                let xrow = &xplane[ih * G::W..][..G::W];
                let yrow = &mut yplane[i * G::WO..][..G::WO];
                for v in 0..G::K {
                    let wv = wk[u * G::K + v];
                    let (lo, hi, first) = span::<G>(G::WO, G::W, v * G::D);
                    let yrow = &mut yrow[lo..hi];
                    if G::S == 1 {
                        // Contiguous: bounds checked once, the loop vectorises.
                        let xrow = &xrow[first..][..yrow.len()];
                        for (yv, &xv) in yrow.iter_mut().zip(xrow) {
                            *yv += wv * xv;
                        }
                    } else {
                        for (yv, &xv) in yrow.iter_mut().zip(xrow[first..].iter().step_by(G::S)) {
                            *yv += wv * xv;
                        }
                    }
                }
            });
        }
    }
}

/// Backward-data: `dx = depthwiseᵀ(dy, w)`, the input gradient. Overwrites `dx`.
pub fn backward_data<G: DepthwiseGeometry, E: Element>(dy: &[E], w: &[E], dx: &mut [E]) {
    let (dy, w, dx) = (&dy[..G::Y_LEN], &w[..G::W_LEN], &mut dx[..G::X_LEN]);
    let (hw, ohw, kk) = (G::H * G::W, G::HO * G::WO, G::K * G::K);
    dx.fill(E::zero());
    for (p, (dxplane, dyplane)) in dx
        .chunks_exact_mut(hw)
        .zip(dy.chunks_exact(ohw))
        .enumerate()
    {
        let c = p % G::C;
        let wk = &w[c * kk..][..kk];
        for u in 0..G::K {
            rows::<G>(u, |i, ih| {
                let dyrow = &dyplane[i * G::WO..][..G::WO];
                let dxrow = &mut dxplane[ih * G::W..][..G::W];
                for v in 0..G::K {
                    let wv = wk[u * G::K + v];
                    let (lo, hi, first) = span::<G>(G::WO, G::W, v * G::D);
                    let dyrow = &dyrow[lo..hi];
                    if G::S == 1 {
                        let dxrow = &mut dxrow[first..][..dyrow.len()];
                        for (d, &g) in dxrow.iter_mut().zip(dyrow) {
                            *d += wv * g;
                        }
                    } else {
                        for (d, &g) in dxrow[first..].iter_mut().step_by(G::S).zip(dyrow) {
                            *d += wv * g;
                        }
                    }
                }
            });
        }
    }
}

/// Backward-weight: `dw[c, u, v] += Σ_{n,i,j} dy[n, c, i, j] · x[n, c, i·S − P + u·D, j·S − P + v·D]`
/// and, if given, `dbias[c] += Σ dy[n, c, ·]`. Accumulates.
pub fn backward_weight<G: DepthwiseGeometry, E: Element>(
    x: &[E],
    dy: &[E],
    dw: &mut [E],
    dbias: Option<&mut [E]>,
) {
    let (x, dy, dw) = (&x[..G::X_LEN], &dy[..G::Y_LEN], &mut dw[..G::W_LEN]);
    let (hw, ohw, kk) = (G::H * G::W, G::HO * G::WO, G::K * G::K);
    if let Some(db) = dbias {
        super::pointwise::channel_sums(dy, &mut db[..G::C], ohw);
    }
    for (p, (xplane, dyplane)) in x.chunks_exact(hw).zip(dy.chunks_exact(ohw)).enumerate() {
        let c = p % G::C;
        let dwk = &mut dw[c * kk..][..kk];
        for u in 0..G::K {
            for v in 0..G::K {
                let (lo, hi, first) = span::<G>(G::WO, G::W, v * G::D);
                let mut acc = E::zero();
                rows::<G>(u, |i, ih| {
                    let xrow = &xplane[ih * G::W..][..G::W];
                    let dyrow = &dyplane[i * G::WO..][lo..hi];
                    if G::S == 1 {
                        acc += dot(dyrow, &xrow[first..][..dyrow.len()]);
                    } else {
                        for (&g, &xv) in dyrow.iter().zip(xrow[first..].iter().step_by(G::S)) {
                            acc += g * xv;
                        }
                    }
                });
                dwk[u * G::K + v] += acc;
            }
        }
    }
}
