//! The weight gradient ([`Reduce`]): a matrix product reduced over output positions, with the
//! output channels along the lanes; a block of positions of `dy` is transposed into a stack
//! buffer (`WGRAD_PACK_BYTES`), then tiles of output channels × weight rows accumulate with no
//! horizontal sums.

use super::geometry::ConvGeometry;
use crate::kernels::isa::Isa;
use crate::kernels::lanes::{fmadd, is_f32};
use crate::kernels::scalar::Scalar;
use crate::kernels::window::Window;

/// One group's weight gradient as dot products:
/// `dw[m, c, u, v] += Σ_(n, i, j) dy[n, m, i, j] · x[n, c, i·sh − ph + u·dh, j·sw − pw + v·dw]`.
#[derive(Clone, Copy, Debug)]
pub(super) struct Reduce {
    pub(super) n: usize,
    pub(super) ci: usize,
    pub(super) co: usize,
    pub(super) h: usize,
    pub(super) w: usize,
    pub(super) ho: usize,
    pub(super) wo: usize,
    /// Kernel size, stride, padding and dilation, per axis.
    pub(super) win: Window,
    /// Distance between two samples in `x` and in `dy`.
    pub(super) x_n: usize,
    pub(super) dy_n: usize,
}

impl Reduce {
    pub(super) fn of<C: ConvGeometry>() -> Self {
        let q = Self {
            n: C::N,
            ci: C::CIG,
            co: C::COG,
            h: C::H,
            w: C::W,
            ho: C::HO,
            wo: C::WO,
            win: Window::of::<C>(),
            x_n: C::CI * C::H * C::W,
            dy_n: C::CO * C::HO * C::WO,
        };
        if q.win.is_one_by_one() {
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
pub(super) fn valid_range(
    shift: usize,
    p: usize,
    s: usize,
    n_in: usize,
    n_out: usize,
) -> (usize, usize) {
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
pub(super) const WGRAD_PACK_BYTES: usize = if cfg!(feature = "small-stack") {
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
pub(super) const WGRAD_SUMS_BYTES: usize = if cfg!(feature = "small-stack") {
    1024
} else {
    8192
};

/// Accumulates one group's weight gradient. `x0`, `dy0`, `dw0`: offsets of the group (through
/// [`Instantiated`](super::Instantiated)).
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
pub(super) fn wgrad<E: super::Instantiated>(
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

/// [`wgrad`]'s body; instantiated only by [`Instantiated`](super::Instantiated).
#[inline(always)]
#[allow(clippy::too_many_arguments)]
pub(super) fn wgrad_any<I: Isa, E: Scalar>(
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
pub(super) fn wgrad_width<I: Isa, E: Scalar, const L: usize>(isa: I, a: WgradArgs<'_, E>) {
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

pub(super) type WgradArgs<'a, E> = (
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
pub(super) struct WRow {
    /// Offset of the weight `(c, u, v)` within an output channel's filter.
    pub(super) at: usize,
    /// Offset in `x`, from the sample's start, of the value that output position `(0, 0)` would
    /// read (it may lie outside: `rows` and `cols` say which positions read inside).
    pub(super) x: isize,
    /// Output rows and output columns whose input lies inside.
    pub(super) rows: (usize, usize),
    pub(super) cols: (usize, usize),
}

/// Tiles of `MV` vectors of `L` output channels × `J` (or `JS = J − 1`) weight rows, over blocks
/// of `PB` output positions (`PB · MV · L` values: [`WGRAD_PACK_BYTES`]).
#[inline(always)]
pub(super) fn wgrad_tiles<
    I: Isa,
    E: Scalar,
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
    let (hw, ohw, kk) = (q.h * q.w, q.ho * q.wo, q.win.taps());
    let cikk = q.ci * kk;
    let ml = MV * L;
    // Per tap: output rows and columns that read inside the input, and the input offset that
    // output position `(0, 0)` would read from channel 0.
    let tap_of = |tap: usize| {
        let (u, v) = (tap / q.win.kw, tap % q.win.kw);
        let (dr, dc) = (
            (u * q.win.dh) as isize - q.win.ph as isize,
            (v * q.win.dw) as isize - q.win.pw as isize,
        );
        WRow {
            at: tap,
            x: dr * q.w as isize + dc,
            rows: valid_range(u * q.win.dh, q.win.ph, q.win.sh, q.h, q.ho),
            cols: valid_range(v * q.win.dw, q.win.pw, q.win.sw, q.w, q.wo),
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
    // Blocks of output positions: whole rows when one fits the pack, else pieces of a row; when
    // whole maps fit, the maps of several samples (`ns`), so that each tile's sums reach `dw`
    // once per `ns` samples rather than once per sample (small maps: ResNet-18's last stage, 7 ×
    // 7 at batch 8, reduces over 5 samples' 245 positions per flush instead of 49).
    let (block_rows, block_cols) = if q.wo <= PB {
        (PB / q.wo, q.wo)
    } else {
        (1, PB)
    };
    let ns = if block_rows >= q.ho {
        (PB / ohw.max(1)).clamp(1, q.n.max(1))
    } else {
        1
    };
    let mut pack = [[[E::zero(); L]; MV]; PB];
    // The sums of the last tiles (`held` rows) and the weights they belong to.
    let mut sums = [[[E::zero(); L]; MV]; GR];
    let mut ats = [0usize; GR];
    let mut held = 0;
    for n0 in (0..q.n).step_by(ns) {
        let samples = n0..(n0 + ns).min(q.n);
        for m0 in (0..q.co).step_by(ml) {
            let mc = (q.co - m0).min(ml);
            for i0 in (0..q.ho).step_by(block_rows) {
                let i1 = (i0 + block_rows).min(q.ho);
                for j0 in (0..q.wo).step_by(block_cols) {
                    let j1 = (j0 + block_cols).min(q.wo);
                    let bw = j1 - j0;
                    let size = (i1 - i0) * bw;
                    // Transpose `dy[n, m0.., i0..i1, j0..j1]` for each sample `n`, one after
                    // the other (channels past the last are zero: their lanes are computed,
                    // never stored).
                    for (k, n) in samples.clone().enumerate() {
                        let pack = &mut pack[k * size..][..size];
                        for m in 0..ml {
                            let (mv, l) = (m / L, m % L);
                            if m < mc {
                                let plane = &dy[dy0 + n * q.dy_n + (m0 + m) * ohw..][..ohw];
                                for i in i0..i1 {
                                    let src = &plane[i * q.wo + j0..][..bw];
                                    let dst = &mut pack[(i - i0) * bw..][..bw];
                                    for (d, &s) in dst.iter_mut().zip(src) {
                                        d[mv][l] = s;
                                    }
                                }
                            } else {
                                pack.iter_mut().for_each(|d| d[mv][l] = E::zero());
                            }
                        }
                    }
                    let block = |k: usize| WBlock {
                        isa,
                        q,
                        x,
                        xn: x0 + (n0 + k) * q.x_n,
                        pack: &pack[k * size..][..size],
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
                            let mut acc = [[[E::zero(); L]; MV]; J];
                            (0..samples.len()).for_each(|k| block(k).tile(&rows, &mut acc));
                            add(&acc);
                        } else if let (true, Some(rows)) = (nr == JS, rows.first_chunk::<JS>()) {
                            let mut acc = [[[E::zero(); L]; MV]; JS];
                            (0..samples.len()).for_each(|k| block(k).uniform(rows, &mut acc));
                            add(&acc);
                        } else {
                            let mut acc = [[[E::zero(); L]; MV]; J];
                            (0..samples.len()).for_each(|k| block(k).uniform(&rows, &mut acc));
                            add(&acc);
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
pub(super) fn wgrad_flush<I: Isa, E: Scalar, const L: usize, const MV: usize>(
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
pub(super) struct WBlock<'a, I, E, const L: usize, const MV: usize> {
    pub(super) isa: I,
    pub(super) q: &'a Reduce,
    pub(super) x: &'a [E],
    /// Start of the sample (and group) in `x`.
    pub(super) xn: usize,
    /// `dy` at the block's positions (row-major), output channels along the lanes.
    pub(super) pack: &'a [[[E; L]; MV]],
    pub(super) rows: (usize, usize),
    pub(super) cols: (usize, usize),
}

impl<I: Isa, E: Scalar, const L: usize, const MV: usize> WBlock<'_, I, E, L, MV> {
    /// [`tile`](Self::tile) for rows that read inside the input at the same positions (rows of
    /// one tap, or any rows without padding).
    // (out of line, with the instruction set's features: see `Isa::run`)
    #[inline(always)]
    pub(super) fn uniform<const J: usize>(&self, rows: &[WRow; J], acc: &mut [[[E; L]; MV]; J]) {
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
                if clo >= chi || rlo >= rhi {
                    return;
                }
                let mut xo = [0; J];
                for (xo, r) in xo.iter_mut().zip(rows) {
                    *xo =
                        (self.xn as isize + r.x + (rlo * q.win.sh * q.w + clo * q.win.sw) as isize)
                            as usize;
                }
                let at = Rect {
                    rows: rhi - rlo,
                    cols: chi - clo,
                    x_step: q.win.sh * q.w,
                    d_step: bw,
                };
                let d = &self.pack[(rlo - i0) * bw + clo - j0..];
                wgrad_run(isa, acc, self.x, xo, q.win.sw, d, at);
            },
        )
    }

    /// Adds the tile's sums over the block: `acc[r][·] += Σ_positions x[row r] · dy[·]`.
    // (out of line, with the instruction set's features: see `Isa::run`)
    #[inline(always)]
    pub(super) fn tile<const J: usize>(&self, rows: &[WRow; J], acc: &mut [[[E; L]; MV]; J]) {
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
                    (self.xn as isize + r.x + (i * q.win.sh * q.w + j * q.win.sw) as isize) as usize
                };
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
                            acc,
                            self.x,
                            xo,
                            q.win.sw,
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
                                    q.win.sw,
                                    &d[a0 - j0..],
                                    Rect::run(b0 - a0),
                                );
                                *a = one[0];
                            }
                        }
                    }
                }
            },
        )
    }
}

/// A rectangle of output positions for [`wgrad_run`]: `rows` output rows of `cols` positions;
/// row `i` reads `x` from `xo[r] + i·x_step` and its `dy` values are `d[i·d_step..][..cols]`.
#[derive(Clone, Copy)]
pub(super) struct Rect {
    pub(super) rows: usize,
    pub(super) cols: usize,
    pub(super) x_step: usize,
    pub(super) d_step: usize,
}

impl Rect {
    /// One run of `cols` positions.
    pub(super) fn run(cols: usize) -> Self {
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
pub(super) fn wgrad_run<I: Isa, E: Scalar, const L: usize, const MV: usize, const J: usize>(
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
pub(super) fn wgrad_stride<
    I: Isa,
    E: Scalar,
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
