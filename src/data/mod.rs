//! Datasets: MNIST / Fashion-MNIST (IDX) and CIFAR-10 (binary) loaders, an in-memory
//! [`Dataset`], and [`Batches`]: seeded shuffling into fixed-size, normalized `f32` batches.
//!
//! The repository ships real data under `data/` (see `data/README.md` for provenance and
//! licences): full MNIST and Fashion-MNIST, and a 2 000-image cat/dog subset of CIFAR-10.
//!
//! * Parsers take bytes (`&[u8]`, gzip-compressed or raw: a leading `1f 8b` means gzip) and
//!   never panic on malformed input: every failure is a typed [`DataError`].
//! * Path-based wrappers ([`load_idx`], [`load_idx_split`], [`load_cifar10`],
//!   [`load_cifar10_split`]) read files and name them in errors.
//! * [`Batches`] fills a caller-provided [`Tensor<N, C, H, W>`](crate::Tensor) and `[usize; N]`
//!   of labels, checking at run time that `C, H, W` match the dataset. It allocates its index
//!   permutation once; filling a batch allocates nothing.
//!
//! ```no_run
//! use constnet::Tensor;
//! use constnet::data::{Batches, MNIST, Split, load_idx_split};
//!
//! let train = load_idx_split("data/mnist", Split::Train)?;
//! let test = load_idx_split("data/mnist", Split::Test)?;
//! let mut x = Tensor::<64, 1, 28, 28>::zeros();
//! let mut y = [0usize; 64];
//!
//! // Training: a new seeded order every epoch, full batches only (the tail is dropped).
//! let mut batches = Batches::training(&train);
//! for epoch in 0..2 {
//!     batches.shuffle(42, epoch);
//!     while let Some(_) = batches.next_into(&mut x, &mut y, &MNIST)? {
//!         // forward / backward / step on all 64 samples
//!     }
//! }
//!
//! // Evaluation: every sample exactly once; the last batch reports how many entries are valid.
//! let mut batches = Batches::evaluation(&test);
//! let mut seen = 0;
//! while let Some(valid) = batches.next_into(&mut x, &mut y, &MNIST)? {
//!     seen += valid; // score only x.0[..valid], y[..valid]
//! }
//! assert_eq!(seen, 10_000);
//! # Ok::<(), constnet::data::DataError>(())
//! ```

mod batches;
mod cifar;
mod dataset;
mod error;
mod idx;

pub use batches::{Batches, CIFAR10, FASHION_MNIST, MNIST, Normalization, Tail};
pub use cifar::{CIFAR10_CLASSES, CIFAR10_RECORD, load_cifar10, load_cifar10_split, parse_cifar10};
pub use dataset::Dataset;
pub use error::DataError;
pub use idx::{
    IDX_IMAGES_MAGIC, IDX_LABELS_MAGIC, IdxImages, idx_dataset, load_idx, load_idx_split,
    parse_idx_images, parse_idx_labels,
};

use std::borrow::Cow;
use std::io::Read;
use std::path::{Path, PathBuf};

/// Which part of a dataset to load.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Split {
    /// The training set.
    Train,
    /// The test set.
    Test,
}

/// Gzip streams start with these two bytes.
const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

/// The bytes themselves, or their decompression if they start with the gzip magic `1f 8b`.
/// Concatenated gzip members are decompressed one after the other.
fn decompress<'b>(bytes: &'b [u8], what: &str) -> Result<Cow<'b, [u8]>, DataError> {
    if !bytes.starts_with(&GZIP_MAGIC) {
        return Ok(Cow::Borrowed(bytes));
    }
    // The trailer's ISIZE (uncompressed size mod 2^32) as a capacity hint, capped by deflate's
    // maximal ratio (< 1032:1) so a corrupt trailer cannot trigger a huge allocation.
    let hint = bytes
        .last_chunk::<4>()
        .map_or(0, |t| u32::from_le_bytes(*t) as usize)
        .min(bytes.len().saturating_mul(1032));
    let mut out = Vec::with_capacity(hint);
    flate2::read::MultiGzDecoder::new(bytes)
        .read_to_end(&mut out)
        .map_err(|source| DataError::Gzip {
            what: what.to_owned(),
            source,
        })?;
    Ok(Cow::Owned(out))
}

/// Read a whole file.
fn read_file(path: &Path) -> Result<Vec<u8>, DataError> {
    std::fs::read(path).map_err(|source| DataError::Io {
        path: path.to_owned(),
        source,
    })
}

/// The first of `names` (inside `dir`) that is a file, or a "not found" [`DataError::Io`] naming
/// the first candidate.
fn find_file(dir: &Path, names: &[String]) -> Result<PathBuf, DataError> {
    for name in names {
        let p = dir.join(name);
        if p.is_file() {
            return Ok(p);
        }
    }
    Err(DataError::Io {
        path: dir.join(&names[0]),
        source: std::io::Error::new(
            std::io::ErrorKind::NotFound,
            format!("no file named any of {names:?}"),
        ),
    })
}
