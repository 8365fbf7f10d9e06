//! [`DataError`]: everything that can go wrong while reading a dataset or filling a batch.

use std::fmt;
use std::path::PathBuf;

/// Why a dataset could not be read, or a batch could not be filled.
///
/// Every variant says which input it is about (`what`: a file path, or a description such as
/// `"IDX images"` when parsing bytes) and, where it applies, what was expected and what was
/// found. Parsers never panic on malformed input: they return one of these.
#[derive(Debug)]
#[non_exhaustive]
pub enum DataError {
    /// A file could not be opened or read (including "not found").
    Io {
        /// The file.
        path: PathBuf,
        /// The operating system's error.
        source: std::io::Error,
    },
    /// The input starts like a gzip stream (`1f 8b`) but does not decompress (corrupt or cut
    /// short).
    Gzip {
        /// The input.
        what: String,
        /// The decompressor's error.
        source: std::io::Error,
    },
    /// The input ends before the data its header (or record size) announces.
    Truncated {
        /// The input.
        what: String,
        /// Bytes needed.
        expected: usize,
        /// Bytes present.
        found: usize,
    },
    /// The file does not start with the magic number of the expected format (e.g. a label file
    /// given where an image file was expected).
    BadMagic {
        /// The input.
        what: String,
        /// The magic number of the expected format.
        expected: u32,
        /// The first four bytes, big-endian.
        found: u32,
    },
    /// Two counts that must agree do not: labels vs images, or the payload size vs the size the
    /// header announces (extra bytes at the end).
    CountMismatch {
        /// The input(s).
        what: String,
        /// What is being counted.
        detail: &'static str,
        /// The count required.
        expected: usize,
        /// The count found.
        found: usize,
    },
    /// A label is not below the number of classes.
    LabelOutOfRange {
        /// The input.
        what: String,
        /// The sample whose label is wrong.
        index: usize,
        /// The label found.
        label: u8,
        /// Number of classes: valid labels are `0..classes`.
        classes: usize,
    },
    /// The tensor (or normalization) a batch is written into does not have the dataset's
    /// channels × height × width.
    ShapeMismatch {
        /// The dataset's `[channels, height, width]`.
        expected: [usize; 3],
        /// The tensor's `[C, H, W]`.
        found: [usize; 3],
    },
}

impl fmt::Display for DataError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Io { path, source } => write!(f, "cannot read {}: {source}", path.display()),
            Self::Gzip { what, source } => write!(f, "{what}: invalid gzip stream: {source}"),
            Self::Truncated {
                what,
                expected,
                found,
            } => write!(
                f,
                "{what}: truncated: expected {expected} bytes, found {found}"
            ),
            Self::BadMagic {
                what,
                expected,
                found,
            } => write!(
                f,
                "{what}: wrong magic number: expected {expected:#010x}, found {found:#010x}"
            ),
            Self::CountMismatch {
                what,
                detail,
                expected,
                found,
            } => write!(
                f,
                "{what}: inconsistent counts: expected {expected} {detail}, found {found}"
            ),
            Self::LabelOutOfRange {
                what,
                index,
                label,
                classes,
            } => write!(
                f,
                "{what}: label {label} of sample {index} is out of range (0..{classes})"
            ),
            Self::ShapeMismatch { expected, found } => write!(
                f,
                "tensor shape C×H×W = {}×{}×{} does not match the dataset's {}×{}×{}",
                found[0], found[1], found[2], expected[0], expected[1], expected[2]
            ),
        }
    }
}

impl std::error::Error for DataError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Io { source, .. } | Self::Gzip { source, .. } => Some(source),
            _ => None,
        }
    }
}
