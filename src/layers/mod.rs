//! The layers. Each is a thin typed wrapper: its `Layer` impl states the shape rule, and the
//! arithmetic is a call into [`crate::kernels`].

pub mod activation;
pub mod batchnorm;
pub mod bias;
pub mod conv2d;
mod conv_core;
pub mod conv_transpose2d;
pub mod depthwise;
pub mod dropout;
pub mod global_pool;
pub mod grouped;
pub mod identity;
pub mod linear;
pub mod pool;

pub use activation::{Activation, Hardsigmoid, Hardswish, LeakyRelu, Relu, Relu6, Sigmoid, Tanh};
pub use batchnorm::{
    BatchNorm2d, BatchNormConfig, BatchNormTrace, BnDefaults, BnEps1e3, fold_conv_bn,
};
pub use bias::{Bias, BiasMode, NoBias};
pub use conv_transpose2d::{ConvTranspose2d, ConvTranspose2dHw, DilatedConvTranspose2d};
pub use conv2d::{Conv2d, Conv2dHw, DilatedConv2d};
pub use depthwise::{DepthwiseConv2d, DepthwiseConv2dHw, DepthwiseSeparable};
pub use dropout::Dropout;
pub use global_pool::{AdaptiveAvgPool2d1x1, GlobalAvgPool2d};
pub use grouped::{GroupBias, GroupedConv2d, GroupedConv2dHw};
pub use identity::Identity;
pub use linear::{Flatten, Linear};
pub use pool::{AvgPool2d, AvgPool2dHw, MaxPool2d, MaxPool2dCeil, MaxPool2dHw};
