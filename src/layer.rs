//! The layer contract: what every layer and every composition of layers provides.

use crate::memory::Zeroable;
use crate::module::{Module, Path};
use crate::summary::Row;
use crate::tensor::Batch;

/// The input of a backward pass: kept, or replaced by its gradient.
///
/// Backward passes work in place to halve training memory: a layer reads its input `x`
/// (to compute parameter gradients), then, if asked, **overwrites it with `∂L/∂x`**. The first
/// layer of a network is usually given [`Input::Keep`], which skips computing a gradient nobody
/// reads.
#[derive(Debug)]
pub enum Input<'a, X> {
    /// Read the input; do not compute its gradient.
    Keep(&'a X),
    /// Read the input, then replace it with its gradient.
    Grad(&'a mut X),
}

impl<'a, X> Input<'a, X> {
    /// The input values.
    #[inline]
    pub fn get(&self) -> &X {
        match self {
            Input::Keep(x) => x,
            Input::Grad(x) => x,
        }
    }
    /// The buffer to overwrite with the input gradient, if one was asked for.
    #[inline]
    pub fn into_grad(self) -> Option<&'a mut X> {
        match self {
            Input::Keep(_) => None,
            Input::Grad(x) => Some(x),
        }
    }
    /// Whether the input gradient is wanted.
    #[inline]
    pub fn wants_grad(&self) -> bool {
        matches!(self, Input::Grad(_))
    }
    /// Reborrow.
    #[inline]
    pub fn reborrow(&mut self) -> Input<'_, X> {
        match self {
            Input::Keep(x) => Input::Keep(x),
            Input::Grad(x) => Input::Grad(x),
        }
    }
}

/// A layer (or a network: compositions are layers too) that maps a batch of type `X` to a batch
/// of type [`Layer::Output`].
///
/// The implementation for an input type exists only when the shapes fit, so a wrong network is
/// a compile error. All storage is provided by the caller; no method allocates.
///
/// * [`Layer::forward`] — inference (eval mode: batch norm uses running statistics, dropout is
///   the identity). `trace` is scratch space for intermediate activations.
/// * [`Layer::forward_train`] — training mode; records in `trace` what backward needs (inputs
///   of inner layers, max-pool arg-max, batch-norm statistics) and updates running statistics.
/// * [`Layer::backward`] — after `forward_train` with the same `x` and `trace`: accumulates
///   (`+=`) parameter gradients into `grads` (a value of the layer's own type) and, if asked,
///   overwrites `x` with `∂L/∂x`. Consumes the trace (its buffers are reused for gradients).
#[diagnostic::on_unimplemented(
    message = "the layer `{Self}` cannot take an input of type `{X}`",
    label = "shape mismatch: this layer does not accept that input",
    note = "each layer's input must be the output of the layer before it: check channels, the flattened size of dense layers, and that windows fit the input"
)]
pub trait Layer<X: Batch>: Module<X::Elem> {
    /// The output batch type, computed from `X` at compile time.
    type Output: Batch<Elem = X::Elem>;
    /// What a training forward pass records for backward (and scratch space for inference).
    type Trace: Zeroable;

    /// Forward pass in eval mode.
    fn forward(&self, x: &X, y: &mut Self::Output, trace: &mut Self::Trace);

    /// Forward pass in training mode, recording what [`Layer::backward`] needs.
    fn forward_train(&mut self, x: &X, y: &mut Self::Output, trace: &mut Self::Trace);

    /// Backward pass: accumulate parameter gradients into `grads`; if `x` is
    /// [`Input::Grad`], overwrite it with the input gradient.
    fn backward(
        &self,
        x: Input<'_, X>,
        trace: &mut Self::Trace,
        dy: &Self::Output,
        grads: &mut Self,
    );

    /// Floating-point operations of one forward pass over the batch (2 per multiply-add).
    fn flops() -> u64 {
        0
    }

    /// Reports this layer to a model summary ([`crate::summary`]): calls `f` with `path` and
    /// the layer's [`Row`]. A composition overrides it to report itself and then each inner
    /// layer (chains do, naming element `i` `path.i`).
    ///
    /// `output_held`: whether the enclosing chain's trace stores this layer's output (every
    /// element of a chain but the last; the network's own output belongs to the caller).
    fn describe(&mut self, path: &Path<'_>, output_held: bool, f: &mut dyn FnMut(&Path<'_>, &Row)) {
        f(path, &Row::of::<X, Self>(self, output_held, 0));
    }
}

/// The output type of layer `L` on input `X`: `Out<LeNet5, Tensor<1, 1, 28, 28>>` is
/// `Tensor<1, 10, 1, 1>`.
pub type Out<L, X> = <L as Layer<X>>::Output;
/// The trace type of layer `L` on input `X`.
pub type TraceOf<L, X> = <L as Layer<X>>::Trace;
