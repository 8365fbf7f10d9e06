//! The benchmark workloads, shared by the criterion bench (`kernels.rs`) and the profiling
//! driver (`profile.rs`, for callgrind).
//!
//! Every workload owns its (heap-allocated) tensors, is single-threaded f32, and runs through
//! the public typed layers where one exists, else through `constnet::kernels` directly.

#![allow(dead_code)]

use constnet::models::LeNet5;
use constnet::models::resnet::BasicBlock;
use constnet::prelude::*;
use std::hint::black_box;

/// A benchmark workload.
pub trait Workload {
    /// Floating-point operations of one `run` (2 per multiply-add), 0 when not meaningful.
    fn flops(&self) -> u64;
    /// Restore the inputs that `run` overwrites (not timed). Default: nothing to restore.
    fn reset(&mut self) {}
    /// Whether `reset` must run before every `run`.
    fn needs_reset(&self) -> bool {
        false
    }
    /// The timed work.
    fn run(&mut self);
}

/// Deterministic values in [-1, 1).
fn fill(v: &mut [f32], seed: u64) {
    let mut s = seed | 1;
    for x in v {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        *x = ((s >> 40) as f32 / (1u64 << 24) as f32) * 2.0 - 1.0;
    }
}

fn filled<T: Zeroable + Batch<Elem = f32>>(seed: u64) -> Box<T> {
    let mut t = T::boxed();
    fill(t.flat_mut(), seed);
    t
}

fn randomized<M: Module<f32> + Zeroable>(seed: u64, scale: f32) -> Box<M> {
    let mut m = M::boxed();
    let mut k = seed;
    m.for_each_tensor(|_, v| {
        k += 1;
        fill(v, k);
        v.iter_mut().for_each(|w| *w *= scale);
    });
    m
}

// ---------------------------------------------------------------------------------------------
// Peak: f32 FMA throughput.

/// Independent accumulator chains (of 8 lanes each). Zen 3: FMA latency 4 cycles, 2 FMA pipes
/// → at least 8 chains in flight; 12 leaves room and fits the 16 ymm registers with the two
/// operands.
pub const PEAK_CHAINS: usize = 12;
/// Loop trips per `run`.
pub const PEAK_TRIPS: usize = 100_000;

/// `PEAK_TRIPS × PEAK_CHAINS` 8-lane FMAs with independent chains: the machine's f32 peak.
pub struct Peak {
    acc: [[f32; 8]; PEAK_CHAINS],
}

impl Peak {
    pub fn new() -> Self {
        Self {
            acc: [[0.5; 8]; PEAK_CHAINS],
        }
    }
}

/// The FMA loop. `a` and `b` come through `black_box`, so LLVM cannot fold the chains; with
/// `-C target-cpu=x86-64-v3` every `mul_add` is one `vfmadd213ps ymm` (checked with objdump).
#[inline(never)]
pub fn fma_loop(acc: &mut [[f32; 8]; PEAK_CHAINS], trips: usize) {
    let a: [f32; 8] = black_box([0.999_9; 8]);
    let b: [f32; 8] = black_box([1e-4; 8]);
    let mut r = *acc;
    for _ in 0..trips {
        for chain in r.iter_mut() {
            for l in 0..8 {
                chain[l] = chain[l].mul_add(a[l], b[l]);
            }
        }
    }
    *acc = r;
}

impl Workload for Peak {
    fn flops(&self) -> u64 {
        (PEAK_TRIPS * PEAK_CHAINS * 8 * 2) as u64
    }
    fn run(&mut self) {
        fma_loop(&mut self.acc, black_box(PEAK_TRIPS));
        black_box(&self.acc);
    }
}

// ---------------------------------------------------------------------------------------------
// Typed layers: forward, or forward + backward.

