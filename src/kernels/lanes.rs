//! Fixed-width lane arrays `[E; L]`: the portable vocabulary the kernels vectorise through.
//!
//! The kernels keep their register tiles in small arrays such as `[[f32; 16]; 6]` and write
//! every operation lane by lane with constant trip counts. After inlining, LLVM fully unrolls
//! those loops and maps each group of 8 `f32` (4 `f64`) lanes to one 256-bit register
//! (`ymm`) when the target has AVX2; `mul_add` becomes one `vfmadd` instruction when it has FMA
//! (see `.cargo/config.toml` and BENCHMARKS.md). No `unsafe`, no intrinsics: the same code is
//! correct, only slower, on any other target.

use crate::kernels::isa::Isa;
use crate::kernels::scalar::Scalar;
use core::any::Any;

/// `a · b + c`, fused into one instruction (and one rounding) when the target has FMA.
///
/// Without FMA in the target features `mul_add` would be a call into libm (two orders of
/// magnitude slower), so the product and the sum stay separate there.
#[inline(always)]
pub(crate) fn fmadd<I: Isa, E: Scalar>(a: E, b: E, c: E) -> E {
    if I::FMA { a.mul_add(b, c) } else { a * b + c }
}

/// Whether `E` is a 4-byte float: 8 lanes per 256-bit register (else 4, for `f64`).
#[inline(always)]
pub(crate) const fn is_f32<E>() -> bool {
    core::mem::size_of::<E>() == 4
}

/// Whether `L` lanes of `E` are one register of `I` (8 `f32` or 4 `f64` with AVX2): the
/// kernels' "narrow" tiles, 12 or 8 channels tall.
///
/// Not with 512-bit registers: there LLVM (with no CPU model to tune for, as in a crate built
/// without `-C target-cpu`) turned the tall tiles' accumulators into gathers and scatters
/// through pointers, 25× slower (W5's input gradient: 5.66 ms against 224 µs with AVX2); rows
/// of 16 lanes run as tiles of at most 6 channels instead.
#[inline(always)]
pub(crate) const fn one_vector<I: Isa, E, const L: usize>() -> bool {
    L == vector_lanes::<I, E>() && I::VECTOR_BYTES < 64
}

/// Lanes of `E` in one register of `I`.
#[inline(always)]
pub(crate) const fn vector_lanes<I: Isa, E>() -> usize {
    I::VECTOR_BYTES / core::mem::size_of::<E>()
}

/// `L` lanes `x[start + l·is]` (with `is = IS` when `IS > 0`, else the run-time `is`), where
/// lanes outside `lo..hi` are zero and are never read: they stand for padding or for positions
/// past the end of a row.
///
/// `start` may be negative (then lanes below `lo` must cover it). When every lane is valid the
/// read is one contiguous slice, which LLVM turns into vector loads (plus shuffles when
/// `IS > 1`). Otherwise the whole span is still read in one go when it lies inside `x`
/// (invalid lanes then read neighbouring values, which are replaced by zero, never used:
/// a NaN or infinity there cannot leak into the result); only at the very ends of `x` is it
/// read lane by lane.
#[inline(always)]
pub(crate) fn load<E: Scalar, const L: usize, const IS: usize>(
    x: &[E],
    start: isize,
    is: usize,
    lo: usize,
    hi: usize,
) -> [E; L] {
    let is = if IS > 0 { IS } else { is };
    let span = (L - 1) * is + 1;
    // (`core::array::from_fn` is not always inlined: plain loops keep the lanes in registers.)
    let mut v = [E::zero(); L];
    if lo == 0 && hi == L {
        let seg = &x[start as usize..][..span];
        for l in 0..L {
            v[l] = seg[l * is];
        }
    } else if start >= 0 && start as usize + span <= x.len() {
        let seg = &x[start as usize..][..span];
        // One unsigned 32-bit comparison per lane vectorises into a mask (`usize` lanes or
        // `lo <= l && l < hi` would not).
        let (lo, n) = (lo as u32, hi.saturating_sub(lo) as u32);
        for l in 0..L {
            // Read unconditionally (one vector load), then select.
            let s = seg[l * is];
            v[l] = if (l as u32).wrapping_sub(lo) < n {
                s
            } else {
                E::zero()
            };
        }
    } else {
        for (l, v) in v.iter_mut().enumerate().take(hi).skip(lo) {
            *v = x[(start + (l * is) as isize) as usize];
        }
    }
    v
}

