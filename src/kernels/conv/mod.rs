//! Grouped 2-D convolution (cross-correlation, PyTorch semantics) over flat `N, C, H, W` slices.
//!
//! Geometry ([`ConvGeometry`]): batch `N`, `G` groups of `CIG` input and `COG` output channels,
//! input `H × W`, output `HO × WO`, kernel `KH × KW`, strides `SH`, `SW`, paddings `PH`, `PW`,
//! dilations `DH`, `DW` (rows, columns). Weight layout is PyTorch's `[G·COG, CIG, KH, KW]`.
//!
//! `y[n, g·COG + o, i, j] = Σ_{c,u,v} x[n, g·CIG + c, i·SH − PH + u·DH, j·SW − PW + v·DW] · w[g·COG + o, c, u, v]`
//!
//! # How it is computed
//!
//! All three passes run on register-tiled micro-kernels, without a branch per element:
//!
//! * **Output-stationary tiles** (`direct`): a tile of `MC` output channels × `L` output columns
//!   of one output row lives in registers (`6 × 16` for `f32`: twelve 8-lane registers) while the
//!   whole reduction over input channels and kernel taps runs; every step loads one row segment
//!   of the input, broadcasts `MC` weights and issues `MC · L / 8` fused multiply-adds. It
//!   computes the forward pass, the data-backward pass (a convolution of `dy` with the
//!   transposed weights; for stride `S > 1` split into `S` row and `S` column phases so that
//!   the input side stays contiguous and each phase packs only its kernel taps), and dense
//!   layers on `1 × 1` maps (a GEMM). The weights of a pass are packed into a 16 KiB stack
//!   buffer (`PACK_BYTES`). Common kernel shapes have micro-kernels with constant trip counts
//!   (`tile_fixed`). Stride-2 rows read every other input column: with an even kernel the
//!   input's columns are first split by parity into a 24 KiB stack buffer, a block of channels
//!   at a time (`direct_split`), and the stride-1 tiles run on that; otherwise each tile
//!   shuffles the even columns out of consecutive loads, its lanes in the shuffle's order
//!   (`lanes::lane_order`).
//! * **Output channels along the lanes** (`wgrad`): the weight gradient is a matrix product
//!   reduced over output positions. A block of positions of `dy` is transposed into a 32 KiB
//!   stack buffer (`WGRAD_PACK_BYTES`), then a tile of 16 output channels × 6 weight rows
//!   `(c, u, v)` takes, per position, two vector loads, six broadcast input values and twelve
//!   fused multiply-adds, with no horizontal sums. Dense layers' forward pass uses dot products
//!   (`dense_forward`).
//!
//! * **Small maps on AVX-512** (`padded`): rows of at most 16 outputs (and of 17 to 31, which
//!   the row tiles' 32 lanes leave partly idle) with many channels run
//!   with the positions along the lanes across rows, on a zero-padded copy of the input.
//!
//! Padding is handled per tap and per tile, never per element: each tap of a tile knows the
//! range of its lanes (or, in `wgrad`, of output positions) that read inside the input; lanes
//! outside are zero (a vector select), positions outside are not visited, and a tap whose range
//! is empty is skipped. Every size is a run-time value inside the
//! kernels (the public functions pass the compile-time geometry down), so the micro-kernels
//! are compiled once per element type instead of once per layer shape.
//!
//! Files, from the entry points down: `geometry.rs` (the compile-time geometry), this file (the
//! public passes and the per-element instantiation), `plan.rs` (the run-time problem and the
//! stack budgets), `direct.rs` (routes), `block.rs` (passes over packed weights), `tile.rs`
//! (register tiles), `dense.rs`, `wgrad.rs`, and `padded.rs` (small maps on AVX-512).

use crate::kernels::depthwise::{self, DepthwiseGeometry};
use crate::kernels::isa::{Isa, Level, dispatch};
use crate::kernels::lanes::{fmadd, sum};
use crate::kernels::pointwise;
use crate::kernels::scalar::Scalar;
use crate::kernels::window::{KernelWindow, Window};
use core::marker::PhantomData;

mod block;
mod dense;
mod direct;
mod geometry;
mod plan;
mod tile;
mod wgrad;

