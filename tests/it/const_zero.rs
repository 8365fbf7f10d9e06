//! `Zeroable::ZERO`: every layer, composition and model can be built in a `const` context (a
//! `static`), and the constant is the all-zero value `zeroed` and `boxed` give.
use constnet::models::{LeNet5, ResNet20Cifar};
use constnet::prelude::*;

/// One of every layer and composition.
type Everything = (
    (
        Conv2d<3, 4, 3, 1, 1>,
        BatchNorm2d<4>,
        Relu,
        Residual<(Conv2d<4, 4, 3, 1, 1, NoBias>, Relu6)>,
        ResidualProj<
            (DepthwiseConv2d<4, 3, 2, 1>, LeakyRelu<100>),
            GroupedConv2d<2, 2, 2, 1, 2, 0>,
        >,
        Concat<(Identity, Sigmoid, Tanh)>,
        ConvTranspose2d<12, 4, 2, 2>,
        MaxPool2d<2>,
        AvgPool2d<2>,
    ),
    Dropout<2000>,
    GlobalAvgPool2d,
    Flatten,
    Linear<4, 3>,
    Named<Classifier, Linear<3, 2, NoBias>>,
);

#[derive(Clone, Copy, Debug, Default)]
struct Classifier;
impl constnet::compose::named::Name for Classifier {
    const NAME: &'static str = "classifier";
}

static LENET: LeNet5 = LeNet5::ZERO;
static EVERYTHING: Everything = Everything::ZERO;

/// The file of the model's tensors, as the weight writer saves them.
fn bytes<M: Module<f32>>(m: &mut M) -> Vec<u8> {
    constnet::io::to_bytes(m).unwrap()
}

#[test]
fn the_constant_is_the_zeroed_value() {
    let mut from_static = LENET;
    assert_eq!(bytes(&mut from_static), bytes(&mut *LeNet5::boxed()));
    let mut everything = EVERYTHING;
    assert_eq!(bytes(&mut everything), bytes(&mut *Everything::boxed()));
    assert!(everything.num_params() > 0);
    let mut resnet = Box::new(ResNet20Cifar::ZERO);
    assert_eq!(bytes(&mut *resnet), bytes(&mut *ResNet20Cifar::boxed()));
    // Tensors, and what a network's output and arena are made of.
    const X: Tensor<2, 3, 4, 4> = Tensor::ZERO;
    assert_eq!(X, Tensor::zeros());
    static ARENA: [f32; arena_len::<LeNet5, Tensor<1, 1, 28, 28>>()] = Zeroable::ZERO;
    assert!(ARENA.iter().all(|&v| v == 0.0));
    // The network runs (zero weights: zero logits).
    let (x, mut y) = (Tensor::<1, 1, 28, 28>::ZERO, Tensor::<1, 10, 1, 1>::ZERO);
    let mut arena = ARENA;
    LENET.infer(&x, &mut y, &mut arena).unwrap();
    assert_eq!(y, Tensor::ZERO);
}
