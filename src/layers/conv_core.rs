//! The core the convolution family shares. [`Conv2d`](super::Conv2d),
//! [`GroupedConv2d`](super::GroupedConv2d), [`DepthwiseConv2d`](super::DepthwiseConv2d),
//! [`ConvTranspose2d`](super::ConvTranspose2d) and [`Linear`](super::Linear) are each one weight
//! tensor and an optional bias, run by the kernels on flat slices. Each layer states where its
//! parameters are ([`Params`]) and, in its `Layer` impl, its shape rule (the impl's `where`
//! clause) and the passes that run its geometry ([`Direct`], [`Transposed`], [`Depthwise`]).
//! The parameter walk ([`visit`]) and the bodies of `Layer` ([`layer_body!`](layer_body)) are
//! written here, once.

use core::marker::PhantomData;

use crate::element::Element;
use crate::kernels::conv::{self, ConvGeometry};
use crate::kernels::depthwise::{self, DepthwiseGeometry};
use crate::kernels::pointwise;
use crate::layer::{Input, Io};
use crate::tensor::Batch;
use crate::visit::{Path, TensorInfo, Visitor, parts};

/// Where a convolution-family layer keeps its parameters.
pub(crate) trait Params<E: Element>: Sized {
    /// PyTorch's shape of the weight tensor.
    const WEIGHT_SHAPE: &'static [usize];
    /// The fan-in PyTorch's initialisers compute from that shape.
    const FAN_IN: usize;
    /// The weights, flat, in PyTorch's order.
    fn weight(&self) -> &[E];
    /// The bias, if the layer has one.
    fn bias(&self) -> Option<&[E]>;
    /// The weights and the bias, mutable.
    fn params_mut(&mut self) -> (&mut [E], Option<&mut [E]>);
}

/// `Module::visit` of every conv-family layer: the weight, then the bias if there is one.
pub(crate) fn visit<L: Params<E>, E: Element, V: Visitor<E, K>, const K: usize>(
    mut m: [&mut L; K],
    path: &Path<'_>,
    v: &mut V,
) {
    let p = path.field("weight");
    v.tensor(
        TensorInfo::param(&p, L::WEIGHT_SHAPE, L::FAN_IN),
        parts(&mut m, |l| l.params_mut().0),
    );
    if let Some(len) = m[0].bias().map(<[E]>::len) {
        let p = path.field("bias");
        v.tensor(
            TensorInfo::param(&p, &[len], L::FAN_IN),
            parts(&mut m, |l| {
                l.params_mut().1.expect("bias presence is a type property")
            }),
        );
    }
}

/// The kernel passes that run one geometry, on flat slices.
pub(crate) trait Passes<E: Element> {
    /// Floating-point operations of one forward pass (a multiply-add counts two).
    const FLOPS: u64;
    /// `y = layer(x)` with weights `w` and bias `bias`. Overwrites `y`.
    fn forward(x: &[E], w: &[E], bias: Option<&[E]>, y: &mut [E]);
    /// `dw += ∂L/∂w`, `dbias += ∂L/∂bias` from the input `x` and the output gradient `dy`.
    fn backward_weight(x: &[E], dy: &[E], dw: &mut [E], dbias: Option<&mut [E]>);
    /// `dx = ∂L/∂x` from `dy` and the weights `w`. Overwrites `dx`.
    fn backward_data(dy: &[E], w: &[E], dx: &mut [E]);
}

/// The convolution of geometry `C` (grouped, or a dense layer as a `1 × 1` one on a `1 × 1`
/// map).
pub(crate) struct Direct<C>(PhantomData<C>);

/// The transposed convolution whose adjoint, the convolution its forward is the input gradient
/// of, has geometry `C` (so `C`'s input is the layer's output).
pub(crate) struct Transposed<C>(PhantomData<C>);

/// The depthwise convolution of geometry `G`.
pub(crate) struct Depthwise<G>(PhantomData<G>);

