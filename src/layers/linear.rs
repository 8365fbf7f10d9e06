//! [`Linear`]: fully connected layer, and [`Flatten`].

use crate::element::Element;
use crate::kernels::conv::Geom;
use crate::layer::{Input, Io, Layer};
use crate::layers::bias::{Bias, BiasMode};
use crate::layers::conv_core::{self, Direct};
use crate::shape::{Check, Dim, FlattensTo, Volume};
use crate::tensor::Tensor;
use crate::visit::{Module, Path, Visitor};

/// Fully connected layer (PyTorch's `nn.Linear`): `y = x·Wᵀ + b`, `IN` → `OUT` features.
///
/// Accepts any `Tensor<N, C, H, W>` with `C·H·W = IN` (read in `C, H, W` order, exactly like
/// PyTorch's `Flatten` followed by `Linear`), and gives `Tensor<N, OUT, 1, 1>`. A size that does
/// not match is a compile error.
///
/// Computed by the convolution kernels as a 1×1 convolution on a 1×1 map.
#[derive(Clone, Copy, Debug)]
pub struct Linear<const IN: usize, const OUT: usize, B: BiasMode = Bias, E: Element = f32> {
    /// Weights, PyTorch layout `[OUT, IN]`.
    pub weight: [[E; IN]; OUT],
    /// Bias, `[OUT]` (absent with `NoBias`).
    pub bias: B::Store<E, OUT>,
}

crate::zeroable::zeroable_struct!([const IN: usize, const OUT: usize, B: BiasMode, E: Element] Linear<IN, OUT, B, E> { weight, bias });

conv_core::params!(
    [const IN: usize, const OUT: usize, B: BiasMode, E: Element]
    Linear<IN, OUT, B, E>, E, B: BiasMode,
    shape: [OUT, IN], fan_in: IN,
    flat: as_flattened,
    flat_mut: as_flattened_mut,
    in E2: Linear<IN, OUT, B, E2>
);

type LinearGeom<const N: usize, const IN: usize, const OUT: usize> =
    Geom<N, 1, IN, OUT, 1, 1, 1, 1, 1, 1, 0, 1>;

impl<
    const N: usize,
    const C: usize,
    const H: usize,
    const W: usize,
    const IN: usize,
    const OUT: usize,
    B: BiasMode,
    E: Element,
> Layer<Tensor<N, C, H, W, E>> for Linear<IN, OUT, B, E>
where
    Dim<C>: FlattensTo<C, H, W, IN>,
{
    conv_core::layer_body!(
        Tensor<N, C, H, W, E> => Tensor<N, OUT, 1, 1, E>, E,
        Direct<LinearGeom<N, IN, OUT>>
    );
}

/// Reshapes `Tensor<N, C, H, W>` to `Tensor<N, C·H·W, 1, 1>` (PyTorch's `nn.Flatten`, `C, H, W`
/// order). [`Linear`] flattens by itself; this layer exists so that a chain can mirror a
/// PyTorch `nn.Sequential` index for index.
#[derive(Clone, Copy, Debug, Default)]
pub struct Flatten;

crate::zeroable::zeroable_struct!([] Flatten {  });
impl<E> Module<E> for Flatten {
    #[inline]
    fn visit<V: Visitor<E, K>, const K: usize>(_: [&mut Self; K], _: &Path<'_>, _: &mut V) {}
}

impl<const N: usize, const C: usize, const H: usize, const W: usize, const F: usize, E: Element>
    Layer<Tensor<N, C, H, W, E>> for Flatten
where
    Dim<C>: Volume<H, W, Out = Dim<F>>,
{
    type Output = Tensor<N, F, 1, 1, E>;
    type Trace = ();
    type Training = Check<true>;
    #[inline]
    fn forward(&self, x: &Tensor<N, C, H, W, E>, y: &mut Self::Output, _: &mut ()) {
        Layer::<Tensor<N, C, H, W, E>>::infer_io(self, Io::apart_of(x, y), &mut []);
    }
    /// Nothing to do in place: the flat values are the same.
    const IN_PLACE: bool = true;
    #[inline]
    fn infer_io(&self, io: Io<'_, E>, _: &mut [E]) {
        io.identity();
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
            dx.as_mut_slice().copy_from_slice(dy.as_slice());
        }
    }
}
