//! The routes of an output-stationary problem ([`Direct`]): blocks of samples and of input
//! channels that fit the cache, the column split of stride-2 rows with even kernels
//! (`direct_split`), and the choice of lane width and stride (`direct_width`,
//! `direct_stride`) before the passes of `block.rs` run.

use super::block::{BlockArgs, Region, direct_block, pointwise};
use super::plan::{Direct, Init, MC, PACK_BYTES, SPLIT_BYTES};
use super::tile::compact;
use crate::kernels::isa::Isa;
use crate::kernels::lanes::{is_f32, one_vector};
use crate::kernels::scalar::Scalar;

/// Runs a [`Direct`] problem. `x0`, `w0`, `y0`: offsets of this sample and group.
///
/// Goes through [`Instantiated`](super::Instantiated): the micro-kernels are compiled once, in this crate, per
/// element type (see there).
#[allow(clippy::too_many_arguments)]
#[inline(always)]
pub(super) fn direct<E: super::Instantiated>(
    d: &Direct,
    x: &[E],
    x0: usize,
    w: &[E],
    w0: usize,
    y: &mut [E],
    y0: usize,
    init: Init<'_, E>,
) {
    E::direct(d, x, x0, w, w0, y, y0, init);
}

/// [`direct`]'s body, generic over the element type; instantiated only by [`Instantiated`](super::Instantiated).
#[allow(clippy::too_many_arguments)]
#[inline(always)]
pub(super) fn direct_any<I: Isa, E: Scalar>(
    isa: I,
    d: &Direct,
    x: &[E],
    x0: usize,
    w: &[E],
    w0: usize,
    y: &mut [E],
    y0: usize,
    init: Init<'_, E>,
) {
    // The pack: `PACK_BYTES` of `E`, in a frame of its own (out of line), as the column split's
    // scratch is in its own: one frame holding both would make every convolution's stack that
    // of the split, and the split's that of both (64 KiB in the test build).
    if d.splits(SPLIT_BYTES / core::mem::size_of::<E>()) {
        direct_split(isa, d, x, x0, w, w0, y, y0, init);
    } else {
        isa.run(
            #[inline(always)]
            move || {
                with_scratch::<E, { PACK_BYTES / 4 }, { PACK_BYTES / 8 }>(|pk| {
                    direct_lanes(isa, d, x, x0, w, w0, y, y0, init, pk)
                })
            },
        );
    }
}

/// Runs `f` on a zeroed stack buffer of `F32` values for `f32`, `F64` for `f64` (the same
/// bytes), in the caller's frame.
#[inline(always)]
pub(super) fn with_scratch<E: Scalar, const F32: usize, const F64: usize>(
    f: impl FnOnce(&mut [E]),
) {
    // (`const` condition: each element type instantiates only its own buffer)
    if const { is_f32::<E>() } {
        f(&mut [E::zero(); F32])
    } else {
        f(&mut [E::zero(); F64])
    }
}

/// A stride-2 convolution (dilation 1, even kernel) as a stride-1 one: the input's columns
/// split by parity into `scratch`, a block of channels at a time, then the stride-1 tiles.
///
/// Kernel column `v` of output column `q` reads input column `2q + v − p`. With `v = 2t + e`
/// that is column `q + t` of the copy `xe[i] = x[2i + e − p]` (zero outside the input): each
/// input channel becomes two channels (`e = 0, 1`) of width `WO + K/2 − 1`, read by `K/2`
/// consecutive kernel columns at lane stride 1, with the padding in the copy. Each input value
/// is copied once per call, instead of being split again by shuffles in every tile of every
/// block of output channels (W5's input gradient, `4 × 4` of stride 2: 252 → 200 µs, 57 → 71 %
/// of peak). Odd kernels (ResNet's `3 × 3` downsampling) keep the shuffling tiles: their
/// halves have different tap counts.
///
/// Scratch: [`SPLIT_BYTES`] on the stack (this function's frame), for the copy of a block of
/// input channels and the weight packs of that block: as many channels per block as fit (a
/// block of channels is one more pass over the output).
#[allow(clippy::too_many_arguments)]
// (out of line, with the instruction set's features: see `Isa::run`)
#[inline(always)]
pub(super) fn direct_split<I: Isa, E: Scalar>(
    isa: I,
    d: &Direct,
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
            with_scratch::<E, { SPLIT_BYTES / 4 }, { SPLIT_BYTES / 8 }>(|scratch| {
                split_blocks(isa, d, x, x0, w, w0, y, y0, init, scratch)
            });
        },
    )
}

