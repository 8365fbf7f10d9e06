//! Dense layers' forward pass (a convolution on `1 × 1` maps): dot products of rows, a few
//! samples and outputs per step.

use crate::kernels::isa::Isa;
use crate::kernels::lanes::{fmadd, hsum, is_f32, lanes};
use crate::kernels::scalar::Scalar;

// =============================================================================================
// Dense forward: dot products of rows
// =============================================================================================

/// Dense forward: `y[n, o] = b[o] + Σ_i x[n, i] · w[o, i]`, dot products of rows (through
/// [`Instantiated`](super::Instantiated)).
#[inline(always)]
pub(super) fn dense_forward<E: super::Instantiated>(
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

/// [`dense_forward`]'s body; instantiated only by [`Instantiated`](super::Instantiated).
#[inline(always)]
#[allow(clippy::too_many_arguments)]
pub(super) fn dense_forward_any<I: Isa, E: Scalar>(
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
pub(super) const DN: usize = 3;
/// Output features per dense tile.
pub(super) const DO: usize = 4;

#[inline(always)]
#[allow(clippy::too_many_arguments)]
pub(super) fn dense_lanes<I: Isa, E: Scalar, const L: usize>(
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

pub(super) type DenseArgs<'a, 'b, E> = (
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
pub(super) fn dense_tile<I: Isa, E: Scalar, const NB: usize, const L: usize>(
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
