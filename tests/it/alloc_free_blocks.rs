//! Training a ResNet basic block and a GoogLeNet Inception block allocates nothing, and the
//! training memory of a basic block is one `size_of`.
use crate::common;
use common::alloc::count;
use constnet::prelude::*;
use constnet::{Batch, TraceOf};

/// ResNet basic block with `C` channels: `relu(bn2(conv2(relu(bn1(conv1(x))))) + x)`.
type BasicBlock<const C: usize> = (
    Residual<(
        Conv2d<C, C, 3, 1, 1, NoBias>,
        BatchNorm2d<C>,
        Relu,
        Conv2d<C, C, 3, 1, 1, NoBias>,
        BatchNorm2d<C>,
    )>,
    Relu,
);

/// GoogLeNet's inception (3a): 192 → 64 | 96 → 128 | 16 → 32 | pool → 32 = 256 channels.
type Inception3a = Concat<(
    (Conv2d<192, 64, 1>, Relu),
    (Conv2d<192, 96, 1>, Relu, Conv2d<96, 128, 3, 1, 1>, Relu),
    (Conv2d<192, 16, 1>, Relu, Conv2d<16, 32, 5, 1, 2>, Relu),
    (MaxPool2d<3, 1, 1>, Conv2d<192, 32, 1>, Relu),
)>;

/// Everything one training step of `L` on `X` needs: the network, its gradients, the trace
/// (activations, batch-norm statistics, arg-maxes) and the output buffer (which the loss
/// overwrites with `dy`, as the caller's input buffer receives `dx`).
struct Training<L: Layer<X>, X: Batch> {
    _net: L,
    _grads: L,
    _trace: L::Trace,
    _y: L::Output,
}

fn fill<X: Batch<Elem = f32>>(x: &mut X, seed: u32) {
    let mut s = seed.wrapping_mul(2_654_435_761) | 1;
    for v in x.flat_mut() {
        s ^= s << 13;
        s ^= s >> 17;
        s ^= s << 5;
        *v = (s as f32 / u32::MAX as f32) - 0.5;
    }
}

fn init<M: Module<f32>>(m: &mut M) {
    let mut k = 0u32;
    m.for_each_tensor(|info, v| {
        k += 1;
        match info.init {
            constnet::visit::Init::Const(c) => v.fill(c as f32),
            constnet::visit::Init::FanIn(f) => {
                let mut s = k.wrapping_mul(2_654_435_761) | 1;
                let b = 1.0 / (f as f32).sqrt();
                for w in v {
                    s ^= s << 13;
                    s ^= s >> 17;
                    s ^= s << 5;
                    *w = ((s as f32 / u32::MAX as f32) * 2.0 - 1.0) * b;
                }
            }
        }
    });
}

/// One training step (forward_train + backward) allocates nothing.
fn step_allocates_nothing<L, X>()
where
    L: Layer<X, Training: Trainable> + Zeroable,
    X: Batch<Elem = f32>,
{
    let mut net = L::boxed();
    init(&mut *net);
    let mut grads = L::boxed();
    let mut trace = L::Trace::boxed();
    let mut x = X::boxed();
    fill(&mut *x, 1);
    let mut y = L::Output::boxed();
    let mut dy = L::Output::boxed();
    fill(&mut *dy, 2);
    let (n, ()) = count(|| {
        net.forward_train(&x, &mut y, &mut trace);
        net.backward(Input::Grad(&mut x), &mut trace, &dy, &mut grads);
    });
    assert_eq!(n, 0, "a training step allocated");
    // The step did run: outputs and gradients are not all zero.
    assert!(y.flat().iter().any(|&v| v != 0.0));
    assert!(x.flat().iter().any(|&v| v != 0.0));
    assert!(grads.num_params() > 0);
    let mut any = false;
    grads.for_each_tensor(|_, v| any |= v.iter().any(|&g| g != 0.0));
    assert!(any);
    // The counter works: a boxed value inside `count` is counted (`black_box`: else LLVM may
    // elide an allocation it sees whole, as it did once the test binary's inlining changed).
    let (n, _) = count(|| std::hint::black_box(Box::new(1u8)));
    assert_eq!(n, 1);
}

