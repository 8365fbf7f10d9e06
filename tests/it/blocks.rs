//! Batch normalisation, residual blocks and channel concatenation: f64 finite differences,
//! PyTorch fixtures, folding, naming.
use crate::common;
use common::fixture::{self, Fixture};
use common::gradcheck::{Lcg, check_layer, random_input, randomize};
use constnet::prelude::*;
use constnet::{Batch, Path, Role, TensorInfo, Visitor, visit::Init};

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

/// Runs a layer in eval mode even under `forward_train` (so `check_layer`, which trains, checks
/// the eval-mode backward).
#[derive(Clone)]
struct EvalMode<L>(L);

impl<E, L: Module<E>> Module<E> for EvalMode<L> {
    fn visit<V: Visitor<E, K>, const K: usize>(m: [&mut Self; K], path: &Path<'_>, v: &mut V) {
        L::visit(m.map(|e| &mut e.0), path, v)
    }
}

impl<X: Batch, L: Layer<X>> Layer<X> for EvalMode<L> {
    type Output = L::Output;
    type Trace = L::Trace;
    /// Eval mode has no batch statistics, so nothing to require.
    type Training = constnet::shape::Check<true>;
    fn forward(&self, x: &X, y: &mut L::Output, t: &mut L::Trace) {
        self.0.forward(x, y, t)
    }
    fn forward_train_unchecked(&mut self, x: &X, y: &mut L::Output, t: &mut L::Trace) {
        self.0.forward(x, y, t)
    }
    fn backward(&self, x: Input<'_, X>, t: &mut L::Trace, dy: &L::Output, g: &mut Self) {
        self.0.backward(x, t, dy, &mut g.0)
    }
    const INFER_SCRATCH: usize = L::INFER_SCRATCH;
    fn infer_io(&self, io: Io<'_, X::Elem>, scratch: &mut [X::Elem]) {
        self.0.infer_io(io, scratch)
    }
}

/// A boxed network with every tensor random in ±0.5, batch-norm running variances in
/// [0.5, 1.5] and batch-norm scales in [0.5, 1.5] (so eval mode is well defined and no channel
/// is switched off).
fn net<M: Module<f64> + Zeroable>(seed: u64) -> Box<M> {
    let mut m = M::boxed();
    randomize(&mut *m, &mut Lcg(seed), 0.5);
    m.for_each_tensor(|info, v| {
        if matches!(info.path.leaf(), Some("running_var")) || is_bn_weight(&info) {
            v.iter_mut().for_each(|w| *w = w.abs() + 0.5);
        }
    });
    m
}

/// Batch-norm scales are the only parameters initialised to the constant 1.
fn is_bn_weight(info: &TensorInfo<'_>) -> bool {
    info.role == Role::Param && info.init == Init::Const(1.0)
}

/// Names and roles of every tensor, in visiting order.
fn names<M: Module<f32>>(m: &mut M) -> Vec<String> {
    let mut out = Vec::new();
    m.for_each_tensor(|info, _| out.push(info.path.to_string()));
    out
}

/// Loads fixture tensors into a network by name: `map` gives (our name, fixture input name).
fn load_named<M: Module<f32>>(m: &mut M, f: &Fixture, map: &[(&str, &str)]) {
    let mut seen = 0;
    m.for_each_tensor(|info, v| {
        let name = info.path.to_string();
        if let Some((_, theirs)) = map.iter().find(|(ours, _)| *ours == name) {
            let t = f.input(theirs);
            assert_eq!(t.numel(), v.len(), "{name}");
            assert_eq!(info.shape, &t.shape[..], "{name}: PyTorch shape");
            v.copy_from_slice(&t.data);
            seen += 1;
        }
    });
    assert_eq!(seen, map.len(), "every mapped tensor exists");
}

