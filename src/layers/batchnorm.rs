//! [`BatchNorm2d`]: batch normalisation over the channels of a feature map, and
//! [`fold_conv_bn`], which merges a trained batch norm into the convolution before it.

use crate::element::Element;
use crate::kernels::norm::{self, ChannelGeom};
use crate::layer::{Input, Io, Layer};
use crate::layers::bias::{Bias, BiasMode};
use crate::layers::conv2d::Conv2d;
use crate::shape::{BatchStats, Dim, Holds, SizesEq};
use crate::tensor::Tensor;
use crate::visit::{Module, Path, TensorInfo, Visitor, parts};
use crate::zeroable::Zeroable;
use core::marker::PhantomData;

/// Batch normalisation over `C` channels (PyTorch's `nn.BatchNorm2d(C)`: affine, tracking
/// running statistics), with `eps` and `momentum` from the configuration type `Cfg`
/// ([`BatchNormConfig`]; by default PyTorch's, [`BnDefaults`]: `eps = 1e-5`,
/// `momentum = 0.1`).
///
/// `y = γ·(x − μ)/√(σ² + ε) + β`, per channel, over the `M = N·H·W` values of that channel.
///
/// * Training ([`Layer::forward_train`]): `μ`, `σ²` are the batch mean and **biased** variance.
///   The running statistics move towards the batch's with weight [`Self::MOMENTUM`] on the new
///   value (`None`: the cumulative average, weight `1/num_batches_tracked`, as PyTorch's
///   `momentum=None`), using the **unbiased** variance `σ²·M/(M − 1)`; `num_batches_tracked`
///   counts the steps. Backward propagates through the batch statistics. Training needs `M > 1`, a
///   compile-time rule ([`Layer::Training`] is [`BatchStats<N, H, W>`], which
///   [`Layer::forward_train`] requires to be [`Trainable`](crate::shape::Trainable)), where
///   PyTorch raises an error at run time. Eval mode has no such rule.
/// * Eval ([`Layer::forward`]): `μ`, `σ²` are the running statistics; backward is
///   `dx = dy·γ/√(σ² + ε)`.
///
/// The trace records which of the two ran, so backward always matches its forward.
///
/// A zeroed value has `γ = 0` and running variance 0; start from [`BatchNorm2d::new`]
/// (PyTorch's initial values) or initialise through [`Module::visit`], which reports
/// `Init::Const` values 1, 0, 0, 1 for `weight`, `bias`, `running_mean`, `running_var`.
///
/// ```
/// use constnet::prelude::*;
/// let mut bn = BatchNorm2d::<2>::new();
/// let mut x = Tensor::<2, 2, 1, 2>::zeros();
/// x.fill_with(|i| i as f32);
/// let mut y = Tensor::<2, 2, 1, 2>::zeros();
/// let mut trace = BatchNormTrace::zeroed();
/// bn.forward_train(&x, &mut y, &mut trace);
/// // Channel 0 holds 0, 1, 4, 5: mean 2.5, biased variance 4.25.
/// assert!((y.0[0][0][0][0] - (-2.5 / 4.25f32.sqrt())).abs() < 1e-4);
/// assert!((bn.running_mean[0] - 0.25).abs() < 1e-6);
/// assert_eq!(bn.num_batches_tracked, 1);
/// ```
///
/// Other constants, per layer, as PyTorch's `nn.BatchNorm2d(C, eps=1e-3, momentum=0.01)`:
///
/// ```
/// use constnet::prelude::*;
/// #[derive(Clone, Copy, Debug)]
/// struct Slow;
/// impl BatchNormConfig for Slow {
///     const EPS: f64 = 1e-3;
///     const MOMENTUM: Option<f64> = Some(0.01);
/// }
/// let bn = BatchNorm2d::<2, f32, Slow>::new();
/// assert_eq!(BatchNorm2d::<2, f32, Slow>::EPS, 1e-3);
/// // torchvision's GoogLeNet and Inception-v3: `eps = 1e-3`, `momentum = 0.1`.
/// assert_eq!(BatchNorm2d::<2, f32, BnEps1e3>::EPS, 1e-3);
/// ```
#[derive(Clone, Copy, Debug)]
pub struct BatchNorm2d<const C: usize, E: Element = f32, Cfg: BatchNormConfig = BnDefaults> {
    /// Scale `γ` (PyTorch's `weight`), a trainable parameter.
    pub weight: [E; C],
    /// Shift `β` (PyTorch's `bias`), a trainable parameter.
    pub bias: [E; C],
    /// Running mean (a buffer: saved, not trained).
    pub running_mean: [E; C],
    /// Running (unbiased) variance (a buffer).
    pub running_var: [E; C],
    /// Number of training steps seen (PyTorch's `num_batches_tracked`).
    pub num_batches_tracked: u64,
    /// The constants (no storage).
    config: PhantomData<Cfg>,
}

