//! DenseNet (Huang et al., 2017): torchvision's `densenet121`, with its weight names
//! (`features.denseblock2.denselayer7.conv1.weight`, `features.transition1.norm.running_var`,
//! `classifier.bias`).
//!
//! A dense layer is `concat(x, F(x))` — [`Concat`]`<(Identity, F)>` — so the channel count of
//! every layer in a block is computed by the types: `DenseLayer<C>` maps `C` channels to
//! `C + 32`.

use crate::compose::Concat;
use crate::compose::named::{Inline, Named};
use crate::layers::{
    AvgPool2d, BatchNorm2d, Conv2d, GlobalAvgPool2d, Identity, Linear, MaxPool2d, NoBias, Relu,
};
use crate::models::alexnet::{Classifier, Features};
use crate::name;

name!(
    Conv0 = "conv0",
    Norm0 = "norm0",
    Relu0 = "relu0",
    Pool0 = "pool0",
    Norm1 = "norm1",
    Relu1 = "relu1",
    Conv1 = "conv1",
    Norm2 = "norm2",
    Relu2 = "relu2",
    Conv2 = "conv2",
    Norm = "norm",
    ReluT = "relu",
    Conv = "conv",
    Pool = "pool",
    Norm5 = "norm5",
    DenseBlock1 = "denseblock1",
    DenseBlock2 = "denseblock2",
    DenseBlock3 = "denseblock3",
    DenseBlock4 = "denseblock4",
    Transition1 = "transition1",
    Transition2 = "transition2",
    Transition3 = "transition3",
);
name!(
    L1 = "denselayer1",
    L2 = "denselayer2",
    L3 = "denselayer3",
    L4 = "denselayer4",
    L5 = "denselayer5",
    L6 = "denselayer6",
    L7 = "denselayer7",
    L8 = "denselayer8",
    L9 = "denselayer9",
    L10 = "denselayer10",
    L11 = "denselayer11",
    L12 = "denselayer12",
    L13 = "denselayer13",
    L14 = "denselayer14",
    L15 = "denselayer15",
    L16 = "denselayer16",
    L17 = "denselayer17",
    L18 = "denselayer18",
    L19 = "denselayer19",
    L20 = "denselayer20",
    L21 = "denselayer21",
    L22 = "denselayer22",
    L23 = "denselayer23",
    L24 = "denselayer24",
);

/// Growth rate of DenseNet-121.
pub const GROWTH: usize = 32;

/// The bottleneck of a dense layer on `C` channels: BN, ReLU, 1×1 conv to 4·32 = 128, BN, ReLU,
/// 3×3 conv to 32.
pub type DenseBranch<const C: usize> = (
    Named<Norm1, BatchNorm2d<C>>,
    Named<Relu1, Relu>,
    Named<Conv1, Conv2d<C, 128, 1, 1, 0, NoBias>>,
    Named<Norm2, BatchNorm2d<128>>,
    Named<Relu2, Relu>,
    Named<Conv2, Conv2d<128, 32, 3, 1, 1, NoBias>>,
);

/// A dense layer: `concat(x, F(x))`, `C` → `C + 32` channels.
pub type DenseLayer<const C: usize> = Concat<(Identity, Inline<DenseBranch<C>>)>;

/// A transition: BN, ReLU, 1×1 conv `C → CO`, 2×2 average pooling.
pub type Transition<const C: usize, const CO: usize> = (
    Named<Norm, BatchNorm2d<C>>,
    Named<ReluT, Relu>,
    Named<Conv, Conv2d<C, CO, 1, 1, 0, NoBias>>,
    Named<Pool, AvgPool2d<2>>,
);

