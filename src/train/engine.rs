//! The executors of a run: [`Serial`] (one thread, the model itself) and [`Parallel`]
//! (data-parallel over worker threads with model replicas).
//!
//! # Data-parallel steps
//!
//! With `T` threads, a step's batch is `T · N` samples: worker `w` takes samples
//! `w·N .. (w+1)·N` of it and computes the mean-loss gradient of its `N` samples on its own
//! replica of the model, with its own [`Workspace`]. The main thread is worker 0. Then the main
//! thread sums the gradients in worker order, scales by `1/T` (the gradient of the mean loss
//! over all `T · N` samples — the single-thread step on the whole batch, up to the order of
//! float additions), takes the optimizer step on the master model and copies it back into
//! every replica. Layers whose training forward pass updates buffers (batch-norm running
//! statistics) update them on each replica from its own `N` samples; the master gets their
//! mean (exact for running means; batch statistics themselves are per worker, as in PyTorch's
//! `DistributedDataParallel` without `SyncBatchNorm`). Random generators (dropout's) are
//! derived per worker from the master's at every step: worker 0 continues the master's stream
//! and hands it back, worker `w` draws from [`fork`]`(state, w)`, so every mask of a run follows
//! from the master model's state, which checkpoints save.
//!
//! Threads are spawned once per run ([`std::thread::scope`]) and synchronised by two barriers
//! per step; every buffer is allocated when the run starts, so a step allocates nothing.

use super::Classifier;
use crate::data::{Batches, DataError, Dataset, Normalization};
use crate::layers::dropout::fork;
use crate::loss::{
    LossError, SoftmaxCrossEntropy, count_correct, count_correct_prefix,
    softmax_cross_entropy_prefix,
};
use crate::optim::{Optimizer, add_tensors, scale_tensors};
use crate::tensor::Tensor;
use crate::visit::{Module, Path, Role, TensorInfo, Visitor};
use crate::workspace::Workspace;
use crate::zeroable::Zeroable;
use core::marker::PhantomData;
use std::any::Any;
use std::panic::{AssertUnwindSafe, catch_unwind, resume_unwind};
use std::sync::{Barrier, Mutex, MutexGuard, PoisonError, RwLock};

/// Why a batch failed.
pub(super) enum Fail {
    Loss(LossError),
    Data(DataError),
}

/// The datasets and their normalization (`Nm`: a [`Normalization`]).
pub(super) struct Data<'a, Nm> {
    pub train: &'a Dataset,
    pub test: &'a Dataset,
    pub norm: Nm,
}

/// The result of evaluating a whole dataset.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Evaluation {
    /// Mean loss over all samples.
    pub loss: f64,
    /// Samples classified correctly.
    pub correct: usize,
    /// Samples evaluated.
    pub samples: usize,
}

impl Evaluation {
    /// `correct / samples` (0 for an empty dataset).
    pub fn accuracy(&self) -> f64 {
        if self.samples == 0 {
            0.0
        } else {
            self.correct as f64 / self.samples as f64
        }
    }
}

/// One evaluated batch: (mean loss over its valid samples, correct, valid).
pub(super) type BatchEval = Result<(f32, usize, usize), Fail>;

/// What the executors provide to the epoch loop.
pub(super) trait Exec<L> {
    /// Training steps per epoch.
    fn steps(&self) -> usize;
    /// Samples per step.
    fn step_samples(&self) -> usize;
    /// Set the training order of `epoch`.
    fn shuffle(&mut self, seed: u64, epoch: usize);
    /// One optimizer step on batch `step` of the current order; returns the batch's mean loss
    /// and the number of its samples classified correctly (before the update).
    fn train_step<O: Optimizer<L>>(
        &mut self,
        model: &mut L,
        step: usize,
        optimizer: &mut O,
    ) -> Result<(f32, usize), Fail>;
    /// Evaluate the test set; on failure, the failing batch.
    fn evaluate(&mut self, model: &mut L) -> Result<Evaluation, (usize, Fail)>;
}

/// One worker's buffers.
pub(super) struct Buffers<
    L: Classifier<N, C, H, W, K>,
    const N: usize,
    const C: usize,
    const H: usize,
    const W: usize,
    const K: usize,
