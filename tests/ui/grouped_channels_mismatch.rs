// Two groups of 3 input channels need 6 input channels; the input has 4.
use constnet::prelude::*;

fn main() {
    let conv = <GroupedConv2d<2, 3, 2, 3, 1, 1>>::zeroed();
    let x = Tensor::<1, 4, 8, 8>::zeros();
    let mut y = Tensor::<1, 4, 8, 8>::zeros();
    conv.forward(&x, &mut y, &mut ());
}