/// Compares the gradients of a network by name with the fixture's `d<name>`.
fn check_grads_named<M: Module<f32>>(g: &mut M, f: &Fixture, map: &[(&str, &str)]) {
    let mut checked = 0;
    g.for_each_tensor(|info, v| {
        let name = info.path.to_string();
        if let Some((_, theirs)) = map.iter().find(|(ours, _)| *ours == name) {
            let key = format!("d{theirs}");
            if f.has("grads", &key) {
                f.assert_close(&key, v, &f.grad(&key));
                checked += 1;
            }
        }
    });
    assert!(checked > 0);
}

fn tensor<X: Batch<Elem = f32>>(data: &[f32]) -> Box<X> {
    let mut x = X::boxed();
    x.flat_mut().copy_from_slice(data);
    x
}

// ---------------------------------------------------------------------------------------------
// Finite differences (f64)
// ---------------------------------------------------------------------------------------------

#[test]
fn batchnorm_train_gradcheck() {
    // Backward through the batch statistics.
    type L = BatchNorm2d<3, f64>;
    check_layer(
        &*net::<L>(1),
        &*random_input::<Tensor<2, 3, 4, 5, f64>>(2),
        3,
        1e-6,
    );
    // N = 1 (statistics over one sample's plane only).
    check_layer(
        &*net::<L>(4),
        &*random_input::<Tensor<1, 3, 3, 3, f64>>(5),
        6,
        1e-6,
    );
    // Another eps (it enters the gradient through 1/√(σ² + ε)).
    check_layer(
        &*net::<BatchNorm2d<3, f64, BnEps1e3>>(13),
        &*random_input::<Tensor<2, 3, 2, 3, f64>>(14),
        15,
        1e-6,
    );
}

#[test]
fn batchnorm_eval_gradcheck() {
    type L = EvalMode<BatchNorm2d<3, f64>>;
    let n = net::<BatchNorm2d<3, f64>>(7);
    check_layer(
        &EvalMode(*n),
        &*random_input::<Tensor<2, 3, 4, 4, f64>>(8),
        9,
        1e-6,
    );
    let _: Option<L> = None;
    let n = net::<BatchNorm2d<3, f64, BnEps1e3>>(16);
    check_layer(
        &EvalMode(*n),
        &*random_input::<Tensor<2, 3, 2, 2, f64>>(17),
        18,
        1e-6,
    );
}

#[test]
fn batchnorm_train_and_eval_backward_differ() {
    // The trace records the mode: the same input, dy and parameters give the eval formula
    // after `forward` and the batch-statistics formula after `forward_train`.
    let bn = *net::<BatchNorm2d<2, f64>>(10);
    let x = random_input::<Tensor<2, 2, 3, 3, f64>>(11);
    let dy = random_input::<Tensor<2, 2, 3, 3, f64>>(12);
    let mut y = Tensor::zeros();
    let mut grads = bn;
    let (mut t_eval, mut t_train) = (BatchNormTrace::zeroed(), BatchNormTrace::zeroed());
    bn.forward(&x, &mut y, &mut t_eval);
    let mut dx_eval = *x;
    grads.zero_params();
    bn.backward(Input::Grad(&mut dx_eval), &mut t_eval, &dy, &mut grads);
    for i in 0..Tensor::<2, 2, 3, 3>::LEN {
        let c = (i / 9) % 2;
        let want = dy.as_slice()[i] * bn.weight[c] / (bn.running_var[c] + 1e-5).sqrt();
        assert!((dx_eval.as_slice()[i] - want).abs() < 1e-12);
    }
    let mut bn_train = bn;
    bn_train.forward_train(&x, &mut y, &mut t_train);
    let mut dx_train = *x;
    bn.backward(Input::Grad(&mut dx_train), &mut t_train, &dy, &mut grads);
    // Training-mode input gradients sum to zero per channel (the mean is subtracted).
    for c in 0..2 {
        let s: f64 = (0..2)
            .map(|n| dx_train.0[n][c].iter().flatten().sum::<f64>())
            .sum();
        assert!(s.abs() < 1e-12, "channel {c}: {s}");
    }
    assert!(
        dx_train
            .as_slice()
            .iter()
            .zip(dx_eval.as_slice())
            .any(|(a, b)| (a - b).abs() > 1e-3)
    );
}