> {
    ws: Box<Workspace<L, Tensor<N, C, H, W>>>,
    x: Box<Tensor<N, C, H, W>>,
    y: [usize; N],
}

impl<
    L: Classifier<N, C, H, W, K>,
    const N: usize,
    const C: usize,
    const H: usize,
    const W: usize,
    const K: usize,
> Buffers<L, N, C, H, W, K>
{
    fn new() -> Self {
        Buffers {
            ws: Workspace::boxed(),
            x: Tensor::boxed(),
            y: [0; N],
        }
    }

    /// Forward and backward pass on the samples `idx` (`N` of them); gradients in `ws.grads`.
    fn grads(
        &mut self,
        net: &mut L,
        data: &Dataset,
        norm: &Normalization<C>,
        idx: &[usize],
    ) -> Result<(f32, usize), Fail> {
        data.fill_batch(idx, norm, &mut self.x, &mut self.y)
            .map_err(Fail::Data)?;
        let loss = self
            .ws
            .forward_backward(net, &self.x, &SoftmaxCrossEntropy, &self.y)
            .map_err(Fail::Loss)?;
        Ok((loss, count_correct(&self.ws.output, &self.y)))
    }

    /// Eval-mode loss and correct count over the samples `idx` (at most `N`; a partial batch
    /// is scored on its valid samples only).
    fn eval(
        &mut self,
        net: &L,
        data: &Dataset,
        norm: &Normalization<C>,
        idx: &[usize],
    ) -> BatchEval {
        let valid = data
            .fill_batch(idx, norm, &mut self.x, &mut self.y)
            .map_err(Fail::Data)?;
        net.forward(&self.x, &mut self.ws.output, &mut self.ws.trace);
        let (logits, y) = (&self.ws.output, &self.y);
        let loss = softmax_cross_entropy_prefix(logits, y, valid, &mut self.ws.doutput)
            .map_err(Fail::Loss)?;
        Ok((loss, count_correct_prefix(logits, y, valid), valid))
    }
}

/// A training task as one type: model `L` on batches of `N` samples of `C × H × W`, into `K`
/// classes. The executors below are generic over it ([`Problem`]) instead of over the six
/// parameters each.
pub(super) struct Task<
    L,
    const N: usize,
    const C: usize,
    const H: usize,
    const W: usize,
    const K: usize,
>(PhantomData<L>);

/// What the executors need of a [`Task`]: its model, batch size and normalization, and one
/// worker's buffers with the passes over them.
pub(super) trait Problem {
    /// The model (and the type of its gradients).
    type Model: Module<f32> + Zeroable + Send;
    /// The input normalization.
    type Norm: Sync;
    /// One worker's buffers.
    type Buffers: Send;
    /// Samples per batch.
    const N: usize;
    /// New buffers (on the heap).
    fn buffers() -> Self::Buffers;
    /// [`Buffers::grads`].
    fn grads(
        b: &mut Self::Buffers,
        net: &mut Self::Model,
        data: &Dataset,
        norm: &Self::Norm,
        idx: &[usize],
    ) -> Result<(f32, usize), Fail>;
    /// [`Buffers::eval`].
    fn eval(
        b: &mut Self::Buffers,
        net: &Self::Model,
        data: &Dataset,
        norm: &Self::Norm,
        idx: &[usize],
    ) -> BatchEval;
    /// The gradients the last [`Problem::grads`] left.
    fn gradients(b: &mut Self::Buffers) -> &mut Self::Model;
}

impl<
    L: Classifier<N, C, H, W, K>,
    const N: usize,
    const C: usize,
    const H: usize,
    const W: usize,
    const K: usize,
> Problem for Task<L, N, C, H, W, K>
{
    type Model = L;
    type Norm = Normalization<C>;
    type Buffers = Buffers<L, N, C, H, W, K>;
    const N: usize = N;
    fn buffers() -> Self::Buffers {
        Buffers::new()
    }
    fn grads(
        b: &mut Self::Buffers,
        net: &mut L,
        data: &Dataset,
        norm: &Normalization<C>,
        idx: &[usize],
    ) -> Result<(f32, usize), Fail> {
        b.grads(net, data, norm, idx)
    }
    fn eval(
        b: &mut Self::Buffers,
        net: &L,
        data: &Dataset,
        norm: &Normalization<C>,
        idx: &[usize],
    ) -> BatchEval {
        b.eval(net, data, norm, idx)
    }
    fn gradients(b: &mut Self::Buffers) -> &mut L {
        &mut b.ws.grads
    }
}

