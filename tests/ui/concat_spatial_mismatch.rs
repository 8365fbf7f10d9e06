// Inception-like branches whose outputs differ in size: the 3×3 branch has no padding.
use constnet::prelude::*;

type Block = Concat<(Conv2d<3, 2, 1>, Conv2d<3, 4, 3>)>;

fn main() {
    let _y: Out<Block, Tensor<1, 3, 8, 8>> = Tensor::zeros();
}