/// [`direct_split`] with its scratch.
#[allow(clippy::too_many_arguments)]
#[inline(always)]
pub(super) fn split_blocks<I: Isa, E: Scalar>(
    isa: I,
    d: &Direct,
    x: &[E],
    x0: usize,
    w: &[E],
    w0: usize,
    y: &mut [E],
    y0: usize,
    init: Init<'_, E>,
    scratch: &mut [E],
) {
    let wp = d.split_width();
    let per_c = 2 * d.in_h * wp;
    // Balanced blocks of at most `cap` channels.
    let cap = d.split_cap(scratch.len());
    let blocks = d.r.div_ceil(cap);
    let cb = d.r.div_ceil(blocks);
    let (pk, buf) = scratch.split_at_mut(scratch.len() - cb * per_c);
    for n in 0..d.n {
        let (xn, yn) = (x0 + n * d.x_n, y0 + n * d.y_n);
        for c0 in (0..d.r).step_by(cb) {
            let nc = cb.min(d.r - c0);
            // Channel `2c + e`, row `iy`: `xe[i] = x[c0 + c, iy, 2i + e − p]`. The even
            // columns of `x` go to `e = p mod 2` from `i = ⌊p/2⌋`, the odd ones to the other
            // half from `i = ⌈p/2⌉`.
            let ev = d.win.pw % 2;
            for c in 0..nc {
                let planes = &mut buf[2 * c * d.in_h * wp..][..2 * d.in_h * wp];
                let (lo, hi) = planes.split_at_mut(d.in_h * wp);
                let (ev_plane, od_plane) = if ev == 0 { (lo, hi) } else { (hi, lo) };
                let src = &x[xn + (c0 + c) * d.in_plane..][..d.in_h * d.in_w];
                for ((src, e), o) in src
                    .chunks_exact(d.in_w)
                    .zip(ev_plane.chunks_exact_mut(wp))
                    .zip(od_plane.chunks_exact_mut(wp))
                {
                    split_row(src, d.win.pw, e, o);
                }
            }
            let sd = Direct {
                r: 2 * nc,
                in_w: wp,
                in_plane: d.in_h * wp,
                split: true,
                n: 1,
                x_n: 0,
                y_n: 0,
                ..*d
            };
            let init = if c0 == 0 { init } else { Init::Load };
            direct_lanes(isa, &sd, buf, 0, w, w0 + c0 * d.w_r, y, yn, init, pk);
        }
    }
}

/// `ev[p/2 + j] = src[2j]` and `od[⌈p/2⌉ + j] = src[2j + 1]` as far as `ev` and `od` reach;
/// zero elsewhere.
#[inline(always)]
pub(super) fn split_row<E: Scalar>(src: &[E], p: usize, ev: &mut [E], od: &mut [E]) {
    let (e0, o0) = (p / 2, p.div_ceil(2));
    let e0 = e0.min(ev.len());
    let o0 = o0.min(od.len());
    let ne = src.len().div_ceil(2).min(ev.len() - e0);
    let no = (src.len() / 2).min(od.len() - o0);
    ev[..e0].fill(E::zero());
    ev[e0 + ne..].fill(E::zero());
    od[..o0].fill(E::zero());
    od[o0 + no..].fill(E::zero());
    // Pairs of columns (de-interleaved by shuffles), then what is left of either half.
    let pairs = ne.min(no);
    for ((a, b), pair) in ev[e0..][..pairs]
        .iter_mut()
        .zip(&mut od[o0..][..pairs])
        .zip(src.chunks_exact(2))
    {
        *a = pair[0];
        *b = pair[1];
    }
    for j in pairs..ne {
        ev[e0 + j] = src[2 * j];
    }
    for j in pairs..no {
        od[o0 + j] = src[2 * j + 1];
    }
}