impl<C: ConvGeometry, E: Element> Passes<E> for Direct<C> {
    const FLOPS: u64 = (2 * C::N * C::CO * C::HO * C::WO * C::CIG * C::KH * C::KW) as u64;
    #[inline]
    fn forward(x: &[E], w: &[E], bias: Option<&[E]>, y: &mut [E]) {
        conv::forward::<C, E>(x, w, bias, y);
    }
    #[inline]
    fn backward_weight(x: &[E], dy: &[E], dw: &mut [E], dbias: Option<&mut [E]>) {
        conv::backward_weight::<C, E>(x, dy, dw, dbias);
    }
    #[inline]
    fn backward_data(dy: &[E], w: &[E], dx: &mut [E]) {
        conv::backward_data::<C, E>(dy, w, dx);
    }
}

impl<C: ConvGeometry, E: Element> Passes<E> for Transposed<C> {
    // (the adjoint's products, in the other order)
    const FLOPS: u64 = <Direct<C> as Passes<E>>::FLOPS;
    #[inline]
    fn forward(x: &[E], w: &[E], bias: Option<&[E]>, y: &mut [E]) {
        conv::transposed_forward::<C, E>(x, w, bias, y);
    }
    #[inline]
    fn backward_weight(x: &[E], dy: &[E], dw: &mut [E], dbias: Option<&mut [E]>) {
        // The adjoint's input is this layer's `dy`, its output gradient this layer's `x`.
        conv::backward_weight::<C, E>(dy, x, dw, None);
        if let Some(db) = dbias {
            pointwise::channel_sums(dy, db, C::H * C::W);
        }
    }
    #[inline]
    fn backward_data(dy: &[E], w: &[E], dx: &mut [E]) {
        conv::forward::<C, E>(dy, w, None, dx);
    }
}

impl<G: DepthwiseGeometry, E: Element> Passes<E> for Depthwise<G> {
    const FLOPS: u64 = (2 * G::N * G::C * G::HO * G::WO * G::KH * G::KW) as u64;
    #[inline]
    fn forward(x: &[E], w: &[E], bias: Option<&[E]>, y: &mut [E]) {
        depthwise::forward::<G, E>(x, w, bias, y);
    }
    #[inline]
    fn backward_weight(x: &[E], dy: &[E], dw: &mut [E], dbias: Option<&mut [E]>) {
        depthwise::backward_weight::<G, E>(x, dy, dw, dbias);
    }
    #[inline]
    fn backward_data(dy: &[E], w: &[E], dx: &mut [E]) {
        depthwise::backward_data::<G, E>(dy, w, dx);
    }
}

/// The forward pass of layer `l` through the passes `P`.
#[inline]
pub(crate) fn infer<L: Params<E>, P: Passes<E>, E: Element>(l: &L, io: Io<'_, E>) {
    let (x, y) = io.apart();
    P::forward(x, l.weight(), l.bias(), y);
}

/// The backward pass of layer `l` through the passes `P`: accumulates the parameter gradients
/// into `grads`, and writes the input gradient if `x` asks for it.
pub(crate) fn backward<L: Params<E>, P: Passes<E>, E: Element, X: Batch<Elem = E>>(
    l: &L,
    x: Input<'_, X>,
    dy: &[E],
    grads: &mut L,
) {
    let (dw, dbias) = grads.params_mut();
    P::backward_weight(x.get().flat(), dy, dw, dbias);
    if let Some(dx) = x.into_grad() {
        P::backward_data(dy, l.weight(), dx.flat_mut());
    }
}

