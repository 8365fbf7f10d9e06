//! [`Identity`]: the layer that passes its input through unchanged.

use crate::element::Element;
use crate::kernels::channels;
use crate::layer::{Input, Io, Layer};
use crate::shape::Check;
use crate::tensor::Tensor;
use crate::visit::stateless_module;

/// `y = x` (PyTorch's `nn.Identity`). Useful as a branch of a
/// [`Concat`](crate::compose::concat::Concat): DenseNet's `cat([x, f(x)])` is
/// `Concat<(Identity, F)>`.
#[derive(Clone, Copy, Debug, Default)]
pub struct Identity;

crate::zeroable::zeroable_struct!([] Identity {  });

stateless_module!(Identity);

impl<const N: usize, const C: usize, const H: usize, const W: usize, E: Element>
    Layer<Tensor<N, C, H, W, E>> for Identity
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
            let len = Tensor::<N, C, H, W, E>::LEN;
            channels::insert(dy.as_slice(), dx.as_mut_slice(), len, len, 0);
        }
    }
}
