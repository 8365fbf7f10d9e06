//! The rule of training mode: every batch norm sees more than one value per channel.
//!
//! Batch norm in training mode normalises each channel by the mean and variance of its
//! `N·H·W` values in the batch; with one value the result is 0 whatever the input, and the
//! unbiased variance that updates the running statistics divides by `N·H·W − 1 = 0` (PyTorch
//! raises an error at run time). Eval mode uses the running statistics and has no such rule, so
//! the rule cannot sit on the batch norm's `Layer` impl: a network with a batch norm on a 1 × 1
//! map still runs inference at batch 1.
//!
//! Instead every layer names what training it requires, [`Layer::Training`]: [`Check<true>`]
//! (nothing), [`BatchStats<N, H, W>`] for a batch norm, a tuple of its parts' requirements for a
//! composition. [`Layer::forward_train`] (and the training steps built on it) require
//! `Training: Trainable`, which is proven only when every batch norm inside sees more than one
//! value, so `cargo check` reports a network that cannot be trained at that batch size with the
//! sentence of [`MoreThanOneValue`]. The requirement is a plain type, so eval-only code never
//! evaluates it.
//!
//! [`Layer::Training`]: crate::layer::Layer::Training
//! [`Layer::forward_train`]: crate::layer::Layer::forward_train

use super::{Check, Dim, Holds, Num, T, ToCheck};
use core::ops::Mul;
use typenum::{Gr, IsGreater, Min, Minimum, Prod, U1, U2};

/// What training requires is met: implemented for [`Check<true>`], for [`BatchStats<N, H, W>`]
/// when `N·H·W > 1`, and for tuples (of up to 32) whose parts all meet theirs.
#[diagnostic::on_unimplemented(
    message = "this network cannot run in training mode on this input",
    label = "a batch norm in it would see a single value per channel",
    note = "batch norm in training mode needs more than one value per channel (N·H·W > 1): train with a larger batch, or use the network in eval mode only"
)]
pub trait Trainable {}

impl Trainable for Check<true> {}

/// The training requirement of a batch norm over `N` maps of `H × W` values per channel
/// (see [`Trainable`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct BatchStats<const N: usize, const H: usize, const W: usize>;

/// Precondition of batch norm in training mode: more than one value per channel.
#[diagnostic::on_unimplemented(
    message = "batch norm in training mode needs more than one value per channel, but it gets N × H × W = {N} × {H} × {W} (batch × height × width)",
    label = "a batch norm here would normalise single values",
    note = "the batch statistics of one value are meaningless (PyTorch raises an error at run time): train with a batch of at least 2, or use this network in eval mode only (`forward`, `infer`)"
)]
pub trait MoreThanOneValue<const N: usize, const H: usize, const W: usize> {}
impl<const N: usize, const H: usize, const W: usize> MoreThanOneValue<N, H, W> for Check<true> {}

/// `min(n, 2)`: enough to tell 0, 1 and "more" apart with small type-level products.
type AtMostTwo<const N: usize> = Minimum<T<N>, U2>;
/// `min(N, 2)·min(H, 2)·min(W, 2)`, which exceeds 1 exactly when `N·H·W` does.
type Values<const N: usize, const H: usize, const W: usize> =
    Prod<Prod<AtMostTwo<N>, AtMostTwo<H>>, AtMostTwo<W>>;

impl<const N: usize, const H: usize, const W: usize> Trainable for BatchStats<N, H, W>
where
    Dim<N>: Num,
    Dim<H>: Num,
    Dim<W>: Num,
    T<N>: Min<U2>,
    T<H>: Min<U2>,
    T<W>: Min<U2>,
    AtMostTwo<N>: Mul<AtMostTwo<H>>,
    Prod<AtMostTwo<N>, AtMostTwo<H>>: Mul<AtMostTwo<W>>,
    Values<N, H, W>: IsGreater<U1>,
    Gr<Values<N, H, W>, U1>: ToCheck,
    Holds<Gr<Values<N, H, W>, U1>>: MoreThanOneValue<N, H, W>,
{
}

/// `Trainable` for tuples of 1 to 32 requirements: all of them met.
macro_rules! all {
    () => {};
    ($head:ident $($tail:ident)*) => {
        impl<$head: Trainable, $($tail: Trainable),*> Trainable for ($head, $($tail,)*) {}
        all!($($tail)*);
    };
}
all!(A0 A1 A2 A3 A4 A5 A6 A7 A8 A9 A10 A11 A12 A13 A14 A15 A16 A17 A18 A19 A20 A21 A22 A23 A24 A25 A26 A27 A28 A29 A30 A31);
