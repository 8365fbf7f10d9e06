//! The convolution family beyond `Conv2d`: transposed, grouped, depthwise, depthwise-separable
//! convolutions, global average pooling and dropout. f64 finite differences for every backward,
//! PyTorch fixtures, and dropout statistics.
use crate::common;

use common::fixture::{self, Fixture};
use common::gradcheck::{Lcg, check_layer, random_input, randomize};
use constnet::prelude::*;
use constnet::{Batch, TensorInfo};
use serde_json::json;

fn net<M: Module<f64> + Zeroable>(seed: u64) -> Box<M> {
    let mut m = M::boxed();
    randomize(&mut *m, &mut Lcg(seed), 0.5);
    m
}

// ---------------------------------------------------------------------------------------------
// Finite differences (f64)
// ---------------------------------------------------------------------------------------------

#[test]
fn transposed_stride_padding_output_padding() {
    // 4×4 → (4−1)·2 − 2 + 2 + 1 + 1 = 8×8
    type L = ConvTranspose2d<2, 3, 3, 2, 1, 1, Bias, f64>;
    let x = random_input::<Tensor<2, 2, 4, 4, f64>>(101);
    let mut y = Box::new(Tensor::<2, 3, 8, 8, f64>::zeros());
    net::<L>(100).forward(&x, &mut y, &mut ());
    check_layer(&*net::<L>(100), &*x, 102, 1e-6);
}

#[test]
fn transposed_plain_and_large_kernel() {
    // stride 1, no padding: 5×4 → 7×6
    type A = ConvTranspose2d<3, 2, 3, 1, 0, 0, Bias, f64>;
    check_layer(
        &*net::<A>(103),
        &*random_input::<Tensor<1, 3, 5, 4, f64>>(104),
        105,
        1e-6,
    );
    // kernel 4, stride 2, padding 1 (the classic 2× upsampler): 3×5 → 6×10
    type B = ConvTranspose2d<2, 2, 4, 2, 1, 0, NoBias, f64>;
    check_layer(
        &*net::<B>(106),
        &*random_input::<Tensor<2, 2, 3, 5, f64>>(107),
        108,
        1e-6,
    );
}

#[test]
fn transposed_dilated_with_output_padding() {
    // (3−1)·3 − 2·2 + 2·(3−1) + 2 + 1 = 9; output padding 2 < stride 3.
    type L = DilatedConvTranspose2d<2, 2, 3, 3, 2, 2, 2, Bias, f64>;
    let x = random_input::<Tensor<2, 2, 3, 3, f64>>(110);
    let mut y = Box::new(Tensor::<2, 2, 9, 9, f64>::zeros());
    net::<L>(109).forward(&x, &mut y, &mut ());
    check_layer(&*net::<L>(109), &*x, 111, 1e-6);
}

/// Separate height and width geometry, on inputs with H ≠ W: kernel (2, 3), stride (2, 1),
/// padding (0, 1), output padding (1, 0); and kernel (3, 2), stride (1, 3), padding (1, 0),
/// output padding (0, 2), dilation (2, 1), without bias.
#[test]
fn transposed_rectangular() {
    type A = ConvTranspose2dHw<2, 3, 2, 3, 2, 1, 0, 1, 1, 0, Bias, f64>;
    let x = random_input::<Tensor<2, 2, 4, 5, f64>>(171);
    let mut y = Box::new(Tensor::<2, 3, 9, 5, f64>::zeros()); // 4 × 5 → 9 × 5
    net::<A>(170).forward(&x, &mut y, &mut ());
    check_layer(&*net::<A>(170), &*x, 172, 1e-6);
    // (3−1)·1 − 2 + 2·(3−1) + 0 + 1 = 5; (4−1)·3 − 0 + 1·(2−1) + 2 + 1 = 13
    type B = ConvTranspose2dHw<2, 2, 3, 2, 1, 3, 1, 0, 0, 2, NoBias, f64, 2, 1>;
    let x = random_input::<Tensor<1, 2, 3, 4, f64>>(174);
    let mut y = Box::new(Tensor::<1, 2, 5, 13, f64>::zeros());
    net::<B>(173).forward(&x, &mut y, &mut ());
    check_layer(&*net::<B>(173), &*x, 175, 1e-6);
}

