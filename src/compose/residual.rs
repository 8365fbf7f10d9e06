//! Residual blocks (ResNet): [`Residual`] (`y = F(x) + x`) and [`ResidualProj`]
//! (`y = F(x) + Sc(x)`, a projection shortcut).
//!
//! # Names in weight files
//!
//! Both are modelled on torchvision's `BasicBlock` / `Bottleneck`, whose residual branch layers
//! sit **directly at the block's level** (`conv1`, `bn1`, `conv2`, `bn2`) and whose shortcut is
//! the sub-module `downsample`. So:
//!
//! * the branch `F` adds **no path segment**: in `Residual<(Conv2d, BatchNorm2d, Relu, Conv2d,
//!   BatchNorm2d)>` the tensors are named `0.weight`, `1.weight`, `1.running_mean`, …,
//!   `3.weight`, `4.weight` — torchvision's `conv1`, `bn1`, `conv2`, `bn2`, in the same order
//!   (a positional rename maps one onto the other);
//! * the shortcut of a [`ResidualProj`] is named `downsample` (`downsample.0.weight`,
//!   `downsample.1.running_var`, …), exactly as in torchvision.
//!
//! torchvision applies the final ReLU inside the block; here it is the next layer of the chain:
//! a basic block is `(Residual<F>, Relu)`.
//!
//! # Memory
//!
//! [`Residual`] costs nothing beyond its branch: backward runs `F` with the input buffer as its
//! gradient buffer, then adds `dy` (the identity path). [`ResidualProj`] keeps the shortcut's
//! output buffer (forward; backward reuses it for the shortcut's copy of `dy`) and a copy of `x`
//! (made in backward, only when the input gradient is wanted), because both branches read `x`
//! and the first to finish would otherwise overwrite it.
//!
//! # Shape errors
//!
//! Both blocks are implemented for tensor inputs. The shapes are compared with a type-level
//! equality (`shape::SizesEq`) that is consumed by [`SameShape`] /
//! [`SameOutput`], so a mismatch is reported as "residual branch changes the shape: it maps
//! `Tensor<1, 4, 8, 8>` to `Tensor<1, 4, 4, 4>`" rather than as a type mismatch inside the
//! branch.

use crate::element::Element;
use crate::kernels::pointwise;
use crate::layer::{Input, Io, Layer, max};
use crate::shape::{Dim, Holds, SizesEq};
use crate::tensor::Tensor;
use crate::visit::{Module, Path, Visitor, parts};
use crate::zeroable::Zeroable;

/// `y = F(x) + x`: a residual block with an identity shortcut.
///
/// It is a layer only when `F` maps `X` to `X` (same channels, height and width); otherwise
/// the compiler reports "residual branch changes the shape" (use [`ResidualProj`] with a
/// projection shortcut then). Names of `F`'s tensors: see the [module docs](self).
///
/// ```
/// use constnet::prelude::*;
/// type Block = (
///     Residual<(
///         Conv2d<8, 8, 3, 1, 1, NoBias>,
///         BatchNorm2d<8>,
///         Relu,
///         Conv2d<8, 8, 3, 1, 1, NoBias>,
///         BatchNorm2d<8>,
///     )>,
///     Relu,
/// );
/// let _: Out<Block, Tensor<2, 8, 16, 16>> = Tensor::<2, 8, 16, 16>::zeros();
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct Residual<F>(
    /// The residual branch `F`.
    pub F,
);

crate::zeroable::zeroable_struct!([F: Zeroable] Residual<F> { 0 });

/// `y = F(x) + Sc(x)`: a residual block whose shortcut `Sc` changes the shape the same way the
/// branch does (ResNet's projection shortcut, e.g.
/// `Sc = (Conv2d<CI, CO, 1, 2, 0, NoBias>, BatchNorm2d<CO>)` for stride 2).
///
/// Both must produce the same type, or the compiler reports "the residual branch and the
/// shortcut produce different shapes". The branch adds no path segment; the shortcut is named
/// `downsample` (see the [module docs](self)).
///
/// ```
/// use constnet::prelude::*;
/// type Down = ResidualProj<
///     (Conv2d<4, 8, 3, 2, 1, NoBias>, BatchNorm2d<8>, Relu, Conv2d<8, 8, 3, 1, 1, NoBias>, BatchNorm2d<8>),
///     (Conv2d<4, 8, 1, 2, 0, NoBias>, BatchNorm2d<8>),
/// >;
/// let _: Out<Down, Tensor<2, 4, 16, 16>> = Tensor::<2, 8, 8, 8>::zeros();
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct ResidualProj<F, Sc> {
    /// The residual branch `F`.
    pub branch: F,
    /// The shortcut `Sc` (torchvision's `downsample`).
    pub downsample: Sc,
}

