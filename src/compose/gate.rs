//! Channel gating (squeeze-and-excitation, Hu et al., 2018; MobileNetV3): [`Gate`],
//! `y = x ⊙ F(x)`, where `F` gives one factor per sample and channel.
//!
//! # Names in weight files
//!
//! Like [`Residual`](super::Residual)'s branch, `F` adds no path segment: torchvision's
//! `SqueezeExcitation` (`avgpool`, `fc1`, `activation`, `fc2`, `scale_activation`) is
//! `Gate<(GlobalAvgPool2d, Named<Fc1, Conv2d<C, S, 1>>, Relu, Named<Fc2, Conv2d<S, C, 1>>,
//! Hardsigmoid)>`, whose tensors are `fc1.weight`, `fc1.bias`, `fc2.weight`, `fc2.bias`.
//!
//! # Shapes
//!
//! `Gate<F>` is a layer on `Tensor<N, C, H, W>` only when `F` maps it to `Tensor<N, C, 1, 1>`;
//! otherwise the compiler says "a channel gate must give one value per channel"
//! ([`OnePerChannel`]).
//!
//! # Memory and backward
//!
//! The trace holds `F`'s trace, the factors `s = F(x)`, their gradient
//! `∂L/∂s[n, c] = Σ_hw dy · x`, and a copy of `x` for `F`'s backward (made only when the input
//! gradient is wanted: both paths read `x`). Then `dx = dy ⊙ s + F′ᵀ(∂L/∂s)`.

use crate::element::Element;
use crate::kernels::pointwise;
use crate::layer::{Input, Io, Layer};
use crate::shape::{Dim, Holds, SizesEq};
use crate::tensor::Tensor;
use crate::visit::{Module, Path, Visitor, parts};
use crate::zeroable::Zeroable;

pub use crate::shape::OnePerChannel;

/// `y = x ⊙ F(x)`: every channel of `x` times `F`'s value for it (see the [module docs](self)).
///
/// ```
/// use constnet::prelude::*;
/// use constnet::name;
/// name!(Fc1 = "fc1", Fc2 = "fc2");
/// // torchvision's `SqueezeExcitation(16, 4)` with MobileNetV3's hard sigmoid.
/// type Se = Gate<(
///     GlobalAvgPool2d,
///     Named<Fc1, Conv2d<16, 4, 1>>,
///     Relu,
///     Named<Fc2, Conv2d<4, 16, 1>>,
///     Hardsigmoid,
/// )>;
/// let mut se = Se::boxed();
/// let mut names = Vec::new();
/// se.for_each_tensor(|info, _| names.push(info.path.to_string()));
/// assert_eq!(names, ["fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"]);
/// let _: Out<Se, Tensor<2, 16, 7, 7>> = Tensor::<2, 16, 7, 7>::zeros();
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct Gate<F>(
    /// The gate: `Tensor<N, C, H, W>` → `Tensor<N, C, 1, 1>`.
    pub F,
);

crate::zeroable::zeroable_struct!([F: Zeroable] Gate<F> { 0 });

impl<E, F: Module<E>> Module<E> for Gate<F> {
    fn visit<V: Visitor<E, K>, const K: usize>(mut m: [&mut Self; K], path: &Path<'_>, v: &mut V) {
        F::visit(parts(&mut m, |g| &mut g.0), path, v);
    }
}

/// What [`Gate`]'s forward pass records: `F`'s trace, the factors (in backward: their
/// gradient is computed next to them), and the copy of `x` that `F`'s backward reads.
#[derive(Clone, Copy, Debug)]
pub struct GateTrace<T, S, X> {
    /// `F`'s trace.
    pub gate: T,
    /// The factors `s = F(x)`.
    pub factors: S,
    /// `∂L/∂s`, filled by backward.
    pub factors_grad: S,
    /// A copy of `x` for `F`'s backward (written by backward when the input gradient is wanted).
    pub input: X,
}

