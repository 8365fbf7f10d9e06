//! Train LeNet-5 on the bundled MNIST and report the test accuracy.
//!
//! ```sh
//! cargo run --release --example mnist
//! ```
//!
//! Environment: `CONSTNET_THREADS` (data-parallel threads: 1, 2 or 4; default: the machine's
//! parallelism, at most 4), `CONSTNET_EPOCHS` (default 6), `CONSTNET_CHECKPOINTS` (a directory:
//! write a checkpoint after every epoch), `CONSTNET_RESUME` (a checkpoint file to continue
//! from), `CONSTNET_CURVE` (write the learning curves to this PNG file), `CONSTNET_SAVE` (write
//! the trained weights to this safetensors file).
//!
//! The batch is always 64 samples per optimizer step (64 × 1, 32 × 2 or 16 × 4 threads), so
//! the result does not depend on the number of cores (up to the order of float additions).

use constnet::Tensor;
use constnet::data::{MNIST, Split, load_idx_split};
use constnet::models::LeNet5;
use constnet::optim::schedule::CosineAnnealing;
use constnet::optim::{Adam, AdamConfig};
use constnet::train::{History, TrainConfig, Trainer};
use std::time::Instant;

fn env_usize(name: &str) -> Option<usize> {
    std::env::var(name).ok().and_then(|v| v.parse().ok())
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let started = Instant::now();
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/data/mnist");
    let train = load_idx_split(dir, Split::Train)?;
    let test = load_idx_split(dir, Split::Test)?;
    println!(
        "MNIST: {} training and {} test images ({:.2} s to load)",
        train.len(),
        test.len(),
        started.elapsed().as_secs_f64()
    );

    let threads = env_usize("CONSTNET_THREADS")
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
        .clamp(1, 4);
    let threads = if threads == 3 { 2 } else { threads };
    let epochs = env_usize("CONSTNET_EPOCHS").unwrap_or(6);

    let mut net = constnet::init::seeded::<LeNet5, f32>(1);
    let mut adam = Adam::<LeNet5>::boxed(AdamConfig::new(2e-3));
    let schedule = CosineAnnealing {
        lr: 2e-3,
        min_lr: 5e-5,
        t_max: epochs,
    };
    let mut config = TrainConfig::new(epochs).seed(1).threads(threads);
    if let Ok(dir) = std::env::var("CONSTNET_CHECKPOINTS") {
        config = config.checkpoints(dir);
    }
    if let Ok(path) = std::env::var("CONSTNET_RESUME") {
        config = config.resume_from(path);
    }
    if let Ok(path) = std::env::var("CONSTNET_CURVE") {
        config = config.curve(path);
    }
    println!("LeNet-5, Adam with cosine learning rate 2e-3 → 5e-5, batch 64, {threads} thread(s)");

    let history: History = match threads {
        1 => Trainer::<Tensor<64, 1, 28, 28>>::new(config)
            .fit(&mut *net, &mut *adam, &schedule, &train, &test, &MNIST)?,
        2 => Trainer::<Tensor<32, 1, 28, 28>>::new(config)
            .fit(&mut *net, &mut *adam, &schedule, &train, &test, &MNIST)?,
        _ => Trainer::<Tensor<16, 1, 28, 28>>::new(config)
            .fit(&mut *net, &mut *adam, &schedule, &train, &test, &MNIST)?,
    };

    if let Ok(path) = std::env::var("CONSTNET_SAVE") {
        constnet::io::save(&mut *net, &path)?;
        println!("weights saved to {path}");
    }
    let last = history.last().ok_or("no epoch was run")?;
    println!(
        "final test accuracy: {:.2}% ({} epochs, {} thread(s)); training time {:.1} s, total {:.1} s",
        100.0 * last.test_accuracy,
        history.len(),
        threads,
        history.train_seconds(),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}