/// The scatter definition of PyTorch's README, written out naively: an oracle independent of the
/// convolution kernels for the dilated case (which no fixture covers).
#[test]
fn transposed_matches_naive_scatter() {
    const N: usize = 2;
    const CI: usize = 2;
    const CO: usize = 3;
    const K: usize = 3;
    const S: usize = 3;
    const P: usize = 2;
    const D: usize = 2;
    type L = ConvTranspose2d<CI, CO, K, S, P, 2, Bias, f64, D>;
    let l = net::<L>(112);
    let x = random_input::<Tensor<N, CI, 3, 4, f64>>(113);
    let mut y = Box::new(Tensor::<N, CO, 9, 12, f64>::zeros());
    l.forward(&x, &mut y, &mut ());
    let mut want = Box::new(Tensor::<N, CO, 9, 12, f64>::zeros());
    for n in 0..N {
        for o in 0..CO {
            for r in want.0[n][o].iter_mut() {
                r.fill(l.bias[o]);
            }
            for c in 0..CI {
                for i in 0..3 {
                    for j in 0..4 {
                        for u in 0..K {
                            for v in 0..K {
                                let (oi, oj) = (
                                    (i * S + u * D) as isize - P as isize,
                                    (j * S + v * D) as isize - P as isize,
                                );
                                if (0..9).contains(&oi) && (0..12).contains(&oj) {
                                    want.0[n][o][oi as usize][oj as usize] +=
                                        x.0[n][c][i][j] * l.weight[c][o][u][v];
                                }
                            }
                        }
                    }
                }
            }
        }
    }
    assert_all_close("y", want.as_slice(), y.as_slice());
}

#[test]
fn grouped_conv() {
    // 2 groups of 2 → 3 channels, stride 2, padding 1.
    type L = GroupedConv2d<2, 2, 3, 3, 2, 1, Bias, f64>;
    let x = random_input::<Tensor<2, 4, 7, 6, f64>>(121);
    let mut y = Box::new(Tensor::<2, 6, 4, 3, f64>::zeros());
    net::<L>(120).forward(&x, &mut y, &mut ());
    check_layer(&*net::<L>(120), &*x, 122, 1e-6);
    // 3 groups, dilation 2, no bias.
    type M = GroupedConv2d<3, 1, 2, 3, 1, 2, NoBias, f64, 2>;
    check_layer(
        &*net::<M>(123),
        &*random_input::<Tensor<1, 3, 6, 6, f64>>(124),
        125,
        1e-6,
    );
}

/// Separate height and width geometry, on inputs with H ≠ W: 2 groups of 2 → 3 channels with a
/// 1 × 3 kernel of stride (1, 2), padding (0, 1); 2 groups of 1 → 2 channels with a 3 × 2 kernel,
/// stride (2, 1), padding (1, 0), dilation (1, 2), without bias.
#[test]
fn grouped_rectangular() {
    type A = GroupedConv2dHw<2, 2, 3, 1, 3, 1, 2, 0, 1, Bias, f64>;
    let x = random_input::<Tensor<2, 4, 5, 8, f64>>(181);
    let mut y = Box::new(Tensor::<2, 6, 5, 4, f64>::zeros()); // 5 × 8 → 5 × 4
    net::<A>(180).forward(&x, &mut y, &mut ());
    check_layer(&*net::<A>(180), &*x, 182, 1e-6);
    type B = GroupedConv2dHw<2, 1, 2, 3, 2, 2, 1, 1, 0, NoBias, f64, 1, 2>;
    let x = random_input::<Tensor<1, 2, 7, 6, f64>>(184);
    let mut y = Box::new(Tensor::<1, 4, 4, 4, f64>::zeros()); // 7 × 6 → 4 × 4
    net::<B>(183).forward(&x, &mut y, &mut ());
    check_layer(&*net::<B>(183), &*x, 185, 1e-6);
}

