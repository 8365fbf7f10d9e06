//! The networks of `constnet::models` are valid types (every shape checks), have torchvision's
//! parameter counts and weight names, and run (`cargo test --test zoo`).
//!
//! A binary of its own, apart from `tests/it`: the zoo's deep types are a third of the tests'
//! monomorphized code, and two test crates compile side by side on two cores.
use constnet::models::*;
use constnet::prelude::*;

/// Compiles only if `L` maps `X` to `Y`; returns the parameter count and all tensor names.
fn inspect<L, X, Y>() -> (usize, Vec<String>)
where
    L: Layer<X, Output = Y> + Zeroable,
    X: Batch<Elem = f32>,
    Y: Batch<Elem = f32>,
{
    let mut net = L::boxed(); // zeroed memory is not touched: cheap even for VGG
    let mut names = Vec::new();
    net.for_each_tensor(|info, _| names.push(info.path.to_string()));
    (net.num_params(), names)
}

type Img224 = Tensor<1, 3, 224, 224>;
type Logits1000 = Tensor<1, 1000, 1, 1>;

#[test]
fn lenets() {
    assert_eq!(
        inspect::<LeNet5, Tensor<2, 1, 28, 28>, Tensor<2, 10, 1, 1>>().0,
        44_426
    );
    let (n, names) = inspect::<LeNet5Classic, Tensor<1, 1, 32, 32>, Tensor<1, 10, 1, 1>>();
    assert_eq!(n, 61_706);
    assert_eq!(names.first().unwrap(), "0.weight");
    assert_eq!(names.last().unwrap(), "11.bias");
}

#[test]
fn cifar_nets() {
    let (n, names) = inspect::<CifarBnNet, Tensor<2, 3, 32, 32>, Tensor<2, 10, 1, 1>>();
    assert_eq!(n, 8 * 27 + 2 * 8 + 16 * 72 + 2 * 16 + 1024 * 10 + 10);
    assert!(names.contains(&"1.running_var".to_string()));
    inspect::<CifarVgg<2>, Tensor<4, 3, 32, 32>, Tensor<4, 2, 1, 1>>();
    let (n, names) = inspect::<ResNet20Cifar, Tensor<1, 3, 32, 32>, Tensor<1, 10, 1, 1>>();
    // conv1+bn1, 9 blocks of two 3×3 convs + 2 BNs, two projection shortcuts, fc.
    let block = |c: usize| 2 * (9 * c * c + 2 * c);
    let down =
        |ci: usize, co: usize| 9 * ci * co + 2 * co + 9 * co * co + 2 * co + ci * co + 2 * co;
    let expected = 3 * 9 * 16
        + 2 * 16
        + 3 * block(16)
        + down(16, 32)
        + 2 * block(32)
        + down(32, 64)
        + 2 * block(64)
        + 64 * 10
        + 10;
    assert_eq!(n, expected);
    assert!(names.contains(&"layer2.0.downsample.0.weight".to_string()));
}

#[test]
fn resnets_match_torchvision() {
    let (n, names) = inspect::<ResNet18, Img224, Logits1000>();
    assert_eq!(n, 11_689_512);
    for key in [
        "conv1.weight",
        "bn1.weight",
        "bn1.running_mean",
        "layer1.0.conv1.weight",
        "layer1.1.bn2.running_var",
        "layer2.0.downsample.0.weight",
        "layer2.0.downsample.1.bias",
        "layer4.1.conv2.weight",
        "fc.weight",
        "fc.bias",
    ] {
        assert!(names.iter().any(|n| n == key), "missing {key}");
    }
    // torchvision's resnet18 state_dict has 102 float tensors (+ 20 num_batches_tracked).
    assert_eq!(names.len(), 102);
    assert_eq!(inspect::<ResNet34, Img224, Logits1000>().0, 21_797_672);
    // torchvision's `resnext50_32x4d`: the 3×3 convolutions in 32 groups.
    let (n, names) = inspect::<ResNeXt50, Img224, Logits1000>();
    assert_eq!(n, 25_028_904);
    assert_eq!(names.len(), 267);
    assert!(names.iter().any(|n| n == "layer3.2.conv2.weight"));
    assert!(
        names
            .iter()
            .any(|n| n == "layer4.0.downsample.1.running_var")
    );
    let (n, names) = inspect::<ResNet50, Img224, Logits1000>();
    assert_eq!(n, 25_557_032);
    assert!(names.iter().any(|n| n == "layer3.5.conv3.weight"));
    assert!(
        names
            .iter()
            .any(|n| n == "layer1.0.downsample.1.running_mean")
    );
}

