//! Element-wise activations: [`Relu`], [`Relu6`], [`LeakyRelu`], [`Sigmoid`], [`Tanh`],
//! [`Hardswish`], [`Hardsigmoid`].
//!
//! They work on any tensor shape, have no parameters and no trace: backward recomputes the
//! derivative from the layer's input (which the chain keeps), so activations cost no training
//! memory of their own.

use crate::element::Element;
use crate::kernels::pointwise;
use crate::layer::{Input, Io, Layer};
use crate::shape::Check;
use crate::tensor::Tensor;
use crate::visit::stateless_module;

/// An element-wise function and its derivative, written in terms of the input.
pub trait Activation {
    /// `f(x)`.
    fn f<E: Element>(x: E) -> E;
    /// `f′(x)`.
    fn df<E: Element>(x: E) -> E;
}

/// Rectified linear unit, `max(x, 0)` (derivative 0 at 0, like PyTorch).
#[derive(Clone, Copy, Debug, Default)]
pub struct Relu;
/// `min(max(x, 0), 6)`, used by MobileNetV2 (derivative 0 at 0 and 6, like PyTorch).
#[derive(Clone, Copy, Debug, Default)]
pub struct Relu6;
/// Leaky ReLU with negative slope `SLOPE_E4 / 10 000`: `LeakyRelu` (= `LeakyRelu<100>`) has
/// PyTorch's default slope 0.01, `LeakyRelu<2000>` has 0.2.
#[derive(Clone, Copy, Debug, Default)]
pub struct LeakyRelu<const SLOPE_E4: u32 = 100>;
/// Logistic sigmoid `1 / (1 + e^−x)`.
#[derive(Clone, Copy, Debug, Default)]
pub struct Sigmoid;
/// Hyperbolic tangent.
#[derive(Clone, Copy, Debug, Default)]
pub struct Tanh;
/// `x · relu6(x + 3) / 6` (PyTorch's `nn.Hardswish`, MobileNetV3). Its derivative is PyTorch's:
/// 0 up to −3 (included), `x/3 + 1/2` strictly between −3 and 3, 1 from 3 on.
#[derive(Clone, Copy, Debug, Default)]
pub struct Hardswish;
/// `relu6(x + 3) / 6` (PyTorch's `nn.Hardsigmoid`, MobileNetV3's squeeze-and-excitation gate).
/// Derivative `1/6` strictly between −3 and 3, else 0 (PyTorch's).
#[derive(Clone, Copy, Debug, Default)]
pub struct Hardsigmoid;

impl Activation for Relu {
    #[inline(always)]
    fn f<E: Element>(x: E) -> E {
        // `x < 0` is false for NaN, so NaN propagates like in PyTorch.
        if x < E::zero() { E::zero() } else { x }
    }
    #[inline(always)]
    fn df<E: Element>(x: E) -> E {
        if x > E::zero() { E::one() } else { E::zero() }
    }
}

impl Activation for Relu6 {
    #[inline(always)]
    fn f<E: Element>(x: E) -> E {
        // NaN falls through both comparisons and propagates, like in PyTorch.
        let six = E::of(6.0);
        if x > six {
            six
        } else if x < E::zero() {
            E::zero()
        } else {
            x
        }
    }
    #[inline(always)]
    fn df<E: Element>(x: E) -> E {
        if x > E::zero() && x < E::of(6.0) {
            E::one()
        } else {
            E::zero()
        }
    }
}

impl<const SLOPE_E4: u32> Activation for LeakyRelu<SLOPE_E4> {
    #[inline(always)]
    fn f<E: Element>(x: E) -> E {
        if x > E::zero() {
            x
        } else {
            x * E::of(SLOPE_E4 as f64 / 10_000.0)
        }
    }
    #[inline(always)]
    fn df<E: Element>(x: E) -> E {
        if x > E::zero() {
            E::one()
        } else {
            E::of(SLOPE_E4 as f64 / 10_000.0)
        }
    }
}

