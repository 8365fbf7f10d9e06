//! GoogLeNet / Inception v1 (Szegedy et al., 2014) as in the paper: ReLU after every
//! convolution, convolutions with bias, the 5×5 branch, no batch normalisation and no auxiliary
//! classifiers (torchvision's variant adds batch norm and replaces 5×5 by 3×3).

use crate::compose::Concat;
use crate::layers::{Conv2d, Dropout, GlobalAvgPool2d, Linear, MaxPool2d, Relu};

/// An Inception module on `CI` channels: four branches concatenated along channels —
/// 1×1 (`C1`); 1×1 (`C3R`) → 3×3 (`C3`); 1×1 (`C5R`) → 5×5 (`C5`); 3×3 max-pool → 1×1 (`PP`).
/// Output channels `C1 + C3 + C5 + PP`, computed by the type.
pub type Inception<
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

/// GoogLeNet for 224×224 images, 1000 classes: 6 998 552 parameters.
/// Input `Tensor<N, 3, 224, 224>`, output `Tensor<N, 1000, 1, 1>`.
pub type GoogLeNet = (
    (Conv2d<3, 64, 7, 2, 3>, Relu, MaxPool2d<3, 2, 1>),
    (
        Conv2d<64, 64, 1>,
        Relu,
        Conv2d<64, 192, 3, 1, 1>,
        Relu,
        MaxPool2d<3, 2, 1>,
    ),
    Inception<192, 64, 96, 128, 16, 32, 32>,
    Inception<256, 128, 128, 192, 32, 96, 64>,
    MaxPool2d<3, 2, 1>,
    Inception<480, 192, 96, 208, 16, 48, 64>,
    Inception<512, 160, 112, 224, 24, 64, 64>,
    Inception<512, 128, 128, 256, 24, 64, 64>,
    Inception<512, 112, 144, 288, 32, 64, 64>,
    Inception<528, 256, 160, 320, 32, 128, 128>,
    MaxPool2d<3, 2, 1>,
    Inception<832, 256, 160, 320, 32, 128, 128>,
    Inception<832, 384, 192, 384, 48, 128, 128>,
    GlobalAvgPool2d,
    Dropout<4000>,
    Linear<1024, 1000>,
);
