//! Stochastic gradient descent.

use super::{ForEachParam, Optimizer, StateOf, zero_all};
use crate::element::Element;
use crate::kernels::optim::{self as k, SgdStep};
use crate::visit::{Module, Path, Visitor, parts};
use crate::zeroable::Zeroable;

/// Hyper-parameters of [`Sgd`], named and defaulted like `torch.optim.SGD`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SgdConfig {
    /// Learning rate.
    pub lr: f64,
    /// Momentum factor `μ` (default 0: plain SGD).
    pub momentum: f64,
    /// Dampening `τ`: the momentum buffer adds `(1 − τ)·g` (default 0).
    pub dampening: f64,
    /// L2 penalty `λ`, added to the gradient as `λ·p` (default 0).
    pub weight_decay: f64,
    /// Nesterov momentum (default off).
    pub nesterov: bool,
}

crate::zeroable::zeroable_struct!([] SgdConfig { lr, momentum, dampening, weight_decay, nesterov });

impl SgdConfig {
    /// Plain SGD with learning rate `lr`.
    pub const fn new(lr: f64) -> Self {
        SgdConfig {
            lr,
            momentum: 0.0,
            dampening: 0.0,
            weight_decay: 0.0,
            nesterov: false,
        }
    }
    /// With momentum factor `momentum`.
    pub const fn momentum(mut self, momentum: f64) -> Self {
        self.momentum = momentum;
        self
    }
    /// With dampening `dampening`.
    pub const fn dampening(mut self, dampening: f64) -> Self {
        self.dampening = dampening;
        self
    }
    /// With L2 weight decay `weight_decay`.
    pub const fn weight_decay(mut self, weight_decay: f64) -> Self {
        self.weight_decay = weight_decay;
        self
    }
    /// With Nesterov momentum.
    pub const fn nesterov(mut self, nesterov: bool) -> Self {
        self.nesterov = nesterov;
        self
    }
}

/// SGD with optional momentum, dampening, Nesterov momentum and weight decay, exactly as
/// `torch.optim.SGD`:
///
/// ```text
/// d = g + λ·p
/// buf = d                        (first step)
/// buf = μ·buf + (1 − τ)·d        (later steps)
/// d = d + μ·buf (Nesterov)  or  d = buf
/// p = p − lr·d
/// ```
///
/// With `momentum = 0` it is `p −= lr·(g + λ·p)` and the buffer is not used. The momentum buffer
/// is a value of the model type `M` held inline: `size_of::<Sgd<M>>() ≈ size_of::<M>()`. For
/// SGD without any state use [`PlainSgd`].
#[derive(Clone, Debug)]
pub struct Sgd<M> {
    /// Hyper-parameters (may be changed between steps).
    pub config: SgdConfig,
    steps: u64,
    momentum: M,
}

crate::zeroable::zeroable_struct!([M: Zeroable] Sgd<M> { config, steps, momentum });

impl<M: Zeroable> Sgd<M> {
    /// A fresh optimizer, built in place (on the stack if it is a local: use [`Sgd::boxed`]
    /// for big models).
    pub fn new(config: SgdConfig) -> Self {
        let mut s = Self::zeroed();
        s.config = config;
        s
    }

    /// A fresh optimizer allocated directly on the heap.
    #[cfg(feature = "alloc")]
    pub fn boxed(config: SgdConfig) -> alloc::boxed::Box<Self> {
        let mut s = <Self as Zeroable>::boxed();
        s.config = config;
        s
    }
}

impl<M> Sgd<M> {
    /// Start over with new hyper-parameters: the step count and the momentum buffer are cleared
    /// in place (no allocation, nothing large on the stack).
    pub fn reset<E: Element>(&mut self, config: SgdConfig)
    where
        M: Module<E>,
    {
        self.config = config;
        self.steps = 0;
        zero_all(&mut self.momentum);
    }
    /// Steps taken since creation or the last [`Sgd::reset`].
    pub fn steps(&self) -> u64 {
        self.steps
    }
    /// The momentum buffer (meaningful after the first step with momentum).
    pub fn momentum_buffer(&self) -> &M {
        &self.momentum
    }
}

impl<M> Optimizer<M> for Sgd<M> {
    fn step<E: Element>(&mut self, model: &mut M, grads: &mut M)
    where
        M: Module<E>,
    {
        let c = self.config;
        let (lr, wd) = (E::of(c.lr), E::of(c.weight_decay));
        if c.momentum == 0.0 {
            M::visit(
                [model, grads],
                &Path::Root,
                &mut ForEachParam(|[p, g]: [&mut [E]; 2]| k::sgd(p, g, lr, wd)),
            );
        } else {
            let h = SgdStep {
                lr,
                momentum: E::of(c.momentum),
                dampening: E::of(c.dampening),
                weight_decay: wd,
                nesterov: c.nesterov,
                first: self.steps == 0,
            };
            M::visit(
                [model, grads, &mut self.momentum],
                &Path::Root,
                &mut ForEachParam(|[p, g, b]: [&mut [E]; 3]| k::sgd_momentum(p, g, b, h)),
            );
        }
        self.steps += 1;
    }
    fn lr(&self) -> f64 {
        self.config.lr
    }
    fn set_lr(&mut self, lr: f64) {
        self.config.lr = lr;
    }
}

