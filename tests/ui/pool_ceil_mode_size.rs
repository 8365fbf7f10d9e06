// Ceil mode rounds a pooling window's output size up: 8 × 8 through a 3 × 3 window of stride 2
// gives 4 × 4 (floor mode: 3 × 3), so a dense layer sized for floor mode does not fit.
use constnet::prelude::*;

type Net = (MaxPool2dCeil<3, 2>, Linear<{ 2 * 3 * 3 }, 10>);

fn main() {
    let net = Net::zeroed();
    let x = Tensor::<1, 2, 8, 8>::zeros();
    let mut y = Tensor::<1, 10, 1, 1>::zeros();
    let mut trace = Zeroable::zeroed();
    net.forward(&x, &mut y, &mut trace);
}
