//! Small maps on 512-bit registers: output positions along the lanes *across* rows, read from a
//! zero-padded copy of the input.
//!
//! The row tiles of [`super::direct_any`] put one output row's columns along the lanes. A map of
//! 7 or 14 columns (ResNet's last stages) fills 16 lanes half, so those rows run on AVX2's
//! 8-lane tiles, at most half of what an AVX-512 CPU can do; one of 28 (its second stage)
//! leaves 4 of 32 lanes idle. Here (forward problems of stride 1
//! or 2, and the input gradients of stride 1: forward problems with the kernel flipped and
//! padded by `(k − 1)·d − p`) the input of a block of
//! channels is first copied with its padding written out as zeros and, for stride 2, split by
//! the parity of rows and columns into four phase planes (stride 1: one plane). In a plane of
//! rows of `wg` values, output position `(i, j)` reads through tap `(u, v)` the value
//! `(i + ⌊u·d/s⌋)·wg + j + ⌊v·d/s⌋` of phase `(u·d mod s, v·d mod s)`: a constant offset per
//! tap from the point `q = i·wg + j`. So the positions of a tile are consecutive points of a
//! grid of `out_h × wg` (the `wg − out_w` points at the end of each row are computed and
//! dropped): 32 of them (two registers), for 12 output channels, 24 accumulators. Each step
//! loads two vectors of the copy and multiplies them by 12 broadcast weights; no masks, no
//! padding branches, no strided lanes.
//!
//! The 12 weights of a step are broadcast from where they lie (twelve runs of the forward
//! layout, `[m][c][u][v]`, read side by side; a last, partial tile repeats its last channel):
//! packing them cost a quarter of the time on a 7 × 7 map, where each weight serves only four
//! multiply-adds. Each block of input channels is one pass over the output; the first pass
//! starts from the problem's [`Init`], the others add.
//!
//! The copy holds the input rows of one band of output rows, not of the whole map: with many
//! input channels a shorter band leaves room for more of them per block, so fewer passes (each
//! pass starts and stores every accumulator once more). The band height is the one with the
//! least estimated work ([`band`]). ResNet-18's stride-2 layer to 14 × 14 (128 input
//! channels, whose whole-map copy held 11: 12 passes) runs in bands of 2 rows and blocks of 55
//! channels: 14.8 → 11.1 ms at batch 8 (`r18t_s3a_f`), 1.77 → 1.35 ms at batch 1
//! (`r18_s3a`); 256 → 256 at 14 × 14 (`r18_s3`, 29 of 256 channels per block before) 2.62 →
//! 2.45 ms (`benches/interleave.sh`, AMD EPYC, Zen 4, 2026-12-07).
//!
//! Measured on ResNet-18's convolutions at batch 1 (`r18_*` in `benches/common/mod.rs`, Xeon
//! with AVX-512): 512 → 512 at 7 × 7 from 5.45 to 2.45 ms, 256 → 512 of stride 2 to 7 × 7 from
//! 2.98 to 1.42 ms, 256 → 256 at 14 × 14 from 2.90 to 2.14 ms, 128 → 256 of stride 2 to 14 × 14
//! from 2.21 to 1.74 ms. `1 × 1` kernels stay on the row tiles (one tap per channel is too
//! little work per step: 297 → 690 µs here).

use super::direct::with_scratch;
use super::plan::{Direct, Init};
use crate::kernels::isa::Isa;
use crate::kernels::lanes::{fmadd, load};
use crate::kernels::scalar::Scalar;

/// Output channels per tile.
const MC: usize = 12;
/// Vectors of positions per tile.
const NV: usize = 2;
/// Lanes per vector (`f32` in 512 bits).
const V: usize = 16;
/// Positions per tile.
const T: usize = NV * V;

/// Bytes of scratch: the copy of a block of input channels (the column split's budget,
/// [`super::plan::SPLIT_BYTES`]: no larger frame than the other routes).
const SCRATCH_BYTES: usize = super::plan::SPLIT_BYTES;

