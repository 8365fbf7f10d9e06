//! [`GlobalAvgPool2d`]: the mean of every feature map, `N × C × H × W → N × C × 1 × 1`.

use crate::element::Element;
use crate::kernels::reduce::{self, PlaneGeom};
use crate::layer::{Input, Io, Layer};
use crate::shape::Check;
use crate::tensor::Tensor;

/// Global average pooling: `Tensor<N, C, H, W>` → `Tensor<N, C, 1, 1>`, each output the mean of
/// its `H × W` plane (the head of ResNet, GoogLeNet, MobileNet). Backward spreads
/// `dy / (H·W)` over the plane. Works for any `H × W`; no parameters, no trace.
///
/// ```
/// use constnet::prelude::*;
/// let mut x = Tensor::<1, 2, 2, 2>::zeros();
/// x.0[0][1] = [[1.0, 2.0], [3.0, 4.0]];
/// let mut y = Tensor::<1, 2, 1, 1>::zeros();
/// GlobalAvgPool2d.forward(&x, &mut y, &mut ());
/// assert_eq!(y.0[0][1][0][0], 2.5);
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct GlobalAvgPool2d;

/// PyTorch's `nn.AdaptiveAvgPool2d(1)` (or `(1, 1)`): with a 1 × 1 output size, adaptive
/// average pooling is exactly global average pooling, so this is the same layer.
pub type AdaptiveAvgPool2d1x1 = GlobalAvgPool2d;

crate::zeroable::zeroable_struct!([] GlobalAvgPool2d {  });

crate::visit::stateless_module!(GlobalAvgPool2d);

impl<const N: usize, const C: usize, const H: usize, const W: usize, E: Element>
    Layer<Tensor<N, C, H, W, E>> for GlobalAvgPool2d
{
    type Output = Tensor<N, C, 1, 1, E>;
    type Trace = ();
    type Training = Check<true>;

    #[inline]
    fn forward(&self, x: &Tensor<N, C, H, W, E>, y: &mut Self::Output, _: &mut ()) {
        Layer::<Tensor<N, C, H, W, E>>::infer_io(self, Io::apart_of(x, y), &mut []);
    }

    #[inline]
    fn infer_io(&self, io: Io<'_, E>, _: &mut [E]) {
        let (x, y) = io.apart();
        reduce::mean_forward::<PlaneGeom<N, C, H, W>, E>(x, y);
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
            reduce::mean_backward::<PlaneGeom<N, C, H, W>, E>(dy.as_slice(), dx.as_mut_slice());
        }
    }

    fn flops() -> u64 {
        (N * C * H * W) as u64
    }
}
