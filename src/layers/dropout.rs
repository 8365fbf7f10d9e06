//! [`Dropout`]: seeded, deterministic inverted dropout.

use crate::element::Element;
use crate::kernels::dropout as kernel;
use crate::layer::{Input, Io, Layer};
use crate::shape::Check;
use crate::tensor::Tensor;

/// Dropout with probability `P_E4 / 10 000` (`Dropout` = `Dropout<5000>` = PyTorch's default
/// `p = 0.5`; `Dropout<1000>` is `p = 0.1`).
///
/// * [`Layer::forward`] (eval mode) is the identity.
/// * [`Layer::forward_train`] zeroes each element with probability `p` and scales the others by
///   `1 / (1 − p)` (PyTorch's scaling, so eval needs no correction). The keep-mask is recorded in
///   the trace (one byte per element); [`Layer::backward`] applies the same mask and scale to the
///   gradient.
///
/// The random numbers come from a SplitMix64 generator whose 64-bit state is the layer's only
/// field: the same seed gives the same sequence of masks, on every platform. A zeroed layer is
/// valid (seed 0); use [`Dropout::new`] or [`Dropout::set_seed`] to choose another. Each
/// training forward pass advances the state by one step per element. The state is not a tensor:
/// weight files do not hold it and optimizers do not touch it; [`Module::visit`] reports it as a
/// [`Visitor::generator`], so training checkpoints save it (a resumed run draws the same masks)
/// and each worker of a data-parallel run draws its own masks.
///
/// [`Module::visit`]: crate::visit::Module::visit
/// [`Visitor::generator`]: crate::visit::Visitor::generator
///
/// ```
/// use constnet::prelude::*;
/// let mut drop = Dropout::<2500>::new(42); // p = 0.25
/// let x = Tensor::<1, 4, 8, 8>::boxed();
/// let mut y = Tensor::<1, 4, 8, 8>::boxed();
/// let mut mask = TraceOf::<Dropout<2500>, Tensor<1, 4, 8, 8>>::boxed();
/// drop.forward_train(&x, &mut y, &mut mask);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Dropout<const P_E4: u32 = 5000> {
    /// State of the SplitMix64 generator (any value is valid).
    pub state: u64,
}

crate::zeroable::zeroable_struct!([const P_E4: u32] Dropout<P_E4> { state });

impl<const P_E4: u32> Dropout<P_E4> {
    /// Drop probability `p`.
    pub const P: f64 = {
        assert!(
            P_E4 <= 10_000,
            "dropout probability P_E4 / 10 000 must be at most 1"
        );
        P_E4 as f64 / 10_000.0
    };

    /// A dropout layer whose generator starts from `seed`.
    pub const fn new(seed: u64) -> Self {
        Dropout { state: seed }
    }

    /// Restart the generator from `seed`.
    pub fn set_seed(&mut self, seed: u64) {
        self.state = seed;
    }
}

impl<E, const P_E4: u32> crate::visit::Module<E> for Dropout<P_E4> {
    #[inline]
    fn visit<V: crate::visit::Visitor<E, K>, const K: usize>(
        mut m: [&mut Self; K],
        path: &crate::visit::Path<'_>,
        v: &mut V,
    ) {
        v.generator(
            &path.field("state"),
            crate::visit::parts(&mut m, |l| &mut l.state),
        );
    }
}

impl<const N: usize, const C: usize, const H: usize, const W: usize, E: Element, const P_E4: u32>
    Layer<Tensor<N, C, H, W, E>> for Dropout<P_E4>
{
    type Output = Tensor<N, C, H, W, E>;
    /// The keep-mask of the last training forward pass (`1` kept, `0` dropped).
    type Trace = Tensor<N, C, H, W, u8>;
    type Training = Check<true>;

    #[inline]
    fn forward(&self, x: &Tensor<N, C, H, W, E>, y: &mut Self::Output, _: &mut Self::Trace) {
        let _ = Self::P; // compile-time check of P_E4
        y.as_mut_slice().copy_from_slice(x.as_slice());
    }

    /// The identity in eval mode.
    const IN_PLACE: bool = true;

    #[inline]
    fn infer_io(&self, io: Io<'_, E>, _: &mut [E]) {
        let _ = Self::P;
        io.identity();
    }

    fn forward_train_unchecked(
        &mut self,
        x: &Tensor<N, C, H, W, E>,
        y: &mut Self::Output,
        mask: &mut Self::Trace,
    ) {
        let _ = Self::P;
        kernel::draw_mask(&mut self.state, P_E4, mask.as_mut_slice());
        kernel::apply(
            x.as_slice(),
            mask.as_slice(),
            kernel::keep_scale::<E>(P_E4),
            y.as_mut_slice(),
        );
    }

    fn backward(
        &self,
        x: Input<'_, Tensor<N, C, H, W, E>>,
        mask: &mut Self::Trace,
        dy: &Self::Output,
        _: &mut Self,
    ) {
        if let Some(dx) = x.into_grad() {
            kernel::apply(
                dy.as_slice(),
                mask.as_slice(),
                kernel::keep_scale::<E>(P_E4),
                dx.as_mut_slice(),
            );
        }
    }

    fn flops() -> u64 {
        (N * C * H * W) as u64
    }
}

/// The generator state of data-parallel worker `w` when the master model's is `state`: the
/// state itself for worker 0, else the SplitMix64 output of `state + w` (distinct streams for
/// distinct workers, all following from the master's state, which checkpoints save).
#[cfg(feature = "std")] // (used by the training workflow only)
pub(crate) fn fork(state: u64, w: usize) -> u64 {
    if w == 0 {
        return state;
    }
    kernel::splitmix64(&mut state.wrapping_add(w as u64))
}
