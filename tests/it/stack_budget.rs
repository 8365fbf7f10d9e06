//! The README's stack budget. A LeNet-5 training step and one through a 64-channel 3×3
//! convolution and a 4×4 one of stride 2 run on a thread with a small stack. Together they use
//! every convolution kernel: the forward and input-gradient weight pack, the column split of
//! stride-2 inputs, the zero-padded copy of small maps (on AVX-512), and the weight gradient's
//! block of `dy`.
//! A kernel that put a bigger buffer on its stack would overflow it, aborting the test binary.
use crate::common;
use common::gradcheck::Lcg;
use constnet::init;
use constnet::loss::SoftmaxCrossEntropy;
use constnet::models::LeNet5;
use constnet::optim::{Sgd, SgdConfig};
use constnet::prelude::*;

type Wide = (
    Conv2d<64, 64, 3, 1, 1>,
    Relu,
    // Stride 2, even kernel: the forward pass splits the input's columns into its own buffer.
    Conv2d<64, 32, 4, 2, 1>,
    Relu,
    // A 16 × 16 map: on AVX-512, forward and input gradient copy the input into their own
    // zero-padded buffer (`conv::padded`).
    Conv2d<32, 32, 3, 1, 1>,
    GlobalAvgPool2d,
    Flatten,
    Linear<32, 10>,
);

/// The thread's stack. Measured in the test build: the two steps need more than 48 KiB and at
/// most 52 KiB (the weight gradient's frame is the largest: a 32 KiB block of `dy` and 9 KiB of
/// tile sums), and with
/// `small-stack` they run in 20 KiB, about the smallest thread Linux gives. The margins stay
/// under one pack's size, so a kernel that added a buffer of that order would fail this test.
const STACK: usize = if cfg!(feature = "small-stack") {
    STACK_SMALL
} else {
    STACK_DEFAULT
};
const STACK_DEFAULT: usize = 64 * 1024;
const STACK_SMALL: usize = 24 * 1024;

#[test]
fn lenet5_and_a_wide_convolution_train_within_the_stack_budget() {
    // Everything big lives on the heap, built on this thread.
    let mut lenet = Box::new(init::seeded::<LeNet5, f32>(1));
    let mut lenet_ws = Workspace::<LeNet5, Tensor<4, 1, 28, 28>>::boxed();
    let mut lenet_x = <Tensor<4, 1, 28, 28>>::boxed();
    let mut lenet_sgd = Sgd::<LeNet5>::boxed(SgdConfig::new(0.05).momentum(0.9));
    let mut wide = Box::new(init::seeded::<Wide, f32>(2));
    let mut wide_ws = Workspace::<Wide, Tensor<1, 64, 32, 32>>::boxed();
    let mut wide_x = <Tensor<1, 64, 32, 32>>::boxed();
    let mut wide_sgd = Sgd::<Wide>::boxed(SgdConfig::new(0.05));
    let mut rng = Lcg(3);
    lenet_x.fill_with(|_| rng.next() as f32);
    wide_x.fill_with(|_| rng.next() as f32);
    let (lenet_w, wide_w) = (lenet.0.weight, wide.0.weight);
    let (lenet, wide, a, b) = std::thread::Builder::new()
        .stack_size(STACK)
        .spawn(move || {
            let t = [1, 2, 3, 4];
            let a = lenet_ws.train_step(
                &mut *lenet,
                &lenet_x,
                &SoftmaxCrossEntropy,
                &t,
                &mut *lenet_sgd,
            );
            let b = wide_ws.train_step(
                &mut *wide,
                &wide_x,
                &SoftmaxCrossEntropy,
                &[5],
                &mut *wide_sgd,
            );
            (lenet, wide, a, b)
        })
        .expect("spawn")
        .join()
        .expect("the training steps ran");
    assert!(a.unwrap().is_finite() && b.unwrap().is_finite());
    // The steps did the work: both first convolutions moved.
    assert_ne!(lenet.0.weight, lenet_w);
    assert_ne!(wide.0.weight, wide_w);
}
