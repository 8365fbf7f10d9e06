// Known limitation: a method called directly on a chain whose layers do not fit together no
// matter what the input is (here 6 channels into a layer that takes 8) is reported by rustc as
// "no method named `forward` found": method lookup rejects the chain's `Layer` impl before the
// input type is known, so none of constnet's messages are used. Naming the input type first
// (`TraceOf<Net, X>`, `Out<Net, X>`, or a function with a `Layer<X>` bound) gives the readable
// errors of `chain_channel_mismatch.rs`.
use constnet::prelude::*;

type Net = (Conv2d<1, 6, 5>, Relu, Conv2d<8, 16, 3>);

fn main() {
    let net = Net::boxed();
    let x = Tensor::<1, 1, 28, 28>::zeros();
    let mut y = Tensor::<1, 16, 22, 22>::zeros();
    let mut trace = Zeroable::zeroed();
    net.forward(&x, &mut y, &mut trace);
}