type BasicBranch<const C: usize> = (
    Conv2d<C, C, 3, 1, 1, NoBias, f64>,
    BatchNorm2d<C, f64>,
    Relu,
    Conv2d<C, C, 3, 1, 1, NoBias, f64>,
    BatchNorm2d<C, f64>,
);

#[test]
fn residual_gradcheck() {
    type L = (Residual<BasicBranch<3>>, Relu);
    check_layer(
        &*net::<L>(13),
        &*random_input::<Tensor<2, 3, 5, 5, f64>>(14),
        15,
        1e-6,
    );
}

/// Channel gating: both paths of `x` (the scaling and the gate's own input), the gate's
/// parameters, a batch of two.
#[test]
fn gate_gradcheck() {
    type L = (
        Conv2d<2, 4, 3, 1, 1, Bias, f64>,
        Gate<(
            GlobalAvgPool2d,
            Conv2d<4, 2, 1, 1, 0, Bias, f64>,
            Relu,
            Conv2d<2, 4, 1, 1, 0, Bias, f64>,
            Sigmoid,
        )>,
    );
    check_layer(
        &*net::<L>(60),
        &*random_input::<Tensor<2, 2, 4, 4, f64>>(61),
        62,
        1e-6,
    );
}

#[test]
fn residual_eval_gradcheck() {
    type L = EvalMode<(Residual<BasicBranch<2>>, Relu)>;
    let n = net::<(Residual<BasicBranch<2>>, Relu)>(16);
    let _: Option<L> = None;
    check_layer(
        &EvalMode(*n),
        &*random_input::<Tensor<2, 2, 4, 4, f64>>(17),
        18,
        1e-6,
    );
}

type Down = ResidualProj<
    (
        Conv2d<2, 4, 3, 2, 1, NoBias, f64>,
        BatchNorm2d<4, f64>,
        Relu,
        Conv2d<4, 4, 3, 1, 1, NoBias, f64>,
        BatchNorm2d<4, f64>,
    ),
    (Conv2d<2, 4, 1, 2, 0, NoBias, f64>, BatchNorm2d<4, f64>),
>;

#[test]
fn residual_proj_stride2_gradcheck() {
    type L = (Down, Relu);
    let x = random_input::<Tensor<2, 2, 6, 6, f64>>(20);
    let _: &Out<L, Tensor<2, 2, 6, 6, f64>> = &Tensor::<2, 4, 3, 3, f64>::zeros();
    check_layer(&*net::<L>(19), &*x, 21, 1e-6);
}

type Inception<
    const CI: usize,
    const O1: usize,
    const R3: usize,
    const O3: usize,
    const R5: usize,
    const O5: usize,
    const OP: usize,
    E,
> = Concat<(
    (Conv2d<CI, O1, 1, 1, 0, Bias, E>, Relu),
    (
        Conv2d<CI, R3, 1, 1, 0, Bias, E>,
        Relu,
        Conv2d<R3, O3, 3, 1, 1, Bias, E>,
        Relu,
    ),
    (
        Conv2d<CI, R5, 1, 1, 0, Bias, E>,
        Relu,
        Conv2d<R5, O5, 5, 1, 2, Bias, E>,
        Relu,
    ),
    (MaxPool2d<3, 1, 1>, Conv2d<CI, OP, 1, 1, 0, Bias, E>, Relu),
)>;

#[test]
fn concat_two_branches_gradcheck() {
    type L = Concat<(
        Conv2d<3, 2, 1, 1, 0, Bias, f64>,
        (Conv2d<3, 3, 3, 1, 1, Bias, f64>, Tanh),
    )>;
    check_layer(
        &*net::<L>(22),
        &*random_input::<Tensor<2, 3, 5, 5, f64>>(23),
        24,
        1e-6,
    );
}

