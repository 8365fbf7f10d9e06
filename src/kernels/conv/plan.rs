//! The problem a convolution pass hands to the micro-kernels ([`Direct`]: one group of one or
//! more samples as an output-stationary problem, with every size a run-time value), how its
//! tiles start ([`Init`]), the taps of a tile ([`RowTap`], [`ColTap`]) and the stack budgets of
//! the passes (`PACK_BYTES`, `SPLIT_BYTES`, smaller with the `small-stack` feature).

use super::geometry::ConvGeometry;
use crate::kernels::window::Window;

// =============================================================================================
// Output-stationary tiles
// =============================================================================================

/// One group of one sample as an output-stationary problem:
///
/// `out[m, oy, ox] (=|+=) Σ_r Σ_(u,v) in[r, iy, ix] · w[m·w_m + r·w_r + u·kw + v]` with
/// `iy = oy·sh − ph + u·dh` (forward) or `iy = (oy + ph − u·dh) / sh` when that divides
/// exactly (transposed), and the same for columns with `sw`, `pw`, `dw`. Rows and columns
/// carry their own kernel size, stride, padding and dilation (Inception-v3's `1 × 7` and
/// `7 × 1` kernels).
#[derive(Clone, Copy, Debug)]
pub(super) struct Direct {
    /// Output channels.
    pub(super) m: usize,
    /// Reduction channels (input channels of this problem).
    pub(super) r: usize,
    pub(super) in_h: usize,
    pub(super) in_w: usize,
    /// Distance between two input channels.
    pub(super) in_plane: usize,
    pub(super) out_h: usize,
    pub(super) out_w: usize,
    /// Distance between two output channels.
    pub(super) out_plane: usize,
    /// Weight distance between two output channels.
    pub(super) w_m: usize,
    /// Weight distance between two reduction channels.
    pub(super) w_r: usize,
    /// Kernel size, stride, padding (top, left) and dilation, per axis.
    pub(super) win: Window,
    pub(super) transposed: bool,
    /// The input is a column-split copy ([`direct_split`](super::direct::direct_split)): channel `r` holds the columns
    /// `2i + r mod 2 − p` of input channel `r / 2`, so kernel column `t` of channel `r` is
    /// weight column `2t + r mod 2`, read at lane stride 1 without padding.
    pub(super) split: bool,
    /// Samples in one problem (they share the packed weights), and their distances in the
    /// input and the output.
    pub(super) n: usize,
    pub(super) x_n: usize,
    pub(super) y_n: usize,
}

/// How a tile's accumulators start.
#[derive(Clone, Copy)]
pub(super) enum Init<'a, E> {
    /// From zero (the output is overwritten).
    Zero,
    /// From the bias of each output channel (overwritten).
    Bias(&'a [E]),
    /// From the output's current values (accumulated).
    Load,
}

impl Direct {
    pub(super) fn forward<C: ConvGeometry>() -> Self {
        let win = Window::of::<C>();
        Self {
            m: C::COG,
            r: C::CIG,
            in_h: C::H,
            in_w: C::W,
            in_plane: C::H * C::W,
            out_h: C::HO,
            out_w: C::WO,
            out_plane: C::HO * C::WO,
            w_m: C::CIG * win.taps(),
            w_r: win.taps(),
            win,
            transposed: false,
            split: false,
            n: 1,
            x_n: 0,
            y_n: 0,
        }
        .flat_pointwise()
    }

    pub(super) fn transposed<C: ConvGeometry>() -> Self {
        let win = Window::of::<C>();
        Self {
            m: C::CIG,
            r: C::COG,
            in_h: C::HO,
            in_w: C::WO,
            in_plane: C::HO * C::WO,
            out_h: C::H,
            out_w: C::W,
            out_plane: C::H * C::W,
            w_m: win.taps(),
            w_r: C::CIG * win.taps(),
            win,
            transposed: true,
            split: false,
            n: 1,
            x_n: 0,
            y_n: 0,
        }
        .flat_pointwise()
    }