impl Activation for Sigmoid {
    #[inline(always)]
    fn f<E: Element>(x: E) -> E {
        // Stable for large |x|: never computes e^(+large).
        if x >= E::zero() {
            E::one() / (E::one() + (-x).exp())
        } else {
            let e = x.exp();
            e / (E::one() + e)
        }
    }
    #[inline(always)]
    fn df<E: Element>(x: E) -> E {
        let s = Self::f(x);
        s * (E::one() - s)
    }
}

impl Activation for Tanh {
    #[inline(always)]
    fn f<E: Element>(x: E) -> E {
        x.tanh()
    }
    #[inline(always)]
    fn df<E: Element>(x: E) -> E {
        let t = x.tanh();
        E::one() - t * t
    }
}

impl Activation for Hardswish {
    #[inline(always)]
    fn f<E: Element>(x: E) -> E {
        x * Relu6::f(x + E::of(3.0)) / E::of(6.0)
    }
    #[inline(always)]
    fn df<E: Element>(x: E) -> E {
        let three = E::of(3.0);
        if x <= -three {
            E::zero()
        } else if x < three {
            x / three + E::of(0.5)
        } else {
            E::one()
        }
    }
}

impl Activation for Hardsigmoid {
    #[inline(always)]
    fn f<E: Element>(x: E) -> E {
        Relu6::f(x + E::of(3.0)) / E::of(6.0)
    }
    #[inline(always)]
    fn df<E: Element>(x: E) -> E {
        let three = E::of(3.0);
        if x > -three && x < three {
            E::one() / E::of(6.0)
        } else {
            E::zero()
        }
    }
}

stateless_module!(Relu, Relu6, Sigmoid, Tanh, Hardswish, Hardsigmoid);
impl<E, const SLOPE_E4: u32> crate::visit::Module<E> for LeakyRelu<SLOPE_E4> {
    #[inline]
    fn visit<V: crate::visit::Visitor<E, K>, const K: usize>(
        _: [&mut Self; K],
        _: &crate::visit::Path<'_>,
        _: &mut V,
    ) {
    }
}

macro_rules! activation_layer {
    ($t:ty $(, const $c:ident)?) => {
        crate::zeroable::zeroable_struct!([$(const $c: u32)?] $t {});

        impl<$(const $c: u32,)? const N: usize, const C: usize, const H: usize, const W: usize, E: Element>
            Layer<Tensor<N, C, H, W, E>> for $t
        {
            type Output = Tensor<N, C, H, W, E>;
            type Trace = ();
            type Training = Check<true>;
            #[inline]
            fn forward(&self, x: &Tensor<N, C, H, W, E>, y: &mut Self::Output, _: &mut ()) {
                Layer::<Tensor<N, C, H, W, E>>::infer_io(self, Io::apart_of(x, y), &mut []);
            }
            const IN_PLACE: bool = true;
            #[inline]
            fn infer_io(&self, io: Io<'_, E>, _: &mut [E]) {
                let (x, y) = io.split();
                pointwise::map(x, y, <$t as Activation>::f::<E>);
            }
            #[inline]
            fn forward_train_unchecked(&mut self, x: &Tensor<N, C, H, W, E>, y: &mut Self::Output, t: &mut ()) {
                self.forward(x, y, t)
            }
            #[inline]
            fn backward(&self, x: Input<'_, Tensor<N, C, H, W, E>>, _: &mut (), dy: &Self::Output, _: &mut Self) {
                if let Some(x) = x.into_grad() {
                    pointwise::backward_in_place(x.as_mut_slice(), dy.as_slice(), <$t as Activation>::df::<E>);
                }
            }
        }
    };
}
activation_layer!(Relu);
activation_layer!(Relu6);
activation_layer!(Sigmoid);
activation_layer!(Tanh);
activation_layer!(Hardswish);
activation_layer!(Hardsigmoid);
activation_layer!(LeakyRelu<SLOPE_E4>, const SLOPE_E4);
