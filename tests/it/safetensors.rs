//! Weight files: PyTorch interop (fixtures in `tests/fixtures/torch-safetensors/`), exact round
//! trips, and one test per load error (each leaves the model unchanged).
use crate::common;

use common::fixture::assert_close_with;
use common::gradcheck::Lcg;
use common::oracle;
use constnet::io::{self, Error};
use constnet::prelude::*;
use constnet::visit::{Module, Path, TensorInfo, Visitor};
use safetensors::tensor::{Dtype, SafeTensors, TensorView};
use serde_json::Value;
use std::path::PathBuf;

// LeNet-5 exactly as the fixture's `nn.Sequential` (indices 0..=11), in f32 or f64.
use common::LeNet5Of as LeNet;

/// The same layer sequence, dense layers 120 → 100 wide: a different network type.
type NarrowLeNet = (
    Conv2d<1, 6, 5>,
    Relu,
    MaxPool2d<2>,
    Conv2d<6, 16, 5>,
    Relu,
    MaxPool2d<2>,
    Flatten,
    Linear<256, 100>,
    Relu,
    Linear<100, 84>,
    Relu,
    Linear<84, 10>,
);

fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/torch-safetensors")
}

fn lenet_file() -> Vec<u8> {
    std::fs::read(dir().join("lenet5_sequential.safetensors")).unwrap()
}

fn lenet_json() -> Value {
    serde_json::from_str(&std::fs::read_to_string(dir().join("lenet5_sequential.json")).unwrap())
        .unwrap()
}

