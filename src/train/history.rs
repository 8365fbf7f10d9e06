//! [`History`]: what each epoch of a run measured.

/// The measurements of one epoch.
///
/// Training loss and accuracy are running values over the epoch's training steps (training
/// mode, each batch scored before its update), as most frameworks report them; test loss and
/// accuracy are exact, over every test sample, with the model at the end of the epoch.
/// Metrics are stored as `f32` so that a checkpoint holds them exactly (a resumed run has
/// the same history as an uninterrupted one); times are wall-clock and differ between runs.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EpochStats {
    /// The epoch (from 0).
    pub epoch: usize,
    /// The learning rate of the epoch (from the schedule).
    pub lr: f32,
    /// Mean training loss over the epoch's steps.
    pub train_loss: f32,
    /// Fraction of training samples classified correctly during the epoch (`0..=1`).
    pub train_accuracy: f32,
    /// Mean loss over the test set.
    pub test_loss: f32,
    /// Fraction of test samples classified correctly (`0..=1`).
    pub test_accuracy: f32,
    /// Wall-clock seconds of the epoch: training, evaluation and progress output (not the
    /// checkpoint written after it).
    pub seconds: f32,
    /// Seconds spent in training steps only (filling batches, forward, backward, gradient
    /// reduction, update): the pure training time.
    pub train_seconds: f32,
    /// Training samples processed (steps × batch).
    pub train_samples: usize,
}

impl EpochStats {
    /// Training throughput: samples per second of pure training time.
    pub fn samples_per_second(&self) -> f64 {
        self.train_samples as f64 / f64::from(self.train_seconds).max(1e-9)
    }

    /// Whether every metric (everything but the times) is bit-for-bit equal.
    pub fn same_metrics(&self, other: &EpochStats) -> bool {
        let bits = |s: &EpochStats| {
            [
                s.lr,
                s.train_loss,
                s.train_accuracy,
                s.test_loss,
                s.test_accuracy,
            ]
            .map(f32::to_bits)
        };
        self.epoch == other.epoch
            && self.train_samples == other.train_samples
            && bits(self) == bits(other)
    }
}

/// The per-epoch measurements of a run, epoch 0 first. A resumed run's history includes the
/// epochs of the checkpoint it resumed from.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct History {
    /// One entry per completed epoch.
    pub epochs: Vec<EpochStats>,
}

impl History {
    /// Number of completed epochs.
    pub fn len(&self) -> usize {
        self.epochs.len()
    }
    /// `true` if no epoch has completed.
    pub fn is_empty(&self) -> bool {
        self.epochs.is_empty()
    }
    /// The last completed epoch.
    pub fn last(&self) -> Option<&EpochStats> {
        self.epochs.last()
    }
    /// The highest test accuracy of any epoch (0 if there is none).
    pub fn best_test_accuracy(&self) -> f32 {
        self.epochs
            .iter()
            .map(|e| e.test_accuracy)
            .fold(0.0, f32::max)
    }
    /// Pure training seconds summed over all epochs.
    pub fn train_seconds(&self) -> f64 {
        self.epochs.iter().map(|e| f64::from(e.train_seconds)).sum()
    }
    /// Wall-clock seconds summed over all epochs.
    pub fn seconds(&self) -> f64 {
        self.epochs.iter().map(|e| f64::from(e.seconds)).sum()
    }
    /// Whether both histories have the same epochs with the same metrics
    /// ([`EpochStats::same_metrics`]: everything but the times).
    pub fn same_metrics(&self, other: &History) -> bool {
        self.len() == other.len()
            && self
                .epochs
                .iter()
                .zip(&other.epochs)
                .all(|(a, b)| a.same_metrics(b))
    }
}
