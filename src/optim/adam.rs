//! Adam.

use super::{ForEachParam, Optimizer, StateOf, zero_all};
use crate::element::Element;
use crate::kernels::optim::{self as k, AdamStep};
use crate::visit::{Module, Path, Visitor, parts};
use crate::zeroable::Zeroable;
use num_traits::Float;

/// Hyper-parameters of [`Adam`], named and defaulted like `torch.optim.Adam`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct AdamConfig {
    /// Learning rate (default 1e-3).
    pub lr: f64,
    /// Decay of the first moment `β₁` (default 0.9).
    pub beta1: f64,
    /// Decay of the second moment `β₂` (default 0.999).
    pub beta2: f64,
    /// Added to the bias-corrected `√v` (default 1e-8).
    pub eps: f64,
    /// L2 penalty `λ`, added to the gradient as `λ·p` (default 0; this is Adam's coupled
    /// weight decay, not AdamW's).
    pub weight_decay: f64,
}

crate::zeroable::zeroable_struct!([] AdamConfig { lr, beta1, beta2, eps, weight_decay });

impl AdamConfig {
    /// PyTorch's defaults with learning rate `lr`.
    pub const fn new(lr: f64) -> Self {
        AdamConfig {
            lr,
            beta1: 0.9,
            beta2: 0.999,
            eps: 1e-8,
            weight_decay: 0.0,
        }
    }
    /// With moment decays `β₁`, `β₂`.
    pub const fn betas(mut self, beta1: f64, beta2: f64) -> Self {
        self.beta1 = beta1;
        self.beta2 = beta2;
        self
    }
    /// With `ε`.
    pub const fn eps(mut self, eps: f64) -> Self {
        self.eps = eps;
        self
    }
    /// With L2 weight decay.
    pub const fn weight_decay(mut self, weight_decay: f64) -> Self {
        self.weight_decay = weight_decay;
        self
    }
}

impl Default for AdamConfig {
    fn default() -> Self {
        AdamConfig::new(1e-3)
    }
}

/// Adam (Kingma & Ba), exactly as `torch.optim.Adam`: at step `t = 1, 2, …`
///
/// ```text
/// d = g + λ·p
/// m = β₁·m + (1 − β₁)·d
/// v = β₂·v + (1 − β₂)·d²
/// p = p − lr · (m / (1 − β₁ᵗ)) / (√(v / (1 − β₂ᵗ)) + ε)
/// ```
///
/// `ε` is added after the bias-corrected square root. Both moments are values of the model type
/// `M` held inline: `size_of::<Adam<M>>() ≈ 2 · size_of::<M>()`.
#[derive(Clone, Debug)]
pub struct Adam<M> {
    /// Hyper-parameters (may be changed between steps).
    pub config: AdamConfig,
    t: u64,
    m: M,
    v: M,
}

crate::zeroable::zeroable_struct!([M: Zeroable] Adam<M> { config, t, m, v });

impl<M: Zeroable> Adam<M> {
    /// A fresh optimizer (`t = 0`, zero moments), built in place (on the stack if it is a
    /// local: use [`Adam::boxed`] for big models).
    pub fn new(config: AdamConfig) -> Self {
        let mut s = Self::zeroed();
        s.config = config;
        s
    }

    /// A fresh optimizer allocated directly on the heap.
    #[cfg(feature = "alloc")]
    pub fn boxed(config: AdamConfig) -> alloc::boxed::Box<Self> {
        let mut s = <Self as Zeroable>::boxed();
        s.config = config;
        s
    }
}

impl<M> Adam<M> {
    /// Start over with new hyper-parameters: `t = 0` and both moments zeroed in place (no
    /// allocation, nothing large on the stack).
    pub fn reset<E: Element>(&mut self, config: AdamConfig)
    where
        M: Module<E>,
    {
        self.config = config;
        self.t = 0;
        zero_all(&mut self.m);
        zero_all(&mut self.v);
    }
    /// Steps taken (`t`).
    pub fn steps(&self) -> u64 {
        self.t
    }
    /// The first and second moment estimates `(m, v)`.
    pub fn moments(&self) -> (&M, &M) {
        (&self.m, &self.v)
    }
}