/// How a problem runs here.
#[derive(Clone, Copy, Debug)]
pub(super) struct Plan {
    /// Zero rows (above and below) and columns (left and right) around the input in the copy:
    /// the padding of a forward problem, `(k − 1)·d − p` of a transposed one (stride 1: a
    /// forward one with the kernel flipped), per axis.
    pad: (usize, usize),
    /// Values per row of a phase plane (`⌈(in_w + 2pw) / sw⌉`), and grid points per output row.
    wg: usize,
    /// Output rows per band: the copy holds the input rows of one band of output rows (for a
    /// block of input channels), so that shorter bands leave room for more channels per block,
    /// that is fewer passes over the output ([`band`]).
    bh: usize,
    /// Values of one phase plane of a band's copy (`⌈rows / sh⌉ · wg` for the `rows` padded
    /// input rows a band reads).
    pl: usize,
    /// Values per input channel in the copy: `sh · sw` planes and room for the last tile's reads.
    cp: usize,
    /// Input channels per block (per pass over the output).
    cb: usize,
    /// Where tap `t = u·kw + v` reads, from a tile's first grid point, in a channel's copy.
    taps: [usize; MAX_TAPS],
}

/// Taps of the kernels that run here (up to `8 × 8`).
const MAX_TAPS: usize = 64;

/// The plan for `d`, if it runs here: a forward problem of strides 1 or 2 or a transposed one of
/// stride 1 (not split), with a kernel of 2 to 64 taps whose output rows are at most 16 wide
/// (or 17 to 31: rows that the row tiles' 32 lanes leave partly idle), with enough
/// output channels and useful lanes to beat the 8-lane tiles, and at least one input channel's
/// copy in the scratch.
pub(super) fn plan<E>(d: &Direct) -> Option<Plan> {
    // (A 1 × 1 kernel has one tap per channel: too little work per step of the loop over
    // channels; the row tiles do better.)
    let kk = d.win.taps();
    if d.split
        || d.r == 0
        || d.m < 2 * MC
        || !matches!((d.win.sh, d.win.sw), (1 | 2, 1 | 2))
        || kk == 1
    {
        return None;
    }
    // Rows of 17 to 31 outputs too, which the row tiles (32 lanes per row) leave partly idle;
    // not 32. ResNet-18's stage of 28 × 28 (28 of 32 lanes there): the stride-2 layer 1.86 →
    // 1.41 ms at batch 1, the stride-1 ones 2.75 → 2.49 ms; 32-wide rows (W2f) were 23 % slower
    // here and 56-wide ones 6 % (`benches/interleave.sh`, AMD EPYC, Zen 4).
    let wide = d.out_w > T || (d.out_w > V && d.out_w.is_multiple_of(V));
    if wide || d.out_w == 0 || d.out_h == 0 || d.in_h == 1 || kk > MAX_TAPS {
        return None;
    }
    // Even kernels of stride 2 have the column split (W5's input gradient, 4 × 4 of stride 2
    // to 16 × 16: 213 µs there, 319 µs here).
    if d.splits(super::plan::SPLIT_BYTES / core::mem::size_of::<E>()) {
        return None;
    }
    let span = ((d.win.kh - 1) * d.win.dh, (d.win.kw - 1) * d.win.dw);
    let pad = match (d.transposed, d.win.sh, d.win.sw) {
        (false, _, _) => (d.win.ph, d.win.pw),
        (true, 1, 1) if span.0 >= d.win.ph && span.1 >= d.win.pw => {
            (span.0 - d.win.ph, span.1 - d.win.pw)
        }
        _ => return None,
    };
    let wg = (d.in_w + 2 * pad.1).div_ceil(d.win.sw);
    let room = SCRATCH_BYTES / core::mem::size_of::<E>();
    let (bh, b) = band(d, span, wg, room)?;
    // Useful share of the computed lanes and channels: below about 60 % the 8-lane row tiles
    // (half the lanes, every lane useful) are as fast.
    let lanes = (d.out_h * d.out_w) as f32 / (b.tiles * T) as f32;
    let channels = d.m as f32 / d.m.next_multiple_of(MC) as f32;
    if lanes * channels < 0.6 {
        return None;
    }
    let (pl, cp, cb) = (b.pl, b.cp, b.cb);
    let mut taps = [0; MAX_TAPS];
    for (t, tap) in taps.iter_mut().enumerate().take(kk) {
        // Kernel row `u` reads padded row `sh·i + u·dh`: row `i + ⌊u·dh/sh⌋` of the phase planes
        // of row parity `u·dh mod sh`; the same for columns. (Transposed: row
        // `i + (kh − 1 − u)·dh`.)
        let (u, v) = (t / d.win.kw, t % d.win.kw);
        let (u, v) = if d.transposed {
            (d.win.kh - 1 - u, d.win.kw - 1 - v)
        } else {
            (u, v)
        };
        let (u, v) = (u * d.win.dh, v * d.win.dw);
        *tap = ((u % d.win.sh) * d.win.sw + v % d.win.sw) * pl + (u / d.win.sh) * wg + v / d.win.sw;
    }
    Some(Plan {
        pad,
        wg,
        bh,
        pl,
        cp,
        cb,
        taps,
    })
}

