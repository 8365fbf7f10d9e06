//! [`Error`]: everything that can go wrong saving or loading a weight file.

use std::fmt;
use std::path::PathBuf;

/// Why a weight file could not be saved or loaded.
///
/// Every variant about a tensor names its key (`"3.weight"`); [`Error::key`] returns it. A load
/// that fails with any of these leaves the model exactly as it was.
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// Reading or writing the file failed.
    Io {
        /// The file.
        path: PathBuf,
        /// The operating system's error.
        source: std::io::Error,
    },
    /// The bytes are not a valid safetensors file: too short, a truncated or unreadable
    /// header, invalid JSON, offsets that do not cover the data, an unknown dtype...
    Malformed {
        /// What is wrong, and the byte offset where reading stopped (`"the header is longer
        /// than the file (at byte 0)"`).
        reason: String,
    },
    /// The model has a tensor that the file does not contain.
    MissingKey {
        /// The tensor's name.
        key: String,
        /// The shape the model expects (PyTorch layout).
        expected: Vec<usize>,
    },
    /// The file contains a tensor that the model does not have.
    UnexpectedKey {
        /// The tensor's name.
        key: String,
        /// Its shape in the file.
        found: Vec<usize>,
    },
    /// A tensor exists in both but with different shapes.
    WrongShape {
        /// The tensor's name.
        key: String,
        /// The shape the model has (PyTorch layout).
        expected: Vec<usize>,
        /// The shape in the file.
        found: Vec<usize>,
    },
    /// A tensor exists in both but the file stores another element type (e.g. `F64` for an
    /// `f32` model: convert the model or the file; nothing is converted silently).
    WrongDtype {
        /// The tensor's name.
        key: String,
        /// The safetensors dtype the model needs (`"F32"`, `"F64"`, `"I64"` for counters).
        expected: &'static str,
        /// The dtype in the file.
        found: String,
    },
    /// An integer counter (batch norm's `num_batches_tracked`) that does not fit: negative in
    /// the file, or above `i64::MAX` in the model.
    InvalidCounter {
        /// The counter's name.
        key: String,
        /// Its value.
        value: i128,
    },
    /// The model itself is inconsistent: two tensors with the same name, or a tensor whose
    /// declared shape does not match its number of values. A bug in a `Module` implementation.
    InvalidModule {
        /// The tensor's name.
        key: String,
        /// What is wrong.
        reason: &'static str,
    },
    /// The tensors cannot be written: their header would be longer than 100 MB, the limit of
    /// the format's readers.
    Serialize {
        /// Why (`"header too large"`, the `safetensors` crate's words).
        reason: String,
    },
}

impl Error {
    /// The tensor name the error is about, if it is about one.
    pub fn key(&self) -> Option<&str> {
        match self {
            Error::MissingKey { key, .. }
            | Error::UnexpectedKey { key, .. }
            | Error::WrongShape { key, .. }
            | Error::WrongDtype { key, .. }
            | Error::InvalidCounter { key, .. }
            | Error::InvalidModule { key, .. } => Some(key),
            Error::Io { .. } | Error::Malformed { .. } | Error::Serialize { .. } => None,
        }
    }
}

/// `[6, 1, 5, 5]`, `[]` for a scalar.
struct Shape<'a>(&'a [usize]);
impl fmt::Display for Shape<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", self.0)
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Io { path, source } => write!(f, "weight file `{}`: {source}", path.display()),
            Error::Malformed { reason } => write!(f, "malformed safetensors file: {reason}"),
            Error::MissingKey { key, expected } => write!(
                f,
                "missing key `{key}`: the model has a tensor of shape {} that the file lacks",
                Shape(expected)
            ),
            Error::UnexpectedKey { key, found } => write!(
                f,
                "unexpected key `{key}` (shape {}): the file has a tensor the model lacks",
                Shape(found)
            ),
            Error::WrongShape {
                key,
                expected,
                found,
            } => write!(
                f,
                "wrong shape for `{key}`: the model expects {}, the file has {}",
                Shape(expected),
                Shape(found)
            ),
            Error::WrongDtype {
                key,
                expected,
                found,
            } => write!(
                f,
                "wrong dtype for `{key}`: the model expects {expected}, the file has {found}"
            ),
            Error::InvalidCounter { key, value } => write!(
                f,
                "counter `{key}` = {value} does not fit (it must be in 0..=i64::MAX)"
            ),
            Error::InvalidModule { key, reason } => {
                write!(f, "invalid module at `{key}`: {reason}")
            }
            Error::Serialize { reason } => write!(f, "cannot write safetensors: {reason}"),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Io { source, .. } => Some(source),
            _ => None,
        }
    }
}
