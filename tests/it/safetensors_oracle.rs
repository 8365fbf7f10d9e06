//! constnet's weight-file writer and reader against the `safetensors` crate
//! (`common::oracle`): the same bytes written, the same files accepted and refused, errors that
//! name odd and long keys whole. (The interop and load-error tests are in `safetensors.rs`.)
use crate::common;
use crate::safetensors::{load_fails, random};
use common::LeNet5Of as LeNet;
use common::gradcheck::Lcg;
use common::oracle;
use constnet::io::{self, Error};
use constnet::prelude::*;
use constnet::visit::{Module, Path, TensorInfo, Visitor};

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
