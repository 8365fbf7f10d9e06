//! Parameter updates of the optimizers (typed wrappers: [`crate::optim`]), element-wise over
//! flat slices of one tensor: parameters `p`, gradients `g` and the optimizer's state.
//! Formulas are PyTorch's (`torch.optim.SGD`, `torch.optim.Adam`).

use crate::kernels::isa::{Isa, dispatch};
use crate::kernels::scalar::Scalar;

/// Hyper-parameters of an SGD step, converted to the element type.
#[derive(Clone, Copy, Debug)]
pub struct SgdStep<E> {
    /// Learning rate.
    pub lr: E,
    /// Momentum factor `μ` (0: plain SGD).
    pub momentum: E,
    /// Dampening `τ` of the gradient added to the momentum buffer.
    pub dampening: E,
    /// L2 penalty `λ` (added to the gradient as `λ·p`).
    pub weight_decay: E,
    /// Nesterov momentum.
    pub nesterov: bool,
    /// Whether this is the first step (the buffer is then set to the gradient).
    pub first: bool,
}

/// Plain SGD: `p −= lr · (g + λ·p)`.
#[inline]
pub fn sgd<E: Scalar>(p: &mut [E], g: &[E], lr: E, weight_decay: E) {
    dispatch!(E, |isa| sgd_on::<_, E>(isa, p, g, lr, weight_decay))
}

#[inline(always)]
fn sgd_on<I: Isa, E: Scalar>(_isa: I, p: &mut [E], g: &[E], lr: E, weight_decay: E) {
    debug_assert_eq!(p.len(), g.len());
    for (p, &g) in p.iter_mut().zip(g) {
        let d = g + weight_decay * *p;
        *p -= lr * d;
    }
}

/// SGD with momentum, PyTorch form: `d = g + λ·p`; `buf = d` on the first step, else
/// `buf = μ·buf + (1 − τ)·d`; `d = d + μ·buf` if Nesterov, else `d = buf`; `p −= lr·d`.
#[inline]
pub fn sgd_momentum<E: Scalar>(p: &mut [E], g: &[E], buf: &mut [E], h: SgdStep<E>) {
    dispatch!(E, |isa| sgd_momentum_on::<_, E>(isa, p, g, buf, h))
}

#[inline(always)]
fn sgd_momentum_on<I: Isa, E: Scalar>(_isa: I, p: &mut [E], g: &[E], buf: &mut [E], h: SgdStep<E>) {
    debug_assert_eq!(p.len(), g.len());
    debug_assert_eq!(p.len(), buf.len());
    let keep = E::one() - h.dampening;
    for ((p, &g), b) in p.iter_mut().zip(g).zip(buf) {
        let d = g + h.weight_decay * *p;
        *b = if h.first {
            d
        } else {
            h.momentum * *b + keep * d
        };
        let step = if h.nesterov { d + h.momentum * *b } else { *b };
        *p -= h.lr * step;
    }
}

/// Hyper-parameters of one Adam step `t`, converted to the element type.
#[derive(Clone, Copy, Debug)]
pub struct AdamStep<E> {
    /// `lr / (1 − β₁ᵗ)`.
    pub step_size: E,
    /// `β₁`.
    pub beta1: E,
    /// `β₂`.
    pub beta2: E,
    /// `1 / √(1 − β₂ᵗ)`.
    pub inv_sqrt_bias2: E,
    /// `ε`, added after the square root.
    pub eps: E,
    /// L2 penalty `λ` (added to the gradient as `λ·p`).
    pub weight_decay: E,
}

/// Adam, PyTorch form: `d = g + λ·p`, `m = β₁·m + (1 − β₁)·d`, `v = β₂·v + (1 − β₂)·d²`,
/// `p −= step_size · m / (√v / √(1 − β₂ᵗ) + ε)`.
#[inline]
pub fn adam<E: Scalar>(p: &mut [E], g: &[E], m: &mut [E], v: &mut [E], h: AdamStep<E>) {
    dispatch!(E, |isa| adam_on::<_, E>(isa, p, g, m, v, h))
}

#[inline(always)]
fn adam_on<I: Isa, E: Scalar>(
    _isa: I,
    p: &mut [E],
    g: &[E],
    m: &mut [E],
    v: &mut [E],
    h: AdamStep<E>,
) {
    debug_assert_eq!(p.len(), g.len());
    debug_assert_eq!(p.len(), m.len());
    debug_assert_eq!(p.len(), v.len());
    let (one_b1, one_b2) = (E::one() - h.beta1, E::one() - h.beta2);
    for (((p, &g), m), v) in p.iter_mut().zip(g).zip(m).zip(v) {
        let d = g + h.weight_decay * *p;
        *m = h.beta1 * *m + one_b1 * d;
        *v = h.beta2 * *v + one_b2 * d * d;
        let denom = v.sqrt() * h.inv_sqrt_bias2 + h.eps;
        *p -= h.step_size * *m / denom;
    }
}