/// The items of a conv-family layer's `Layer<$x>` impl, `$x → $y` on element type `$e`, run by
/// the passes `$p` (the impl header, written by each layer, holds the shape rule). No trace;
/// training is the forward pass.
macro_rules! layer_body {
    ($x:ty => $y:ty, $e:ty, $p:ty) => {
        type Output = $y;
        type Trace = ();
        type Training = $crate::shape::Check<true>;

        #[inline]
        fn forward(&self, x: &$x, y: &mut $y, _: &mut ()) {
            let io = $crate::layer::Io::apart_of(x, y);
            $crate::layers::conv_core::infer::<Self, $p, $e>(self, io);
        }

        #[inline]
        fn infer_io(&self, io: $crate::layer::Io<'_, $e>, _: &mut [$e]) {
            $crate::layers::conv_core::infer::<Self, $p, $e>(self, io);
        }

        #[inline]
        fn forward_train_unchecked(&mut self, x: &$x, y: &mut $y, _: &mut ()) {
            let io = $crate::layer::Io::apart_of(x, y);
            $crate::layers::conv_core::infer::<Self, $p, $e>(self, io);
        }

        fn backward(&self, x: $crate::layer::Input<'_, $x>, _: &mut (), dy: &$y, grads: &mut Self) {
            let dy = $crate::tensor::Batch::flat(dy);
            $crate::layers::conv_core::backward::<Self, $p, $e, $x>(self, x, dy, grads);
        }

        fn flops() -> u64 {
            <$p as $crate::layers::conv_core::Passes<$e>>::FLOPS
        }
    };
}
pub(crate) use layer_body;

/// The flat views of the weights (`weight_flat`, `weight_flat_mut`) and the `Params`, `Module`
/// and `ToElement` impls of a conv-family layer `$ty` with the generic parameters `$generics`,
/// element type `$e` and bias mode `B: $bias`: its bias storage is `self.bias`, its weights
/// `self.weight`, flattened by the methods `$flat` and `$flat_mut`; the weight's PyTorch shape
/// and fan-in; the same type in element type `E2` (`$retyped`).
macro_rules! params {
    ([$($generics:tt)*] $ty:ty, $e:ty, B: $bias:path, shape: [$($dim:expr),*],
     fan_in: $fan_in:expr, flat: $($flat:ident).+, flat_mut: $($flat_mut:ident).+,
     in E2: $retyped:ty) => {
        impl<$($generics)*> $ty {
            #[doc = concat!(
                "The weights as one flat slice, in PyTorch's order (`",
                stringify!([$($dim),*]),
                "`)."
            )]
            #[inline]
            pub fn weight_flat(&self) -> &[$e] {
                self.weight$(.$flat())+
            }
            /// The weights as one flat mutable slice.
            #[inline]
            pub fn weight_flat_mut(&mut self) -> &mut [$e] {
                self.weight$(.$flat_mut())+
            }
        }

        impl<$($generics)*, E2: $crate::element::Element> $crate::layer::ToElement<E2> for $ty {
            type Out = $retyped;
        }

        impl<$($generics)*> $crate::layers::conv_core::Params<$e> for $ty {
            const WEIGHT_SHAPE: &'static [usize] = &[$($dim),*];
            const FAN_IN: usize = $fan_in;
            #[inline]
            fn weight(&self) -> &[$e] {
                self.weight_flat()
            }
            #[inline]
            fn bias(&self) -> Option<&[$e]> {
                <B as $bias>::get(&self.bias)
            }
            #[inline]
            fn params_mut(&mut self) -> (&mut [$e], Option<&mut [$e]>) {
                let Self { weight, bias } = self;
                (weight$(.$flat_mut())+, <B as $bias>::get_mut(bias))
            }
        }

        impl<$($generics)*> $crate::visit::Module<$e> for $ty {
            fn visit<V: $crate::visit::Visitor<$e, MODULES>, const MODULES: usize>(
                m: [&mut Self; MODULES],
                path: &$crate::visit::Path<'_>,
                v: &mut V,
            ) {
                $crate::layers::conv_core::visit(m, path, v)
            }
        }
    };
}
pub(crate) use params;