/// A layer on a boxed input: forward only, or training forward + backward with input gradient.
pub struct LayerRun<L: Layer<X>, X: Batch<Elem = f32> + Clone> {
    layer: Box<L>,
    grads: Box<L>,
    x0: Box<X>,
    x: Box<X>,
    y: Box<L::Output>,
    dy: Box<L::Output>,
    trace: Box<L::Trace>,
    backward: bool,
}

impl<L: Layer<X> + Zeroable + Module<f32>, X: Batch<Elem = f32> + Clone> LayerRun<L, X> {
    pub fn new(backward: bool) -> Self {
        let x0 = filled::<X>(1);
        Self {
            layer: randomized::<L>(2, 0.1),
            grads: L::boxed(),
            x: x0.clone(),
            x0,
            y: L::Output::boxed(),
            dy: filled::<L::Output>(3),
            trace: L::Trace::boxed(),
            backward,
        }
    }
}

impl<L: Layer<X> + Zeroable + Module<f32>, X: Batch<Elem = f32> + Clone> Workload
    for LayerRun<L, X>
{
    fn flops(&self) -> u64 {
        L::flops() * if self.backward { 3 } else { 1 }
    }
    fn needs_reset(&self) -> bool {
        // Backward overwrites the input with its gradient: restore it before every run.
        self.backward
    }
    fn reset(&mut self) {
        // Only backward overwrites the input (copying it anyway would evict the caches
        // between forward-only runs).
        if self.backward {
            self.x.flat_mut().copy_from_slice(self.x0.flat());
        }
    }
    fn run(&mut self) {
        if self.backward {
            self.layer
                .forward_train(&self.x, &mut self.y, &mut self.trace);
            self.layer.backward(
                Input::Grad(&mut self.x),
                &mut self.trace,
                &self.dy,
                &mut self.grads,
            );
        } else {
            self.layer.forward(&self.x, &mut self.y, &mut self.trace);
        }
        black_box(&mut self.y);
    }
}

// ---------------------------------------------------------------------------------------------
// W1: LeNet-5 training step (forward, softmax cross-entropy, backward, SGD update).

/// One full training step of network `L` on a fixed batch `X` with fixed labels: training
/// forward pass, softmax cross-entropy, backward pass, plain SGD update, through
/// [`Workspace::train_step`] (the same call the trainer makes).
pub struct TrainStep<L: Layer<X>, X: Batch<Elem = f32>, const N: usize> {
    net: Box<L>,
    ws: Box<Workspace<L, X>>,
    x: Box<X>,
    labels: [usize; N],
    sgd: PlainSgd,
}

impl<L, X, const N: usize> TrainStep<L, X, N>
where
    L: Layer<X, Output = Tensor<N, 10, 1, 1>> + Zeroable + Module<f32>,
    X: Batch<Elem = f32>,
{
    pub fn new() -> Self {
        let mut labels = [0; N];
        labels
            .iter_mut()
            .enumerate()
            .for_each(|(i, l)| *l = (i * 7) % 10);
        Self {
            net: randomized::<L>(2, 0.1),
            ws: Zeroable::boxed(),
            x: filled::<X>(1),
            labels,
            // A tiny learning rate keeps the weights (and so the timing) steady over millions
            // of timed steps.
            sgd: PlainSgd::new(1e-6),
        }
    }
}

impl<L, X, const N: usize> Workload for TrainStep<L, X, N>
where
    L: Layer<X, Output = Tensor<N, 10, 1, 1>> + Zeroable + Module<f32>,
    X: Batch<Elem = f32>,
{
    fn flops(&self) -> u64 {
        // forward + input and weight gradients (the first layer's input gradient is not
        // computed, so this slightly overstates the work: the reported rate is a lower bound
        // of the waste, never flattering).
        3 * L::flops()
    }
    fn run(&mut self) {
        let loss = self
            .ws
            .train_step(
                &mut self.net,
                &self.x,
                &SoftmaxCrossEntropy,
                &self.labels,
                &mut self.sgd,
            )
            .expect("finite loss");
        black_box(loss);
    }
}

