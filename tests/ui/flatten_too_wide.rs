// Flattening 512×8×8 gives 32768 features: more than the default shape table (0..=4096) holds.
// The message suggests the `wide-dims` feature (with it, this file compiles: the compile-fail
// snapshots assume default features, like `cargo test`).
use constnet::prelude::*;

fn main() {
    let flatten = Flatten;
    let x = Tensor::<1, 512, 8, 8>::zeros();
    let mut y = Tensor::<1, 32768, 1, 1>::zeros();
    flatten.forward(&x, &mut y, &mut ());
}
