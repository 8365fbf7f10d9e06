//! The IDX format of MNIST and Fashion-MNIST.
//!
//! A big-endian header `00 00 08 NDIM` (type `08` = unsigned bytes), then `NDIM` big-endian
//! `u32` dimensions, then the bytes. Images: magic [`IDX_IMAGES_MAGIC`], dimensions
//! `(N, rows, cols)`, row-major, 0 = background. Labels: magic [`IDX_LABELS_MAGIC`], dimension
//! `(N)`.

use super::{DataError, Dataset, Split, decompress, find_file, read_file};
use std::borrow::Cow;
use std::path::Path;

/// Magic number of an IDX image file: unsigned bytes, 3 dimensions `(N, rows, cols)`.
pub const IDX_IMAGES_MAGIC: u32 = 0x0000_0803;
/// Magic number of an IDX label file: unsigned bytes, 1 dimension `(N)`.
pub const IDX_LABELS_MAGIC: u32 = 0x0000_0801;

/// The content of an IDX image file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdxImages {
    /// Number of images.
    pub count: usize,
    /// Rows per image.
    pub rows: usize,
    /// Columns per image.
    pub cols: usize,
    /// `count · rows · cols` bytes, image after image, row-major.
    pub pixels: Vec<u8>,
}

/// Parse an IDX image file (gzip-compressed or raw).
///
/// ```
/// use constnet::data::parse_idx_images;
/// let mut file = vec![0, 0, 8, 3, 0, 0, 0, 2, 0, 0, 0, 1, 0, 0, 0, 2];
/// file.extend([10, 20, 30, 40]); // 2 images of 1×2
/// let img = parse_idx_images(&file)?;
/// assert_eq!((img.count, img.rows, img.cols), (2, 1, 2));
/// assert_eq!(img.pixels, [10, 20, 30, 40]);
/// assert!(parse_idx_images(&file[..19]).is_err()); // truncated
/// # Ok::<(), constnet::data::DataError>(())
/// ```
///
/// # Errors
/// [`DataError::Gzip`] (corrupt gzip), [`DataError::BadMagic`] (not `00 00 08 03`),
/// [`DataError::Truncated`] (header or pixels cut short), [`DataError::CountMismatch`] (bytes
/// left over after the pixels the header announces).
pub fn parse_idx_images(bytes: &[u8]) -> Result<IdxImages, DataError> {
    images_named(bytes, "IDX images")
}

/// Parse an IDX label file (gzip-compressed or raw). The labels are not range-checked here
/// (see [`idx_dataset`]).
///
/// # Errors
/// [`DataError::Gzip`], [`DataError::BadMagic`] (not `00 00 08 01`), [`DataError::Truncated`],
/// [`DataError::CountMismatch`] (bytes left over after the labels).
pub fn parse_idx_labels(bytes: &[u8]) -> Result<Vec<u8>, DataError> {
    labels_named(bytes, "IDX labels")
}

/// A single-channel [`Dataset`] from the bytes of an IDX image file and an IDX label file
/// (each gzip-compressed or raw), with labels in `0..classes`.
///
/// # Errors
/// Those of [`parse_idx_images`] and [`parse_idx_labels`], then
/// [`DataError::CountMismatch`] if the files hold different numbers of samples and
/// [`DataError::LabelOutOfRange`] if a label is `≥ classes`.
pub fn idx_dataset(images: &[u8], labels: &[u8], classes: usize) -> Result<Dataset, DataError> {
    dataset_named(images, labels, classes, "IDX images", "IDX labels")
}

/// [`idx_dataset`] from two files.
///
/// # Errors
/// [`DataError::Io`] if a file cannot be read, then those of [`idx_dataset`] (naming the file).
pub fn load_idx(
    images: impl AsRef<Path>,
    labels: impl AsRef<Path>,
    classes: usize,
) -> Result<Dataset, DataError> {
    let (images, labels) = (images.as_ref(), labels.as_ref());
    dataset_named(
        &read_file(images)?,
        &read_file(labels)?,
        classes,
        &images.display().to_string(),
        &labels.display().to_string(),
    )
}

