//! A full LeNet-5 training step — forward, cross-entropy loss and its gradient, backward,
//! optimizer update (SGD with momentum, Adam) — makes zero heap allocations once the buffers
//! exist, at batch 1 and batch 16. So does inference.
use crate::common;
use common::alloc::count;
use common::gradcheck::Lcg;
use constnet::init;
use constnet::loss::SoftmaxCrossEntropy;
use constnet::models::LeNet5;
use constnet::optim::{Adam, AdamConfig, Optimizer, Sgd, SgdConfig};
use constnet::prelude::*;

fn run<const N: usize, O: Optimizer<LeNet5>>(opt: &mut O) {
    // Setup: everything allocated here, once.
    let mut net = init::seeded::<LeNet5, f32>(N as u64);
    let mut ws = Workspace::<LeNet5, Tensor<N, 1, 28, 28>>::boxed();
    let mut x = <Tensor<N, 1, 28, 28>>::boxed();
    let mut rng = Lcg(7);
    x.fill_with(|_| rng.next() as f32);
    let target: [usize; N] = core::array::from_fn(|i| i % 10);
    let fc3 = net.11.weight;

    let mut losses = [0f32; 5];
    for l in &mut losses {
        let (allocs, loss) =
            count(|| ws.train_step(&mut net, &x, &SoftmaxCrossEntropy, &target, opt));
        assert_eq!(allocs, 0, "training step at batch {N} allocated");
        *l = loss.unwrap();
    }
    // The measured steps did the work: the loss fell and the weights moved.
    assert!(losses[4] < losses[0], "batch {N}: {losses:?}");
    assert_ne!(net.11.weight, fc3);

    let (allocs, correct) = count(|| {
        let y = ws.infer(&net, &x);
        constnet::loss::count_correct(y, &target)
    });
    assert_eq!(allocs, 0, "inference at batch {N} allocated");
    assert!(correct <= N);
    let (allocs, loss) = count(|| ws.evaluate(&net, &x, &SoftmaxCrossEntropy, &target));
    assert_eq!(allocs, 0, "evaluation at batch {N} allocated");
    assert!(loss.unwrap().is_finite());
}

fn sgd() -> Box<Sgd<LeNet5>> {
    Sgd::boxed(SgdConfig::new(0.05).momentum(0.9))
}

fn adam() -> Box<Adam<LeNet5>> {
    Adam::boxed(AdamConfig::new(1e-3))
}

#[test]
fn sgd_momentum_step_batch_1() {
    run::<1, _>(&mut *sgd());
}

#[test]
fn sgd_momentum_step_batch_16() {
    run::<16, _>(&mut *sgd());
}

#[test]
fn adam_step_batch_1() {
    run::<1, _>(&mut *adam());
}

#[test]
fn adam_step_batch_16() {
    run::<16, _>(&mut *adam());
}

#[test]
fn optimizer_reset_does_not_allocate() {
    let mut a = adam();
    let mut s = sgd();
    let (allocs, ()) = count(|| {
        a.reset(AdamConfig::new(1e-2));
        s.reset(SgdConfig::new(1e-2));
    });
    assert_eq!(allocs, 0);
    assert_eq!(a.lr(), 1e-2);
}

#[test]
fn the_allocator_counts() {
    // Guard against a counter that never counts: boxing a workspace is one allocation.
    let (allocs, ws) = count(Workspace::<LeNet5, Tensor<1, 1, 28, 28>>::boxed);
    assert_eq!(allocs, 1);
    drop(ws);
}