    /// A matrix product `out[m, j] (+)= Σ_r w[m·w_m + r·w_r] · in[r, j]` over rows of
    /// length `len`.
    pub(super) fn gemm(m: usize, r: usize, len: usize, w_m: usize, w_r: usize) -> Self {
        Self {
            m,
            r,
            in_h: 1,
            in_w: len,
            in_plane: len,
            out_h: 1,
            out_w: len,
            out_plane: len,
            w_m,
            w_r,
            win: Window::UNIT,
            transposed: false,
            split: false,
            n: 1,
            x_n: 0,
            y_n: 0,
        }
    }

    /// The problem over `n` samples, `x_n` and `y_n` apart, as chunks to run one after the
    /// other, each with the offsets of its first sample in the input and the output. A chunk
    /// holds as many samples as have inputs small enough together to stay in cache while every
    /// block of output channels sweeps them (each pass then packs its weights once per chunk),
    /// at least one.
    pub(super) fn samples<E>(
        self,
        n: usize,
        x_n: usize,
        y_n: usize,
    ) -> impl Iterator<Item = (Self, usize, usize)> {
        let k = (L2_BLOCK / (x_n * core::mem::size_of::<E>()).max(1)).clamp(1, n.max(1));
        (0..n).step_by(k).map(move |n0| {
            let d = Self {
                n: k.min(n - n0),
                x_n,
                y_n,
                ..self
            };
            (d, n0 * x_n, n0 * y_n)
        })
    }

    /// A `1 × 1`, stride-1, unpadded convolution maps each plane to itself position by
    /// position: treat the plane as one long row (full-width tiles, no row overhead).
    pub(super) fn flat_pointwise(self) -> Self {
        if self.win.is_one_by_one() {
            Self {
                in_h: 1,
                in_w: self.in_plane,
                out_h: 1,
                out_w: self.out_plane,
                ..self
            }
        } else {
            self
        }
    }

    /// A forward `1 × 1` kernel without padding whose rows of weights are contiguous: what
    /// [`pointwise`](super::block::pointwise) computes. Output position `q`, counted across
    /// rows, reads input `(q / out_w)·sh·in_w + (q mod out_w)·sw` of each channel (dilation does
    /// not matter). Without a stride the planes are one long row ([`Self::flat_pointwise`]),
    /// read in place; with one (ResNet's down-sampling projections) the positions are copied.
    pub(super) fn is_pointwise(&self) -> bool {
        let w = &self.win;
        !self.transposed && !self.split && (w.kh, w.kw, w.ph, w.pw) == (1, 1, 0, 0) && self.w_r == 1
    }

    /// The output positions one run of a tile's lanes covers, which decides the lane width:
    /// every position of a pointwise problem (across rows), else one row (of phase 0).
    pub(super) fn lane_run(&self) -> usize {
        if self.is_pointwise() {
            self.out_h * self.out_w
        } else {
            self.phase_len(0)
        }
    }

    /// Output rows and columns (a multiple of `lanes`) per cache block: the input they read,
    /// over all reduction channels, is about [`L2_BLOCK`] bytes.
    pub(super) fn block<E>(&self, lanes: usize) -> (usize, usize) {
        let per_value = self.r * core::mem::size_of::<E>();
        // Input rows read per output row (at least one; a transposed stride reads fewer).
        let step = if self.transposed { 1 } else { self.win.sh };
        let row_bytes = (per_value * self.in_w * step).max(1);
        let halo = (self.win.kh - 1) * self.win.dh;
        let rows = (L2_BLOCK / row_bytes).saturating_sub(halo).max(1);
        if rows >= self.out_h || self.out_h > 1 {
            (rows.min(self.out_h).max(1), self.out_w.max(1))
        } else {
            // One long row (1 × 1 convolutions): block its columns.
            let step = if self.transposed { 1 } else { self.win.sw };
            let cols = (L2_BLOCK / (per_value * step).max(1)).max(lanes);
            (1, cols.div_ceil(lanes) * lanes)
        }
    }

    /// Distance in the input between two lanes of a tile.
    pub(super) fn lane_stride(&self) -> usize {
        if self.transposed || self.split {
            1
        } else {
            self.win.sw
        }
    }

