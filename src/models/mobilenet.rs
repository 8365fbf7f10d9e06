//! MobileNet v1 (Howard et al., 2017): depthwise-separable convolutions, and MobileNetV2's
//! inverted residual block (Sandler et al., 2018).

use crate::compose::Residual;
use crate::layers::{
    BatchNorm2d, Conv2d, DepthwiseConv2d, GlobalAvgPool2d, Linear, NoBias, Relu, Relu6,
};

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

/// MobileNetV2's inverted residual block with stride 1 and `C` channels: expand 1×1 to
/// `HID` (= 6·C in the paper), BN, ReLU6, depthwise 3×3, BN, ReLU6, project 1×1 back to `C`, BN
/// (linear bottleneck), plus the identity shortcut.
pub type InvertedResidual<const C: usize, const HID: usize> = Residual<(
    Conv2d<C, HID, 1, 1, 0, NoBias>,
    BatchNorm2d<HID>,
    Relu6,
    DepthwiseConv2d<HID, 3, 1, 1, NoBias>,
    BatchNorm2d<HID>,
    Relu6,
    Conv2d<HID, C, 1, 1, 0, NoBias>,
    BatchNorm2d<C>,
)>;
