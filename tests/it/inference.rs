//! The trace-free inference pass (`Layer::infer`): the same bits as the eval-mode forward
//! pass for every layer and composition (in place or not, first, middle or last in a chain,
//! nested, batch 1 and 2), the arena sizes the chain plan promises, the error for a short arena,
//! and no allocation.
use crate::common;
use common::alloc::count;
use common::gradcheck::Lcg;
use constnet::init;
use constnet::models::{InvertedResidual, LeNet5, SeparableBlock};
use constnet::prelude::*;

/// `L` on `X` with random weights and non-trivial batch-norm statistics; `forward` (with its
/// trace) and `infer` (with an arena of exactly `arena_len` values, filled with NaN so that a
/// value read before it is written shows) give the same bits, and the pass writes both ends of
/// the arena (it is not larger than the plan uses). Returns the arena length.
fn same_as_forward<L, X>(seed: u64) -> usize
where
    L: Layer<X> + Zeroable + Module<f32>,
    X: Batch<Elem = f32>,
{
    let mut net = init::seeded::<L, f32>(seed);
    let mut rng = Lcg(seed + 1);
    net.for_each_tensor(|info, v| match info.path.leaf() {
        Some("running_mean" | "bias") => v.iter_mut().for_each(|w| *w = rng.next() as f32),
        Some("running_var") => v
            .iter_mut()
            .for_each(|w| *w = 0.5 + rng.next().abs() as f32),
        _ => {}
    });
    let mut x = X::boxed();
    x.flat_mut().iter_mut().for_each(|v| *v = rng.next() as f32);
    let mut expected = L::Output::boxed();
    let mut trace = L::Trace::boxed();
    net.forward(&x, &mut expected, &mut trace);

    let mut arena = vec![f32::NAN; arena_len::<L, X>()];
    let mut y = L::Output::boxed();
    y.flat_mut().fill(f32::NAN);
    net.infer(&x, &mut y, &mut arena).unwrap();

    let bits = |v: &[f32]| v.iter().map(|v| v.to_bits()).collect::<Vec<_>>();
    assert!(expected.flat().iter().all(|v| v.is_finite()));
    assert!(expected.flat().iter().any(|&v| v != 0.0));
    assert_eq!(bits(y.flat()), bits(expected.flat()));
    // The plan is tight: the pass wrote both ends of the arena.
    if let (Some(first), Some(last)) = (arena.first(), arena.last()) {
        assert!(!first.is_nan() && !last.is_nan());
    }
    arena.len()
}

type Img<const N: usize, const C: usize, const S: usize> = Tensor<N, C, S, S>;

#[test]
fn chains_in_place_or_not_anywhere() {
    // In-place layers first, in the middle, last, and a chain made only of them. The elements
    // after the last one that cannot work in place run on the output: `First` needs only batch
    // norm's output, `Last` only the first convolution's, `OnlyInPlace` nothing.
    type First = (BatchNorm2d<3>, Conv2d<3, 4, 3, 1, 1>, Relu);
    type Middle = (
        Conv2d<3, 4, 3>,
        BatchNorm2d<4>,
        Relu6,
        Dropout<5000>,
        MaxPool2d<2>,
    );
    type Last = (Conv2d<3, 4, 3, 2, 1>, Tanh, Conv2d<4, 2, 1>, Sigmoid);
    type OnlyInPlace = (BatchNorm2d<3>, LeakyRelu<100>, Identity);
    for seed in [1, 2] {
        assert_eq!(same_as_forward::<First, Img<2, 3, 8>>(seed), 2 * 3 * 64);
        assert_eq!(same_as_forward::<Middle, Img<1, 3, 9>>(seed), 4 * 49);
        assert_eq!(same_as_forward::<Last, Img<2, 3, 8>>(seed), 2 * 4 * 16);
        assert_eq!(same_as_forward::<OnlyInPlace, Img<2, 3, 5>>(seed), 0);
    }
    const { assert!(<OnlyInPlace as Layer<Img<2, 3, 5>>>::IN_PLACE) };
    const { assert!(!<Middle as Layer<Img<1, 3, 9>>>::IN_PLACE) };
}

#[test]
fn lenet5_needs_two_activations_at_a_time() {
    // conv1's output (6·24·24, ReLU in place) and the pool's (6·12·12) are the largest pair.
    assert_eq!(arena_len::<LeNet5, Img<1, 1, 28>>(), 6 * 576 + 6 * 144);
    assert_eq!(
        arena_len::<LeNet5, Img<4, 1, 28>>(),
        4 * (6 * 576 + 6 * 144)
    );
    same_as_forward::<LeNet5, Img<3, 1, 28>>(3);
}

#[test]
fn nested_chains_and_flatten() {
    type Inner = (Conv2d<4, 4, 3, 1, 1>, BatchNorm2d<4>, Relu);
    type Net = (
        Conv2d<2, 4, 3, 1, 1>,
        Inner,
        (Inner, Inner),
        Flatten,
        Linear<256, 5>,
    );
    same_as_forward::<Net, Img<2, 2, 8>>(4);
}

