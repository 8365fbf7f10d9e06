// A transposed convolution 4×4 → 8×8 (k3 s2 p1 op1) whose output buffer is declared 9×9.
use constnet::prelude::*;

fn main() {
    let up = <ConvTranspose2d<2, 3, 3, 2, 1, 1>>::zeroed();
    let x = Tensor::<1, 2, 4, 4>::zeros();
    let mut y = Tensor::<1, 3, 9, 9>::zeros();
    up.forward(&x, &mut y, &mut ());
}