/// The sample indices of evaluation batch `b` of batches of `n`: `b·n .. min((b+1)·n, len)`.
fn eval_range(identity: &[usize], b: usize, n: usize) -> &[usize] {
    let start = b * n;
    &identity[start..(start + n).min(identity.len())]
}

/// Sum evaluation results in batch order (`take(b)` = result of batch `b`).
fn combine(
    batches: usize,
    mut take: impl FnMut(usize) -> BatchEval,
) -> Result<Evaluation, (usize, Fail)> {
    let mut e = Evaluation {
        loss: 0.0,
        correct: 0,
        samples: 0,
    };
    for b in 0..batches {
        match take(b) {
            Ok((loss, correct, valid)) => {
                e.loss += f64::from(loss) * valid as f64;
                e.correct += correct;
                e.samples += valid;
            }
            Err(f) => return Err((b, f)),
        }
    }
    if e.samples > 0 {
        e.loss /= e.samples as f64;
    }
    Ok(e)
}

/// Single-threaded execution on the model itself.
pub(super) struct Serial<'a, P: Problem> {
    data: Data<'a, P::Norm>,
    order: Batches<'a>,
    identity: Vec<usize>,
    buf: P::Buffers,
    evals: Vec<BatchEval>,
}

impl<'a, P: Problem> Serial<'a, P> {
    pub(super) fn new(data: Data<'a, P::Norm>) -> Self {
        let batches = data.test.len().div_ceil(P::N);
        Serial {
            order: Batches::training(data.train),
            identity: (0..data.test.len()).collect(),
            buf: P::buffers(),
            evals: Vec::with_capacity(batches),
            data,
        }
    }
}

impl<P: Problem> Exec<P::Model> for Serial<'_, P> {
    fn steps(&self) -> usize {
        self.data.train.len() / P::N
    }
    fn step_samples(&self) -> usize {
        P::N
    }
    fn shuffle(&mut self, seed: u64, epoch: usize) {
        self.order.shuffle(seed, epoch as u64);
    }
    fn train_step<O: Optimizer<P::Model>>(
        &mut self,
        model: &mut P::Model,
        step: usize,
        optimizer: &mut O,
    ) -> Result<(f32, usize), Fail> {
        let idx = &self.order.order()[step * P::N..][..P::N];
        let out = P::grads(&mut self.buf, model, self.data.train, &self.data.norm, idx)?;
        optimizer.step::<f32>(model, P::gradients(&mut self.buf));
        Ok(out)
    }
    fn evaluate(&mut self, model: &mut P::Model) -> Result<Evaluation, (usize, Fail)> {
        let batches = self.data.test.len().div_ceil(P::N);
        self.evals.clear();
        for b in 0..batches {
            let idx = eval_range(&self.identity, b, P::N);
            let r = P::eval(&mut self.buf, model, self.data.test, &self.data.norm, idx);
            self.evals.push(r);
        }
        combine(batches, |b| {
            core::mem::replace(&mut self.evals[b], Ok((0.0, 0, 0)))
        })
    }
}

/// What the workers are told to do.
#[derive(Clone, Copy, Debug)]
enum Cmd {
    Train { step: usize },
    Eval,
    Stop,
}

/// A worker's replica, buffers and results.
struct Slot<P: Problem> {
    replica: Box<P::Model>,
    buf: P::Buffers,
    train: Option<Result<(f32, usize), Fail>>,
    /// Results of evaluation batches `w, w + T, w + 2T, ...`.
    evals: Vec<BatchEval>,
    panic: Option<Box<dyn Any + Send>>,
}

