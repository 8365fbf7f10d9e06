//! The weight loader never panics, whatever the bytes, and never changes the model when it
//! refuses a file: random bytes, truncations and bit flips of valid files, and random headers.
//! Its verdict is the `safetensors` crate's (`common::oracle`).
use crate::common;

use common::gradcheck::Lcg;
use common::oracle;
use constnet::io;
use constnet::prelude::*;
use proptest::prelude::*;
use proptest::test_runner::Config;
use std::path::PathBuf;

use constnet::models::LeNet5 as LeNet;

/// A small network: its whole file is a few hundred bytes, so flips often hit the header.
type Small = (Conv2d<1, 2, 3>, Relu, Flatten, Linear<32, 3>);

fn random<M: Module<f32> + Zeroable>(seed: u64) -> Box<M> {
    let mut m = M::boxed();
    let mut rng = Lcg(seed | 1);
    m.for_each_tensor(|_, v| v.iter_mut().for_each(|w| *w = rng.next() as f32));
    m
}

fn lenet_file() -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/torch-safetensors/lenet5_sequential.safetensors");
    std::fs::read(path).unwrap()
}

fn small_file() -> Vec<u8> {
    io::to_bytes(&mut *random::<Small>(42)).unwrap()
}

/// Loads `bytes` into a fresh model; on failure the model must be unchanged, on success a
/// re-save must load again. The file is malformed exactly when the `safetensors` crate refuses
/// it, and a loaded model holds the tensors the crate reads. The allocation-free reader
/// (`io::load_bytes`) must agree: the same files accepted, the same values loaded, the same
/// error, the model unchanged when it refuses.
fn try_load<M: Module<f32> + Zeroable>(bytes: &[u8]) -> Result<(), io::Error> {
    let mut m = random::<M>(7);
    let before = io::to_bytes(&mut *m).unwrap();
    let mut raw = random::<M>(7);
    let raw_result = io::load_bytes(&mut *raw, bytes);
    let std_result = io::from_bytes(&mut *m, bytes);
    let malformed = match &std_result {
        Err(io::Error::Malformed { reason }) => Some(reason.as_str()),
        _ => None,
    };
    if let Err(e) = oracle::check_verdict(bytes, malformed) {
        panic!("{e}");
    }
    let result = match std_result {
        Ok(()) => {
            let again = io::to_bytes(&mut *m).unwrap();
            io::from_bytes(&mut *random::<M>(8), &again).unwrap();
            if let Err(e) = oracle::check_loaded(bytes, &again) {
                panic!("{e}");
            }
            Ok(())
        }
        Err(e) => {
            assert_eq!(io::to_bytes(&mut *m).unwrap(), before, "changed by: {e}");
            let _ = e.to_string();
            Err(e)
        }
    };
    match (&result, &raw_result) {
        (Ok(()), Ok(())) => assert_eq!(
            io::to_bytes(&mut *raw).unwrap(),
            io::to_bytes(&mut *m).unwrap()
        ),
        (Err(e), Err(r)) => {
            assert_eq!(io::to_bytes(&mut *raw).unwrap(), before, "changed by: {r}");
            assert_eq!(e.key(), r.key(), "{e} / {r}");
            assert_eq!(e.to_string(), r.to_string());
        }
        (Ok(()), Err(r)) => panic!("load_bytes refused a file from_bytes loads: {r}"),
        (Err(e), Ok(())) => panic!("load_bytes loaded a file from_bytes refuses: {e}"),
    }
    result
}

fn config(cases: u32) -> Config {
    Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    }
}

