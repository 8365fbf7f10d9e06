//! ResNet (He et al., 2015) as types: torchvision's ResNet-18/34/50 for 224×224 ImageNet images,
//! its ResNeXt-50 32×4d (Xie et al., 2017: the bottleneck's 3×3 convolution in 32 groups), and
//! the CIFAR ResNet-20 of the paper's section 4.2.
//!
//! Weight names are exactly torchvision's (`conv1.weight`, `layer2.0.downsample.1.running_var`,
//! `fc.bias`), so a torchvision `state_dict` saved as safetensors loads with
//! [`crate::io::load`].

use crate::compose::named::{Inline, Named};
use crate::compose::{Residual, ResidualProj};
use crate::layers::{
    BatchNorm2d, Conv2d, GlobalAvgPool2d, GroupedConv2d, Linear, MaxPool2d, NoBias, Relu,
};
use crate::name;

name!(
    Conv1 = "conv1",
    Bn1 = "bn1",
    Conv2 = "conv2",
    Bn2 = "bn2",
    Conv3 = "conv3",
    Bn3 = "bn3",
    Layer1 = "layer1",
    Layer2 = "layer2",
    Layer3 = "layer3",
    Layer4 = "layer4",
    Fc = "fc",
);

/// 3×3 convolution without bias (`conv3x3` in torchvision).
pub type Conv3x3<const CI: usize, const CO: usize, const S: usize> =
    Conv2d<CI, CO, 3, S, 1, NoBias>;
/// 1×1 convolution without bias (`conv1x1` in torchvision).
pub type Conv1x1<const CI: usize, const CO: usize, const S: usize> =
    Conv2d<CI, CO, 1, S, 0, NoBias>;

/// The residual branch of a basic block: conv3×3 (stride `S`), BN, ReLU, conv3×3, BN.
pub type BasicBranch<const CI: usize, const CO: usize, const S: usize> = (
    Named<Conv1, Conv3x3<CI, CO, S>>,
    Named<Bn1, BatchNorm2d<CO>>,
    Relu,
    Named<Conv2, Conv3x3<CO, CO, 1>>,
    Named<Bn2, BatchNorm2d<CO>>,
);

/// A basic block with an identity shortcut, `relu(F(x) + x)`, `C` channels.
pub type BasicBlock<const C: usize> = (Inline<Residual<BasicBranch<C, C, 1>>>, Relu);

/// A basic block that changes channels and/or resolution: projection shortcut
/// (1×1 convolution with stride `S`, then BN), torchvision's `downsample`.
pub type BasicBlockDown<const CI: usize, const CO: usize, const S: usize> = (
    Inline<ResidualProj<BasicBranch<CI, CO, S>, (Conv1x1<CI, CO, S>, BatchNorm2d<CO>)>>,
    Relu,
);

/// The residual branch of a bottleneck block whose middle convolution (`W → W`, torchvision's
/// `conv2`) is `Mid`: 1×1 (`CI → W`), `Mid`, 1×1 (`W → CO`), each followed by BN, ReLU between.
pub type BottleneckBranchOf<const CI: usize, const W: usize, const CO: usize, Mid> = (
    Named<Conv1, Conv1x1<CI, W, 1>>,
    Named<Bn1, BatchNorm2d<W>>,
    Relu,
    Named<Conv2, Mid>,
    Named<Bn2, BatchNorm2d<W>>,
    Relu,
    Named<Conv3, Conv1x1<W, CO, 1>>,
    Named<Bn3, BatchNorm2d<CO>>,
);

/// The residual branch of a bottleneck block: 1×1 (`CI → W`), 3×3 stride `S` (`W → W`),
/// 1×1 (`W → CO`), each followed by BN, ReLU between.
pub type BottleneckBranch<const CI: usize, const W: usize, const CO: usize, const S: usize> =
    BottleneckBranchOf<CI, W, CO, Conv3x3<W, W, S>>;