#[test]
fn concat_three_branches_gradcheck() {
    type L = Concat<(
        Conv2d<2, 1, 1, 1, 0, Bias, f64>,
        (Conv2d<2, 2, 3, 1, 1, Bias, f64>, Tanh),
        Identity,
    )>;
    let _: &Out<L, Tensor<2, 2, 4, 4, f64>> = &Tensor::<2, 5, 4, 4, f64>::zeros();
    check_layer(
        &*net::<L>(25),
        &*random_input::<Tensor<2, 2, 4, 4, f64>>(26),
        27,
        1e-6,
    );
}

#[test]
fn inception_four_branches_gradcheck() {
    // GoogLeNet's Inception module: 1×1 | 1×1 → 3×3 | 1×1 → 5×5 | max-pool 3 s1 p1 → 1×1.
    type L = Inception<3, 2, 2, 3, 1, 2, 2, f64>;
    let _: &Out<L, Tensor<2, 3, 6, 6, f64>> = &Tensor::<2, 9, 6, 6, f64>::zeros();
    check_layer(
        &*net::<L>(28),
        &*random_input::<Tensor<2, 3, 6, 6, f64>>(29),
        30,
        1e-6,
    );
}

/// DenseNet layer: `cat([x, conv(relu(bn(x)))])`, `CIN` → `CIN + K` channels.
type DenseLayer<const CIN: usize, const K: usize> = Concat<(
    Identity,
    (
        BatchNorm2d<CIN, f64>,
        Relu,
        Conv2d<CIN, K, 3, 1, 1, NoBias, f64>,
    ),
)>;
const C0: usize = 3;
const GROWTH: usize = 2;
/// A dense block of three layers with growth rate 2: the concatenations' output channels
/// (3 → 5 → 7 → 9) are computed by the types.
type DenseBlock = (
    DenseLayer<C0, GROWTH>,
    DenseLayer<{ C0 + GROWTH }, GROWTH>,
    DenseLayer<{ C0 + 2 * GROWTH }, GROWTH>,
);

#[test]
fn dense_block_gradcheck() {
    let _: &Out<DenseBlock, Tensor<2, C0, 4, 4, f64>> = &Tensor::<2, 9, 4, 4, f64>::zeros();
    check_layer(
        &*net::<DenseBlock>(31),
        &*random_input::<Tensor<2, C0, 4, 4, f64>>(32),
        33,
        1e-6,
    );
}

/// `Input::Keep` skips the input gradient but accumulates the same parameter gradients.
fn keep_matches_grad<L, X>(net: &L, x: &X)
where
    L: Layer<X, Training: Trainable> + Clone + Module<f64>,
    X: Batch<Elem = f64> + Clone,
{
    let dy = random_input::<L::Output>(99);
    let run = |keep: bool| {
        let mut n = net.clone();
        let mut y = L::Output::boxed();
        let mut t = L::Trace::boxed();
        n.forward_train(x, &mut y, &mut t);
        let mut g = Box::new(net.clone());
        g.zero_params();
        let mut dx = Box::new(x.clone());
        if keep {
            net.backward(Input::Keep(&dx.clone()), &mut t, &dy, &mut g);
        } else {
            net.backward(Input::Grad(&mut dx), &mut t, &dy, &mut g);
        }
        let mut p = Vec::new();
        g.for_each_tensor(|i, v| {
            if i.role == Role::Param {
                p.extend_from_slice(v)
            }
        });
        p
    };
    let (a, b) = (run(true), run(false));
    assert!(!a.is_empty());
    assert_eq!(a, b);
}

#[test]
fn keep_input_gives_the_same_parameter_gradients() {
    keep_matches_grad(
        &*net::<(Residual<BasicBranch<2>>, Relu)>(34),
        &*random_input::<Tensor<2, 2, 4, 4, f64>>(35),
    );
    keep_matches_grad(
        &*net::<(Down, Relu)>(36),
        &*random_input::<Tensor<2, 2, 6, 6, f64>>(37),
    );
    keep_matches_grad(
        &*net::<Inception<3, 2, 2, 3, 1, 2, 2, f64>>(38),
        &*random_input::<Tensor<2, 3, 6, 6, f64>>(39),
    );
    keep_matches_grad(
        &*net::<BatchNorm2d<3, f64>>(40),
        &*random_input::<Tensor<2, 3, 2, 2, f64>>(41),
    );
}

