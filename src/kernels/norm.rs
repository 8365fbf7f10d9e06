//! Batch normalisation over flat `N, C, H·W` slices: per-channel batch statistics, the affine
//! normalisation, running-statistics updates, backward (through the batch statistics in training
//! mode, through fixed statistics in eval mode) and folding into a preceding convolution.
//!
//! Notation, per channel `c` over the `M = N·H·W` values of that channel:
//! `μ = Σx / M`, `σ² = Σ(x − μ)² / M` (biased), `x̂ = (x − μ)·istd` with `istd = 1/√(σ² + ε)`,
//! `y = γ·x̂ + β`.
//!
//! The loops go channel by channel, over the `N` contiguous `H·W` planes of that channel, so no
//! per-channel scratch array is needed: every function works in the caller's storage.

use crate::kernels::isa::{Isa, dispatch};
use crate::kernels::lanes::{sum, sum_and_dot_dev, sum_sq_dev};
use crate::kernels::scalar::Scalar;

/// Compile-time geometry of a per-channel normalisation: `N` samples of `C` planes of `HW`
/// values each.
pub trait ChannelGeometry {
    /// Batch size.
    const N: usize;
    /// Channels.
    const C: usize;
    /// Values per plane (`H·W`).
    const HW: usize;
    /// Values per channel over the batch (`N·H·W`), the `M` of the statistics.
    const M: usize = Self::N * Self::HW;
    /// Values of the whole tensor.
    const LEN: usize = Self::N * Self::C * Self::HW;
}

/// A [`ChannelGeometry`] given by const parameters: `N` samples, `C` channels, `H × W` planes.
pub struct ChannelGeom<const N: usize, const C: usize, const H: usize, const W: usize>;

impl<const N: usize, const C: usize, const H: usize, const W: usize> ChannelGeometry
    for ChannelGeom<N, C, H, W>
{
    const N: usize = N;
    const C: usize = C;
    const HW: usize = H * W;
}

/// The `N` planes of channel `c`, each `HW` values long.
#[inline(always)]
fn planes<G: ChannelGeometry, E>(x: &[E], c: usize) -> impl Iterator<Item = &[E]> {
    (0..G::N).map(move |n| &x[(n * G::C + c) * G::HW..][..G::HW])
}

/// Per-channel batch mean and **biased** variance (two passes, for accuracy). Overwrites `mean`
/// and `var` (`C` values each).
pub fn batch_stats<G: ChannelGeometry, E: Scalar>(x: &[E], mean: &mut [E], var: &mut [E]) {
    dispatch!(E, |isa| batch_stats_on::<_, G, E>(isa, x, mean, var))
}

#[inline(always)]
fn batch_stats_on<I: Isa, G: ChannelGeometry, E: Scalar>(
    _isa: I,
    x: &[E],
    mean: &mut [E],
    var: &mut [E],
) {
    let x = &x[..G::LEN];
    let m = E::of(G::M as f64);
    for c in 0..G::C {
        // Sum plane by plane: partial sums of H·W values keep the rounding error small.
        let mut s = E::zero();
        for p in planes::<G, E>(x, c) {
            s += sum(p);
        }
        let mu = s / m;
        let mut q = E::zero();
        for p in planes::<G, E>(x, c) {
            q += sum_sq_dev::<I, E>(p, mu);
        }
        mean[c] = mu;
        var[c] = q / m;
    }
}

/// In place, `v[c] ← 1 / √(v[c] + eps)`: turns variances into inverse standard deviations.
pub fn var_to_inv_std<E: Scalar>(v: &mut [E], eps: E) {
    for v in v {
        *v = E::one() / (*v + eps).sqrt();
    }
}

/// `y = γ·(x − μ)·istd + β` per channel. Overwrites `y`.
#[inline]
pub fn normalize<G: ChannelGeometry, E: Scalar>(
    x: &[E],
    mean: &[E],
    istd: &[E],
    gamma: &[E],
    beta: &[E],
    y: &mut [E],
) {
    let stats = [mean, istd, gamma, beta];
    affine(
        Some(&x[..G::LEN]),
        &mut y[..G::LEN],
        stats,
        None,
        G::C,
        G::HW,
    )
}

