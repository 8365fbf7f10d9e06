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
fn random<M: Module<f32> + Zeroable>(seed: u64) -> Box<M> {
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
fn load_fails<M: Module<f32>>(model: &mut M, bytes: &[u8]) -> Error {
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

// ----- constnet's writer and reader against the safetensors crate (`common::oracle`) -----

/// An element's little-endian bytes and dtype, written here independently of the library.
trait Le: Copy {
    const DTYPE: &'static str;
    fn le(self) -> Vec<u8>;
}
impl Le for f32 {
    const DTYPE: &'static str = "F32";
    fn le(self) -> Vec<u8> {
        self.to_le_bytes().to_vec()
    }
}
impl Le for f64 {
    const DTYPE: &'static str = "F64";
    fn le(self) -> Vec<u8> {
        self.to_le_bytes().to_vec()
    }
}

/// The tensors and counters of `model`, in visit order, as the crate's writer takes them.
fn tensors_of<E: Le, M: Module<E>>(model: &mut M) -> Vec<oracle::Tensor> {
    struct Gather(Vec<oracle::Tensor>);
    impl<E: Le> Visitor<E, 1> for Gather {
        fn tensor(&mut self, info: TensorInfo<'_>, [v]: [&mut [E]; 1]) {
            let data = v.iter().flat_map(|x| x.le()).collect();
            let dtype = E::DTYPE.to_string();
            self.0
                .push((info.path.to_string(), dtype, info.shape.to_vec(), data));
        }
        fn counter(&mut self, path: &Path<'_>, [v]: [&mut u64; 1]) {
            let data = i64::try_from(*v).unwrap().to_le_bytes().to_vec();
            self.0.push((path.to_string(), "I64".into(), vec![], data));
        }
    }
    let mut g = Gather(Vec::new());
    M::visit([model], &Path::Root, &mut g);
    g.0
}

/// A file's JSON header, as text.
fn header_text(file: &[u8]) -> String {
    let len = u64::from_le_bytes(file[..8].try_into().unwrap()) as usize;
    String::from_utf8_lossy(&file[8..8 + len]).into_owned()
}

/// Asserts that constnet writes `model` as the crate does, byte for byte; returns the bytes.
fn writes_like_the_crate<E: Le + io::WeightElement, M: Module<E>>(model: &mut M) -> Vec<u8> {
    let ours = io::to_bytes(model).unwrap();
    let theirs = oracle::crate_writes(&tensors_of(model)).unwrap();
    assert!(
        ours == theirs,
        "constnet's header:\n{}\nthe crate's:\n{}",
        header_text(&ours),
        header_text(&theirs)
    );
    ours
}

#[test]
fn the_writer_writes_the_crates_bytes() {
    writes_like_the_crate(&mut *random::<LeNet>(21));
    let mut net = LeNet::<f64>::boxed();
    let mut rng = Lcg(22);
    net.for_each_tensor(|_, v| v.iter_mut().for_each(|w| *w = rng.next()));
    writes_like_the_crate(&mut *net);
    // Batch norm: `I64` counters among `F32` tensors. The crate stores the counters first (its
    // dtype order), although `0.weight` comes before `1.num_batches_tracked` by name.
    let mut bn = random::<constnet::models::CifarBnNet>(23);
    bn.1.num_batches_tracked = 3;
    bn.5.num_batches_tracked = 1 << 40;
    let bytes = writes_like_the_crate(&mut *bn);
    assert!(
        header_text(&bytes).starts_with(r#"{"1.num_batches_tracked":{"dtype":"I64""#),
        "{}",
        header_text(&bytes)
    );
    // No tensor at all: `{}` and six spaces.
    let empty = writes_like_the_crate::<f32, _>(&mut Flatten);
    assert_eq!(empty, b"\x08\0\0\0\0\0\0\0{}      ");
    io::from_bytes::<f32, _>(&mut Flatten, &empty).unwrap();
}

/// 150 bytes: longer than [`io::Name`] holds.
const LONG: &str = concat!(
    "a.long.name.0123456789012345678901234567890123456789012345678901234567890123456789",
    "012345678901234567890123456789012345678901234567890123456789.weight"
);

/// Names that JSON escapes (quotes, backslashes, control characters), and some it does not:
/// `/`, DEL, non-ASCII text, U+2028, the empty name, and a name longer than [`io::Name`].
const ODD: [&str; 10] = [
    "quote\"d",
    "back\\slash",
    "slash/ok",
    "ctl\u{0}\u{1}\u{1f}\u{7f}",
    "ws \t\n\r\u{8}\u{c}",
    "é",
    "日本語 😀",
    "line\u{2028}separator",
    "",
    LONG,
];

/// A hand-written module with odd names: a tensor of shape `[2]` per name of [`ODD`], a scalar,
/// an empty tensor, and a counter with a quote in its name.
#[derive(Default, Debug, PartialEq)]
struct Odd {
    w: [[f32; 2]; 10],
    scalar: [f32; 1],
    empty: [f32; 0],
    n: u64,
}

impl Module<f32> for Odd {
    fn visit<V: Visitor<f32, K>, const K: usize>(
        mut m: [&mut Self; K],
        path: &Path<'_>,
        v: &mut V,
    ) {
        for (i, name) in ODD.iter().enumerate() {
            let p = path.field(name);
            v.tensor(
                TensorInfo::param(&p, &[2], 2),
                m.each_mut().map(|l| &mut l.w[i][..]),
            );
        }
        let p = path.field("scalar");
        v.tensor(
            TensorInfo::param(&p, &[], 1),
            m.each_mut().map(|l| &mut l.scalar[..]),
        );
        let p = path.field("empty");
        v.tensor(
            TensorInfo::param(&p, &[0, 3], 1),
            m.each_mut().map(|l| &mut l.empty[..]),
        );
        let p = path.field("count\"er");
        v.counter(&p, m.map(|l| &mut l.n));
    }
}

fn odd() -> Odd {
    let mut m = Odd {
        scalar: [7.5],
        n: 42,
        ..Odd::default()
    };
    for (i, w) in m.w.iter_mut().enumerate() {
        *w = [i as f32, -(i as f32) / 4.0];
    }
    m
}

#[test]
fn odd_names_are_written_like_the_crate_and_read_back() {
    let mut m = odd();
    let bytes = writes_like_the_crate(&mut m);
    let header = header_text(&bytes);
    for escaped in [
        r#""quote\"d""#,
        r#""back\\slash""#,
        r#""slash/ok""#,
        "\"ctl\\u0000\\u0001\\u001f\u{7f}\"",
        r#""ws \t\n\r\b\f""#,
        "\"日本語 😀\"",
        "\"line\u{2028}separator\"",
        r#""":"#,
        r#""count\"er""#,
    ] {
        assert!(header.contains(escaped), "{escaped} in {header}");
    }
    // The crate reads the names back as they were.
    let names: Vec<String> = oracle::crate_reads(&bytes)
        .unwrap()
        .into_iter()
        .map(|t| t.0)
        .collect();
    let mut expected: Vec<String> = ODD.iter().map(|s| s.to_string()).collect();
    expected.extend(["scalar", "empty", "count\"er"].map(String::from));
    expected.sort();
    assert_eq!(names, expected);
    // And so does constnet, with either reader.
    let mut back = Odd::default();
    io::from_bytes(&mut back, &bytes).unwrap();
    assert_eq!(back, m);
    let mut raw = Odd::default();
    io::load_bytes(&mut raw, &bytes).unwrap();
    assert_eq!(raw, m);
}

/// The tensors of `odd()`'s file, changed by `edit`, written by the crate.
fn odd_file(edit: impl FnOnce(&mut Vec<oracle::Tensor>)) -> Vec<u8> {
    let mut tensors = tensors_of(&mut odd());
    edit(&mut tensors);
    oracle::crate_writes(&tensors).unwrap()
}

#[test]
fn errors_name_odd_and_long_keys_whole() {
    // `from_bytes` names the 150-byte key whole; `load_bytes` its first 120 bytes.
    let file = odd_file(|t| t.retain(|t| t.0 != LONG));
    let mut m = Odd::default();
    let err = io::from_bytes(&mut m, &file).unwrap_err();
    assert!(
        matches!(&err, Error::MissingKey { key, .. } if key == LONG),
        "{err:?}"
    );
    let raw = io::load_bytes(&mut m, &file).unwrap_err();
    assert_eq!(raw.key(), Some(&LONG[..120]));
    assert!(
        raw.to_string().contains(&format!("{}…", &LONG[..120])),
        "{raw}"
    );
    assert_eq!(m, Odd::default());

    // Keys with escapes, in errors, are the names themselves.
    let file = odd_file(|t| {
        let q = t.iter_mut().find(|t| t.0 == "quote\"d").unwrap();
        q.2 = vec![1, 2];
    });
    let err = load_fails(&mut m, &file);
    assert!(
        matches!(&err, Error::WrongShape { key, found, .. } if key == "quote\"d" && found == &[1, 2]),
        "{err:?}"
    );
    // Of two unexpected keys, the first by name is reported (the `F64` one comes first in the
    // file).
    let file = odd_file(|t| {
        t.push(("zz\n".into(), "F64".into(), vec![1], vec![0; 8]));
        t.push(("y\"".into(), "F32".into(), vec![1], vec![0; 4]));
    });
    let err = load_fails(&mut m, &file);
    assert!(
        matches!(&err, Error::UnexpectedKey { key, found } if key == "y\"" && found == &[1]),
        "{err:?}"
    );
}

/// A name of 1 MiB.
static MEBI_NAME: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| "n".repeat(1 << 20));

/// `N` empty tensors named `{MEBI_NAME}.{i}`: a header of about `N` MiB.
struct Wide<const N: usize>;

impl<const N: usize> Module<f32> for Wide<N> {
    fn visit<V: Visitor<f32, K>, const K: usize>(_: [&mut Self; K], path: &Path<'_>, v: &mut V) {
        let name = path.field(MEBI_NAME.as_str());
        for i in 0..N {
            let p = name.index(i);
            v.tensor(
                TensorInfo::param(&p, &[0], 1),
                [(); K].map(|_| <&mut [f32]>::default()),
            );
        }
    }
}

#[test]
fn the_header_limit_is_the_crates() {
    // Writing: 95 MiB of header is written (as the crate writes it), 96 MiB (above 10⁸ bytes)
    // refused, as the crate refuses it.
    let bytes = writes_like_the_crate(&mut Wide::<95>);
    assert!((99_000_000..100_000_000).contains(&(bytes.len() - 8)));
    drop(bytes);
    let err = io::to_bytes(&mut Wide::<96>).unwrap_err();
    assert!(
        matches!(&err, Error::Serialize { reason } if reason == "header too large"),
        "{err:?}"
    );
    assert_eq!(
        oracle::crate_writes(&tensors_of(&mut Wide::<96>)),
        Err("header too large".to_string())
    );

    // Reading: `{}` and spaces, a valid header of any length. 10⁸ bytes are read, 10⁸ + 8 not.
    let empty = |len: usize| {
        let mut header = b"{}".to_vec();
        header.resize(len, b' ');
        [&(len as u64).to_le_bytes()[..], &header].concat()
    };
    let at_limit = empty(100_000_000);
    assert!(oracle::crate_reads(&at_limit).is_some());
    io::from_bytes::<f32, _>(&mut Flatten, &at_limit).unwrap();
    drop(at_limit);
    let over = empty(100_000_008);
    assert_eq!(oracle::crate_reads(&over), None);
    let err = io::from_bytes::<f32, _>(&mut Flatten, &over).unwrap_err();
    assert!(err.to_string().contains("longer than 100 MB"), "{err}");
}

/// A module with one tensor, `a`, of shape `[2]`.
#[derive(Default)]
struct One([f32; 2]);

impl Module<f32> for One {
    fn visit<V: Visitor<f32, K>, const K: usize>(m: [&mut Self; K], path: &Path<'_>, v: &mut V) {
        let p = path.field("a");
        v.tensor(TensorInfo::param(&p, &[2], 2), m.map(|l| &mut l.0[..]));
    }
}

/// What a file is to the readers.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Verdict {
    /// Read, and loaded into [`One`].
    Loads,
    /// Read, but with tensors [`One`] does not have.
    Reads,
    /// Refused as malformed.
    Malformed,
}

#[test]
fn the_reader_accepts_what_the_crate_accepts() {
    use Verdict::*;
    let a = r#""dtype":"F32","shape":[2],"data_offsets":[0,8]"#;
    let with_a = |rest: &str| format!(r#"{{"a":{{{a}}}{rest}}}"#);
    let field = |f: &str| format!(r#"{{"a":{{{a},{f}}}}}"#);
    let offsets = |o: &str| format!(r#"{{"a":{{"dtype":"F32","shape":[2],"data_offsets":{o}}}}}"#);
    let dtype = |d: &str| format!(r#"{{"a":{{"dtype":{d},"shape":[2],"data_offsets":[0,8]}}}}"#);
    let metadata = |m: &str| format!(r#"{{"__metadata__":{m},"a":{{{a}}}}}"#);
    // `x` nested in `n` arrays: the header's object is level 1, `a`'s level 2.
    let nested = |n: usize| field(&format!(r#""x":{}{}"#, "[".repeat(n), "]".repeat(n)));
    let f4 = |shape: &str, end: u8| {
        with_a(&format!(
            r#","b":{{"dtype":"F4","shape":{shape},"data_offsets":[8,{end}]}}"#
        ))
    };
    let cases: Vec<(String, Verdict, usize)> = vec![
        (with_a(""), Loads, 8),
        (
            " \t\n\r{ \"a\" : { \"dtype\" : \"F32\" , \"shape\" : [ 2 ] , \"data_offsets\" : [ 0 , 8 ] } } \n".into(),
            Loads,
            8,
        ),
        // Any field order, other fields (any JSON) ignored.
        (
            r#"{"a":{"data_offsets":[0,8],"":{},"x":[1,-0.5e-3,{"y":null,"z":[true,false,"s\"\u00e9\ud83d\ude00"]}],"shape":[2],"dtype":"F32"}}"#.into(),
            Loads,
            8,
        ),
        // Escapes in the key, a field name, the dtype.
        (
            r#"{"\u0061":{"d\u0074ype":"F\u00332","shape":[2],"data_offsets":[0,8]}}"#.into(),
            Loads,
            8,
        ),
        (metadata(r#"{"format":"pt","k\n":"\ud83d\ude00"}"#), Loads, 8),
        (metadata("null"), Loads, 8),
        (metadata("{}"), Loads, 8),
        // serde's sequence form of a tensor, and its map form of a dtype.
        (r#"{"a":["F32",[2],[0,8]]}"#.into(), Loads, 8),
        (dtype(r#"{"F32":null}"#), Loads, 8),
        (nested(125), Loads, 8),
        (field(r#""x":1.5e308,"y":0e999999,"z":-1e-999,"w":-0"#), Loads, 8),
        // Sub-byte elements that fill their bytes.
        (f4("[2]", 9), Reads, 9),
        // Refused by both.
        (nested(126), Malformed, 8),
        (field(r#""x":1e309"#), Malformed, 8),
        (field(r#""x":10e308"#), Malformed, 8),
        (field(r#""x":01"#), Malformed, 8),
        (field(r#""x":1."#), Malformed, 8),
        (field(r#""x":tru"#), Malformed, 8),
        (field(r#""dtype":"F32""#), Malformed, 8),
        (offsets("[0,08]"), Malformed, 8),
        (offsets("[-0,8]"), Malformed, 8),
        (offsets("[0.0,8]"), Malformed, 8),
        (offsets("[0,8e0]"), Malformed, 8),
        (offsets("[0,8,8]"), Malformed, 8),
        (offsets("[8,0]"), Malformed, 8),
        (offsets("[0,18446744073709551616]"), Malformed, 8),
        (r#"{"a":{"dtype":"F32","data_offsets":[0,8]}}"#.into(), Malformed, 8),
        (dtype(r#""F33""#), Malformed, 8),
        (dtype(r#""f32""#), Malformed, 8),
        (dtype(r#"{"F32":1}"#), Malformed, 8),
        (dtype(r#"{"F32":{}}"#), Malformed, 8),
        (dtype(r#"{"F32":null,"F64":null}"#), Malformed, 8),
        (r#"{"a":["F32",[2]]}"#.into(), Malformed, 8),
        (r#"{"a":["F32",[2],[0,8],1]}"#.into(), Malformed, 8),
        (r#"{"a":5}"#.into(), Malformed, 8),
        (r#"{"\x61":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}"#.into(), Malformed, 8),
        (format!("{{\"a\u{1}\":{{{a}}}}}"), Malformed, 8),
        (metadata(r#"{"k":"\ud800"}"#), Malformed, 8),
        (metadata(r#"{"k":"\udc00"}"#), Malformed, 8),
        (metadata(r#"{"k":"\ud800\u0041"}"#), Malformed, 8),
        (metadata(r#"{"k":1}"#), Malformed, 8),
        (metadata("[]"), Malformed, 8),
        (with_a(r#","__metadata__":{},"__metadata__":{}"#), Malformed, 8),
        (with_a("") + " x", Malformed, 8),
        (with_a("") + "\0", Malformed, 8),
        ("[]".into(), Malformed, 0),
        ("".into(), Malformed, 0),
        ("   ".into(), Malformed, 0),
        // Twelve bits: not a whole number of bytes.
        (f4("[3]", 10), Malformed, 10),
    ];
    for (header, verdict, data_len) in cases {
        let mut data = [1f32.to_le_bytes(), 2f32.to_le_bytes()].concat();
        data.resize(data_len, 0);
        let file = [
            &(header.len() as u64).to_le_bytes()[..],
            header.as_bytes(),
            &data,
        ]
        .concat();
        check_verdict(&file, verdict, &header);
    }
    // Invalid UTF-8 in a name.
    let mut header = with_a("").into_bytes();
    header[2] = 0xff;
    let file = [&(header.len() as u64).to_le_bytes()[..], &header, &[0; 8]].concat();
    check_verdict(&file, Malformed, "a name with the byte 0xff");

    // The one difference: a name twice. The crate keeps the last (here it tiles the data and
    // the file is read); constnet refuses the file.
    let header = with_a(&format!(r#","a":{{{a}}}"#));
    let file = [
        &(header.len() as u64).to_le_bytes()[..],
        header.as_bytes(),
        &[0; 8],
    ]
    .concat();
    assert!(oracle::crate_reads(&file).is_some());
    let err = io::from_bytes(&mut One::default(), &file).unwrap_err();
    assert!(
        err.to_string().contains("a tensor name appears twice"),
        "{err}"
    );
}

/// Asserts that the crate and both of constnet's readers give `file` the verdict `expected`.
fn check_verdict(file: &[u8], expected: Verdict, what: &str) {
    let read = oracle::crate_reads(file).is_some();
    assert_eq!(read, expected != Verdict::Malformed, "the crate on {what}");
    let mut m = One::default();
    let verdict = match io::from_bytes(&mut m, file) {
        Ok(()) => Verdict::Loads,
        Err(Error::Malformed { .. }) => Verdict::Malformed,
        Err(_) => Verdict::Reads,
    };
    assert_eq!(verdict, expected, "from_bytes on {what}");
    let mut raw = One::default();
    let raw_verdict = match io::load_bytes(&mut raw, file) {
        Ok(()) => Verdict::Loads,
        Err(io::BytesError::Malformed { .. }) => Verdict::Malformed,
        Err(_) => Verdict::Reads,
    };
    assert_eq!(raw_verdict, expected, "load_bytes on {what}");
    let loaded = if expected == Verdict::Loads {
        [1.0, 2.0]
    } else {
        [0.0; 2]
    };
    assert_eq!((m.0, raw.0), (loaded, loaded), "{what}");
}
