//! AlexNet (Krizhevsky et al., 2012) in torchvision's single-tower form. Needs the `wide-dims`
//! feature: its classifier reads 256·6·6 = 9216 features.

use crate::compose::named::Named;
use crate::layers::{Conv2d, Dropout, Identity, Linear, MaxPool2d, Relu};
use crate::name;

name!(
    Features = "features",
    Avgpool = "avgpool",
    Classifier = "classifier"
);

/// torchvision `alexnet`: 61 100 840 parameters, weight names `features.0.weight` …
/// `classifier.6.bias`. Input `Tensor<N, 3, 224, 224>`, output `Tensor<N, 1000, 1, 1>`.
/// At 224×224 the features are already 6×6, so torchvision's `AdaptiveAvgPool2d((6, 6))` is
/// the identity.
pub type AlexNet = (
    Named<
        Features,
        (
            Conv2d<3, 64, 11, 4, 2>,
            Relu,
            MaxPool2d<3, 2>,
            Conv2d<64, 192, 5, 1, 2>,
            Relu,
            MaxPool2d<3, 2>,
            Conv2d<192, 384, 3, 1, 1>,
            Relu,
            Conv2d<384, 256, 3, 1, 1>,
            Relu,
            Conv2d<256, 256, 3, 1, 1>,
            Relu,
            MaxPool2d<3, 2>,
        ),
    >,
    Named<Avgpool, Identity>,
    Named<
        Classifier,
        (
            Dropout,
            Linear<9216, 4096>,
            Relu,
            Dropout,
            Linear<4096, 4096>,
            Relu,
            Linear<4096, 1000>,
        ),
    >,
);