// ---------------------------------------------------------------------------------------------
// Running statistics, initial values, names
// ---------------------------------------------------------------------------------------------

#[test]
fn batchnorm_initial_state_and_names() {
    let mut bn = BatchNorm2d::<4>::new();
    assert_eq!(bn.weight, [1.0; 4]);
    assert_eq!(bn.bias, [0.0; 4]);
    assert_eq!(bn.running_mean, [0.0; 4]);
    assert_eq!(bn.running_var, [1.0; 4]);
    struct Collect(Vec<(String, Role, Vec<usize>, Init)>, Vec<String>);
    impl Visitor<f32, 1> for Collect {
        fn tensor(&mut self, info: TensorInfo<'_>, [v]: [&mut [f32]; 1]) {
            assert_eq!(v.len(), info.shape.iter().product::<usize>());
            self.0.push((
                info.path.to_string(),
                info.role,
                info.shape.to_vec(),
                info.init,
            ));
        }
        fn counter(&mut self, path: &Path<'_>, [c]: [&mut u64; 1]) {
            *c += 7;
            self.1.push(path.to_string());
        }
    }
    let mut c = Collect(Vec::new(), Vec::new());
    BatchNorm2d::visit([&mut bn], &Path::Root.field("bn1"), &mut c);
    let want = [
        ("bn1.weight", Role::Param, Init::Const(1.0)),
        ("bn1.bias", Role::Param, Init::Const(0.0)),
        ("bn1.running_mean", Role::Buffer, Init::Const(0.0)),
        ("bn1.running_var", Role::Buffer, Init::Const(1.0)),
    ];
    assert_eq!(c.0.len(), want.len());
    for ((name, role, shape, init), (wn, wr, wi)) in c.0.iter().zip(want) {
        assert_eq!(
            (name.as_str(), *role, &shape[..], *init),
            (wn, wr, &[4][..], wi)
        );
    }
    assert_eq!(c.1, ["bn1.num_batches_tracked"]);
    assert_eq!(bn.num_batches_tracked, 7, "the counter is visited mutably");
    assert_eq!(bn.num_params(), 8);
}

#[test]
fn running_statistics_follow_pytorch_and_eval_leaves_them() {
    let mut bn = BatchNorm2d::<1, f64>::new();
    let mut x = Tensor::<2, 1, 1, 2, f64>::zeros();
    x.copy_from_slice(&[1.0, 2.0, 3.0, 6.0]).unwrap();
    let mut y = Tensor::zeros();
    let mut t = BatchNormTrace::zeroed();
    bn.forward_train(&x, &mut y, &mut t);
    // mean 3, biased variance 3.5, unbiased 14/3.
    assert!((bn.running_mean[0] - 0.3).abs() < 1e-15);
    assert!((bn.running_var[0] - (0.9 + 0.1 * 14.0 / 3.0)).abs() < 1e-15);
    assert_eq!(bn.num_batches_tracked, 1);
    assert!((y.as_slice()[0] - (-2.0 / (3.5f64 + 1e-5).sqrt())).abs() < 1e-12);
    let before = bn;
    bn.forward(&x, &mut y, &mut t);
    assert_eq!(bn.running_mean, before.running_mean);
    assert_eq!(bn.running_var, before.running_var);
    assert_eq!(bn.num_batches_tracked, 1);
    let want = (1.0 - bn.running_mean[0]) / (bn.running_var[0] + 1e-5).sqrt();
    assert!((y.as_slice()[0] - want).abs() < 1e-12);
}

