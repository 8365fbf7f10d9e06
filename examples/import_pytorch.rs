//! Load LeNet-5 weights saved by PyTorch (`safetensors.torch.save_file(model.state_dict())`)
//! into `constnet::models::LeNet5` and classify the fixture's input, next to the logits
//! PyTorch computed for it.
//!
//! ```sh
//! cargo run --release --example import_pytorch
//! ```
//!
//! The fixture (`tests/fixtures/torch-safetensors/lenet5_sequential.*`, written by
//! `gen_safetensors_fixtures.py`) is an `nn.Sequential` LeNet-5 with seeded random weights: its
//! keys `0.weight` … `11.bias` are the indices of the layers, exactly the names of the tuple
//! chain `LeNet5`. The `.json` file holds the input batch and PyTorch's logits.

use constnet::Tensor;
use constnet::loss::argmax;
use constnet::models::LeNet5;
use constnet::prelude::*;

type Batch = Tensor<4, 1, 28, 28>;

/// The flat `data` of a tensor in the fixture's JSON.
fn floats(v: &serde_json::Value) -> Result<Vec<f32>, Box<dyn std::error::Error>> {
    v["data"]
        .as_array()
        .ok_or("tensor without data")?
        .iter()
        .map(|x| {
            x.as_f64()
                .map(|x| x as f32)
                .ok_or_else(|| "not a number".into())
        })
        .collect()
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/torch-safetensors"
    );
    let weights = format!("{dir}/lenet5_sequential.safetensors");

    // Load: every key present, no key extra, every shape and dtype checked, or an error naming
    // the key (and the model is left untouched).
    let mut net = LeNet5::boxed();
    constnet::io::load(&mut *net, &weights)?;
    println!("loaded {weights}: {} parameters", net.num_params());
    net.for_each_tensor(|info, v| {
        println!(
            "  {:<10} {:?} ({} values)",
            info.path.to_string(),
            info.shape,
            v.len()
        );
    });

    let json: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(format!(
        "{dir}/lenet5_sequential.json"
    ))?)?;
    let mut x = Batch::boxed();
    x.copy_from_slice(&floats(&json["inputs"]["x"])?)?;
    let torch = floats(&json["outputs"]["logits"])?;

    let mut ws = Workspace::<LeNet5, Batch>::boxed();
    let logits = ws.infer(&net, &x);
    let ours = argmax(logits);
    let mut theirs = Tensor::<4, 10, 1, 1>::zeros();
    theirs.copy_from_slice(&torch)?;
    let theirs = argmax(&theirs);

    let mut max_diff = 0f32;
    for (n, (ours, theirs)) in ours.iter().zip(theirs).enumerate() {
        let row = logits.sample(n);
        let diff = row
            .iter()
            .zip(&torch[n * 10..(n + 1) * 10])
            .fold(0f32, |m, (a, b)| m.max((a - b).abs()));
        max_diff = max_diff.max(diff);
        println!(
            "sample {n}: constnet predicts class {ours}, PyTorch class {theirs}; logits {:.4?} (max |Δ| vs PyTorch {diff:.1e})",
            row
        );
    }
    let agree = ours == theirs;
    println!(
        "predictions {} PyTorch's; largest logit difference {max_diff:.1e}",
        if agree { "match" } else { "DIFFER FROM" }
    );
    if !agree || max_diff > 1e-4 {
        return Err("the imported model does not reproduce PyTorch's output".into());
    }
    Ok(())
}
