//! Reductions over whole planes: the mean of each `H × W` feature map (global average pooling)
//! and its backward.

use crate::kernels::isa::{Isa, dispatch};
use crate::kernels::lanes::sum;
use crate::kernels::scalar::Scalar;

/// Compile-time geometry of a per-plane reduction: `PLANES = N · C` planes of `PLANE = H · W`
/// values each.
pub trait PlaneGeometry {
    /// Number of planes (`N · C`).
    const PLANES: usize;
    /// Values per plane (`H · W`).
    const PLANE: usize;
}

/// A [`PlaneGeometry`] given by the tensor's dimensions.
pub struct PlaneGeom<const N: usize, const C: usize, const H: usize, const W: usize>;

impl<const N: usize, const C: usize, const H: usize, const W: usize> PlaneGeometry
    for PlaneGeom<N, C, H, W>
{
    const PLANES: usize = N * C;
    const PLANE: usize = H * W;
}

/// `y[p] = mean(x[p, ·])` for every plane `p`. Overwrites `y`.
pub fn mean_forward<G: PlaneGeometry, E: Scalar>(x: &[E], y: &mut [E]) {
    dispatch!(E, |isa| mean_forward_on::<_, G, E>(isa, x, y))
}

#[inline(always)]
fn mean_forward_on<I: Isa, G: PlaneGeometry, E: Scalar>(_isa: I, x: &[E], y: &mut [E]) {
    let (x, y) = (&x[..G::PLANES * G::PLANE], &mut y[..G::PLANES]);
    let inv = E::one() / E::of(G::PLANE as f64);
    for (y, plane) in y.iter_mut().zip(x.chunks_exact(G::PLANE)) {
        *y = sum(plane) * inv;
    }
}

/// Backward of [`mean_forward`]: `dx[p, ·] = dy[p] / PLANE`. Overwrites `dx`.
pub fn mean_backward<G: PlaneGeometry, E: Scalar>(dy: &[E], dx: &mut [E]) {
    dispatch!(E, |isa| mean_backward_on::<_, G, E>(isa, dy, dx))
}

#[inline(always)]
fn mean_backward_on<I: Isa, G: PlaneGeometry, E: Scalar>(_isa: I, dy: &[E], dx: &mut [E]) {
    let (dy, dx) = (&dy[..G::PLANES], &mut dx[..G::PLANES * G::PLANE]);
    let inv = E::one() / E::of(G::PLANE as f64);
    for (&g, plane) in dy.iter().zip(dx.chunks_exact_mut(G::PLANE)) {
        plane.fill(g * inv);
    }
}
