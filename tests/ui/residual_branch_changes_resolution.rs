// A residual block whose branch halves the resolution: y = F(x) + x cannot be formed.
use constnet::prelude::*;

type Block = Residual<(Conv2d<4, 4, 3, 2, 1, NoBias>, BatchNorm2d<4>, Relu)>;

fn main() {
    let _y: Out<Block, Tensor<1, 4, 8, 8>> = Tensor::zeros();
}