#[test]
fn block_names_follow_torchvision_layout() {
    type Block = ResidualProj<
        (
            Conv2d<2, 4, 3, 2, 1, NoBias>,
            BatchNorm2d<4>,
            Relu,
            Conv2d<4, 4, 3, 1, 1, NoBias>,
            BatchNorm2d<4>,
        ),
        (Conv2d<2, 4, 1, 2, 0, NoBias>, BatchNorm2d<4>),
    >;
    let mut b = <(Block, Relu)>::boxed();
    let bn =
        |p: &str| ["weight", "bias", "running_mean", "running_var"].map(|f| format!("{p}.{f}"));
    let mut want = vec!["0.0.weight".to_string()];
    want.extend(bn("0.1"));
    want.push("0.3.weight".into());
    want.extend(bn("0.4"));
    want.push("0.downsample.0.weight".into());
    want.extend(bn("0.downsample.1"));
    assert_eq!(names(&mut *b), want);

    let mut inc = <Inception<3, 2, 2, 3, 1, 2, 2, f32>>::boxed();
    let n = names(&mut *inc);
    assert_eq!(
        n,
        [
            "branch1.0.weight",
            "branch1.0.bias",
            "branch2.0.weight",
            "branch2.0.bias",
            "branch2.2.weight",
            "branch2.2.bias",
            "branch3.0.weight",
            "branch3.0.bias",
            "branch3.2.weight",
            "branch3.2.bias",
            "branch4.1.weight",
            "branch4.1.bias",
        ]
    );
}

#[test]
fn flops_add_up() {
    type C = Conv2d<2, 2, 3, 1, 1, NoBias>;
    type X = Tensor<1, 2, 4, 4>;
    let conv = <C as Layer<X>>::flops();
    assert_eq!(conv, 2 * 2 * 16 * 2 * 9);
    assert_eq!(<BatchNorm2d<2> as Layer<X>>::flops(), 2 * 32);
    assert_eq!(
        <Residual<(C, BatchNorm2d<2>)> as Layer<X>>::flops(),
        conv + 64 + 32
    );
    assert_eq!(<Concat<(C, Identity)> as Layer<X>>::flops(), conv);
}

// ---------------------------------------------------------------------------------------------
// Folding a batch norm into the convolution before it
// ---------------------------------------------------------------------------------------------

fn check_fold<B: BiasMode>(seed: u64)
where
    Conv2d<3, 4, 3, 2, 1, B, f64>: Module<f64> + Zeroable,
{
    let pair = net::<(Conv2d<3, 4, 3, 2, 1, B, f64>, BatchNorm2d<4, f64>)>(seed);
    // Make the running mean clearly non-zero.
    let mut pair = pair;
    for (i, m) in pair.1.running_mean.iter_mut().enumerate() {
        *m += i as f64 - 1.5;
    }
    let mut folded = <Conv2d<3, 4, 3, 2, 1, Bias, f64>>::zeroed();
    fold_conv_bn(&pair.0, &pair.1, &mut folded);
    let x = random_input::<Tensor<2, 3, 7, 7, f64>>(seed + 1);
    let mut y_pair = Tensor::<2, 4, 4, 4, f64>::zeros();
    let mut y_fold = Tensor::<2, 4, 4, 4, f64>::zeros();
    let mut t = <TraceOf<
        (Conv2d<3, 4, 3, 2, 1, B, f64>, BatchNorm2d<4, f64>),
        Tensor<2, 3, 7, 7, f64>,
    >>::zeroed();
    pair.forward(&x, &mut y_pair, &mut t);
    folded.forward(&x, &mut y_fold, &mut ());
    let max = y_pair.as_slice().iter().fold(0f64, |m, v| m.max(v.abs()));
    assert!(max > 0.1);
    for (a, b) in y_pair.as_slice().iter().zip(y_fold.as_slice()) {
        assert!((a - b).abs() <= 1e-12 * max, "{a} vs {b}");
    }
}

#[test]
fn folding_bn_into_conv_matches_eval_mode() {
    check_fold::<NoBias>(50);
    check_fold::<Bias>(52);
}

// ---------------------------------------------------------------------------------------------
// PyTorch fixtures (f32, the README's tolerance rule)
// ---------------------------------------------------------------------------------------------

