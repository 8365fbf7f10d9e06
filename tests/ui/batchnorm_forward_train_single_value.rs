// A direct training forward pass of batch norm over one value per channel.
use constnet::prelude::*;

fn main() {
    let mut bn = BatchNorm2d::<4>::new();
    let x = Tensor::<1, 4, 1, 1>::zeros();
    let mut y = Tensor::<1, 4, 1, 1>::zeros();
    let mut trace = BatchNormTrace::zeroed();
    bn.forward_train(&x, &mut y, &mut trace);
}
