//! Finite-difference checks (f64) for the foundation layers.
use crate::common;
use common::gradcheck::{Lcg, check_layer, random_input, randomize};
use constnet::prelude::*;

fn net<M: Module<f64> + Zeroable>(seed: u64) -> Box<M> {
    let mut m = M::boxed();
    randomize(&mut *m, &mut Lcg(seed), 0.5);
    m
}

#[test]
fn conv2d_stride_padding() {
    type L = Conv2d<3, 4, 3, 2, 1, Bias, f64>;
    check_layer(
        &*net::<L>(1),
        &*random_input::<Tensor<2, 3, 9, 9, f64>>(2),
        3,
        1e-6,
    );
}

#[test]
fn conv2d_dilated_no_bias() {
    type L = DilatedConv2d<2, 3, 3, 1, 2, 2, NoBias, f64>;
    check_layer(
        &*net::<L>(4),
        &*random_input::<Tensor<1, 2, 7, 7, f64>>(5),
        6,
        1e-6,
    );
}

/// Separate height and width geometry, on inputs with H ≠ W: kernel (2, 3), stride (1, 2),
/// padding (1, 0), dilation (2, 1); Inception-v3's 1 × 7 without bias; a 3 × 1 kernel of
/// stride (2, 1).
#[test]
fn conv2d_rectangular() {
    type A = Conv2dHw<2, 3, 2, 3, 1, 2, 1, 0, Bias, f64, 2, 1>;
    let x = random_input::<Tensor<2, 2, 9, 7, f64>>(51);
    let mut y = Box::new(Tensor::<2, 3, 9, 3, f64>::zeros()); // 9 × 7 → 9 × 3
    net::<A>(50).forward(&x, &mut y, &mut ());
    check_layer(&*net::<A>(50), &*x, 52, 1e-6);
    type B = Conv2dHw<3, 2, 1, 7, 1, 1, 0, 3, NoBias, f64>;
    check_layer(
        &*net::<B>(53),
        &*random_input::<Tensor<1, 3, 6, 9, f64>>(54),
        55,
        1e-6,
    );
    type C = Conv2dHw<2, 2, 3, 1, 2, 1, 1, 0, Bias, f64>;
    let x = random_input::<Tensor<2, 2, 9, 7, f64>>(57);
    let mut y = Box::new(Tensor::<2, 2, 5, 7, f64>::zeros()); // 9 × 7 → 5 × 7
    net::<C>(56).forward(&x, &mut y, &mut ());
    check_layer(&*net::<C>(56), &*x, 58, 1e-6);
}

#[test]
fn linear_flattening() {
    type L = Linear<12, 5, Bias, f64>;
    check_layer(
        &*net::<L>(7),
        &*random_input::<Tensor<3, 3, 2, 2, f64>>(8),
        9,
        1e-6,
    );
}

#[test]
fn pools() {
    check_layer(
        &MaxPool2d::<3, 2>,
        &*random_input::<Tensor<2, 2, 9, 9, f64>>(10),
        11,
        1e-6,
    );
    check_layer(
        &AvgPool2d::<2>,
        &*random_input::<Tensor<2, 2, 7, 7, f64>>(12),
        13,
        1e-6,
    );
    // Ceil mode: the last window of each row and column covers two of its three values.
    check_layer(
        &MaxPool2dCeil::<3, 2>::default(),
        &*random_input::<Tensor<2, 2, 8, 8, f64>>(40),
        41,
        1e-6,
    );
}

