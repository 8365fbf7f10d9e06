// A projection shortcut that forgets the stride: the branch gives 4×4, the shortcut 8×8.
use constnet::prelude::*;

type Down = ResidualProj<
    (Conv2d<4, 8, 3, 2, 1, NoBias>, BatchNorm2d<8>),
    (Conv2d<4, 8, 1, 1, 0, NoBias>, BatchNorm2d<8>),
>;

fn main() {
    let _y: Out<Down, Tensor<1, 4, 8, 8>> = Tensor::zeros();
}