/// A full optimizer step through the `Workspace` (forward, MSE loss against a target, backward,
/// SGD with momentum and Adam) allocates nothing.
fn optimizer_steps_allocate_nothing<L, X>()
where
    L: Layer<X, Training: Trainable> + Zeroable + Clone,
    X: Batch<Elem = f32>,
    Mse: constnet::loss::Loss<L::Output, Target = L::Output>,
{
    let mut net = L::boxed();
    init(&mut *net);
    let before = net.clone();
    let mut ws = Workspace::<L, X>::boxed();
    let mut x = X::boxed();
    fill(&mut *x, 3);
    let mut target = L::Output::boxed();
    fill(&mut *target, 4);
    let mut sgd = Sgd::<L>::boxed(SgdConfig::new(0.01).momentum(0.9));
    let mut adam = Adam::<L>::boxed(AdamConfig::new(1e-3));
    let (n, losses) = count(|| {
        let a = ws
            .train_step(&mut net, &x, &Mse, &*target, &mut *sgd)
            .unwrap();
        let b = ws
            .train_step(&mut net, &x, &Mse, &*target, &mut *sgd)
            .unwrap();
        let c = ws
            .train_step(&mut net, &x, &Mse, &*target, &mut *adam)
            .unwrap();
        [a, b, c]
    });
    assert_eq!(n, 0, "an optimizer step allocated");
    assert!(losses.iter().all(|l| l.is_finite()));
    // The parameters moved.
    let mut moved = false;
    let mut a = Box::new(before);
    let mut pairs = Vec::new();
    a.for_each_tensor(|_, v| pairs.push(v.to_vec()));
    let mut i = 0;
    net.for_each_tensor(|_, v| {
        moved |= v != pairs[i].as_slice();
        i += 1;
    });
    assert!(moved);
}

#[test]
fn resnet_basic_block_optimizer_step_allocates_nothing() {
    optimizer_steps_allocate_nothing::<BasicBlock<16>, Tensor<2, 16, 16, 16>>();
}

#[test]
fn inception_block_optimizer_step_allocates_nothing() {
    optimizer_steps_allocate_nothing::<Inception3a, Tensor<1, 192, 14, 14>>();
}

#[test]
fn resnet_basic_block_64ch_trains_without_allocating() {
    step_allocates_nothing::<BasicBlock<64>, Tensor<2, 64, 32, 32>>();
}

#[test]
fn inception_block_trains_without_allocating() {
    step_allocates_nothing::<Inception3a, Tensor<1, 192, 28, 28>>();
}

#[test]
fn resnet_basic_block_training_memory() {
    type X = Tensor<8, 64, 32, 32>;
    type L = BasicBlock<64>;
    let bytes = size_of::<Training<L, X>>();
    println!(
        "ResNet basic block, 64 channels, 32×32, batch 8: training memory {bytes} bytes ({:.2} MiB)",
        bytes as f64 / (1024.0 * 1024.0)
    );
    let f = size_of::<f32>();
    let act = 8 * 64 * 32 * 32 * f; // one activation tensor: 2 MiB
    let conv = 64 * 64 * 3 * 3 * f; // one 3×3 weight tensor
    let bn = 4 * 64 * f + size_of::<u64>(); // γ, β, running mean/var, counter
    let bn_trace = 2 * 64 * f + size_of::<u32>(); // mean, 1/σ, mode
    let params = 2 * conv + 2 * bn;
    // Activations kept for backward: conv1 out, bn1 out, relu out, conv2 out (inside the
    // residual chain) and the residual sum (before the final ReLU).
    let trace = 5 * act + 2 * bn_trace;
    let expected = params /* net */ + params /* grads */ + trace + act /* y */;
    assert_eq!(size_of::<L>(), params);
    assert_eq!(size_of::<TraceOf<L, X>>(), trace);
    assert_eq!(bytes, expected);
    assert_eq!(bytes, 13_177_896);
}
