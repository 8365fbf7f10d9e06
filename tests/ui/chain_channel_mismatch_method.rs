// A method called directly on a chain whose layers do not fit together whatever the input is
// (here 6 channels into a layer that takes 8): rustc's method lookup rejects the chain's `Layer`
// impl before the input type is known, so the error is E0599, not one of constnet's messages. It
// names the layer and the input it does not take (`Conv2d<8, 16, 3>: Layer<Tensor<_, 6, _, _>>`):
// the chain names each element's input by the element before it (`compose/chain.rs`); with the
// inputs as type parameters it said only "no method named `forward` found".
use constnet::prelude::*;

type Net = (Conv2d<1, 6, 5>, Relu, Conv2d<8, 16, 3>);

fn main() {
    let net = Net::boxed();
    let x = Tensor::<1, 1, 28, 28>::zeros();
    let mut y = Tensor::<1, 16, 22, 22>::zeros();
    let mut trace = Zeroable::zeroed();
    net.forward(&x, &mut y, &mut trace);
}
