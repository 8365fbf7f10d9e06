//! The weight loader never panics, whatever the bytes, and never changes the model when it
//! refuses a file: random bytes, truncations and bit flips of valid files, and random headers.
use crate::common;

use common::gradcheck::Lcg;
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
/// re-save must load again. The allocation-free reader (`io::load_bytes`) must agree: the same
/// files accepted, the same values loaded, the same key in its errors, the model unchanged
/// when it refuses.
fn try_load<M: Module<f32> + Zeroable>(bytes: &[u8]) -> Result<(), io::Error> {
    let mut m = random::<M>(7);
    let before = io::to_bytes(&mut *m).unwrap();
    let mut raw = random::<M>(7);
    let raw_result = io::load_bytes(&mut *raw, bytes);
    let result = match io::from_bytes(&mut *m, bytes) {
        Ok(()) => {
            let again = io::to_bytes(&mut *m).unwrap();
            io::from_bytes(&mut *random::<M>(8), &again).unwrap();
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
            if e.key().is_some() {
                assert_eq!(e.to_string(), r.to_string());
            }
            let _ = r.to_string();
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

#[test]
fn valid_files_still_load() {
    // The fuzz targets above are not vacuous: the unmodified files load.
    assert!(try_load::<Small>(&small_file()).is_ok());
    assert!(try_load::<LeNet>(&lenet_file()).is_ok());
}
