//! The training workflow: epochs of mini-batches, evaluation, history, learning-rate schedule,
//! checkpoints, resuming, progress output, learning curves, data-parallel threads.
//!
//! A [`Trainer`] is configured once ([`TrainConfig`]) and typed by its batch tensor:
//! `Trainer::<Tensor<64, 1, 28, 28>>` trains on batches of 64 MNIST images. [`Trainer::fit`]
//! then runs the epochs:
//!
//! * each epoch sets the learning rate from the schedule ([`LrSchedule`], epoch counted from 0),
//!   shuffles the training set with the seed ([`Batches::shuffle`]: the order depends only on
//!   the seed and the epoch) and runs one optimizer step per full batch (the samples that do
//!   not fill a last batch are skipped, different ones each epoch);
//! * then it evaluates the **whole** test set in eval mode (the last, partial batch is scored
//!   on its valid samples only), and records loss and accuracy, training and test, in the
//!   [`History`];
//! * with [`TrainConfig::checkpoints`], it writes a checkpoint (model, optimizer state, epoch
//!   count, history) after every epoch; [`TrainConfig::resume_from`] continues from one;
//! * at the end it draws the learning curves ([`plot`]) if asked to.
//!
//! A step does not allocate (buffers are allocated when the run starts). A run is
//! deterministic: the same seed, model, data and configuration give the same history and the
//! same parameters, bit for bit — also when resumed from a checkpoint (the one exception:
//! the generator state of `Dropout` layers is not saved, so a resumed run with dropout draws
//! different masks). A NaN or infinite loss stops the run with
//! [`TrainError::NonFiniteLoss`], naming the epoch and batch, before the bad batch changes the
//! model.
//!
//! # Threads
//!
//! With [`TrainConfig::threads`]`(T)`, `T` threads train data-parallel: a step's batch is
//! `T · N` samples (`N` = the batch size of the trainer's tensor type), split into `T` parts
//! of `N`, one per thread, each with a replica of the model; the gradients are averaged and one
//! optimizer step is taken — the single-thread step on a batch of `T · N`, up to the order of
//! float additions. So `Trainer::<Tensor<32, ..>>` with 2 threads computes what
//! `Trainer::<Tensor<64, ..>>` with 1 thread computes. Threads are started once per run and
//! meet at two barriers per step; the main thread is one of them. Batch normalisation computes
//! its batch statistics per thread (over `N` samples, as PyTorch's `DistributedDataParallel`
//! without `SyncBatchNorm`); the running statistics of the model are the mean over the threads.
//! The test set is evaluated by all threads too (each batch by one of them; the sums are taken in
//! batch order, so the result does not depend on the number of threads).
//!
//! ```no_run
//! use constnet::data::{MNIST, Split, load_idx_split};
//! use constnet::models::LeNet5;
//! use constnet::optim::{Adam, AdamConfig, schedule::CosineAnnealing};
//! use constnet::train::{TrainConfig, Trainer};
//! use constnet::Tensor;
//!
//! let train = load_idx_split("data/mnist", Split::Train)?;
//! let test = load_idx_split("data/mnist", Split::Test)?;
//! let mut net = constnet::init::seeded::<LeNet5, f32>(1);
//! let mut adam = Adam::<LeNet5>::boxed(AdamConfig::new(1e-3));
//! let schedule = CosineAnnealing { lr: 2e-3, min_lr: 1e-5, t_max: 6 };
//! let config = TrainConfig::new(6)
//!     .seed(1)
//!     .threads(2)
//!     .checkpoints("runs/mnist")
//!     .curve("runs/mnist/curve.png");
//! let history = Trainer::<Tensor<32, 1, 28, 28>>::new(config)
//!     .fit(&mut *net, &mut *adam, &schedule, &train, &test, &MNIST)?;
//! println!("test accuracy {:.2}%", 100.0 * history.last().unwrap().test_accuracy);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! [`Batches::shuffle`]: crate::data::Batches::shuffle

mod checkpoint;
mod engine;
mod error;
mod history;
pub mod plot;
mod progress;

pub use checkpoint::{checkpoint_name, latest_checkpoint};
pub use engine::Evaluation;
pub use error::{Phase, TrainError};
pub use history::{EpochStats, History};
pub use progress::{Progress, epoch_line};