impl<M> Optimizer<M> for Adam<M> {
    fn step<E: Element>(&mut self, model: &mut M, grads: &mut M)
    where
        M: Module<E>,
    {
        self.t += 1;
        let c = self.config;
        let t = i32::try_from(self.t).unwrap_or(i32::MAX);
        let bias1 = 1.0 - Float::powi(c.beta1, t);
        let bias2 = 1.0 - Float::powi(c.beta2, t);
        let h = AdamStep {
            step_size: E::of(c.lr / bias1),
            beta1: E::of(c.beta1),
            beta2: E::of(c.beta2),
            inv_sqrt_bias2: E::of(1.0 / Float::sqrt(bias2)),
            eps: E::of(c.eps),
            weight_decay: E::of(c.weight_decay),
        };
        M::visit(
            [model, grads, &mut self.m, &mut self.v],
            &Path::Root,
            &mut ForEachParam(|[p, g, m, v]: [&mut [E]; 4]| k::adam(p, g, m, v, h)),
        );
    }
    fn lr(&self) -> f64 {
        self.config.lr
    }
    fn set_lr(&mut self, lr: f64) {
        self.config.lr = lr;
    }
}

/// The optimizer state as tensors, for checkpoints ([`crate::io::save`] works on an `Adam<M>`):
/// the step count `step` (a counter) and, for every trainable parameter `p` of the model,
/// `exp_avg.p` and `exp_avg_sq.p` (PyTorch's names for `m` and `v`). The hyper-parameters are not
/// included.
impl<E, M: Module<E>> Module<E> for Adam<M> {
    fn visit<V: Visitor<E, K>, const K: usize>(
        mut modules: [&mut Self; K],
        path: &Path<'_>,
        visitor: &mut V,
    ) {
        let p = path.field("step");
        visitor.counter(&p, parts(&mut modules, |o| &mut o.t));
        let p = path.field("exp_avg");
        M::visit(parts(&mut modules, |o| &mut o.m), &p, &mut StateOf(visitor));
        let p = path.field("exp_avg_sq");
        M::visit(parts(&mut modules, |o| &mut o.v), &p, &mut StateOf(visitor));
    }
}

#[cfg(all(test, feature = "std"))]
mod tests {
    use super::*;
    use crate::layers::{Linear, NoBias};

    type One = Linear<1, 1, NoBias, f64>;

    fn model(w: f64) -> One {
        let mut m = One::zeroed();
        m.weight[0][0] = w;
        m
    }

    fn run(config: AdamConfig, steps: usize) {
        let mut opt = Adam::<One>::new(config);
        let mut net = model(3.0);
        let (mut p, mut m, mut v) = (3.0f64, 0.0f64, 0.0f64);
        for t in 1..=steps {
            let mut g = model(net.weight[0][0] - 1.0);
            opt.step(&mut net, &mut g);
            let d = (p - 1.0) + config.weight_decay * p;
            m = config.beta1 * m + (1.0 - config.beta1) * d;
            v = config.beta2 * v + (1.0 - config.beta2) * d * d;
            let mh = m / (1.0 - config.beta1.powi(t as i32));
            let vh = v / (1.0 - config.beta2.powi(t as i32));
            p -= config.lr * mh / (vh.sqrt() + config.eps);
            assert!((net.weight[0][0] - p).abs() < 1e-12, "{config:?} step {t}");
        }
        assert_eq!(opt.steps(), steps as u64);
    }

    #[test]
    fn matches_pytorch_formulas() {
        run(AdamConfig::new(0.1), 5);
        run(AdamConfig::new(0.05).betas(0.5, 0.9).eps(1e-3), 5);
        run(AdamConfig::new(0.05).weight_decay(0.1), 5);
    }

    #[test]
    fn eps_is_added_after_the_square_root() {
        // With a large eps the two placements differ clearly at t = 1: lr·g/(|g| + eps).
        let mut opt = Adam::<One>::new(AdamConfig::new(1.0).eps(1.0));
        let mut net = model(0.0);
        opt.step(&mut net, &mut model(1.0));
        assert!((net.weight[0][0] + 0.5).abs() < 1e-12);
    }

    #[test]
    fn reset_clears_moments() {
        let mut opt = Adam::<One>::new(AdamConfig::default());
        let mut net = model(0.0);
        opt.step(&mut net, &mut model(1.0));
        assert!(opt.moments().0.weight[0][0] != 0.0);
        opt.reset(AdamConfig::new(0.5));
        assert_eq!(opt.steps(), 0);
        assert_eq!(opt.moments().0.weight[0][0], 0.0);
        assert_eq!(opt.moments().1.weight[0][0], 0.0);
        assert_eq!(opt.lr(), 0.5);
    }
}
