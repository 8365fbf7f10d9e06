//! Loss functions: softmax cross-entropy, mean squared error, binary cross-entropy on logits.
//!
//! Each loss returns the mean loss over the batch and writes its gradient with respect to the
//! network output into a caller-provided tensor (no allocation). Errors ([`LossError`]) report a
//! class index out of range and a loss that is NaN or infinite — the usual sign of a diverging
//! run, caught before the optimizer would write NaN into every parameter.
//!
//! The free functions take typed tensors; the unit structs [`SoftmaxCrossEntropy`], [`Mse`] and
//! [`BceWithLogits`] implement [`Loss`], the form [`Workspace::train_step`] takes. The arithmetic
//! lives in [`crate::kernels::loss`].
//!
//! ```
//! use constnet::loss::{softmax_cross_entropy, count_correct};
//! use constnet::Tensor;
//! let mut logits = Tensor::<2, 3, 1, 1>::zeros();
//! logits.copy_from_slice(&[2.0, 0.0, 0.0, 0.0, 0.0, 1.0]).unwrap();
//! let mut dx = Tensor::zeros();
//! let loss = softmax_cross_entropy(&logits, &[0, 1], &mut dx).unwrap();
//! assert!(loss > 0.0);
//! assert_eq!(count_correct(&logits, &[0, 1]), 1);
//! // Out-of-range classes are an error, not a panic:
//! assert!(softmax_cross_entropy(&logits, &[0, 3], &mut dx).is_err());
//! ```
//!
//! [`Workspace::train_step`]: crate::workspace::Workspace::train_step

use crate::element::Element;
use crate::kernels::loss as k;
use crate::tensor::{Batch, Tensor};

pub use crate::kernels::loss::LossError;

/// Softmax cross-entropy (PyTorch's `CrossEntropyLoss` with class-index targets), mean over the
/// batch. Writes `dx = (softmax(logits) − onehot(targets)) / N`.
///
/// Uses a max-subtracted log-sum-exp: logits of magnitude 100 (or 10⁴) are fine in `f32`.
///
/// # Errors
/// [`LossError::TargetOutOfRange`] if a target is `≥ C` (then `dx` is left untouched);
/// [`LossError::NonFinite`] if the loss is not finite.
pub fn softmax_cross_entropy<const N: usize, const C: usize, E: Element>(
    logits: &Tensor<N, C, 1, 1, E>,
    targets: &[usize; N],
    dx: &mut Tensor<N, C, 1, 1, E>,
) -> Result<E, LossError> {
    k::softmax_cross_entropy::<C, E>(logits.as_slice(), targets, dx.as_mut_slice())
}

/// [`softmax_cross_entropy`] over the first `valid` samples of the batch (all `N` when
/// `valid ≥ N`): the mean over those samples, with `dx` written for them only. For the last,
/// partial batch of a dataset, whose other rows are padding.
///
/// # Errors
/// As [`softmax_cross_entropy`], for the first `valid` samples.
pub fn softmax_cross_entropy_prefix<const N: usize, const C: usize, E: Element>(
    logits: &Tensor<N, C, 1, 1, E>,
    targets: &[usize; N],
    valid: usize,
    dx: &mut Tensor<N, C, 1, 1, E>,
) -> Result<E, LossError> {
    let rows = valid.min(N);
    k::softmax_cross_entropy::<C, E>(
        &logits.as_slice()[..rows * C],
        &targets[..rows],
        &mut dx.as_mut_slice()[..rows * C],
    )
}

/// Mean squared error over all elements (PyTorch's `MSELoss`, `reduction = "mean"`):
/// `mean((x − target)²)`. Writes `dx = 2 (x − target) / numel`; the gradient with respect to the
/// target is `−dx` ([`mse_loss_target_grad`]).
///
/// # Errors
/// [`LossError::NonFinite`] if the loss is not finite.
pub fn mse_loss<const N: usize, const C: usize, const H: usize, const W: usize, E: Element>(
    x: &Tensor<N, C, H, W, E>,
    target: &Tensor<N, C, H, W, E>,
    dx: &mut Tensor<N, C, H, W, E>,
) -> Result<E, LossError> {
    k::mse(x.as_slice(), target.as_slice(), dx.as_mut_slice())
}

/// The gradient of [`mse_loss`] with respect to its target, from the input gradient `dx` it
/// wrote: `dtarget = −dx`.
pub fn mse_loss_target_grad<
    const N: usize,
    const C: usize,
    const H: usize,
    const W: usize,
    E: Element,
>(
    dx: &Tensor<N, C, H, W, E>,
    dtarget: &mut Tensor<N, C, H, W, E>,
) {
    k::negate(dx.as_slice(), dtarget.as_mut_slice())
}

