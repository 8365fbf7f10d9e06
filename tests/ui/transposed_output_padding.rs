// Output padding 1 with stride 1 and dilation 2: PyTorch accepts it (1 < max(1, 2)), but a
// transposed convolution computed as a convolution's input gradient needs output padding < stride.
use constnet::prelude::*;

type Up = ConvTranspose2d<2, 2, 3, 1, 0, 1, Bias, f32, 2>;

fn main() {
    let up = Up::zeroed();
    let x = Tensor::<1, 2, 4, 4>::zeros();
    let mut y = Tensor::<1, 2, 9, 9>::zeros();
    Layer::forward(&up, &x, &mut y, &mut ());
}
