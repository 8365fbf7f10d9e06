//! Small networks for 32×32 colour images (CIFAR-10 and its subsets).

use crate::layers::{BatchNorm2d, Conv2d, Dropout, Flatten, Linear, MaxPool2d, NoBias, Relu};

/// A small convolutional network with batch normalisation, the PyTorch model
/// `nn.Sequential(Conv2d(3,8,3,padding=1,bias=False), BatchNorm2d(8), ReLU(), MaxPool2d(2),
/// Conv2d(8,16,3,padding=1,bias=False), BatchNorm2d(16), ReLU(), MaxPool2d(2), Flatten(),
/// Linear(1024,10))`, index for index. 10 018 parameters.
pub type CifarBnNet = (
    Conv2d<3, 8, 3, 1, 1, NoBias>,
    BatchNorm2d<8>,
    Relu,
    MaxPool2d<2>,
    Conv2d<8, 16, 3, 1, 1, NoBias>,
    BatchNorm2d<16>,
    Relu,
    MaxPool2d<2>,
    Flatten,
    Linear<1024, 10>,
);

/// A VGG-style CIFAR network: three stages of two 3×3 convolutions (32, 64, 128 channels) with
/// batch normalisation, 2×2 max pooling, dropout and a 2048 → 128 → `CLASSES` classifier.
pub type CifarVgg<const CLASSES: usize> = (
    (
        Conv2d<3, 32, 3, 1, 1, NoBias>,
        BatchNorm2d<32>,
        Relu,
        Conv2d<32, 32, 3, 1, 1, NoBias>,
        BatchNorm2d<32>,
        Relu,
        MaxPool2d<2>,
    ),
    (
        Conv2d<32, 64, 3, 1, 1, NoBias>,
        BatchNorm2d<64>,
        Relu,
        Conv2d<64, 64, 3, 1, 1, NoBias>,
        BatchNorm2d<64>,
        Relu,
        MaxPool2d<2>,
    ),
    (
        Conv2d<64, 128, 3, 1, 1, NoBias>,
        BatchNorm2d<128>,
        Relu,
        Conv2d<128, 128, 3, 1, 1, NoBias>,
        BatchNorm2d<128>,
        Relu,
        MaxPool2d<2>,
    ),
    Flatten,
    Dropout<3000>,
    Linear<2048, 128>,
    Relu,
    Linear<128, CLASSES>,
);