/// Eval-mode batch norm from the running statistics (`[mean, var, γ, β]`): [`normalize`] with
/// `istd = 1/√(var + eps)` computed as [`var_to_inv_std`] does (so the values are the same).
/// `x = None` normalizes `y` in place.
#[inline]
pub fn normalize_running<G: ChannelGeometry, E: Scalar>(
    x: Option<&[E]>,
    y: &mut [E],
    stats: [&[E]; 4],
    eps: E,
) {
    let x = x.map(|x| &x[..G::LEN]);
    affine(x, &mut y[..G::LEN], stats, Some(eps), G::C, G::HW)
}

/// `y = γ·(x − μ)·istd + β` over `y.len() / (c · hw)` samples of `channels` planes of `hw`
/// values, with `[μ, d, γ, β] = stats` and `istd = d`, or `1/√(d + eps)` when `eps` is given
/// (`d` is then the variance); in place when `x` is `None`. Not generic over the geometry: one
/// instance per element type and instruction set serves every layer (DenseNet-121 alone has
/// dozens of batch-norm geometries).
fn affine<E: Scalar>(
    x: Option<&[E]>,
    y: &mut [E],
    [mean, d, gamma, beta]: [&[E]; 4],
    eps: Option<E>,
    channels: usize,
    hw: usize,
) {
    dispatch!(E, |isa| affine_on::<_, E>(
        isa,
        x,
        y,
        channels,
        hw,
        #[inline(always)]
        |c| {
            let istd = match eps {
                Some(eps) => E::one() / (d[c] + eps).sqrt(),
                None => d[c],
            };
            let scale = gamma[c] * istd;
            (scale, beta[c] - mean[c] * scale)
        }
    ))
}

/// `y = scale·x + shift` per channel, `(scale, shift) = coef(c)`; `y = scale·y + shift` when
/// `x` is `None`.
#[inline(always)]
fn affine_on<I: Isa, E: Scalar>(
    _isa: I,
    x: Option<&[E]>,
    y: &mut [E],
    channels: usize,
    hw: usize,
    coef: impl Fn(usize) -> (E, E),
) {
    let samples = y.len() / (channels * hw).max(1);
    for c in 0..channels {
        let (scale, shift) = coef(c);
        for n in 0..samples {
            let off = (n * channels + c) * hw;
            let y = &mut y[off..][..hw];
            match x {
                Some(x) => {
                    for (y, &x) in y.iter_mut().zip(&x[off..][..hw]) {
                        *y = x * scale + shift;
                    }
                }
                None => {
                    for y in y {
                        *y = *y * scale + shift;
                    }
                }
            }
        }
    }
}

/// Running statistics update (PyTorch's rule, `momentum` = weight of the new statistic):
/// `running_mean ← (1 − m)·running_mean + m·μ`,
/// `running_var ← (1 − m)·running_var + m·σ²·M/(M − 1)` (the **unbiased** batch variance).
pub fn update_running<G: ChannelGeometry, E: Scalar>(
    running_mean: &mut [E],
    running_var: &mut [E],
    mean: &[E],
    var_biased: &[E],
    momentum: E,
) {
    let unbias = E::of(G::M as f64 / (G::M as f64 - 1.0));
    let keep = E::one() - momentum;
    for c in 0..G::C {
        running_mean[c] = keep * running_mean[c] + momentum * mean[c];
        running_var[c] = keep * running_var[c] + momentum * var_biased[c] * unbias;
    }
}

/// `(Σ dy, Σ dy·x̂)` over channel `c`.
#[inline(always)]
fn grad_sums<I: Isa, G: ChannelGeometry, E: Scalar>(
    _isa: I,
    x: &[E],
    dy: &[E],
    c: usize,
    mean: E,
    istd: E,
) -> (E, E) {
    let (mut sdy, mut sdyx) = (E::zero(), E::zero());
    for (xp, gp) in planes::<G, E>(x, c).zip(planes::<G, E>(dy, c)) {
        let (a, b) = sum_and_dot_dev::<I, E>(xp, gp, mean);
        sdy += a;
        sdyx += b;
    }
    (sdy, sdyx * istd)
}

/// Parameter gradients only: `dγ += Σ dy·x̂`, `dβ += Σ dy` (accumulates).
pub fn backward_params<G: ChannelGeometry, E: Scalar>(
    x: &[E],
    dy: &[E],
    mean: &[E],
    istd: &[E],
    dgamma: &mut [E],
    dbeta: &mut [E],
) {
    dispatch!(E, |isa| backward_params_on::<_, G, E>(
        isa, x, dy, mean, istd, dgamma, dbeta
    ))
}