use dense::{dense_forward, dense_forward_any};
use direct::{direct, direct_any};
pub use geometry::{ConvGeometry, Geom};
use plan::{Direct, Init};
use wgrad::{Reduce, wgrad, wgrad_any};

#[cfg(target_arch = "x86_64")]
mod padded;

// =============================================================================================
// Public entry points
// =============================================================================================

/// Forward: `y = conv(x, w) (+ bias)`. Overwrites `y`.
pub fn forward<C: ConvGeometry, E: Instantiated>(
    x: &[E],
    w: &[E],
    bias: Option<&[E]>,
    y: &mut [E],
) {
    let (x, w, y) = (&x[..C::X_LEN], &w[..C::W_LEN], &mut y[..C::Y_LEN]);
    let bias = bias.map(|b| &b[..C::CO]);
    if const { is_dense::<C>() } {
        dense_forward(x, w, bias, y, C::N, C::CIG, C::COG);
        return;
    }
    if const { is_depthwise::<C>() } {
        depthwise::forward::<AsDepthwise<C>, E>(x, w, bias, y);
        return;
    }
    let kk = Window::of::<C>().taps();
    let (x_n, y_n) = (C::CI * C::H * C::W, C::CO * C::HO * C::WO);
    for (d, x_at, y_at) in Direct::forward::<C>().samples::<E>(C::N, x_n, y_n) {
        for g in 0..C::G {
            let init = match bias {
                Some(b) => Init::Bias(&b[g * C::COG..][..C::COG]),
                None => Init::Zero,
            };
            direct(
                &d,
                x,
                x_at + g * C::CIG * C::H * C::W,
                w,
                g * C::COG * C::CIG * kk,
                y,
                y_at + g * C::COG * C::HO * C::WO,
                init,
            );
        }
    }
}

/// Backward-data: `dx = convᵀ(dy, w)`, the input gradient. Overwrites `dx`.
///
/// This is also the forward pass of a transposed convolution (see [`transposed_forward`] for
/// one with a bias).
pub fn backward_data<C: ConvGeometry, E: Instantiated>(dy: &[E], w: &[E], dx: &mut [E]) {
    transposed_forward::<C, E>(dy, w, None, dx);
}

/// The forward pass of the transposed convolution of `C`: `y = convᵀ(x, w) (+ bias)`, with
/// `x` shaped like `C`'s output, `y` like its input and `bias` one value per channel of `y`.
/// Overwrites `y`. The bias is the accumulators' starting value in the convolution kernels (no
/// second pass over `y`).
pub fn transposed_forward<C: ConvGeometry, E: Instantiated>(
    x: &[E],
    w: &[E],
    bias: Option<&[E]>,
    y: &mut [E],
) {
    let (dy, w, dx) = (&x[..C::Y_LEN], &w[..C::W_LEN], &mut y[..C::X_LEN]);
    let bias = bias.map(|b| &b[..C::CI]);
    if is_dense::<C>() || is_depthwise::<C>() {
        if const { is_depthwise::<C>() } {
            depthwise::backward_data::<AsDepthwise<C>, E>(dy, w, dx);
        } else if const { C::N <= DENSE_AXPY_N } {
            // dx[n, :] = Σ_o dy[n, o] · w[o, :], row by row.
            let dx = &mut *dx;
            dispatch!(E, |isa| {
                for (dx, dy) in dx.chunks_exact_mut(C::CIG).zip(dy.chunks_exact(C::COG)) {
                    dx.fill(E::zero());
                    for (&a, w) in dy.iter().zip(w.chunks_exact(C::CIG)) {
                        axpy(isa, a, w, dx);
                    }
                }
            });
        } else {
            // dx[n, i] = Σ_o dy[n, o] · w[o, i]: rows of `w` combined with the weights `dy`.
            let d = Direct::gemm(C::N, C::COG, C::CIG, C::COG, 1);
            direct(&d, w, 0, dy, 0, dx, 0, Init::Zero);
        }
        // (these start from zero: the bias is a pass of its own)
        if let Some(b) = bias {
            pointwise::add_channel_bias(dx, b, C::H * C::W);
        }
        return;
    }
    let kk = Window::of::<C>().taps();
    let (dy_n, dx_n) = (C::CO * C::HO * C::WO, C::CI * C::H * C::W);
    for (d, dy_at, dx_at) in Direct::transposed::<C>().samples::<E>(C::N, dy_n, dx_n) {
        for g in 0..C::G {
            let init = match bias {
                Some(b) => Init::Bias(&b[g * C::CIG..][..C::CIG]),
                None => Init::Zero,
            };
            direct(
                &d,
                dy,
                dy_at + g * C::COG * C::HO * C::WO,
                w,
                g * C::COG * C::CIG * kk,
                dx,
                dx_at + g * C::CIG * C::H * C::W,
                init,
            );
        }
    }
}

