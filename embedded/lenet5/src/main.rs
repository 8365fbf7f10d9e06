//! LeNet-5 on bundled MNIST test digits, with no standard library and no allocator.
//!
//! The network, its inference arena and the input live in `static`s built at compile time
//! (`Zeroable::ZERO`, `arena_len`); the weights are the bytes of a safetensors file included in
//! the binary, read in place (`io::load_bytes`). Everything here is safe code; the platform glue
//! (entry point, output) is in `host.rs` (Linux) or `board.rs` (bare metal, Cortex-M).
#![no_std]
#![no_main]
#![deny(unsafe_code)]

#[cfg(target_os = "none")]
mod board;
#[cfg(not(target_os = "none"))]
mod host;

use constnet::io::load_bytes;
use constnet::layer::arena_len;
use constnet::models::LeNet5;
use constnet::{Layer, Tensor, Zeroable};
use core::fmt::Write;
use static_cell::ConstStaticCell;

type Image = Tensor<1, 1, 28, 28>;
type Logits = Tensor<1, 10, 1, 1>;

/// Values of scratch one inference needs: a constant of the network type.
const ARENA: usize = arena_len::<LeNet5, Image>();

static NET: ConstStaticCell<LeNet5> = ConstStaticCell::new(LeNet5::ZERO);
static SCRATCH: ConstStaticCell<[f32; ARENA]> = ConstStaticCell::new([0.0; ARENA]);

/// Trained weights (`cargo run --release --example mnist` with `CONSTNET_SAVE`).
static WEIGHTS: &[u8] = include_bytes!("../assets/lenet5.safetensors");
/// MNIST test digits: `n` images of 28 × 28 bytes, then their `n` labels.
static DIGITS: &[u8] = include_bytes!("../assets/digits.bin");

/// MNIST's normalisation (`constnet::data::MNIST`): `(v / 255 − 0.1307) / 0.3081`.
fn normalize(v: u8) -> f32 {
    (f32::from(v) / 255.0 - 0.1307) / 0.3081
}

/// Classifies every bundled digit; prints the predictions and how many are right. Returns the
/// process's exit status.
fn run(out: &mut impl Write) -> i32 {
    let net = NET.take();
    let scratch = SCRATCH.take();
    if let Err(e) = load_bytes(net, WEIGHTS) {
        let _ = writeln!(out, "cannot load the weights: {e}");
        return 1;
    }
    let n = DIGITS.len() / (Image::SAMPLE_LEN + 1);
    let (images, labels) = DIGITS.split_at(n * Image::SAMPLE_LEN);
    let mut x = Image::ZERO;
    let mut y = Logits::ZERO;
    let mut correct = 0;
    let _ = write!(out, "predictions:");
    for (image, &label) in images.chunks_exact(Image::SAMPLE_LEN).zip(labels) {
        for (v, &p) in x.as_mut_slice().iter_mut().zip(image) {
            *v = normalize(p);
        }
        if let Err(e) = net.infer(&x, &mut y, scratch) {
            let _ = writeln!(out, "\ncannot run: {e}");
            return 1;
        }
        let digit = argmax(y.as_slice());
        correct += usize::from(digit == usize::from(label));
        let _ = write!(out, " {digit}");
    }
    let _ = writeln!(out, "\ncorrect: {correct} of {n} (arena: {ARENA} values)");
    0
}

/// The index of the largest value (the first on ties).
fn argmax(v: &[f32]) -> usize {
    let mut best = 0;
    for (i, &x) in v.iter().enumerate() {
        if x > v[best] {
            best = i;
        }
    }
    best
}