/// What the threads of a [`Parallel`] run share.
pub(super) struct Shared<'a, P: Problem> {
    data: Data<'a, P::Norm>,
    threads: usize,
    order: RwLock<Batches<'a>>,
    identity: Vec<usize>,
    slots: Vec<Mutex<Slot<P>>>,
    cmd: Mutex<Cmd>,
    start: Barrier,
    done: Barrier,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl<'a, P: Problem> Shared<'a, P> {
    /// Buffers for `threads ≥ 2` workers (replicas are filled by [`Parallel::new`]).
    pub(super) fn new(data: Data<'a, P::Norm>, threads: usize) -> Self {
        let batches = data.test.len().div_ceil(P::N);
        let slots = (0..threads)
            .map(|_| {
                Mutex::new(Slot {
                    replica: P::Model::boxed(),
                    buf: P::buffers(),
                    train: None,
                    evals: Vec::with_capacity(batches.div_ceil(threads)),
                    panic: None,
                })
            })
            .collect();
        Shared {
            order: RwLock::new(Batches::training(data.train)),
            identity: (0..data.test.len()).collect(),
            data,
            threads,
            slots,
            cmd: Mutex::new(Cmd::Stop),
            start: Barrier::new(threads),
            done: Barrier::new(threads),
        }
    }

    /// The loop of worker thread `w ≥ 1`: wait for a command, run it, report.
    pub(super) fn worker(&self, w: usize) {
        loop {
            self.start.wait();
            let cmd = *lock(&self.cmd);
            if let Cmd::Stop = cmd {
                return;
            }
            self.run(w, cmd);
            self.done.wait();
        }
    }

    /// Worker `w`'s share of `cmd`. Panics are caught and kept in the slot (the main thread
    /// re-raises them), so every worker always reaches the next barrier.
    fn run(&self, w: usize, cmd: Cmd) {
        let mut guard = lock(&self.slots[w]);
        let slot = &mut *guard;
        let result = catch_unwind(AssertUnwindSafe(|| match cmd {
            Cmd::Train { step } => {
                let order = self.order.read().unwrap_or_else(PoisonError::into_inner);
                let start = (step * self.threads + w) * P::N;
                let idx = &order.order()[start..start + P::N];
                let (train, norm) = (self.data.train, &self.data.norm);
                let r = P::grads(&mut slot.buf, &mut slot.replica, train, norm, idx);
                slot.train = Some(r);
            }
            Cmd::Eval => {
                slot.evals.clear();
                let batches = self.data.test.len().div_ceil(P::N);
                for b in (w..batches).step_by(self.threads) {
                    let idx = eval_range(&self.identity, b, P::N);
                    let (test, norm) = (self.data.test, &self.data.norm);
                    let r = P::eval(&mut slot.buf, &slot.replica, test, norm, idx);
                    slot.evals.push(r);
                }
            }
            Cmd::Stop => {}
        }));
        if let Err(p) = result {
            slot.panic = Some(p);
        }
    }
}

/// Data-parallel execution; the main thread is worker 0. Dropping it stops the workers.
pub(super) struct Parallel<'s, 'a, P: Problem> {
    shared: &'s Shared<'a, P>,
    /// Whether the workers are between the two barriers of a command.
    busy: bool,
}

impl<'s, 'a, P: Problem> Parallel<'s, 'a, P> {
    /// Takes charge of the workers of `shared` (spawned by the caller, running
    /// [`Shared::worker`]) and copies `model` into every replica.
    pub(super) fn new(shared: &'s Shared<'a, P>, model: &mut P::Model) -> Self {
        let p = Parallel {
            shared,
            busy: false,
        };
        p.broadcast(model);
        p
    }

    /// Copy the master model (parameters, buffers, counters) into every replica.
    fn broadcast(&self, model: &mut P::Model) {
        for (w, slot) in self.shared.slots.iter().enumerate() {
            let mut slot = lock(slot);
            P::Model::visit(
                [&mut *slot.replica, model],
                &Path::Root,
                &mut Assign::all(w),
            );
        }
    }

    /// Run `cmd` on every worker (the main thread does worker 0's share), then re-raise a
    /// worker's panic.
    fn command(&mut self, cmd: Cmd) {
        *lock(&self.shared.cmd) = cmd;
        self.busy = true;
        self.shared.start.wait();
        self.shared.run(0, cmd);
        self.shared.done.wait();
        self.busy = false;
        for slot in &self.shared.slots {
            if let Some(p) = lock(slot).panic.take() {
                resume_unwind(p);
            }
        }
    }
}

