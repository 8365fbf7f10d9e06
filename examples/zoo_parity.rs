//! Zoo parity: torchvision's models, saved at seeded random initialisation by
//! `tests/fixtures/torch-zoo/gen_zoo.py`, loaded unchanged into the `constnet::models` type of
//! the same name; the eval-mode logits against PyTorch's.
//!
//! ```sh
//! python3 tests/fixtures/torch-zoo/gen_zoo.py --out target/zoo      # torch + torchvision
//! cargo run --release --example zoo_parity --features zoo-parity -- target/zoo
//! # only some models (`gen_zoo.py`'s names), e.g. the one file written by
//! # `gen_zoo.py --out target/zoo inception_v3`:
//! cargo run --release --example zoo_parity --features zoo-parity -- target/zoo inception_v3
//! ```
//!
//! Prints one row per model: parameters (constnet / torchvision), whether the state dict
//! loaded unchanged, and the largest logit difference relative to the largest logit. Exits with
//! an error if any model checked is missing, fails to load or differs by more than 1e-5 of the
//! largest logit. (A feature of its own: the zoo's forward passes take minutes to compile, which
//! `cargo test` should not pay for every example.)

use constnet::models::*;
use constnet::prelude::*;
use safetensors::SafeTensors;
use std::path::Path;

type Img = Tensor<1, 3, 224, 224>;
/// Inception-v3's input.
type Img299 = Tensor<1, 3, 299, 299>;
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

/// Loads `dir/name.safetensors` into a fresh `L` and compares its logits on the saved input,
/// of type `X`.
fn check<L, X>(dir: &Path, name: &'static str, manifest: &serde_json::Value) -> Row
where
    L: Layer<X, Output = Logits> + Module<f32> + Zeroable,
    X: Batch<Elem = f32>,
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
        let mut x = X::boxed();
        let saved = floats(&io, "x")?;
        if saved.len() != X::NUMEL {
            return Err(format!(
                "{name}.io.safetensors: x has {} values, not {}",
                saved.len(),
                X::NUMEL
            ));
        }
        x.flat_mut().copy_from_slice(&saved);
        let want = floats(&io, "logits")?;
        let mut y = Logits::boxed();
        let mut arena = vec![0.0f32; arena_len::<L, X>()];
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
    type Check = fn(&Path, &'static str, &serde_json::Value) -> Row;
    let models: [(&'static str, Check); 12] = [
        ("resnet18", check::<ResNet18, Img>),
        ("resnet34", check::<ResNet34, Img>),
        ("resnet50", check::<ResNet50, Img>),
        ("resnext50_32x4d", check::<ResNeXt50, Img>),
        ("densenet121", check::<DenseNet121, Img>),
        ("googlenet", check::<GoogLeNet, Img>),
        ("alexnet", check::<AlexNet, Img>),
        ("vgg11", check::<Vgg11, Img>),
        ("vgg16", check::<Vgg16, Img>),
        ("mobilenet_v2", check::<MobileNetV2, Img>),
        ("mobilenet_v3_large", check::<MobileNetV3Large, Img>),
        ("inception_v3", check::<InceptionV3, Img299>),
    ];
    // The models named after the folder, or all of them.
    let only: Vec<String> = std::env::args().skip(2).collect();
    if let Some(unknown) = only.iter().find(|o| !models.iter().any(|(m, _)| m == o)) {
        let names: Vec<&str> = models.iter().map(|(m, _)| *m).collect();
        eprintln!("no model {unknown:?} (models: {})", names.join(", "));
        std::process::exit(2)
    }
    let rows: Vec<Row> = models
        .iter()
        .filter(|(m, _)| only.is_empty() || only.iter().any(|o| o == m))
        .map(|&(name, check)| check(dir, name, &manifest))
        .collect();
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
