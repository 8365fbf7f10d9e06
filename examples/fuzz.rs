//! A mutation fuzzer for constnet's parsers, on stable Rust (`cargo-fuzz` needs nightly):
//! IDX images and labels, CIFAR-10 batches (raw and gzip) and safetensors weight files (the std
//! reader `io::from_bytes` and the allocation-free `io::load_bytes`, against each other and
//! against the `safetensors` crate's reader, the oracle).
//!
//! ```text
//! cargo run --release --example fuzz -- 1000000        # a million inputs, seed 1
//! cargo run --release --example fuzz -- 20000 7        # CI's short run, another seed
//! ```
//!
//! Each input is a valid file from a small corpus (built here with the library's own writers and
//! by hand) put through 1 to 4 random mutations: bit flips, bytes set to boundary values, runs
//! of random bytes, insertions, deletions, truncations, duplicated chunks, splices of two files,
//! and, for safetensors, header edits (numbers in the JSON replaced by boundary values, dtype
//! names swapped). Data files are gzip-compressed before the mutations one time in four and
//! after them one time in four, so the parsers see damaged gzip streams as well as valid
//! streams with damaged contents.
//!
//! What must hold for every input, or the run fails (exit code 1, the input written to
//! `target/fuzz-failures/`):
//! * no parser panics;
//! * a dataset that parses is consistent (`pixels = len · sample_len`, labels below the class
//!   count, images of the announced size);
//! * the two weight readers agree: both accept (and load the same values) or both refuse with the
//!   same error; a refused file leaves the model unchanged; an accepted one saves and loads again;
//! * they refuse as malformed exactly the files the `safetensors` crate refuses (but a tensor
//!   name twice, see `tests/it/common/oracle.rs`), and a loaded model holds the tensors the
//!   crate reads.

#[path = "../tests/it/common/files.rs"]
mod files;
#[path = "../tests/it/common/oracle.rs"]
#[allow(dead_code)]
mod oracle;
use files::{cifar, gzip, idx_images, idx_labels};

use constnet::data::{idx_dataset, parse_cifar10, parse_idx_images, parse_idx_labels};
use constnet::io;
use constnet::kernels::dropout::splitmix64;
use constnet::models::LeNet5;
use constnet::prelude::*;
use std::collections::BTreeMap;
use std::panic::{AssertUnwindSafe, catch_unwind};

/// A small network: its whole file is a few hundred bytes, so mutations often hit the header.
type Small = (Conv2d<1, 2, 3>, Relu, Flatten, Linear<32, 3>);
/// Batch norm: buffers and an integer counter (`num_batches_tracked`, dtype `I64`).
type Norm = (Conv2d<1, 2, 3>, BatchNorm2d<2>, Flatten, Linear<18, 2>);

/// Dropout's SplitMix64: deterministic, seedable, the same on every platform.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        splitmix64(&mut self.0)
    }
    /// Uniform in `0..n` (`n > 0`).
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn chance(&mut self, one_in: usize) -> bool {
        self.below(one_in) == 0
    }
}

/// The parser an input is for.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug)]
enum Target {
    IdxImages,
    IdxLabels,
    IdxDataset,
    Cifar,
    SmallWeights,
    NormWeights,
    LeNetWeights,
}

const TARGETS: [Target; 7] = [
    Target::IdxImages,
    Target::IdxLabels,
    Target::IdxDataset,
    Target::Cifar,
    Target::SmallWeights,
    Target::NormWeights,
    Target::LeNetWeights,
];

/// A model with every value random in ±1 (and batch-norm variances positive).
fn random<M: Module<f32> + Zeroable>(seed: u64) -> Box<M> {
    let mut m = M::boxed();
    let mut rng = Rng(seed);
    m.for_each_tensor(|_, v| {
        v.iter_mut()
            .for_each(|w| *w = (rng.next() >> 40) as f32 / (1u64 << 23) as f32 - 1.0)
    });
    m
}

fn weights<M: Module<f32> + Zeroable>(seed: u64) -> Vec<u8> {
    io::to_bytes(&mut *random::<M>(seed)).expect("a model saves")
}

