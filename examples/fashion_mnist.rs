//! Train a small CNN with batch normalisation and a residual block on the bundled
//! Fashion-MNIST, report the test accuracy and draw the learning curves.
//!
//! ```sh
//! cargo run --release --example fashion_mnist
//! ```
//!
//! Writes `docs/fashion_mnist_learning_curve.png`. Environment: `CONSTNET_THREADS` (1, 2 or
//! 4; default: the machine's parallelism, at most 4), `CONSTNET_EPOCHS` (default 8),
//! `CONSTNET_CHECKPOINTS` (a directory for per-epoch checkpoints).

use constnet::Tensor;
use constnet::data::{FASHION_MNIST, Split, load_idx_split};
use constnet::optim::schedule::CosineAnnealing;
use constnet::optim::{Adam, AdamConfig};
use constnet::prelude::*;
use constnet::train::{History, TrainConfig, Trainer};
use std::time::Instant;

/// 28×28 → 14×14 → 7×7, then a residual block at 7×7 and a linear classifier:
/// `conv3×3(1→16) BN ReLU maxpool, conv3×3(16→16) BN ReLU maxpool,
///  [conv3×3 BN ReLU conv3×3 BN] + identity, ReLU, flatten, linear(784→10)`.
type FashionNet = (
    (
        Conv2d<1, 16, 3, 1, 1, NoBias>,
        BatchNorm2d<16>,
        Relu,
        MaxPool2d<2>,
    ),
    (
        Conv2d<16, 16, 3, 1, 1, NoBias>,
        BatchNorm2d<16>,
        Relu,
        MaxPool2d<2>,
    ),
    Residual<(
        Conv2d<16, 16, 3, 1, 1, NoBias>,
        BatchNorm2d<16>,
        Relu,
        Conv2d<16, 16, 3, 1, 1, NoBias>,
        BatchNorm2d<16>,
    )>,
    Relu,
    Flatten,
    Linear<{ 16 * 7 * 7 }, 10>,
);

fn env_usize(name: &str) -> Option<usize> {
    std::env::var(name).ok().and_then(|v| v.parse().ok())
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let started = Instant::now();
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/data/fashion-mnist");
    let train = load_idx_split(dir, Split::Train)?;
    let test = load_idx_split(dir, Split::Test)?;
    println!(
        "Fashion-MNIST: {} training and {} test images",
        train.len(),
        test.len()
    );
    let threads = env_usize("CONSTNET_THREADS")
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
        .clamp(1, 4);
    let threads = if threads == 3 { 2 } else { threads };
    let epochs = env_usize("CONSTNET_EPOCHS").unwrap_or(8);

    let mut net = constnet::init::seeded::<FashionNet, f32>(7);
    println!(
        "network: {} parameters, batch 64, {threads} thread(s)",
        net.num_params()
    );
    let mut adam = Adam::<FashionNet>::boxed(AdamConfig::new(3e-3));
    let schedule = CosineAnnealing {
        lr: 3e-3,
        min_lr: 1e-5,
        t_max: epochs,
    };
    let curve = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/docs/fashion_mnist_learning_curve.png"
    );
    std::fs::create_dir_all(concat!(env!("CARGO_MANIFEST_DIR"), "/docs"))?;
    let mut config = TrainConfig::new(epochs)
        .seed(7)
        .threads(threads)
        .curve(curve);
    if let Ok(dir) = std::env::var("CONSTNET_CHECKPOINTS") {
        config = config.checkpoints(dir);
    }
    let history: History = match threads {
        1 => Trainer::<Tensor<64, 1, 28, 28>>::new(config).fit(
            &mut *net,
            &mut *adam,
            &schedule,
            &train,
            &test,
            &FASHION_MNIST,
        )?,
        2 => Trainer::<Tensor<32, 1, 28, 28>>::new(config).fit(
            &mut *net,
            &mut *adam,
            &schedule,
            &train,
            &test,
            &FASHION_MNIST,
        )?,
        _ => Trainer::<Tensor<16, 1, 28, 28>>::new(config).fit(
            &mut *net,
            &mut *adam,
            &schedule,
            &train,
            &test,
            &FASHION_MNIST,
        )?,
    };
    let last = history.last().ok_or("no epoch was run")?;
    println!(
        "final test accuracy: {:.2}% ({} epochs); training time {:.1} s, total {:.1} s; learning curve: {curve}",
        100.0 * last.test_accuracy,
        history.len(),
        history.train_seconds(),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}
