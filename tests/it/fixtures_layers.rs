//! PyTorch reference fixtures (`tests/fixtures/torch/`) for the foundation layers: convolution
//! (non-grouped), max and average pooling, linear, and the element-wise activations; and for
//! every convolution and pool with separate height and width geometry (grouped, depthwise and
//! transposed convolutions included).
//!
//! Every case loads the fixture's inputs into the typed f32 layer, checks the forward output in
//! eval and train mode, then runs backward with the fixture's `dy` and `Input::Grad` and checks
//! `dx` and every parameter gradient, with the tolerance rule of the fixture README. The layer's
//! hyper-parameters (read from its type) must equal the fixture's `params`, and every tensor of
//! the layer must have a fixture counterpart of the same PyTorch shape (and vice versa).
use crate::common;

use common::fixture::{Fixture, load};
use constnet::prelude::*;
use constnet::{Batch, TensorInfo};
use serde_json::{Value, json};

/// The shape of a tensor type as `[N, C, H, W]`.
trait Shape4 {
    const SHAPE4: [usize; 4];
}
impl<const N: usize, const C: usize, const H: usize, const W: usize, E> Shape4
    for Tensor<N, C, H, W, E>
{
    const SHAPE4: [usize; 4] = [N, C, H, W];
}

/// A PyTorch shape (`[N, C, H, W]`, or `[N, F]` for vectors) padded to four dimensions.
fn shape4(shape: &[usize]) -> [usize; 4] {
    assert!(
        (1..=4).contains(&shape.len()),
        "unexpected rank {}",
        shape.len()
    );
    let mut s = [1; 4];
    s[..shape.len()].copy_from_slice(shape);
    s
}

/// The PyTorch hyper-parameters a layer type stands for, as the fixture's `params` spells them.
trait Hyper {
    fn params() -> Value;
}
impl<
    const CI: usize,
    const CO: usize,
    const KH: usize,
    const KW: usize,
    const SH: usize,
    const SW: usize,
    const PH: usize,
    const PW: usize,
    const DH: usize,
    const DW: usize,
> Hyper for Conv2dHw<CI, CO, KH, KW, SH, SW, PH, PW, Bias, f32, DH, DW>
{
    fn params() -> Value {
        json!({
            "in_channels": CI, "out_channels": CO, "kernel": [KH, KW], "stride": [SH, SW],
            "padding": [PH, PW], "dilation": [DH, DW], "groups": 1, "bias": true,
        })
    }
}
impl<
    const G: usize,
    const CIG: usize,
    const COG: usize,
    const KH: usize,
    const KW: usize,
    const SH: usize,
    const SW: usize,
    const PH: usize,
    const PW: usize,
    const DH: usize,
    const DW: usize,
> Hyper for GroupedConv2dHw<G, CIG, COG, KH, KW, SH, SW, PH, PW, Bias, f32, DH, DW>
{
    fn params() -> Value {
        json!({
            "in_channels": G * CIG, "out_channels": G * COG, "kernel": [KH, KW],
            "stride": [SH, SW], "padding": [PH, PW], "dilation": [DH, DW], "groups": G,
            "bias": true,
        })
    }
}
impl<
    const C: usize,
    const KH: usize,
    const KW: usize,
    const SH: usize,
    const SW: usize,
    const PH: usize,
    const PW: usize,
    const DH: usize,
    const DW: usize,
> Hyper for DepthwiseConv2dHw<C, KH, KW, SH, SW, PH, PW, Bias, f32, DH, DW>
{
    fn params() -> Value {
        json!({
            "in_channels": C, "out_channels": C, "kernel": [KH, KW], "stride": [SH, SW],
            "padding": [PH, PW], "dilation": [DH, DW], "groups": C, "bias": true,
        })
    }
}
impl<
    const CI: usize,
    const CO: usize,
    const KH: usize,
    const KW: usize,
    const SH: usize,
    const SW: usize,
    const PH: usize,
    const PW: usize,
    const OPH: usize,
    const OPW: usize,
    const DH: usize,
    const DW: usize,