/// The valid files each target's inputs start from.
fn corpus(t: Target) -> Vec<Vec<u8>> {
    match t {
        Target::IdxImages => vec![
            idx_images(2, 1, 2, 0),
            idx_images(3, 4, 5, 9),
            idx_images(0, 28, 28, 0),
        ],
        Target::IdxLabels => vec![idx_labels(3, 1), idx_labels(0, 0), idx_labels(17, 4)],
        // An image file and a label file, joined: split at a random point when run.
        Target::IdxDataset => vec![
            [idx_images(3, 2, 2, 5), idx_labels(3, 2)].concat(),
            [idx_images(1, 3, 1, 1), idx_labels(1, 7)].concat(),
        ],
        Target::Cifar => vec![cifar(1, 3), cifar(2, 250)],
        Target::SmallWeights => vec![weights::<Small>(1), weights::<Small>(2)],
        Target::NormWeights => vec![weights::<Norm>(3)],
        Target::LeNetWeights => vec![weights::<LeNet5>(4)],
    }
}

const INTERESTING: [u8; 10] = [0, 1, 0x7f, 0x80, 0xff, b'"', b'{', b'}', b',', b'9'];
const DTYPES: [&[u8]; 8] = [
    b"F32", b"F64", b"F16", b"BF16", b"I64", b"U8", b"BOOL", b"F8_E4M3",
];
const NUMBERS: [&[u8]; 8] = [
    b"0",
    b"1",
    b"4294967296",
    b"18446744073709551615",
    b"18446744073709551616",
    b"9223372036854775807",
    b"-1",
    b"1e3",
];

/// Replaces one run of ASCII digits (or one dtype name) of the safetensors header.
fn header_edit(f: &mut Vec<u8>, rng: &mut Rng) {
    let Some(len) = f
        .get(..8)
        .map(|b| u64::from_le_bytes(b.try_into().expect("8 bytes")))
    else {
        return;
    };
    let end = (8 + len.min(f.len() as u64) as usize).min(f.len());
    if end <= 8 {
        return;
    }
    let at = 8 + rng.below(end - 8);
    if rng.chance(2) {
        // The digits around `at` (if any) become a boundary value.
        let is_digit = |b: &u8| b.is_ascii_digit();
        if !is_digit(&f[at]) {
            return;
        }
        let start = f[..at]
            .iter()
            .rposition(|b| !is_digit(b))
            .map_or(0, |i| i + 1);
        let stop = f[at..]
            .iter()
            .position(|b| !is_digit(b))
            .map_or(f.len(), |i| at + i);
        let new = NUMBERS[rng.below(NUMBERS.len())];
        f.splice(start..stop, new.iter().copied());
    } else if let Some(q) = f[8..end]
        .windows(3)
        .position(|w| w == b"F32" || w == b"I64")
    {
        let new = DTYPES[rng.below(DTYPES.len())];
        f.splice(8 + q..8 + q + 3, new.iter().copied());
    }
}

/// One random mutation of `f`; `other` is another file of the corpus, for splices.
fn mutate(f: &mut Vec<u8>, other: &[u8], weights: bool, rng: &mut Rng) {
    let len = f.len();
    match rng.below(if weights { 10 } else { 9 }) {
        0 if len > 0 => {
            let i = rng.below(len);
            f[i] ^= 1 << rng.below(8);
        }
        1 if len > 0 => {
            let i = rng.below(len);
            f[i] = INTERESTING[rng.below(INTERESTING.len())];
        }
        2 if len > 0 => {
            let i = rng.below(len);
            let n = (1 + rng.below(8)).min(len - i);
            for b in &mut f[i..i + n] {
                *b = rng.next() as u8;
            }
        }
        3 => {
            let i = rng.below(len + 1);
            let n = 1 + rng.below(16);
            let bytes: Vec<u8> = (0..n).map(|_| rng.next() as u8).collect();
            f.splice(i..i, bytes);
        }
        4 if len > 0 => {
            let i = rng.below(len);
            let n = (1 + rng.below(16)).min(len - i);
            f.drain(i..i + n);
        }
        5 => f.truncate(rng.below(len + 1)),
        6 if len > 0 => {
            let i = rng.below(len);
            let n = (1 + rng.below(64)).min(len - i);
            let chunk = f[i..i + n].to_vec();
            let at = rng.below(len + 1);
            f.splice(at..at, chunk);
        }
        7 if !other.is_empty() => {
            let cut = rng.below(len + 1);
            let from = rng.below(other.len());
            f.truncate(cut);
            f.extend_from_slice(&other[from..]);
        }
        8 if len >= 4 => {
            // A big-endian or little-endian 32-bit field set to a boundary value.
            let i = rng.below(len - 3);
            let v: u32 = [0, 1, 0x7fff_ffff, 0xffff_ffff, 0x1_0000, 3073][rng.below(6)];
            let b = if rng.chance(2) {
                v.to_be_bytes()
            } else {
                v.to_le_bytes()
            };
            f[i..i + 4].copy_from_slice(&b);
        }
        9 => header_edit(f, rng),
        _ => {}
    }
}

