//! Networks from the literature, as types.
//!
//! Each is a plain type alias over the layers of this crate: the compiler checks every shape of
//! the network, `size_of` gives its memory, and `Layer` gives its forward and backward passes.
//! Parameter counts equal torchvision's for the torchvision architectures (tested).
//!
//! AlexNet and VGG are declared without conditions, but a network is only *checked* where it is
//! used as a layer: their classifiers read 9216 and 25 088 features, beyond the default
//! compile-time size table, so using them needs the `wide-dims` feature.
//!
//! | model | input | parameters | weight names |
//! |---|---|---|---|
//! | [`LeNet5`] | 1×28×28 | 44 426 | `nn.Sequential` indices |
//! | [`LeNet5Classic`] | 1×32×32 | 61 706 | `nn.Sequential` indices |
//! | [`CifarBnNet`] | 3×32×32 | 10 018 | `nn.Sequential` indices |
//! | [`CifarVgg`] | 3×32×32 | — | own |
//! | [`ResNet20Cifar`] | 3×32×32 | 272 474 | torchvision-style |
//! | [`AlexNet`] (feature `wide-dims`) | 3×224×224 | 61 100 840 | torchvision |
//! | [`Vgg11`], [`Vgg16`] (feature `wide-dims`) | 3×224×224 | 132 863 336, 138 357 544 | torchvision |
//! | [`GoogLeNet`] | 3×224×224 | 6 624 904 | torchvision |
//! | [`GoogLeNetPaper`] | 3×224×224 | 6 998 552 | own (the paper's network) |
//! | [`InceptionV3`] | 3×299×299 | 23 834 568 | torchvision |
//! | [`ResNet18`], [`ResNet34`], [`ResNet50`] | 3×224×224 | 11 689 512, 21 797 672, 25 557 032 | torchvision |
//! | [`ResNeXt50`] (32×4d) | 3×224×224 | 25 028 904 | torchvision |
//! | [`DenseNet121`] | 3×224×224 | 7 978 856 | torchvision |
//! | [`MobileNetV1`] | 3×224×224 | 4 231 976 | own |
//! | [`MobileNetV2`] | 3×224×224 | 3 504 872 | torchvision |
//! | [`MobileNetV3Large`] | 3×224×224 | 5 483 032 | torchvision |

pub mod alexnet;
pub mod cifar;
pub mod densenet;
pub mod googlenet;
pub mod inception;
pub mod lenet;
pub mod mobilenet;
pub mod resnet;
pub mod vgg;

pub use alexnet::AlexNet;
pub use cifar::{CifarBnNet, CifarVgg};
pub use densenet::DenseNet121;
pub use googlenet::{BasicConv2d, GoogLeNet, GoogLeNetPaper, Inception, InceptionPaper};
pub use inception::{
    BasicConv2dHw, InceptionA, InceptionB, InceptionC, InceptionD, InceptionE, InceptionV3,
};
pub use lenet::{LeNet5, LeNet5Classic};
pub use mobilenet::{
    BnV3, Bottleneck, InvertedBlock, InvertedBlockT1, InvertedResidual, MobileNetV1, MobileNetV2,
    MobileNetV3Large, MobileNetV3Norm, SeparableBlock, SqueezeExcitation, V3Block, V3Layers,
    V3LayersSe, V3Residual,
};
pub use resnet::{ResNeXt50, ResNet18, ResNet20Cifar, ResNet34, ResNet50};
pub use vgg::{Vgg11, Vgg16};
