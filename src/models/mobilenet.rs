//! MobileNet v1 (Howard et al., 2017): depthwise-separable convolutions; MobileNetV2 (Sandler
//! et al., 2018) and MobileNetV3-Large (Howard et al., 2019) as torchvision builds them:
//! inverted residual blocks with linear bottlenecks, and (V3) hard-swish and
//! squeeze-and-excitation.

use crate::compose::named::Named;
use crate::compose::{Gate, Residual};
use crate::layers::{
    BatchNorm2d, BatchNormConfig, Conv2d, DepthwiseConv2d, Dropout, GlobalAvgPool2d, Hardsigmoid,
    Hardswish, Linear, NoBias, Relu, Relu6,
};
use crate::name;

name!(
    Features = "features",
    Classifier = "classifier",
    ConvSeq = "conv",
    Block = "block",
    Fc1 = "fc1",
    Fc2 = "fc2",
);

/// A depthwise-separable block: depthwise 3×3 (stride `S`), BN, ReLU, pointwise 1×1
/// `CI → CO`, BN, ReLU.
pub type SeparableBlock<const CI: usize, const CO: usize, const S: usize> = (
    DepthwiseConv2d<CI, 3, S, 1, NoBias>,
    BatchNorm2d<CI>,
    Relu,
    Conv2d<CI, CO, 1, 1, 0, NoBias>,
    BatchNorm2d<CO>,
    Relu,
);

/// MobileNet v1 (width 1.0) for 224×224 images, 1000 classes: 4 231 976 parameters.
/// Input `Tensor<N, 3, 224, 224>`, output `Tensor<N, 1000, 1, 1>`.
pub type MobileNetV1 = (
    (Conv2d<3, 32, 3, 2, 1, NoBias>, BatchNorm2d<32>, Relu),
    SeparableBlock<32, 64, 1>,
    SeparableBlock<64, 128, 2>,
    SeparableBlock<128, 128, 1>,
    SeparableBlock<128, 256, 2>,
    SeparableBlock<256, 256, 1>,
    SeparableBlock<256, 512, 2>,
    SeparableBlock<512, 512, 1>,
    SeparableBlock<512, 512, 1>,
    SeparableBlock<512, 512, 1>,
    SeparableBlock<512, 512, 1>,
    SeparableBlock<512, 512, 1>,
    SeparableBlock<512, 1024, 2>,
    SeparableBlock<1024, 1024, 1>,
    GlobalAvgPool2d,
    Linear<1024, 1000>,
);

/// The layers of torchvision's `InvertedResidual` with expansion (`HID = t·CI`, `t > 1`):
/// expand 1×1 to `HID`, BN, ReLU6; depthwise 3×3 of stride `S`, BN, ReLU6; project 1×1 to `CO`,
/// BN (the linear bottleneck). As torchvision's `conv` sequence: `0.0`, `0.1`, `1.0`, `1.1`, `2`,
/// `3`.
pub type Bottleneck<const CI: usize, const HID: usize, const CO: usize, const S: usize> = (
    (Conv2d<CI, HID, 1, 1, 0, NoBias>, BatchNorm2d<HID>, Relu6),
    (
        DepthwiseConv2d<HID, 3, S, 1, NoBias>,
        BatchNorm2d<HID>,
        Relu6,
    ),
    Conv2d<HID, CO, 1, 1, 0, NoBias>,
    BatchNorm2d<CO>,
);

/// MobileNetV2's inverted residual block of stride 1 on `C` channels, with the shortcut:
/// [`Bottleneck`]`<C, HID, C, 1>` plus the identity. Weight names as torchvision's
/// (`conv.0.0.weight`, `conv.1.1.running_var`, `conv.3.bias`).
pub type InvertedResidual<const C: usize, const HID: usize> =
    Residual<(Named<ConvSeq, Bottleneck<C, HID, C, 1>>,)>;

/// MobileNetV2's inverted residual block without the shortcut (stride 2, or `CI ≠ CO`):
/// [`Bottleneck`]`<CI, HID, CO, S>`, torchvision's names.
pub type InvertedBlock<const CI: usize, const HID: usize, const CO: usize, const S: usize> =
    (Named<ConvSeq, Bottleneck<CI, HID, CO, S>>,);

