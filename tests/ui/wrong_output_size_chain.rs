// LeNet's feature extractor on 28×28 ends with 16 × 4 × 4, but the output is declared 16 × 5 × 5
// (the size it has on 32×32 inputs).
use constnet::prelude::*;

type Features = (
    Conv2d<1, 6, 5>,
    Relu,
    MaxPool2d<2>,
    Conv2d<6, 16, 5>,
    Relu,
    MaxPool2d<2>,
);

fn main() {
    let net = Features::boxed();
    let mut trace = <TraceOf<Features, Tensor<1, 1, 28, 28>>>::boxed();
    let x = Tensor::<1, 1, 28, 28>::zeros();
    let mut y = Tensor::<1, 16, 5, 5>::zeros();
    net.forward(&x, &mut y, &mut trace);
}