#[allow(clippy::too_many_arguments)]
// (out of line, with the instruction set's features: see `Isa::run`)
#[inline(always)]
pub(super) fn direct_lanes<I: Isa, E: Scalar>(
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
    isa.run(
        #[inline(always)]
        move || {
            // 16 `f32` or 8 `f64` lanes per output row: with 6 channels, twelve 256-bit accumulators
            // (32 `f32` with AVX-512: twelve 512-bit ones). Rows of at most 8 outputs take half as
            // many lanes rather than waste half.
            // (`const` conditions: `f32` never instantiates the `f64` widths, nor the reverse, and
            // only AVX-512 the widest)
            // (AVX-512 only gets rows of more than 16 outputs: `Instantiated::direct`)
            if const { compact::<I>() } {
                // one width: two registers
                if const { is_f32::<E>() } {
                    direct_width::<I, E, 8>(isa, d, x, x0, w, w0, y, y0, init, pk)
                } else {
                    direct_width::<I, E, 4>(isa, d, x, x0, w, w0, y, y0, init, pk)
                }
            } else if const { is_f32::<E>() && I::VECTOR_BYTES == 64 } {
                direct_width::<I, E, 32>(isa, d, x, x0, w, w0, y, y0, init, pk)
            } else if const { is_f32::<E>() } {
                let narrow = d.lane_run() <= 8;
                if narrow {
                    direct_width::<I, E, 8>(isa, d, x, x0, w, w0, y, y0, init, pk)
                } else {
                    direct_width::<I, E, 16>(isa, d, x, x0, w, w0, y, y0, init, pk)
                }
            } else if d.lane_run() <= 8 {
                direct_width::<I, E, 4>(isa, d, x, x0, w, w0, y, y0, init, pk)
            } else {
                direct_width::<I, E, 8>(isa, d, x, x0, w, w0, y, y0, init, pk)
            }
        },
    )
}

// (The pointwise test below is not collapsed into one `if const … && …`: a lone `if const` is
// what keeps the narrow widths from instantiating `pointwise`.)
#[allow(clippy::too_many_arguments, clippy::collapsible_if)]
#[inline(always)]
pub(super) fn direct_width<I: Isa, E: Scalar, const L: usize>(
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
    if const { matches!(crate::kernels::STRATEGY, crate::kernels::Strategy::Size) } {
        // One instance, the lane stride read at run time.
        return direct_stride::<I, E, L, 0>(isa, d, x, x0, w, w0, y, y0, init, pk);
    }
    // Pointwise problems, with or without a stride: whole tiles of positions across rows.
    if const { !one_vector::<I, E, L>() && !compact::<I>() } {
        if d.is_pointwise() {
            return pointwise::<I, E, L>(isa, d, x, x0, w, w0, y, y0, init, pk);
        }
    }
    match d.lane_stride() {
        1 => direct_stride::<I, E, L, 1>(isa, d, x, x0, w, w0, y, y0, init, pk),
        2 => direct_stride::<I, E, L, 2>(isa, d, x, x0, w, w0, y, y0, init, pk),
        _ => direct_stride::<I, E, L, 0>(isa, d, x, x0, w, w0, y, y0, init, pk),
    }
}

