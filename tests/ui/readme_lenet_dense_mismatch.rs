// The README's example: its LeNet-5 with `Linear<256, 120>` changed to `Linear<400, 120>`. The
// README quotes the first lines of this snapshot.
use constnet::prelude::*;

type LeNet5 = (
    Conv2d<1, 6, 5>, Relu, MaxPool2d<2>,
    Conv2d<6, 16, 5>, Relu, MaxPool2d<2>,
    Flatten, Linear<400, 120>, Relu, Linear<120, 84>, Relu, Linear<84, 10>,
);

fn main() {
    let net = LeNet5::boxed();
    let x = Tensor::<1, 1, 28, 28>::zeros();
    let mut logits = Tensor::<1, 10, 1, 1>::zeros();
    let mut scratch = <TraceOf<LeNet5, Tensor<1, 1, 28, 28>>>::boxed();
    net.forward(&x, &mut logits, &mut scratch);
}
