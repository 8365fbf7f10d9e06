//! Dropout: a seeded, deterministic keep-mask and the masked, rescaled copy.
//!
//! The random numbers come from SplitMix64 (Steele, Lea & Flood, 2014): a 64-bit state advanced
//! by a constant, then mixed. Every state, including zero, is valid, so a zero-initialised layer
//! is usable; one output per element decides whether the element is dropped.

use crate::kernels::isa::{Isa, dispatch};
use crate::kernels::scalar::Scalar;

/// Advances a SplitMix64 state and returns the next 64 random bits.
#[inline(always)]
pub fn splitmix64(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// The drop threshold for probability `p_e4 / 10 000`: a 64-bit random value `r` drops its
/// element when `r < threshold` (`None` when everything is dropped, `p = 1`).
#[inline]
pub const fn threshold(p_e4: u32) -> Option<u64> {
    if p_e4 >= 10_000 {
        None
    } else {
        Some((((p_e4 as u128) << 64) / 10_000) as u64)
    }
}

/// Draws a keep-mask (`1` = kept, `0` = dropped) with drop probability `p_e4 / 10 000`,
/// advancing `state` once per element.
pub fn draw_mask(state: &mut u64, p_e4: u32, mask: &mut [u8]) {
    match threshold(p_e4) {
        None => mask.fill(0),
        Some(t) => {
            for m in mask {
                *m = u8::from(splitmix64(state) >= t);
            }
        }
    }
}

/// The scale of kept elements, `1 / (1 − p)` (PyTorch's inverted dropout); `0` when `p = 1`.
#[inline]
pub fn keep_scale<E: Scalar>(p_e4: u32) -> E {
    if p_e4 >= 10_000 {
        E::zero()
    } else {
        E::of(10_000.0 / (10_000 - p_e4) as f64)
    }
}

/// `y[i] = x[i] · mask[i] · scale`. Overwrites `y`. Also the backward pass (with `x = dy`).
pub fn apply<E: Scalar>(x: &[E], mask: &[u8], scale: E, y: &mut [E]) {
    dispatch!(E, |isa| apply_on::<_, E>(isa, x, mask, scale, y))
}

#[inline(always)]
fn apply_on<I: Isa, E: Scalar>(_isa: I, x: &[E], mask: &[u8], scale: E, y: &mut [E]) {
    for ((y, &x), &m) in y.iter_mut().zip(x).zip(mask) {
        *y = if m != 0 { x * scale } else { E::zero() };
    }
}