/// The constants of a [`BatchNorm2d`], PyTorch's `eps` and `momentum`: a type, so that they
/// cost no storage, are known at compile time, and a zeroed or loaded layer cannot lose them
/// (weight files do not hold them, PyTorch's do not either).
pub trait BatchNormConfig: Copy + core::fmt::Debug + Send + Sync + 'static {
    /// `ε`, added to the variance before the square root.
    const EPS: f64;
    /// Weight of the new batch statistic in the running averages; `None` for the cumulative
    /// average (weight `1/num_batches_tracked`), PyTorch's `momentum=None`.
    const MOMENTUM: Option<f64>;
}

/// PyTorch's defaults: `eps = 1e-5`, `momentum = 0.1`.
#[derive(Clone, Copy, Debug, Default)]
pub struct BnDefaults;

impl BatchNormConfig for BnDefaults {
    const EPS: f64 = 1e-5;
    const MOMENTUM: Option<f64> = Some(0.1);
}

/// `eps = 1e-3`, `momentum = 0.1`: torchvision's GoogLeNet and Inception-v3
/// (`BasicConv2d`'s `nn.BatchNorm2d(out_channels, eps=0.001)`).
#[derive(Clone, Copy, Debug, Default)]
pub struct BnEps1e3;

impl BatchNormConfig for BnEps1e3 {
    const EPS: f64 = 1e-3;
    const MOMENTUM: Option<f64> = Some(0.1);
}

crate::zeroable::zeroable_struct!([const C: usize, E: Element, Cfg: BatchNormConfig] BatchNorm2d<C, E, Cfg> { weight, bias, running_mean, running_var, num_batches_tracked, config });

impl<const C: usize, E: Element, Cfg: BatchNormConfig> BatchNorm2d<C, E, Cfg> {
    /// `ε`, added to the variance before the square root ([`BatchNormConfig::EPS`]).
    pub const EPS: f64 = Cfg::EPS;
    /// Weight of the new batch statistic in the running averages
    /// ([`BatchNormConfig::MOMENTUM`]; `None`: the cumulative average).
    pub const MOMENTUM: Option<f64> = Cfg::MOMENTUM;

    /// PyTorch's initial state: `γ = 1`, `β = 0`, running mean 0, running variance 1.
    pub fn new() -> Self {
        let mut bn = Self::zeroed();
        bn.reset();
        bn
    }

    /// Sets PyTorch's initial state in place (`γ = 1`, `β = 0`, mean 0, variance 1, counter 0).
    pub fn reset(&mut self) {
        self.weight = [E::one(); C];
        self.bias = [E::zero(); C];
        self.running_mean = [E::zero(); C];
        self.running_var = [E::one(); C];
        self.num_batches_tracked = 0;
    }
}

impl<const C: usize, E: Element, Cfg: BatchNormConfig> Default for BatchNorm2d<C, E, Cfg> {
    fn default() -> Self {
        Self::new()
    }
}