/// ResNeXt's 3×3 convolution (stride `S`): `G` groups of `WG` channels each (`W = G·WG`).
pub type GroupedConv3x3<const G: usize, const WG: usize, const S: usize> =
    GroupedConv2d<G, WG, WG, 3, S, 1, NoBias>;

/// A bottleneck block with an identity shortcut (`C` channels, width `W`).
pub type Bottleneck<const C: usize, const W: usize> =
    (Inline<Residual<BottleneckBranch<C, W, C, 1>>>, Relu);

/// A bottleneck block with a projection shortcut (torchvision's `downsample`).
pub type BottleneckDown<const CI: usize, const W: usize, const CO: usize, const S: usize> = (
    Inline<ResidualProj<BottleneckBranch<CI, W, CO, S>, (Conv1x1<CI, CO, S>, BatchNorm2d<CO>)>>,
    Relu,
);

/// A ResNeXt bottleneck block with an identity shortcut: `C` channels, width `W = G·WG` in `G`
/// groups (the grouped width must match: `G·WG ≠ W` does not compile).
pub type GroupedBottleneck<const C: usize, const W: usize, const G: usize, const WG: usize> = (
    Inline<Residual<BottleneckBranchOf<C, W, C, GroupedConv3x3<G, WG, 1>>>>,
    Relu,
);

/// A ResNeXt bottleneck block with a projection shortcut (torchvision's `downsample`).
pub type GroupedBottleneckDown<
    const CI: usize,
    const W: usize,
    const G: usize,
    const WG: usize,
    const CO: usize,
    const S: usize,
> = (
    Inline<
        ResidualProj<
            BottleneckBranchOf<CI, W, CO, GroupedConv3x3<G, WG, S>>,
            (Conv1x1<CI, CO, S>, BatchNorm2d<CO>),
        >,
    >,
    Relu,
);

/// The ImageNet stem: conv 7×7 stride 2 (3 → 64), BN, ReLU, max-pool 3×3 stride 2.
pub type Stem = (
    Named<Conv1, Conv2d<3, 64, 7, 2, 3, NoBias>>,
    Named<Bn1, BatchNorm2d<64>>,
    Relu,
    MaxPool2d<3, 2, 1>,
);

/// ResNet-18 (torchvision `resnet18`): 11 689 512 parameters. Input `Tensor<N, 3, 224, 224>`,
/// output `Tensor<N, 1000, 1, 1>`.
pub type ResNet18 = (
    Inline<Stem>,
    Named<Layer1, (BasicBlock<64>, BasicBlock<64>)>,
    Named<Layer2, (BasicBlockDown<64, 128, 2>, BasicBlock<128>)>,
    Named<Layer3, (BasicBlockDown<128, 256, 2>, BasicBlock<256>)>,
    Named<Layer4, (BasicBlockDown<256, 512, 2>, BasicBlock<512>)>,
    GlobalAvgPool2d,
    Named<Fc, Linear<512, 1000>>,
);

/// ResNet-34 (torchvision `resnet34`): 21 797 672 parameters.
pub type ResNet34 = (
    Inline<Stem>,
    Named<Layer1, (BasicBlock<64>, BasicBlock<64>, BasicBlock<64>)>,
    Named<
        Layer2,
        (
            BasicBlockDown<64, 128, 2>,
            BasicBlock<128>,
            BasicBlock<128>,
            BasicBlock<128>,
        ),
    >,
    Named<
        Layer3,
        (
            BasicBlockDown<128, 256, 2>,
            BasicBlock<256>,
            BasicBlock<256>,
            BasicBlock<256>,
            BasicBlock<256>,
            BasicBlock<256>,
        ),
    >,
    Named<
        Layer4,
        (
            BasicBlockDown<256, 512, 2>,
            BasicBlock<512>,
            BasicBlock<512>,
        ),
    >,
    GlobalAvgPool2d,
    Named<Fc, Linear<512, 1000>>,
);