> Hyper for ConvTranspose2dHw<CI, CO, KH, KW, SH, SW, PH, PW, OPH, OPW, Bias, f32, DH, DW>
{
    fn params() -> Value {
        json!({
            "in_channels": CI, "out_channels": CO, "kernel": [KH, KW], "stride": [SH, SW],
            "padding": [PH, PW], "output_padding": [OPH, OPW], "dilation": [DH, DW],
            "groups": 1, "bias": true,
        })
    }
}
impl<
    const KH: usize,
    const KW: usize,
    const SH: usize,
    const SW: usize,
    const PH: usize,
    const PW: usize,
    const CEIL: bool,
> Hyper for MaxPool2dHw<KH, KW, SH, SW, PH, PW, CEIL>
{
    fn params() -> Value {
        let ceil = CEIL;
        json!({
            "kernel": [KH, KW], "stride": [SH, SW], "padding": [PH, PW], "ceil_mode": ceil,
            "dilation": [1, 1],
        })
    }
}
impl<
    const KH: usize,
    const KW: usize,
    const SH: usize,
    const SW: usize,
    const PH: usize,
    const PW: usize,
> Hyper for AvgPool2dHw<KH, KW, SH, SW, PH, PW>
{
    fn params() -> Value {
        json!({
            "kernel": [KH, KW], "stride": [SH, SW], "padding": [PH, PW], "ceil_mode": false,
            "count_include_pad": true,
        })
    }
}
impl<const IN: usize, const OUT: usize> Hyper for Linear<IN, OUT> {
    fn params() -> Value {
        json!({ "in_features": IN, "out_features": OUT, "bias": true })
    }
}
impl<const SLOPE_E4: u32> Hyper for LeakyRelu<SLOPE_E4> {
    fn params() -> Value {
        json!({ "negative_slope": SLOPE_E4 as f64 / 10_000.0 })
    }
}
macro_rules! no_params {
    ($($t:ty),*) => { $( impl Hyper for $t { fn params() -> Value { json!({}) } } )* };
}
no_params!(Relu, Sigmoid, Tanh, Hardswish, Hardsigmoid);

/// torchvision's `SqueezeExcitation(C, S, scale_activation=Hardsigmoid)`, MobileNetV3's.
use constnet::models::SqueezeExcitation;
impl<const C: usize, const S: usize> Hyper for SqueezeExcitation<C, S> {
    fn params() -> Value {
        json!({
            "input_channels": C, "squeeze_channels": S, "activation": "relu",
            "scale_activation": "hardsigmoid",
        })
    }
}

/// Copies a fixture tensor into a batch, checking its shape against the batch type.
fn fill<X: Batch<Elem = f32> + Shape4>(
    f: &Fixture,
    what: &str,
    t: &common::fixture::Tensor,
) -> Box<X> {
    assert_eq!(
        shape4(&t.shape),
        X::SHAPE4,
        "{}: shape of {what} does not match the tensor type",
        f.name
    );
    let mut x = X::boxed();
    x.flat_mut().copy_from_slice(&t.data);
    x
}

/// Number of keys of a fixture section, not counting `skip`.
fn count_keys(f: &Fixture, section: &str, skip: &str) -> usize {
    f.json[section]
        .as_object()
        .unwrap_or_else(|| panic!("{}: no {section}", f.name))
        .keys()
        .filter(|k| *k != skip)
        .count()
}

