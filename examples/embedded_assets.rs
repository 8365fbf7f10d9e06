//! Writes the assets of the embedded example (`embedded/lenet5/assets/`) besides its weights:
//! the first 100 MNIST test digits (`digits.bin`: 100 images of 28 × 28 bytes, then 100
//! labels) and what the standard-library path predicts for them with those weights
//! (`predictions.txt`), which the embedded program must reproduce (CI compares them).
//!
//! ```sh
//! CONSTNET_SAVE=embedded/lenet5/assets/lenet5.safetensors cargo run --release --example mnist
//! cargo run --release --example embedded_assets
//! ```
//! `tests/it/embedded_assets.rs` checks the predictions again on every test run.

use constnet::data::{MNIST, Split, load_idx_split};
use constnet::models::LeNet5;
use constnet::{Layer, Tensor, Zeroable};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/embedded/lenet5/assets");
    let test = load_idx_split(
        concat!(env!("CARGO_MANIFEST_DIR"), "/data/mnist"),
        Split::Test,
    )?;
    let n = 100;
    let mut digits = test.pixels()[..n * 784].to_vec();
    digits.extend_from_slice(&test.labels()[..n]);
    std::fs::write(format!("{root}/digits.bin"), &digits)?;

    let mut net = LeNet5::boxed();
    constnet::io::load(&mut *net, format!("{root}/lenet5.safetensors"))?;
    let mut x = Tensor::<1, 1, 28, 28>::zeroed();
    let mut y = Tensor::<1, 10, 1, 1>::zeroed();
    let mut trace = <LeNet5 as Layer<Tensor<1, 1, 28, 28>>>::Trace::boxed();
    let mut predictions = String::from("predictions:");
    for i in 0..n {
        for (v, &p) in x.as_mut_slice().iter_mut().zip(test.image(i)) {
            *v = MNIST.apply(0, p);
        }
        net.forward(&x, &mut y, &mut trace);
        let best = (0..10).fold(0, |b, j| {
            if y.as_slice()[j] > y.as_slice()[b] {
                j
            } else {
                b
            }
        });
        predictions.push_str(&format!(" {best}"));
    }
    predictions.push('\n');
    std::fs::write(format!("{root}/predictions.txt"), &predictions)?;
    print!("{predictions}");
    Ok(())
}
