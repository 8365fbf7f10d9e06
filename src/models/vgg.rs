//! VGG (Simonyan & Zisserman, 2014) in torchvision's form. Needs the `wide-dims` feature: the
//! classifier reads 512·7·7 = 25 088 features.

use crate::compose::named::Named;
use crate::layers::{Conv2d, Dropout, Identity, Linear, MaxPool2d, Relu};
use crate::models::alexnet::{Avgpool, Classifier, Features};

/// 3×3 convolution with padding 1 and its ReLU.
type C3<const CI: usize, const CO: usize> = Conv2d<CI, CO, 3, 1, 1>;

/// The VGG classifier: 25 088 → 4096 → 4096 → 1000 with ReLU and dropout.
pub type VggClassifier = (
    Linear<25088, 4096>,
    Relu,
    Dropout,
    Linear<4096, 4096>,
    Relu,
    Dropout,
    Linear<4096, 1000>,
);

/// torchvision `vgg11`: 132 863 336 parameters. Input `Tensor<N, 3, 224, 224>`.
pub type Vgg11 = (
    Named<
        Features,
        (
            C3<3, 64>,
            Relu,
            MaxPool2d<2>,
            C3<64, 128>,
            Relu,
            MaxPool2d<2>,
            C3<128, 256>,
            Relu,
            C3<256, 256>,
            Relu,
            MaxPool2d<2>,
            C3<256, 512>,
            Relu,
            C3<512, 512>,
            Relu,
            MaxPool2d<2>,
            C3<512, 512>,
            Relu,
            C3<512, 512>,
            Relu,
            MaxPool2d<2>,
        ),
    >,
    Named<Avgpool, Identity>,
    Named<Classifier, VggClassifier>,
);

/// torchvision `vgg16`: 138 357 544 parameters, weight names `features.0.weight` …
/// `features.28.bias`, `classifier.0.weight` … `classifier.6.bias`. Input
/// `Tensor<N, 3, 224, 224>`; at that size torchvision's `AdaptiveAvgPool2d((7, 7))` is the identity.
pub type Vgg16 = (
    Named<
        Features,
        (
            C3<3, 64>,
            Relu,
            C3<64, 64>,
            Relu,
            MaxPool2d<2>,
            C3<64, 128>,
            Relu,
            C3<128, 128>,
            Relu,
            MaxPool2d<2>,
            C3<128, 256>,
            Relu,
            C3<256, 256>,
            Relu,
            C3<256, 256>,
            Relu,
            MaxPool2d<2>,
            C3<256, 512>,
            Relu,
            C3<512, 512>,
            Relu,
            C3<512, 512>,
            Relu,
            MaxPool2d<2>,
            C3<512, 512>,
            Relu,
            C3<512, 512>,
            Relu,
            C3<512, 512>,
            Relu,
            MaxPool2d<2>,
        ),
    >,
    Named<Avgpool, Identity>,
    Named<Classifier, VggClassifier>,
);
