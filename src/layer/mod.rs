//! The layer contract: what every layer and every composition of layers provides.

use crate::shape::Trainable;
use crate::tensor::Batch;
use crate::visit::{Module, Path};
use crate::zeroable::Zeroable;

mod row;
mod with_element;
pub use row::{Row, ShortName};
pub use with_element::{ToElement, WithElement};

/// Where an inference pass ([`Layer::infer_io`]) reads its input and writes its output.
#[derive(Debug)]
pub enum Io<'a, E> {
    /// Read `x`, write `y` (two buffers).
    Apart {
        /// The input values.
        x: &'a [E],
        /// The output values, overwritten.
        y: &'a mut [E],
    },
    /// The input values, overwritten by the output (only for layers whose
    /// [`Layer::IN_PLACE`] is true).
    InPlace(&'a mut [E]),
}

impl<'a, E> Io<'a, E> {
    /// Reads batch `x`, writes batch `y`.
    #[inline]
    pub fn apart_of<X: Batch<Elem = E>, Y: Batch<Elem = E>>(x: &'a X, y: &'a mut Y) -> Self {
        Io::Apart {
            x: x.flat(),
            y: y.flat_mut(),
        }
    }

    /// The input (`None` when in place: it is in the output buffer) and the output.
    #[inline]
    pub fn split(self) -> (Option<&'a [E]>, &'a mut [E]) {
        match self {
            Io::Apart { x, y } => (Some(x), y),
            Io::InPlace(v) => (None, v),
        }
    }

    /// The two buffers of a layer that cannot work in place.
    ///
    /// # Panics
    /// On [`Io::InPlace`]: the caller broke [`Layer::infer_io`]'s contract (compositions pass
    /// it only to layers whose [`Layer::IN_PLACE`] is true).
    #[inline]
    #[track_caller]
    pub fn apart(self) -> (&'a [E], &'a mut [E]) {
        match self {
            Io::Apart { x, y } => (x, y),
            Io::InPlace(_) => panic!("Io::InPlace passed to a layer whose IN_PLACE is false"),
        }
    }
}

impl<E: Copy> Io<'_, E> {
    /// The identity's pass (`Identity`, `Flatten`, eval-mode `Dropout`): copies `x` into `y`
    /// when apart; in place there is nothing to do.
    #[inline]
    pub fn identity(self) {
        if let Io::Apart { x, y } = self {
            y.copy_from_slice(x);
        }
    }
}

/// The inference arena given to [`Layer::infer`] is shorter than the network needs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ArenaTooSmall {
    /// Values needed ([`arena_len`]).
    pub needed: usize,
    /// Values given.
    pub found: usize,
}

impl core::fmt::Display for ArenaTooSmall {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(
            f,
            "the inference arena holds {} values, the network needs {}",
            self.found, self.needed
        )
    }
}

#[cfg(feature = "std")]
impl std::error::Error for ArenaTooSmall {}

/// Values of scratch that [`Layer::infer`] of `L` on `X` needs: a compile-time constant, so it
/// can size an array or a `static`:
///
/// ```
/// use constnet::prelude::*;
/// use constnet::layer::arena_len;
/// type Net = (Conv2d<1, 4, 3>, Relu, MaxPool2d<2>, Linear<100, 10>);
/// type X = Tensor<1, 1, 12, 12>;
/// // Two activations at a time: the convolution's and ReLU's output (4·10·10, in place),
/// // then the pool's (4·5·5).
/// const ARENA: usize = arena_len::<Net, X>();
/// assert_eq!(ARENA, 400 + 100);
/// let (net, x) = (Net::zeroed(), X::zeroed());
/// let mut y = Out::<Net, X>::zeroed();
/// let mut arena = [0.0f32; ARENA];
/// net.infer(&x, &mut y, &mut arena).unwrap();
/// assert!(net.infer(&x, &mut y, &mut arena[..ARENA - 1]).is_err());
/// ```
pub const fn arena_len<L: Layer<X>, X: Batch>() -> usize {
    L::INFER_SCRATCH
}

