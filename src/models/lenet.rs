//! LeNet-5 (LeCun et al., 1998) as types.

use crate::layers::{AvgPool2d, Conv2d, Flatten, Linear, MaxPool2d, Relu, Tanh};

/// LeNet-5 for 28×28 single-channel images (MNIST, Fashion-MNIST), in its modern form (ReLU,
/// max pooling): the PyTorch model
/// `nn.Sequential(Conv2d(1,6,5), ReLU(), MaxPool2d(2), Conv2d(6,16,5), ReLU(), MaxPool2d(2),
/// Flatten(), Linear(256,120), ReLU(), Linear(120,84), ReLU(), Linear(84,10))`, index for index
/// (its weights load by their `nn.Sequential` names `0.weight` … `11.bias`).
///
/// 44 426 parameters. Input `Tensor<N, 1, 28, 28>`, output `Tensor<N, 10, 1, 1>` (logits).
pub type LeNet5 = (
    Conv2d<1, 6, 5>,
    Relu,
    MaxPool2d<2>,
    Conv2d<6, 16, 5>,
    Relu,
    MaxPool2d<2>,
    Flatten,
    Linear<256, 120>,
    Relu,
    Linear<120, 84>,
    Relu,
    Linear<84, 10>,
);

/// The original LeNet-5 layout for 32×32 inputs: tanh activations, average ("subsampling")
/// pooling, and the 16·5·5 = 400 → 120 → 84 → 10 classifier.
///
/// 61 706 parameters. Input `Tensor<N, 1, 32, 32>`, output `Tensor<N, 10, 1, 1>`.
pub type LeNet5Classic = (
    Conv2d<1, 6, 5>,
    Tanh,
    AvgPool2d<2>,
    Conv2d<6, 16, 5>,
    Tanh,
    AvgPool2d<2>,
    Flatten,
    Linear<400, 120>,
    Tanh,
    Linear<120, 84>,
    Tanh,
    Linear<84, 10>,
);