crate::zeroable::zeroable_struct!([F: Zeroable, Sc: Zeroable] ResidualProj<F, Sc> { branch, downsample });

pub use crate::shape::{SameOutput, SameShape};

impl<E, F: Module<E>> Module<E> for Residual<F> {
    fn visit<V: Visitor<E, K>, const K: usize>(mut m: [&mut Self; K], path: &Path<'_>, v: &mut V) {
        F::visit(parts(&mut m, |r| &mut r.0), path, v);
    }
}

impl<E, F: Module<E>, Sc: Module<E>> Module<E> for ResidualProj<F, Sc> {
    fn visit<V: Visitor<E, K>, const K: usize>(mut m: [&mut Self; K], path: &Path<'_>, v: &mut V) {
        F::visit(parts(&mut m, |r| &mut r.branch), path, v);
        Sc::visit(
            parts(&mut m, |r| &mut r.downsample),
            &path.field("downsample"),
            v,
        );
    }
}

/// `(C, H, W)` of a shape, as [`SizesEq`] compares them.
type Chw<const C: usize, const H: usize, const W: usize> = (Dim<C>, Dim<H>, Dim<W>);

impl<
    const N: usize,
    const C: usize,
    const H: usize,
    const W: usize,
    const CO: usize,
    const HO: usize,
    const WO: usize,
    E: Element,
    F,
> Layer<Tensor<N, C, H, W, E>> for Residual<F>
where
    F: Layer<Tensor<N, C, H, W, E>, Output = Tensor<N, CO, HO, WO, E>>,
    Chw<C, H, W>: SizesEq<Chw<CO, HO, WO>>,
    Holds<<Chw<C, H, W> as SizesEq<Chw<CO, HO, WO>>>::Out>:
        SameShape<Tensor<N, C, H, W, E>, Tensor<N, CO, HO, WO, E>>,
{
    /// The branch's output type, which is the input type.
    type Output = Tensor<N, CO, HO, WO, E>;
    /// The branch's trace: the identity path needs nothing.
    type Trace = F::Trace;
    type Training = F::Training;

    #[inline]
    fn forward(&self, x: &Tensor<N, C, H, W, E>, y: &mut Self::Output, trace: &mut F::Trace) {
        self.0.forward(x, y, trace);
        pointwise::add_assign(y.as_mut_slice(), x.as_slice());
    }

    #[inline]
    fn forward_train_unchecked(
        &mut self,
        x: &Tensor<N, C, H, W, E>,
        y: &mut Self::Output,
        trace: &mut F::Trace,
    ) {
        self.0.forward_train_unchecked(x, y, trace);
        pointwise::add_assign(y.as_mut_slice(), x.as_slice());
    }

    #[inline]
    fn backward(
        &self,
        mut x: Input<'_, Tensor<N, C, H, W, E>>,
        trace: &mut F::Trace,
        dy: &Self::Output,
        grads: &mut Self,
    ) {
        // F reads x, then (if asked) overwrites it with F's input gradient ...
        self.0.backward(x.reborrow(), trace, dy, &mut grads.0);
        // ... to which the identity path adds dy.
        if let Input::Grad(dx) = x {
            pointwise::add_assign(dx.as_mut_slice(), dy.as_slice());
        }
    }

    /// The branch's: `x` stays where it is (the caller's) while `F` writes `y`.
    const INFER_SCRATCH: usize = F::INFER_SCRATCH;

    #[inline]
    fn infer_io(&self, io: Io<'_, E>, scratch: &mut [E]) {
        let (x, y) = io.apart();
        self.0.infer_io(Io::Apart { x, y: &mut *y }, scratch);
        pointwise::add_assign(y, x);
    }

    /// The branch's, plus one addition per value.
    fn flops() -> u64 {
        F::flops() + Tensor::<N, C, H, W, E>::LEN as u64
    }
}