proptest! {
    #![proptest_config(config(512))]

    #[test]
    fn random_bytes(bytes in prop::collection::vec(any::<u8>(), 0..2048)) {
        let _ = try_load::<Small>(&bytes);
        let _ = try_load::<LeNet>(&bytes);
    }

    #[test]
    fn random_bytes_behind_a_plausible_length(
        len in 0u64..4096,
        body in prop::collection::vec(any::<u8>(), 0..4096),
    ) {
        let mut bytes = len.to_le_bytes().to_vec();
        bytes.extend_from_slice(&body);
        let _ = try_load::<Small>(&bytes);
    }

    #[test]
    fn truncations(cut in any::<prop::sample::Index>()) {
        let file = small_file();
        let n = cut.index(file.len());
        prop_assert!(try_load::<Small>(&file[..n]).is_err());
        let file = lenet_file();
        let n = cut.index(file.len());
        prop_assert!(try_load::<LeNet>(&file[..n]).is_err());
    }

    #[test]
    fn bit_flips(flips in prop::collection::vec((any::<prop::sample::Index>(), 0u8..8), 1..6)) {
        let mut file = small_file();
        for (i, bit) in &flips {
            let i = i.index(file.len());
            file[i] ^= 1 << bit;
        }
        let _ = try_load::<Small>(&file);
    }

    #[test]
    fn header_bit_flips(flips in prop::collection::vec((any::<prop::sample::Index>(), 0u8..8), 1..4)) {
        // Flips in the length prefix and JSON header of the PyTorch file.
        let mut file = lenet_file();
        let header = 8 + u64::from_le_bytes(file[..8].try_into().unwrap()) as usize;
        for (i, bit) in &flips {
            let i = i.index(header);
            file[i] ^= 1 << bit;
        }
        let _ = try_load::<LeNet>(&file);
    }

    #[test]
    fn random_headers(
        tensors in prop::collection::vec(
            (
                prop::sample::select(vec!["0.weight", "0.bias", "3.weight", "x", "0.weight\\u0000"]),
                prop::sample::select(vec!["F32", "F64", "I64", "U8", "BOOL", "F4", "XX"]),
                prop::collection::vec(
                    prop_oneof![0u64..10, Just(u64::MAX), Just((1 << 61) - 1), any::<u64>()],
                    0..4,
                ),
                (
                    prop_oneof![0u64..64, Just(u64::MAX), any::<u64>()],
                    prop_oneof![0u64..64, Just(u64::MAX), Just(u64::MAX - 7), any::<u64>()],
                ),
            ),
            0..9,
        ),
        data_len in 0usize..256,
    ) {
        let entries: Vec<String> = tensors
            .iter()
            .map(|(name, dtype, shape, (a, b))| {
                format!(r#""{name}":{{"dtype":"{dtype}","shape":{shape:?},"data_offsets":[{a},{b}]}}"#)
            })
            .collect();
        let header = format!("{{{}}}", entries.join(","));
        let mut bytes = (header.len() as u64).to_le_bytes().to_vec();
        bytes.extend_from_slice(header.as_bytes());
        bytes.resize(bytes.len() + data_len, 0x3f);
        let _ = try_load::<Small>(&bytes);
        let _ = try_load::<LeNet>(&bytes);
    }
}

/// A JSON string (with its quotes) of random pieces: plain and non-ASCII characters, and every
/// kind of escape.
fn json_string() -> impl Strategy<Value = String> {
    let pieces = vec![
        "a",
        "é",
        "😀",
        "\\\"",
        "\\\\",
        "\\/",
        "\\b",
        "\\n",
        "\\u0041",
        "\\ud83d\\ude00",
        "\\uD83D\\uDE00",
    ];
    prop::collection::vec(prop::sample::select(pieces), 0..4)
        .prop_map(|v| format!("\"{}\"", v.concat()))
}

/// A JSON value of random shape: literals, numbers (some beyond `f64`: refused by both
/// readers), strings, arrays and objects.
fn json_value() -> impl Strategy<Value = String> {
    let numbers = vec![
        "0",
        "-0",
        "1.5",
        "-2e-3",
        "1E+2",
        "1e308",
        "1e309",
        "-1e400",
        "0e999",
        "12345678901234567890123",
    ];
    let leaf = prop_oneof![
        prop::sample::select(vec!["null", "true", "false"]).prop_map(String::from),
        prop::sample::select(numbers).prop_map(String::from),
        json_string(),
    ];
    leaf.prop_recursive(4, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(|v| format!("[{}]", v.join(","))),
            prop::collection::vec((json_string(), inner), 0..4).prop_map(|v| {
                let members: Vec<String> = v.iter().map(|(k, v)| format!("{k}:{v}")).collect();
                format!("{{{}}}", members.join(","))
            }),
        ]
    })
}

