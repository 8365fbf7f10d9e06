//! One block of output channels and rows of a [`Direct`] problem: `1 × 1` kernels as a GEMM
//! over flattened positions (`pointwise`), and the passes over packed weights
//! (`direct_block`, `direct_pass`) that run the row tiles of `tile.rs` on each output row and
//! phase, with the taps at the edges cut to the lanes that read inside the input.

use super::plan::{ColTap, Direct, Init, MAX_TAPS, MC, RowTap, lane_range};
use super::tile::{Segment, direct_tile};
use crate::kernels::isa::Isa;
use crate::kernels::lanes::{fmadd, lanes, load, store_prefix};
use crate::kernels::scalar::Scalar;

/// A pointwise problem ([`Direct::is_pointwise`]) in tiles
/// of `L` positions, column tiles outside and output channels inside: a tile's input (`L`
/// positions of every reduction channel) stays in L1 while every block of output channels sweeps
/// it, and the weights, read in place (each row of `w` is contiguous), stay in L2. With the
/// output channels outside instead (the general path), every block of channels streams the input
/// from L2 again (1×1 convolution 128→128 on 56×56: 64 % of peak that way).
///
/// Without a stride, the whole tiles read the input in place. The last positions, when the plane
/// is not a whole number of tiles, and every tile of a strided problem are copied (zero-padded
/// to `L`) into `pk`, a block of input channels at a time, and run through the same tiles, the
/// blocks after the first adding to the output. Through the general path instead, every weight
/// of the layer was packed for those few positions: ResNet-50's `1 × 1` layers on 7 × 7 maps (17
/// of 49 columns left over) and 14 × 14 ones (4 of 196) spent as long packing as computing, and
/// its stride-2 projections (7 × 7 outputs) ran rows of 7 outputs on 16-lane tiles.
#[allow(clippy::too_many_arguments)]
#[inline(always)]
pub(super) fn pointwise<I: Isa, E: Scalar, const L: usize>(
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
    let positions = d.out_h * d.out_w;
    // Positions read in place: without a stride, the plane is one row (`Direct::flat_pointwise`).
    let in_place = d.out_h == 1 && d.win.sw == 1;
    let full = if in_place { positions / L * L } else { 0 };
    let cb = (pk.len() / L).max(1);
    for n in 0..d.n {
        let (xn, yn) = (x0 + n * d.x_n, y0 + n * d.y_n);
        for q0 in (0..full).step_by(L) {
            let rows = Rows {
                x,
                at: xn + q0,
                stride: d.in_plane,
                c: (0, d.r),
            };
            pointwise_tiles::<I, E, L>(isa, d, rows, w, w0, y, yn + q0, init);
        }
        for q0 in (full..positions).step_by(L) {
            let nv = L.min(positions - q0);
            for c0 in (0..d.r.max(1)).step_by(cb) {
                let c1 = (c0 + cb).min(d.r);
                for (c, dst) in (c0..c1).zip(pk.chunks_exact_mut(L)) {
                    gather(d, x, xn + c * d.in_plane, q0, &mut dst[..nv]);
                    dst[nv..].fill(E::zero());
                }
                let rows = Rows {
                    x: &*pk,
                    at: 0,
                    stride: L,
                    c: (c0, c1),
                };
                let init = if c0 == 0 { init } else { Init::Load };
                if nv == L {
                    pointwise_tiles::<I, E, L>(isa, d, rows, w, w0, y, yn + q0, init);
                    continue;
                }
                // One instance for every block of channels: a last, partial block repeats its
                // last channel.
                for m0 in (0..d.m).step_by(MC) {
                    let mc = MC.min(d.m - m0);
                    let t = (d, rows, w, w0, &mut *y, yn + q0, (nv, mc), init, m0);
                    pointwise_tile::<I, E, MC, L, true>(isa, t);
                }
            }
        }
    }
}