/// Runs fixture `name` through layer type `L` on input type `X` and checks `y`, `dx` and every
/// parameter gradient. Returns the fixture and the trace of the training forward pass (after
/// backward) for op-specific checks.
fn check<L, X>(name: &str) -> (Fixture, Box<L::Trace>)
where
    L: Layer<X, Output: Shape4, Training: Trainable> + Hyper + Zeroable,
    X: Batch<Elem = f32> + Shape4,
{
    let f = load(name);
    assert_eq!(
        f.json["params"],
        L::params(),
        "{name}: the layer type's hyper-parameters differ from the fixture's"
    );

    // Parameters: every tensor of the layer comes from the fixture, with PyTorch's shape.
    let mut layer = L::boxed();
    let mut loaded = 0;
    layer.for_each_tensor(|info: TensorInfo<'_>, v: &mut [f32]| {
        let key = info.path.to_string();
        let t = f.input(&key);
        assert_eq!(t.shape, info.shape, "{name}: shape of {key}");
        v.copy_from_slice(&t.data);
        loaded += 1;
    });
    assert_eq!(
        loaded,
        count_keys(&f, "inputs", "x"),
        "{name}: fixture inputs the layer does not have"
    );

    let x = fill::<X>(&f, "x", &f.input("x"));
    let want_y = f.output("y");
    assert_eq!(
        shape4(&want_y.shape),
        L::Output::SHAPE4,
        "{name}: output type"
    );

    // Eval-mode forward (these layers have no train/eval difference).
    let mut y = L::Output::boxed();
    let mut trace = L::Trace::boxed();
    layer.forward(&x, &mut y, &mut trace);
    f.assert_close("y (forward)", y.flat(), &want_y);

    // Train-mode forward into a poisoned output: an element left unwritten fails the check.
    y.flat_mut().fill(f32::NAN);
    let mut trace = L::Trace::boxed();
    layer.forward_train(&x, &mut y, &mut trace);
    f.assert_close("y (forward_train)", y.flat(), &want_y);

    // Backward: dx overwrites a copy of x; parameter gradients accumulate into zeros.
    let dy = fill::<L::Output>(&f, "dy", &f.grad_output());
    let mut dx = fill::<X>(&f, "x", &f.input("x"));
    let mut grads = L::boxed();
    layer.backward(Input::Grad(&mut dx), &mut trace, &dy, &mut grads);
    f.assert_close("dx", dx.flat(), &f.grad("dx"));
    let mut compared = 0;
    grads.for_each_tensor(|info: TensorInfo<'_>, g: &mut [f32]| {
        let key = format!("d{}", info.path);
        f.assert_close(&key, g, &f.grad(&key));
        compared += 1;
    });
    assert_eq!(
        compared,
        count_keys(&f, "grads", "dx"),
        "{name}: fixture gradients the layer does not have"
    );
    (f, trace)
}

// ---------------------------------------------------------------------------------------------
// conv2d (groups = 1)
// ---------------------------------------------------------------------------------------------

#[test]
fn conv2d_c3o4_k3s1p1_8x8() {
    check::<Conv2d<3, 4, 3, 1, 1>, Tensor<2, 3, 8, 8>>("conv2d_c3o4_k3s1p1_8x8");
}

#[test]
fn conv2d_c2o3_k5s1p0_12x12() {
    check::<Conv2d<2, 3, 5>, Tensor<2, 2, 12, 12>>("conv2d_c2o3_k5s1p0_12x12");
}

#[test]
fn conv2d_c3o2_k3s2p1_9x9() {
    check::<Conv2d<3, 2, 3, 2, 1>, Tensor<2, 3, 9, 9>>("conv2d_c3o2_k3s2p1_9x9");
}

#[test]
fn conv2d_c1o2_k2s2p0_6x6() {
    check::<Conv2d<1, 2, 2, 2>, Tensor<2, 1, 6, 6>>("conv2d_c1o2_k2s2p0_6x6");
}

#[test]
fn conv2d_pointwise_c4o6_k1_5x5() {
    check::<Conv2d<4, 6, 1>, Tensor<2, 4, 5, 5>>("conv2d_pointwise_c4o6_k1_5x5");
}

/// Optional case: dilation 2.
#[test]
fn conv2d_dilated_c2o2_k3s1p2d2_7x7() {
    check::<DilatedConv2d<2, 2, 3, 1, 2, 2>, Tensor<2, 2, 7, 7>>(
        "conv2d_dilated_c2o2_k3s1p2d2_7x7",
    );
}

// ---------------------------------------------------------------------------------------------
// pooling
// ---------------------------------------------------------------------------------------------

/// Max pooling also records PyTorch's arg-max (`h·W + w` in the input plane): compare exactly.
fn check_max_pool<L, X>(name: &str)
where
    L: Layer<X, Output: Shape4, Training: Trainable> + Hyper + Zeroable,
    X: Batch<Elem = f32> + Shape4,
    L::Trace: Batch<Elem = u32> + Shape4,
{
    let (f, trace) = check::<L, X>(name);
    let want = f.intermediate("indices");
    assert_eq!(
        shape4(&want.shape),
        L::Trace::SHAPE4,
        "{name}: indices shape"
    );
    assert_eq!(want.ints.len(), want.numel(), "{name}: indices are int64");
    let got: Vec<i64> = trace.flat().iter().map(|&i| i64::from(i)).collect();
    assert_eq!(got, want.ints, "{name}: arg-max indices");
}