#[test]
fn densenet121_matches_torchvision() {
    let (n, names) = inspect::<DenseNet121, Img224, Logits1000>();
    assert_eq!(n, 7_978_856);
    for key in [
        "features.conv0.weight",
        "features.norm0.running_var",
        "features.denseblock1.denselayer1.norm1.weight",
        "features.denseblock3.denselayer24.conv2.weight",
        "features.transition2.conv.weight",
        "features.norm5.bias",
        "classifier.weight",
    ] {
        assert!(names.iter().any(|n| n == key), "missing {key}");
    }
}

#[test]
fn googlenet_and_mobilenet() {
    // torchvision's `googlenet(aux_logits=False)`: its count and its state dict's 57 convolution
    // + batch-norm blocks (5 float tensors each: conv weight, bn weight, bias, running mean and
    // variance) and the classifier.
    let (n, names) = inspect::<GoogLeNet, Img224, Logits1000>();
    assert_eq!(n, 6_624_904);
    assert_eq!(names.len(), 57 * 5 + 2);
    for key in [
        "conv1.conv.weight",
        "conv1.bn.running_var",
        "conv3.bn.bias",
        "inception3a.branch1.conv.weight",
        "inception4c.branch2.1.bn.running_mean",
        "inception5b.branch3.1.conv.weight",
        "inception5b.branch4.1.bn.weight",
        "fc.weight",
        "fc.bias",
    ] {
        assert!(names.iter().any(|n| n == key), "missing {key}");
    }
    assert_eq!(inspect::<GoogLeNetPaper, Img224, Logits1000>().0, 6_998_552);
    assert_eq!(inspect::<MobileNetV1, Img224, Logits1000>().0, 4_231_976);
    inspect::<InvertedResidual<24, 144>, Tensor<1, 24, 56, 56>, Tensor<1, 24, 56, 56>>();
    // torchvision's `mobilenet_v2()`: 52 convolution + batch-norm pairs (6 float tensors: conv
    // weight, bn weight, bias, running mean and variance) and the classifier.
    let (n, names) = inspect::<MobileNetV2, Img224, Logits1000>();
    assert_eq!(n, 3_504_872);
    assert_eq!(names.len(), 52 * 5 + 2);
    // torchvision's `mobilenet_v3_large()`: hard-swish, squeeze-and-excitation.
    let (n, names) = inspect::<MobileNetV3Large, Img224, Logits1000>();
    assert_eq!(n, 5_483_032);
    for key in [
        "features.0.0.weight",
        "features.1.block.0.0.weight",
        "features.1.block.1.1.running_var",
        "features.4.block.2.fc1.weight",
        "features.4.block.2.fc2.bias",
        "features.4.block.3.0.weight",
        "features.15.block.3.1.bias",
        "features.16.1.running_mean",
        "classifier.0.weight",
        "classifier.3.bias",
    ] {
        assert!(names.iter().any(|n| n == key), "missing {key}");
    }
    let (n, names) = inspect::<MobileNetV2, Img224, Logits1000>();
    assert_eq!(n, 3_504_872);
    for key in [
        "features.0.0.weight",
        "features.0.1.running_mean",
        "features.1.conv.0.0.weight",
        "features.1.conv.1.weight",
        "features.1.conv.2.bias",
        "features.2.conv.0.0.weight",
        "features.3.conv.1.0.weight",
        "features.3.conv.2.weight",
        "features.3.conv.3.running_var",
        "features.17.conv.3.weight",
        "features.18.0.weight",
        "features.18.1.bias",
        "classifier.1.weight",
        "classifier.1.bias",
    ] {
        assert!(names.iter().any(|n| n == key), "missing {key}");
    }
}