impl<
    const N: usize,
    const C: usize,
    const H: usize,
    const W: usize,
    const CO: usize,
    const HO: usize,
    const WO: usize,
    const CS: usize,
    const HS: usize,
    const WS: usize,
    E: Element,
    F,
    Sc,
> Layer<Tensor<N, C, H, W, E>> for ResidualProj<F, Sc>
where
    F: Layer<Tensor<N, C, H, W, E>, Output = Tensor<N, CO, HO, WO, E>>,
    Sc: Layer<Tensor<N, C, H, W, E>, Output = Tensor<N, CS, HS, WS, E>>,
    Chw<CO, HO, WO>: SizesEq<Chw<CS, HS, WS>>,
    Holds<<Chw<CO, HO, WO> as SizesEq<Chw<CS, HS, WS>>>::Out>:
        SameOutput<Tensor<N, CO, HO, WO, E>, Tensor<N, CS, HS, WS, E>>,
{
    type Output = Tensor<N, CO, HO, WO, E>;
    /// `(branch trace, shortcut trace, shortcut output — in backward its copy of dy —,
    /// copy of x for the shortcut's backward)`.
    type Trace = (
        F::Trace,
        Sc::Trace,
        Tensor<N, CS, HS, WS, E>,
        Tensor<N, C, H, W, E>,
    );
    type Training = (F::Training, Sc::Training);

    #[inline]
    fn forward(&self, x: &Tensor<N, C, H, W, E>, y: &mut Self::Output, trace: &mut Self::Trace) {
        let (tf, ts, s, _) = trace;
        self.branch.forward(x, y, tf);
        self.downsample.forward(x, s, ts);
        pointwise::add_assign(y.as_mut_slice(), s.as_slice());
    }

    #[inline]
    fn forward_train_unchecked(
        &mut self,
        x: &Tensor<N, C, H, W, E>,
        y: &mut Self::Output,
        trace: &mut Self::Trace,
    ) {
        let (tf, ts, s, _) = trace;
        self.branch.forward_train_unchecked(x, y, tf);
        self.downsample.forward_train_unchecked(x, s, ts);
        pointwise::add_assign(y.as_mut_slice(), s.as_slice());
    }

    fn backward(
        &self,
        x: Input<'_, Tensor<N, C, H, W, E>>,
        trace: &mut Self::Trace,
        dy: &Self::Output,
        grads: &mut Self,
    ) {
        let (tf, ts, dys, xc) = trace;
        // The shortcut's dy is dy itself, in the shortcut's own output type.
        dys.as_mut_slice().copy_from_slice(dy.as_slice());
        match x {
            Input::Keep(x) => {
                self.downsample
                    .backward(Input::Keep(x), ts, dys, &mut grads.downsample);
                self.branch
                    .backward(Input::Keep(x), tf, dy, &mut grads.branch);
            }
            Input::Grad(x) => {
                // The shortcut works on a copy of x, the branch on x itself; then sum.
                xc.as_mut_slice().copy_from_slice(x.as_slice());
                self.downsample
                    .backward(Input::Grad(xc), ts, dys, &mut grads.downsample);
                self.branch
                    .backward(Input::Grad(x), tf, dy, &mut grads.branch);
                pointwise::add_assign(x.as_mut_slice(), xc.as_slice());
            }
        }
    }

    /// The branch's scratch, or the shortcut's output and scratch.
    const INFER_SCRATCH: usize = max(
        F::INFER_SCRATCH,
        Tensor::<N, CS, HS, WS, E>::LEN + Sc::INFER_SCRATCH,
    );

    #[inline]
    fn infer_io(&self, io: Io<'_, E>, scratch: &mut [E]) {
        let (x, y) = io.apart();
        self.branch.infer_io(Io::Apart { x, y: &mut *y }, scratch);
        let (s, rest) = scratch.split_at_mut(Tensor::<N, CS, HS, WS, E>::LEN);
        self.downsample.infer_io(Io::Apart { x, y: &mut *s }, rest);
        pointwise::add_assign(y, s);
    }

    /// Both paths, plus one addition per output value.
    fn flops() -> u64 {
        F::flops() + Sc::flops() + Tensor::<N, CO, HO, WO, E>::LEN as u64
    }
}