fn floats(v: &Value) -> Vec<f32> {
    v["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap() as f32)
        .collect()
}

/// A model with every value set from a seeded generator (different from any file's values).
pub(crate) fn random<M: Module<f32> + Zeroable>(seed: u64) -> Box<M> {
    let mut m = M::boxed();
    let mut rng = Lcg(seed);
    m.for_each_tensor(|_, v| v.iter_mut().for_each(|w| *w = rng.next() as f32));
    m
}

/// Rebuilds a safetensors file from `bytes`, changing its tensor list with `edit`.
fn edit_file(
    bytes: &[u8],
    edit: impl FnOnce(&mut Vec<(String, Dtype, Vec<usize>, Vec<u8>)>),
) -> Vec<u8> {
    let st = SafeTensors::deserialize(bytes).unwrap();
    let mut tensors: Vec<_> = st
        .tensors()
        .into_iter()
        .map(|(k, t)| (k, t.dtype(), t.shape().to_vec(), t.data().to_vec()))
        .collect();
    edit(&mut tensors);
    let views: Vec<(String, TensorView<'_>)> = tensors
        .iter()
        .map(|(k, d, s, b)| (k.clone(), TensorView::new(*d, s.clone(), b).unwrap()))
        .collect();
    safetensors::serialize(views.iter().map(|(k, v)| (k.as_str(), v)), None).unwrap()
}

/// Asserts that loading `bytes` into `model` fails, that the model is unchanged, and returns
/// the error.
///
/// The allocation-free reader (`io::load_bytes`) must fail the same way: the same sentence, the
/// model unchanged. A malformed file must be one the `safetensors` crate refuses too.
pub(crate) fn load_fails<M: Module<f32>>(model: &mut M, bytes: &[u8]) -> Error {
    let before = io::to_bytes(model).unwrap();
    let raw = io::load_bytes(model, bytes).expect_err("the allocation-free load must fail");
    assert_eq!(io::to_bytes(model).unwrap(), before, "changed by: {raw}");
    let err = io::from_bytes(model, bytes).expect_err("the load must fail");
    assert_eq!(
        io::to_bytes(model).unwrap(),
        before,
        "model changed by a failed load: {err}"
    );
    assert_eq!(raw.key(), err.key());
    assert_eq!(raw.to_string(), err.to_string());
    if let Error::Malformed { reason } = &err {
        assert_eq!(
            oracle::crate_reads(bytes),
            None,
            "the crate reads it: {reason}"
        );
    }
    err
}

/// Loads fixture `name` into a fresh `L`, runs it in eval mode on the fixture's `x` and
/// compares the logits with PyTorch's (README tolerance rule). Also checks that saving the
/// loaded model gives back the PyTorch file byte for byte. Returns the model.
fn check_fixture<L, X>(name: &str) -> Box<L>
where
    L: Layer<X> + Zeroable,
    X: Batch<Elem = f32>,
    L::Output: Batch<Elem = f32>,
{
    let file = std::fs::read(dir().join(format!("{name}.safetensors"))).unwrap();
    let json: Value =
        serde_json::from_str(&std::fs::read_to_string(dir().join(format!("{name}.json"))).unwrap())
            .unwrap();
    let mut net = L::boxed();
    io::from_bytes(&mut *net, &file).unwrap();
    // The allocation-free reader loads the same values, allocating nothing.
    let mut raw = L::boxed();
    let (allocs, loaded) = common::alloc::count(|| io::load_bytes(&mut *raw, &file).is_ok());
    assert!(loaded, "{name}: load_bytes refused the file");
    assert_eq!(allocs, 0, "{name}: load_bytes allocated");
    assert_eq!(io::to_bytes(&mut *raw).unwrap(), file, "{name}: load_bytes");

    let x_data = floats(&json["inputs"]["x"]);
    let mut x = X::boxed();
    assert_eq!(x.flat().len(), x_data.len(), "{name}: input size");
    x.flat_mut().copy_from_slice(&x_data);
    let mut y = L::Output::boxed();
    let mut trace = L::Trace::boxed();
    net.forward(&x, &mut y, &mut trace);

    let tol = &json["tolerance"];
    assert_close_with(
        &format!("{name} logits"),
        y.flat(),
        &floats(&json["outputs"]["logits"]),
        tol["rtol"].as_f64().unwrap(),
        tol["atol_of_max"].as_f64().unwrap(),
    );
    // Same writer and ordering as `safetensors.torch.save_file`: byte-identical.
    assert_eq!(
        io::to_bytes(&mut *net).unwrap(),
        file,
        "{name}: re-saved bytes"
    );
    net
}

#[test]
fn pytorch_lenet_loads_and_matches_logits() {
    let net = check_fixture::<LeNet, Tensor<4, 1, 28, 28>>("lenet5_sequential");
    // The loaded weights are the file's: spot-check one value against the raw bytes.
    let file = lenet_file();
    let st = SafeTensors::deserialize(&file).unwrap();
    let b = st.tensor("9.bias").unwrap();
    let first = f32::from_le_bytes(b.data()[..4].try_into().unwrap());
    assert_eq!(net.9.bias[0], first);
}

#[test]
fn keys_are_pytorch_state_dict_keys() {
    let json = lenet_json();
    let mut net = LeNet::<f32>::boxed();
    let bytes = io::to_bytes(&mut *net).unwrap();
    let st = SafeTensors::deserialize(&bytes).unwrap();
    let mut ours: Vec<(String, Vec<usize>)> = st
        .tensors()
        .into_iter()
        .map(|(k, t)| (k, t.shape().to_vec()))
        .collect();
    ours.sort();
    let mut theirs: Vec<(String, Vec<usize>)> = json["state_dict"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| {
            let shape = v["shape"].as_array().unwrap();
            (
                k.clone(),
                shape.iter().map(|d| d.as_u64().unwrap() as usize).collect(),
            )
        })
        .collect();
    theirs.sort();
    assert_eq!(ours, theirs);
}

#[test]
fn saving_a_loaded_pytorch_file_gives_the_same_bytes() {
    // Same writer and ordering as `safetensors.torch.save_file`: byte-identical.
    let file = lenet_file();
    let mut net = LeNet::<f32>::boxed();
    io::from_bytes(&mut *net, &file).unwrap();
    assert_eq!(io::to_bytes(&mut *net).unwrap(), file);
}

#[test]
fn save_load_save_is_byte_identical() {
    let mut a = random::<LeNet>(1);
    let first = io::to_bytes(&mut *a).unwrap();
    let mut b = random::<LeNet>(2);
    assert_ne!(io::to_bytes(&mut *b).unwrap(), first);
    io::from_bytes(&mut *b, &first).unwrap();
    assert_eq!(io::to_bytes(&mut *b).unwrap(), first);
    // Bit-exact values, not just equal bytes on disk.
    assert_eq!(a.7.weight, b.7.weight);
    assert_eq!(a.11.bias, b.11.bias);
    // And the same again: deterministic.
    assert_eq!(io::to_bytes(&mut *a).unwrap(), first);
}

#[test]
fn f64_models_save_f64() {
    let mut net = LeNet::<f64>::boxed();
    let mut rng = Lcg(5);
    net.for_each_tensor(|_, v| v.iter_mut().for_each(|w| *w = rng.next()));
    let bytes = io::to_bytes(&mut *net).unwrap();
    let st = SafeTensors::deserialize(&bytes).unwrap();
    assert!(st.tensors().iter().all(|(_, t)| t.dtype() == Dtype::F64));
    let mut back = LeNet::<f64>::boxed();
    io::from_bytes(&mut *back, &bytes).unwrap();
    assert_eq!(net.3.weight, back.3.weight);
    assert_eq!(io::to_bytes(&mut *back).unwrap(), bytes);
}

#[test]
fn path_wrappers_round_trip_and_report_io_errors() {
    let dir = std::env::temp_dir().join(format!("constnet-io-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("lenet.safetensors");
    let mut a = random::<LeNet>(3);
    io::save(&mut *a, &path).unwrap();
    assert_eq!(
        std::fs::read(&path).unwrap(),
        io::to_bytes(&mut *a).unwrap()
    );
    let mut b = LeNet::<f32>::boxed();
    io::load(&mut *b, &path).unwrap();
    assert_eq!(a.0.weight, b.0.weight);
    std::fs::remove_dir_all(&dir).unwrap();

    let before = io::to_bytes(&mut *b).unwrap();
    let err = io::load(&mut *b, dir.join("missing.safetensors")).unwrap_err();
    assert!(matches!(err, Error::Io { .. }), "{err:?}");
    assert!(err.to_string().contains("missing.safetensors"), "{err}");
    assert!(std::error::Error::source(&err).is_some());
    assert_eq!(io::to_bytes(&mut *b).unwrap(), before);
}

#[test]
fn missing_key() {
    let file = edit_file(&lenet_file(), |t| t.retain(|(k, ..)| k != "11.bias"));
    let mut net = random::<LeNet>(4);
    let err = load_fails(&mut *net, &file);
    match &err {
        Error::MissingKey { key, expected } => {
            assert_eq!(key, "11.bias");
            assert_eq!(expected, &[10]);
        }
        other => panic!("expected MissingKey, got {other:?}"),
    }
    assert_eq!(err.key(), Some("11.bias"));
    assert_eq!(
        err.to_string(),
        "missing key `11.bias`: the model has a tensor of shape [10] that the file lacks"
    );
}

#[test]
fn extra_key() {
    let file = edit_file(&lenet_file(), |t| {
        t.push(("12.weight".into(), Dtype::F32, vec![2, 3], vec![0; 24]));
    });
    let mut net = random::<LeNet>(5);
    let err = load_fails(&mut *net, &file);
    match &err {
        Error::UnexpectedKey { key, found } => {
            assert_eq!(key, "12.weight");
            assert_eq!(found, &[2, 3]);
        }
        other => panic!("expected UnexpectedKey, got {other:?}"),
    }
    assert_eq!(
        err.to_string(),
        "unexpected key `12.weight` (shape [2, 3]): the file has a tensor the model lacks"
    );
}

#[test]
fn wrong_shape() {
    // Same values, same byte count, reshaped [6, 1, 5, 5] → [6, 25].
    let file = edit_file(&lenet_file(), |t| {
        let w = t.iter_mut().find(|(k, ..)| k == "0.weight").unwrap();
        w.2 = vec![6, 25];
    });
    let mut net = random::<LeNet>(6);
    let err = load_fails(&mut *net, &file);
    match &err {
        Error::WrongShape {
            key,
            expected,
            found,
        } => {
            assert_eq!(key, "0.weight");
            assert_eq!(expected, &[6, 1, 5, 5]);
            assert_eq!(found, &[6, 25]);
        }
        other => panic!("expected WrongShape, got {other:?}"),
    }
    assert_eq!(
        err.to_string(),
        "wrong shape for `0.weight`: the model expects [6, 1, 5, 5], the file has [6, 25]"
    );
}

#[test]
fn pytorch_file_into_the_wrong_network_type() {
    let mut net = random::<NarrowLeNet>(7);
    let err = load_fails(&mut *net, &lenet_file());
    match &err {
        Error::WrongShape {
            key,
            expected,
            found,
        } => {
            assert_eq!(key, "7.weight");
            assert_eq!(expected, &[100, 256]);
            assert_eq!(found, &[120, 256]);
        }
        other => panic!("expected WrongShape, got {other:?}"),
    }
    assert_eq!(
        err.to_string(),
        "wrong shape for `7.weight`: the model expects [100, 256], the file has [120, 256]"
    );
}

#[test]
fn wrong_dtype() {
    // One tensor stored as F16 (2 bytes per value).
    let file = edit_file(&lenet_file(), |t| {
        let b = t.iter_mut().find(|(k, ..)| k == "3.bias").unwrap();
        b.1 = Dtype::F16;
        b.3.truncate(16 * 2);
    });
    let mut net = random::<LeNet>(8);
    let err = load_fails(&mut *net, &file);
    match &err {
        Error::WrongDtype {
            key,
            expected,
            found,
        } => {
            assert_eq!(key, "3.bias");
            assert_eq!(*expected, "F32");
            assert_eq!(found, "F16");
        }
        other => panic!("expected WrongDtype, got {other:?}"),
    }
    assert_eq!(
        err.to_string(),
        "wrong dtype for `3.bias`: the model expects F32, the file has F16"
    );
}

#[test]
fn f32_file_into_an_f64_model_is_a_dtype_error() {
    let mut net = LeNet::<f64>::boxed();
    net.0.bias[0] = 0.25;
    let err = io::from_bytes(&mut *net, &lenet_file()).unwrap_err();
    assert!(
        matches!(&err, Error::WrongDtype { key, expected: "F64", found } if key == "0.weight" && found == "F32"),
        "{err:?}"
    );
    assert_eq!(net.0.bias[0], 0.25);
    assert!(net.0.weight_flat().iter().all(|&w| w == 0.0));
}

#[test]
fn truncated_header() {
    let file = lenet_file();
    let mut net = random::<LeNet>(9);
    // Cut inside the JSON header.
    let err = load_fails(&mut *net, &file[..100]);
    assert!(matches!(err, Error::Malformed { .. }), "{err:?}");
    assert_eq!(
        err.to_string(),
        "malformed safetensors file: the header is longer than the file (at byte 0)"
    );
    assert_eq!(err.key(), None);
    // Shorter than the 8-byte length prefix.
    let err = load_fails(&mut *net, &file[..5]);
    assert_eq!(
        err.to_string(),
        "malformed safetensors file: the file is shorter than its 8-byte header length (at byte 0)"
    );
}

#[test]
fn truncated_data() {
    let file = lenet_file();
    let mut net = random::<LeNet>(10);
    let err = load_fails(&mut *net, &file[..file.len() - 1]);
    assert!(matches!(err, Error::Malformed { .. }), "{err:?}");
    assert!(
        err.to_string().contains("beyond the end of the file"),
        "{err}"
    );
}

#[test]
fn huge_offsets_are_malformed_not_a_panic() {
    // Eight tensors of 2^61 - 1 bytes: offsets up to 2^64 - 8 make the safetensors crate's
    // `buffer_end + 8 + header_len` overflow (a panic with overflow checks on).
    let size: u64 = (1 << 61) - 1;
    let entries: Vec<String> = (0..8u64)
        .map(|i| {
            format!(
                r#""t{i}":{{"dtype":"U8","shape":[{size}],"data_offsets":[{},{}]}}"#,
                i * size,
                (i + 1) * size
            )
        })
        .collect();
    let header = format!("{{{}}}", entries.join(","));
    let mut file = (header.len() as u64).to_le_bytes().to_vec();
    file.extend_from_slice(header.as_bytes());
    let mut net = random::<LeNet>(11);
    let err = load_fails(&mut *net, &file);
    assert!(matches!(err, Error::Malformed { .. }), "{err:?}");
    assert!(
        err.to_string().contains("beyond the end of the file"),
        "{err}"
    );
}

// ----- counters and module bugs, with a hand-written module -----

/// A module with one tensor and one counter, like a tiny batch norm.
#[derive(Default)]
struct Counted {
    w: [f32; 3],
    n: u64,
}

impl Module<f32> for Counted {
    fn visit<V: Visitor<f32, K>, const K: usize>(
        mut m: [&mut Self; K],
        path: &Path<'_>,
        v: &mut V,
    ) {
        let p = path.field("weight");
        v.tensor(
            TensorInfo::param(&p, &[3], 3),
            m.each_mut().map(|l| &mut l.w[..]),
        );
        let p = path.field("num_batches_tracked");
        v.counter(&p, m.map(|l| &mut l.n));
    }
}

fn counted_file(counter: Option<(Dtype, Vec<usize>, Vec<u8>)>) -> Vec<u8> {
    let w: Vec<u8> = [1.0f32, 2.0, 3.0]
        .iter()
        .flat_map(|v| v.to_le_bytes())
        .collect();
    let mut tensors = vec![("weight".to_string(), Dtype::F32, vec![3], w)];
    if let Some((d, s, b)) = counter {
        tensors.push(("num_batches_tracked".to_string(), d, s, b));
    }
    let views: Vec<(String, TensorView<'_>)> = tensors
        .iter()
        .map(|(k, d, s, b)| (k.clone(), TensorView::new(*d, s.clone(), b).unwrap()))
        .collect();
    safetensors::serialize(views.iter().map(|(k, v)| (k.as_str(), v)), None).unwrap()
}

#[test]
fn counters_are_int64_scalars_and_round_trip() {
    let mut m = Counted {
        w: [0.5, -1.0, 2.0],
        n: 1000,
    };
    let bytes = io::to_bytes(&mut m).unwrap();
    let st = SafeTensors::deserialize(&bytes).unwrap();
    let c = st.tensor("num_batches_tracked").unwrap();
    assert_eq!(c.dtype(), Dtype::I64);
    assert_eq!(c.shape(), &[] as &[usize]);
    assert_eq!(c.data(), &1000i64.to_le_bytes());
    let mut back = Counted::default();
    io::from_bytes(&mut back, &bytes).unwrap();
    assert_eq!((back.w, back.n), (m.w, 1000));
    assert_eq!(io::to_bytes(&mut back).unwrap(), bytes);
}

#[test]
fn absent_counter_is_accepted_and_kept() {
    let mut m = Counted { w: [0.0; 3], n: 7 };
    io::from_bytes(&mut m, &counted_file(None)).unwrap();
    assert_eq!((m.w, m.n), ([1.0, 2.0, 3.0], 7));
}

#[test]
fn counter_errors() {
    let mut m = Counted { w: [9.0; 3], n: 7 };
    let err = load_fails(
        &mut m,
        &counted_file(Some((Dtype::F32, vec![], 5f32.to_le_bytes().to_vec()))),
    );
    assert!(
        matches!(&err, Error::WrongDtype { key, expected: "I64", found } if key == "num_batches_tracked" && found == "F32"),
        "{err:?}"
    );
    let err = load_fails(
        &mut m,
        &counted_file(Some((Dtype::I64, vec![1], 5i64.to_le_bytes().to_vec()))),
    );
    assert!(
        matches!(&err, Error::WrongShape { key, expected, found } if key == "num_batches_tracked" && expected.is_empty() && found == &[1]),
        "{err:?}"
    );
    let err = load_fails(
        &mut m,
        &counted_file(Some((Dtype::I64, vec![], (-3i64).to_le_bytes().to_vec()))),
    );
    assert!(
        matches!(&err, Error::InvalidCounter { key, value: -3 } if key == "num_batches_tracked"),
        "{err:?}"
    );
    assert_eq!((m.w, m.n), ([9.0; 3], 7));

    m.n = u64::MAX;
    let err = io::to_bytes(&mut m).unwrap_err();
    assert!(matches!(err, Error::InvalidCounter { .. }), "{err:?}");
}

/// A buggy module: two tensors with the same name.
struct Twice([f32; 2]);
impl Module<f32> for Twice {
    fn visit<V: Visitor<f32, K>, const K: usize>(
        mut m: [&mut Self; K],
        path: &Path<'_>,
        v: &mut V,
    ) {
        let p = path.field("weight");
        v.tensor(
            TensorInfo::param(&p, &[1], 1),
            m.each_mut().map(|l| &mut l.0[..1]),
        );
        v.tensor(TensorInfo::param(&p, &[1], 1), m.map(|l| &mut l.0[1..]));
    }
}

#[test]
fn duplicate_names_are_a_module_error() {
    let err = io::to_bytes(&mut Twice([1.0, 2.0])).unwrap_err();
    assert!(
        matches!(&err, Error::InvalidModule { key, .. } if key == "weight"),
        "{err:?}"
    );
    // Loading into it: both readers refuse, naming the key, and leave it unchanged.
    let bytes = 3.0f32.to_le_bytes();
    let view = TensorView::new(Dtype::F32, vec![1], &bytes).unwrap();
    let file = safetensors::serialize([("weight", &view)], None).unwrap();
    let mut twice = Twice([1.0, 2.0]);
    let err = io::from_bytes(&mut twice, &file).unwrap_err();
    let raw = io::load_bytes(&mut twice, &file).unwrap_err();
    assert!(
        matches!(&err, Error::InvalidModule { key, .. } if key == "weight"),
        "{err:?}"
    );
    assert_eq!(raw.to_string(), err.to_string());
    assert_eq!(twice.0, [1.0, 2.0]);
}

/// PyTorch's `cifar_bn_sequential` (convolutions without bias, batch norm with non-trivial
/// running statistics and `num_batches_tracked`) loads into `CifarBnNet` and reproduces the
/// eval-mode logits; saving it again gives PyTorch's file byte for byte.
#[test]
fn pytorch_cifar_bn_loads_and_matches_logits() {
    use constnet::models::CifarBnNet;
    let net = check_fixture::<CifarBnNet, Tensor<2, 3, 32, 32>>("cifar_bn_sequential");
    // The file's int64 counters (1000 each, read with a plain safetensors reader).
    assert_eq!(net.1.num_batches_tracked, 1000);
    assert_eq!(net.5.num_batches_tracked, 1000);
}