impl<const C: usize, E: Element, Cfg: BatchNormConfig> Module<E> for BatchNorm2d<C, E, Cfg> {
    fn visit<V: Visitor<E, K>, const K: usize>(mut m: [&mut Self; K], path: &Path<'_>, v: &mut V) {
        let p = path.field("weight");
        v.tensor(
            TensorInfo::param_const(&p, &[C], 1.0),
            parts(&mut m, |l| &mut l.weight[..]),
        );
        let p = path.field("bias");
        v.tensor(
            TensorInfo::param_const(&p, &[C], 0.0),
            parts(&mut m, |l| &mut l.bias[..]),
        );
        let p = path.field("running_mean");
        v.tensor(
            TensorInfo::buffer(&p, &[C], 0.0),
            parts(&mut m, |l| &mut l.running_mean[..]),
        );
        let p = path.field("running_var");
        v.tensor(
            TensorInfo::buffer(&p, &[C], 1.0),
            parts(&mut m, |l| &mut l.running_var[..]),
        );
        let p = path.field("num_batches_tracked");
        v.counter(&p, parts(&mut m, |l| &mut l.num_batches_tracked));
    }
}

/// What [`BatchNorm2d`]'s forward pass records for backward: the per-channel mean and inverse
/// standard deviation it normalised with, and whether they were batch statistics.
#[derive(Clone, Copy, Debug)]
pub struct BatchNormTrace<const C: usize, E> {
    /// The mean `μ` used (batch mean in training, running mean in eval).
    pub mean: [E; C],
    /// `1/√(σ² + ε)` used.
    pub inv_std: [E; C],
    /// `1` if the statistics were the batch's own (training forward), `0` if they were the
    /// running statistics (eval forward).
    pub batch_stats: u32,
}

crate::zeroable::zeroable_struct!([const C: usize, E: Zeroable] BatchNormTrace<C, E> { mean, inv_std, batch_stats });

pub use crate::shape::ChannelsMatch;

impl<
    const N: usize,
    const C: usize,
    const CX: usize,
    const H: usize,
    const W: usize,
    E: Element,
    Cfg: BatchNormConfig,
