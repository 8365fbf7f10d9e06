// Conv2d<1, 6, 5> turns 28×28 into 24×24, but the output buffer is declared 28×28.
use constnet::prelude::*;

fn main() {
    let conv = <Conv2d<1, 6, 5>>::zeroed();
    let x = Tensor::<1, 1, 28, 28>::zeros();
    let mut y = Tensor::<1, 6, 28, 28>::zeros();
    conv.forward(&x, &mut y, &mut ());
}