/// What a run of one input gave: `Ok(outcome)` (a short name for the histogram) or a broken
/// property.
type Outcome = Result<String, String>;

/// The first word of an error's description: enough to tell the kinds apart in the summary.
fn kind(e: &impl std::fmt::Debug) -> String {
    let d = format!("{e:?}");
    let end = d.find(|c: char| !c.is_alphanumeric()).unwrap_or(d.len());
    format!("error {}", &d[..end])
}

fn check_dataset(d: &constnet::data::Dataset, classes: usize) -> Outcome {
    let [c, h, w] = d.shape();
    if d.sample_len() != c * h * w || d.pixels().len() != d.len() * d.sample_len() {
        return Err(format!(
            "inconsistent dataset: {:?}, {} samples",
            d.shape(),
            d.len()
        ));
    }
    if d.labels().len() != d.len() || d.labels().iter().any(|&l| l as usize >= classes) {
        return Err("labels out of range or miscounted".into());
    }
    Ok("ok".into())
}

/// Loads `bytes` into a model with both readers (see the module documentation).
fn weights_agree<M: Module<f32> + Zeroable>(bytes: &[u8]) -> Outcome {
    let mut m = random::<M>(7);
    let before = io::to_bytes(&mut *m).map_err(|e| e.to_string())?;
    let mut raw = random::<M>(7);
    let raw_result = io::load_bytes(&mut *raw, bytes);
    let std_result = io::from_bytes(&mut *m, bytes);
    let malformed = match &std_result {
        Err(io::Error::Malformed { reason }) => Some(reason.as_str()),
        _ => None,
    };
    oracle::check_verdict(bytes, malformed)?;
    let after = |m: &mut M| io::to_bytes(m).map_err(|e| e.to_string());
    match (&std_result, &raw_result) {
        (Ok(()), Ok(())) => {
            let saved = after(&mut m)?;
            if saved != after(&mut raw)? {
                return Err("the two readers loaded different values".into());
            }
            oracle::check_loaded(bytes, &saved)?;
            io::from_bytes(&mut *random::<M>(8), &saved)
                .map_err(|e| format!("a re-saved file does not load: {e}"))?;
            Ok("ok".into())
        }
        (Err(e), Err(r)) => {
            if after(&mut m)? != before || after(&mut raw)? != before {
                return Err(format!("a refused file changed the model: {e} / {r}"));
            }
            if e.to_string() != r.to_string() {
                return Err(format!("the readers disagree: `{e}` / `{r}`"));
            }
            Ok(kind(e))
        }
        (Ok(()), Err(r)) => Err(format!("load_bytes refused what from_bytes loads: {r}")),
        (Err(e), Ok(())) => Err(format!("load_bytes loaded what from_bytes refuses: {e}")),
    }
}

fn run(t: Target, input: &[u8], split: usize) -> Outcome {
    match t {
        Target::IdxImages => match parse_idx_images(input) {
            Ok(img) if img.pixels.len() != img.count * img.rows * img.cols => {
                Err("image count × size ≠ pixels".into())
            }
            Ok(_) => Ok("ok".into()),
            Err(e) => Ok(kind(&e)),
        },
        Target::IdxLabels => Ok(parse_idx_labels(input).map_or_else(|e| kind(&e), |_| "ok".into())),
        Target::IdxDataset => {
            let (images, labels) = input.split_at(split.min(input.len()));
            match idx_dataset(images, labels, 10) {
                Ok(d) => check_dataset(&d, 10),
                Err(e) => Ok(kind(&e)),
            }
        }
        Target::Cifar => match parse_cifar10(input) {
            Ok(d) => check_dataset(&d, 10),
            Err(e) => Ok(kind(&e)),
        },
        Target::SmallWeights => weights_agree::<Small>(input),
        Target::NormWeights => weights_agree::<Norm>(input),
        Target::LeNetWeights => weights_agree::<LeNet5>(input),
    }
}