#[inline(always)]
fn backward_params_on<I: Isa, G: ChannelGeometry, E: Scalar>(
    isa: I,
    x: &[E],
    dy: &[E],
    mean: &[E],
    istd: &[E],
    dgamma: &mut [E],
    dbeta: &mut [E],
) {
    let (x, dy) = (&x[..G::LEN], &dy[..G::LEN]);
    for c in 0..G::C {
        let (sdy, sdyx) = grad_sums::<I, G, E>(isa, x, dy, c, mean[c], istd[c]);
        dgamma[c] += sdyx;
        dbeta[c] += sdy;
    }
}

/// Parameter gradients (accumulated into `dgamma`, `dbeta`) and the input gradient, written
/// **over `x`** (which is read first).
///
/// With `batch_stats` (training mode: `μ`, `istd` were computed from this batch) the gradient
/// flows through the statistics:
/// `dx = γ·istd/M · (M·dy − Σdy − x̂·Σ(dy·x̂))`.
/// Without (eval mode: fixed running statistics) `dx = dy·γ·istd`.
#[allow(clippy::too_many_arguments)]
pub fn backward_in_place<G: ChannelGeometry, E: Scalar>(
    x: &mut [E],
    dy: &[E],
    mean: &[E],
    istd: &[E],
    gamma: &[E],
    batch_stats: bool,
    dgamma: &mut [E],
    dbeta: &mut [E],
) {
    dispatch!(E, |isa| backward_in_place_on::<_, G, E>(
        isa,
        x,
        dy,
        mean,
        istd,
        gamma,
        batch_stats,
        dgamma,
        dbeta
    ))
}

#[inline(always)]
#[allow(clippy::too_many_arguments)]
fn backward_in_place_on<I: Isa, G: ChannelGeometry, E: Scalar>(
    isa: I,
    x: &mut [E],
    dy: &[E],
    mean: &[E],
    istd: &[E],
    gamma: &[E],
    batch_stats: bool,
    dgamma: &mut [E],
    dbeta: &mut [E],
) {
    let (x, dy) = (&mut x[..G::LEN], &dy[..G::LEN]);
    let inv_m = E::one() / E::of(G::M as f64);
    for c in 0..G::C {
        let (mu, is) = (mean[c], istd[c]);
        let (sdy, sdyx) = grad_sums::<I, G, E>(isa, x, dy, c, mu, is);
        dgamma[c] += sdyx;
        dbeta[c] += sdy;
        let k = gamma[c] * is;
        // Training mode: dx = k·(dy − Σdy/M − x̂·Σ(dy·x̂)/M); eval mode: the two means are 0.
        let (mdy, mdyx) = if batch_stats {
            (sdy * inv_m, sdyx * inv_m)
        } else {
            (E::zero(), E::zero())
        };
        for n in 0..G::N {
            let off = (n * G::C + c) * G::HW;
            for (x, &g) in x[off..][..G::HW].iter_mut().zip(&dy[off..][..G::HW]) {
                let xhat = (*x - mu) * is;
                *x = k * (g - mdy - xhat * mdyx);
            }
        }
    }
}

/// Folds a batch normalisation (eval mode) into the convolution before it, in place:
/// with `s = γ/√(running_var + ε)`, every weight of output channel `o` is scaled by `s[o]` and
/// the bias becomes `(b[o] − running_mean[o])·s[o] + β[o]`.
///
/// `weight` holds `C` output channels of `weight.len() / C` values each (PyTorch's
/// `[CO, CI, K, K]` layout); `bias` holds the convolution's bias on entry (zeros if it had
/// none) and the folded bias on return.
pub fn fold_into_conv<E: Scalar>(
    weight: &mut [E],
    bias: &mut [E],
    gamma: &[E],
    beta: &[E],
    running_mean: &[E],
    running_var: &[E],
    eps: E,
) {
    let c = bias.len();
    let per = weight.len() / c;
    for o in 0..c {
        let s = gamma[o] / (running_var[o] + eps).sqrt();
        for w in &mut weight[o * per..][..per] {
            *w *= s;
        }
        bias[o] = (bias[o] - running_mean[o]) * s + beta[o];
    }
}
