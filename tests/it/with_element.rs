//! `WithElement`: a network's element type spelled by name.
use crate::common::gradcheck::{Lcg, check_layer, random_input, randomize};
use constnet::models::{LeNet5, LeNet5Classic};
use constnet::prelude::*;
use core::any::TypeId;

fn same<A: 'static, B: 'static>() -> bool {
    TypeId::of::<A>() == TypeId::of::<B>()
}

#[test]
fn every_layer_keeps_its_shape_and_takes_the_element_type() {
    // Layers with values: only the element type changes.
    assert!(same::<
        WithElement<Conv2d<1, 6, 5>, f64>,
        Conv2d<1, 6, 5, 1, 0, Bias, f64>,
    >());
    assert!(same::<
        WithElement<DilatedConv2d<2, 4, 3, 1, 2, 2, NoBias>, f64>,
        Conv2d<2, 4, 3, 1, 2, NoBias, f64, 2>,
    >());
    assert!(same::<
        WithElement<Conv2dHw<4, 6, 1, 7, 1, 1, 0, 3>, f64>,
        Conv2dHw<4, 6, 1, 7, 1, 1, 0, 3, Bias, f64>,
    >());
    assert!(same::<
        WithElement<GroupedConv2d<4, 2, 3, 3, 2, 1, NoBias>, f64>,
        GroupedConv2d<4, 2, 3, 3, 2, 1, NoBias, f64>,
    >());
    assert!(same::<
        WithElement<DepthwiseConv2dHw<8, 3, 5, 1, 2>, f64>,
        DepthwiseConv2dHw<8, 3, 5, 1, 2, 0, 0, Bias, f64>,
    >());
    assert!(same::<
        WithElement<DilatedConvTranspose2d<2, 3, 3, 2, 1, 1, 2>, f64>,
        ConvTranspose2d<2, 3, 3, 2, 1, 1, Bias, f64, 2>,
    >());
    assert!(same::<
        WithElement<Linear<84, 10, NoBias>, f64>,
        Linear<84, 10, NoBias, f64>,
    >());
    assert!(same::<
        WithElement<BatchNorm2d<4, f32, BnEps1e3>, f64>,
        BatchNorm2d<4, f64, BnEps1e3>,
    >());
    // Layers without values are themselves.
    assert!(same::<
        WithElement<MaxPool2d<3, 2, 1>, f64>,
        MaxPool2d<3, 2, 1>,
    >());
    assert!(same::<WithElement<Dropout<1000>, f64>, Dropout<1000>>());
    assert!(same::<WithElement<LeakyRelu<200>, f64>, LeakyRelu<200>>());
    // Compositions retype their parts.
    assert!(same::<
        WithElement<Residual<(Conv2d<4, 4, 3, 1, 1>, Relu)>, f64>,
        Residual<(Conv2d<4, 4, 3, 1, 1, Bias, f64>, Relu)>,
    >());
    assert!(same::<
        WithElement<Concat<(Conv2d<4, 2, 1>, Identity)>, f64>,
        Concat<(Conv2d<4, 2, 1, 1, 0, Bias, f64>, Identity)>,
    >());
    // A whole network, and back.
    assert!(!same::<WithElement<LeNet5, f64>, LeNet5>());
    assert!(same::<WithElement<WithElement<LeNet5, f64>, f32>, LeNet5>());
}

/// The use it is for: a gradient check, in `f64`, of a network declared in `f32`.
#[test]
fn lenet5_in_f64_passes_the_finite_difference_check() {
    type Net = WithElement<LeNet5Classic, f64>;
    let mut net = Net::boxed();
    randomize(&mut *net, &mut Lcg(7), 0.5);
    check_layer(
        &*net,
        &*random_input::<Tensor<2, 1, 32, 32, f64>>(8),
        9,
        1e-6,
    );
}
