//! Max and average pooling over flat `N, C, H, W` slices (PyTorch semantics, floor mode).
//!
//! Padding: max pooling treats padded positions as `−∞`; average pooling counts them as zeros
//! and always divides by `K²` (PyTorch's `count_include_pad=True`).

use crate::element::Element;

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
    /// Window size.
    const K: usize;
    /// Stride.
    const S: usize;
    /// Padding.
    const P: usize;
}

/// A [`PoolGeometry`] given by const parameters (`PLANES = N · C`).
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
> PoolGeometry for PoolGeom<N, C, H, W, HO, WO, K, S, P>
{
    const PLANES: usize = N * C;
    const H: usize = H;
    const W: usize = W;
    const HO: usize = HO;
    const WO: usize = WO;
    const K: usize = K;
    const S: usize = S;
    const P: usize = P;
}

/// The input rows (or columns) covered by window `o`, clipped to the input.
#[inline(always)]
fn span<G: PoolGeometry>(o: usize, extent: usize) -> core::ops::Range<usize> {
    let start = o * G::S;
    let lo = start.saturating_sub(G::P);
    let hi = (start + G::K).saturating_sub(G::P).min(extent);
    lo..hi
}

/// Max pooling. Writes the maxima to `y` and, per output, the index `h·W + w` of the maximum
/// within its input plane to `argmax` (the first maximum on ties, like PyTorch).
pub fn max_forward<G: PoolGeometry, E: Element>(x: &[E], y: &mut [E], argmax: &mut [u32]) {
    let (hw, ohw) = (G::H * G::W, G::HO * G::WO);
    for p in 0..G::PLANES {
        let xp = &x[p * hw..][..hw];
        let yp = &mut y[p * ohw..][..ohw];
        let ap = &mut argmax[p * ohw..][..ohw];
        for i in 0..G::HO {
            for j in 0..G::WO {
                let mut best = E::neg_infinity();
                let mut at = 0usize;
                for ih in span::<G>(i, G::H) {
                    for iw in span::<G>(j, G::W) {
                        let v = xp[ih * G::W + iw];
                        // `!(v <= best)` also picks up a NaN, so NaN propagates like in PyTorch.
                        if v > best || (v.is_nan() && !best.is_nan()) {
                            best = v;
                            at = ih * G::W + iw;
                        }
                    }
                }
                yp[i * G::WO + j] = best;
                ap[i * G::WO + j] = at as u32;
            }
        }
    }
}

/// Max pooling backward: `dx` is zeroed, then each `dy` goes to its recorded arg-max
/// (overlapping windows accumulate).
pub fn max_backward<G: PoolGeometry, E: Element>(dy: &[E], argmax: &[u32], dx: &mut [E]) {
    let (hw, ohw) = (G::H * G::W, G::HO * G::WO);
    dx[..G::PLANES * hw].fill(E::zero());
    for p in 0..G::PLANES {
        let dxp = &mut dx[p * hw..][..hw];
        for (&g, &a) in dy[p * ohw..][..ohw].iter().zip(&argmax[p * ohw..][..ohw]) {
            dxp[a as usize] += g;
        }
    }
}

/// Average pooling: each output is the sum of its window divided by `K²`.
pub fn avg_forward<G: PoolGeometry, E: Element>(x: &[E], y: &mut [E]) {
    let (hw, ohw) = (G::H * G::W, G::HO * G::WO);
    let scale = E::one() / E::of((G::K * G::K) as f64);
    for p in 0..G::PLANES {
        let xp = &x[p * hw..][..hw];
        let yp = &mut y[p * ohw..][..ohw];
        for i in 0..G::HO {
            for j in 0..G::WO {
                let mut s = E::zero();
                for ih in span::<G>(i, G::H) {
                    for iw in span::<G>(j, G::W) {
                        s += xp[ih * G::W + iw];
                    }
                }
                yp[i * G::WO + j] = s * scale;
            }
        }
    }
}

/// Average pooling backward: each `dy` is spread as `dy / K²` over its window. Overwrites `dx`.
pub fn avg_backward<G: PoolGeometry, E: Element>(dy: &[E], dx: &mut [E]) {
    let (hw, ohw) = (G::H * G::W, G::HO * G::WO);
    let scale = E::one() / E::of((G::K * G::K) as f64);
    dx[..G::PLANES * hw].fill(E::zero());
    for p in 0..G::PLANES {
        let dyp = &dy[p * ohw..][..ohw];
        let dxp = &mut dx[p * hw..][..hw];
        for i in 0..G::HO {
            for j in 0..G::WO {
                let g = dyp[i * G::WO + j] * scale;
                for ih in span::<G>(i, G::H) {
                    for iw in span::<G>(j, G::W) {
                        dxp[ih * G::W + iw] += g;
                    }
                }
            }
        }
    }
}