/// MobileNetV2's block of expansion 1 (its first): depthwise 3×3 of stride `S`, BN, ReLU6;
/// project 1×1 to `CO`, BN; no shortcut (`CI ≠ CO`). torchvision's names (`conv.0.0`, `conv.0.1`,
/// `conv.1`, `conv.2`).
pub type InvertedBlockT1<const CI: usize, const CO: usize, const S: usize> = (
    Named<
        ConvSeq,
        (
            (DepthwiseConv2d<CI, 3, S, 1, NoBias>, BatchNorm2d<CI>, Relu6),
            Conv2d<CI, CO, 1, 1, 0, NoBias>,
            BatchNorm2d<CO>,
        ),
    >,
);

/// MobileNetV2 (width 1.0) for 224×224 images, 1000 classes, as torchvision's
/// `mobilenet_v2(weights=None)`: 3 504 872 parameters, its state dict's names
/// (`features.0.0.weight`, `features.3.conv.1.0.weight`, `features.18.1.running_var`,
/// `classifier.1.bias`). Every block form: expansion 1 and 6, stride 1 and 2, with and without
/// the shortcut. Input `Tensor<N, 3, 224, 224>`, output `Tensor<N, 1000, 1, 1>`.
pub type MobileNetV2 = (
    Named<
        Features,
        (
            (Conv2d<3, 32, 3, 2, 1, NoBias>, BatchNorm2d<32>, Relu6),
            InvertedBlockT1<32, 16, 1>,
            InvertedBlock<16, 96, 24, 2>,
            InvertedResidual<24, 144>,
            InvertedBlock<24, 144, 32, 2>,
            InvertedResidual<32, 192>,
            InvertedResidual<32, 192>,
            InvertedBlock<32, 192, 64, 2>,
            InvertedResidual<64, 384>,
            InvertedResidual<64, 384>,
            InvertedResidual<64, 384>,
            InvertedBlock<64, 384, 96, 1>,
            InvertedResidual<96, 576>,
            InvertedResidual<96, 576>,
            InvertedBlock<96, 576, 160, 2>,
            InvertedResidual<160, 960>,
            InvertedResidual<160, 960>,
            InvertedBlock<160, 960, 320, 1>,
            (Conv2d<320, 1280, 1, 1, 0, NoBias>, BatchNorm2d<1280>, Relu6),
        ),
    >,
    GlobalAvgPool2d,
    Named<Classifier, (Dropout<2000>, Linear<1280, 1000>)>,
);

/// MobileNetV3's batch-norm constants (torchvision's `partial(nn.BatchNorm2d, eps=0.001,
/// momentum=0.01)`).
#[derive(Clone, Copy, Debug, Default)]
pub struct MobileNetV3Norm;

impl BatchNormConfig for MobileNetV3Norm {
    const EPS: f64 = 1e-3;
    const MOMENTUM: Option<f64> = Some(0.01);
}

/// MobileNetV3's batch norm on `C` channels.
pub type BnV3<const C: usize> = BatchNorm2d<C, f32, MobileNetV3Norm>;

/// torchvision's `SqueezeExcitation(C, SQ, scale_activation=Hardsigmoid)`: global average
/// pooling, 1×1 convolutions `C → SQ` (ReLU) and `SQ → C`, hard sigmoid, the channels of the
/// input scaled by the result. Names `fc1.weight`, `fc1.bias`, `fc2.weight`, `fc2.bias`.
pub type SqueezeExcitation<const C: usize, const SQ: usize> = Gate<(
    GlobalAvgPool2d,
    Named<Fc1, Conv2d<C, SQ, 1>>,
    Relu,
    Named<Fc2, Conv2d<SQ, C, 1>>,
    Hardsigmoid,
)>;

/// The layers of a MobileNetV3 block with expansion and without squeeze-and-excitation
/// (torchvision's `block` sequence: `0.0`, `0.1`, `1.0`, `1.1`, `2.0`, `2.1`): expand 1×1 to
/// `HID`, BN, `A`; depthwise `K × K` of stride `S` and padding `P`, BN, `A`; project 1×1 to
/// `CO`, BN.
pub type V3Layers<
    const CI: usize,
    const HID: usize,
    const CO: usize,
    const K: usize,
    const S: usize,
    const P: usize,
    A,
