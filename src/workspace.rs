//! [`Workspace`]: everything a training step needs besides the model and the optimizer.
//!
//! A training step of network `L` on input batches `X` touches exactly these buffers:
//!
//! | what | type | held by |
//! |---|---|---|
//! | parameters | `L` | you |
//! | gradients | `L` | [`Workspace::grads`] |
//! | activations, arg-max indices, batch statistics (and, in backward, the activation gradients written over them) | [`TraceOf<L, X>`](crate::layer::TraceOf) | [`Workspace::trace`] |
//! | network output | `L::Output` | [`Workspace::output`] |
//! | loss gradient w.r.t. the output | `L::Output` | [`Workspace::doutput`] |
//! | optimizer state | e.g. [`Adam<L>`](crate::optim::Adam) = 2 × `L` | you |
//!
//! So the **exact** memory of training is
//! `size_of::<L>() + size_of::<Workspace<L, X>>() + size_of::<Optimizer>()`, plus the input batch
//! and its targets — known at compile time, allocated once, and never touched by the allocator
//! again: [`Workspace::train_step`] does not allocate. Inference needs only
//! `size_of::<L>() + size_of::<Workspace<L, X>>()` (or less: [`Workspace::infer`] uses just the
//! trace and the output).
//!
//! ```
//! use constnet::prelude::*;
//! use constnet::loss::SoftmaxCrossEntropy;
//! use constnet::optim::{Sgd, SgdConfig};
//! use constnet::workspace::Workspace;
//!
//! type Net = (Flatten, Linear<4, 8>, Relu, Linear<8, 2>);
//! type X = Tensor<4, 1, 2, 2>;
//! let mut net = constnet::init::seeded::<Net, f32>(1);
//! let mut ws = Workspace::<Net, X>::boxed();
//! let mut opt = Sgd::<Net>::boxed(SgdConfig::new(0.5).momentum(0.9));
//! // Class 1 when the first pixel is positive.
//! let mut x = X::zeros();
//! x.copy_from_slice(&[1., 0., 0., 0., -1., 0., 0., 0., 1., 1., 0., 0., -1., 1., 0., 0.]).unwrap();
//! let y = [1, 0, 1, 0];
//! let first = ws.train_step(&mut *net, &x, &SoftmaxCrossEntropy, &y, &mut *opt).unwrap();
//! let mut last = first;
//! for _ in 0..50 {
//!     last = ws.train_step(&mut *net, &x, &SoftmaxCrossEntropy, &y, &mut *opt).unwrap();
//! }
//! assert!(last < 0.1 * first);
//! assert_eq!(constnet::loss::count_correct(ws.infer(&net, &x), &y), 4);
//! println!("training memory: {} bytes", Workspace::<Net, X>::BYTES + size_of::<Net>() + size_of::<Sgd<Net>>());
//! ```

use crate::element::Element;
use crate::layer::{Input, Layer};
use crate::loss::{Loss, LossError};
use crate::optim::Optimizer;
use crate::shape::Trainable;
use crate::tensor::Batch;
use crate::visit::ModuleExt;
use crate::zeroable::Zeroable;

/// The buffers of a training step of network `L` on input batches `X` (see the
/// [module documentation](self) for the memory account). Plain data, all zeros at the start:
/// create it with [`Zeroable::zeroed`] (small networks, on the stack) or [`Zeroable::boxed`]
/// (directly on the heap, never built on the stack), once, and reuse it for every step.
pub struct Workspace<L: Layer<X>, X: Batch> {
    /// Parameter gradients of the last step (a value of the network's own type).
    pub grads: L,
    /// Intermediate activations and whatever backward needs.
    pub trace: L::Trace,
    /// The network output of the last forward pass.
    pub output: L::Output,
    /// The loss gradient with respect to the output of the last training step.
    pub doutput: L::Output,
}

crate::zeroable::zeroable_struct!([L: Layer<X> + Zeroable, X: Batch] Workspace<L, X> { grads, trace, output, doutput });

impl<L: Layer<X>, X: Batch> Workspace<L, X>
where
    X::Elem: Element,
{
    /// `size_of::<Self>()`: the bytes of a training step besides the model, the optimizer
    /// state and the input batch.
    pub const BYTES: usize = core::mem::size_of::<Self>();

    /// Forward pass in eval mode; returns the output (also kept in [`Workspace::output`]).
    pub fn infer(&mut self, net: &L, x: &X) -> &L::Output {
        net.forward(x, &mut self.output, &mut self.trace);
        &self.output
    }

    /// Forward pass in eval mode and the loss against `target` (no gradients, no update;
    /// [`Workspace::doutput`] is used as scratch).
    ///
    /// # Errors
    /// The loss's [`LossError`].
    pub fn evaluate<F: Loss<L::Output>>(
        &mut self,
        net: &L,
        x: &X,
        loss: &F,
        target: &F::Target,
    ) -> Result<X::Elem, LossError> {
        net.forward(x, &mut self.output, &mut self.trace);
        loss.loss(&self.output, target, &mut self.doutput)
    }

    /// Training-mode forward pass, loss and backward pass: afterwards [`Workspace::grads`]
    /// holds the gradient of the loss with respect to every parameter (zeroed first, not
    /// accumulated), [`Workspace::output`] the output and [`Workspace::doutput`] the loss
    /// gradient. Returns the loss. The model is changed only by what training mode itself
    /// updates (batch-norm running statistics).
    ///
    /// # Errors
    /// The loss's [`LossError`]; then no backward pass is run and the gradients are left as
    /// they were.
    pub fn forward_backward<F: Loss<L::Output>>(
        &mut self,
        net: &mut L,
        x: &X,
        loss: &F,
        target: &F::Target,
    ) -> Result<X::Elem, LossError>
    where
        L::Training: Trainable,
    {
        net.forward_train(x, &mut self.output, &mut self.trace);
        let value = loss.loss(&self.output, target, &mut self.doutput)?;
        self.grads.zero_params();
        net.backward(
            Input::Keep(x),
            &mut self.trace,
            &self.doutput,
            &mut self.grads,
        );
        Ok(value)
    }

    /// One training step: [`Workspace::forward_backward`], then `optimizer` updates `net`.
    /// Returns the loss **before** the update. Does not allocate.
    ///
    /// # Errors
    /// The loss's [`LossError`] (a class out of range, a NaN or infinite loss); then nothing is
    /// updated, so one bad batch cannot write NaN into the parameters.
    pub fn train_step<F: Loss<L::Output>, O: Optimizer<L>>(
        &mut self,
        net: &mut L,
        x: &X,
        loss: &F,
        target: &F::Target,
        optimizer: &mut O,
    ) -> Result<X::Elem, LossError>
    where
        L::Training: Trainable,
    {
        let value = self.forward_backward(net, x, loss, target)?;
        optimizer.step::<X::Elem>(net, &mut self.grads);
        Ok(value)
    }
}