/// torchvision's `inception_v3(aux_logits=False)`: its parameter count, and its state dict's
/// names in its order (without the `num_batches_tracked` counters, which constnet does not keep):
/// 94 convolution + batch-norm blocks of 5 float tensors each, named after torchvision's
/// modules, then the classifier.
#[test]
fn inception_v3_matches_torchvision() {
    let (n, names) = inspect::<InceptionV3, Tensor<1, 3, 299, 299>, Logits1000>();
    assert_eq!(n, 23_834_568);
    // The blocks' convolutions, as torchvision's `InceptionA` … `InceptionE` register them.
    let a = "branch1x1 branch5x5_1 branch5x5_2 branch3x3dbl_1 branch3x3dbl_2 branch3x3dbl_3 \
             branch_pool";
    let b = "branch3x3 branch3x3dbl_1 branch3x3dbl_2 branch3x3dbl_3";
    let c = "branch1x1 branch7x7_1 branch7x7_2 branch7x7_3 branch7x7dbl_1 branch7x7dbl_2 \
             branch7x7dbl_3 branch7x7dbl_4 branch7x7dbl_5 branch_pool";
    let d = "branch3x3_1 branch3x3_2 branch7x7x3_1 branch7x7x3_2 branch7x7x3_3 branch7x7x3_4";
    let e = "branch1x1 branch3x3_1 branch3x3_2a branch3x3_2b branch3x3dbl_1 branch3x3dbl_2 \
             branch3x3dbl_3a branch3x3dbl_3b branch_pool";
    let mut convs: Vec<String> = "Conv2d_1a_3x3 Conv2d_2a_3x3 Conv2d_2b_3x3 Conv2d_3b_1x1 \
                                  Conv2d_4a_3x3"
        .split_whitespace()
        .map(String::from)
        .collect();
    for (block, branches) in [
        ("Mixed_5b", a),
        ("Mixed_5c", a),
        ("Mixed_5d", a),
        ("Mixed_6a", b),
        ("Mixed_6b", c),
        ("Mixed_6c", c),
        ("Mixed_6d", c),
        ("Mixed_6e", c),
        ("Mixed_7a", d),
        ("Mixed_7b", e),
        ("Mixed_7c", e),
    ] {
        convs.extend(branches.split_whitespace().map(|b| format!("{block}.{b}")));
    }
    assert_eq!(convs.len(), 94);
    let mut want: Vec<String> = convs
        .iter()
        .flat_map(|m| {
            [
                "conv.weight",
                "bn.weight",
                "bn.bias",
                "bn.running_mean",
                "bn.running_var",
            ]
            .map(|t| format!("{m}.{t}"))
        })
        .collect();
    want.extend(["fc.weight".to_string(), "fc.bias".to_string()]);
    assert_eq!(names, want);
}

#[cfg(feature = "wide-dims")]
#[test]
fn alexnet_and_vgg_match_torchvision() {
    let (n, names) = inspect::<AlexNet, Img224, Logits1000>();
    assert_eq!(n, 61_100_840);
    assert_eq!(names.last().unwrap(), "classifier.6.bias");
    assert_eq!(inspect::<Vgg11, Img224, Logits1000>().0, 132_863_336);
    let (n, names) = inspect::<Vgg16, Img224, Logits1000>();
    assert_eq!(n, 138_357_544);
    assert!(names.iter().any(|n| n == "features.28.weight"));
    assert!(names.iter().any(|n| n == "classifier.3.weight"));
}

#[test]
fn resnet20_trains_one_step() {
    use constnet::init::seeded;
    type X = Tensor<2, 3, 32, 32>;
    let mut net = seeded::<ResNet20Cifar, f32>(7);
    let mut ws = Workspace::<ResNet20Cifar, X>::boxed();
    let mut opt = Sgd::<ResNet20Cifar>::boxed(SgdConfig::new(0.05).momentum(0.9));
    let mut x = X::boxed();
    x.fill_with(|i| ((i * 7919) % 255) as f32 / 255.0 - 0.5);
    let targets = [3usize, 7];
    let first = ws
        .train_step(&mut net, &x, &SoftmaxCrossEntropy, &targets, &mut *opt)
        .unwrap();
    let mut last = first;
    for _ in 0..5 {
        last = ws
            .train_step(&mut net, &x, &SoftmaxCrossEntropy, &targets, &mut *opt)
            .unwrap();
    }
    assert!(first.is_finite() && last < first, "loss {first} -> {last}");
}

/// `forward` (eval mode, with its trace) and the trace-free `infer` give the same bits for `L`
/// on `X`, with seeded weights and non-trivial batch-norm statistics; the arena (filled with
/// NaN, so a value read before it is written would show) is smaller than the trace. Returns
/// `(arena bytes, trace bytes)`.
fn infer_equals_forward<L, X>(seed: u64) -> (usize, usize)
where
    L: Layer<X> + Zeroable + Module<f32>,
    X: Batch<Elem = f32>,
{
    let mut net = constnet::init::seeded::<L, f32>(seed);
    let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state >> 40) as f32 / (1u64 << 24) as f32 // [0, 1)
    };
    net.for_each_tensor(|info, v| match info.path.leaf() {
        Some("running_mean") => v.iter_mut().for_each(|w| *w = next() - 0.5),
        Some("running_var") => v.iter_mut().for_each(|w| *w = next() + 0.5),
        _ => {}
    });
    let mut x = X::boxed();
    x.flat_mut()
        .iter_mut()
        .for_each(|v| *v = next() * 2.0 - 1.0);
    let mut expected = L::Output::boxed();
    let mut trace = L::Trace::boxed();
    net.forward(&x, &mut expected, &mut trace);
    let mut arena = vec![f32::NAN; arena_len::<L, X>()];
    let mut y = L::Output::boxed();
    net.infer(&x, &mut y, &mut arena).unwrap();
    assert!(expected.flat().iter().all(|v| v.is_finite()));
    assert!(expected.flat().iter().any(|&v| v != 0.0));
    let bits = |v: &[f32]| v.iter().map(|v| v.to_bits()).collect::<Vec<_>>();
    assert_eq!(bits(y.flat()), bits(expected.flat()));
    let sizes = (4 * arena.len(), size_of::<L::Trace>());
    assert!(sizes.0 < sizes.1, "{sizes:?}");
    sizes
}