/// A band height's layout and cost (see [`band`]).
#[derive(Clone, Copy)]
struct Band {
    pl: usize,
    cp: usize,
    cb: usize,
    /// Tiles over the whole output (every band).
    tiles: usize,
}

/// Multiply-add steps (of one tap and input channel, `MC · T` products) that one more pass over
/// the output costs each tile: starting and storing its accumulators and its rows of output.
/// Measured on ResNet-18's stride-2 layer to 14 × 14 at batch 8 (`r18t_s3a_f`), whose 128
/// input channels took 12 passes of 11 channels: a scratch 4 × as large (3 passes) ran it in
/// 12.9 ms instead of 18.3 ms, `(1152 + 12·O) / (1152 + 3·O) = 1.42` for `O ≈ 63`.
const PASS_STEPS: usize = 64;

/// The band height (output rows per band) with the least estimated work, and its layout, if
/// one input channel's copy fits `room`: every tile costs one step per tap and input channel
/// plus [`PASS_STEPS`] per pass (per block of channels), and shorter bands hold more channels
/// per block but cover their rows with more partial tiles. The whole map as one band when all
/// its channels fit in one block.
fn band(d: &Direct, span: (usize, usize), wg: usize, room: usize) -> Option<(usize, Band)> {
    let (sh, sw) = (d.win.sh, d.win.sw);
    // The farthest a tap reads from a tile's first point, within its plane.
    let reach = span.0 / sh * wg + span.1 / sw;
    let layout = |bh: usize| {
        // Padded input rows the band reads.
        let rows = (bh - 1) * sh + span.0 + 1;
        let pl = rows.div_ceil(sh) * wg;
        let q_tiles = (bh * wg).div_ceil(T);
        let cp = (sh * sw - 1) * pl + pl.max(q_tiles * T + reach);
        let cb = (room / cp).min(d.r);
        let bands = d.out_h.div_ceil(bh);
        let last = d.out_h - (bands - 1) * bh;
        let tiles = (bands - 1) * q_tiles + (last * wg).div_ceil(T);
        Band { pl, cp, cb, tiles }
    };
    let mut best: Option<(usize, usize, Band)> = None;
    for bh in (1..=d.out_h).rev() {
        let b = layout(bh);
        if b.cb == 0 {
            continue;
        }
        let cost = b.tiles * (d.r * d.win.taps() + d.r.div_ceil(b.cb) * PASS_STEPS);
        if best.is_none_or(|(c, ..)| cost < c) {
            best = Some((cost, bh, b));
        }
        if b.cb == d.r && bh == d.out_h {
            break;
        }
    }
    best.map(|(_, bh, b)| (bh, b))
}

/// Runs `d` by `plan` (from [`plan`]). `x0`, `w0`, `y0`: offsets of the sample and group.
#[allow(clippy::too_many_arguments)]
// (out of line, with the instruction set's features: see `Isa::run`)
#[inline(always)]
pub(super) fn run<I: Isa, E: Scalar>(
    isa: I,
    d: &Direct,
    plan: &Plan,
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
            with_scratch::<E, { SCRATCH_BYTES / 4 }, { SCRATCH_BYTES / 8 }>(
                // (inlined, so compiled with the instruction set's features: a crate built
                // with 16 codegen units left it out of line, and its multiply-adds became
                // calls to `fmaf`, 50× slower)
                #[inline(always)]
                |scratch| {
                    for n in 0..d.n {
                        let (x0, y0) = (x0 + n * d.x_n, y0 + n * d.y_n);
                        passes(isa, d, plan, x, x0, w, w0, y, y0, init, scratch);
                    }
                },
            )
        },
    )
}