/// ResNet-50 (torchvision `resnet50`, stride on the 3×3 convolution, "v1.5"):
/// 25 557 032 parameters.
pub type ResNet50 = (
    Inline<Stem>,
    Named<
        Layer1,
        (
            BottleneckDown<64, 64, 256, 1>,
            Bottleneck<256, 64>,
            Bottleneck<256, 64>,
        ),
    >,
    Named<
        Layer2,
        (
            BottleneckDown<256, 128, 512, 2>,
            Bottleneck<512, 128>,
            Bottleneck<512, 128>,
            Bottleneck<512, 128>,
        ),
    >,
    Named<
        Layer3,
        (
            BottleneckDown<512, 256, 1024, 2>,
            Bottleneck<1024, 256>,
            Bottleneck<1024, 256>,
            Bottleneck<1024, 256>,
            Bottleneck<1024, 256>,
            Bottleneck<1024, 256>,
        ),
    >,
    Named<
        Layer4,
        (
            BottleneckDown<1024, 512, 2048, 2>,
            Bottleneck<2048, 512>,
            Bottleneck<2048, 512>,
        ),
    >,
    GlobalAvgPool2d,
    Named<Fc, Linear<2048, 1000>>,
);

/// ResNeXt-50 32×4d (torchvision `resnext50_32x4d`): ResNet-50 with each bottleneck's 3×3
/// convolution in 32 groups, widths 128, 256, 512, 1024: 25 028 904 parameters, torchvision's
/// names (`layer3.2.conv2.weight` of shape `[512, 16, 3, 3]`). Input `Tensor<N, 3, 224, 224>`,
/// output `Tensor<N, 1000, 1, 1>`.
pub type ResNeXt50 = (
    Inline<Stem>,
    Named<
        Layer1,
        (
            GroupedBottleneckDown<64, 128, 32, 4, 256, 1>,
            GroupedBottleneck<256, 128, 32, 4>,
            GroupedBottleneck<256, 128, 32, 4>,
        ),
    >,
    Named<
        Layer2,
        (
            GroupedBottleneckDown<256, 256, 32, 8, 512, 2>,
            GroupedBottleneck<512, 256, 32, 8>,
            GroupedBottleneck<512, 256, 32, 8>,
            GroupedBottleneck<512, 256, 32, 8>,
        ),
    >,
    Named<
        Layer3,
        (
            GroupedBottleneckDown<512, 512, 32, 16, 1024, 2>,
            GroupedBottleneck<1024, 512, 32, 16>,
            GroupedBottleneck<1024, 512, 32, 16>,
            GroupedBottleneck<1024, 512, 32, 16>,
            GroupedBottleneck<1024, 512, 32, 16>,
            GroupedBottleneck<1024, 512, 32, 16>,
        ),
    >,
    Named<
        Layer4,
        (
            GroupedBottleneckDown<1024, 1024, 32, 32, 2048, 2>,
            GroupedBottleneck<2048, 1024, 32, 32>,
            GroupedBottleneck<2048, 1024, 32, 32>,
        ),
    >,
    GlobalAvgPool2d,
    Named<Fc, Linear<2048, 1000>>,
);

/// ResNet-20 for 32×32 CIFAR images (He et al., §4.2; projection shortcuts where the shape
/// changes): 16/32/64 channels, three basic blocks per stage, global pooling, 10 classes.
/// 272 474 parameters. Input `Tensor<N, 3, 32, 32>`.
pub type ResNet20Cifar = (
    Named<Conv1, Conv3x3<3, 16, 1>>,
    Named<Bn1, BatchNorm2d<16>>,
    Relu,
    Named<Layer1, (BasicBlock<16>, BasicBlock<16>, BasicBlock<16>)>,
    Named<Layer2, (BasicBlockDown<16, 32, 2>, BasicBlock<32>, BasicBlock<32>)>,
    Named<Layer3, (BasicBlockDown<32, 64, 2>, BasicBlock<64>, BasicBlock<64>)>,
    GlobalAvgPool2d,
    Named<Fc, Linear<64, 10>>,
);