/// The larger of two sizes (for [`Layer::INFER_SCRATCH`] in `const` context).
pub(crate) const fn max(a: usize, b: usize) -> usize {
    if a > b { a } else { b }
}

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

    /// What training mode requires of this layer on `X`, checked by [`Layer::forward_train`]
    /// through [`Trainable`]: [`Check<true>`](crate::shape::Check) (nothing) for every layer
    /// but batch norm, whose [`BatchStats`](crate::shape::BatchStats) needs more than one value
    /// per channel; a composition's is the tuple of its parts'.
    type Training;

    /// Forward pass in training mode, recording what [`Layer::backward`] needs.
    ///
    /// Exists when the network can be trained on `X` ([`Layer::Training`]): a batch norm that
    /// would see one value per channel (`N·H·W = 1`) is a compile error here, with a sentence
    /// that names the sizes.
    #[inline]
    fn forward_train(&mut self, x: &X, y: &mut Self::Output, trace: &mut Self::Trace)
    where
        Self::Training: Trainable,
    {
        self.forward_train_unchecked(x, y, trace)
    }

    /// [`Layer::forward_train`] without the compile-time check of [`Layer::Training`]: what a
    /// layer implements, and what a composition calls on its parts (its own `Training` carries
    /// theirs). Not unsafe: batch norm still refuses single values when its code is generated
    /// (a `const` assertion at `cargo build`). Call [`Layer::forward_train`] instead.
    fn forward_train_unchecked(&mut self, x: &X, y: &mut Self::Output, trace: &mut Self::Trace);

    /// Backward pass: accumulate parameter gradients into `grads`; if `x` is
    /// [`Input::Grad`], overwrite it with the input gradient.
    fn backward(
        &self,
        x: Input<'_, X>,
        trace: &mut Self::Trace,
        dy: &Self::Output,
        grads: &mut Self,
    );

    /// Values of scratch [`Layer::infer_io`] needs besides its input and output: the size of
    /// the inference arena, a compile-time constant of the network type (see [`arena_len`]).
    const INFER_SCRATCH: usize = 0;

    /// Whether [`Layer::infer_io`] accepts [`Io::InPlace`]: the output has as many values as the
    /// input and can overwrite it (activations, eval-mode batch norm and dropout, flattening).
    const IN_PLACE: bool = false;

    /// Inference pass (eval mode) on flat values, with no trace: reads the input and writes the
    /// output as `io` says, using `scratch` (at least [`Layer::INFER_SCRATCH`] values, contents
    /// undefined on entry and exit) for everything in between. Same numbers as
    /// [`Layer::forward`].
    ///
    /// This is the building block of compositions; call [`Layer::infer`] instead. The slices
    /// of `io` hold exactly `X`'s and `Self::Output`'s values, and [`Io::InPlace`] is passed
    /// only when [`Layer::IN_PLACE`] is true.
    fn infer_io(&self, io: Io<'_, X::Elem>, scratch: &mut [X::Elem]);

    /// Inference (eval mode) with no trace: `y = self(x)`, with every intermediate value in
    /// `arena`, which needs at least [`arena_len::<Self, X>()`](arena_len) values (a longer one
    /// is fine; its contents do not matter).
    ///
    /// Same numbers as [`Layer::forward`], in a fraction of its memory: a chain keeps two
    /// activations at a time, at the two ends of the arena, and runs activations and batch
    /// norm in place.
    ///
    /// # Errors
    /// [`ArenaTooSmall`] if `arena` is shorter than [`Layer::INFER_SCRATCH`] (nothing is
    /// written then).
    #[inline]
    fn infer(
        &self,
        x: &X,
        y: &mut Self::Output,
        arena: &mut [X::Elem],
    ) -> Result<(), ArenaTooSmall> {
        let needed = Self::INFER_SCRATCH;
        let found = arena.len();
        let scratch = arena
            .get_mut(..needed)
            .ok_or(ArenaTooSmall { needed, found })?;
        self.infer_io(Io::apart_of(x, y), scratch);
        Ok(())
    }

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