fn main() {
    let mut args = std::env::args().skip(1);
    let iterations: u64 = args.next().map_or(100_000, |a| {
        a.replace('_', "").parse().expect("iterations: a number")
    });
    let seed: u64 = args
        .next()
        .map_or(1, |a| a.parse().expect("seed: a number"));
    // Panics are caught and reported below; keep their default message off the terminal.
    std::panic::set_hook(Box::new(|_| {}));

    let corpora: Vec<Vec<Vec<u8>>> = TARGETS.iter().map(|&t| corpus(t)).collect();
    // Every corpus file passes its own checks (the fuzzer starts from valid inputs).
    for (t, files) in TARGETS.iter().zip(&corpora) {
        for f in files {
            let split = f.len() - idx_labels_len(*t, f);
            match run(*t, f, split) {
                Ok(o) if o == "ok" => {}
                other => panic!("corpus file of {t:?} does not parse: {other:?}"),
            }
        }
    }

    let mut rng = Rng(seed);
    let mut outcomes: BTreeMap<(Target, String), u64> = BTreeMap::new();
    let mut failures = 0u64;
    let start = std::time::Instant::now();
    for i in 0..iterations {
        let ti = rng.below(TARGETS.len());
        let t = TARGETS[ti];
        let files = &corpora[ti];
        let base = &files[rng.below(files.len())];
        let weights = matches!(
            t,
            Target::SmallWeights | Target::NormWeights | Target::LeNetWeights
        );
        // Data files: compressed before the mutations one time in four (damaged gzip
        // streams), after them one time in four (valid streams of damaged contents).
        let gzip_when = if weights { 0 } else { rng.below(4) };
        let mut input = if gzip_when == 1 {
            gzip(base)
        } else {
            base.clone()
        };
        let other = &files[rng.below(files.len())];
        for _ in 0..1 + rng.below(4) {
            mutate(&mut input, other, weights, &mut rng);
        }
        if gzip_when == 2 {
            input = gzip(&input);
        }
        // Where the image file ends in a joined IDX pair: mostly where it did, sometimes not.
        let split = if rng.chance(8) {
            rng.below(input.len() + 1)
        } else {
            base.len() - idx_labels_len(t, base)
        };
        let outcome =
            catch_unwind(AssertUnwindSafe(|| run(t, &input, split))).unwrap_or_else(|p| {
                let msg = p
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
                    .unwrap_or_default();
                Err(format!("panic: {msg}"))
            });
        match outcome {
            Ok(o) => *outcomes.entry((t, o)).or_default() += 1,
            Err(why) => {
                failures += 1;
                let dir =
                    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/fuzz-failures");
                let _ = std::fs::create_dir_all(&dir);
                let path = dir.join(format!("{t:?}-{seed}-{i}.bin"));
                let _ = std::fs::write(&path, &input);
                eprintln!(
                    "FAIL {t:?} input {i} (split {split}): {why} → {}",
                    path.display()
                );
            }
        }
    }
    let secs = start.elapsed().as_secs_f64();

    println!("{iterations} inputs (seed {seed}) in {secs:.1} s, {failures} failures");
    println!("{:<14} {:>9}  outcome", "target", "inputs");
    for ((t, o), n) in &outcomes {
        println!("{:<14} {n:>9}  {o}", format!("{t:?}"));
    }
    if failures > 0 {
        std::process::exit(1);
    }
}

/// The length of the label file at the end of a joined IDX pair (0 for other targets).
fn idx_labels_len(t: Target, f: &[u8]) -> usize {
    if t != Target::IdxDataset {
        return 0;
    }
    // The label file is the last `8 + n` bytes, `n` its count (big-endian at its offset 4).
    let images = 16
        + f.get(4..16)
            .map(|h| {
                h.chunks(4)
                    .map(|c| u32::from_be_bytes(c.try_into().expect("4 bytes")) as usize)
                    .product::<usize>()
            })
            .unwrap_or(0);
    f.len().saturating_sub(images)
}
