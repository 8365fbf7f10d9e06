// A 1 × 9 kernel fits the 12 rows of the input but not its 8 columns: the check runs per axis,
// with that axis's kernel size, padding and dilation.
use constnet::prelude::*;

fn main() {
    let conv = <Conv2dHw<1, 6, 1, 9>>::zeroed();
    let x = Tensor::<1, 1, 12, 8>::zeros();
    let mut y = Tensor::<1, 6, 12, 1>::zeros();
    conv.forward(&x, &mut y, &mut ());
}
