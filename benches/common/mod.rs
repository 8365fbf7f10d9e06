//! The benchmark workloads, shared by the criterion bench (`kernels.rs`) and the profiling
//! driver (`profile.rs`, for callgrind).
//!
//! Every workload owns its (heap-allocated) tensors, is single-threaded f32, and runs through
//! the public typed layers where one exists, else through `constnet::kernels` directly.

#![allow(dead_code)]

use constnet::models::resnet::BasicBlock;
use constnet::models::{LeNet5, ResNet18, ResNet50};
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
    /// A line about what was measured (the peak's instruction set), if there is more to say.
    fn info(&self) -> Option<String> {
        None
    }
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
// Peak: f32 FMA throughput of the widest instruction set the CPU has, whatever the build flags.

/// Loop trips per `run`.
pub const PEAK_TRIPS: usize = 100_000;
/// Independent 16-lane chains of the AVX-512 loop: FMA latency 4 cycles × 2 FMA units needs
/// at least 8 in flight; 24 leaves room and, with the two operands, uses 26 of the 32 zmm
/// registers (no spills).
pub const PEAK_CHAINS_512: usize = 24;
/// Independent 8-lane chains of the AVX2 + FMA loop: 12, plus the two operands, fit the 16 ymm
/// registers.
pub const PEAK_CHAINS: usize = 12;

/// The instruction set a [`Peak`] measures: the widest one with FMA that the CPU reports at run
/// time (`is_x86_feature_detected!`), independently of `-C target-cpu` / `RUSTFLAGS`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PeakIsa {
    /// 24 chains × 16 lanes of `vfmadd231ps zmm`.
    Avx512,
    /// 12 chains × 8 lanes of `vfmadd231ps ymm`.
    Avx2Fma,
    /// 12 chains × 8 lanes of `f32::mul_add`, compiled with the build's own flags (the only
    /// path off x86-64, or on an x86-64 CPU without FMA).
    Portable,
}

impl PeakIsa {
    /// The widest path this CPU runs.
    pub fn detect() -> Self {
        #[cfg(target_arch = "x86_64")]
        {
            if std::arch::is_x86_feature_detected!("avx512f") {
                return PeakIsa::Avx512;
            }
            if std::arch::is_x86_feature_detected!("avx2")
                && std::arch::is_x86_feature_detected!("fma")
            {
                return PeakIsa::Avx2Fma;
            }
        }
        PeakIsa::Portable
    }

    /// FMAs (chains × lanes) per loop trip.
    pub fn fmas_per_trip(self) -> usize {
        match self {
            PeakIsa::Avx512 => PEAK_CHAINS_512 * 16,
            PeakIsa::Avx2Fma | PeakIsa::Portable => PEAK_CHAINS * 8,
        }
    }

    /// What is measured, for reports.
    pub fn describe(self) -> &'static str {
        match self {
            PeakIsa::Avx512 => "avx512f (24 chains x 16 lanes, zmm)",
            PeakIsa::Avx2Fma => "avx2+fma (12 chains x 8 lanes, ymm)",
            PeakIsa::Portable => "portable mul_add with the build's flags (12 chains x 8 lanes)",
        }
    }
}

/// `PEAK_TRIPS` trips of independent FMA chains in the widest instruction set of the CPU: the
/// machine's f32 peak per core.
pub struct Peak {
    isa: PeakIsa,
    acc: [[f32; 8]; PEAK_CHAINS],
}

impl Peak {
    pub fn new() -> Self {
        Self {
            isa: PeakIsa::detect(),
            acc: [[0.5; 8]; PEAK_CHAINS],
        }
    }
}

/// The portable FMA loop. `a` and `b` come through `black_box`, so LLVM cannot fold the
/// chains; with `-C target-cpu=x86-64-v3` every `mul_add` is one `vfmadd213ps ymm`, without
/// it a call to libm's `fmaf`.
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

/// `trips` × 24 chains of 16-lane FMAs (`vfmadd231ps zmm`, checked with objdump); returns the
/// sum of the accumulators (so that nothing is dead).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
#[inline(never)]
pub fn fma_loop_avx512(trips: usize) -> f32 {
    use std::arch::x86_64::*;
    let a = _mm512_set1_ps(black_box(0.999_9));
    let b = _mm512_set1_ps(black_box(1e-4));
    let mut acc = [_mm512_set1_ps(black_box(0.5)); PEAK_CHAINS_512];
    for _ in 0..trips {
        for c in acc.iter_mut() {
            *c = _mm512_fmadd_ps(*c, a, b);
        }
    }
    let sum = acc
        .iter()
        .fold(_mm512_setzero_ps(), |s, &c| _mm512_add_ps(s, c));
    _mm512_reduce_add_ps(sum)
}