/// Backward-weight: `dw += Σ dy ⊗ x` and, if given, `dbias += Σ dy`. Accumulates.
pub fn backward_weight<C: ConvGeometry, E: Instantiated>(
    x: &[E],
    dy: &[E],
    dw: &mut [E],
    dbias: Option<&mut [E]>,
) {
    let (x, dy, dw) = (&x[..C::X_LEN], &dy[..C::Y_LEN], &mut dw[..C::W_LEN]);
    if const { is_depthwise::<C>() } {
        depthwise::backward_weight::<AsDepthwise<C>, E>(x, dy, dw, dbias);
        return;
    }
    let ohw = C::HO * C::WO;
    if let Some(db) = dbias {
        dispatch!(E, |_isa| {
            for n in 0..C::N {
                for (co, db) in db[..C::CO].iter_mut().enumerate() {
                    *db += sum(&dy[(n * C::CO + co) * ohw..][..ohw]);
                }
            }
        });
    }
    if const { is_dense::<C>() && C::N <= DENSE_AXPY_N } {
        // dw[o, :] += dy[n, o] · x[n, :], row by row.
        dispatch!(E, |isa| {
            for (x, dy) in x.chunks_exact(C::CIG).zip(dy.chunks_exact(C::COG)) {
                for (&a, dw) in dy.iter().zip(dw.chunks_exact_mut(C::CIG)) {
                    axpy(isa, a, x, dw);
                }
            }
        });
        return;
    }
    if const { is_dense::<C>() } {
        // dw[o, i] += Σ_n dy[n, o] · x[n, i]: rows of `x` combined with the weights `dyᵀ`.
        let d = Direct::gemm(C::COG, C::N, C::CIG, 1, C::COG);
        direct(&d, x, 0, dy, 0, dw, 0, Init::Load);
        return;
    }
    let q = Reduce::of::<C>();
    let kk = Window::of::<C>().taps();
    for g in 0..C::G {
        wgrad(
            &q,
            x,
            g * C::CIG * C::H * C::W,
            dy,
            g * C::COG * ohw,
            dw,
            g * C::COG * C::CIG * kk,
        );
    }
}

/// Batches up to this size run the backward passes of dense layers as rows of multiply-adds
/// ([`axpy`]): a matrix product with so few rows is all tile setup (at `N = 1`, `Linear<256, 120>`
/// forward + backward took 21.4 µs through the tiles, 6.1 µs this way).
const DENSE_AXPY_N: usize = 4;

/// `y += a · x`, element-wise (vectorised by the compiler).
#[inline]
fn axpy<I: Isa, E: Scalar>(_isa: I, a: E, x: &[E], y: &mut [E]) {
    for (y, &x) in y.iter_mut().zip(x) {
        *y = fmadd::<I, _>(a, x, *y);
    }
}

/// One input and one output channel per group: a depthwise convolution, computed by
/// [`kernels::depthwise`](crate::kernels::depthwise) (the same kernel as `DepthwiseConv2d`).
const fn is_depthwise<C: ConvGeometry>() -> bool {
    C::G > 1 && C::CIG == 1 && C::COG == 1
}

/// A [`ConvGeometry`] with one channel per group, as a [`DepthwiseGeometry`].
struct AsDepthwise<C>(PhantomData<C>);

impl<C: ConvGeometry> DepthwiseGeometry for AsDepthwise<C> {
    const N: usize = C::N;
    const C: usize = C::G;
    const H: usize = C::H;
    const W: usize = C::W;
    const HO: usize = C::HO;
    const WO: usize = C::WO;
}