/// Stores lanes `..n` of `v` at `y[o + l·S]` (`n ≤ L`): the last, partial tile of a row
/// (`S = 1`), or a tile of a transposed convolution's column phase (`S` = its stride; the
/// values between belong to the other phases).
///
/// When the `L·S` values from `o` lie inside `y`, this is one read of them, a select, and one
/// write (vector instructions plus, for `S > 1`, shuffles; every value not stored is written
/// back as it was read), instead of `n` scalar stores. Only at the very end of `y` is it written
/// value by value.
#[inline(always)]
pub(crate) fn store_prefix<E: Scalar, const L: usize, const S: usize>(
    y: &mut [E],
    o: usize,
    v: &[E; L],
    n: usize,
) {
    if let Some(dst) = y.get_mut(o..o + L * S) {
        let dst: &mut [[E; S]; L] = dst.as_chunks_mut::<S>().0.try_into().expect("L chunks");
        let n = n as u32;
        let mut out = *dst;
        for l in 0..L {
            // (an unsigned 32-bit comparison per lane: vectorises into a mask)
            if (l as u32) < n {
                out[l][0] = v[l];
            }
        }
        *dst = out;
    } else {
        for (l, &v) in v.iter().enumerate().take(n) {
            y[o + l * S] = v;
        }
    }
}

/// `L` lanes `seg[o + l·is]` (`is = IS` when `IS > 0`), all inside `seg`.
#[inline(always)]
pub(crate) fn lanes<E: Copy + Default, const L: usize, const IS: usize>(
    seg: &[E],
    o: usize,
    is: usize,
) -> [E; L] {
    let is = if IS > 0 { IS } else { is };
    let s = &seg[o..][..(L - 1) * is + 1];
    let mut v = [E::default(); L];
    for l in 0..L {
        v[l] = s[l * is];
    }
    v
}

/// The lane order of a tile that reads its input at lane stride `IS`: lane `j` of an `L`-lane
/// row holds output column `lane_order()[j]`. The natural order, except at stride 2.
///
/// At stride 2, output columns `0, 1, 2, …` of a tap read input columns `t, t + 2, t + 4, …`:
/// the even elements of two consecutive register loads. One shuffle (`vshufps`, `vshufpd`)
/// picks them, in its own order: from each 16-byte part of the register, half from the first
/// load and half from the second (`f32`: columns `0, 1, 4, 5, 2, 3, 6, 7`; `f64`: `0, 2, 1, 3`;
/// the same in each further register of the row). A tile whose lanes are in that order
/// throughout (its accumulators permuted once on entry and back once on exit) needs that one
/// shuffle per register and tap; the natural order needs a second one to restore it (or a
/// store and misaligned reloads of a split row). Tiles of less than one register keep the
/// natural order.
pub(crate) const fn lane_order<I: Isa, E, const L: usize, const IS: usize>() -> [usize; L] {
    let v = vector_lanes::<I, E>();
    // Elements per 16-byte part, and how many of them come from each load.
    let q = 16 / core::mem::size_of::<E>();
    let half = q / 2;
    let natural = IS != 2 || !L.is_multiple_of(v);
    let mut order = [0; L];
    let mut j = 0;
    while j < L {
        let (reg, i) = (j / v, j % v);
        let (part, within) = (i / q, i % q);
        // The element of the two loads (`0..2v`) that lane `i` takes; its column is half that.
        let src = if within < half {
            part * q + 2 * within
        } else {
            v + part * q + 2 * (within - half)
        };
        order[j] = if natural { j } else { reg * v + src / 2 };
        j += 1;
    }
    order
}

#[cfg(all(test, target_arch = "x86_64"))]
mod order_tests {
    use super::lane_order;
    use crate::kernels::isa::Avx2;

    #[test]
    fn stride_two_orders_are_the_shuffles() {
        assert_eq!(lane_order::<Avx2, f32, 8, 2>(), [0, 1, 4, 5, 2, 3, 6, 7]);
        assert_eq!(
            lane_order::<Avx2, f32, 16, 2>(),
            [0, 1, 4, 5, 2, 3, 6, 7, 8, 9, 12, 13, 10, 11, 14, 15]
        );
        assert_eq!(lane_order::<Avx2, f64, 8, 2>(), [0, 2, 1, 3, 4, 6, 5, 7]);
        assert_eq!(
            lane_order::<Avx2, f32, 16, 1>(),
            core::array::from_fn(|j| j)
        );
        assert_eq!(lane_order::<Avx2, f32, 4, 2>(), [0, 1, 2, 3]);
    }

