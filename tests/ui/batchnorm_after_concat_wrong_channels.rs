// A dense layer gives 4 + 2 = 6 channels (computed by the types); the batch norm expects 5.
use constnet::prelude::*;

type Net = (
    Concat<(Identity, (Conv2d<4, 2, 3, 1, 1, NoBias>, Relu))>,
    BatchNorm2d<5>,
);

fn main() {
    let _y: Out<Net, Tensor<1, 4, 8, 8>> = Tensor::zeros();
}
