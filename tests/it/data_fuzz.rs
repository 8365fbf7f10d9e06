//! Property tests for the dataset parsers: random bytes, and truncations / bit flips of small
//! valid files (raw and gzip), never panic and always give `Ok` or a `DataError`. Where the
//! outcome is certain (valid file, strict truncation) it is checked too.
use crate::common::files::{cifar, gzip, idx_images, idx_labels};
use constnet::Tensor;
use constnet::data::*;
use proptest::prelude::*;

/// Every successful parse must respect the dataset invariants.
fn check_dataset(ds: &Dataset) {
    assert_eq!(ds.pixels().len(), ds.len() * ds.sample_len());
    assert!(ds.labels().iter().all(|&l| usize::from(l) < ds.classes()));
}

/// Run every parser on `bytes` (as images, labels, both, and CIFAR). Only panics are failures.
fn run_all(bytes: &[u8], other: &[u8]) {
    if let Ok(img) = parse_idx_images(bytes) {
        assert_eq!(img.pixels.len(), img.count * img.rows * img.cols);
    }
    let _ = parse_idx_labels(bytes);
    for (a, b) in [(bytes, other), (other, bytes)] {
        match idx_dataset(a, b, 10) {
            Ok(ds) => check_dataset(&ds),
            Err(e) => assert!(!e.to_string().is_empty()),
        }
    }
    match parse_cifar10(bytes) {
        Ok(ds) => {
            check_dataset(&ds);
            assert_eq!(ds.shape(), [3, 32, 32]);
        }
        Err(e) => assert!(!e.to_string().is_empty()),
    }
}

/// Flip bit `bit` of byte `at % len` (no-op on empty input).
fn flip(bytes: &mut [u8], at: usize, bit: u8) {
    if !bytes.is_empty() {
        let i = at % bytes.len();
        bytes[i] ^= 1 << (bit % 8);
    }
}