/// One pass over the output per band of output rows and block of input channels.
#[allow(clippy::too_many_arguments)]
#[inline(always)]
fn passes<I: Isa, E: Scalar>(
    isa: I,
    d: &Direct,
    plan: &Plan,
    x: &[E],
    x0: usize,
    w: &[E],
    w0: usize,
    y: &mut [E],
    y0: usize,
    init: Init<'_, E>,
    scratch: &mut [E],
) {
    let copy = &mut scratch[..plan.cb * plan.cp];
    for oy0 in (0..d.out_h).step_by(plan.bh) {
        // The band's grid points and the whole tiles covering them; its first output row.
        let q = plan.bh.min(d.out_h - oy0) * plan.wg;
        let y0 = y0 + oy0 * d.out_w;
        for c0 in (0..d.r).step_by(plan.cb) {
            let cn = plan.cb.min(d.r - c0);
            copy_block(d, plan, x, x0 + c0 * d.in_plane, cn, oy0, copy);
            let init = if c0 == 0 { init } else { Init::Load };
            for m0 in (0..d.m).step_by(MC) {
                let mn = MC.min(d.m - m0);
                // The weights of each output channel of the tile for the block's input channels:
                // `cn` runs of `kh·kw`, `w_r` apart (one run when `w_r = kh·kw`, forward). A last,
                // partial tile repeats its last channel (computed, not stored).
                let len = (cn - 1) * d.w_r + d.win.taps();
                let runs: [&[E]; MC] = core::array::from_fn(|i| {
                    &w[w0 + (m0 + i.min(mn - 1)) * d.w_m + c0 * d.w_r..][..len]
                });
                for t in 0..q.div_ceil(T) {
                    tile(
                        isa,
                        d,
                        plan,
                        &copy[..cn * plan.cp],
                        &runs,
                        y,
                        y0 + m0 * d.out_plane,
                        m0,
                        mn,
                        t * T,
                        q,
                        init,
                    );
                }
            }
        }
    }
}

/// Copies the rows that the band of output rows from `oy0` reads of input channels `..cn`
/// (from `x0`) into `copy`, `plan.cp` values each: the input with `plan.pad` zero rows and
/// columns around it, from padded row `oy0 · sh` on, as `sh × sw` phase planes (row parity,
/// column parity) of `plan.wg`-value rows, zeros after.
#[inline(always)]
fn copy_block<E: Scalar>(
    d: &Direct,
    plan: &Plan,
    x: &[E],
    x0: usize,
    cn: usize,
    oy0: usize,
    copy: &mut [E],
) {
    let ((ph, p), wg) = (plan.pad, plan.wg);
    // Padded rows `r0..r0 + rows` (`r0` a multiple of `sh`: row parities are kept).
    let r0 = oy0 * d.win.sh;
    let rows = plan.pl / wg * d.win.sh;
    let iys = r0.saturating_sub(ph).min(d.in_h)..(r0 + rows).saturating_sub(ph).min(d.in_h);
    for c in 0..cn {
        let dst = &mut copy[c * plan.cp..][..plan.cp];
        dst.fill(E::zero());
        let src = &x[x0 + c * d.in_plane..][..d.in_h * d.in_w];
        for iy in iys.clone() {
            let row = &src[iy * d.in_w..][..d.in_w];
            // Padded row `r` is row `r / sh` of the band's planes of row parity `r mod sh`.
            let r = iy + ph - r0;
            let at = (r % d.win.sh) * d.win.sw * plan.pl + (r / d.win.sh) * wg;
            if d.win.sw == 1 {
                dst[at + p..][..d.in_w].copy_from_slice(row);
            } else {
                // Padded column `ix + p` goes to the plane of its parity, at `(ix + p) / 2`:
                // the column split's de-interleaving (even columns of `x` to the plane of
                // parity `p mod 2`).
                let (lo, hi) = dst[at..].split_at_mut(plan.pl);
                let (lo, hi) = (&mut lo[..wg], &mut hi[..wg]);
                let (even, odd) = if p % 2 == 0 { (lo, hi) } else { (hi, lo) };
                super::direct::split_row(row, p, even, odd);
            }
        }
    }
}

