// A single layer given a tensor with the wrong number of channels.
use constnet::prelude::*;

fn main() {
    let conv = <Conv2d<8, 16, 3>>::zeroed();
    let x = Tensor::<1, 6, 24, 24>::zeros();
    let mut y = Tensor::<1, 16, 22, 22>::zeros();
    conv.forward(&x, &mut y, &mut ());
}