fn batchnorm_fixture<Cfg: BatchNormConfig>(name: &str, train: bool) {
    let f = fixture::load(name);
    assert_eq!(f.param("training").as_bool(), Some(train));
    assert_eq!(f.param("eps").as_f64(), Some(Cfg::EPS));
    assert_eq!(f.param("momentum").as_f64(), Cfg::MOMENTUM);
    let mut bn = BatchNorm2d::<3, f32, Cfg>::new();
    bn.weight.copy_from_slice(&f.input("gamma").data);
    bn.bias.copy_from_slice(&f.input("beta").data);
    bn.running_mean
        .copy_from_slice(&f.input("running_mean").data);
    bn.running_var.copy_from_slice(&f.input("running_var").data);
    let tracked = if f.has("inputs", "num_batches_tracked") {
        f.input("num_batches_tracked").ints[0] as u64
    } else {
        0
    };
    bn.num_batches_tracked = tracked;
    type X = Tensor<4, 3, 5, 5>;
    let x = tensor::<X>(&f.input("x").data);
    let mut y = X::boxed();
    let mut t = BatchNormTrace::zeroed();
    if train {
        bn.forward_train(&*x, &mut y, &mut t);
        if f.has("intermediates", "batch_mean") {
            f.assert_close("batch_mean", &t.mean, &f.intermediate("batch_mean"));
        }
    } else {
        bn.forward(&*x, &mut y, &mut t);
    }
    assert_eq!(bn.num_batches_tracked, tracked + train as u64);
    if f.has("outputs", "num_batches_tracked") {
        let want = f.output("num_batches_tracked").ints[0] as u64;
        assert_eq!(bn.num_batches_tracked, want);
    }
    f.assert_close("y", y.as_slice(), &f.output("y"));
    f.assert_close("running_mean", &bn.running_mean, &f.output("running_mean"));
    f.assert_close("running_var", &bn.running_var, &f.output("running_var"));

    let dy = tensor::<X>(&f.grad_output().data);
    let mut grads = BatchNorm2d::<3, f32, Cfg>::zeroed();
    let mut dx = x.clone();
    bn.backward(Input::Grad(&mut dx), &mut t, &dy, &mut grads);
    f.assert_close("dx", dx.as_slice(), &f.grad("dx"));
    f.assert_close("dgamma", &grads.weight, &f.grad("dgamma"));
    f.assert_close("dbeta", &grads.bias, &f.grad("dbeta"));
}

#[test]
fn fixture_batch_norm2d_train() {
    batchnorm_fixture::<BnDefaults>("batch_norm2d_train_n4c3_5x5", true);
}

#[test]
fn fixture_batch_norm2d_eval() {
    batchnorm_fixture::<BnDefaults>("batch_norm2d_eval_n4c3_5x5", false);
}

/// MobileNetV3's constants: `eps = 1e-3`, `momentum = 0.01`.
#[derive(Clone, Copy, Debug)]
struct SlowBn;
impl BatchNormConfig for SlowBn {
    const EPS: f64 = 1e-3;
    const MOMENTUM: Option<f64> = Some(0.01);
}

/// PyTorch's `momentum=None`: the cumulative average.
#[derive(Clone, Copy, Debug)]
struct CumulativeBn;
impl BatchNormConfig for CumulativeBn {
    const EPS: f64 = 1e-5;
    const MOMENTUM: Option<f64> = None;
}

#[test]
fn fixture_batch_norm2d_other_eps_and_momentum() {
    batchnorm_fixture::<SlowBn>("batch_norm2d_train_eps1e-3_momentum0.01_n4c3_5x5", true);
    batchnorm_fixture::<BnEps1e3>("batch_norm2d_eval_eps1e-3_n4c3_5x5", false);
    // Three batches seen before: the running statistics move by a quarter of the way.
    batchnorm_fixture::<CumulativeBn>("batch_norm2d_train_cumulative_n4c3_5x5", true);
}