/// One tile: output channels `m0..m0 + mn` (`y0` is channel `m0`'s plane) at grid points
/// `q0..q0 + T`.
#[allow(clippy::too_many_arguments)]
#[inline(always)]
fn tile<I: Isa, E: Scalar>(
    _isa: I,
    d: &Direct,
    plan: &Plan,
    copy: &[E],
    runs: &[&[E]; MC],
    y: &mut [E],
    y0: usize,
    m0: usize,
    mn: usize,
    q0: usize,
    q: usize,
    init: Init<'_, E>,
) {
    // The accumulators are touched only at constant indices (so they stay in registers); the
    // rows of the output go through `buf`.
    // (`V` more values: a run from any lane is read and written as one vector)
    let mut buf = [[E::zero(); T + V]; MC];
    match init {
        Init::Zero => {}
        Init::Bias(b) => {
            for (buf, &b) in buf.iter_mut().zip(&b[m0..m0 + mn]) {
                *buf = [b; T + V];
            }
        }
        Init::Load => {
            for (i, buf) in buf.iter_mut().enumerate().take(mn) {
                rows(d, plan, q0, q, |a, o, len| {
                    buf[a..a + len].copy_from_slice(&y[y0 + i * d.out_plane + o..][..len]);
                });
            }
        }
    }
    let mut acc = [[[E::zero(); V]; NV]; MC];
    for i in 0..MC {
        for j in 0..NV {
            for l in 0..V {
                acc[i][j][l] = buf[i][j * V + l];
            }
        }
    }
    let kk = d.win.taps();
    let taps = &plan.taps[..kk];
    for (c, xc) in copy.chunks_exact(plan.cp).enumerate() {
        let wc: [&[E]; MC] = core::array::from_fn(|i| &runs[i][c * d.w_r..][..kk]);
        for (t, &tap) in taps.iter().enumerate() {
            let off = tap + q0;
            let mut xv = [[E::zero(); V]; NV];
            for (j, xv) in xv.iter_mut().enumerate() {
                *xv = load::<E, V, 1>(xc, (off + j * V) as isize, 1, 0, V);
            }
            let mut wv = [E::zero(); MC];
            for i in 0..MC {
                wv[i] = wc[i][t];
            }
            for i in 0..MC {
                for j in 0..NV {
                    for l in 0..V {
                        acc[i][j][l] = fmadd::<I, E>(wv[i], xv[j][l], acc[i][j][l]);
                    }
                }
            }
        }
    }
    for i in 0..MC {
        for j in 0..NV {
            for l in 0..V {
                buf[i][j * V + l] = acc[i][j][l];
            }
        }
    }
    for (i, buf) in buf.iter().enumerate().take(mn) {
        rows(d, plan, q0, q, |a, o, len| {
            y[y0 + i * d.out_plane + o..][..len].copy_from_slice(&buf[a..a + len]);
        });
    }
}

/// Calls `f(lane, output offset, length)` for each run of a tile's lanes (from grid point
/// `q0` of a grid of `q` points) that are output positions of one row.
#[inline(always)]
fn rows(d: &Direct, plan: &Plan, q0: usize, q: usize, mut f: impl FnMut(usize, usize, usize)) {
    let end = (q0 + T).min(q);
    let mut g = q0;
    while g < end {
        let (i, j) = (g / plan.wg, g % plan.wg);
        let row_end = (i * plan.wg + plan.wg).min(end);
        if j < d.out_w {
            let len = (d.out_w - j).min(row_end - g);
            f(g - q0, i * d.out_w + j, len);
        }
        g = row_end;
    }
}

#[cfg(test)]
mod tests {
    use super::super::{Direct, Geom};
    use super::*;

