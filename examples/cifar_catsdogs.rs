//! Cats versus dogs: a small CNN on the bundled CIFAR-10 cat/dog subset (1 600 training and
//! 400 test images, 32×32 RGB), trained from scratch.
//!
//! ```sh
//! cargo run --release --example cifar_catsdogs
//! ```
//!
//! Environment: `CONSTNET_THREADS` (1, 2 or 4; default: the machine's parallelism, at most 4),
//! `CONSTNET_EPOCHS` (default 15), `CONSTNET_CURVE` (write the learning curves to this PNG).

use constnet::Tensor;
use constnet::data::{CIFAR10_CLASSES, Normalization, load_cifar10};
use constnet::optim::schedule::CosineAnnealing;
use constnet::optim::{Adam, AdamConfig};
use constnet::prelude::*;
use constnet::train::{History, TrainConfig, Trainer};
use std::time::Instant;

/// Three conv–BN–ReLU–max-pool stages (32 → 16 → 8 → 4), then a linear classifier.
type CatsDogs = (
    (
        Conv2d<3, 16, 3, 1, 1, NoBias>,
        BatchNorm2d<16>,
        Relu,
        MaxPool2d<2>,
    ),
    (
        Conv2d<16, 32, 3, 1, 1, NoBias>,
        BatchNorm2d<32>,
        Relu,
        MaxPool2d<2>,
    ),
    (
        Conv2d<32, 32, 3, 1, 1, NoBias>,
        BatchNorm2d<32>,
        Relu,
        MaxPool2d<2>,
    ),
    Flatten,
    Linear<{ 32 * 4 * 4 }, 2>,
);

fn env_usize(name: &str) -> Option<usize> {
    std::env::var(name).ok().and_then(|v| v.parse().ok())
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let started = Instant::now();
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/data/cifar10-catsdogs-subset");
    // Labels 3 (cat) and 5 (dog) of CIFAR-10, relabelled 0 and 1.
    let keep = [3, 5];
    let train = load_cifar10(&[format!("{dir}/catsdogs_train.bin.gz")])?.select_classes(&keep)?;
    let test = load_cifar10(&[format!("{dir}/catsdogs_test.bin.gz")])?.select_classes(&keep)?;
    let names = keep.map(|c| CIFAR10_CLASSES[usize::from(c)]);
    println!(
        "CIFAR-10 {} vs {}: {} training images {:?}, {} test images {:?}",
        names[0],
        names[1],
        train.len(),
        train.class_counts(),
        test.len(),
        test.class_counts()
    );
    let norm = Normalization::<3>::from_dataset(&train)?;

    let threads = env_usize("CONSTNET_THREADS")
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
        .clamp(1, 4);
    let threads = if threads == 3 { 2 } else { threads };
    let epochs = env_usize("CONSTNET_EPOCHS").unwrap_or(15);

    let mut net = constnet::init::seeded::<CatsDogs, f32>(3);
    println!(
        "network: {} parameters, batch 32, {threads} thread(s)",
        net.num_params()
    );
    let mut adam = Adam::<CatsDogs>::boxed(AdamConfig::new(2e-3).weight_decay(5e-4));
    let schedule = CosineAnnealing {
        lr: 2e-3,
        min_lr: 1e-5,
        t_max: epochs,
    };
    let mut config = TrainConfig::new(epochs).seed(3).threads(threads);
    config.update_every = 5;
    if let Ok(path) = std::env::var("CONSTNET_CURVE") {
        config = config.curve(path);
    }
    let history: History = match threads {
        1 => Trainer::<Tensor<32, 3, 32, 32>>::new(config)
            .fit(&mut *net, &mut *adam, &schedule, &train, &test, &norm)?,
        2 => Trainer::<Tensor<16, 3, 32, 32>>::new(config)
            .fit(&mut *net, &mut *adam, &schedule, &train, &test, &norm)?,
        _ => Trainer::<Tensor<8, 3, 32, 32>>::new(config)
            .fit(&mut *net, &mut *adam, &schedule, &train, &test, &norm)?,
    };
    let last = history.last().ok_or("no epoch was run")?;
    println!(
        "final test accuracy: {:.2}% ({} of {} test images; best epoch {:.2}%); training time {:.1} s, total {:.1} s",
        100.0 * last.test_accuracy,
        (f64::from(last.test_accuracy) * test.len() as f64).round(),
        test.len(),
        100.0 * history.best_test_accuracy(),
        history.train_seconds(),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}