> Layer<Tensor<N, CX, H, W, E>> for BatchNorm2d<C, E, Cfg>
where
    Dim<CX>: SizesEq<Dim<C>>,
    Holds<<Dim<CX> as SizesEq<Dim<C>>>::Out>: ChannelsMatch<C, CX>,
{
    type Output = Tensor<N, CX, H, W, E>;
    type Trace = BatchNormTrace<C, E>;
    type Training = BatchStats<N, H, W>;

    fn forward(&self, x: &Tensor<N, CX, H, W, E>, y: &mut Self::Output, t: &mut Self::Trace) {
        t.mean = self.running_mean;
        t.inv_std = self.running_var;
        t.batch_stats = 0;
        norm::var_to_inv_std(&mut t.inv_std, E::of(Self::EPS));
        norm::normalize::<ChannelGeom<N, C, H, W>, E>(
            x.as_slice(),
            &t.mean,
            &t.inv_std,
            &self.weight,
            &self.bias,
            y.as_mut_slice(),
        );
    }

    /// Normalizes in place from the running statistics.
    const IN_PLACE: bool = true;

    #[inline]
    fn infer_io(&self, io: Io<'_, E>, _: &mut [E]) {
        let stats = [
            &self.running_mean[..],
            &self.running_var,
            &self.weight,
            &self.bias,
        ];
        let (x, y) = io.split();
        norm::normalize_running::<ChannelGeom<N, C, H, W>, E>(x, y, stats, E::of(Self::EPS));
    }

    fn forward_train_unchecked(
        &mut self,
        x: &Tensor<N, CX, H, W, E>,
        y: &mut Self::Output,
        t: &mut Self::Trace,
    ) {
        // The backstop of `Self::Training` for callers of the unchecked pass.
        const {
            assert!(
                N * H * W > 1,
                "batch norm in training mode needs more than one value per channel (N·H·W > 1)"
            )
        };
        // `inv_std` first holds the biased batch variance.
        norm::batch_stats::<ChannelGeom<N, C, H, W>, E>(x.as_slice(), &mut t.mean, &mut t.inv_std);
        self.num_batches_tracked += 1;
        // PyTorch's `momentum=None`: the cumulative average of the batches so far.
        let momentum = match Self::MOMENTUM {
            Some(m) => E::of(m),
            None => E::one() / E::of(self.num_batches_tracked as f64),
        };
        norm::update_running::<ChannelGeom<N, C, H, W>, E>(
            &mut self.running_mean,
            &mut self.running_var,
            &t.mean,
            &t.inv_std,
            momentum,
        );
        norm::var_to_inv_std(&mut t.inv_std, E::of(Self::EPS));
        t.batch_stats = 1;
        norm::normalize::<ChannelGeom<N, C, H, W>, E>(
            x.as_slice(),
            &t.mean,
            &t.inv_std,
            &self.weight,
            &self.bias,
            y.as_mut_slice(),
        );
    }

    fn backward(
        &self,
        x: Input<'_, Tensor<N, CX, H, W, E>>,
        t: &mut Self::Trace,
        dy: &Self::Output,
        grads: &mut Self,
    ) {
        match x {
            Input::Keep(x) => norm::backward_params::<ChannelGeom<N, C, H, W>, E>(
                x.as_slice(),
                dy.as_slice(),
                &t.mean,
                &t.inv_std,
                &mut grads.weight,
                &mut grads.bias,
            ),
            Input::Grad(x) => norm::backward_in_place::<ChannelGeom<N, C, H, W>, E>(
                x.as_mut_slice(),
                dy.as_slice(),
                &t.mean,
                &t.inv_std,
                &self.weight,
                t.batch_stats != 0,
                &mut grads.weight,
                &mut grads.bias,
            ),
        }
    }

    /// One multiply-add per value.
    fn flops() -> u64 {
        (2 * N * C * H * W) as u64
    }
}

/// Folds a trained batch norm into the convolution before it, for inference: writes into `out`
/// a convolution with a bias that computes exactly `bn(conv(x))` with `bn` in eval mode
/// (running statistics). Works for convolutions with or without a bias.
///
/// With `s = γ/√(running_var + ε)`: `w'[o] = s[o]·w[o]`, `b'[o] = s[o]·(b[o] − running_mean[o]) + β[o]`.
///
/// ```
/// use constnet::prelude::*;
/// let conv = <Conv2d<1, 2, 3, 1, 1, NoBias>>::zeroed();
/// let bn = BatchNorm2d::<2>::new();
/// let mut folded = <Conv2d<1, 2, 3, 1, 1>>::zeroed();
/// fold_conv_bn(&conv, &bn, &mut folded);
/// ```
pub fn fold_conv_bn<
    const CI: usize,
    const CO: usize,
    const K: usize,
    const S: usize,
    const P: usize,
    B: BiasMode,
    E: Element,
    const D: usize,
    Cfg: BatchNormConfig,
>(
    conv: &Conv2d<CI, CO, K, S, P, B, E, D>,
    bn: &BatchNorm2d<CO, E, Cfg>,
    out: &mut Conv2d<CI, CO, K, S, P, Bias, E, D>,
) {
    let w = out
        .weight
        .as_flattened_mut()
        .as_flattened_mut()
        .as_flattened_mut();
    w.copy_from_slice(conv.weight_flat());
    match B::get(&conv.bias) {
        Some(b) => out.bias.copy_from_slice(b),
        None => out.bias.fill(E::zero()),
    }
    norm::fold_into_conv(
        w,
        &mut out.bias,
        &bn.weight,
        &bn.bias,
        &bn.running_mean,
        &bn.running_var,
        E::of(Cfg::EPS),
    );
}