/// `dst[j]` = the input of output position `q0 + j` in the channel at `x[base..]`
/// ([`Direct::is_pointwise`]; without a stride, `x[base + q0 + j]`).
#[inline(always)]
fn gather<E: Scalar>(d: &Direct, x: &[E], base: usize, q0: usize, mut dst: &mut [E]) {
    let (sh, sw) = (d.win.sh, d.win.sw);
    let mut q = q0;
    while !dst.is_empty() {
        let (oy, ox) = (q / d.out_w, q % d.out_w);
        let k = (d.out_w - ox).min(dst.len());
        let src = &x[base + oy * sh * d.in_w + ox * sw..];
        let (row, rest) = dst.split_at_mut(k);
        if sw == 1 {
            row.copy_from_slice(&src[..k]);
        } else {
            for (o, s) in row.iter_mut().zip(src.iter().step_by(sw)) {
                *o = *s;
            }
        }
        dst = rest;
        q += k;
    }
}

/// The input rows of a pointwise tile: reduction channels `c.0..c.1`, the first at `x[at..]`,
/// `stride` apart.
#[derive(Clone, Copy)]
pub(super) struct Rows<'a, E> {
    pub(super) x: &'a [E],
    pub(super) at: usize,
    pub(super) stride: usize,
    pub(super) c: (usize, usize),
}

/// Every block of output channels of a pointwise problem on the `L` columns from `yo`.
#[allow(clippy::too_many_arguments)]
#[inline(always)]
fn pointwise_tiles<I: Isa, E: Scalar, const L: usize>(
    isa: I,
    d: &Direct,
    rows: Rows<'_, E>,
    w: &[E],
    w0: usize,
    y: &mut [E],
    yo: usize,
    init: Init<'_, E>,
) {
    let mut m0 = 0;
    while m0 < d.m {
        let mc = (d.m - m0).min(MC);
        let t = (d, rows, w, w0, &mut *y, yo, (L, mc), init, m0);
        match mc {
            MC => pointwise_tile::<I, E, MC, L, false>(isa, t),
            5 => pointwise_tile::<I, E, 5, L, false>(isa, t),
            4 => pointwise_tile::<I, E, 4, L, false>(isa, t),
            3 => pointwise_tile::<I, E, 3, L, false>(isa, t),
            2 => pointwise_tile::<I, E, 2, L, false>(isa, t),
            _ => pointwise_tile::<I, E, 1, L, false>(isa, t),
        }
        m0 += mc;
    }
}

pub(super) type PointwiseArgs<'a, 'b, E> = (
    &'a Direct,
    Rows<'a, E>,
    &'a [E],
    usize,
    &'b mut [E],
    usize,
    (usize, usize),
    Init<'a, E>,
    usize,
);

/// Output channels `m0..m0 + mc` × the first `nv` of `L` columns of a pointwise problem, from
/// its input `rows` to output offset `yo` (the tile's first column). Whole tiles (`PARTIAL`
/// false) have `nv = L` and `mc = M`; a partial one computes its channels from `mc` on as
/// copies of the last (stored over it).
// (out of line, with the instruction set's features: see `Isa::run`)
#[inline(always)]
pub(super) fn pointwise_tile<
    I: Isa,
    E: Scalar,
    const M: usize,
    const L: usize,
    const PARTIAL: bool,