    /// The reference tests' small maps (`tests/it/kernels_reference.rs`) take this route, in
    /// one or several blocks of input channels, forward and (stride 1) transposed; wide rows,
    /// `1 × 1` kernels, transposed problems of stride 2 and problems with too few useful lanes
    /// do not.
    #[test]
    fn which_problems_run_here() {
        type G<const CI: usize, const CO: usize, const H: usize, const HO: usize> =
            Geom<1, 1, CI, CO, H, H, HO, HO, 3, 1, 1, 1>;
        let two_blocks = plan::<f32>(&Direct::forward::<G<128, 64, 7, 7>>()).expect("7 × 7");
        assert!(two_blocks.cb < 128 && two_blocks.cb >= 64);
        let one_block = plan::<f32>(&Direct::forward::<G<64, 64, 7, 7>>()).expect("7 × 7");
        assert_eq!(one_block.cb, 64);
        assert_eq!((one_block.wg, one_block.bh), (9, 7));
        let strided = Direct::forward::<Geom<1, 1, 24, 50, 14, 14, 7, 7, 3, 2, 1, 1>>();
        let p = plan::<f32>(&strided).expect("stride 2");
        // Four phase planes of 8 × 8; tap (1, 2) reads row 0 of the odd-row, even-column
        // plane, one column on.
        assert_eq!((p.wg, p.pl), (8, 64));
        assert_eq!(p.taps[5], 2 * 64 + 1);
        // The input gradient of a stride-1 convolution: a forward one with the kernel flipped,
        // padded by `(k − 1)·d − p`; tap (0, 0) reads the last row and column of the window.
        let t = plan::<f32>(&Direct::transposed::<
            Geom<1, 1, 96, 64, 9, 9, 7, 7, 3, 1, 0, 1>,
        >())
        .expect("transposed, stride 1");
        assert_eq!((t.pad, t.wg), ((2, 2), 11));
        assert_eq!(t.taps[0], 2 * 11 + 2);
        // A 1 × 3 kernel padded by (0, 1) (Inception-v3's at 8 × 8): padding only around the
        // columns; tap (0, 2) reads two columns on.
        let r = plan::<f32>(&Direct::forward::<
            Geom<1, 1, 48, 48, 8, 8, 8, 8, 1, 1, 0, 1, 3, 1, 1, 1>,
        >())
        .expect("1 × 3");
        assert_eq!((r.pad, r.wg, r.pl), ((0, 1), 10, 80));
        assert_eq!(&r.taps[..3], &[0, 1, 2]);
        // Strides (2, 1): two row-phase planes of 10 × 16 for a 3 × 3 kernel padded by 1;
        // tap (1, 1) reads the odd-row plane, tap (2, 0) the next row of the even one.
        let s = plan::<f32>(&Direct::forward::<
            Geom<1, 1, 24, 30, 18, 14, 9, 14, 3, 2, 1, 1, 3, 1, 1, 1>,
        >())
        .expect("strides (2, 1)");
        assert_eq!((s.wg, s.pl), (16, 10 * 16));
        assert_eq!((s.taps[4], s.taps[6]), (160 + 1, 16));
        // Many input channels: bands of output rows, so that a block holds more of them.
        // ResNet-18's stride-2 layer to 14 × 14: one copy of the whole map held 11 of its 128
        // channels (12 passes).
        type S3a = Geom<1, 1, 128, 256, 28, 28, 14, 14, 3, 2, 1, 1>;
        let banded = plan::<f32>(&Direct::forward::<S3a>()).expect("stride 2, banded");
        assert!(banded.bh < 14 && banded.cb > 11, "{banded:?}");
        // The reference tests' banded cases: stride 2 in bands of 4 rows (14 = 3·4 + 2) and
        // 2 blocks of 33 channels; 13 × 13 in bands of 10 rows (13 = 10 + 3), forward (two
        // samples) and transposed.
        let strided = Direct::forward::<Geom<1, 1, 64, 24, 27, 27, 14, 14, 3, 2, 1, 1>>();
        let p = plan::<f32>(&strided).expect("banded");
        assert_eq!((p.bh, p.cb, p.pl), (4, 33, 5 * 15));
        for d in [
            Direct::transposed::<Geom<1, 1, 24, 48, 13, 13, 13, 13, 3, 1, 1, 1>>(),
            Direct::forward::<Geom<2, 1, 48, 24, 13, 13, 13, 13, 3, 1, 1, 1>>(),
        ] {
            let p = plan::<f32>(&d).expect("banded");
            assert_eq!((p.bh, p.cb, p.pl), (10, 48, 12 * 15), "{d:?}");
        }
        // Rows of 28 (ResNet's second stage), stride 1 and 2: 28 of the row tiles' 32 lanes.
        assert!(plan::<f32>(&Direct::forward::<G<128, 128, 28, 28>>()).is_some());
        // (the reference tests' cases)
        assert!(plan::<f32>(&Direct::forward::<G<24, 24, 28, 28>>()).is_some());
        assert!(plan::<f32>(&Direct::transposed::<G<24, 24, 28, 28>>()).is_some());
        let s20 = Direct::forward::<Geom<1, 1, 8, 24, 40, 40, 20, 20, 3, 2, 1, 1>>();
        assert!(plan::<f32>(&s20).is_some());
        let s2a = Direct::forward::<Geom<1, 1, 64, 128, 56, 56, 28, 28, 3, 2, 1, 1>>();
        assert!(plan::<f32>(&s2a).is_some());
        for d in [
            Direct::forward::<G<64, 64, 32, 32>>(),
            Direct::forward::<G<64, 64, 56, 56>>(),
            Direct::forward::<Geom<1, 1, 128, 256, 28, 28, 14, 14, 1, 2, 0, 1>>(),
            Direct::transposed::<Geom<1, 1, 64, 64, 14, 14, 7, 7, 3, 2, 1, 1>>(),
            Direct::forward::<G<64, 16, 7, 7>>(),
            Direct::forward::<Geom<1, 1, 8, 64, 4, 4, 2, 2, 3, 1, 0, 1>>(),
        ] {
            assert!(plan::<f32>(&d).is_none(), "{d:?}");
        }
    }
}
