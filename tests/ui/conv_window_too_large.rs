// A 5×5 kernel without padding cannot slide over a 3×3 input.
use constnet::prelude::*;

fn main() {
    let conv = <Conv2d<1, 6, 5>>::zeroed();
    let x = Tensor::<1, 1, 3, 3>::zeros();
    let mut y = Tensor::<1, 6, 1, 1>::zeros();
    conv.forward(&x, &mut y, &mut ());
}
