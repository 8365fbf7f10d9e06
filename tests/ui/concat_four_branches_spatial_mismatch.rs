// An Inception block whose 5×5 branch forgot its padding: 8×8 vs 4×4.
use constnet::prelude::*;

type Inception = Concat<(
    (Conv2d<3, 2, 1>, Relu),
    (Conv2d<3, 2, 1>, Relu, Conv2d<2, 4, 3, 1, 1>, Relu),
    (Conv2d<3, 1, 1>, Relu, Conv2d<1, 2, 5>, Relu),
    (MaxPool2d<3, 1, 1>, Conv2d<3, 2, 1>, Relu),
)>;

fn main() {
    let _y: Out<Inception, Tensor<1, 3, 8, 8>> = Tensor::zeros();
}