    #[test]
    fn orders_are_permutations() {
        let o = lane_order::<Avx2, f32, 16, 2>();
        let mut seen = [false; 16];
        for j in o {
            assert!(!seen[j]);
            seen[j] = true;
        }
    }
}

/// Zeroes the lanes `l` with `keep[l] == 0` (`keep[l]` is `0` or `u32::MAX`).
///
/// For `f32` and `f64` this is a bitwise AND with the mask (one `vandps` per register, no
/// temporaries); the element type is recognised through `Any`, which the compiler resolves
/// at compile time. Other element types use a plain select.
#[inline(always)]
pub(crate) fn keep<E: Scalar, const L: usize>(xs: &mut [E; L], keep: &[u32; L]) {
    let any: &mut dyn Any = xs;
    if let Some(v) = any.downcast_mut::<[f32; L]>() {
        for l in 0..L {
            v[l] = f32::from_bits(v[l].to_bits() & keep[l]);
        }
    } else if let Some(v) = any.downcast_mut::<[f64; L]>() {
        for l in 0..L {
            v[l] = f64::from_bits(v[l].to_bits() & (keep[l] as i32 as i64 as u64));
        }
    } else {
        for l in 0..L {
            if keep[l] == 0 {
                xs[l] = E::zero();
            }
        }
    }
}

/// Sum of all lanes (a fixed pairwise order, so the result does not depend on the caller).
#[inline(always)]
pub(crate) fn hsum<E: Scalar, const L: usize>(v: [E; L]) -> E {
    let mut v = v;
    let mut n = L;
    while n > 1 {
        let h = n / 2;
        for l in 0..h {
            v[l] += v[l + h];
        }
        if n % 2 == 1 {
            v[0] += v[n - 1];
        }
        n = h;
    }
    if L == 0 { E::zero() } else { v[0] }
}

/// `Σ x[i]`, vectorised: four independent 8-lane partial sums (the order of the additions
/// differs from a sequential fold, the result is as accurate or better).
#[inline(always)]
pub(crate) fn sum<E: Scalar>(x: &[E]) -> E {
    fold(x, |a, v| a + v)
}

/// `Σ (x − c)²`, vectorised like [`sum`].
#[inline(always)]
pub(crate) fn sum_sq_dev<I: Isa, E: Scalar>(x: &[E], c: E) -> E {
    fold(x, |a, v| {
        let d = v - c;
        fmadd::<I, E>(d, d, a)
    })
}

/// `Σ_i step(·, x[i])` from zero, where `step(a, v)` adds one value's term to `a`: four
/// independent 8-lane accumulators (a plain fold would be one dependent chain of additions,
/// bound by their latency), merged pairwise, plus the tail.
#[inline(always)]
fn fold<E: Scalar>(x: &[E], step: impl Fn(E, E) -> E) -> E {
    const L: usize = 8;
    let mut acc = [[E::zero(); L]; 4];
    let mut chunks = x.chunks_exact(4 * L);
    for c in &mut chunks {
        for (a, c) in acc.iter_mut().zip(c.chunks_exact(L)) {
            for l in 0..L {
                a[l] = step(a[l], c[l]);
            }
        }
    }
    let tail = chunks
        .remainder()
        .iter()
        .fold(E::zero(), |t, &v| step(t, v));
    let [a, b, c, d] = acc;
    let mut s = [E::zero(); L];
    for l in 0..L {
        s[l] = (a[l] + b[l]) + (c[l] + d[l]);
    }
    hsum(s) + tail
}

