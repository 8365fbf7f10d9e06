//! [`TrainError`]: everything that can stop a training run.

use crate::data::DataError;
use crate::loss::LossError;
use std::fmt;
use std::path::PathBuf;

/// The part of an epoch an error happened in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Phase {
    /// A training step (forward, loss, backward, update) on a training batch.
    Train,
    /// The evaluation on the test set that ends each epoch.
    Test,
}

impl fmt::Display for Phase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Phase::Train => "training",
            Phase::Test => "test",
        })
    }
}

/// Why a training run (or an evaluation) stopped.
///
/// Epochs and batches are counted from 0, like the epochs of a
/// [learning-rate schedule](crate::optim::schedule). A batch of a training epoch is one
/// optimizer step (with several threads: the step's whole batch).
#[derive(Debug)]
#[non_exhaustive]
pub enum TrainError {
    /// A dataset does not fit the network (its images are not `C × H × W`), or could not be
    /// read.
    Data(DataError),
    /// The loss is NaN or infinite: the run diverged, or the data contains NaN. Nothing was
    /// updated by the failing batch.
    NonFiniteLoss {
        /// Training step or test evaluation.
        phase: Phase,
        /// The epoch (from 0).
        epoch: usize,
        /// The batch within the epoch (from 0).
        batch: usize,
    },
    /// Another loss error: a label is not a class of the network.
    Loss {
        /// Training step or test evaluation.
        phase: Phase,
        /// The epoch (from 0).
        epoch: usize,
        /// The batch within the epoch (from 0).
        batch: usize,
        /// What the loss reported.
        source: LossError,
    },
    /// A checkpoint could not be written or read ([`crate::io`]'s error, naming the tensor).
    Weights {
        /// The checkpoint file.
        path: PathBuf,
        /// The weight-file error.
        source: crate::io::Error,
    },
    /// A checkpoint is a valid weight file of this model and optimizer but does not fit the
    /// run (e.g. it has more epochs than the run).
    Checkpoint {
        /// The checkpoint file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// A file or directory could not be created, written or read.
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The operating system's error.
        source: std::io::Error,
    },
    /// The learning-curve image could not be encoded.
    Png {
        /// The image file.
        path: PathBuf,
        /// The encoder's message.
        reason: String,
    },
    /// The configuration cannot work (no threads, a batch larger than the training set, more
    /// classes in the data than the network outputs, ...).
    Config {
        /// What is wrong.
        reason: String,
    },
}

impl TrainError {
    /// The `(phase, epoch, batch)` of a loss error, if this is one.
    pub fn location(&self) -> Option<(Phase, usize, usize)> {
        match *self {
            TrainError::NonFiniteLoss {
                phase,
                epoch,
                batch,
            }
            | TrainError::Loss {
                phase,
                epoch,
                batch,
                ..
            } => Some((phase, epoch, batch)),
            _ => None,
        }
    }

    /// A loss error at `(phase, epoch, batch)`: [`TrainError::NonFiniteLoss`] for
    /// [`LossError::NonFinite`], [`TrainError::Loss`] otherwise.
    pub(crate) fn loss(source: LossError, phase: Phase, epoch: usize, batch: usize) -> Self {
        match source {
            LossError::NonFinite => TrainError::NonFiniteLoss {
                phase,
                epoch,
                batch,
            },
            source => TrainError::Loss {
                phase,
                epoch,
                batch,
                source,
            },
        }
    }
}

impl fmt::Display for TrainError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TrainError::Data(e) => write!(f, "data: {e}"),
            TrainError::NonFiniteLoss {
                phase,
                epoch,
                batch,
            } => write!(
                f,
                "the loss is NaN or infinite in epoch {epoch}, {phase} batch {batch} \
                 (counted from 0): the run diverged or the data contains NaN/inf"
            ),
            TrainError::Loss {
                phase,
                epoch,
                batch,
                source,
            } => write!(
                f,
                "loss error in epoch {epoch}, {phase} batch {batch} (counted from 0): {source}"
            ),
            TrainError::Weights { path, source } => {
                write!(f, "checkpoint {}: {source}", path.display())
            }
            TrainError::Checkpoint { path, reason } => {
                write!(f, "checkpoint {}: {reason}", path.display())
            }
            TrainError::Io { path, source } => write!(f, "{}: {source}", path.display()),
            TrainError::Png { path, reason } => {
                write!(f, "cannot write the image {}: {reason}", path.display())
            }
            TrainError::Config { reason } => write!(f, "invalid training configuration: {reason}"),
        }
    }
}

impl std::error::Error for TrainError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            TrainError::Data(e) => Some(e),
            TrainError::Loss { source, .. } => Some(source),
            TrainError::Weights { source, .. } => Some(source),
            TrainError::Io { source, .. } => Some(source),
            _ => None,
        }
    }
}

impl From<DataError> for TrainError {
    fn from(e: DataError) -> Self {
        TrainError::Data(e)
    }
}