> = (
    (Conv2d<CI, HID, 1, 1, 0, NoBias>, BnV3<HID>, A),
    (DepthwiseConv2d<HID, K, S, P, NoBias>, BnV3<HID>, A),
    (Conv2d<HID, CO, 1, 1, 0, NoBias>, BnV3<CO>),
);

/// [`V3Layers`] with squeeze-and-excitation (`SQ` channels) after the depthwise convolution
/// (torchvision's `block.2.fc1`, …; the projection is `block.3`).
pub type V3LayersSe<
    const CI: usize,
    const HID: usize,
    const SQ: usize,
    const CO: usize,
    const K: usize,
    const S: usize,
    const P: usize,
    A,
> = (
    (Conv2d<CI, HID, 1, 1, 0, NoBias>, BnV3<HID>, A),
    (DepthwiseConv2d<HID, K, S, P, NoBias>, BnV3<HID>, A),
    SqueezeExcitation<HID, SQ>,
    (Conv2d<HID, CO, 1, 1, 0, NoBias>, BnV3<CO>),
);

/// A MobileNetV3 block without the shortcut (stride 2, or `CI ≠ CO`): the layers `L` as
/// torchvision's `block`.
pub type V3Block<L> = (Named<Block, L>,);

/// A MobileNetV3 block with the identity shortcut (stride 1, `CI = CO`).
pub type V3Residual<L> = Residual<(Named<Block, L>,)>;

/// MobileNetV3-Large for 224×224 images, 1000 classes, as torchvision's
/// `mobilenet_v3_large(weights=None)`: 5 483 032 parameters, its state dict's names
/// (`features.4.block.2.fc1.weight`, `features.16.1.running_var`, `classifier.3.bias`).
/// Hard-swish and ReLU blocks, 3×3 and 5×5 depthwise kernels, squeeze-and-excitation with a
/// hard sigmoid, batch norms with `ε = 10⁻³` and momentum 0.01 ([`MobileNetV3Norm`]).
/// Input `Tensor<N, 3, 224, 224>`, output `Tensor<N, 1000, 1, 1>`.
pub type MobileNetV3Large = (
    Named<
        Features,
        (
            (Conv2d<3, 16, 3, 2, 1, NoBias>, BnV3<16>, Hardswish),
            V3Residual<(
                (DepthwiseConv2d<16, 3, 1, 1, NoBias>, BnV3<16>, Relu),
                (Conv2d<16, 16, 1, 1, 0, NoBias>, BnV3<16>),
            )>,
            V3Block<V3Layers<16, 64, 24, 3, 2, 1, Relu>>,
            V3Residual<V3Layers<24, 72, 24, 3, 1, 1, Relu>>,
            V3Block<V3LayersSe<24, 72, 24, 40, 5, 2, 2, Relu>>,
            V3Residual<V3LayersSe<40, 120, 32, 40, 5, 1, 2, Relu>>,
            V3Residual<V3LayersSe<40, 120, 32, 40, 5, 1, 2, Relu>>,
            V3Block<V3Layers<40, 240, 80, 3, 2, 1, Hardswish>>,
            V3Residual<V3Layers<80, 200, 80, 3, 1, 1, Hardswish>>,
            V3Residual<V3Layers<80, 184, 80, 3, 1, 1, Hardswish>>,
            V3Residual<V3Layers<80, 184, 80, 3, 1, 1, Hardswish>>,
            V3Block<V3LayersSe<80, 480, 120, 112, 3, 1, 1, Hardswish>>,
            V3Residual<V3LayersSe<112, 672, 168, 112, 3, 1, 1, Hardswish>>,
            V3Block<V3LayersSe<112, 672, 168, 160, 5, 2, 2, Hardswish>>,
            V3Residual<V3LayersSe<160, 960, 240, 160, 5, 1, 2, Hardswish>>,
            V3Residual<V3LayersSe<160, 960, 240, 160, 5, 1, 2, Hardswish>>,
            (Conv2d<160, 960, 1, 1, 0, NoBias>, BnV3<960>, Hardswish),
        ),
    >,
    GlobalAvgPool2d,
    Named<
        Classifier,
        (
            Linear<960, 1280>,
            Hardswish,
            Dropout<2000>,
            Linear<1280, 1000>,
        ),
    >,
);