impl<C: ConvGeometry> KernelWindow for AsDepthwise<C> {
    const KH: usize = C::KH;
    const KW: usize = C::KW;
    const SH: usize = C::SH;
    const SW: usize = C::SW;
    const PH: usize = C::PH;
    const PW: usize = C::PW;
    const DH: usize = C::DH;
    const DW: usize = C::DW;
}

/// A dense layer: `1 × 1` maps, `1 × 1` kernel, one group. The batch is then the only "pixel"
/// dimension, strided by the channel count, so these run as matrix products over rows.
const fn is_dense<C: ConvGeometry>() -> bool {
    C::H == 1
        && C::W == 1
        && C::HO == 1
        && C::WO == 1
        && C::KH == 1
        && C::KW == 1
        && C::PH == 0
        && C::PW == 0
        && C::G == 1
}

// =============================================================================================
// One instantiation per element type
// =============================================================================================

/// The convolution micro-kernels for one element type, as plain (non-generic) functions.
///
/// The kernels take every size at run time, so they do not depend on the layer's geometry, only
/// on the element type. Generic functions are compiled again in every crate that instantiates
/// them (each test binary, example and user crate); these impls for `f32` and `f64` are not
/// generic, so they are compiled once, here, and every other crate links to them. That took the
/// build of a test binary running LeNet-5 (`tests/smoke.rs`, opt-level 2) from 35 s to 1.9 s of
/// CPU time, with unchanged kernel speed. The public entry points stay generic over the
/// geometry and the element type and dispatch here.
/// A supertrait of [`Element`](crate::element::Element); it cannot be implemented outside this
/// crate (its methods take crate-private types), which seals `Element` to `f32` and `f64`.
#[doc(hidden)]
#[allow(private_interfaces, clippy::too_many_arguments)]
pub trait Instantiated: Scalar {
    /// [`direct_any`] for this type.
    fn direct(
        d: &Direct,
        x: &[Self],
        x0: usize,
        w: &[Self],
        w0: usize,
        y: &mut [Self],
        y0: usize,
        init: Init<'_, Self>,
    );
    /// [`dense_forward_any`] for this type.
    fn dense_forward(
        x: &[Self],
        w: &[Self],
        bias: Option<&[Self]>,
        y: &mut [Self],
        n: usize,
        ci: usize,
        co: usize,
    );
    /// [`wgrad_any`] for this type.
    fn wgrad(
        q: &Reduce,
        x: &[Self],
        x0: usize,
        dy: &[Self],
        dy0: usize,
        dw: &mut [Self],
        dw0: usize,
    );
}

/// Runs `d` through [`padded`] (positions along the lanes across rows, on a zero-padded copy)
/// when the kernels run on AVX-512 and `d` is a small-map problem that suits it (`f32` only).
/// Whether it did.
///
/// Here, beside the dispatch rather than inside [`direct_any`]: there its 40 KiB frame stacked
/// on the dispatch's own, and a training step overflowed the 64 KiB of
/// `tests/it/stack_budget.rs` (it fits when called from here).
// (Not collapsed into one `if … && let …` chain: a lone `if const` is what keeps `f64` from
// instantiating the route, see `Instantiated`.)
#[allow(clippy::too_many_arguments, clippy::collapsible_if)]
#[inline(always)]
fn padded_route<E: Scalar>(
    d: &Direct,
    x: &[E],
    x0: usize,
    w: &[E],
    w0: usize,
    y: &mut [E],
    y0: usize,
    init: Init<'_, E>,
) -> bool {
    #[cfg(target_arch = "x86_64")]
    if const {
        crate::kernels::lanes::is_f32::<E>()
            && matches!(crate::kernels::STRATEGY, crate::kernels::Strategy::Speed)
            && crate::kernels::isa::AVX512_ALLOWED
    } {
        if let crate::kernels::isa::Token::Avx512(isa) = crate::kernels::isa::token() {
            if let Some(plan) = padded::plan::<E>(d) {
                padded::run(isa, d, &plan, x, x0, w, w0, y, y0, init);
                return true;
            }
        }
    }
    let _ = (d, x, x0, w, w0, y, y0, init);
    false
}