// ---------------------------------------------------------------------------------------------
// W5: ConvTranspose2d 64→32, k4, s2, p1, 16×16 → 32×32, forward + backward (typed layer; it
// runs the convolution kernels: forward = backward-data of the convolution 32 (32×32) → 64
// (16×16), input gradient = that convolution's forward, weight gradient = its weight gradient).

pub type W5 = LayerRun<ConvTranspose2d<64, 32, 4, 2, 1>, Tensor<1, 64, 16, 16>>;

// ---------------------------------------------------------------------------------------------
// W4: depthwise 3×3 (128 channels, p1) then pointwise 1×1 128→128, 56×56, forward, through the
// typed layers (the depthwise-separable chain, and each of its two layers alone).

pub type W4 = LayerRun<DepthwiseSeparable<128, 128, 3, 1, 1, NoBias>, Tensor<1, 128, 56, 56>>;
pub type W4Depthwise = LayerRun<DepthwiseConv2d<128, 3, 1, 1, NoBias>, Tensor<1, 128, 56, 56>>;
pub type W4Pointwise = LayerRun<Conv2d<128, 128, 1, 1, 0, NoBias>, Tensor<1, 128, 56, 56>>;

// ---------------------------------------------------------------------------------------------
// One pass of the convolution kernel alone (to see where a layer's time goes).

/// Which pass of [`constnet::kernels::conv`] a [`ConvPass`] runs.
#[derive(Clone, Copy)]
pub enum Pass {
    /// `forward`.
    Forward,
    /// `backward_data` (the input gradient).
    Data,
    /// `backward_weight` (weight and bias gradients).
    Weight,
}

/// One pass of the convolution kernel for geometry `C`, on boxed slices.
pub struct ConvPass<C: constnet::kernels::conv::ConvGeometry> {
    pass: Pass,
    x: Vec<f32>,
    w: Vec<f32>,
    y: Vec<f32>,
    b: Vec<f32>,
    _c: std::marker::PhantomData<C>,
}

impl<C: constnet::kernels::conv::ConvGeometry> ConvPass<C> {
    pub fn new(pass: Pass) -> Self {
        let v = |n, seed| {
            let mut v = vec![0.0; n];
            fill(&mut v, seed);
            v
        };
        Self {
            pass,
            x: v(C::X_LEN, 1),
            w: v(C::W_LEN, 2),
            y: v(C::Y_LEN, 3),
            b: v(C::CO, 4),
            _c: std::marker::PhantomData,
        }
    }
}

impl<C: constnet::kernels::conv::ConvGeometry> Workload for ConvPass<C> {
    fn flops(&self) -> u64 {
        2 * C::MACS as u64
    }
    fn run(&mut self) {
        use constnet::kernels::conv;
        match self.pass {
            Pass::Forward => conv::forward::<C, f32>(&self.x, &self.w, None, &mut self.y),
            Pass::Data => conv::backward_data::<C, f32>(&self.y, &self.w, &mut self.x),
            Pass::Weight => {
                conv::backward_weight::<C, f32>(&self.x, &self.y, &mut self.w, Some(&mut self.b))
            }
        }
        black_box(&mut self.w);
    }
}

/// W2's convolution as a kernel geometry.
pub type W2Geom = constnet::kernels::conv::Geom<1, 1, 64, 64, 32, 32, 32, 32, 3, 1, 1, 1>;
/// W3's convolutions (batch 8).
pub type W3Geom = constnet::kernels::conv::Geom<8, 1, 64, 64, 32, 32, 32, 32, 3, 1, 1, 1>;
/// LeNet-5's convolutions at batch 64.
pub type LeNet1Geom = constnet::kernels::conv::Geom<64, 1, 1, 6, 28, 28, 24, 24, 5, 1, 0, 1>;
pub type LeNet2Geom = constnet::kernels::conv::Geom<64, 1, 6, 16, 12, 12, 8, 8, 5, 1, 0, 1>;
/// W5's transposed convolution as the convolution it transposes: 32 (32×32) → 64 (16×16).
pub type W5Geom = constnet::kernels::conv::Geom<1, 1, 32, 64, 32, 32, 16, 16, 4, 2, 1, 1>;
/// ResNet's downsampling convolution (3 × 3, stride 2, padding 1), 64 → 128, 32×32 → 16×16, N=8.
pub type DownGeom = constnet::kernels::conv::Geom<8, 1, 64, 128, 32, 32, 16, 16, 3, 2, 1, 1>;