/// Separate height and width geometry, on inputs with H ≠ W: a 3 × 1 kernel of stride (1, 2),
/// padding (1, 0); a 1 × 5 kernel of stride (2, 1), padding (0, 2), without bias; a 3 × 3
/// kernel with dilation (2, 1), padding (2, 1).
#[test]
fn depthwise_rectangular() {
    type A = DepthwiseConv2dHw<3, 3, 1, 1, 2, 1, 0, Bias, f64>;
    let x = random_input::<Tensor<2, 3, 6, 9, f64>>(191);
    let mut y = Box::new(Tensor::<2, 3, 6, 5, f64>::zeros()); // 6 × 9 → 6 × 5
    net::<A>(190).forward(&x, &mut y, &mut ());
    check_layer(&*net::<A>(190), &*x, 192, 1e-6);
    type B = DepthwiseConv2dHw<2, 1, 5, 2, 1, 0, 2, NoBias, f64>;
    let x = random_input::<Tensor<2, 2, 7, 8, f64>>(194);
    let mut y = Box::new(Tensor::<2, 2, 4, 8, f64>::zeros()); // 7 × 8 → 4 × 8
    net::<B>(193).forward(&x, &mut y, &mut ());
    check_layer(&*net::<B>(193), &*x, 195, 1e-6);
    type C = DepthwiseConv2dHw<2, 3, 3, 1, 1, 2, 1, Bias, f64, 2, 1>;
    let x = random_input::<Tensor<1, 2, 5, 7, f64>>(197);
    let mut y = Box::new(Tensor::<1, 2, 5, 7, f64>::zeros()); // same size
    net::<C>(196).forward(&x, &mut y, &mut ());
    check_layer(&*net::<C>(196), &*x, 198, 1e-6);
}

#[test]
fn depthwise_stride_padding() {
    type A = DepthwiseConv2d<3, 3, 2, 1, Bias, f64>;
    check_layer(
        &*net::<A>(130),
        &*random_input::<Tensor<2, 3, 9, 8, f64>>(131),
        132,
        1e-6,
    );
    // kernel 5, stride 3, padding 2, non-square input.
    type B = DepthwiseConv2d<2, 5, 3, 2, NoBias, f64>;
    check_layer(
        &*net::<B>(133),
        &*random_input::<Tensor<2, 2, 10, 11, f64>>(134),
        135,
        1e-6,
    );
    // dilation 2, padding larger than half the kernel (some taps never land).
    type C = DepthwiseConv2d<2, 3, 1, 3, Bias, f64, 2>;
    check_layer(
        &*net::<C>(136),
        &*random_input::<Tensor<1, 2, 4, 5, f64>>(137),
        138,
        1e-6,
    );
}

#[test]
fn depthwise_separable_chain() {
    type L = DepthwiseSeparable<3, 4, 3, 2, 1, Bias, f64>;
    check_layer(
        &*net::<L>(140),
        &*random_input::<Tensor<2, 3, 7, 7, f64>>(141),
        142,
        1e-6,
    );
}

#[test]
fn global_avg_pool() {
    check_layer(
        &GlobalAvgPool2d,
        &*random_input::<Tensor<2, 3, 5, 4, f64>>(150),
        151,
        1e-6,
    );
    check_layer(
        &AdaptiveAvgPool2d1x1::default(),
        &*random_input::<Tensor<1, 2, 1, 1, f64>>(152),
        153,
        1e-6,
    );
}

#[test]
fn dropout_backward_uses_its_recorded_mask() {
    // `check_layer` clones the layer for every perturbed forward pass, so each pass draws the
    // same mask from the same generator state: the finite differences see a fixed mask.
    let layer = Dropout::<3000>::new(7);
    check_layer(
        &layer,
        &*random_input::<Tensor<2, 3, 4, 4, f64>>(160),
        161,
        1e-6,
    );
    // And the mask is not trivial: some elements dropped, some kept.
    let mut l = layer;
    let x = random_input::<Tensor<2, 3, 4, 4, f64>>(160);
    let mut y = Tensor::<2, 3, 4, 4, f64>::zeros();
    let mut mask = Tensor::<2, 3, 4, 4, u8>::zeros();
    l.forward_train(&x, &mut y, &mut mask);
    let kept = mask.as_slice().iter().filter(|&&m| m == 1).count();
    assert!(kept > 0 && kept < 96, "kept {kept} of 96");
}

// ---------------------------------------------------------------------------------------------
// Depthwise kernel vs the general grouped convolution
// ---------------------------------------------------------------------------------------------