#[test]
fn residual_blocks_and_concat() {
    type Basic = (
        Residual<(
            Conv2d<4, 4, 3, 1, 1, NoBias>,
            BatchNorm2d<4>,
            Relu,
            Conv2d<4, 4, 3, 1, 1, NoBias>,
            BatchNorm2d<4>,
        )>,
        Relu,
    );
    type Down = ResidualProj<
        (
            Conv2d<4, 8, 3, 2, 1, NoBias>,
            BatchNorm2d<8>,
            Relu,
            Conv2d<8, 8, 3, 1, 1>,
        ),
        (Conv2d<4, 8, 1, 2, 0, NoBias>, BatchNorm2d<8>),
    >;
    type Dense = Concat<(
        Identity,
        (BatchNorm2d<4>, Relu, Conv2d<4, 2, 3, 1, 1, NoBias>),
    )>;
    type Inception = Concat<(
        Conv2d<4, 2, 1>,
        (Conv2d<4, 3, 1>, Relu, Conv2d<3, 2, 3, 1, 1>),
        (MaxPool2d<3, 1, 1>, Conv2d<4, 1, 1>),
    )>;
    type Four = Concat<(Relu, Conv2d<4, 1, 1>, AvgPool2d<3, 1, 1>, (Basic, Basic))>;
    for seed in [5, 6] {
        same_as_forward::<(Basic, Down), Img<1, 4, 8>>(seed);
        same_as_forward::<(Basic, Down), Img<2, 4, 8>>(seed);
        same_as_forward::<(Dense, Relu), Img<1, 4, 6>>(seed);
        same_as_forward::<(Dense, Relu), Img<2, 4, 6>>(seed);
        same_as_forward::<Inception, Img<1, 4, 6>>(seed);
        same_as_forward::<Inception, Img<2, 4, 6>>(seed);
        same_as_forward::<(Four, GlobalAvgPool2d), Img<2, 4, 8>>(seed);
    }
}

/// Batch norm on a 1 × 1 map at batch 1 cannot be trained (a compile error: see
/// `tests/ui/batchnorm_train_single_value.rs`), but runs in eval mode; the same network trains
/// at batch 2.
#[test]
fn batch_norm_on_single_values_runs_in_eval_mode() {
    type Head = (
        Conv2d<3, 8, 3>,
        GlobalAvgPool2d,
        BatchNorm2d<8>,
        Flatten,
        Linear<8, 2>,
    );
    same_as_forward::<Head, Img<1, 3, 8>>(11);

    let mut net = init::seeded::<Head, f32>(12);
    let mut x = Img::<2, 3, 8>::boxed();
    x.fill_with(|i| (i % 7) as f32 - 3.0);
    let mut ws = Workspace::<Head, Img<2, 3, 8>>::boxed();
    let mut sgd = Sgd::<Head>::boxed(SgdConfig::new(0.1));
    let loss = ws
        .train_step(&mut *net, &x, &SoftmaxCrossEntropy, &[0, 1], &mut *sgd)
        .unwrap();
    assert!(loss.is_finite());
    assert_eq!(net.2.num_batches_tracked, 1);
}

#[test]
fn the_rest_of_the_conv_family() {
    same_as_forward::<SeparableBlock<4, 8, 2>, Img<2, 4, 8>>(7);
    same_as_forward::<InvertedResidual<4, 24>, Img<2, 4, 8>>(8);
    same_as_forward::<(GroupedConv2d<2, 2, 3, 3, 1, 1>, Relu), Img<2, 4, 6>>(9);
    same_as_forward::<(ConvTranspose2d<3, 2, 4, 2, 1>, Relu), Img<2, 3, 5>>(10);
}

#[test]
fn a_short_arena_is_an_error_and_writes_nothing() {
    type X = Img<1, 1, 28>;
    let net = init::seeded::<LeNet5, f32>(1);
    let x = X::boxed();
    let mut y = Out::<LeNet5, X>::zeroed();
    y.as_mut_slice().fill(7.0);
    let needed = arena_len::<LeNet5, X>();
    let mut arena = vec![0.0; needed - 1];
    let err = net.infer(&x, &mut y, &mut arena).unwrap_err();
    assert_eq!(
        err,
        ArenaTooSmall {
            needed,
            found: needed - 1
        }
    );
    assert!(err.to_string().contains(&needed.to_string()));
    assert!(y.as_slice().iter().all(|&v| v == 7.0));
    // A longer arena is fine.
    let mut arena = vec![0.0; needed + 100];
    net.infer(&x, &mut y, &mut arena).unwrap();
    assert!(y.as_slice().iter().any(|&v| v != 7.0));
}

#[test]
fn inference_allocates_nothing() {
    type X = Img<2, 1, 28>;
    let net = init::seeded::<LeNet5, f32>(2);
    let mut x = X::boxed();
    x.fill_with(|i| (i % 13) as f32 / 13.0);
    let mut y = Out::<LeNet5, X>::zeroed();
    let mut arena = vec![0.0; arena_len::<LeNet5, X>()];
    let (allocs, result) = count(|| net.infer(&x, &mut y, &mut arena));
    assert_eq!(allocs, 0);
    result.unwrap();
    let mut ws = Workspace::<LeNet5, X>::boxed();
    assert_eq!(ws.infer(&net, &x), &y);
}
