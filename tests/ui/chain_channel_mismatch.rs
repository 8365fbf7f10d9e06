// A convolution with 6 output channels followed by one that expects 8 input channels. The trace
// is declared first, as usual (`TraceOf`), which names the network and its input type.
use constnet::prelude::*;

type Net = (Conv2d<1, 6, 5>, Relu, Conv2d<8, 16, 3>);

fn main() {
    let mut net = Net::boxed();
    let mut trace = <TraceOf<Net, Tensor<1, 1, 28, 28>>>::boxed();
    let x = Tensor::<1, 1, 28, 28>::zeros();
    let mut y = Tensor::<1, 16, 22, 22>::zeros();
    net.forward_train(&x, &mut y, &mut trace);
}