/// Runs `DepthwiseConv2d<C, K, S, P, B, f64, D>` and `GroupedConv2d<C, 1, 1, K, S, P, B, f64, D>`
/// with the same weights, input and output gradient, and compares `y`, `dx`, `dw`, `db`.
macro_rules! depthwise_equals_grouped {
    ($c:literal, $k:literal, $s:literal, $p:literal, $b:ty, $d:literal, [$n:literal, $h:literal, $w:literal] -> [$ho:literal, $wo:literal], $seed:literal) => {{
        type Dw = DepthwiseConv2d<$c, $k, $s, $p, $b, f64, $d>;
        type Gr = GroupedConv2d<$c, 1, 1, $k, $s, $p, $b, f64, $d>;
        type X = Tensor<$n, $c, $h, $w, f64>;
        type Y = Tensor<$n, $c, $ho, $wo, f64>;
        let dw = net::<Dw>($seed);
        let mut gr = Gr::boxed();
        // Same parameters, visited in the same order with the same PyTorch shapes.
        let mut params: Vec<(Vec<usize>, Vec<f64>)> = Vec::new();
        (*dw).clone().for_each_tensor(|info: TensorInfo<'_>, v| {
            params.push((info.shape.to_vec(), v.to_vec()))
        });
        let mut i = 0;
        gr.for_each_tensor(|info, v| {
            assert_eq!(info.shape, &params[i].0[..]);
            v.copy_from_slice(&params[i].1);
            i += 1;
        });
        assert_eq!(i, params.len());

        let x = random_input::<X>($seed + 1);
        let dy = random_input::<Y>($seed + 2);
        let (mut y1, mut y2) = (Y::boxed(), Y::boxed());
        dw.forward(&x, &mut y1, &mut ());
        gr.forward(&x, &mut y2, &mut ());
        assert_all_close("y", y1.as_slice(), y2.as_slice());

        let (mut dx1, mut dx2) = (x.clone(), x.clone());
        let (mut g1, mut g2) = (Dw::boxed(), Gr::boxed());
        dw.backward(Input::Grad(&mut dx1), &mut (), &dy, &mut g1);
        gr.backward(Input::Grad(&mut dx2), &mut (), &dy, &mut g2);
        assert_all_close("dx", dx1.as_slice(), dx2.as_slice());
        let mut grads1: Vec<Vec<f64>> = Vec::new();
        g1.for_each_tensor(|_, v| grads1.push(v.to_vec()));
        let mut k = 0;
        g2.for_each_tensor(|info, v| {
            assert_all_close(&info.path.to_string(), &grads1[k], v);
            k += 1;
        });
        assert_eq!(k, grads1.len());
    }};
}

fn assert_all_close(what: &str, a: &[f64], b: &[f64]) {
    assert_eq!(a.len(), b.len(), "{what}: length");
    assert!(a.iter().any(|&v| v != 0.0), "{what}: all zero");
    for (i, (&p, &q)) in a.iter().zip(b).enumerate() {
        assert!(
            (p - q).abs() <= 1e-12 * p.abs().max(q.abs()).max(1.0),
            "{what}[{i}]: {p} vs {q}"
        );
    }
}

#[test]
fn depthwise_agrees_with_grouped_conv() {
    depthwise_equals_grouped!(4, 3, 1, 1, Bias, 1, [2, 6, 6] -> [6, 6], 200);
    depthwise_equals_grouped!(3, 3, 2, 1, Bias, 1, [2, 9, 8] -> [5, 4], 210);
    depthwise_equals_grouped!(2, 5, 3, 2, NoBias, 1, [1, 10, 11] -> [4, 4], 220);
    depthwise_equals_grouped!(3, 3, 2, 3, Bias, 2, [1, 7, 5] -> [5, 4], 230);
    depthwise_equals_grouped!(5, 1, 1, 0, Bias, 1, [2, 3, 4] -> [3, 4], 240);
    depthwise_equals_grouped!(2, 2, 2, 0, NoBias, 1, [3, 7, 7] -> [3, 3], 250);
}

// ---------------------------------------------------------------------------------------------
// PyTorch fixtures
// ---------------------------------------------------------------------------------------------

