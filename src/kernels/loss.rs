//! Loss functions and their gradients over flat slices (typed wrappers: [`crate::loss`]).
//!
//! Every function returns the **mean** loss and writes the gradient of that mean with respect to
//! its input into a caller-provided slice. Nothing allocates. On an error the gradient slice
//! holds unspecified values (it is left untouched when a class index is out of range).

use crate::kernels::scalar::Scalar;
use core::fmt;

/// Why a loss could not be computed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LossError {
    /// A class index is not below the number of classes.
    TargetOutOfRange {
        /// The sample (row of the batch) with the bad target.
        sample: usize,
        /// The target given.
        target: usize,
        /// The number of classes.
        classes: usize,
    },
    /// The loss is NaN or infinite (diverged training, or NaN/inf in the input or target).
    NonFinite,
}

impl fmt::Display for LossError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LossError::TargetOutOfRange {
                sample,
                target,
                classes,
            } => write!(
                f,
                "target class {target} of sample {sample} is out of range: there are {classes} classes"
            ),
            LossError::NonFinite => write!(f, "the loss is not a finite number (NaN or infinite)"),
        }
    }
}

#[cfg(feature = "std")]
impl std::error::Error for LossError {}

/// `Err(NonFinite)` unless `loss` is a finite number.
#[inline]
fn finite<E: Scalar>(loss: E) -> Result<E, LossError> {
    if loss.is_finite() {
        Ok(loss)
    } else {
        Err(LossError::NonFinite)
    }
}

/// `1 / n` as an `E` (`n ≥ 1`).
#[inline]
fn inv<E: Scalar>(n: usize) -> E {
    E::one() / E::of(n as f64)
}

/// Softmax cross-entropy over rows of `C` logits, mean over the `targets.len()` rows.
///
/// `loss = mean_n(log Σ_c exp(x[n,c]) − x[n, t_n])`, computed with the row maximum subtracted
/// (stable for logits of any magnitude); `dx = (softmax(x) − onehot(t)) / N`.
///
/// # Errors
/// [`LossError::TargetOutOfRange`] if a target is `≥ C` (checked before anything is written);
/// [`LossError::NonFinite`] if the loss is NaN or infinite.
pub fn softmax_cross_entropy<const C: usize, E: Scalar>(
    logits: &[E],
    targets: &[usize],
    dx: &mut [E],
) -> Result<E, LossError> {
    debug_assert_eq!(logits.len(), targets.len() * C);
    debug_assert_eq!(dx.len(), logits.len());
    if let Some((sample, &target)) = targets.iter().enumerate().find(|&(_, &t)| t >= C) {
        return Err(LossError::TargetOutOfRange {
            sample,
            target,
            classes: C,
        });
    }
    let n = targets.len();
    if n == 0 {
        return Ok(E::zero());
    }
    let inv_n = inv::<E>(n);
    let mut total = E::zero();
    for ((x, d), &t) in logits
        .chunks_exact(C)
        .zip(dx.chunks_exact_mut(C))
        .zip(targets)
    {
        let m = x
            .iter()
            .fold(E::neg_infinity(), |m, &v| if v > m { v } else { m });
        let mut sum = E::zero();
        for (d, &v) in d.iter_mut().zip(x) {
            let e = (v - m).exp();
            *d = e;
            sum += e;
        }
        // `(m − x_t) + ln Σ` rather than `(m + ln Σ) − x_t`: adding the small `ln Σ` to a large
        // `m` first would round it away.
        total += (m - x[t]) + sum.ln();
        let scale = inv_n / sum;
        for d in d.iter_mut() {
            *d *= scale;
        }
        d[t] -= inv_n;
    }
    finite(total * inv_n)
}

/// Mean squared error over all elements: `loss = mean((x − t)²)`, `dx = 2 (x − t) / numel`.
/// The gradient with respect to the target is `−dx` ([`negate`]).
///
/// # Errors
/// [`LossError::NonFinite`] if the loss is NaN or infinite.
pub fn mse<E: Scalar>(x: &[E], target: &[E], dx: &mut [E]) -> Result<E, LossError> {
    debug_assert_eq!(x.len(), target.len());
    debug_assert_eq!(dx.len(), x.len());
    if x.is_empty() {
        return Ok(E::zero());
    }
    let inv_n = inv::<E>(x.len());
    let two_n = (E::one() + E::one()) * inv_n;
    let mut total = E::zero();
    for ((d, &x), &t) in dx.iter_mut().zip(x).zip(target) {
        let diff = x - t;
        total += diff * diff;
        *d = two_n * diff;
    }
    finite(total * inv_n)
}

/// `out[i] = −a[i]` (the target gradient of [`mse`] from its input gradient).
#[inline]
pub fn negate<E: Scalar>(a: &[E], out: &mut [E]) {
    for (o, &a) in out.iter_mut().zip(a) {
        *o = -a;
    }
}

/// Logistic sigmoid, stable for inputs of any magnitude (never evaluates `exp` of a positive
/// number).
#[inline]
pub fn sigmoid<E: Scalar>(x: E) -> E {
    if x >= E::zero() {
        E::one() / (E::one() + (-x).exp())
    } else {
        let e = x.exp();
        e / (E::one() + e)
    }
}

/// Binary cross-entropy on logits, mean over all elements, in the stable form
/// `max(x, 0) − x·t + log1p(exp(−|x|))`; `dx = (sigmoid(x) − t) / numel`.
/// Targets may be soft (any value in `[0, 1]`).
///
/// # Errors
/// [`LossError::NonFinite`] if the loss is NaN or infinite.
pub fn bce_with_logits<E: Scalar>(x: &[E], target: &[E], dx: &mut [E]) -> Result<E, LossError> {
    debug_assert_eq!(x.len(), target.len());
    debug_assert_eq!(dx.len(), x.len());
    if x.is_empty() {
        return Ok(E::zero());
    }
    let inv_n = inv::<E>(x.len());
    let mut total = E::zero();
    for ((d, &x), &t) in dx.iter_mut().zip(x).zip(target) {
        total += x.max(E::zero()) - x * t + (-x.abs()).exp().ln_1p();
        *d = (sigmoid(x) - t) * inv_n;
    }
    finite(total * inv_n)
}

/// Target gradient of [`bce_with_logits`]: `dt = −x / numel`.
pub fn bce_with_logits_target_grad<E: Scalar>(x: &[E], dt: &mut [E]) {
    let inv_n = inv::<E>(x.len().max(1));
    for (d, &x) in dt.iter_mut().zip(x) {
        *d = -x * inv_n;
    }
}

/// Index of the largest of each row of `C` values (the first one on ties; NaNs are never
/// chosen unless a row is all NaN, which gives 0).
pub fn argmax<const C: usize, E: Scalar>(x: &[E], out: &mut [usize]) {
    debug_assert_eq!(x.len(), out.len() * C);
    for (row, o) in x.chunks_exact(C).zip(out.iter_mut()) {
        let mut best = 0;
        for (c, &v) in row.iter().enumerate() {
            if v > row[best] || (row[best].is_nan() && !v.is_nan()) {
                best = c;
            }
        }
        *o = best;
    }
}

/// Number of rows of `C` values whose [`argmax`] equals the target.
pub fn count_correct<const C: usize, E: Scalar>(x: &[E], targets: &[usize]) -> usize {
    debug_assert_eq!(x.len(), targets.len() * C);
    let mut correct = 0;
    for (row, &t) in x.chunks_exact(C).zip(targets) {
        let mut best = [0usize];
        argmax::<C, E>(row, &mut best);
        correct += usize::from(best[0] == t);
    }
    correct
}
