// A channel gate must give one value per channel: this one keeps the feature map's height and
// width (no global pooling), so it cannot scale the channels of x.
use constnet::prelude::*;

type Se = Gate<(Conv2d<8, 2, 1>, Relu, Conv2d<2, 8, 1>, Sigmoid)>;

fn main() {
    let se = Se::zeroed();
    let x = Tensor::<1, 8, 4, 4>::zeros();
    let mut y = Tensor::<1, 8, 4, 4>::zeros();
    let mut trace = Zeroable::zeroed();
    se.forward(&x, &mut y, &mut trace);
}
