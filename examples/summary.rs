//! Prints the summary of a few networks: layers, output shapes, parameters, FLOPs and the exact
//! memory of inference and of a training step, all computed from the types.
//!
//! `cargo run --release --example summary`
use constnet::layer::arena_len;
use constnet::models::{LeNet5, MobileNetV1, ResNet18, ResNet50};
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
    println!();
    inference_memory::<LeNet5, Tensor<1, 1, 28, 28>>("LeNet-5, batch 1");
    inference_memory::<ResNet18, Tensor<1, 3, 224, 224>>("ResNet-18, batch 1, 224×224");
    inference_memory::<ResNet50, Tensor<1, 3, 224, 224>>("ResNet-50, batch 1, 224×224");
    inference_memory::<MobileNetV1, Tensor<1, 3, 224, 224>>("MobileNetV1, batch 1, 224×224");
}

/// Exact bytes of trace-free inference (`Layer::infer`): model + arena, beside the trace that
/// `Layer::forward` would use instead of the arena. The input and output are the caller's.
fn inference_memory<L: Layer<X> + Zeroable, X: Batch<Elem = f32>>(what: &str) {
    let model = size_of::<L>();
    let arena = arena_len::<L, X>() * size_of::<f32>();
    let trace = size_of::<L::Trace>();
    println!(
        "{what}: inference = model {model} B + arena {arena} B = {:.2} MiB (a trace would be {trace} B)",
        (model + arena) as f64 / (1 << 20) as f64
    );
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
