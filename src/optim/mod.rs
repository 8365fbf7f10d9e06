//! Gradient-descent optimizers: [`Sgd`] (momentum, Nesterov, weight decay), [`PlainSgd`] (no
//! state) and [`Adam`], with PyTorch's update rules, plus learning-rate [`schedule`]s.
//!
//! An optimizer's state lives **inline** in its struct as model-shaped values: [`Adam<M>`]
//! holds two values of the model type `M` (first and second moments), [`Sgd<M>`] one (the
//! momentum buffer). So an optimizer is plain data like the model: [`Zeroable`], boxable
//! directly on the heap (`Adam::<Net>::boxed(config)`), with its memory known at compile time
//! (`size_of::<Adam<Net>>()`), and [`Optimizer::step`] never allocates. Steps walk the model,
//! its gradients and the state in lockstep with [`Module::visit`], updating only trainable
//! parameters ([`Role::Param`]); batch-norm running statistics are left alone.
//!
//! ```
//! use constnet::prelude::*;
//! use constnet::optim::{Adam, AdamConfig, Optimizer};
//! type Net = (Linear<3, 2>, Relu, Linear<2, 1>);
//! let mut net = constnet::init::seeded::<Net, f32>(0);
//! let mut grads = Net::boxed();
//! let mut adam = Adam::<Net>::boxed(AdamConfig::new(1e-3));
//! grads.for_each_tensor(|_, g| g.fill(1.0));
//! let before = net.0.weight[0][0];
//! adam.step(&mut *net, &mut *grads);
//! // The first Adam step moves every weight by about lr against the gradient's sign.
//! assert!((before - net.0.weight[0][0] - 1e-3).abs() < 1e-6);
//! ```
//!
//! [`Zeroable`]: crate::zeroable::Zeroable
//! [`Module::visit`]: crate::visit::Module::visit
//! [`Role::Param`]: crate::visit::Role::Param

mod adam;
pub mod schedule;
mod sgd;

pub use adam::{Adam, AdamConfig};
pub use schedule::{Constant, CosineAnnealing, LrSchedule, StepDecay};
pub use sgd::{PlainSgd, Sgd, SgdConfig};

use crate::element::Element;
#[cfg(feature = "std")]
use crate::kernels::pointwise;
use crate::visit::{Init, Module, Path, Role, TensorInfo, Visitor};

/// Updates a model's parameters from its gradients.
///
/// `grads` is a value of the model's own type holding `∂loss/∂parameter` (as
/// [`Layer::backward`](crate::layer::Layer::backward) accumulates them); it is taken `&mut`
/// only because [`Module::visit`] walks mutable values in lockstep, and is not modified.
pub trait Optimizer<M> {
    /// One update of every trainable parameter of `model`. Does not allocate.
    fn step<E: Element>(&mut self, model: &mut M, grads: &mut M)
    where
        M: Module<E>;

    /// The current learning rate.
    fn lr(&self) -> f64;

    /// Change the learning rate (for a [`schedule`]); the optimizer's state is kept.
    fn set_lr(&mut self, lr: f64);
}

/// Set every value of every tensor (parameters and buffers) of `m` to zero, in place.
pub(crate) fn zero_all<E: Element, M: Module<E>>(m: &mut M) {
    struct Zero;
    impl<E: Element> Visitor<E, 1> for Zero {
        fn tensor(&mut self, _: TensorInfo<'_>, [v]: [&mut [E]; 1]) {
            v.fill(E::zero());
        }
        fn counter(&mut self, _: &Path<'_>, [c]: [&mut u64; 1]) {
            *c = 0;
        }
    }
    M::visit([m], &Path::Root, &mut Zero);
}

/// `a += b`, tensor by tensor, for the tensors of `role` of two models of one type (the
/// data-parallel executor sums its workers' gradients and running statistics so).
#[cfg(feature = "std")] // (used by the training workflow only)
pub(crate) fn add_tensors<E: Element, M: Module<E>>(a: &mut M, b: &mut M, role: Role) {
    struct Add(Role);
    impl<E: Element> Visitor<E, 2> for Add {
        fn tensor(&mut self, info: TensorInfo<'_>, [a, b]: [&mut [E]; 2]) {
            if info.role == self.0 {
                pointwise::add_assign(a, b);
            }
        }
    }
    M::visit([a, b], &Path::Root, &mut Add(role));
}

/// `m *= s` for the tensors of `role` of `m`.
#[cfg(feature = "std")] // (used by the training workflow only)
pub(crate) fn scale_tensors<E: Element, M: Module<E>>(m: &mut M, role: Role, s: E) {
    struct Scale<E>(Role, E);
    impl<E: Element> Visitor<E, 1> for Scale<E> {
        fn tensor(&mut self, info: TensorInfo<'_>, [a]: [&mut [E]; 1]) {
            if info.role == self.0 {
                pointwise::scale(a, self.1);
            }
        }
    }
    M::visit([m], &Path::Root, &mut Scale(role, s));
}

/// Calls `f` on the flat values of every trainable parameter of `K` lockstep modules.
pub(crate) struct ForEachParam<F>(pub F);

impl<E, F: FnMut([&mut [E]; K]), const K: usize> Visitor<E, K> for ForEachParam<F> {
    #[inline]
    fn tensor(&mut self, info: TensorInfo<'_>, values: [&mut [E]; K]) {
        if info.role == Role::Param {
            (self.0)(values)
        }
    }
}

/// Forwards the trainable parameters of a model-shaped optimizer buffer to `V`, reported as
/// [`Role::Buffer`]s initialised to zero (optimizer state is saved, not trained). The model's own
/// buffers and counters (batch-norm running statistics) are not optimizer state and are skipped.
/// Used by the optimizers' [`Module`] implementations, which make their state a weight file
/// ([`crate::io`]) like a model's.
pub(crate) struct StateOf<'v, V>(pub &'v mut V);

impl<E, V: Visitor<E, K>, const K: usize> Visitor<E, K> for StateOf<'_, V> {
    #[inline]
    fn tensor(&mut self, info: TensorInfo<'_>, values: [&mut [E]; K]) {
        if info.role == Role::Param {
            let info = TensorInfo {
                role: Role::Buffer,
                init: Init::Const(0.0),
                ..info
            };
            self.0.tensor(info, values);
        }
    }
}