/// `(Σ g, Σ g·(x − c))` over pairs of `x` and `g` (of equal length), vectorised like [`sum`]
/// (two accumulators of each: four chains in all).
#[inline(always)]
pub(crate) fn sum_and_dot_dev<I: Isa, E: Scalar>(x: &[E], g: &[E], c: E) -> (E, E) {
    const L: usize = 8;
    debug_assert_eq!(x.len(), g.len());
    let mut s = [[E::zero(); L]; 2];
    let mut d = [[E::zero(); L]; 2];
    let (xc, gc) = (x.chunks_exact(2 * L), g.chunks_exact(2 * L));
    let (xr, gr) = (xc.remainder(), gc.remainder());
    for (xc, gc) in xc.zip(gc) {
        for k in 0..2 {
            for l in 0..L {
                let (xv, gv) = (xc[k * L + l], gc[k * L + l]);
                s[k][l] += gv;
                d[k][l] = fmadd::<I, E>(gv, xv - c, d[k][l]);
            }
        }
    }
    let (mut ts, mut td) = (E::zero(), E::zero());
    for (&xv, &gv) in xr.iter().zip(gr) {
        ts += gv;
        td = fmadd::<I, E>(gv, xv - c, td);
    }
    let add = |[a, b]: [[E; L]; 2]| {
        let mut v = [E::zero(); L];
        for l in 0..L {
            v[l] = a[l] + b[l];
        }
        hsum(v)
    };
    (add(s) + ts, add(d) + td)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernels::isa::Baseline;

    #[test]
    fn load_masks_and_bounds() {
        let x: [f64; 10] = core::array::from_fn(|i| i as f64 + 1.0);
        // all lanes valid, stride 2
        assert_eq!(load::<f64, 3, 2>(&x, 1, 0, 0, 3), [2.0, 4.0, 6.0]);
        // masked inside the slice
        assert_eq!(load::<f64, 4, 1>(&x, 2, 0, 1, 3), [0.0, 4.0, 5.0, 0.0]);
        // masked at the start (negative start) and past the end, run-time stride
        assert_eq!(load::<f64, 4, 0>(&x, -2, 1, 2, 4), [0.0, 0.0, 1.0, 2.0]);
        assert_eq!(load::<f64, 4, 0>(&x, 7, 2, 0, 2), [8.0, 10.0, 0.0, 0.0]);
        // a NaN in a masked lane does not leak
        let y = [f64::NAN, 1.0, 2.0];
        assert_eq!(load::<f64, 2, 1>(&y, 0, 0, 1, 2), [0.0, 1.0]);
    }

    #[test]
    fn masks() {
        let mut a = [1.0f32, -2.0, f32::INFINITY, 4.0];
        keep(&mut a, &[u32::MAX, 0, 0, u32::MAX]);
        assert_eq!(a, [1.0, 0.0, 0.0, 4.0]);
        let mut b = [f64::NAN, -2.0, 3.0];
        keep(&mut b, &[0, u32::MAX, 0]);
        assert_eq!(b, [0.0, -2.0, 0.0]);
    }

    #[test]
    fn sums() {
        assert_eq!(hsum([1.0f32, 2.0, 3.0, 4.0, 5.0]), 15.0);
        assert_eq!(hsum::<f32, 0>([]), 0.0);
        let x: [f64; 77] = core::array::from_fn(|i| i as f64);
        assert_eq!(sum(&x), (0..77).sum::<usize>() as f64);
        assert_eq!(sum::<f32>(&[]), 0.0);
        assert_eq!(fmadd::<Baseline, f32>(2.0f32, 3.0, 1.0), 7.0);
    }

    #[test]
    fn deviation_sums_match_a_plain_loop() {
        // Lengths around the chunk sizes (16 and 32): empty, tails only, chunks and tails.
        for n in [0usize, 1, 15, 16, 17, 31, 32, 33, 77, 200] {
            let x: Vec<f64> = (0..n).map(|i| ((i * 37) % 11) as f64 - 4.5).collect();
            let g: Vec<f64> = (0..n).map(|i| ((i * 13) % 7) as f64 * 0.25 - 0.5).collect();
            let c = 0.75;
            let sq: f64 = x.iter().map(|&v| (v - c) * (v - c)).sum();
            let (gs, gd): (f64, f64) = (
                g.iter().sum(),
                x.iter().zip(&g).map(|(&v, &w)| w * (v - c)).sum(),
            );
            assert!(
                (sum_sq_dev::<Baseline, f64>(&x, c) - sq).abs() <= 1e-9 * (1.0 + sq.abs()),
                "n = {n}"
            );
            let (s, d) = sum_and_dot_dev::<Baseline, f64>(&x, &g, c);
            assert!((s - gs).abs() <= 1e-9 * (1.0 + gs.abs()), "n = {n}");
            assert!((d - gd).abs() <= 1e-9 * (1.0 + gd.abs()), "n = {n}");
        }
    }
}