/// Loads a fixture case into `L` (parameters matched by name and PyTorch shape), runs forward
/// and backward in f32, and compares `y`, `dx` and every parameter gradient. Returns the names
/// of the gradients compared.
fn run_fixture<L, X>(fx: &Fixture, x_shape: [usize; 4], y_shape: [usize; 4])
where
    L: Layer<X, Training: Trainable> + Zeroable,
    X: Batch<Elem = f32> + Clone,
    L::Output: Batch<Elem = f32>,
{
    assert_eq!(fx.input("x").shape, x_shape, "{}: input shape", fx.name);
    assert_eq!(fx.output("y").shape, y_shape, "{}: output shape", fx.name);
    let mut layer = L::boxed();
    let mut loaded = Vec::new();
    layer.for_each_tensor(|info, v| {
        let name = info.path.leaf().expect("a named tensor");
        let t = fx.input(name);
        assert_eq!(info.shape, &t.shape[..], "{}: shape of {name}", fx.name);
        v.copy_from_slice(&t.data);
        loaded.push(name);
    });
    let mut x = X::boxed();
    x.flat_mut().copy_from_slice(&fx.input("x").data);
    let mut y = L::Output::boxed();
    let mut trace = L::Trace::boxed();
    layer.forward_train(&x, &mut y, &mut trace);
    fx.assert_close("y", y.flat(), &fx.output("y"));

    let mut dy = L::Output::boxed();
    dy.flat_mut().copy_from_slice(&fx.grad_output().data);
    let mut dx = Box::new((*x).clone());
    let mut grads = L::boxed();
    layer.backward(Input::Grad(&mut dx), &mut trace, &dy, &mut grads);
    fx.assert_close("dx", dx.flat(), &fx.grad("dx"));
    let mut checked = vec!["dx".to_string()];
    grads.for_each_tensor(|info, v| {
        let key = format!("d{}", info.path.leaf().unwrap());
        fx.assert_close(&key, v, &fx.grad(&key));
        checked.push(key);
    });
    // Every gradient the fixture has was compared, and every input was used.
    let mut want: Vec<String> = fx.json["grads"]
        .as_object()
        .unwrap()
        .keys()
        .cloned()
        .collect();
    want.sort();
    checked.sort();
    assert_eq!(checked, want, "{}: gradients", fx.name);
    assert_eq!(
        loaded.len() + 1,
        fx.json["inputs"].as_object().unwrap().len(),
        "{}: inputs",
        fx.name
    );
}

/// Asserts the fixture's hyper-parameters are the ones the test's layer type encodes.
fn assert_params(fx: &Fixture, expected: serde_json::Value) {
    for (k, v) in expected.as_object().unwrap() {
        assert_eq!(fx.param(k), v, "{}: params.{k}", fx.name);
    }
}

macro_rules! transposed_fixture {
    ($name:literal, $ci:literal, $co:literal, $k:literal, $s:literal, $p:literal, $op:literal,
     [$n:literal, $h:literal, $w:literal] -> [$ho:literal, $wo:literal]) => {{
        let fx = fixture::load($name);
        assert_params(
            &fx,
            json!({"in_channels": $ci, "out_channels": $co, "kernel": [$k, $k],
                   "stride": [$s, $s], "padding": [$p, $p], "output_padding": [$op, $op],
                   "dilation": [1, 1], "groups": 1, "bias": true}),
        );
        type L = ConvTranspose2d<$ci, $co, $k, $s, $p, $op>;
        type X = Tensor<$n, $ci, $h, $w>;
        let y_shape = <Out<L, X>>::SHAPE;
        assert_eq!(y_shape, [$n, $co, $ho, $wo]);
        run_fixture::<L, X>(&fx, X::SHAPE, y_shape);
        $name
    }};
}

#[test]
fn fixtures_conv_transpose2d() {
    let done = [
        transposed_fixture!("conv_transpose2d_c3o2_k4s2p1_5x5", 3, 2, 4, 2, 1, 0, [2, 5, 5] -> [10, 10]),
        transposed_fixture!("conv_transpose2d_c2o3_k3s2p0_4x4", 2, 3, 3, 2, 0, 0, [2, 4, 4] -> [9, 9]),
        transposed_fixture!("conv_transpose2d_c2o2_k2s2p0_3x3", 2, 2, 2, 2, 0, 0, [2, 3, 3] -> [6, 6]),
        transposed_fixture!("conv_transpose2d_c2o3_k3s2p1op1_4x4", 2, 3, 3, 2, 1, 1, [2, 4, 4] -> [8, 8]),
    ];
    // Every conv_transpose2d case of the fixture set (optional ones included) is covered, here
    // or, with separate height and width geometry, in `fixtures_layers.rs`.
    let rectangular = ["conv_transpose2d_c2o3_k2x3s2x1p0x1op1x0_4x5"];
    let mut all = fixture::cases_of("conv_transpose2d");
    all.sort();
    let mut done: Vec<String> = done
        .iter()
        .chain(&rectangular)
        .map(|s| s.to_string())
        .collect();
    done.sort();
    assert_eq!(done, all);
}

