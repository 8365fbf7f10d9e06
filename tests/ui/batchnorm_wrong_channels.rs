// A batch norm over 8 channels after a convolution that outputs 16.
use constnet::prelude::*;

type Net = (Conv2d<3, 16, 3, 1, 1, NoBias>, BatchNorm2d<8>, Relu);

fn main() {
    let _y: Out<Net, Tensor<1, 3, 8, 8>> = Tensor::zeros();
}