#[test]
fn fixture_residual_basic_block() {
    let f = fixture::load("residual_basic_block_c4_6x6");
    type Branch = (
        Conv2d<4, 4, 3, 1, 1, NoBias>,
        BatchNorm2d<4>,
        Relu,
        Conv2d<4, 4, 3, 1, 1, NoBias>,
        BatchNorm2d<4>,
    );
    type Block = (Residual<Branch>, Relu);
    type X = Tensor<2, 4, 6, 6>;
    // Our names (the branch sits at the block's level) ↔ torchvision-like fixture names.
    let map = [
        ("0.0.weight", "conv1.weight"),
        ("0.1.weight", "bn1.gamma"),
        ("0.1.bias", "bn1.beta"),
        ("0.1.running_mean", "bn1.running_mean"),
        ("0.1.running_var", "bn1.running_var"),
        ("0.3.weight", "conv2.weight"),
        ("0.4.weight", "bn2.gamma"),
        ("0.4.bias", "bn2.beta"),
        ("0.4.running_mean", "bn2.running_mean"),
        ("0.4.running_var", "bn2.running_var"),
    ];
    let mut net = Block::boxed();
    load_named(&mut *net, &f, &map);
    let x = tensor::<X>(&f.input("x").data);
    let mut y = X::boxed();
    let mut t = <TraceOf<Block, X>>::boxed();
    net.forward_train(&x, &mut y, &mut t);
    f.assert_close("y", y.as_slice(), &f.output("y"));
    let b = &net.0.0;
    f.assert_close(
        "bn1.running_mean",
        &b.1.running_mean,
        &f.output("bn1.running_mean"),
    );
    f.assert_close(
        "bn1.running_var",
        &b.1.running_var,
        &f.output("bn1.running_var"),
    );
    f.assert_close(
        "bn2.running_mean",
        &b.4.running_mean,
        &f.output("bn2.running_mean"),
    );
    f.assert_close(
        "bn2.running_var",
        &b.4.running_var,
        &f.output("bn2.running_var"),
    );

    let dy = tensor::<X>(&f.grad_output().data);
    let mut grads = Block::boxed();
    let mut dx = x.clone();
    net.backward(Input::Grad(&mut dx), &mut t, &dy, &mut grads);
    f.assert_close("dx", dx.as_slice(), &f.grad("dx"));
    check_grads_named(&mut *grads, &f, &map);
    // All six parameter gradients exist in the fixture and were compared.
    for k in [
        "dconv1.weight",
        "dbn1.gamma",
        "dbn1.beta",
        "dconv2.weight",
        "dbn2.gamma",
        "dbn2.beta",
    ] {
        assert!(f.has("grads", k), "{k}");
    }
}

#[test]
fn fixture_inception_concat() {
    let f = fixture::load("inception_concat_c3_b1o2_b3o3_6x6");
    type L = Concat<(Conv2d<3, 2, 1>, Conv2d<3, 3, 3, 1, 1>)>;
    type X = Tensor<2, 3, 6, 6>;
    let map = [
        ("branch1.weight", "b1.weight"),
        ("branch1.bias", "b1.bias"),
        ("branch2.weight", "b2.weight"),
        ("branch2.bias", "b2.bias"),
    ];
    let mut net = L::boxed();
    load_named(&mut *net, &f, &map);
    let x = tensor::<X>(&f.input("x").data);
    let mut y = <Out<L, X>>::boxed();
    let mut t = <TraceOf<L, X>>::boxed();
    net.forward_train(&x, &mut y, &mut t);
    f.assert_close("y", y.as_slice(), &f.output("y"));
    let dy = tensor::<Out<L, X>>(&f.grad_output().data);
    let mut grads = L::boxed();
    let mut dx = x.clone();
    net.backward(Input::Grad(&mut dx), &mut t, &dy, &mut grads);
    f.assert_close("dx", dx.as_slice(), &f.grad("dx"));
    check_grads_named(&mut *grads, &f, &map);
    // The eval forward gives the same output.
    let mut y2 = <Out<L, X>>::boxed();
    net.forward(&x, &mut y2, &mut t);
    assert_eq!(y.as_slice(), y2.as_slice());
}