#[test]
fn max_pool2d_k2s2_8x8() {
    check_max_pool::<MaxPool2d<2, 2>, Tensor<2, 3, 8, 8>>("max_pool2d_k2s2_8x8");
}

#[test]
fn max_pool2d_k3s2_9x9() {
    check_max_pool::<MaxPool2d<3, 2>, Tensor<2, 3, 9, 9>>("max_pool2d_k3s2_9x9");
}

#[test]
fn max_pool2d_k2s2_7x7_floor() {
    check_max_pool::<MaxPool2d<2>, Tensor<2, 3, 7, 7>>("max_pool2d_k2s2_7x7_floor");
}

/// Ceil mode (`MaxPool2dCeil<K, S, P>`): the output is one larger where a last window sticks
/// out of the input (8 → 4 here, floor mode 3), and PyTorch's exception where it would start in
/// the right padding (5 → 3 with padding 1: the fourth window is dropped).
#[test]
fn max_pool2d_ceil_mode() {
    check_max_pool::<MaxPool2dCeil<3, 2>, Tensor<2, 3, 8, 8>>("max_pool2d_k3s2_ceil_8x8");
    check_max_pool::<MaxPool2dCeil<3, 1, 1>, Tensor<2, 3, 7, 7>>("max_pool2d_k3s1p1_ceil_7x7");
    check_max_pool::<MaxPool2dCeil<2, 2, 1>, Tensor<2, 3, 5, 5>>("max_pool2d_k2s2p1_ceil_5x5");
    // Rows wide enough for the 2 × 2 vector path of floor mode, which ceil mode must not take.
    check_max_pool::<MaxPool2dCeil<2>, Tensor<1, 2, 17, 17>>("max_pool2d_k2s2_ceil_17x17");
}

#[test]
fn avg_pool2d_k2s2_8x8() {
    check::<AvgPool2d<2>, Tensor<2, 3, 8, 8>>("avg_pool2d_k2s2_8x8");
}

#[test]
fn avg_pool2d_k3s3_9x9() {
    check::<AvgPool2d<3>, Tensor<2, 3, 9, 9>>("avg_pool2d_k3s3_9x9");
}

// ---------------------------------------------------------------------------------------------
// separate height and width geometry (PyTorch's `(h, w)` pairs), on inputs with H ≠ W
// ---------------------------------------------------------------------------------------------

#[test]
fn conv2d_rect_k1x3p0x1_9x7() {
    check::<Conv2dHw<3, 4, 1, 3, 1, 1, 0, 1>, Tensor<2, 3, 9, 7>>("conv2d_c3o4_k1x3p0x1_9x7");
}

#[test]
fn conv2d_rect_k3x1s2x1p1x0_9x7() {
    check::<Conv2dHw<2, 3, 3, 1, 2, 1, 1, 0>, Tensor<2, 2, 9, 7>>("conv2d_c2o3_k3x1s2x1p1x0_9x7");
}

/// Kernel (2, 3), stride (1, 2), padding (1, 0), dilation (2, 1): 9 × 7 → 9 × 3.
#[test]
fn conv2d_rect_k2x3s1x2p1x0d2x1_9x7() {
    check::<Conv2dHw<2, 3, 2, 3, 1, 2, 1, 0, Bias, f32, 2, 1>, Tensor<2, 2, 9, 7>>(
        "conv2d_c2o3_k2x3s1x2p1x0d2x1_9x7",
    );
}

/// Inception-v3's factorised 7 × 7: a 7 × 1 and a 1 × 7 kernel, padded to keep the size.
#[test]
fn conv2d_rect_inception_7x1_and_1x7() {
    check::<Conv2dHw<3, 2, 7, 1, 1, 1, 3, 0>, Tensor<2, 3, 9, 7>>("conv2d_c3o2_k7x1p3x0_9x7");
    check::<Conv2dHw<3, 2, 1, 7, 1, 1, 0, 3>, Tensor<2, 3, 6, 9>>("conv2d_c3o2_k1x7p0x3_6x9");
}

#[test]
fn grouped_conv2d_rect_g2_k1x3p0x1_5x7() {
    check::<GroupedConv2dHw<2, 2, 3, 1, 3, 1, 1, 0, 1>, Tensor<2, 4, 5, 7>>(
        "conv2d_grouped_g2_c4o6_k1x3p0x1_5x7",
    );
}