use crate::data::{DataError, Dataset, Normalization};
use crate::layer::Layer;
use crate::optim::Optimizer;
use crate::optim::schedule::LrSchedule;
use crate::shape::Trainable;
use crate::tensor::Tensor;
use crate::visit::Module;
use crate::zeroable::Zeroable;
use engine::{Data, Exec, Fail, Parallel, Serial, Shared, Task};
use progress::Reporter;
use std::marker::PhantomData;
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// A network the [`Trainer`] can train: it classifies batches `Tensor<N, C, H, W>` into `K`
/// classes (logits `Tensor<N, K, 1, 1>`), can run in training mode on such batches
/// ([`Trainable`]: no batch norm sees a single value per channel), is plain data
/// ([`Zeroable`], for replicas and buffers allocated on the heap) and can be moved to another
/// thread. Implemented for every such layer.
pub trait Classifier<const N: usize, const C: usize, const H: usize, const W: usize, const K: usize>:
    Layer<Tensor<N, C, H, W>, Output = Tensor<N, K, 1, 1>, Trace: Send, Training: Trainable>
    + Zeroable
    + Send
{
}

impl<L, const N: usize, const C: usize, const H: usize, const W: usize, const K: usize>
    Classifier<N, C, H, W, K> for L
where
    L: Layer<Tensor<N, C, H, W>, Output = Tensor<N, K, 1, 1>, Trace: Send, Training: Trainable>
        + Zeroable
        + Send,
{
}

/// How a [`Trainer`] runs. Build with [`TrainConfig::new`] and the builder methods.
#[derive(Debug, Clone, PartialEq)]
pub struct TrainConfig {
    /// Total epochs of the run (a resumed run continues up to this count).
    pub epochs: usize,
    /// Seed of the shuffling (the model's initialisation is the caller's).
    pub seed: u64,
    /// Data-parallel threads (≥ 1); see the [module documentation](self#threads).
    pub threads: usize,
    /// Directory for a checkpoint after every epoch (created if missing).
    pub checkpoint_dir: Option<PathBuf>,
    /// Checkpoint to resume from: its model, optimizer state and history replace the given
    /// ones, and training continues with its next epoch.
    pub resume_from: Option<PathBuf>,
    /// Where to write the learning-curve PNG at the end of the run.
    pub curve: Option<PathBuf>,
    /// Size of the learning-curve image (width, height).
    pub curve_size: (u32, u32),
    /// Progress output.
    pub progress: Progress,
    /// Update the progress bar every this many steps (≥ 1).
    pub update_every: usize,
}

impl TrainConfig {
    /// `epochs` epochs, seed 0, one thread, no checkpoints, no curve, [`Progress::Auto`], the
    /// bar updated every 20 steps.
    pub fn new(epochs: usize) -> Self {
        TrainConfig {
            epochs,
            seed: 0,
            threads: 1,
            checkpoint_dir: None,
            resume_from: None,
            curve: None,
            curve_size: (960, 400),
            progress: Progress::Auto,
            update_every: 20,
        }
    }
    /// With shuffling seed `seed`.
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }
    /// With `threads` data-parallel threads.
    pub fn threads(mut self, threads: usize) -> Self {
        self.threads = threads;
        self
    }
    /// Write a checkpoint to `dir` after every epoch.
    pub fn checkpoints(mut self, dir: impl Into<PathBuf>) -> Self {
        self.checkpoint_dir = Some(dir.into());
        self
    }
    /// Resume from the checkpoint file `path`.
    pub fn resume_from(mut self, path: impl Into<PathBuf>) -> Self {
        self.resume_from = Some(path.into());
        self
    }
    /// Write the learning curves to the PNG file `path` at the end.
    pub fn curve(mut self, path: impl Into<PathBuf>) -> Self {
        self.curve = Some(path.into());
        self
    }
    /// With progress output `progress`.
    pub fn progress(mut self, progress: Progress) -> Self {
        self.progress = progress;
        self
    }
    /// Update the progress bar every `steps` steps.
    pub fn update_every(mut self, steps: usize) -> Self {
        self.update_every = steps;
        self
    }
    /// With a learning-curve image of `width × height` pixels.
    pub fn curve_size(mut self, width: u32, height: u32) -> Self {
        self.curve_size = (width, height);
        self
    }
}

/// Trains classifiers on batches of type `X` (`Tensor<N, C, H, W>`, `N` samples per thread
/// and step). See the [module documentation](self).
#[derive(Debug, Clone)]
pub struct Trainer<X> {
    /// The configuration.
    pub config: TrainConfig,
    _batch: PhantomData<fn() -> X>,
}

