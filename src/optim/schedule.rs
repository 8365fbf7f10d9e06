//! Learning-rate schedules: pure functions of the epoch.
//!
//! ```
//! use constnet::optim::schedule::{CosineAnnealing, LrSchedule, StepDecay};
//! let s = StepDecay { lr: 0.1, step_size: 10, gamma: 0.5 };
//! assert_eq!(s.lr(9), 0.1);
//! assert_eq!(s.lr(10), 0.05);
//! let c = CosineAnnealing { lr: 0.1, min_lr: 0.0, t_max: 10 };
//! assert_eq!(c.lr(0), 0.1);
//! assert!((c.lr(5) - 0.05).abs() < 1e-12);
//! assert_eq!(c.lr(10), 0.0);
//! ```
//! Apply one with [`Optimizer::set_lr`](super::Optimizer::set_lr) at the start of each epoch.

use num_traits::Float;

/// A learning rate for each epoch (counted from 0).
pub trait LrSchedule {
    /// The learning rate of `epoch`.
    fn lr(&self, epoch: usize) -> f64;
}

/// Any `Fn(epoch) -> lr` is a schedule.
impl<F: Fn(usize) -> f64> LrSchedule for F {
    fn lr(&self, epoch: usize) -> f64 {
        self(epoch)
    }
}

/// The same learning rate every epoch.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Constant {
    /// The learning rate.
    pub lr: f64,
}

impl LrSchedule for Constant {
    fn lr(&self, _: usize) -> f64 {
        self.lr
    }
}

/// Multiply by `gamma` every `step_size` epochs (PyTorch's `StepLR`):
/// `lr · gamma^⌊epoch / step_size⌋`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct StepDecay {
    /// Initial learning rate.
    pub lr: f64,
    /// Epochs between decays (0 is treated as 1).
    pub step_size: usize,
    /// Decay factor.
    pub gamma: f64,
}

impl LrSchedule for StepDecay {
    fn lr(&self, epoch: usize) -> f64 {
        step_decay(self.lr, self.step_size, self.gamma, epoch)
    }
}

/// Cosine annealing from `lr` down to `min_lr` over `t_max` epochs (PyTorch's
/// `CosineAnnealingLR`, closed form): `min_lr + (lr − min_lr)·(1 + cos(π·epoch / t_max)) / 2`.
/// Stays at `min_lr` after `t_max` (no restart).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct CosineAnnealing {
    /// Initial (maximum) learning rate.
    pub lr: f64,
    /// Final (minimum) learning rate.
    pub min_lr: f64,
    /// Epochs of the descent (0 gives `min_lr` at once).
    pub t_max: usize,
}

impl LrSchedule for CosineAnnealing {
    fn lr(&self, epoch: usize) -> f64 {
        cosine_annealing(self.lr, self.min_lr, self.t_max, epoch)
    }
}

/// `lr · gamma^⌊epoch / step_size⌋` ([`StepDecay`]).
pub fn step_decay(lr: f64, step_size: usize, gamma: f64, epoch: usize) -> f64 {
    let k = epoch / step_size.max(1);
    lr * Float::powi(gamma, i32::try_from(k).unwrap_or(i32::MAX))
}

/// `min_lr + (lr − min_lr)·(1 + cos(π·min(epoch, t_max) / t_max)) / 2` ([`CosineAnnealing`]).
pub fn cosine_annealing(lr: f64, min_lr: f64, t_max: usize, epoch: usize) -> f64 {
    if epoch >= t_max {
        return min_lr;
    }
    let x = core::f64::consts::PI * epoch as f64 / t_max as f64;
    min_lr + (lr - min_lr) * (1.0 + Float::cos(x)) / 2.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schedules() {
        assert_eq!(Constant { lr: 0.3 }.lr(1000), 0.3);
        let s = StepDecay {
            lr: 1.0,
            step_size: 3,
            gamma: 0.1,
        };
        let got: [f64; 7] = core::array::from_fn(|e| s.lr(e));
        let want = [1.0, 1.0, 1.0, 0.1, 0.1, 0.1, 0.01];
        for (g, w) in got.iter().zip(want) {
            assert!((g - w).abs() < 1e-15, "{got:?}");
        }
        let c = CosineAnnealing {
            lr: 1.0,
            min_lr: 0.2,
            t_max: 4,
        };
        // cos(π/4) = √2/2.
        let q = 0.2 + 0.8 * (1.0 + core::f64::consts::FRAC_1_SQRT_2) / 2.0;
        assert!((c.lr(1) - q).abs() < 1e-12);
        assert!((c.lr(2) - 0.6).abs() < 1e-12);
        assert_eq!(c.lr(4), 0.2);
        assert_eq!(c.lr(9), 0.2);
        // Monotone decreasing.
        assert!((0..4).all(|e| c.lr(e) > c.lr(e + 1)));
        let f = |e: usize| 1.0 / (e + 1) as f64;
        assert_eq!(f.lr(3), 0.25);
    }
}
