//! Zoo parity: torchvision's models, saved at seeded random initialisation by
//! `tests/fixtures/torch-zoo/gen_zoo.py`, loaded unchanged into the `constnet::models` type of
//! the same name; the eval-mode logits against PyTorch's.
//!
//! ```sh
//! python3 tests/fixtures/torch-zoo/gen_zoo.py --out target/zoo      # torch + torchvision
//! cargo run --release --example zoo_parity --features zoo-parity -- target/zoo
//! ```
//!
//! Prints one row per model: parameters (constnet / torchvision), whether the state dict
//! loaded unchanged, and the largest logit difference relative to the largest logit. Exits with
//! an error if any model is missing, fails to load or differs by more than 1e-5 of the largest
//! logit. (A feature of its own: the zoo's forward passes take minutes to compile, which `cargo
//! test` should not pay for every example.)

use constnet::models::*;
use constnet::prelude::*;
use safetensors::SafeTensors;
use std::path::Path;

type Img = Tensor<1, 3, 224, 224>;
type Logits = Tensor<1, 1000, 1, 1>;

/// What one model gave.
struct Row {
    name: &'static str,
    params: usize,
    torch_params: Option<u64>,
    result: Result<f32, String>,
}

/// Reads tensor `key` of an `.io.safetensors` file as `f32`s.
fn floats(file: &SafeTensors<'_>, key: &str) -> Result<Vec<f32>, String> {
    let t = file.tensor(key).map_err(|e| format!("{key}: {e}"))?;
    Ok(t.data()
        .chunks_exact(4)
        .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        .collect())
}

/// Loads `dir/name.safetensors` into a fresh `L` and compares its logits on the saved input.
fn check<L>(dir: &Path, name: &'static str, manifest: &serde_json::Value) -> Row
where
    L: Layer<Img, Output = Logits> + Module<f32> + Zeroable,
{
    let mut net = L::boxed();
    let params = net.num_params();
    let torch_params = manifest[name]["params"].as_u64();
    let result = (|| {
        constnet::io::load(&mut *net, dir.join(format!("{name}.safetensors")))
            .map_err(|e| e.to_string())?;
        let io = std::fs::read(dir.join(format!("{name}.io.safetensors")))
            .map_err(|e| format!("{name}.io.safetensors: {e}"))?;
        let io = SafeTensors::deserialize(&io).map_err(|e| e.to_string())?;
        let mut x = Img::boxed();
        x.as_mut_slice().copy_from_slice(&floats(&io, "x")?);
        let want = floats(&io, "logits")?;
        let mut y = Logits::boxed();
        let mut arena = vec![0.0f32; arena_len::<L, Img>()];
        net.infer(&x, &mut y, &mut arena)
            .map_err(|e| e.to_string())?;
        let largest = want.iter().fold(0f32, |m, v| m.max(v.abs()));
        let diff = y
            .as_slice()
            .iter()
            .zip(&want)
            .fold(0f32, |m, (a, b)| m.max((a - b).abs()));
        Ok(diff / largest)
    })();
    Row {
        name,
        params,
        torch_params,
        result,
    }
}

fn main() {
    let dir = std::env::args()
        .nth(1)
        .unwrap_or_else(|| concat!(env!("CARGO_MANIFEST_DIR"), "/target/zoo").into());
    let dir = Path::new(&dir);
    let manifest: serde_json::Value = std::fs::read_to_string(dir.join("manifest.json"))
        .ok()
        .and_then(|s| serde_json::from_str(&s).ok())
        .unwrap_or_else(|| {
            eprintln!(
                "no {}: run tests/fixtures/torch-zoo/gen_zoo.py --out {} first",
                dir.join("manifest.json").display(),
                dir.display()
            );
            std::process::exit(2)
        });
    let rows = [
        check::<ResNet18>(dir, "resnet18", &manifest),
        check::<ResNet34>(dir, "resnet34", &manifest),
        check::<ResNet50>(dir, "resnet50", &manifest),
        check::<ResNeXt50>(dir, "resnext50_32x4d", &manifest),
        check::<DenseNet121>(dir, "densenet121", &manifest),
        check::<GoogLeNet>(dir, "googlenet", &manifest),
        check::<AlexNet>(dir, "alexnet", &manifest),
        check::<Vgg11>(dir, "vgg11", &manifest),
        check::<Vgg16>(dir, "vgg16", &manifest),
        check::<MobileNetV2>(dir, "mobilenet_v2", &manifest),
        check::<MobileNetV3Large>(dir, "mobilenet_v3_large", &manifest),
    ];
    println!(
        "| model | params constnet / torchvision | loads unchanged | max |Δ logit| / max |logit| |"
    );
    println!("|---|---|---|---:|");
    let mut failed = 0;
    for r in &rows {
        let same = r.torch_params == Some(r.params as u64);
        let torch = r
            .torch_params
            .map_or_else(|| "–".to_string(), |p| p.to_string());
        let (loads, diff) = match &r.result {
            Ok(d) => ("yes".to_string(), format!("{d:.1e}")),
            Err(e) => (format!("no: {e}"), "–".to_string()),
        };
        let ok = same && matches!(r.result, Ok(d) if d <= 1e-5);
        failed += usize::from(!ok);
        println!(
            "| {} | {} / {} | {} | {} |",
            r.name, r.params, torch, loads, diff
        );
    }
    if failed > 0 {
        eprintln!("{failed} of {} models differ from torchvision", rows.len());
        std::process::exit(1);
    }
}
