//! The CIFAR-10 binary format: records of [`CIFAR10_RECORD`] = 3073 bytes, one label byte
//! (`0..10`) followed by the 32×32 red, green and blue planes (row-major, 1024 bytes each).

use super::{DataError, Dataset, Split, decompress, find_file, read_file};
use std::path::Path;

/// Bytes per CIFAR-10 record: 1 label + 3 · 32 · 32 pixels.
pub const CIFAR10_RECORD: usize = 1 + 3 * 32 * 32;

/// The CIFAR-10 class names, indexed by label (3 = cat, 5 = dog).
pub const CIFAR10_CLASSES: [&str; 10] = [
    "airplane",
    "automobile",
    "bird",
    "cat",
    "deer",
    "dog",
    "frog",
    "horse",
    "ship",
    "truck",
];

/// Parse a CIFAR-10 binary batch (gzip-compressed or raw) into a 3×32×32 [`Dataset`] with 10
/// classes. The pixel planes are already in `C, H, W` order. An empty input is an empty
/// dataset.
///
/// ```
/// use constnet::data::{CIFAR10_RECORD, parse_cifar10};
/// let mut file = vec![0u8; 2 * CIFAR10_RECORD];
/// file[0] = 3; // first record: a cat
/// file[CIFAR10_RECORD] = 5; // second record: a dog
/// file[CIFAR10_RECORD + 1 + 1024] = 200; // its first green pixel
/// let ds = parse_cifar10(&file)?;
/// assert_eq!((ds.len(), ds.label(0), ds.label(1)), (2, 3, 5));
/// assert_eq!(ds.image(1)[1024], 200);
/// assert!(parse_cifar10(&file[..CIFAR10_RECORD + 5]).is_err()); // second record cut short
/// # Ok::<(), constnet::data::DataError>(())
/// ```
///
/// # Errors
/// [`DataError::Gzip`] (corrupt gzip), [`DataError::Truncated`] (length not a multiple of
/// 3073: the last record is cut short), [`DataError::LabelOutOfRange`] (a label byte > 9).
pub fn parse_cifar10(bytes: &[u8]) -> Result<Dataset, DataError> {
    parse_named(bytes, "CIFAR-10 batch")
}

/// Load and concatenate CIFAR-10 binary batch files (each gzip-compressed or raw), e.g. the five
/// `data_batch_*.bin`, or `data/cifar10-catsdogs-subset/catsdogs_train.bin.gz`.
///
/// ```
/// use constnet::data::load_cifar10;
/// # let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/data/cifar10-catsdogs-subset");
/// let test = load_cifar10(&[format!("{dir}/catsdogs_test.bin.gz")])?;
/// assert_eq!((test.len(), test.shape()), (400, [3, 32, 32]));
/// // Only cats (3) and dogs (5): relabel to a 2-class set (0 = cat, 1 = dog).
/// let test = test.select_classes(&[3, 5])?;
/// assert_eq!(test.class_counts(), [200, 200]);
/// # Ok::<(), constnet::data::DataError>(())
/// ```
///
/// # Errors
/// [`DataError::Io`] if a file cannot be read, then those of [`parse_cifar10`] (naming the
/// file).
pub fn load_cifar10<P: AsRef<Path>>(paths: &[P]) -> Result<Dataset, DataError> {
    let mut all = Dataset::new(Vec::new(), Vec::new(), 3, 32, 32, 10)?;
    for p in paths {
        let p = p.as_ref();
        let ds = parse_named(&read_file(p)?, &p.display().to_string())?;
        if all.is_empty() {
            all = ds;
        } else {
            all.extend(&ds)?;
        }
    }
    Ok(all)
}

/// Load the train split (`data_batch_1.bin` … `data_batch_5.bin`) or the test split
/// (`test_batch.bin`) of the official CIFAR-10 binary distribution from a directory (the
/// `cifar-10-batches-bin` folder). Each file may also be gzip-compressed with a `.gz` suffix.
///
/// # Errors
/// [`DataError::Io`] (kind `NotFound` if a file is missing), then those of [`load_cifar10`].
pub fn load_cifar10_split(dir: impl AsRef<Path>, split: Split) -> Result<Dataset, DataError> {
    let dir = dir.as_ref();
    let stems: Vec<String> = match split {
        Split::Train => (1..=5).map(|i| format!("data_batch_{i}.bin")).collect(),
        Split::Test => vec!["test_batch.bin".to_owned()],
    };
    let paths = stems
        .iter()
        .map(|s| find_file(dir, &[s.clone(), format!("{s}.gz")]))
        .collect::<Result<Vec<_>, _>>()?;
    load_cifar10(&paths)
}

fn parse_named(bytes: &[u8], what: &str) -> Result<Dataset, DataError> {
    let data = decompress(bytes, what)?;
    let records = data.len() / CIFAR10_RECORD;
    if data.len() % CIFAR10_RECORD != 0 {
        return Err(DataError::Truncated {
            what: what.to_owned(),
            expected: (records + 1) * CIFAR10_RECORD,
            found: data.len(),
        });
    }
    let mut labels = Vec::with_capacity(records);
    let mut pixels = Vec::with_capacity(records * (CIFAR10_RECORD - 1));
    for rec in data.chunks_exact(CIFAR10_RECORD) {
        labels.push(rec[0]);
        pixels.extend_from_slice(&rec[1..]);
    }
    Dataset::new_named(pixels, labels, [3, 32, 32], 10, what)
}