/// Load the train or test split of MNIST or Fashion-MNIST (10 classes) from a directory holding
/// the canonical files: `train-images-idx3-ubyte.gz` + `train-labels-idx1-ubyte.gz`, or
/// `t10k-images-idx3-ubyte.gz` + `t10k-labels-idx1-ubyte.gz`. The uncompressed names (without
/// `.gz`, or with a dot as in `train-images.idx3-ubyte`) are accepted too.
///
/// ```
/// use constnet::data::{Split, load_idx_split};
/// # let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/data/mnist");
/// let test = load_idx_split(dir, Split::Test)?; // dir = ".../data/mnist"
/// assert_eq!((test.len(), test.shape()), (10_000, [1, 28, 28]));
/// assert_eq!(test.label(0), 7);
/// # Ok::<(), constnet::data::DataError>(())
/// ```
///
/// # Errors
/// [`DataError::Io`] (with kind `NotFound` if no candidate file exists), then those of
/// [`load_idx`].
pub fn load_idx_split(dir: impl AsRef<Path>, split: Split) -> Result<Dataset, DataError> {
    let dir = dir.as_ref();
    let prefix = match split {
        Split::Train => "train",
        Split::Test => "t10k",
    };
    let names = |kind: &str, d: u8| {
        [
            format!("{prefix}-{kind}-idx{d}-ubyte.gz"),
            format!("{prefix}-{kind}-idx{d}-ubyte"),
            format!("{prefix}-{kind}.idx{d}-ubyte.gz"),
            format!("{prefix}-{kind}.idx{d}-ubyte"),
        ]
    };
    let images = find_file(dir, &names("images", 3))?;
    let labels = find_file(dir, &names("labels", 1))?;
    load_idx(images, labels, 10)
}

fn dataset_named(
    images: &[u8],
    labels: &[u8],
    classes: usize,
    images_what: &str,
    labels_what: &str,
) -> Result<Dataset, DataError> {
    let img = images_named(images, images_what)?;
    let labels = labels_named(labels, labels_what)?;
    if labels.len() != img.count {
        return Err(DataError::CountMismatch {
            what: format!("{labels_what} vs {images_what}"),
            detail: "labels (one per image)",
            expected: img.count,
            found: labels.len(),
        });
    }
    Dataset::new_named(
        img.pixels,
        labels,
        [1, img.rows, img.cols],
        classes,
        labels_what,
    )
}

fn images_named(bytes: &[u8], what: &str) -> Result<IdxImages, DataError> {
    let data = decompress(bytes, what)?;
    let ([count, rows, cols], pixels) = parse::<3>(data, IDX_IMAGES_MAGIC, what)?;
    Ok(IdxImages {
        count,
        rows,
        cols,
        pixels,
    })
}

fn labels_named(bytes: &[u8], what: &str) -> Result<Vec<u8>, DataError> {
    let data = decompress(bytes, what)?;
    Ok(parse::<1>(data, IDX_LABELS_MAGIC, what)?.1)
}

/// Check the magic number and sizes of an uncompressed IDX file with `D` dimensions; return the
/// dimensions and the payload.
fn parse<const D: usize>(
    data: Cow<'_, [u8]>,
    magic: u32,
    what: &str,
) -> Result<([usize; D], Vec<u8>), DataError> {
    let header = 4 + 4 * D;
    let truncated = |expected: usize| DataError::Truncated {
        what: what.to_owned(),
        expected,
        found: data.len(),
    };
    let Some(&first) = data.first_chunk::<4>() else {
        return Err(truncated(4));
    };
    let found = u32::from_be_bytes(first);
    if found != magic {
        return Err(DataError::BadMagic {
            what: what.to_owned(),
            expected: magic,
            found,
        });
    }
    if data.len() < header {
        return Err(truncated(header));
    }
    let mut dims = [0usize; D];
    let mut volume: u128 = 1;
    for (d, chunk) in dims.iter_mut().zip(data[4..header].chunks_exact(4)) {
        let v = u32::from_be_bytes([chunk[0], chunk[1], chunk[2], chunk[3]]);
        // A u32 fits a usize on every platform std supports with more than 16-bit pointers;
        // saturate rather than truncate on the others, so the size check below fails.
        *d = usize::try_from(v).unwrap_or(usize::MAX);
        volume *= u128::from(v);
    }
    let payload = usize::try_from(volume).unwrap_or(usize::MAX);
    let total = payload.saturating_add(header);
    if data.len() < total {
        return Err(truncated(total));
    }
    if data.len() > total {
        return Err(DataError::CountMismatch {
            what: what.to_owned(),
            detail: "payload bytes for the header's dimensions",
            expected: payload,
            found: data.len() - header,
        });
    }
    let payload = match data {
        Cow::Owned(mut v) => {
            v.drain(..header);
            v
        }
        Cow::Borrowed(b) => b[header..].to_vec(),
    };
    Ok((dims, payload))
}
