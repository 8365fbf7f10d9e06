//! Prints the summary of a few networks: layers, output shapes, parameters, FLOPs and the exact
//! memory of inference and of a training step, all computed from the types.
//!
//! `cargo run --release --example summary`
use constnet::models::{LeNet5, ResNet18};
use constnet::optim::Adam;
use constnet::prelude::*;
use constnet::summary::summary;
use core::mem::size_of;

fn main() {
    let mut lenet = LeNet5::boxed();
    println!(
        "LeNet-5, batch 1\n{}",
        summary::<Tensor<1, 1, 28, 28>, _>(&mut *lenet)
    );
    training_memory::<LeNet5, Tensor<1, 1, 28, 28>>("LeNet-5, batch 1");
    training_memory::<LeNet5, Tensor<64, 1, 28, 28>>("LeNet-5, batch 64");
    training_memory::<ResNet18, Tensor<8, 3, 224, 224>>("ResNet-18, batch 8, 224×224");
}

/// Exact bytes of one training step with Adam: model + workspace (gradients, trace, output and
/// its gradient) + the optimizer's two moment buffers. The input batch is the caller's.
fn training_memory<L: Layer<X> + Zeroable, X: Batch>(what: &str) {
    let model = size_of::<L>();
    let workspace = size_of::<Workspace<L, X>>();
    let adam = size_of::<Adam<L>>();
    println!(
        "{what}: model {model} B + workspace {workspace} B + Adam state {adam} B = {} B ({:.2} MiB)",
        model + workspace + adam,
        (model + workspace + adam) as f64 / (1 << 20) as f64
    );
}