/// Binary cross-entropy on logits (PyTorch's `BCEWithLogitsLoss`), mean over all elements, in
/// the stable form `max(x, 0) − x·t + log1p(exp(−|x|))`. Targets may be soft. Writes
/// `dx = (sigmoid(x) − t) / numel`.
///
/// # Errors
/// [`LossError::NonFinite`] if the loss is not finite.
pub fn bce_with_logits<
    const N: usize,
    const C: usize,
    const H: usize,
    const W: usize,
    E: Element,
>(
    x: &Tensor<N, C, H, W, E>,
    target: &Tensor<N, C, H, W, E>,
    dx: &mut Tensor<N, C, H, W, E>,
) -> Result<E, LossError> {
    k::bce_with_logits(x.as_slice(), target.as_slice(), dx.as_mut_slice())
}

/// The gradient of [`bce_with_logits`] with respect to its target: `dtarget = −x / numel`.
pub fn bce_with_logits_target_grad<
    const N: usize,
    const C: usize,
    const H: usize,
    const W: usize,
    E: Element,
>(
    x: &Tensor<N, C, H, W, E>,
    dtarget: &mut Tensor<N, C, H, W, E>,
) {
    k::bce_with_logits_target_grad(x.as_slice(), dtarget.as_mut_slice())
}

/// The predicted class of each sample: the index of its largest logit (the first on ties).
pub fn argmax<const N: usize, const C: usize, E: Element>(
    logits: &Tensor<N, C, 1, 1, E>,
) -> [usize; N] {
    let mut out = [0; N];
    k::argmax::<C, E>(logits.as_slice(), &mut out);
    out
}

/// How many samples' predicted class ([`argmax`]) equals the target.
pub fn count_correct<const N: usize, const C: usize, E: Element>(
    logits: &Tensor<N, C, 1, 1, E>,
    targets: &[usize; N],
) -> usize {
    k::count_correct::<C, E>(logits.as_slice(), targets)
}

/// [`count_correct`] over the first `valid` samples of the batch (all `N` when `valid ≥ N`).
pub fn count_correct_prefix<const N: usize, const C: usize, E: Element>(
    logits: &Tensor<N, C, 1, 1, E>,
    targets: &[usize; N],
    valid: usize,
) -> usize {
    let rows = valid.min(N);
    k::count_correct::<C, E>(&logits.as_slice()[..rows * C], &targets[..rows])
}

/// A loss on network outputs of type `Y`, with its own kind of target: class indices for
/// [`SoftmaxCrossEntropy`], a tensor like `Y` for [`Mse`] and [`BceWithLogits`].
pub trait Loss<Y: Batch> {
    /// What the output is compared with.
    type Target: ?Sized;

    /// The mean loss of `y` against `target`; writes `∂loss/∂y` into `dy`.
    ///
    /// # Errors
    /// See [`LossError`].
    fn loss(&self, y: &Y, target: &Self::Target, dy: &mut Y) -> Result<Y::Elem, LossError>;
}

/// Softmax cross-entropy with class-index targets `[usize; N]` ([`softmax_cross_entropy`]).
#[derive(Clone, Copy, Debug, Default)]
pub struct SoftmaxCrossEntropy;

/// Mean squared error against a target tensor ([`mse_loss`]).
#[derive(Clone, Copy, Debug, Default)]
pub struct Mse;

/// Binary cross-entropy on logits against a target tensor ([`bce_with_logits`]).
#[derive(Clone, Copy, Debug, Default)]
pub struct BceWithLogits;

impl<const N: usize, const C: usize, E: Element> Loss<Tensor<N, C, 1, 1, E>>
    for SoftmaxCrossEntropy
{
    type Target = [usize; N];
    #[inline]
    fn loss(
        &self,
        y: &Tensor<N, C, 1, 1, E>,
        target: &[usize; N],
        dy: &mut Tensor<N, C, 1, 1, E>,
    ) -> Result<E, LossError> {
        softmax_cross_entropy(y, target, dy)
    }
}

impl<const N: usize, const C: usize, const H: usize, const W: usize, E: Element>
    Loss<Tensor<N, C, H, W, E>> for Mse
{
    type Target = Tensor<N, C, H, W, E>;
    #[inline]
    fn loss(
        &self,
        y: &Tensor<N, C, H, W, E>,
        target: &Self::Target,
        dy: &mut Tensor<N, C, H, W, E>,
    ) -> Result<E, LossError> {
        mse_loss(y, target, dy)
    }
}

impl<const N: usize, const C: usize, const H: usize, const W: usize, E: Element>
    Loss<Tensor<N, C, H, W, E>> for BceWithLogits
{
    type Target = Tensor<N, C, H, W, E>;
    #[inline]
    fn loss(
        &self,
        y: &Tensor<N, C, H, W, E>,
        target: &Self::Target,
        dy: &mut Tensor<N, C, H, W, E>,
    ) -> Result<E, LossError> {
        bce_with_logits(y, target, dy)
    }
}