// ---------------------------------------------------------------------------------------------
// The list.

pub type W1a = TrainStep<LeNet5, Tensor<1, 1, 28, 28>, 1>;
pub type W1b = TrainStep<LeNet5, Tensor<64, 1, 28, 28>, 64>;
pub type W2 = LayerRun<Conv2d<64, 64, 3, 1, 1>, Tensor<1, 64, 32, 32>>;
pub type W3 = LayerRun<BasicBlock<64>, Tensor<8, 64, 32, 32>>;
pub type W6 = LayerRun<MaxPool2d<2>, Tensor<1, 64, 56, 56>>;
pub type LeNetConv1 = LayerRun<Conv2d<1, 6, 5>, Tensor<1, 1, 28, 28>>;
pub type LeNetConv2 = LayerRun<Conv2d<6, 16, 5>, Tensor<1, 6, 12, 12>>;
pub type LeNetConv2B64 = LayerRun<Conv2d<6, 16, 5>, Tensor<64, 6, 12, 12>>;
pub type LeNetConv1B64 = LayerRun<Conv2d<1, 6, 5>, Tensor<64, 1, 28, 28>>;
pub type Dense1 = LayerRun<Linear<256, 120>, Tensor<1, 256, 1, 1>>;
pub type Dense64 = LayerRun<Linear<256, 120>, Tensor<64, 256, 1, 1>>;

/// A named workload: `(name, description, constructor)`.
pub type Entry = (&'static str, &'static str, fn() -> Box<dyn Workload>);