fn config(cases: u32) -> ProptestConfig {
    ProptestConfig {
        cases,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

proptest! {
    #![proptest_config(config(1000))]

    #[test]
    fn random_bytes(bytes in prop::collection::vec(any::<u8>(), 0..4000), other in prop::collection::vec(any::<u8>(), 0..64)) {
        run_all(&bytes, &other);
    }

    /// Random bytes behind a valid header (and behind the gzip magic), to get past the first check.
    #[test]
    fn random_bytes_behind_headers(
        dims in prop::array::uniform3(0u32..40),
        big in any::<u32>(),
        tail in prop::collection::vec(any::<u8>(), 0..2000),
    ) {
        let mut f = vec![0, 0, 8, 3];
        for d in dims { f.extend(d.to_be_bytes()); }
        f.extend(&tail);
        run_all(&f, &idx_labels(dims[0] as usize, 1));
        // Huge announced sizes must fail without allocating them.
        let mut g = vec![0, 0, 8, 3];
        for d in [big, big, big] { g.extend(d.to_be_bytes()); }
        g.extend(&tail);
        prop_assert!(parse_idx_images(&g).is_err() || u128::from(big).pow(3) == tail.len() as u128);
        let mut z = vec![0x1f, 0x8b];
        z.extend(&tail);
        run_all(&z, &tail);
    }

    #[test]
    fn valid_idx_files_round_trip(n in 0usize..6, rows in 0usize..6, cols in 0usize..6, seed: u8, gz: bool) {
        let (mut images, mut labels) = (idx_images(n, rows, cols, seed), idx_labels(n, seed));
        let raw_pixels = images[16..].to_vec();
        if gz { images = gzip(&images); labels = gzip(&labels); }
        let ds = idx_dataset(&images, &labels, 10).unwrap();
        prop_assert_eq!((ds.len(), ds.shape()), (n, [1, rows, cols]));
        prop_assert_eq!(ds.pixels(), &raw_pixels[..]);
    }

    #[test]
    fn truncated_idx_is_an_error(n in 0usize..6, rows in 1usize..6, cols in 1usize..6, seed: u8, gz: bool, cut: usize) {
        let (images, labels) = (idx_images(n, rows, cols, seed), idx_labels(n, seed));
        for f in [images, labels] {
            let f = if gz { gzip(&f) } else { f };
            let short = &f[..cut % f.len()]; // strictly shorter
            prop_assert!(parse_idx_images(short).is_err());
            prop_assert!(parse_idx_labels(short).is_err());
            run_all(short, &f);
        }
    }

    #[test]
    fn bit_flipped_idx(n in 0usize..6, rows in 0usize..6, cols in 0usize..6, seed: u8, gz: bool,
                       flips in prop::collection::vec((any::<usize>(), any::<u8>()), 1..4)) {
        let (mut images, mut labels) = (idx_images(n, rows, cols, seed), idx_labels(n, seed));
        if gz { images = gzip(&images); labels = gzip(&labels); }
        let (mut bi, mut bl) = (images.clone(), labels.clone());
        for &(at, bit) in &flips {
            flip(&mut bi, at, bit);
            flip(&mut bl, at, bit);
        }
        run_all(&bi, &labels);
        run_all(&bl, &images);
        run_all(&bi, &bl);
    }

    #[test]
    fn valid_cifar_round_trips_and_truncation_is_checked(n in 0usize..4, seed: u8, gz: bool, cut: usize) {
        let raw = cifar(n, seed);
        let f = if gz { gzip(&raw) } else { raw.clone() };
        let ds = parse_cifar10(&f).unwrap();
        prop_assert_eq!(ds.len(), n);
        for r in 0..n {
            prop_assert_eq!(ds.image(r), &raw[r * CIFAR10_RECORD + 1..(r + 1) * CIFAR10_RECORD]);
        }
        if !f.is_empty() {
            let short = &f[..cut % f.len()];
            let res = parse_cifar10(short);
            if gz && short.len() >= 2 {
                prop_assert!(matches!(res, Err(DataError::Gzip { .. })), "{:?}", res);
            } else if short.len() % CIFAR10_RECORD != 0 {
                prop_assert!(matches!(res, Err(DataError::Truncated { .. })), "{:?}", res);
            } else {
                prop_assert_eq!(res.unwrap().len(), short.len() / CIFAR10_RECORD);
            }
        }
    }

    #[test]
    fn bit_flipped_cifar(n in 1usize..4, seed: u8, gz: bool,
                         flips in prop::collection::vec((any::<usize>(), any::<u8>()), 1..4)) {
        let raw = cifar(n, seed);
        let mut f = if gz { gzip(&raw) } else { raw };
        for &(at, bit) in &flips {
            flip(&mut f, at, bit);
        }
        run_all(&f, &f);
    }
}

proptest! {
    #![proptest_config(config(300))]

    /// Batching a random small dataset: evaluation sees every sample once, training only full
    /// batches, the same seed gives the same order.
    #[test]
    fn batches_cover_the_dataset(len in 0usize..40, seed: u64, epoch in 0u64..4) {
        let ds = Dataset::new((0..len as u8).collect(), (0..len).map(|i| (i % 3) as u8).collect(), 1, 1, 1, 3).unwrap();
        let mut x = Tensor::<4, 1, 1, 1>::zeros();
        let mut y = [0; 4];
        let mut b = Batches::evaluation(&ds);
        b.shuffle(seed, epoch);
        let mut seen = Vec::new();
        while let Some(valid) = b.next_into(&mut x, &mut y, &Normalization::UNIT).unwrap() {
            prop_assert!((1..=4).contains(&valid));
            seen.extend(x.as_slice()[..valid].iter().map(|&v| (v * 255.0).round() as usize));
        }
        prop_assert_eq!(&seen[..], b.order());
        seen.sort_unstable();
        prop_assert!(seen.iter().copied().eq(0..len));

        let mut t = Batches::training(&ds);
        t.shuffle(seed, epoch);
        prop_assert_eq!(t.order(), b.order());
        let mut full = 0;
        while let Some(valid) = t.next_into(&mut x, &mut y, &Normalization::UNIT).unwrap() {
            prop_assert_eq!(valid, 4);
            full += 1;
        }
        prop_assert_eq!(full, len / 4);
    }
}
