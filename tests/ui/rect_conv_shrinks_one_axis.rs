// Inception-v3's 1 × 7 convolution keeps 17 × 17 only with its padding (0, 3); without it the
// width shrinks to 11 and the height stays 17, so a dense layer sized for 17 × 17 does not fit.
use constnet::prelude::*;

type Net = (Conv2dHw<2, 4, 1, 7>, Linear<{ 4 * 17 * 17 }, 10>);

fn main() {
    let net = Net::zeroed();
    let x = Tensor::<1, 2, 17, 17>::zeros();
    let mut y = Tensor::<1, 10, 1, 1>::zeros();
    let mut trace = Zeroable::zeroed();
    net.forward(&x, &mut y, &mut trace);
}