/// The optimizer state as tensors, for checkpoints ([`crate::io::save`] works on an `Sgd<M>`):
/// the step count `step` (a counter) and, for every trainable parameter `p` of the model,
/// `momentum_buffer.p` (PyTorch's name). The hyper-parameters are not included.
impl<E, M: Module<E>> Module<E> for Sgd<M> {
    fn visit<V: Visitor<E, K>, const K: usize>(
        mut modules: [&mut Self; K],
        path: &Path<'_>,
        visitor: &mut V,
    ) {
        let p = path.field("step");
        visitor.counter(&p, parts(&mut modules, |o| &mut o.steps));
        let p = path.field("momentum_buffer");
        M::visit(
            parts(&mut modules, |o| &mut o.momentum),
            &p,
            &mut StateOf(visitor),
        );
    }
}

/// SGD without momentum and without any state: `p −= lr·(g + λ·p)`. Works for every model type;
/// costs no memory beyond its two numbers.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PlainSgd {
    /// Learning rate.
    pub lr: f64,
    /// L2 penalty `λ`.
    pub weight_decay: f64,
}

crate::zeroable::zeroable_struct!([] PlainSgd { lr, weight_decay });

impl PlainSgd {
    /// Learning rate `lr`, no weight decay.
    pub const fn new(lr: f64) -> Self {
        PlainSgd {
            lr,
            weight_decay: 0.0,
        }
    }
}

impl<M> Optimizer<M> for PlainSgd {
    fn step<E: Element>(&mut self, model: &mut M, grads: &mut M)
    where
        M: Module<E>,
    {
        let (lr, wd) = (E::of(self.lr), E::of(self.weight_decay));
        M::visit(
            [model, grads],
            &Path::Root,
            &mut ForEachParam(|[p, g]: [&mut [E]; 2]| k::sgd(p, g, lr, wd)),
        );
    }
    fn lr(&self) -> f64 {
        self.lr
    }
    fn set_lr(&mut self, lr: f64) {
        self.lr = lr;
    }
}

// No state to save: a checkpoint of a `PlainSgd` has no tensors.
crate::visit::stateless_module!(PlainSgd);

#[cfg(all(test, feature = "std"))]
mod tests {
    use super::*;
    use crate::layers::Linear;

    type One = Linear<1, 1, crate::layers::NoBias, f64>;

    fn model(w: f64) -> One {
        let mut m = One::zeroed();
        m.weight[0][0] = w;
        m
    }

    /// Runs `steps` steps with gradient `g(p) = p − 1` (a quadratic) and compares with the
    /// PyTorch formulas written out by hand.
    fn run(config: SgdConfig, steps: usize) {
        let mut opt = Sgd::<One>::new(config);
        let mut m = model(3.0);
        let (mut p, mut buf) = (3.0f64, 0.0f64);
        for t in 0..steps {
            let mut g = model(m.weight[0][0] - 1.0);
            opt.step(&mut m, &mut g);
            // Reference.
            let mut d = (p - 1.0) + config.weight_decay * p;
            if config.momentum != 0.0 {
                buf = if t == 0 {
                    d
                } else {
                    config.momentum * buf + (1.0 - config.dampening) * d
                };
                d = if config.nesterov {
                    d + config.momentum * buf
                } else {
                    buf
                };
            }
            p -= config.lr * d;
            assert!((m.weight[0][0] - p).abs() < 1e-12, "{config:?} step {t}");
        }
        assert_eq!(opt.steps(), steps as u64);
    }

    #[test]
    fn matches_pytorch_formulas() {
        run(SgdConfig::new(0.1), 3);
        run(SgdConfig::new(0.1).weight_decay(0.01), 3);
        run(SgdConfig::new(0.1).momentum(0.9), 4);
        run(SgdConfig::new(0.1).momentum(0.9).dampening(0.5), 4);
        run(SgdConfig::new(0.1).momentum(0.9).nesterov(true), 4);
        run(SgdConfig::new(0.05).momentum(0.8).weight_decay(0.1), 4);
    }

    #[test]
    fn reset_clears_state() {
        let mut opt = Sgd::<One>::new(SgdConfig::new(0.1).momentum(0.9));
        let mut m = model(1.0);
        opt.step(&mut m, &mut model(2.0));
        assert_eq!(opt.momentum_buffer().weight[0][0], 2.0);
        opt.reset(SgdConfig::new(0.2).momentum(0.5));
        assert_eq!(opt.steps(), 0);
        assert_eq!(opt.momentum_buffer().weight[0][0], 0.0);
        assert_eq!(opt.lr(), 0.2);
        // After a reset the first step sets the buffer to the gradient again.
        opt.step(&mut m, &mut model(4.0));
        assert_eq!(opt.momentum_buffer().weight[0][0], 4.0);
        assert!((m.weight[0][0] - (0.8 - 0.2 * 4.0)).abs() < 1e-12);
    }

    #[test]
    fn plain_sgd() {
        let mut opt = PlainSgd {
            lr: 0.5,
            weight_decay: 0.1,
        };
        let mut m = model(2.0);
        opt.step(&mut m, &mut model(1.0));
        assert!((m.weight[0][0] - (2.0 - 0.5 * (1.0 + 0.2))).abs() < 1e-12);
        Optimizer::<One>::set_lr(&mut opt, 0.25);
        assert_eq!(Optimizer::<One>::lr(&opt), 0.25);
    }
}