impl<X> Trainer<X> {
    /// A trainer with configuration `config`.
    pub fn new(config: TrainConfig) -> Self {
        Trainer {
            config,
            _batch: PhantomData,
        }
    }
}

/// `Err(Config)` with `reason`.
fn config_error<T>(reason: String) -> Result<T, TrainError> {
    Err(TrainError::Config { reason })
}

impl<const N: usize, const C: usize, const H: usize, const W: usize> Trainer<Tensor<N, C, H, W>> {
    /// Checks that `data` has images of `C × H × W` and at most `K` classes.
    fn check_data<const K: usize>(data: &Dataset) -> Result<(), TrainError> {
        if data.shape() != [C, H, W] {
            return Err(DataError::ShapeMismatch {
                expected: data.shape(),
                found: [C, H, W],
            }
            .into());
        }
        if data.classes() > K {
            return config_error(format!(
                "the data has {} classes but the network outputs {K}",
                data.classes()
            ));
        }
        Ok(())
    }

    /// Train `model` with `optimizer`, the learning rate of each epoch from `schedule`, on
    /// `train`, evaluating on `test` after every epoch; images normalized with `norm`.
    /// Returns the history of the run (including the epochs of a checkpoint resumed from).
    ///
    /// The optimizer's state is part of the checkpoints, so it must be a [`Module`] (the
    /// optimizers of [`crate::optim`] are).
    ///
    /// # Errors
    /// [`TrainError`]: the data does not fit the network, a loss is NaN or infinite (naming
    /// epoch and batch), a checkpoint cannot be written or read, the image cannot be written,
    /// the configuration cannot work. The model keeps the state it had when the error
    /// happened (the failing batch changed nothing).
    #[allow(clippy::too_many_arguments)]
    pub fn fit<L, O, S, const K: usize>(
        &self,
        model: &mut L,
        optimizer: &mut O,
        schedule: &S,
        train: &Dataset,
        test: &Dataset,
        norm: &Normalization<C>,
    ) -> Result<History, TrainError>
    where
        L: Classifier<N, C, H, W, K>,
        O: Optimizer<L> + Module<f32>,
        S: LrSchedule + ?Sized,
    {
        let cfg = &self.config;
        if cfg.threads == 0 || N == 0 || cfg.update_every == 0 {
            return config_error(format!(
                "threads ({}), batch size ({N}) and update_every ({}) must be at least 1",
                cfg.threads, cfg.update_every
            ));
        }
        Self::check_data::<K>(train)?;
        Self::check_data::<K>(test)?;
        let step_samples = N * cfg.threads;
        if train.len() < step_samples {
            return config_error(format!(
                "a step takes {step_samples} samples ({N} × {} threads) but the training set has {}",
                cfg.threads,
                train.len()
            ));
        }
        let mut history = History::default();
        if let Some(path) = &cfg.resume_from {
            history = checkpoint::load(path, model, optimizer)?;
            if history.len() > cfg.epochs {
                return Err(TrainError::Checkpoint {
                    path: path.clone(),
                    reason: format!(
                        "it has {} epochs, more than the run's {}",
                        history.len(),
                        cfg.epochs
                    ),
                });
            }
        }
        if let Some(dir) = &cfg.checkpoint_dir {
            std::fs::create_dir_all(dir).map_err(|source| TrainError::Io {
                path: dir.clone(),
                source,
            })?;
        }
        let mut reporter = Reporter::new(cfg.progress, cfg.epochs);
        if history.len() < cfg.epochs {
            reporter.println(&format!(
                "training on {} thread{}: {} steps of {step_samples} samples per epoch, epochs {}..={}",
                cfg.threads,
                if cfg.threads == 1 { "" } else { "s" },
                train.len() / step_samples,
                history.len() + 1,
                cfg.epochs,
            ));
        }
        let data = Data {
            train,
            test,
            norm: *norm,
        };
        if cfg.threads == 1 {
            let mut exec = Serial::<Task<L, N, C, H, W, K>>::new(data);
            self.epochs(
                &mut exec,
                model,
                optimizer,
                schedule,
                &mut history,
                &mut reporter,
            )?;
        } else {
            let shared = Shared::<Task<L, N, C, H, W, K>>::new(data, cfg.threads);
            std::thread::scope(|s| {
                for w in 1..cfg.threads {
                    let shared = &shared;
                    s.spawn(move || shared.worker(w));
                }
                let mut exec = Parallel::new(&shared, model);
                self.epochs(
                    &mut exec,
                    model,
                    optimizer,
                    schedule,
                    &mut history,
                    &mut reporter,
                )
            })?;
        }
        drop(reporter);
        if let Some(path) = &cfg.curve {
            let (w, h) = cfg.curve_size;
            plot::write_png(&history, path, w, h)?;
        }
        Ok(history)
    }