impl<P: Problem> Drop for Parallel<'_, '_, P> {
    fn drop(&mut self) {
        if self.busy {
            self.shared.done.wait();
        }
        *lock(&self.shared.cmd) = Cmd::Stop;
        self.shared.start.wait();
    }
}

impl<P: Problem> Exec<P::Model> for Parallel<'_, '_, P> {
    fn steps(&self) -> usize {
        self.shared.data.train.len() / (P::N * self.shared.threads)
    }
    fn step_samples(&self) -> usize {
        P::N * self.shared.threads
    }
    fn shuffle(&mut self, seed: u64, epoch: usize) {
        self.shared
            .order
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .shuffle(seed, epoch as u64);
    }
    fn train_step<O: Optimizer<P::Model>>(
        &mut self,
        model: &mut P::Model,
        step: usize,
        optimizer: &mut O,
    ) -> Result<(f32, usize), Fail> {
        self.command(Cmd::Train { step });
        let slots = &self.shared.slots;
        let t = self.shared.threads;
        // Results in worker order; the first failure wins.
        let (mut loss, mut correct) = (0.0f32, 0);
        for slot in slots {
            let (l, c) = lock(slot).train.take().unwrap_or(Ok((0.0, 0)))?;
            loss += l;
            correct += c;
        }
        let inv = 1.0 / t as f32;
        let mut first = lock(&slots[0]);
        let first = &mut *first;
        // Gradients: sum in worker order, then the mean.
        for slot in &slots[1..] {
            let mut other = lock(slot);
            add_tensors(
                P::gradients(&mut first.buf),
                P::gradients(&mut other.buf),
                Role::Param,
            );
        }
        scale_tensors(P::gradients(&mut first.buf), Role::Param, inv);
        // Buffers (running statistics): the mean over the replicas; counters and generator
        // states from worker 0.
        P::Model::visit(
            [&mut *model, &mut first.replica],
            &Path::Root,
            &mut Assign {
                role: Some(Role::Buffer),
                worker: 0,
            },
        );
        for slot in &slots[1..] {
            let mut other = lock(slot);
            add_tensors(&mut *model, &mut other.replica, Role::Buffer);
        }
        scale_tensors(&mut *model, Role::Buffer, inv);
        optimizer.step::<f32>(model, P::gradients(&mut first.buf));
        // The updated model back into every replica.
        P::Model::visit(
            [&mut *first.replica, model],
            &Path::Root,
            &mut Assign::all(0),
        );
        for (w, slot) in slots.iter().enumerate().skip(1) {
            let mut other = lock(slot);
            P::Model::visit(
                [&mut *other.replica, model],
                &Path::Root,
                &mut Assign::all(w),
            );
        }
        Ok((loss * inv, correct))
    }
    fn evaluate(&mut self, _model: &mut P::Model) -> Result<Evaluation, (usize, Fail)> {
        // The replicas equal the model (copied after every step and at the start).
        self.command(Cmd::Eval);
        let t = self.shared.threads;
        let mut guards: Vec<_> = self.shared.slots.iter().map(lock).collect();
        let batches = self.shared.data.test.len().div_ceil(P::N);
        combine(batches, |b| {
            core::mem::replace(&mut guards[b % t].evals[b / t], Ok((0.0, 0, 0)))
        })
    }
}

/// `a ← b` for the tensors of `role` (all tensors for `None`) and every counter; generator
/// states `a ← fork(b, worker)`.
struct Assign {
    role: Option<Role>,
    worker: usize,
}
impl Assign {
    /// Everything, into the replica of `worker`.
    fn all(worker: usize) -> Self {
        Assign { role: None, worker }
    }
}
impl Visitor<f32, 2> for Assign {
    fn tensor(&mut self, info: TensorInfo<'_>, [a, b]: [&mut [f32]; 2]) {
        if self.role.is_none_or(|r| r == info.role) {
            a.copy_from_slice(b);
        }
    }
    fn counter(&mut self, _: &Path<'_>, [a, b]: [&mut u64; 2]) {
        *a = *b;
    }
    fn generator(&mut self, _: &Path<'_>, [a, b]: [&mut u64; 2]) {
        *a = fork(*b, self.worker);
    }
}