/// torchvision `densenet121`: 7 978 856 parameters. Input `Tensor<N, 3, 224, 224>`, output
/// `Tensor<N, 1000, 1, 1>`. Blocks of 6, 12, 24 and 16 dense layers (64 → 256, 128 → 512,
/// 256 → 1024, 512 → 1024 channels).
pub type DenseNet121 = (
    Named<
        Features,
        (
            Named<Conv0, Conv2d<3, 64, 7, 2, 3, NoBias>>,
            Named<Norm0, BatchNorm2d<64>>,
            Named<Relu0, Relu>,
            Named<Pool0, MaxPool2d<3, 2, 1>>,
            Named<DenseBlock1, DenseBlock1Layers>,
            Named<Transition1, Transition<256, 128>>,
            Named<DenseBlock2, DenseBlock2Layers>,
            Named<Transition2, Transition<512, 256>>,
            Named<DenseBlock3, DenseBlock3Layers>,
            Named<Transition3, Transition<1024, 512>>,
            Named<DenseBlock4, DenseBlock4Layers>,
            Named<Norm5, BatchNorm2d<1024>>,
        ),
    >,
    Relu,
    GlobalAvgPool2d,
    Named<Classifier, Linear<1024, 1000>>,
);

/// Dense block 1 of DenseNet-121: 6 layers, 64 → 256 channels.
pub type DenseBlock1Layers = (
    Named<L1, DenseLayer<64>>,
    Named<L2, DenseLayer<96>>,
    Named<L3, DenseLayer<128>>,
    Named<L4, DenseLayer<160>>,
    Named<L5, DenseLayer<192>>,
    Named<L6, DenseLayer<224>>,
);
/// Dense block 2: 12 layers, 128 → 512 channels.
pub type DenseBlock2Layers = (
    Named<L1, DenseLayer<128>>,
    Named<L2, DenseLayer<160>>,
    Named<L3, DenseLayer<192>>,
    Named<L4, DenseLayer<224>>,
    Named<L5, DenseLayer<256>>,
    Named<L6, DenseLayer<288>>,
    Named<L7, DenseLayer<320>>,
    Named<L8, DenseLayer<352>>,
    Named<L9, DenseLayer<384>>,
    Named<L10, DenseLayer<416>>,
    Named<L11, DenseLayer<448>>,
    Named<L12, DenseLayer<480>>,
);
/// Dense block 3: 24 layers, 256 → 1024 channels.
pub type DenseBlock3Layers = (
    Named<L1, DenseLayer<256>>,
    Named<L2, DenseLayer<288>>,
    Named<L3, DenseLayer<320>>,
    Named<L4, DenseLayer<352>>,
    Named<L5, DenseLayer<384>>,
    Named<L6, DenseLayer<416>>,
    Named<L7, DenseLayer<448>>,
    Named<L8, DenseLayer<480>>,
    Named<L9, DenseLayer<512>>,
    Named<L10, DenseLayer<544>>,
    Named<L11, DenseLayer<576>>,
    Named<L12, DenseLayer<608>>,
    Named<L13, DenseLayer<640>>,
    Named<L14, DenseLayer<672>>,
    Named<L15, DenseLayer<704>>,
    Named<L16, DenseLayer<736>>,
    Named<L17, DenseLayer<768>>,
    Named<L18, DenseLayer<800>>,
    Named<L19, DenseLayer<832>>,
    Named<L20, DenseLayer<864>>,
    Named<L21, DenseLayer<896>>,
    Named<L22, DenseLayer<928>>,
    Named<L23, DenseLayer<960>>,
    Named<L24, DenseLayer<992>>,
);
/// Dense block 4: 16 layers, 512 → 1024 channels.
pub type DenseBlock4Layers = (
    Named<L1, DenseLayer<512>>,
    Named<L2, DenseLayer<544>>,
    Named<L3, DenseLayer<576>>,
    Named<L4, DenseLayer<608>>,
    Named<L5, DenseLayer<640>>,
    Named<L6, DenseLayer<672>>,
    Named<L7, DenseLayer<704>>,
    Named<L8, DenseLayer<736>>,
    Named<L9, DenseLayer<768>>,
    Named<L10, DenseLayer<800>>,
    Named<L11, DenseLayer<832>>,
    Named<L12, DenseLayer<864>>,
    Named<L13, DenseLayer<896>>,
    Named<L14, DenseLayer<928>>,
    Named<L15, DenseLayer<960>>,
    Named<L16, DenseLayer<992>>,
);
