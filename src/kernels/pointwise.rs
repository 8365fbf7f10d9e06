//! Element-wise kernels: activations and their derivatives, per-channel bias.

use crate::kernels::isa::{Isa, dispatch};
use crate::kernels::lanes::{sum, sum_and_dot_dev};
use crate::kernels::scalar::Scalar;

/// `y[i] = f(x[i])`; in place, `y[i] = f(y[i])`, when `x` is `None`.
#[inline]
pub fn map<E: Scalar>(x: Option<&[E]>, y: &mut [E], f: impl Fn(E) -> E) {
    dispatch!(E, |isa| map_on::<_, E>(isa, x, y, f))
}

#[inline(always)]
fn map_on<I: Isa, E: Scalar>(_isa: I, x: Option<&[E]>, y: &mut [E], f: impl Fn(E) -> E) {
    match x {
        Some(x) => {
            for (y, &x) in y.iter_mut().zip(x) {
                *y = f(x);
            }
        }
        None => {
            for y in y {
                *y = f(*y);
            }
        }
    }
}

/// In-place backward of an element-wise function: `x[i] ← dy[i] · f′(x[i])`, where `df` is the
/// derivative expressed in terms of the input.
#[inline]
pub fn backward_in_place<E: Scalar>(x: &mut [E], dy: &[E], df: impl Fn(E) -> E) {
    dispatch!(E, |isa| backward_in_place_on::<_, E>(isa, x, dy, df))
}

#[inline(always)]
fn backward_in_place_on<I: Isa, E: Scalar>(_isa: I, x: &mut [E], dy: &[E], df: impl Fn(E) -> E) {
    for (x, &g) in x.iter_mut().zip(dy) {
        *x = g * df(*x);
    }
}

/// `y[n, c, ·] += bias[c]` over `n` samples of `c` planes of `plane` values.
#[inline]
pub fn add_channel_bias<E: Scalar>(y: &mut [E], bias: &[E], plane: usize) {
    dispatch!(E, |isa| add_channel_bias_on::<_, E>(isa, y, bias, plane))
}

#[inline(always)]
fn add_channel_bias_on<I: Isa, E: Scalar>(_isa: I, y: &mut [E], bias: &[E], plane: usize) {
    for (i, chunk) in y.chunks_exact_mut(plane).enumerate() {
        let b = bias[i % bias.len()];
        for v in chunk {
            *v += b;
        }
    }
}

/// `dbias[c] += Σ_{n, ·} dy[n, c, ·]`.
#[inline]
pub fn channel_sums<E: Scalar>(dy: &[E], dbias: &mut [E], plane: usize) {
    dispatch!(E, |isa| channel_sums_on::<_, E>(isa, dy, dbias, plane))
}

#[inline(always)]
fn channel_sums_on<I: Isa, E: Scalar>(_isa: I, dy: &[E], dbias: &mut [E], plane: usize) {
    let c = dbias.len();
    for (i, chunk) in dy.chunks_exact(plane).enumerate() {
        dbias[i % c] += sum(chunk);
    }
}

/// `a[i] += b[i]`.
#[inline]
pub fn add_assign<E: Scalar>(a: &mut [E], b: &[E]) {
    dispatch!(E, |isa| add_assign_on::<_, E>(isa, a, b))
}

#[inline(always)]
fn add_assign_on<I: Isa, E: Scalar>(_isa: I, a: &mut [E], b: &[E]) {
    for (a, &b) in a.iter_mut().zip(b) {
        *a += b;
    }
}

/// `a[i] *= s`.
#[inline]
pub fn scale<E: Scalar>(a: &mut [E], s: E) {
    dispatch!(E, |isa| scale_on::<_, E>(isa, a, s))
}

#[inline(always)]
fn scale_on<I: Isa, E: Scalar>(_isa: I, a: &mut [E], s: E) {
    for a in a.iter_mut() {
        *a *= s;
    }
}

/// `y[p, ·] = x[p, ·] · s[p]` for every plane `p` of `plane` values (`s` holds one value per
/// plane: per sample and channel). A channel gate's forward, and its input gradient's direct
/// path.
#[inline]
pub fn scale_planes<E: Scalar>(x: &[E], y: &mut [E], s: &[E], plane: usize) {
    dispatch!(E, |isa| scale_planes_on::<_, E>(isa, x, y, s, plane))
}

#[inline(always)]
fn scale_planes_on<I: Isa, E: Scalar>(_isa: I, x: &[E], y: &mut [E], s: &[E], plane: usize) {
    for ((y, x), &s) in y.chunks_exact_mut(plane).zip(x.chunks_exact(plane)).zip(s) {
        for (y, &x) in y.iter_mut().zip(x) {
            *y = x * s;
        }
    }
}

/// `out[p] = Σ a[p, ·] · b[p, ·]` for every plane `p` of `plane` values: a channel gate's
/// gradient with respect to its per-channel factors (the lanes' vectorised dot product).
#[inline]
pub fn plane_dots<E: Scalar>(a: &[E], b: &[E], out: &mut [E], plane: usize) {
    dispatch!(E, |isa| plane_dots_on::<_, E>(isa, a, b, out, plane))
}

#[inline(always)]
fn plane_dots_on<I: Isa, E: Scalar>(_isa: I, a: &[E], b: &[E], out: &mut [E], plane: usize) {
    for ((o, a), b) in out
        .iter_mut()
        .zip(a.chunks_exact(plane))
        .zip(b.chunks_exact(plane))
    {
        *o = sum_and_dot_dev::<I, E>(b, a, E::zero()).1;
    }
}