crate::zeroable::zeroable_struct!([T: Zeroable, S: Zeroable, X: Zeroable] GateTrace<T, S, X> { gate, factors, factors_grad, input });

/// `(C, H, W)` of a shape, as [`SizesEq`] compares them.
type Chw<const C: usize, const H: usize, const W: usize> = (Dim<C>, Dim<H>, Dim<W>);

impl<
    const N: usize,
    const C: usize,
    const H: usize,
    const W: usize,
    const CS: usize,
    const HS: usize,
    const WS: usize,
    E: Element,
    F,
> Layer<Tensor<N, C, H, W, E>> for Gate<F>
where
    F: Layer<Tensor<N, C, H, W, E>, Output = Tensor<N, CS, HS, WS, E>>,
    Chw<C, 1, 1>: SizesEq<Chw<CS, HS, WS>>,
    Holds<<Chw<C, 1, 1> as SizesEq<Chw<CS, HS, WS>>>::Out>:
        OnePerChannel<Tensor<N, C, H, W, E>, Tensor<N, CS, HS, WS, E>>,
{
    type Output = Tensor<N, C, H, W, E>;
    type Trace = GateTrace<F::Trace, Tensor<N, CS, HS, WS, E>, Tensor<N, C, H, W, E>>;
    type Training = F::Training;

    #[inline]
    fn forward(&self, x: &Tensor<N, C, H, W, E>, y: &mut Self::Output, t: &mut Self::Trace) {
        self.0.forward(x, &mut t.factors, &mut t.gate);
        pointwise::scale_planes(x.as_slice(), y.as_mut_slice(), t.factors.as_slice(), H * W);
    }

    #[inline]
    fn forward_train_unchecked(
        &mut self,
        x: &Tensor<N, C, H, W, E>,
        y: &mut Self::Output,
        t: &mut Self::Trace,
    ) {
        self.0
            .forward_train_unchecked(x, &mut t.factors, &mut t.gate);
        pointwise::scale_planes(x.as_slice(), y.as_mut_slice(), t.factors.as_slice(), H * W);
    }

    fn backward(
        &self,
        x: Input<'_, Tensor<N, C, H, W, E>>,
        t: &mut Self::Trace,
        dy: &Self::Output,
        grads: &mut Self,
    ) {
        let plane = H * W;
        pointwise::plane_dots(
            dy.as_slice(),
            x.get().as_slice(),
            t.factors_grad.as_mut_slice(),
            plane,
        );
        match x {
            Input::Keep(x) => {
                self.0
                    .backward(Input::Keep(x), &mut t.gate, &t.factors_grad, &mut grads.0);
            }
            Input::Grad(x) => {
                // F works on a copy of x; x becomes dy ⊙ s, then gets F's input gradient.
                t.input.as_mut_slice().copy_from_slice(x.as_slice());
                self.0.backward(
                    Input::Grad(&mut t.input),
                    &mut t.gate,
                    &t.factors_grad,
                    &mut grads.0,
                );
                pointwise::scale_planes(
                    dy.as_slice(),
                    x.as_mut_slice(),
                    t.factors.as_slice(),
                    plane,
                );
                pointwise::add_assign(x.as_mut_slice(), t.input.as_slice());
            }
        }
    }

    /// The factors and `F`'s scratch: `x` stays where it is (the caller's) while `F` runs.
    const INFER_SCRATCH: usize = Tensor::<N, CS, HS, WS, E>::LEN + F::INFER_SCRATCH;

    #[inline]
    fn infer_io(&self, io: Io<'_, E>, scratch: &mut [E]) {
        let (x, y) = io.apart();
        let (s, rest) = scratch.split_at_mut(Tensor::<N, CS, HS, WS, E>::LEN);
        self.0.infer_io(Io::Apart { x, y: &mut *s }, rest);
        pointwise::scale_planes(x, y, s, H * W);
    }

    /// The gate's, plus one multiplication per value.
    fn flops() -> u64 {
        F::flops() + Tensor::<N, C, H, W, E>::LEN as u64
    }
}