/// Through the depthwise kernel, and through the grouped convolution with one channel per group.
#[test]
fn depthwise_conv2d_rect_k3x1s1x2p1x0_6x9() {
    let name = "conv2d_depthwise_c3_k3x1s1x2p1x0_6x9";
    check::<DepthwiseConv2dHw<3, 3, 1, 1, 2, 1, 0>, Tensor<2, 3, 6, 9>>(name);
    check::<GroupedConv2dHw<3, 1, 1, 3, 1, 1, 2, 1, 0>, Tensor<2, 3, 6, 9>>(name);
}

/// Kernel (2, 3), stride (2, 1), padding (0, 1), output padding (1, 0): 4 × 5 → 9 × 5.
#[test]
fn conv_transpose2d_rect_k2x3s2x1p0x1op1x0_4x5() {
    check::<ConvTranspose2dHw<2, 3, 2, 3, 2, 1, 0, 1, 1, 0>, Tensor<2, 2, 4, 5>>(
        "conv_transpose2d_c2o3_k2x3s2x1p0x1op1x0_4x5",
    );
}

#[test]
fn max_pool2d_rect_k2x3s2x1p1x0_7x8() {
    check_max_pool::<MaxPool2dHw<2, 3, 2, 1, 1, 0>, Tensor<2, 3, 7, 8>>(
        "max_pool2d_k2x3s2x1p1x0_7x8",
    );
}

/// Ceil mode per axis: 8 × 10 → 5 × 4 (floor mode 4 × 3); and 5 × 6 → 3 × 4, where PyTorch
/// drops the last row of windows (it would start in the bottom padding) but not the last column.
#[test]
fn max_pool2d_rect_ceil_mode() {
    check_max_pool::<MaxPool2dHw<3, 2, 2, 3, 1, 0, true>, Tensor<2, 3, 8, 10>>(
        "max_pool2d_k3x2s2x3p1x0_ceil_8x10",
    );
    check_max_pool::<MaxPool2dHw<2, 3, 2, 2, 1, 1, true>, Tensor<2, 3, 5, 6>>(
        "max_pool2d_k2x3s2p1_ceil_5x6",
    );
}

/// Padding counted in the divisor (PyTorch's `count_include_pad=True`), as Inception's pooling
/// branches do.
#[test]
fn avg_pool2d_rect_k3x1s1p1x0_6x5() {
    check::<AvgPool2dHw<3, 1, 1, 1, 1, 0>, Tensor<2, 3, 6, 5>>("avg_pool2d_k3x1s1p1x0_6x5");
}

#[test]
fn avg_pool2d_rect_k2x3s2x3_7x10() {
    check::<AvgPool2dHw<2, 3>, Tensor<2, 3, 7, 10>>("avg_pool2d_k2x3s2x3_7x10");
}

// ---------------------------------------------------------------------------------------------
// linear and activations
// ---------------------------------------------------------------------------------------------

#[test]
fn linear_in7_out5() {
    check::<Linear<7, 5>, Vector<2, 7>>("linear_in7_out5");
}

#[test]
fn relu() {
    check::<Relu, Tensor<2, 3, 4, 4>>("relu_2x3x4x4");
}

#[test]
fn leaky_relu_0_01() {
    check::<LeakyRelu<100>, Tensor<2, 3, 4, 4>>("leaky_relu_0.01_2x3x4x4");
}

#[test]
fn sigmoid() {
    check::<Sigmoid, Tensor<2, 3, 4, 4>>("sigmoid_2x3x4x4");
}

/// MobileNetV3's activations; the inputs hold −3 and 3, where PyTorch's derivatives change.
#[test]
fn hardswish_and_hardsigmoid() {
    check::<Hardswish, Tensor<2, 3, 4, 4>>("hardswish_2x3x4x4");
    check::<Hardsigmoid, Tensor<2, 3, 4, 4>>("hardsigmoid_2x3x4x4");
}

/// Channel gating (`Gate`) as torchvision's squeeze-and-excitation: forward, input gradient
/// (through both paths of x) and the gate's parameter gradients.
#[test]
fn squeeze_excitation_c8s4() {
    check::<SqueezeExcitation<8, 4>, Tensor<2, 8, 5, 5>>("squeeze_excitation_c8s4_n2_5x5");
}

#[test]
fn tanh() {
    check::<Tanh, Tensor<2, 3, 4, 4>>("tanh_2x3x4x4");
}
