//! Grouped 2-D convolution (cross-correlation, PyTorch semantics) over flat `N, C, H, W` slices.
//!
//! Geometry ([`ConvGeometry`]): batch `N`, `G` groups of `CIG` input and `COG` output channels,
//! input `H × W`, output `HO × WO`, square kernel `K`, stride `S`, padding `P`, dilation `D`.
//! Weight layout is PyTorch's `[G·COG, CIG, K, K]`.
//!
//! `y[n, g·COG + o, i, j] = Σ_{c,u,v} x[n, g·CIG + c, i·S − P + u·D, j·S − P + v·D] · w[g·COG + o, c, u, v]`

use crate::element::Element;

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

/// The input row/column read by output position `o` and kernel tap `u`, if inside the input.
#[inline(always)]
fn tap<C: ConvGeometry>(o: usize, u: usize, extent: usize) -> Option<usize> {
    let pos = (o * C::S + u * C::D).checked_sub(C::P)?;
    (pos < extent).then_some(pos)
}

/// Forward: `y = conv(x, w) (+ bias)`. Overwrites `y`.
pub fn forward<C: ConvGeometry, E: Element>(x: &[E], w: &[E], bias: Option<&[E]>, y: &mut [E]) {
    let (x, w, y) = (&x[..C::X_LEN], &w[..C::W_LEN], &mut y[..C::Y_LEN]);
    let (hw, ohw) = (C::H * C::W, C::HO * C::WO);
    for n in 0..C::N {
        for co in 0..C::CO {
            let g = co / C::COG;
            let yplane = &mut y[(n * C::CO + co) * ohw..][..ohw];
            let b = bias.map_or(E::zero(), |b| b[co]);
            yplane.fill(b);
            for c in 0..C::CIG {
                let xplane = &x[(n * C::CI + g * C::CIG + c) * hw..][..hw];
                let wk = &w[(co * C::CIG + c) * C::K * C::K..][..C::K * C::K];
                for i in 0..C::HO {
                    for u in 0..C::K {
                        let Some(ih) = tap::<C>(i, u, C::H) else {
                            continue;
                        };
                        let xrow = &xplane[ih * C::W..][..C::W];
                        let yrow = &mut yplane[i * C::WO..][..C::WO];
                        for v in 0..C::K {
                            let wv = wk[u * C::K + v];
                            for (j, yv) in yrow.iter_mut().enumerate() {
                                if let Some(iw) = tap::<C>(j, v, C::W) {
                                    *yv += wv * xrow[iw];
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// Backward-data: `dx = convᵀ(dy, w)`, the input gradient. Overwrites `dx`.
///
/// This is also the forward pass of a transposed convolution.
pub fn backward_data<C: ConvGeometry, E: Element>(dy: &[E], w: &[E], dx: &mut [E]) {
    let (dy, w, dx) = (&dy[..C::Y_LEN], &w[..C::W_LEN], &mut dx[..C::X_LEN]);
    let (hw, ohw) = (C::H * C::W, C::HO * C::WO);
    dx.fill(E::zero());
    for n in 0..C::N {
        for co in 0..C::CO {
            let g = co / C::COG;
            let dyplane = &dy[(n * C::CO + co) * ohw..][..ohw];
            for c in 0..C::CIG {
                let dxplane = &mut dx[(n * C::CI + g * C::CIG + c) * hw..][..hw];
                let wk = &w[(co * C::CIG + c) * C::K * C::K..][..C::K * C::K];
                for i in 0..C::HO {
                    let dyrow = &dyplane[i * C::WO..][..C::WO];
                    for u in 0..C::K {
                        let Some(ih) = tap::<C>(i, u, C::H) else {
                            continue;
                        };
                        let dxrow = &mut dxplane[ih * C::W..][..C::W];
                        for v in 0..C::K {
                            let wv = wk[u * C::K + v];
                            for (j, &g) in dyrow.iter().enumerate() {
                                if let Some(iw) = tap::<C>(j, v, C::W) {
                                    dxrow[iw] += wv * g;
                                }
                            }
                        }
                    }
                }
            }
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
    let (hw, ohw) = (C::H * C::W, C::HO * C::WO);
    if let Some(db) = dbias {
        for n in 0..C::N {
            for (co, db) in db[..C::CO].iter_mut().enumerate() {
                let s = dy[(n * C::CO + co) * ohw..][..ohw]
                    .iter()
                    .fold(E::zero(), |a, &b| a + b);
                *db += s;
            }
        }
    }
    for n in 0..C::N {
        for co in 0..C::CO {
            let g = co / C::COG;
            let dyplane = &dy[(n * C::CO + co) * ohw..][..ohw];
            for c in 0..C::CIG {
                let xplane = &x[(n * C::CI + g * C::CIG + c) * hw..][..hw];
                let dwk = &mut dw[(co * C::CIG + c) * C::K * C::K..][..C::K * C::K];
                for i in 0..C::HO {
                    let dyrow = &dyplane[i * C::WO..][..C::WO];
                    for u in 0..C::K {
                        let Some(ih) = tap::<C>(i, u, C::H) else {
                            continue;
                        };
                        let xrow = &xplane[ih * C::W..][..C::W];
                        for v in 0..C::K {
                            let mut acc = E::zero();
                            for (j, &g) in dyrow.iter().enumerate() {
                                if let Some(iw) = tap::<C>(j, v, C::W) {
                                    acc += g * xrow[iw];
                                }
                            }
                            dwk[u * C::K + v] += acc;
                        }
                    }
                }
            }
        }
    }
}
