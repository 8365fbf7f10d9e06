//! GoogLeNet / Inception v1 (Szegedy et al., 2014), twice:
//!
//! * [`GoogLeNet`]: torchvision's `googlenet(aux_logits=False)`, loading its state dict
//!   unchanged. Every convolution is a [`BasicConv2d`] (no bias, batch norm with `ε = 10⁻³`,
//!   ReLU), the "5 × 5" branch uses a 3 × 3 kernel (as torchvision does), and the pools round
//!   up ([`MaxPool2dCeil`]). torchvision's `transform_input` (on only when it loads its own
//!   pretrained weights) is not part of the network: apply it to the input.
//! * [`GoogLeNetPaper`]: the paper's network, convolutions with bias and ReLU, the 5 × 5
//!   branch, no batch normalisation (no auxiliary classifiers in either).

use crate::compose::Concat;
use crate::compose::named::Named;
use crate::layers::{
    BatchNorm2d, BnEps1e3, Conv2d, Dropout, GlobalAvgPool2d, Linear, MaxPool2d, MaxPool2dCeil,
    NoBias, Relu,
};
use crate::name;

name!(
    Conv = "conv",
    Bn = "bn",
    Conv1 = "conv1",
    Conv2 = "conv2",
    Conv3 = "conv3",
    Inception3a = "inception3a",
    Inception3b = "inception3b",
    Inception4a = "inception4a",
    Inception4b = "inception4b",
    Inception4c = "inception4c",
    Inception4d = "inception4d",
    Inception4e = "inception4e",
    Inception5a = "inception5a",
    Inception5b = "inception5b",
    Fc = "fc",
);

/// torchvision's `BasicConv2d` (GoogLeNet, Inception-v3): a convolution without bias, batch
/// norm with `ε = 10⁻³`, ReLU; weight names `conv.weight`, `bn.weight`, `bn.running_mean`, ….
/// Its rectangular form (Inception-v3's `1 × 7` and `7 × 1` kernels):
/// [`BasicConv2dHw`](crate::models::BasicConv2dHw).
pub type BasicConv2d<
    const CI: usize,
    const CO: usize,
    const K: usize,
    const S: usize = 1,
    const P: usize = 0,
> = (
    Named<Conv, Conv2d<CI, CO, K, S, P, NoBias>>,
    Named<Bn, BatchNorm2d<CO, f32, BnEps1e3>>,
    Relu,
);

/// torchvision's Inception module on `CI` channels: four branches concatenated along channels
/// (`branch1` … `branch4`) — 1×1 (`C1`); 1×1 (`C3R`) → 3×3 (`C3`); 1×1 (`C5R`) → 3×3 (`C5`,
/// torchvision's kernel where the paper has 5×5); 3×3 max-pool of stride 1 → 1×1 (`PP`), each
/// convolution a [`BasicConv2d`]. Output channels `C1 + C3 + C5 + PP`, computed by the type.
pub type Inception<
    const CI: usize,
    const C1: usize,
    const C3R: usize,
    const C3: usize,
    const C5R: usize,
    const C5: usize,
    const PP: usize,
> = Concat<(
    BasicConv2d<CI, C1, 1>,
    (BasicConv2d<CI, C3R, 1>, BasicConv2d<C3R, C3, 3, 1, 1>),
    (BasicConv2d<CI, C5R, 1>, BasicConv2d<C5R, C5, 3, 1, 1>),
    (MaxPool2dCeil<3, 1, 1>, BasicConv2d<CI, PP, 1>),
)>;

