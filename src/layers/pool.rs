//! Pooling: [`MaxPool2d`] (records the arg-max for backward) and [`AvgPool2d`].

use crate::element::Element;
use crate::kernels::pool::{self, PoolGeom};
use crate::layer::{Input, Io, Layer};
use crate::shape::{Check, Dim, PoolWindow, Window};
use crate::tensor::Tensor;

/// Max pooling (PyTorch's `nn.MaxPool2d`): window `K`, stride `S` (default `K`), padding `P`,
/// output size rounded down (PyTorch's default) or, with `CEIL = true`, up (`ceil_mode=True`,
/// spelled [`MaxPool2dCeil`]). The trace records each window's arg-max; backward sends the
/// whole gradient to it, exactly like PyTorch.
///
/// `K`, `S`, `P` hold along rows and, by default, along columns; `KW`, `SW`, `PW` give the
/// columns their own (spelled [`MaxPool2dHw`]).
#[derive(Clone, Copy, Debug, Default)]
pub struct MaxPool2d<
    const K: usize,
    const S: usize = K,
    const P: usize = 0,
    const CEIL: bool = false,
    const KW: usize = K,
    const SW: usize = S,
    const PW: usize = P,
>;

/// Max pooling with its own window size, stride and padding along rows and columns, in
/// PyTorch's order: `MaxPool2dHw<KH, KW, SH, SW, PH, PW>` is
/// `nn.MaxPool2d((KH, KW), (SH, SW), (PH, PW))` (strides default to the window, as there).
/// The same type as [`MaxPool2d`] with its column parameters given.
///
/// ```
/// use constnet::prelude::*;
/// // 2 × 3 windows, stride (2, 1): 6 × 9 → 3 × 7.
/// let x = Tensor::<1, 2, 6, 9>::zeros();
/// let mut y = Tensor::<1, 2, 3, 7>::zeros();
/// let mut argmax = Tensor::<1, 2, 3, 7, u32>::zeros();
/// MaxPool2dHw::<2, 3, 2, 1>::default().forward(&x, &mut y, &mut argmax);
/// ```
pub type MaxPool2dHw<
    const KH: usize,
    const KW: usize,
    const SH: usize = KH,
    const SW: usize = KW,
    const PH: usize = 0,
    const PW: usize = PH,
    const CEIL: bool = false,
> = MaxPool2d<KH, SH, PH, CEIL, KW, SW, PW>;

/// Max pooling in ceil mode (PyTorch's `nn.MaxPool2d(K, S, P, ceil_mode=True)`): the output
/// size is `⌈(H + 2P − K) / S⌉ + 1`, so a last window that sticks out of the input counts, over
/// the values it covers (unless it would start past the input and its left padding, where
/// PyTorch drops it too).
///
/// ```
/// use constnet::prelude::*;
/// // torchvision's GoogLeNet: `nn.MaxPool2d(3, stride=2, ceil_mode=True)`, 112 → 56 (floor: 55).
/// let x = Tensor::<1, 2, 112, 112>::boxed();
/// let mut y = Tensor::<1, 2, 56, 56>::boxed();
/// let mut argmax = Tensor::<1, 2, 56, 56, u32>::boxed();
/// MaxPool2dCeil::<3, 2>::default().forward(&x, &mut y, &mut argmax);
/// ```
pub type MaxPool2dCeil<const K: usize, const S: usize = K, const P: usize = 0> =
    MaxPool2d<K, S, P, true>;

/// Average pooling (PyTorch's `nn.AvgPool2d`, floor mode, padding counted): window `K`,
/// stride `S` (default `K`), padding `P`, along rows and, unless `KW`, `SW`, `PW` say
/// otherwise, along columns (spelled [`AvgPool2dHw`]). Backward spreads `dy / (K·KW)` over each
/// window.
#[derive(Clone, Copy, Debug, Default)]
pub struct AvgPool2d<
    const K: usize,
    const S: usize = K,
    const P: usize = 0,
    const KW: usize = K,
    const SW: usize = S,
    const PW: usize = P,
>;

/// Average pooling with its own window size, stride and padding along rows and columns, in
/// PyTorch's order: `AvgPool2dHw<KH, KW, SH, SW, PH, PW>` is
/// `nn.AvgPool2d((KH, KW), (SH, SW), (PH, PW))`. The same type as [`AvgPool2d`] with its column
/// parameters given.
pub type AvgPool2dHw<
    const KH: usize,
    const KW: usize,
    const SH: usize = KH,
    const SW: usize = KW,
    const PH: usize = 0,
    const PW: usize = PH,
> = AvgPool2d<KH, SH, PH, KW, SW, PW>;

crate::zeroable::zeroable_struct!([const K: usize, const S: usize, const P: usize, const CEIL: bool, const KW: usize, const SW: usize, const PW: usize] MaxPool2d<K, S, P, CEIL, KW, SW, PW> {  });
crate::zeroable::zeroable_struct!([const K: usize, const S: usize, const P: usize, const KW: usize, const SW: usize, const PW: usize] AvgPool2d<K, S, P, KW, SW, PW> {  });

impl<
    E,
    const K: usize,
    const S: usize,
    const P: usize,
    const CEIL: bool,
    const KW: usize,
    const SW: usize,
    const PW: usize,