#[allow(clippy::too_many_arguments)]
// (out of line, with the instruction set's features: see `Isa::run`)
#[inline(always)]
pub(super) fn direct_stride<I: Isa, E: Scalar, const L: usize, const IS: usize>(
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
    isa.run(
        #[inline(always)]
        move || {
            // One vector per tile row (8 `f32` or 4 `f64` lanes)? (`const` conditions on it below:
            // code for the other case is not instantiated.)
            let narrow = const { one_vector::<I, E, L>() };
            // Cache blocking: a block of output rows and columns whose input stays in L2 while every
            // block of output channels sweeps it (else a large 1 × 1 convolution streams its whole
            // input from memory once per 6 output channels).
            let (rows, cols) = d.block::<E>(L);
            for oy0 in (0..d.out_h).step_by(rows) {
                for q0 in (0..d.phase_len(0)).step_by(cols) {
                    let region = Region {
                        oy: (oy0, (oy0 + rows).min(d.out_h)),
                        q: (q0, q0 + cols),
                    };
                    let mut m0 = 0;
                    while m0 < d.m {
                        let rem = d.m - m0;
                        // Narrow rows (one 8-lane `f32` vector): taller tiles keep 12 or 8
                        // accumulators in flight instead of 6 (two FMA pipes × 4 cycles of latency
                        // need at least 8); 16 channels as 8 + 8 rather than 12 + 4.
                        let mc = match rem {
                            // Blocks as even as `MC` allows (32 = 6 + 6 + 5 + 5 + 5 + 5, not 5 · 6 + 2:
                            // a block of 2 has too few accumulators to keep the FMA pipes busy).
                            _ if !narrow => rem.div_ceil(rem.div_ceil(MC)),
                            16 => 8,
                            12.. => 12,
                            8.. => 8,
                            _ => rem.min(MC),
                        };
                        let args = (d, x, x0, w, w0, &mut *y, y0, init, m0, region);
                        if const { one_vector::<I, E, L>() } {
                            match mc {
                                12 => direct_block::<I, E, 12, L, IS>(isa, args, 12, &mut *pk),
                                8 => direct_block::<I, E, 8, L, IS>(isa, args, 8, &mut *pk),
                                _ => direct_block_upto6::<I, E, L, IS>(isa, mc, args, &mut *pk),
                            }
                        } else {
                            direct_block_upto6::<I, E, L, IS>(isa, mc, args, &mut *pk);
                        }
                        m0 += mc;
                    }
                }
            }
        },
    )
}

/// [`direct_block`] for `mc ≤ MC` output channels.
///
/// Blocks of 4 or 5 channels (`f32` in two-vector rows: [`direct_stride`] makes the blocks of a
/// layer even, 64 = 9·6 + 2·5) run as tiles of 5 with fixed micro-kernels (a 4 repeats its last
/// channel): 32 = 5·6 + 2 had a block of 2 in the general loop, 6 % of W5's instructions.
/// Otherwise a block of 4 or 5 runs as a full `MC` tile whose channels from `mc` on repeat the
/// last one ([`direct_pass`](super::block::direct_pass)): the full tile's fixed micro-kernel with a third more
/// multiply-adds costs fewer instructions than the general loop with fewer (W2f 41.29 →
/// 40.99 M, W3's forward 320.0 → 317.6 M; 1–2 % less time).
/// At lane stride 2 (`f32`, odd kernels) every partial block does: the shuffles of the input
/// cost the same per tile whatever its channel count, and the general loop would gather
/// strided lanes instead (W5's input gradient, before [`direct_split`]: 7 % more instructions
/// that way). Smaller blocks elsewhere keep their own tiles: a layer of 1–3 output channels
/// would pay for 6.
#[inline(always)]
pub(super) fn direct_block_upto6<I: Isa, E: Scalar, const L: usize, const IS: usize>(
    isa: I,
    mc: usize,
    args: BlockArgs<'_, '_, E>,
    pk: &mut [E],
) {
    match mc {
        _ if const { compact::<I>() } => direct_block::<I, E, MC, L, IS>(isa, args, mc, pk),
        4 | 5 if const { is_f32::<E>() && !one_vector::<I, E, L>() } => {
            direct_block::<I, E, 5, L, IS>(isa, args, mc, pk)
        }
        _ if mc >= 4 || const { IS == 2 && is_f32::<E>() } => {
            direct_block::<I, E, MC, L, IS>(isa, args, mc, pk)
        }
        3 => direct_block::<I, E, 3, L, IS>(isa, args, 3, pk),
        2 => direct_block::<I, E, 2, L, IS>(isa, args, 2, pk),
        _ => direct_block::<I, E, 1, L, IS>(isa, args, 1, pk),
    }
}