/// `trips` × 12 chains of 8-lane FMAs (`vfmadd231ps ymm`); returns the sum of the
/// accumulators.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
#[inline(never)]
pub fn fma_loop_avx2(trips: usize) -> f32 {
    use std::arch::x86_64::*;
    let a = _mm256_set1_ps(black_box(0.999_9));
    let b = _mm256_set1_ps(black_box(1e-4));
    let mut acc = [_mm256_set1_ps(black_box(0.5)); PEAK_CHAINS];
    for _ in 0..trips {
        for c in acc.iter_mut() {
            *c = _mm256_fmadd_ps(*c, a, b);
        }
    }
    let sum = acc
        .iter()
        .fold(_mm256_setzero_ps(), |s, &c| _mm256_add_ps(s, c));
    let mut lanes = [0.0f32; 8];
    // SAFETY: `lanes` is 8 writable `f32`s, what an unaligned 256-bit store writes.
    unsafe { _mm256_storeu_ps(lanes.as_mut_ptr(), sum) };
    lanes.iter().sum()
}

impl Workload for Peak {
    fn flops(&self) -> u64 {
        (PEAK_TRIPS * self.isa.fmas_per_trip() * 2) as u64
    }
    fn info(&self) -> Option<String> {
        Some(format!("peak isa: {}", self.isa.describe()))
    }
    fn run(&mut self) {
        match self.isa {
            #[cfg(target_arch = "x86_64")]
            PeakIsa::Avx512 => {
                // SAFETY: `PeakIsa::detect` chose this path only after
                // `is_x86_feature_detected!("avx512f")`, so the CPU has every instruction that
                // `fma_loop_avx512` is compiled with.
                black_box(unsafe { fma_loop_avx512(black_box(PEAK_TRIPS)) });
            }
            #[cfg(target_arch = "x86_64")]
            PeakIsa::Avx2Fma => {
                // SAFETY: chosen only after `is_x86_feature_detected!` reported both "avx2"
                // and "fma", the features `fma_loop_avx2` is compiled with.
                black_box(unsafe { fma_loop_avx2(black_box(PEAK_TRIPS)) });
            }
            _ => {
                fma_loop(&mut self.acc, black_box(PEAK_TRIPS));
                black_box(&self.acc);
            }
        }
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

impl<L: Layer<X, Training: Trainable> + Zeroable + Module<f32>, X: Batch<Elem = f32> + Clone>
    Workload for LayerRun<L, X>
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

/// One full training step of network `L` (`K` classes) on a fixed batch `X` with fixed labels:
/// training forward pass, softmax cross-entropy, backward pass, plain SGD update, through
/// [`Workspace::train_step`] (the same call the trainer makes). `flops`: forward FLOPs of one
/// step, 0 for `L::flops()` (every layer's count, batch norm and residual sums included).
pub struct TrainStep<L: Layer<X>, X: Batch<Elem = f32>, const N: usize, const K: usize = 10> {
    net: Box<L>,
    ws: Box<Workspace<L, X>>,
    x: Box<X>,
    labels: [usize; N],
    sgd: PlainSgd,
    forward_flops: u64,
}

impl<L, X, const N: usize, const K: usize> TrainStep<L, X, N, K>
where
    L: Layer<X, Output = Tensor<N, K, 1, 1>> + Zeroable + Module<f32>,
    X: Batch<Elem = f32>,
{
    pub fn new() -> Self {
        Self::with_flops(L::flops())
    }
    /// With the forward pass counted as `forward_flops` (e.g. convolutions and dense layers
    /// only, as PyTorch's model FLOP counts are).
    pub fn with_flops(forward_flops: u64) -> Self {
        let mut labels = [0; N];
        labels
            .iter_mut()
            .enumerate()
            .for_each(|(i, l)| *l = (i * 7) % K);
        Self {
            net: randomized::<L>(2, 0.1),
            ws: Zeroable::boxed(),
            x: filled::<X>(1),
            labels,
            // A tiny learning rate keeps the weights (and so the timing) steady over millions
            // of timed steps.
            sgd: PlainSgd::new(1e-6),
            forward_flops,
        }
    }
}

impl<L, X, const N: usize, const K: usize> Workload for TrainStep<L, X, N, K>
where
    L: Layer<X, Output = Tensor<N, K, 1, 1>, Training: Trainable> + Zeroable + Module<f32>,
    X: Batch<Elem = f32>,
{
    fn flops(&self) -> u64 {
        // forward + input and weight gradients (the first layer's input gradient is not
        // computed, so this slightly overstates the work: the reported rate is a lower bound
        // of the waste, never flattering).
        3 * self.forward_flops
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
// Real models: eval-mode inference through the public model types.

/// Eval-mode inference of network `L` (PyTorch's default initialisation from a fixed seed:
/// batch-norm running mean 0 and variance 1) on a fixed input, the way an application runs it:
/// `net.infer(x, y, arena)`, with no trace (two activations at a time in the arena, batch norm
/// and ReLU in place).
pub struct Infer<L: Layer<X>, X: Batch<Elem = f32>> {
    net: Box<L>,
    x: Box<X>,
    y: Box<L::Output>,
    arena: Vec<f32>,
    flops: u64,
}

impl<L: Layer<X> + Zeroable + Module<f32>, X: Batch<Elem = f32>> Infer<L, X> {
    /// `flops`: FLOPs of one forward pass.
    pub fn new(flops: u64) -> Self {
        Self {
            net: constnet::init::seeded::<L, f32>(1),
            x: filled::<X>(1),
            y: L::Output::boxed(),
            arena: vec![0.0; constnet::layer::arena_len::<L, X>()],
            flops,
        }
    }
}

impl<L: Layer<X> + Zeroable + Module<f32>, X: Batch<Elem = f32>> Workload for Infer<L, X> {
    fn flops(&self) -> u64 {
        self.flops
    }
    fn run(&mut self) {
        self.net
            .infer(&self.x, &mut self.y, &mut self.arena)
            .expect("the arena has arena_len values");
        black_box(&mut self.y);
    }
}

/// FLOPs of one forward pass of torchvision's ImageNet ResNet at 224×224, batch `n`: 2 per
/// multiply-add of the convolutions (stem, blocks, projection shortcuts) and of the final dense
/// layer; batch norm, ReLU, pooling and residual sums not counted (the usual model FLOP count:
/// ResNet-18 1.82 G multiply-adds, ResNet-50 4.09 G). `blocks`: blocks per stage;
/// `bottleneck`: 1×1 → 3×3 → 1×1 blocks with 4× expansion (ResNet-50) instead of two 3×3.
pub fn resnet_flops(n: u64, blocks: [u64; 4], bottleneck: bool) -> u64 {
    let mut macs = 3 * 64 * 7 * 7 * 112 * 112; // stem conv 7×7 stride 2, 224 → 112
    let (mut h, mut ci) = (56u64, 64u64); // after the 3×3 stride-2 max pool
    for (stage, &count) in blocks.iter().enumerate() {
        let width = 64 << stage;
        let co = if bottleneck { 4 * width } else { width };
        for b in 0..count {
            let s = if stage > 0 && b == 0 { 2 } else { 1 };
            let ho = h / s;
            let out = ho * ho;
            macs += if bottleneck {
                // 1×1 at the input resolution, 3×3 with the stride, 1×1 (torchvision's v1.5)
                ci * width * h * h + width * width * 9 * out + width * co * out
            } else {
                ci * co * 9 * out + co * co * 9 * out
            };
            if s != 1 || ci != co {
                macs += ci * co * out; // projection shortcut, 1×1 with the stride
            }
            (h, ci) = (ho, co);
        }
    }
    macs += ci * 1000; // fc
    2 * n * macs
}

pub type R18i = Infer<ResNet18, Tensor<1, 3, 224, 224>>;
pub type R50i = Infer<ResNet50, Tensor<1, 3, 224, 224>>;
pub type R18t = TrainStep<ResNet18, Tensor<8, 3, 224, 224>, 8, 1000>;

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
/// ResNet-18's convolutions at 224², one geometry each, at batch `N` (1 by default: the
/// inference cost of each stage; R18t's training step runs them at 8): the stem, each stage's
/// 3×3 at stride 1 and its first 3×3 at stride 2, and the 1×1 projections at stride 2.
pub mod r18 {
    use constnet::kernels::conv::Geom;
    pub type Stem<const N: usize = 1> = Geom<N, 1, 3, 64, 224, 224, 112, 112, 7, 2, 3, 1>;
    pub type S1<const N: usize = 1> = Geom<N, 1, 64, 64, 56, 56, 56, 56, 3, 1, 1, 1>;
    pub type S2a<const N: usize = 1> = Geom<N, 1, 64, 128, 56, 56, 28, 28, 3, 2, 1, 1>;
    pub type S2<const N: usize = 1> = Geom<N, 1, 128, 128, 28, 28, 28, 28, 3, 1, 1, 1>;
    pub type S3a<const N: usize = 1> = Geom<N, 1, 128, 256, 28, 28, 14, 14, 3, 2, 1, 1>;
    pub type S3<const N: usize = 1> = Geom<N, 1, 256, 256, 14, 14, 14, 14, 3, 1, 1, 1>;
    pub type S4a<const N: usize = 1> = Geom<N, 1, 256, 512, 14, 14, 7, 7, 3, 2, 1, 1>;
    pub type S4<const N: usize = 1> = Geom<N, 1, 512, 512, 7, 7, 7, 7, 3, 1, 1, 1>;
    pub type D2<const N: usize = 1> = Geom<N, 1, 64, 128, 56, 56, 28, 28, 1, 2, 0, 1>;
    pub type D3<const N: usize = 1> = Geom<N, 1, 128, 256, 28, 28, 14, 14, 1, 2, 0, 1>;
    pub type D4<const N: usize = 1> = Geom<N, 1, 256, 512, 14, 14, 7, 7, 1, 2, 0, 1>;
}

/// `r18t_<layer>_<f|d|w>` for every geometry of [`r18`] at batch 8: the forward (`f`), input-gradient
/// (`d`) and weight-gradient (`w`) passes of R18t's convolutions one by one, so that the
/// training step's time can be split by layer and pass.
fn r18t_passes() -> Vec<Entry> {
    macro_rules! passes {
        ($($g:ident $name:literal),*) => {
            vec![$(
                (concat!("r18t_", $name, "_f"), concat!("R18t's ", $name, " forward (kernel, N=8)"),
                    (|| Box::new(ConvPass::<r18::$g<8>>::new(Pass::Forward))) as fn() -> Box<dyn Workload>),
                (concat!("r18t_", $name, "_d"), concat!("R18t's ", $name, " input gradient (kernel, N=8)"),
                    || Box::new(ConvPass::<r18::$g<8>>::new(Pass::Data))),
                (concat!("r18t_", $name, "_w"), concat!("R18t's ", $name, " weight gradient (kernel, N=8)"),
                    || Box::new(ConvPass::<r18::$g<8>>::new(Pass::Weight))),
            )*]
        };
    }
    passes!(Stem "stem", S1 "s1", S2a "s2a", S2 "s2", S3a "s3a", S3 "s3", S4a "s4a", S4 "s4",
        D2 "d2", D3 "d3", D4 "d4")
}

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
    let mut v: Vec<Entry> = vec![
        (
            "peak",
            "f32 FMA peak of the CPU's widest instruction set (avx512f: 24 chains × 16 lanes; avx2+fma: 12 × 8)",
            || Box::new(Peak::new()),
        ),
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
        (
            "r18_stem",
            "ResNet-18 stem 3→64 k7 s2, 224², N=1, forward (kernel)",
            || Box::new(ConvPass::<r18::Stem>::new(Pass::Forward)),
        ),
        (
            "r18_s1",
            "ResNet-18 stage 1 64→64 k3, 56², N=1, forward (kernel)",
            || Box::new(ConvPass::<r18::S1>::new(Pass::Forward)),
        ),
        (
            "r18_s2a",
            "ResNet-18 stage 2 64→128 k3 s2, 56²→28², N=1, forward (kernel)",
            || Box::new(ConvPass::<r18::S2a>::new(Pass::Forward)),
        ),
        (
            "r18_s2",
            "ResNet-18 stage 2 128→128 k3, 28², N=1, forward (kernel)",
            || Box::new(ConvPass::<r18::S2>::new(Pass::Forward)),
        ),
        (
            "r18_s3a",
            "ResNet-18 stage 3 128→256 k3 s2, 28²→14², N=1, forward (kernel)",
            || Box::new(ConvPass::<r18::S3a>::new(Pass::Forward)),
        ),
        (
            "r18_s3",
            "ResNet-18 stage 3 256→256 k3, 14², N=1, forward (kernel)",
            || Box::new(ConvPass::<r18::S3>::new(Pass::Forward)),
        ),
        (
            "r18_s4a",
            "ResNet-18 stage 4 256→512 k3 s2, 14²→7², N=1, forward (kernel)",
            || Box::new(ConvPass::<r18::S4a>::new(Pass::Forward)),
        ),
        (
            "r18_s4",
            "ResNet-18 stage 4 512→512 k3, 7², N=1, forward (kernel)",
            || Box::new(ConvPass::<r18::S4>::new(Pass::Forward)),
        ),
        (
            "r18_d2",
            "ResNet-18 projection 64→128 k1 s2, 56²→28², N=1, forward (kernel)",
            || Box::new(ConvPass::<r18::D2>::new(Pass::Forward)),
        ),
        (
            "r18_d3",
            "ResNet-18 projection 128→256 k1 s2, 28²→14², N=1, forward (kernel)",
            || Box::new(ConvPass::<r18::D3>::new(Pass::Forward)),
        ),
        (
            "r18_d4",
            "ResNet-18 projection 256→512 k1 s2, 14²→7², N=1, forward (kernel)",
            || Box::new(ConvPass::<r18::D4>::new(Pass::Forward)),
        ),
        (
            "R18i",
            "ResNet-18 inference (eval mode), 224×224, N=1",
            || Box::new(R18i::new(resnet_flops(1, [2, 2, 2, 2], false))),
        ),
        (
            "R50i",
            "ResNet-50 inference (eval mode), 224×224, N=1",
            || Box::new(R50i::new(resnet_flops(1, [3, 4, 6, 3], true))),
        ),
        (
            "R18t",
            "ResNet-18 training step (fwd, softmax-CE, bwd, SGD), 224×224, N=8",
            || Box::new(R18t::with_flops(resnet_flops(8, [2, 2, 2, 2], false))),
        ),
    ];
    v.extend(r18t_passes());
    v
}

// ---------------------------------------------------------------------------------------------
// The driver of `profile.rs` (and of the dependent-crate build in `benches/dependent/`).

/// `<driver> [name] [times]`: runs workload `name` (default W2f) `times` times (default 10)
/// and prints the minimum and median time, the FLOP count, what the build was compiled for
/// and, for the peak, which instruction set it measured. Exit code 2 for an unknown name.
pub fn profile_main() {
    let mut args = std::env::args().skip(1).filter(|a| !a.starts_with('-'));
    let name = args.next().unwrap_or_else(|| "W2f".into());
    let times: usize = args
        .next()
        .and_then(|s| s.parse().ok())
        .unwrap_or(10)
        .max(1);
    let Some((_, what, make)) = all().into_iter().find(|w| w.0 == name) else {
        eprintln!("unknown workload {name}");
        std::process::exit(2);
    };
    let mut w = make();
    let mut t = Vec::with_capacity(times);
    for _ in 0..times {
        w.reset();
        let start = std::time::Instant::now();
        w.run();
        t.push(start.elapsed().as_secs_f64());
    }
    t.sort_by(f64::total_cmp);
    // The minimum is the run least disturbed by other processes on a shared machine.
    let (min, med) = (t[0], t[t.len() / 2]);
    println!("build: {}", build_features());
    println!(
        "constnet kernels: {} (best this CPU has: {})",
        constnet::kernels::isa::chosen().name(),
        constnet::kernels::isa::best().name()
    );
    if let Some(info) = w.info() {
        println!("{info}");
    }
    println!(
        "{name:>16}: min {:8.1} µs ({:6.2} GFLOP/s), median {:8.1} µs, {} FLOP  — {what}",
        min * 1e6,
        w.flops() as f64 / min / 1e9,
        med * 1e6,
        w.flops(),
    );
}

/// The x86-64 vector features this binary (and so constnet, built with the same flags) was
/// compiled for.
pub fn build_features() -> String {
    let f = [
        ("sse2", cfg!(target_feature = "sse2")),
        ("avx", cfg!(target_feature = "avx")),
        ("avx2", cfg!(target_feature = "avx2")),
        ("fma", cfg!(target_feature = "fma")),
        ("avx512f", cfg!(target_feature = "avx512f")),
    ];
    let on: Vec<&str> = f.iter().filter(|f| f.1).map(|f| f.0).collect();
    format!(
        "compiled for target features [{}], debug assertions {}",
        on.join(" "),
        if cfg!(debug_assertions) { "on" } else { "off" }
    )
}