#[test]
fn fixture_depthwise_through_depthwise_and_grouped() {
    let fx = fixture::load("conv2d_depthwise_c4_k3s1p1_6x6");
    assert_params(
        &fx,
        json!({"in_channels": 4, "out_channels": 4, "kernel": [3, 3], "stride": [1, 1],
               "padding": [1, 1], "dilation": [1, 1], "groups": 4, "bias": true}),
    );
    type X = Tensor<2, 4, 6, 6>;
    run_fixture::<DepthwiseConv2d<4, 3, 1, 1>, X>(&fx, X::SHAPE, [2, 4, 6, 6]);
    run_fixture::<GroupedConv2d<4, 1, 1, 3, 1, 1>, X>(&fx, X::SHAPE, [2, 4, 6, 6]);
}

#[test]
fn fixture_global_avg_pool2d() {
    let fx = fixture::load("global_avg_pool2d_c3_5x5");
    assert_eq!(
        fixture::cases_of("global_avg_pool2d"),
        ["global_avg_pool2d_c3_5x5"]
    );
    type X = Tensor<2, 3, 5, 5>;
    run_fixture::<GlobalAvgPool2d, X>(&fx, X::SHAPE, <Out<GlobalAvgPool2d, X>>::SHAPE);
}

// ---------------------------------------------------------------------------------------------
// Dropout statistics and determinism
// ---------------------------------------------------------------------------------------------

type Big = Tensor<4, 8, 16, 16>; // 8192 values

fn ones() -> Box<Big> {
    let mut x = Big::boxed();
    x.as_mut_slice().fill(1.0);
    x
}

fn train_mask<const P: u32>(
    layer: &mut Dropout<P>,
    x: &Big,
) -> (Box<Big>, Box<Tensor<4, 8, 16, 16, u8>>) {
    let mut y = Big::boxed();
    let mut mask = <TraceOf<Dropout<P>, Big>>::boxed();
    layer.forward_train(x, &mut y, &mut mask);
    (y, mask)
}

#[test]
fn dropout_drops_a_fraction_p_and_rescales() {
    let x = ones();
    for seed in [0u64, 1, 12345, u64::MAX] {
        let mut layer = Dropout::<3000>::new(seed);
        let (y, mask) = train_mask(&mut layer, &x);
        let n = Big::LEN as f64;
        let dropped = mask.as_slice().iter().filter(|&&m| m == 0).count() as f64;
        // σ = √(p(1−p)/n) ≈ 0.005; allow 5σ.
        let frac = dropped / n;
        assert!(
            (frac - 0.3).abs() < 0.025,
            "seed {seed}: dropped fraction {frac}"
        );
        let scale = (1.0f64 / 0.7) as f32;
        for (i, (&v, &m)) in y.as_slice().iter().zip(mask.as_slice()).enumerate() {
            match m {
                0 => assert_eq!(v, 0.0, "element {i}"),
                1 => assert_eq!(v, scale, "element {i}"),
                _ => panic!("mask value {m}"),
            }
        }
        // Inverted dropout keeps the mean: E[y] = x.
        let mean = y.as_slice().iter().map(|&v| v as f64).sum::<f64>() / n;
        assert!((mean - 1.0).abs() < 0.04, "seed {seed}: mean {mean}");
    }
    // Other probabilities.
    let (_, mask) = train_mask(&mut Dropout::<500>::new(3), &x);
    let frac = mask.as_slice().iter().filter(|&&m| m == 0).count() as f64 / Big::LEN as f64;
    assert!((frac - 0.05).abs() < 0.012, "p = 0.05: dropped {frac}");
    let (_, mask) = train_mask(&mut <Dropout>::new(3), &x); // default p = 0.5
    let frac = mask.as_slice().iter().filter(|&&m| m == 0).count() as f64 / Big::LEN as f64;
    assert!((frac - 0.5).abs() < 0.03, "p = 0.5: dropped {frac}");
}

#[test]
fn dropout_edge_probabilities() {
    let mut x = Big::boxed();
    x.fill_with(|i| i as f32 * 0.25 - 7.0);
    let (y, _) = train_mask(&mut Dropout::<0>::new(9), &x);
    assert_eq!(y.as_slice(), x.as_slice());
    let (y, mask) = train_mask(&mut Dropout::<10_000>::new(9), &x);
    assert!(y.as_slice().iter().all(|&v| v == 0.0));
    assert!(mask.as_slice().iter().all(|&m| m == 0));
    assert_eq!(Dropout::<2500>::P, 0.25);
}