/// GoogLeNet for 224×224 images, 1000 classes, as torchvision's
/// `googlenet(weights=None, aux_logits=False)`: 6 624 904 parameters, its state dict's names
/// (`conv1.conv.weight`, `inception4c.branch2.1.bn.running_var`, `fc.bias`, …).
/// Input `Tensor<N, 3, 224, 224>`, output `Tensor<N, 1000, 1, 1>`.
pub type GoogLeNet = (
    Named<Conv1, BasicConv2d<3, 64, 7, 2, 3>>,
    MaxPool2dCeil<3, 2>,
    Named<Conv2, BasicConv2d<64, 64, 1>>,
    Named<Conv3, BasicConv2d<64, 192, 3, 1, 1>>,
    MaxPool2dCeil<3, 2>,
    Named<Inception3a, Inception<192, 64, 96, 128, 16, 32, 32>>,
    Named<Inception3b, Inception<256, 128, 128, 192, 32, 96, 64>>,
    MaxPool2dCeil<3, 2>,
    Named<Inception4a, Inception<480, 192, 96, 208, 16, 48, 64>>,
    Named<Inception4b, Inception<512, 160, 112, 224, 24, 64, 64>>,
    Named<Inception4c, Inception<512, 128, 128, 256, 24, 64, 64>>,
    Named<Inception4d, Inception<512, 112, 144, 288, 32, 64, 64>>,
    Named<Inception4e, Inception<528, 256, 160, 320, 32, 128, 128>>,
    MaxPool2dCeil<2, 2>,
    Named<Inception5a, Inception<832, 256, 160, 320, 32, 128, 128>>,
    Named<Inception5b, Inception<832, 384, 192, 384, 48, 128, 128>>,
    GlobalAvgPool2d,
    Dropout<2000>,
    Named<Fc, Linear<1024, 1000>>,
);

/// The paper's Inception module on `CI` channels: four branches concatenated along channels —
/// 1×1 (`C1`); 1×1 (`C3R`) → 3×3 (`C3`); 1×1 (`C5R`) → 5×5 (`C5`); 3×3 max-pool → 1×1 (`PP`),
/// convolutions with bias, each followed by ReLU. Output channels `C1 + C3 + C5 + PP`.
pub type InceptionPaper<
    const CI: usize,
    const C1: usize,
    const C3R: usize,
    const C3: usize,
    const C5R: usize,
    const C5: usize,
    const PP: usize,
> = Concat<(
    (Conv2d<CI, C1, 1>, Relu),
    (Conv2d<CI, C3R, 1>, Relu, Conv2d<C3R, C3, 3, 1, 1>, Relu),
    (Conv2d<CI, C5R, 1>, Relu, Conv2d<C5R, C5, 5, 1, 2>, Relu),
    (MaxPool2d<3, 1, 1>, Conv2d<CI, PP, 1>, Relu),
)>;

/// GoogLeNet as in the paper, for 224×224 images, 1000 classes: 6 998 552 parameters (weight
/// names: chain indices). Input `Tensor<N, 3, 224, 224>`, output `Tensor<N, 1000, 1, 1>`.
pub type GoogLeNetPaper = (
    (Conv2d<3, 64, 7, 2, 3>, Relu, MaxPool2d<3, 2, 1>),
    (
        Conv2d<64, 64, 1>,
        Relu,
        Conv2d<64, 192, 3, 1, 1>,
        Relu,
        MaxPool2d<3, 2, 1>,
    ),
    InceptionPaper<192, 64, 96, 128, 16, 32, 32>,
    InceptionPaper<256, 128, 128, 192, 32, 96, 64>,
    MaxPool2d<3, 2, 1>,
    InceptionPaper<480, 192, 96, 208, 16, 48, 64>,
    InceptionPaper<512, 160, 112, 224, 24, 64, 64>,
    InceptionPaper<512, 128, 128, 256, 24, 64, 64>,
    InceptionPaper<512, 112, 144, 288, 32, 64, 64>,
    InceptionPaper<528, 256, 160, 320, 32, 128, 128>,
    MaxPool2d<3, 2, 1>,
    InceptionPaper<832, 256, 160, 320, 32, 128, 128>,
    InceptionPaper<832, 384, 192, 384, 48, 128, 128>,
    GlobalAvgPool2d,
    Dropout<4000>,
    Linear<1024, 1000>,
);