/// Every workload, in report order.
pub fn all() -> Vec<Entry> {
    vec![
        ("peak", "f32 FMA peak, 12 chains × 8 lanes", || {
            Box::new(Peak::new())
        }),
        (
            "W1a",
            "LeNet-5 training step (fwd, softmax-CE, bwd, SGD), N=1",
            || Box::new(W1a::new()),
        ),
        (
            "W1b",
            "LeNet-5 training step (fwd, softmax-CE, bwd, SGD), N=64",
            || Box::new(W1b::new()),
        ),
        (
            "W2f",
            "Conv2d 64→64 k3 s1 p1, 32×32, N=1, forward",
            || Box::new(W2::new(false)),
        ),
        (
            "W2b",
            "Conv2d 64→64 k3 s1 p1, 32×32, N=1, forward+backward",
            || Box::new(W2::new(true)),
        ),
        (
            "W3",
            "ResNet basic block 64ch 32×32, N=8, BN training, forward+backward",
            || Box::new(W3::new(true)),
        ),
        (
            "W5",
            "ConvTranspose2d 64→32 k4 s2 p1, 16×16→32×32, forward+backward",
            || Box::new(W5::new(true)),
        ),
        ("W2bd", "W2's input gradient alone (kernel)", || {
            Box::new(ConvPass::<W2Geom>::new(Pass::Data))
        }),
        ("W2bw", "W2's weight gradient alone (kernel)", || {
            Box::new(ConvPass::<W2Geom>::new(Pass::Weight))
        }),
        ("W3f", "W3's conv forward alone (kernel, N=8)", || {
            Box::new(ConvPass::<W3Geom>::new(Pass::Forward))
        }),
        (
            "W3d",
            "W3's conv input gradient alone (kernel, N=8)",
            || Box::new(ConvPass::<W3Geom>::new(Pass::Data)),
        ),
        (
            "W3w",
            "W3's conv weight gradient alone (kernel, N=8)",
            || Box::new(ConvPass::<W3Geom>::new(Pass::Weight)),
        ),
        (
            "lenet1_f_n64",
            "LeNet-5 conv1 forward, N=64 (kernel)",
            || Box::new(ConvPass::<LeNet1Geom>::new(Pass::Forward)),
        ),
        (
            "lenet1_w_n64",
            "LeNet-5 conv1 weight gradient, N=64 (kernel)",
            || Box::new(ConvPass::<LeNet1Geom>::new(Pass::Weight)),
        ),
        (
            "lenet2_f_n64",
            "LeNet-5 conv2 forward, N=64 (kernel)",
            || Box::new(ConvPass::<LeNet2Geom>::new(Pass::Forward)),
        ),
        (
            "lenet2_d_n64",
            "LeNet-5 conv2 input gradient, N=64 (kernel)",
            || Box::new(ConvPass::<LeNet2Geom>::new(Pass::Data)),
        ),
        (
            "lenet2_w_n64",
            "LeNet-5 conv2 weight gradient, N=64 (kernel)",
            || Box::new(ConvPass::<LeNet2Geom>::new(Pass::Weight)),
        ),
        ("W5f", "W5's forward alone (kernel: backward-data)", || {
            Box::new(ConvPass::<W5Geom>::new(Pass::Data))
        }),
        ("W5d", "W5's input gradient alone (kernel: forward)", || {
            Box::new(ConvPass::<W5Geom>::new(Pass::Forward))
        }),
        ("W5w", "W5's weight gradient alone (kernel)", || {
            Box::new(ConvPass::<W5Geom>::new(Pass::Weight))
        }),
        (
            "down_f",
            "Conv2d 64→128 k3 s2 p1, 32×32→16×16, N=8, forward (kernel)",
            || Box::new(ConvPass::<DownGeom>::new(Pass::Forward)),
        ),
        (
            "W6",
            "MaxPool2d 2×2 s2, 64×56×56, forward+backward",
            || Box::new(W6::new(true)),
        ),
        ("W6f", "W6's forward alone", || Box::new(W6::new(false))),
        (
            "W4",
            "depthwise 3×3 (128ch, p1) + pointwise 1×1 128→128, 56×56, forward",
            || Box::new(W4::new(false)),
        ),
        ("W4dw", "W4's depthwise part alone", || {
            Box::new(W4Depthwise::new(false))
        }),
        ("W4pw", "W4's pointwise part alone", || {
            Box::new(W4Pointwise::new(false))
        }),
        (
            "W4b",
            "W4 forward+backward (depthwise-separable training step)",
            || Box::new(W4::new(true)),
        ),
        (
            "W4dwb",
            "W4's depthwise part alone, forward+backward",
            || Box::new(W4Depthwise::new(true)),
        ),
        (
            "lenet_conv1",
            "Conv2d 1→6 k5, 28×28, N=1, forward+backward",
            || Box::new(LeNetConv1::new(true)),
        ),
        (
            "lenet_conv1_n64",
            "Conv2d 1→6 k5, 28×28, N=64, forward+backward",
            || Box::new(LeNetConv1B64::new(true)),
        ),
        (
            "lenet_conv2",
            "Conv2d 6→16 k5, 12×12, N=1, forward+backward",
            || Box::new(LeNetConv2::new(true)),
        ),
        (
            "lenet_conv2_n64",
            "Conv2d 6→16 k5, 12×12, N=64, forward+backward",
            || Box::new(LeNetConv2B64::new(true)),
        ),
        (
            "dense_n1",
            "Linear 256→120, N=1, forward+backward",
            || Box::new(Dense1::new(true)),
        ),
        (
            "dense_n64",
            "Linear 256→120, N=64, forward+backward",
            || Box::new(Dense64::new(true)),
        ),
    ]
}