>(
    isa: I,
    (d, rows, w, w0, y, yo, (nv, mc), init, m0): PointwiseArgs<'_, '_, E>,
) {
    isa.run(
        #[inline(always)]
        move || {
            let (c0, c1) = rows.c;
            let mut a = [[E::zero(); L]; M];
            let ch = |m: usize| m0 + if PARTIAL { m.min(mc - 1) } else { m };
            let out = |m: usize| yo + ch(m) * d.out_plane;
            match init {
                Init::Zero => {}
                Init::Bias(b) => {
                    for (m, a) in a.iter_mut().enumerate() {
                        *a = [b[ch(m)]; L];
                    }
                }
                Init::Load if !PARTIAL => {
                    for (m, a) in a.iter_mut().enumerate() {
                        *a = lanes::<E, L, 1>(y, out(m), 1);
                    }
                }
                Init::Load => {
                    for (m, a) in a.iter_mut().enumerate() {
                        *a = load::<E, L, 1>(y, out(m) as isize, 1, 0, nv);
                    }
                }
            }
            if c1 > c0 {
                // (The weight rows start at `c0`, so that `c` counts from 0 below: the loop's
                // bounds then prove every weight index in range, as in a tile over all channels.)
                let nc = c1 - c0;
                let mut wr: [&[E]; M] = [&[]; M];
                for (m, wr) in wr.iter_mut().enumerate() {
                    *wr = &w[w0 + ch(m) * d.w_m + c0..][..nc];
                }
                // Equal chunks (every reduction channel but the last), no length bookkeeping per step.
                let (x, s) = (rows.x, rows.stride);
                let xs = x[rows.at..][..(nc - 1) * s].chunks_exact(s);
                let last = &x[rows.at + (nc - 1) * s..][..L];
                a = pointwise_steps(isa, a, &wr, 0, xs);
                a = pointwise_steps(isa, a, &wr, nc - 1, [last].into_iter());
            }
            for (m, a) in a.iter().enumerate() {
                if PARTIAL {
                    store_prefix::<E, L, 1>(y, out(m), a, nv);
                } else {
                    let o: &mut [E; L] = (&mut y[out(m)..][..L]).try_into().unwrap();
                    *o = *a;
                }
            }
        },
    )
}

/// `a[m] += wr[m][c] · x_c` for the input rows `x_c` of `xs`, `c` counting from `c0`.
#[inline(always)]
pub(super) fn pointwise_steps<'a, I: Isa, E: Scalar + 'a, const M: usize, const L: usize>(
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
pub(super) struct Region {
    pub(super) oy: (usize, usize),
    pub(super) q: (usize, usize),
}

pub(super) type BlockArgs<'a, 'b, E> = (
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
pub(super) struct Pass<'a> {
    /// Row phase: the pass covers output rows `py, py + ys, py + 2·ys, …` of the region.
    pub(super) py: usize,
    pub(super) ys: usize,
    pub(super) ph: usize,
    pub(super) r0: usize,
    pub(super) r1: usize,
    pub(super) us: &'a [usize],
    pub(super) vs: &'a [usize],
}

/// All tiles of output channels `m0..m0 + M`, per column phase, in passes over ranges of
/// reduction channels and kernel taps whose weights fit the pack. The first pass of a phase
/// starts from `init`, the others add to the output.
// (out of line, with the instruction set's features: see `Isa::run`)
#[inline(always)]
pub(super) fn direct_block<I: Isa, E: Scalar, const M: usize, const L: usize, const IS: usize>(
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
            let row_phases = d.row_phases();
            for py in 0..row_phases {
                for ph in 0..d.phases() {
                    let mut first = true;
                    // The kernel columns that apply to this phase, in batches.
                    // Their input columns increase along the list (transposed: from the last column).
                    let mut i = 0;
                    while i < d.cols() {
                        let mut cv = 0;
                        while i < d.cols() && cv < MAX_TAPS.min(pack / M) {
                            let v = if d.transposed { d.win.kw - 1 - i } else { i };
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
                            while j < d.win.kh && cu < nu {
                                if d.in_row_phase(py, j) {
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
pub(super) fn load_phase<I: Isa, E: Scalar, const L: usize>(
    isa: I,
    y: &[E],
    o: usize,
    n: usize,
) -> [E; L] {
    isa.run(
        #[inline(always)]
        move || load::<E, L, 2>(y, o as isize, 2, 0, n),
    )
}

/// Stores lanes `..n` of `v` at `y[o + 2·l]` (see [`load_phase`]).
// (out of line, with the instruction set's features: see `Isa::run`)
#[inline(always)]
pub(super) fn store_phase<I: Isa, E: Scalar, const L: usize>(
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
pub(super) fn direct_pass<I: Isa, E: Scalar, const M: usize, const L: usize, const IS: usize>(
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
    let contiguous = !d.transposed || d.win.sw == 1;
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
                        } else if d.win.sw == 2 {
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
                } else if d.win.sw == 2 {
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
