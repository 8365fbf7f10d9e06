// After the convolutions the map is 16×4×4 = 256 values, but the dense layer expects 400
// (the size LeNet has on 32×32 inputs, not on 28×28).
use constnet::prelude::*;

type Net = (
    Conv2d<1, 6, 5>,
    Relu,
    MaxPool2d<2>,
    Conv2d<6, 16, 5>,
    Relu,
    MaxPool2d<2>,
    Linear<400, 120>,
);

fn main() {
    let net = Net::zeroed();
    let x = Tensor::<1, 1, 28, 28>::zeros();
    let mut y = Tensor::<1, 120, 1, 1>::zeros();
    let mut trace = Zeroable::zeroed();
    net.forward(&x, &mut y, &mut trace);
}