/// Pools with separate height and width geometry, on inputs with H ≠ W: max pooling with a
/// 2 × 3 window, stride (2, 1), padding (1, 0); in ceil mode with a 3 × 2 window, stride (2, 3),
/// padding (1, 0); average pooling with a 3 × 1 window, stride 1, padding (1, 0) (counted in the
/// divisor) and with a 2 × 3 window of stride (2, 3).
#[test]
fn pools_rectangular() {
    let x = random_input::<Tensor<2, 2, 7, 8, f64>>(60);
    let mut y = Tensor::<2, 2, 4, 6, f64>::zeros(); // 7 × 8 → 4 × 6
    let mut argmax = Tensor::<2, 2, 4, 6, u32>::zeros();
    let max = MaxPool2dHw::<2, 3, 2, 1, 1, 0>::default();
    max.forward(&x, &mut y, &mut argmax);
    check_layer(&max, &*x, 61, 1e-6);
    let x = random_input::<Tensor<2, 2, 8, 10, f64>>(62);
    let mut y = Tensor::<2, 2, 5, 4, f64>::zeros(); // 8 × 10 → 5 × 4 (floor mode: 4 × 3)
    let mut argmax = Tensor::<2, 2, 5, 4, u32>::zeros();
    let ceil = MaxPool2dHw::<3, 2, 2, 3, 1, 0, true>::default();
    ceil.forward(&x, &mut y, &mut argmax);
    check_layer(&ceil, &*x, 63, 1e-6);
    let x = random_input::<Tensor<2, 2, 6, 5, f64>>(64);
    let mut y = Tensor::<2, 2, 6, 5, f64>::zeros(); // same size
    let avg = AvgPool2dHw::<3, 1, 1, 1, 1, 0>::default();
    avg.forward(&x, &mut y, &mut ());
    check_layer(&avg, &*x, 65, 1e-6);
    let x = random_input::<Tensor<2, 2, 7, 10, f64>>(66);
    let mut y = Tensor::<2, 2, 3, 3, f64>::zeros(); // 7 × 10 → 3 × 3
    let avg = AvgPool2dHw::<2, 3>::default();
    avg.forward(&x, &mut y, &mut ());
    check_layer(&avg, &*x, 67, 1e-6);
}

#[test]
fn activations() {
    let x = random_input::<Tensor<2, 3, 4, 4, f64>>(14);
    check_layer(&Relu, &*x, 15, 1e-6);
    check_layer(&LeakyRelu::<100>, &*x, 16, 1e-6);
    check_layer(&Sigmoid, &*x, 17, 1e-6);
    check_layer(&Tanh, &*x, 18, 1e-6);
    // MobileNetV3's: inputs spread over −4..4, across the kinks at ±3 (none within the step).
    let mut wide = *x;
    wide.as_mut_slice().iter_mut().for_each(|v| *v *= 4.0);
    check_layer(&Hardswish, &wide, 42, 1e-6);
    check_layer(&Hardsigmoid, &wide, 43, 1e-6);
}

#[test]
fn chain() {
    type L = (
        Conv2d<1, 2, 3, 1, 1, Bias, f64>,
        Tanh,
        MaxPool2d<2>,
        Flatten,
        Linear<32, 3, Bias, f64>,
    );
    check_layer(
        &*net::<L>(19),
        &*random_input::<Tensor<2, 1, 8, 8, f64>>(20),
        21,
        1e-6,
    );
}

#[test]
fn nan_propagates_through_activations_like_pytorch() {
    let mut x = Tensor::<1, 1, 1, 3>::zeros();
    x.0[0][0][0] = [f32::NAN, -1.0, 2.0];
    let mut y = Tensor::<1, 1, 1, 3>::zeros();
    Relu.forward(&x, &mut y, &mut ());
    assert!(y.0[0][0][0][0].is_nan());
    assert_eq!(&y.0[0][0][0][1..], &[0.0, 2.0]);
    Relu6.forward(&x, &mut y, &mut ());
    assert!(y.0[0][0][0][0].is_nan());
    LeakyRelu::<100>.forward(&x, &mut y, &mut ());
    assert!(y.0[0][0][0][0].is_nan());
    Tanh.forward(&x, &mut y, &mut ());
    assert!(y.0[0][0][0][0].is_nan());
}