macro_rules! instantiate {
    ($($t:ty),*) => {$(
        #[allow(private_interfaces)]
        impl Instantiated for $t {
            // (Never inlined: its frame holds the weight pack, which must not stay on the stack
            // of a caller that goes on to the weight gradient's own buffer.)
            #[inline(never)]
            fn direct(
                d: &Direct,
                x: &[Self],
                x0: usize,
                w: &[Self],
                w0: usize,
                y: &mut [Self],
                y0: usize,
                init: Init<'_, Self>,
            ) {
                // Small maps with many channels (ResNet's last stages) run on AVX-512 with
                // positions along the lanes across rows (`padded`). Other rows of at most 16
                // outputs (LeNet-5, few channels, `1 × 1` kernels) run on AVX2's tall tiles of 8
                // lanes × 12 channels: AVX-512's rows of 16 lanes hold at most 6 channels (see
                // `lanes::one_vector`), and were slower (LeNet-5 at N = 64: 2.81 ms against
                // 2.44 ms with AVX2).
                if padded_route(d, x, x0, w, w0, y, y0, init) {
                    return;
                }
                let cap = if d.lane_run() <= 16 { Level::Avx2 } else { Level::Avx512 };
                dispatch!($t, cap = cap, |isa| direct_any(isa, d, x, x0, w, w0, y, y0, init))
            }
            fn dense_forward(
                x: &[Self],
                w: &[Self],
                bias: Option<&[Self]>,
                y: &mut [Self],
                n: usize,
                ci: usize,
                co: usize,
            ) {
                dispatch!($t, |isa| dense_forward_any(isa, x, w, bias, y, n, ci, co))
            }
            fn wgrad(
                q: &Reduce,
                x: &[Self],
                x0: usize,
                dy: &[Self],
                dy0: usize,
                dw: &mut [Self],
                dw0: usize,
            ) {
                // Output channels run along the lanes: at most 8 of them fill AVX2's 8 lanes and
                // under half of AVX-512's 16 (LeNet-5's first convolution, 6 channels).
                let cap = if q.co <= 8 { Level::Avx2 } else { Level::Avx512 };
                dispatch!($t, cap = cap, |isa| wgrad_any(isa, q, x, x0, dy, dy0, dw, dw0))
            }
        }
    )*};
}
instantiate!(f32, f64);

#[cfg(test)]
mod tests {
    use super::*;

    /// The weight gradient of a batch (several blocks of positions per sample) accumulates
    /// every sample, and what `dw` held before.
    #[test]
    fn weight_gradient_accumulates_every_sample() {
        type C = Geom<3, 1, 6, 6, 48, 48, 48, 48, 3, 1, 1, 1>;
        let x: Vec<f64> = (0..C::X_LEN)
            .map(|i| ((i * 7919 % 101) as f64 - 50.0) / 50.0)
            .collect();
        let dy: Vec<f64> = (0..C::Y_LEN)
            .map(|i| ((i * 104_729 % 97) as f64 - 48.0) / 48.0)
            .collect();
        let mut dw = vec![0.5; C::W_LEN];
        backward_weight::<C, f64>(&x, &dy, &mut dw, None);
        let (h, w) = (C::H as isize, C::W as isize);
        for o in 0..C::CO {
            for c in 0..C::CI {
                for u in 0..3 {
                    for v in 0..3 {
                        let mut s = 0.5;
                        for n in 0..C::N {
                            for i in 0..C::HO {
                                for j in 0..C::WO {
                                    let (iy, ix) = (i as isize + u - 1, j as isize + v - 1);
                                    if (0..h).contains(&iy) && (0..w).contains(&ix) {
                                        let xi = ((n * C::CI + c) * C::H + iy as usize) * C::W
                                            + ix as usize;
                                        let yi = ((n * C::CO + o) * C::HO + i) * C::WO + j;
                                        s += dy[yi] * x[xi];
                                    }
                                }
                            }
                        }
                        let got = dw[((o * C::CI + c) * 3 + u as usize) * 3 + v as usize];
                        assert!((got - s).abs() <= 1e-9 * (1.0 + s.abs()), "{got} vs {s}");
                    }
                }
            }
        }
    }
}
