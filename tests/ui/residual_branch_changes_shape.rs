// A residual block whose branch doubles the channels: y = F(x) + x cannot be formed.
use constnet::prelude::*;

type Block = Residual<(Conv2d<4, 8, 3, 1, 1, NoBias>, BatchNorm2d<8>, Relu)>;

fn main() {
    let _y: Out<Block, Tensor<1, 4, 8, 8>> = Tensor::zeros();
}
