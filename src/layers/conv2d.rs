//! [`Conv2d`]: 2-D convolution with stride, padding, dilation and an optional bias.

use crate::element::Element;
use crate::kernels::conv::{self, Geom};
use crate::layer::{Input, Io, Layer};
use crate::layers::bias::{Bias, BiasMode};
use crate::memory::Zeroable;
use crate::module::{Module, Path, TensorInfo, Visitor};
use crate::shape::{Check, Dim, Window};
use crate::tensor::Tensor;

/// 2-D convolution (PyTorch's `nn.Conv2d`): `CI` → `CO` channels, square kernel `K`,
/// stride `S`, padding `P` (zeros), dilation `D`, with a bias unless `B` is
/// [`NoBias`](crate::layers::NoBias).
///
/// On an input `Tensor<N, CI, H, W>` it gives `Tensor<N, CO, HO, WO>` with
/// `HO = ⌊(H + 2P − D·(K − 1) − 1) / S⌋ + 1`, computed at compile time: a channel count that
/// does not match, or a kernel that does not fit, is a compile error.
///
/// ```
/// use constnet::prelude::*;
/// let conv = <Conv2d<1, 6, 5>>::zeroed();
/// let x = Tensor::<1, 1, 28, 28>::zeros();
/// let mut y = Tensor::<1, 6, 24, 24>::zeros(); // any other shape would not compile
/// conv.forward(&x, &mut y, &mut ());
/// ```
#[derive(Clone, Copy, Debug)]
pub struct Conv2d<
    const CI: usize,
    const CO: usize,
    const K: usize,
    const S: usize = 1,
    const P: usize = 0,
    B: BiasMode = Bias,
    E: Element = f32,
    const D: usize = 1,
> {
    /// Weights, PyTorch layout `[CO, CI, K, K]`.
    pub weight: [[[[E; K]; K]; CI]; CO],
    /// Bias, `[CO]` (absent with `NoBias`).
    pub bias: B::Store<E, CO>,
}

// SAFETY: all fields are float arrays (or `()`), for which all-zero bytes are valid.
#[allow(unsafe_code)]
unsafe impl<
    const CI: usize,
    const CO: usize,
    const K: usize,
    const S: usize,
    const P: usize,
    B: BiasMode,
    E: Element,
    const D: usize,
> Zeroable for Conv2d<CI, CO, K, S, P, B, E, D>
{
    const ZERO: Self = Self {
        weight: Zeroable::ZERO,
        bias: Zeroable::ZERO,
    };
}

impl<
    const CI: usize,
    const CO: usize,
    const K: usize,
    const S: usize,
    const P: usize,
    B: BiasMode,
    E: Element,
    const D: usize,
> Conv2d<CI, CO, K, S, P, B, E, D>
{
    /// The weights as one flat slice.
    #[inline]
    pub fn weight_flat(&self) -> &[E] {
        self.weight.as_flattened().as_flattened().as_flattened()
    }
}

impl<
    const CI: usize,
    const CO: usize,
    const K: usize,
    const S: usize,
    const P: usize,
    B: BiasMode,
    E: Element,
    const D: usize,
> Module<E> for Conv2d<CI, CO, K, S, P, B, E, D>
{
    fn visit<V: Visitor<E, KK>, const KK: usize>(
        mut m: [&mut Self; KK],
        path: &Path<'_>,
        v: &mut V,
    ) {
        let fan_in = CI * K * K;
        let p = path.field("weight");
        v.tensor(
            TensorInfo::param(&p, &[CO, CI, K, K], fan_in),
            m.each_mut().map(|l| {
                l.weight
                    .as_flattened_mut()
                    .as_flattened_mut()
                    .as_flattened_mut()
            }),
        );
        if B::get(&m[0].bias).is_some() {
            let p = path.field("bias");
            v.tensor(
                TensorInfo::param(&p, &[CO], fan_in),
                m.map(|l| B::get_mut(&mut l.bias).expect("bias presence is a type property")),
            );
        }
    }
}

impl<
    const N: usize,
    const CI: usize,
    const CO: usize,
    const K: usize,
    const S: usize,
    const P: usize,
    B: BiasMode,
    E: Element,
    const D: usize,
    const H: usize,
    const W: usize,
    const HO: usize,
    const WO: usize,
> Layer<Tensor<N, CI, H, W, E>> for Conv2d<CI, CO, K, S, P, B, E, D>
where
    Dim<H>: Window<K, S, P, D, Out = Dim<HO>>,
    Dim<W>: Window<K, S, P, D, Out = Dim<WO>>,
{
    type Output = Tensor<N, CO, HO, WO, E>;
    type Trace = ();
    type Training = Check<true>;

    #[inline]
    fn forward(&self, x: &Tensor<N, CI, H, W, E>, y: &mut Self::Output, _: &mut ()) {
        Layer::<Tensor<N, CI, H, W, E>>::infer_io(self, Io::apart_of(x, y), &mut []);
    }

    #[inline]
    fn infer_io(&self, io: Io<'_, E>, _: &mut [E]) {
        let (x, y) = io.apart();
        conv::forward::<Geom<N, 1, CI, CO, H, W, HO, WO, K, S, P, D>, E>(
            x,
            self.weight_flat(),
            B::get(&self.bias),
            y,
        );
    }

    #[inline]
    fn forward_train_unchecked(
        &mut self,
        x: &Tensor<N, CI, H, W, E>,
        y: &mut Self::Output,
        t: &mut (),
    ) {
        self.forward(x, y, t)
    }

    fn backward(
        &self,
        x: Input<'_, Tensor<N, CI, H, W, E>>,
        _: &mut (),
        dy: &Self::Output,
        grads: &mut Self,
    ) {
        type G<
            const N: usize,
            const CI: usize,
            const CO: usize,
            const H: usize,
            const W: usize,
            const HO: usize,
            const WO: usize,
            const K: usize,
            const S: usize,
            const P: usize,
            const D: usize,
        > = Geom<N, 1, CI, CO, H, W, HO, WO, K, S, P, D>;
        conv::backward_weight::<G<N, CI, CO, H, W, HO, WO, K, S, P, D>, E>(
            x.get().as_slice(),
            dy.as_slice(),
            grads
                .weight
                .as_flattened_mut()
                .as_flattened_mut()
                .as_flattened_mut(),
            B::get_mut(&mut grads.bias),
        );
        if let Some(dx) = x.into_grad() {
            conv::backward_data::<G<N, CI, CO, H, W, HO, WO, K, S, P, D>, E>(
                dy.as_slice(),
                self.weight_flat(),
                dx.as_mut_slice(),
            );
        }
    }

    fn flops() -> u64 {
        (2 * N * CO * HO * WO * CI * K * K) as u64
    }
}