> crate::visit::Module<E> for MaxPool2d<K, S, P, CEIL, KW, SW, PW>
{
    #[inline]
    fn visit<V: crate::visit::Visitor<E, KK>, const KK: usize>(
        _: [&mut Self; KK],
        _: &crate::visit::Path<'_>,
        _: &mut V,
    ) {
    }
}
impl<
    E,
    const K: usize,
    const S: usize,
    const P: usize,
    const KW: usize,
    const SW: usize,
    const PW: usize,
> crate::visit::Module<E> for AvgPool2d<K, S, P, KW, SW, PW>
{
    #[inline]
    fn visit<V: crate::visit::Visitor<E, KK>, const KK: usize>(
        _: [&mut Self; KK],
        _: &crate::visit::Path<'_>,
        _: &mut V,
    ) {
    }
}

impl<
    const N: usize,
    const C: usize,
    const H: usize,
    const W: usize,
    const HO: usize,
    const WO: usize,
    const K: usize,
    const S: usize,
    const P: usize,
    const CEIL: bool,
    const KW: usize,
    const SW: usize,
    const PW: usize,
    E: Element,
> Layer<Tensor<N, C, H, W, E>> for MaxPool2d<K, S, P, CEIL, KW, SW, PW>
where
    Dim<H>: PoolWindow<K, S, P, CEIL, Out = Dim<HO>>,
    Dim<W>: PoolWindow<KW, SW, PW, CEIL, Out = Dim<WO>>,
{
    type Output = Tensor<N, C, HO, WO, E>;
    /// Arg-max of every window, as an index `h·W + w` into its input plane (like PyTorch).
    type Trace = Tensor<N, C, HO, WO, u32>;
    type Training = Check<true>;

    #[inline]
    fn infer_io(&self, io: Io<'_, E>, _: &mut [E]) {
        let (x, y) = io.apart();
        pool::max_values::<PoolGeom<N, C, H, W, HO, WO, K, S, P, KW, SW, PW>, E>(x, y);
    }

    #[inline]
    fn forward(&self, x: &Tensor<N, C, H, W, E>, y: &mut Self::Output, argmax: &mut Self::Trace) {
        pool::max_forward::<PoolGeom<N, C, H, W, HO, WO, K, S, P, KW, SW, PW>, E>(
            x.as_slice(),
            y.as_mut_slice(),
            argmax.as_mut_slice(),
        );
    }
    #[inline]
    fn forward_train_unchecked(
        &mut self,
        x: &Tensor<N, C, H, W, E>,
        y: &mut Self::Output,
        argmax: &mut Self::Trace,
    ) {
        self.forward(x, y, argmax)
    }
    #[inline]
    fn backward(
        &self,
        x: Input<'_, Tensor<N, C, H, W, E>>,
        argmax: &mut Self::Trace,
        dy: &Self::Output,
        _: &mut Self,
    ) {
        if let Some(dx) = x.into_grad() {
            pool::max_backward::<PoolGeom<N, C, H, W, HO, WO, K, S, P, KW, SW, PW>, E>(
                dy.as_slice(),
                argmax.as_slice(),
                dx.as_mut_slice(),
            );
        }
    }
}

impl<
    const N: usize,
    const C: usize,
    const H: usize,
    const W: usize,
    const HO: usize,
    const WO: usize,
    const K: usize,
    const S: usize,
    const P: usize,
    const KW: usize,
    const SW: usize,
    const PW: usize,
    E: Element,
> Layer<Tensor<N, C, H, W, E>> for AvgPool2d<K, S, P, KW, SW, PW>
where
    Dim<H>: Window<K, S, P, 1, Out = Dim<HO>>,
    Dim<W>: Window<KW, SW, PW, 1, Out = Dim<WO>>,
{
    type Output = Tensor<N, C, HO, WO, E>;
    type Trace = ();
    type Training = Check<true>;

    #[inline]
    fn forward(&self, x: &Tensor<N, C, H, W, E>, y: &mut Self::Output, _: &mut ()) {
        Layer::<Tensor<N, C, H, W, E>>::infer_io(self, Io::apart_of(x, y), &mut []);
    }

    #[inline]
    fn infer_io(&self, io: Io<'_, E>, _: &mut [E]) {
        let (x, y) = io.apart();
        pool::avg_forward::<PoolGeom<N, C, H, W, HO, WO, K, S, P, KW, SW, PW>, E>(x, y);
    }
    #[inline]
    fn forward_train_unchecked(
        &mut self,
        x: &Tensor<N, C, H, W, E>,
        y: &mut Self::Output,
        t: &mut (),
    ) {
        self.forward(x, y, t)
    }
    #[inline]
    fn backward(
        &self,
        x: Input<'_, Tensor<N, C, H, W, E>>,
        _: &mut (),
        dy: &Self::Output,
        _: &mut Self,
    ) {
        if let Some(dx) = x.into_grad() {
            pool::avg_backward::<PoolGeom<N, C, H, W, HO, WO, K, S, P, KW, SW, PW>, E>(
                dy.as_slice(),
                dx.as_mut_slice(),
            );
        }
    }
}
