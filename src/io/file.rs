//! Weight files with the standard library: saving (`to_bytes`, `save`) and loading
//! (`from_bytes`, `load`). See the [module docs](super).

use super::bytes::{self, Fault, Report, Shape, Text};
use super::header::Malformed;
use super::{Error, WeightElement, write};
use crate::visit::{Module, Path};
use std::collections::HashSet;

/// The tensors of `model` as the bytes of a safetensors file.
///
/// # Errors
/// [`Error::InvalidModule`] if the model visits a name twice or declares a shape that does not
/// match its values (a bug in a [`Module`] implementation), [`Error::InvalidCounter`] for a
/// counter above `i64::MAX`, [`Error::Serialize`] if the header would be longer than 100 MB
/// (the format's limit).
pub fn to_bytes<E: WeightElement, M: Module<E>>(model: &mut M) -> Result<Vec<u8>, Error> {
    write::to_bytes(model)
}

/// Loads the tensors of a safetensors file (its bytes) into `model`, all or nothing.
///
/// # Errors
/// See [`Error`]: the file is malformed, a key is missing or unexpected, a shape or dtype
/// differs, a counter is out of range. `model` is unchanged on any error.
pub fn from_bytes<E: WeightElement, M: Module<E>>(
    model: &mut M,
    bytes: &[u8],
) -> Result<(), Error> {
    bytes::load(model, bytes, &mut Remember(HashSet::new())).map_err(Error::from)
}

/// Saves the tensors of `model` to a safetensors file at `path` (see [`to_bytes`]).
///
/// # Errors
/// Those of [`to_bytes`], and [`Error::Io`] if the file cannot be written.
pub fn save<E: WeightElement, M: Module<E>>(
    model: &mut M,
    path: impl AsRef<std::path::Path>,
) -> Result<(), Error> {
    let bytes = to_bytes(model)?;
    let path = path.as_ref();
    std::fs::write(path, bytes).map_err(|source| Error::Io {
        path: path.to_path_buf(),
        source,
    })
}

/// Loads a safetensors file at `path` into `model`, all or nothing (see [`from_bytes`]).
///
/// # Errors
/// Those of [`from_bytes`], and [`Error::Io`] if the file cannot be read.
pub fn load<E: WeightElement, M: Module<E>>(
    model: &mut M,
    path: impl AsRef<std::path::Path>,
) -> Result<(), Error> {
    let path = path.as_ref();
    let bytes = std::fs::read(path).map_err(|source| Error::Io {
        path: path.to_path_buf(),
        source,
    })?;
    from_bytes(model, &bytes)
}

/// `from_bytes`'s report: whole keys and shapes, and every name the model visits, so that a
/// name visited twice is an error where it happens.
struct Remember(HashSet<String>);

impl Report for Remember {
    type Key = String;
    type Shape = Vec<usize>;
    fn first_visit(&mut self, path: &Path<'_>) -> bool {
        self.0.insert(path.to_string())
    }
}

impl Text for String {
    fn empty() -> Self {
        String::new()
    }
}

impl Shape for Vec<usize> {
    fn empty() -> Self {
        Vec::new()
    }
    fn push(&mut self, d: usize) {
        Vec::push(self, d);
    }
}

impl From<Fault<String, Vec<usize>>> for Error {
    fn from(f: Fault<String, Vec<usize>>) -> Self {
        match f {
            Fault::Malformed(Malformed { reason, at }) => Error::Malformed {
                reason: format!("{reason} (at byte {at})"),
            },
            Fault::MissingKey { key, expected } => Error::MissingKey { key, expected },
            Fault::UnexpectedKey { key, found } => Error::UnexpectedKey { key, found },
            Fault::WrongShape {
                key,
                expected,
                found,
            } => Error::WrongShape {
                key,
                expected,
                found,
            },
            Fault::WrongDtype {
                key,
                expected,
                found,
            } => Error::WrongDtype {
                key,
                expected,
                found,
            },
            Fault::InvalidCounter { key, value } => Error::InvalidCounter {
                key,
                value: value.into(),
            },
            Fault::InvalidModule { key, reason } => Error::InvalidModule { key, reason },
        }
    }
}