/// The header of `file` written again in one of the forms JSON and serde allow: random
/// whitespace, keys and dtypes with `\u` escapes, fields in any order, fields the readers ignore
/// (`extra`), serde's sequence form of a tensor and map form of a dtype, a `__metadata__`.
/// `seed` draws the choices.
fn rewrite_header(file: &[u8], seed: u64, extra: &[String], metadata: Option<&str>) -> Vec<u8> {
    let mut state = seed;
    let mut draw = |n: u64| constnet::kernels::dropout::splitmix64(&mut state) % n;
    let ws =
        |draw: &mut dyn FnMut(u64) -> u64| [" ", "\t", "\n", "\r", "", "", ""][draw(7) as usize];
    let escape = |s: &str, draw: &mut dyn FnMut(u64) -> u64| -> String {
        s.chars()
            .map(|c| match draw(4) {
                0 => format!("\\u{:04x}", c as u32),
                1 => format!("\\u{:04X}", c as u32),
                _ => c.to_string(),
            })
            .collect()
    };
    let (len, st) = safetensors::SafeTensors::read_metadata(file).unwrap();
    let mut members: Vec<String> = Vec::new();
    for (i, name) in st.offset_keys().iter().enumerate() {
        let info = st.info(name).unwrap();
        let dtype = info.dtype.to_string();
        let dtype = match draw(3) {
            0 => format!(r#"{{"{}":null}}"#, escape(&dtype, &mut draw)),
            _ => format!(r#""{}""#, escape(&dtype, &mut draw)),
        };
        let shape = format!("{:?}", info.shape).replace(' ', ws(&mut draw));
        let (a, b) = info.data_offsets;
        let offsets = format!("[{a},{}{b}]", ws(&mut draw));
        let value = if draw(4) == 0 {
            format!("[{dtype},{shape},{}{offsets}]", ws(&mut draw))
        } else {
            let mut fields = vec![
                format!(r#""{}":{dtype}"#, escape("dtype", &mut draw)),
                format!(
                    r#""{}":{}{shape}"#,
                    escape("shape", &mut draw),
                    ws(&mut draw)
                ),
                format!(r#""data_offsets":{offsets}"#),
            ];
            if let Some(x) = extra.get(i) {
                fields.push(format!(r#""x{i}":{x}"#));
            }
            let rotate = draw(fields.len() as u64) as usize;
            fields.rotate_left(rotate);
            format!("{{{}}}", fields.join(&format!(",{}", ws(&mut draw))))
        };
        members.push(format!(
            r#""{}":{}{value}"#,
            escape(name, &mut draw),
            ws(&mut draw)
        ));
    }
    if let Some(m) = metadata {
        let at = draw(members.len() as u64 + 1) as usize;
        members.insert(
            at,
            format!(r#""{}":{m}"#, escape("__metadata__", &mut draw)),
        );
    }
    let header = format!(
        "{}{{{}}}{}",
        ws(&mut draw),
        members.join(","),
        ws(&mut draw)
    );
    let data = &file[8 + len..];
    [
        &(header.len() as u64).to_le_bytes()[..],
        header.as_bytes(),
        data,
    ]
    .concat()
}

proptest! {
    #![proptest_config(config(512))]

    /// The JSON and serde forms of a valid header, and one-byte changes of them: both readers
    /// give the crate's verdict.
    #[test]
    fn json_forms_of_a_header(
        seed in any::<u64>(),
        extra in prop::collection::vec(json_value(), 0..5),
        metadata in prop::option::of(prop_oneof![
            Just("null".to_string()),
            prop::collection::vec((json_string(), json_string()), 0..3).prop_map(|v| {
                let members: Vec<String> = v.iter().map(|(k, v)| format!("{k}:{v}")).collect();
                format!("{{{}}}", members.join(","))
            }),
            json_value(),
        ]),
        change in prop::option::of((any::<prop::sample::Index>(), any::<u8>(), 0u8..3)),
    ) {
        let mut bytes = rewrite_header(&small_file(), seed, &extra, metadata.as_deref());
        let header_end = 8 + u64::from_le_bytes(bytes[..8].try_into().unwrap()) as usize;
        let result = match change {
            None => try_load::<Small>(&bytes),
            Some((at, byte, kind)) => {
                let at = 8 + at.index(header_end - 8);
                match kind {
                    0 => bytes[at] = byte,
                    1 => bytes[at] ^= 1 << (byte % 8),
                    _ => {
                        // A byte less in the header, its length adjusted.
                        bytes.remove(at);
                        let len = (header_end - 9) as u64;
                        bytes[..8].copy_from_slice(&len.to_le_bytes());
                    }
                }
                try_load::<Small>(&bytes)
            }
        };
        // An unchanged rewrite that the crate reads loads (into the model it was written for).
        if change.is_none() && oracle::crate_reads(&bytes).is_some() {
            prop_assert!(result.is_ok(), "{:?}", result.err());
        }
    }
}

#[test]
fn rewritten_headers_load() {
    // `json_forms_of_a_header` is not vacuous: its rewrites of a valid header load.
    let file = small_file();
    for seed in 0..200 {
        let extra = ["[1,{\"a\":-2.5e-3}]".to_string()];
        let bytes = rewrite_header(&file, seed, &extra, Some(r#"{"k":"v"}"#));
        assert!(try_load::<Small>(&bytes).is_ok(), "seed {seed}");
    }
}

#[test]
fn valid_files_still_load() {
    // The fuzz targets above are not vacuous: the unmodified files load.
    assert!(try_load::<Small>(&small_file()).is_ok());
    assert!(try_load::<LeNet>(&lenet_file()).is_ok());
}
