// On 16×16 inputs, LeNet's second convolution leaves a 2×2 map: a 4×4 pooling window does not
// fit.
use constnet::prelude::*;

type Net = (Conv2d<1, 6, 5>, Relu, MaxPool2d<2>, Conv2d<6, 16, 5>, Relu, MaxPool2d<4>);

fn main() {
    let net = Net::zeroed();
    let x = Tensor::<1, 1, 16, 16>::zeros();
    let mut y = Tensor::<1, 16, 1, 1>::zeros();
    let mut trace = Zeroable::zeroed();
    net.forward(&x, &mut y, &mut trace);
}