    /// Whether [`direct_split`](super::direct::direct_split) computes this problem with `room` values of scratch: a
    /// forward convolution of column stride 2, column dilation 1 and an even kernel width (with
    /// input channels and rows) when one input channel's copy and packs fit.
    pub(super) fn splits(&self, room: usize) -> bool {
        !self.transposed
            && !self.split
            && self.r > 0
            && self.in_h > 0
            && self.win.sw == 2
            && self.win.dw == 1
            && self.win.kw.is_multiple_of(2)
            && self.split_cap(room) > 0
    }

    /// Input channels per block of a column split with `room` values of scratch: each takes
    /// its copy (two halves of `in_h × (WO + KW/2 − 1)`) and its share of a pack, `KH·KW`
    /// weights for each of up to 12 output channels (the tallest tile), so one pass per block.
    pub(super) fn split_cap(&self, room: usize) -> usize {
        room / (2 * self.in_h * self.split_width() + self.win.kh * self.win.kw * 12)
    }

    /// Columns of each half of a column-split copy: `WO + KW/2 − 1`.
    pub(super) fn split_width(&self) -> usize {
        self.out_w + self.win.kw / 2 - 1
    }

    /// Kernel columns (half of them in a column-split problem).
    pub(super) fn cols(&self) -> usize {
        if self.split {
            self.win.kw / 2
        } else {
            self.win.kw
        }
    }

    /// The weight of reduction channel `r`, kernel row `u`, kernel column `v` (relative to the
    /// output channel's first weight).
    #[inline(always)]
    pub(super) fn w_at(&self, r: usize, u: usize, v: usize) -> usize {
        if self.split {
            (r / 2) * self.w_r + u * self.win.kw + 2 * v + r % 2
        } else {
            r * self.w_r + u * self.win.kw + v
        }
    }

    /// Column phases: a transposed tile holds output columns `ph, ph + sw, ph + 2sw, …` so
    /// that its lanes read consecutive input columns.
    pub(super) fn phases(&self) -> usize {
        if self.transposed { self.win.sw } else { 1 }
    }

    /// Row phases: a transposed pass covers output rows `py, py + sh, …` and packs only the
    /// kernel rows that reach them.
    pub(super) fn row_phases(&self) -> usize {
        if self.transposed { self.win.sh } else { 1 }
    }

    /// Output columns of phase `ph`.
    pub(super) fn phase_len(&self, ph: usize) -> usize {
        if !self.transposed {
            self.out_w
        } else if ph < self.out_w {
            (self.out_w - ph).div_ceil(self.win.sw)
        } else {
            0
        }
    }

    /// Output column `q` of phase `ph`.
    #[inline(always)]
    pub(super) fn out_col(&self, ph: usize, q: usize) -> usize {
        if self.transposed {
            ph + self.win.sw * q
        } else {
            q
        }
    }

    /// Whether kernel row `u` reaches the output rows of phase `py` (always, unless
    /// transposed: then only when `(py + ph − u·dh) mod sh = 0`).
    pub(super) fn in_row_phase(&self, py: usize, u: usize) -> bool {
        !self.transposed || in_phase(py, u, self.win.sh, self.win.ph, self.win.dh)
    }

    /// Whether kernel column `v` reaches the output columns of phase `px` (the same along
    /// columns).
    pub(super) fn in_col_phase(&self, px: usize, v: usize) -> bool {
        !self.transposed || in_phase(px, v, self.win.sw, self.win.pw, self.win.dw)
    }

    /// The input row read by output row `oy` through kernel row `u`, if any.
    pub(super) fn row_tap(&self, oy: usize, u: usize) -> Option<usize> {
        let iy = if self.transposed {
            let num = (oy + self.win.ph) as isize - (u * self.win.dh) as isize;
            if num < 0 || !self.in_row_phase(oy, u) {
                return None;
            }
            num / self.win.sh as isize
        } else {
            (oy * self.win.sh + u * self.win.dh) as isize - self.win.ph as isize
        };
        (iy >= 0 && (iy as usize) < self.in_h).then_some(iy as usize)
    }