type Img<const N: usize, const S: usize> = Tensor<N, 3, S, S>;

#[test]
fn inference_equals_forward_over_the_zoo() {
    infer_equals_forward::<LeNet5, Tensor<2, 1, 28, 28>>(1);
    infer_equals_forward::<LeNet5Classic, Tensor<1, 1, 32, 32>>(2);
    infer_equals_forward::<CifarBnNet, Img<2, 32>>(3);
    infer_equals_forward::<CifarVgg<2>, Img<2, 32>>(4);
    infer_equals_forward::<ResNet20Cifar, Img<2, 32>>(5);
    // ImageNet models at 64² (each ends in a global average pool), batch 1 and 2.
    infer_equals_forward::<ResNet18, Img<2, 64>>(6);
    infer_equals_forward::<ResNet50, Img<1, 64>>(8);
    infer_equals_forward::<MobileNetV1, Img<1, 64>>(11);
}

/// The models that take longest to compile (their forward passes and inference together add
/// ≈ 2.5 min of CPU to this crate's build: DenseNet-121 and GoogLeNet, 58 and 9 `Concat`
/// blocks), checked with the feature the AlexNet and VGG checks need anyway:
/// `cargo test --test zoo --features wide-dims`. Their blocks (a dense layer, an Inception
/// module) are checked in every build by `tests/it/inference.rs`.
#[cfg(feature = "wide-dims")]
#[test]
fn inference_equals_forward_over_the_rest_of_the_zoo() {
    infer_equals_forward::<ResNet34, Img<1, 64>>(7);
    infer_equals_forward::<DenseNet121, Img<1, 64>>(9);
    infer_equals_forward::<GoogLeNet, Img<2, 64>>(10);
    infer_equals_forward::<AlexNet, Img224>(12);
    infer_equals_forward::<Vgg11, Img224>(13);
    infer_equals_forward::<Vgg16, Img224>(14);
}

/// torchvision's MobileNetV2 state dict (seeded random initialisation, batch norms with
/// non-trivial statistics; `tests/fixtures/torch-zoo/gen_zoo.py --side 64`) loads unchanged
/// into `MobileNetV2` and gives PyTorch's eval-mode logits on the saved 64 × 64 input. The other
/// zoo models: `examples/zoo_parity.rs` (their files are not committed).
#[test]
fn mobilenet_v2_gives_torchvisions_logits() {
    use safetensors::SafeTensors;
    type X = Tensor<1, 3, 64, 64>;
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/torch-zoo/ci");
    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(format!("{dir}/manifest.json")).unwrap())
            .unwrap();
    assert_eq!(
        manifest["mobilenet_v2"]["input"],
        serde_json::json!([1, 3, 64, 64])
    );

    let mut net = MobileNetV2::boxed();
    assert_eq!(
        Some(net.num_params() as u64),
        manifest["mobilenet_v2"]["params"].as_u64()
    );
    constnet::io::load(&mut *net, format!("{dir}/mobilenet_v2.safetensors")).unwrap();

    let io = std::fs::read(format!("{dir}/mobilenet_v2.io.safetensors")).unwrap();
    let io = SafeTensors::deserialize(&io).unwrap();
    let floats = |key: &str| -> Vec<f32> {
        let t = io.tensor(key).unwrap();
        t.data()
            .chunks_exact(4)
            .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            .collect()
    };
    let mut x = X::boxed();
    x.as_mut_slice().copy_from_slice(&floats("x"));
    let want = floats("logits");
    assert_eq!(want.len(), 1000);

    let mut y = Tensor::<1, 1000, 1, 1>::boxed();
    let mut arena = vec![0.0f32; arena_len::<MobileNetV2, X>()];
    // (the input type named: a method call would make the compiler search every `Layer<_>` of
    // this deep type for one that fits, a minute of type checking)
    <MobileNetV2 as Layer<X>>::infer(&net, &x, &mut y, &mut arena).unwrap();
    let largest = want.iter().fold(0f32, |m, v| m.max(v.abs()));
    assert!(largest > 0.1, "the logits are not trivial: {largest}");
    for (i, (a, b)) in y.as_slice().iter().zip(&want).enumerate() {
        assert!(
            (a - b).abs() <= 1e-5 * largest,
            "logit {i}: {a} against PyTorch's {b} (largest {largest})"
        );
    }
}