#[test]
fn dropout_eval_is_identity() {
    let mut x = Big::boxed();
    x.fill_with(|i| (i % 13) as f32 - 6.0);
    let layer = Dropout::<5000>::new(1);
    let mut y = Big::boxed();
    let mut mask = <TraceOf<Dropout, Big>>::boxed();
    layer.forward(&x, &mut y, &mut mask);
    assert_eq!(y.as_slice(), x.as_slice());
    assert_eq!(layer.state, 1, "eval does not advance the generator");
}

#[test]
fn dropout_is_seeded_and_deterministic() {
    let x = ones();
    let (mut a, mut b, mut c) = (
        Dropout::<5000>::new(77),
        Dropout::<5000>::new(77),
        Dropout::<5000>::new(78),
    );
    let (ya, mut ma) = train_mask(&mut a, &x);
    let (yb, mb) = train_mask(&mut b, &x);
    let (_, mc) = train_mask(&mut c, &x);
    assert_eq!(ma.as_slice(), mb.as_slice(), "same seed, same mask");
    assert_eq!(ya.as_slice(), yb.as_slice());
    assert_ne!(ma.as_slice(), mc.as_slice(), "another seed, another mask");
    // The state advances: the next mask differs from the first, and is reproducible.
    assert_eq!(a, b);
    let (_, ma2) = train_mask(&mut a, &x);
    assert_ne!(ma.as_slice(), ma2.as_slice());
    let (_, mb2) = train_mask(&mut b, &x);
    assert_eq!(ma2.as_slice(), mb2.as_slice());
    // `set_seed` restarts the sequence; a zeroed layer is seed 0.
    a.set_seed(77);
    let (_, ma3) = train_mask(&mut a, &x);
    assert_eq!(ma.as_slice(), ma3.as_slice());
    let mut z = Dropout::<5000>::zeroed();
    let (_, mz) = train_mask(&mut z, &x);
    let (_, m0) = train_mask(&mut Dropout::<5000>::new(0), &x);
    assert_eq!(mz.as_slice(), m0.as_slice());
    // Backward applies exactly the recorded mask and scale.
    let mut dy = Big::boxed();
    dy.fill_with(|i| (i % 7) as f32 - 3.0);
    let mut dx = Big::boxed();
    Dropout::<5000>::new(0).backward(Input::Grad(&mut dx), &mut *ma, &dy, &mut Dropout::zeroed());
    for ((&g, &d), &m) in dx.as_slice().iter().zip(dy.as_slice()).zip(ma.as_slice()) {
        assert_eq!(g, if m == 1 { d * 2.0 } else { 0.0 });
    }
}

// ---------------------------------------------------------------------------------------------
// No allocation
// ---------------------------------------------------------------------------------------------

fn assert_no_alloc<L: Layer<X, Training: Trainable> + Zeroable, X: Batch>(name: &str) {
    let mut layer = L::boxed();
    let x = X::boxed();
    let mut dx = X::boxed();
    let mut y = L::Output::boxed();
    let dy = L::Output::boxed();
    let mut trace = L::Trace::boxed();
    let mut grads = L::boxed();
    let (n, ()) = common::alloc::count(|| {
        layer.forward(&x, &mut y, &mut trace);
        layer.forward_train(&x, &mut y, &mut trace);
        layer.backward(Input::Grad(&mut dx), &mut trace, &dy, &mut grads);
    });
    assert_eq!(n, 0, "{name} allocated");
}

#[test]
fn forward_and_backward_do_not_allocate() {
    assert_no_alloc::<ConvTranspose2d<4, 3, 3, 2, 1, 1>, Tensor<2, 4, 8, 8>>("ConvTranspose2d");
    assert_no_alloc::<GroupedConv2d<2, 2, 3, 3, 1, 1>, Tensor<2, 4, 8, 8>>("GroupedConv2d");
    assert_no_alloc::<DepthwiseConv2d<4, 3, 2, 1>, Tensor<2, 4, 8, 8>>("DepthwiseConv2d");
    assert_no_alloc::<DepthwiseSeparable<4, 6, 3, 1, 1>, Tensor<2, 4, 8, 8>>("DepthwiseSeparable");
    assert_no_alloc::<GlobalAvgPool2d, Tensor<2, 4, 8, 8>>("GlobalAvgPool2d");
    assert_no_alloc::<Dropout, Tensor<2, 4, 8, 8>>("Dropout");
}