    /// The input column read by lane 0 of the tile starting at column `q0` of phase `ph`
    /// through kernel column `v` (may lie outside the input), if that tap applies.
    pub(super) fn col_tap(&self, ph: usize, q0: usize, v: usize) -> Option<isize> {
        if self.transposed {
            let num = (ph + self.win.pw) as isize - (v * self.win.dw) as isize;
            self.in_col_phase(ph, v)
                .then(|| q0 as isize + num.div_euclid(self.win.sw as isize))
        } else if self.split {
            Some((q0 + v) as isize)
        } else {
            Some((q0 * self.win.sw + v * self.win.dw) as isize - self.win.pw as isize)
        }
    }
}

/// Whether kernel tap `u` (of dilation `d`) of a transposed stride `s`, padding `p` reaches
/// output `o`: `(o + p − u·d) mod s = 0`.
fn in_phase(o: usize, u: usize, s: usize, p: usize, d: usize) -> bool {
    ((o + p) as isize - (u * d) as isize).rem_euclid(s as isize) == 0
}

/// The lanes `lo..hi` (of `lanes`) whose input column `c0 + l·is` lies in `0..w`.
#[inline]
pub(super) fn lane_range(c0: isize, is: usize, w: usize, lanes: usize) -> (usize, usize) {
    // The last valid lane has `l·is ≤ w − 1 − c0`.
    let last = w as isize - 1 - c0;
    if last < 0 {
        return (0, 0);
    }
    let (lo, hi) = if is == 1 {
        (c0.min(0).unsigned_abs(), last as usize + 1)
    } else {
        (
            c0.min(0).unsigned_abs().div_ceil(is),
            last as usize / is + 1,
        )
    };
    (lo.min(lanes), hi.min(lanes))
}

/// A kernel row of a tile: input row offset `iy · in_w` and index of its first tap in a packed
/// reduction channel.
#[derive(Clone, Copy, Default)]
pub(super) struct RowTap {
    pub(super) x: usize,
    pub(super) w: usize,
}

/// A kernel column of a tile: offset of its lane 0 in the tile's input row segment, and which
/// lanes read inside the input (`u32::MAX`) or stand for padding (`0`).
#[derive(Clone, Copy)]
pub(super) struct ColTap<const L: usize> {
    pub(super) off: usize,
    pub(super) keep: [u32; L],
}

/// Taps gathered per pass (kernels wider than this take several passes).
pub(super) const MAX_TAPS: usize = 16;

/// Output channels per tile.
pub(super) const MC: usize = 6;

/// Bytes of input per cache block (a quarter of a 1 MiB L2).
pub(super) const L2_BLOCK: usize = 256 * 1024;

/// Bytes of weights packed per pass, `[r][u][v][m]`, on the stack (4096 `f32` or 2048 `f64`;
/// 4 KiB with the `small-stack` feature). Packing makes the `MC` weights of a step one
/// contiguous `[E; MC]` (they are `CIG·K²` apart in PyTorch's layout) read without bounds
/// checks, and costs one read of the weights per pass; a larger pack means fewer passes over
/// the output, each of which reads and writes every output once more. 16 KiB: 75 input
/// channels of a `3 × 3` kernel per pass, one pass for 64 channels (two with 8 KiB: 1–2 % more
/// instructions on 64-channel `3 × 3` layers, 11 % more on LeNet-5's second input gradient,
/// whose pack is 9.4 KiB). A column split has its own scratch ([`SPLIT_BYTES`]).
pub(super) const PACK_BYTES: usize = if cfg!(feature = "small-stack") {
    4096
} else {
    16384
};

/// Bytes of scratch for a column split ([`direct_split`](super::direct::direct_split)): its copy of the input and its weight
/// packs (40 KiB, the size of the weight gradient's buffers, so a training step's stack need
/// does not grow; 8 KiB with `small-stack`). Each block of input channels that fits is one
/// more pass over the output: W5's input gradient takes 4 passes, 10.76 M instructions for
/// 3 runs (with 32 KiB, a fixed quarter of it for the packs: 7 passes, 11.82 M; 237–240 →
/// 221 µs).
pub(super) const SPLIT_BYTES: usize = if cfg!(feature = "small-stack") {
    PACK_BYTES * 2
} else {
    PACK_BYTES * 5 / 2
};