    /// The epoch loop, from the first epoch `history` does not have to `config.epochs`.
    fn epochs<L, O, S, E>(
        &self,
        exec: &mut E,
        model: &mut L,
        optimizer: &mut O,
        schedule: &S,
        history: &mut History,
        reporter: &mut Reporter,
    ) -> Result<(), TrainError>
    where
        L: Module<f32>,
        O: Optimizer<L> + Module<f32>,
        S: LrSchedule + ?Sized,
        E: Exec<L>,
    {
        let cfg = &self.config;
        let steps = exec.steps();
        let per_step = exec.step_samples();
        for epoch in history.len()..cfg.epochs {
            let started = Instant::now();
            let lr = schedule.lr(epoch);
            optimizer.set_lr(lr);
            exec.shuffle(cfg.seed, epoch);
            reporter.start_epoch(epoch, steps * per_step);
            let (mut loss_sum, mut correct, mut busy) = (0.0f64, 0usize, Duration::ZERO);
            for step in 0..steps {
                let t = Instant::now();
                let result = exec.train_step(model, step, optimizer);
                busy += t.elapsed();
                let (loss, c) = result.map_err(|f| fail(f, Phase::Train, epoch, step))?;
                loss_sum += f64::from(loss);
                correct += c;
                if (step + 1) % cfg.update_every == 0 || step + 1 == steps {
                    let done = (step + 1) * per_step;
                    let rate = done as f64 / busy.as_secs_f64().max(1e-9);
                    reporter.update(done, loss_sum / (step + 1) as f64, rate);
                }
            }
            let eval = exec
                .evaluate(model)
                .map_err(|(batch, f)| fail(f, Phase::Test, epoch, batch))?;
            let samples = steps * per_step;
            history.epochs.push(EpochStats {
                epoch,
                lr: lr as f32,
                train_loss: (loss_sum / steps as f64) as f32,
                train_accuracy: (correct as f64 / samples as f64) as f32,
                test_loss: eval.loss as f32,
                test_accuracy: eval.accuracy() as f32,
                seconds: started.elapsed().as_secs_f32(),
                train_seconds: busy.as_secs_f32(),
                train_samples: samples,
            });
            if let Some(dir) = &cfg.checkpoint_dir {
                checkpoint::save(dir, model, optimizer, history)?;
            }
            reporter.end_epoch(&history.epochs[epoch]);
        }
        Ok(())
    }

    /// Evaluate `model` (eval mode) on every sample of `data`: mean loss (softmax
    /// cross-entropy) and accuracy. Uses `config.threads` threads. `model` is not changed
    /// (it is taken `&mut` to be copied into the threads' replicas).
    ///
    /// # Errors
    /// [`TrainError::Data`] if `data` does not fit the network, loss errors with
    /// [`Phase::Test`] and epoch 0, [`TrainError::Config`] for 0 threads.
    pub fn evaluate<L, const K: usize>(
        &self,
        model: &mut L,
        data: &Dataset,
        norm: &Normalization<C>,
    ) -> Result<Evaluation, TrainError>
    where
        L: Classifier<N, C, H, W, K>,
    {
        Self::check_data::<K>(data)?;
        if self.config.threads == 0 || N == 0 {
            return config_error("threads and batch size must be at least 1".to_owned());
        }
        let d = Data {
            train: data,
            test: data,
            norm: *norm,
        };
        let fail = |(batch, f)| fail(f, Phase::Test, 0, batch);
        if self.config.threads == 1 {
            Serial::<Task<L, N, C, H, W, K>>::new(d)
                .evaluate(model)
                .map_err(fail)
        } else {
            let shared = Shared::<Task<L, N, C, H, W, K>>::new(d, self.config.threads);
            std::thread::scope(|s| {
                for w in 1..self.config.threads {
                    let shared = &shared;
                    s.spawn(move || shared.worker(w));
                }
                Parallel::new(&shared, model).evaluate(model).map_err(fail)
            })
        }
    }
}

/// The [`TrainError`] of a failed batch.
fn fail(f: Fail, phase: Phase, epoch: usize, batch: usize) -> TrainError {
    match f {
        Fail::Loss(e) => TrainError::loss(e, phase, epoch, batch),
        Fail::Data(e) => TrainError::Data(e),
    }
}
