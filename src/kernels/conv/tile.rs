//! The register tiles: `MC` output channels × `L` lanes of one output row, the whole reduction
//! over input channels and kernel taps in registers (`direct_tile`), with constant trip counts
//! for the common kernel shapes (`tile_fixed`) and one compact tile for the size strategy.

use super::plan::{ColTap, MC, RowTap};
use crate::kernels::isa::{Isa, Level};
use crate::kernels::lanes::{fmadd, is_f32, keep, lane_order, lanes, one_vector};
use crate::kernels::scalar::Scalar;

/// The input columns a tile reads in one row: `start` (relative to the row, may be negative)
/// and `len` values from there.
#[derive(Clone, Copy)]
pub(super) struct Segment {
    pub(super) start: isize,
    pub(super) len: usize,
}

pub(super) type TileArgs<'a, 'b, E, const M: usize, const L: usize> = (
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
pub(super) fn direct_tile<
    I: Isa,
    E: Scalar,
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
pub(super) fn gemm_steps<
    'a,
    I: Isa,
    E: Scalar + 'a,
    const M: usize,
    const L: usize,
    const IS: usize,
>(
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
pub(super) const fn compact<I: Isa>() -> bool {
    matches!(crate::kernels::STRATEGY, crate::kernels::Strategy::Size)
        || (cfg!(target_arch = "x86_64") && matches!(I::LEVEL, Level::Baseline))
}

pub(super) type TileFn<I, E, const M: usize, const L: usize> =
    for<'a, 'b> fn(I, TileArgs<'a, 'b, E, M, L>);

/// The [`tile_fixed`] for a tile's `(lane stride, rows, columns)`, if there is one (rows `0`:
/// any number of rows).
#[inline(always)]
pub(super) fn fixed_tile<I: Isa, E: Scalar, const M: usize, const L: usize, const MASKED: bool>(
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
pub(super) fn permute<I: Isa, E: Scalar, const M: usize, const L: usize>(
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
pub(super) fn unpermute<I: Isa, E: Scalar, const M: usize, const L: usize>(
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
pub(super) fn tile_fixed<
    I: Isa,
    E: Scalar,
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
pub(super) fn row_steps<
    'a,
    I: Isa,
    E: Scalar,
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
pub(super) fn segment_steps<
    I: Isa,
    E: Scalar,
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

/// [`direct_tile`]'s taps for a segment that is not inside `x`, lane by lane.
#[cold]
// (out of line, with the instruction set's features: see `Isa::run`)
#[inline(always)]
pub(super) fn edge_taps<I: Isa, E: Scalar, const M: usize, const L: usize>(
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
