//! Weight files with the standard library: saving (`to_bytes`, `save`), and loading through
//! the `safetensors` crate (`from_bytes`, `load`). See the [module docs](super).

use super::Error;
use crate::element::Element;
use crate::module::{Module, Path, TensorInfo, Visitor};
use safetensors::tensor::{Dtype, SafeTensors, TensorView, View};
use std::borrow::Cow;
use std::collections::HashSet;

/// Element types that weight files store: `f32` (`F32`) and `f64` (`F64`).
///
/// Sealed: implemented for exactly these two.
pub trait WeightElement: Element + sealed::Sealed {
    /// The safetensors dtype name: `"F32"` or `"F64"`.
    const DTYPE_NAME: &'static str;
}

mod sealed {
    /// The byte-level half of [`super::WeightElement`], kept private so the safetensors crate's
    /// types do not appear in constnet's API.
    pub trait Sealed: Sized {
        const DTYPE: safetensors::Dtype;
        /// Appends the little-endian bytes of `values`.
        fn write_le(values: &[Self], out: &mut Vec<u8>);
        /// Reads `out.len()` values from little-endian `bytes` (which hold exactly that many).
        fn read_le(bytes: &[u8], out: &mut [Self]);
    }
}

macro_rules! weight_element {
    ($t:ty, $dtype:ident, $n:literal) => {
        impl sealed::Sealed for $t {
            const DTYPE: Dtype = Dtype::$dtype;
            fn write_le(values: &[Self], out: &mut Vec<u8>) {
                out.reserve(values.len() * $n);
                for v in values {
                    out.extend_from_slice(&v.to_le_bytes());
                }
            }
            fn read_le(bytes: &[u8], out: &mut [Self]) {
                for (o, c) in out.iter_mut().zip(bytes.chunks_exact($n)) {
                    let mut b = [0u8; $n];
                    b.copy_from_slice(c);
                    *o = <$t>::from_le_bytes(b);
                }
            }
        }
        impl WeightElement for $t {
            const DTYPE_NAME: &'static str = stringify!($dtype);
        }
    };
}
weight_element!(f32, F32, 4);
weight_element!(f64, F64, 8);

/// How counters are stored: PyTorch's `torch.long` scalar.
const COUNTER_DTYPE: Dtype = Dtype::I64;
const COUNTER_DTYPE_NAME: &str = "I64";

/// The tensors of `model` as the bytes of a safetensors file.
///
/// # Errors
/// [`Error::InvalidModule`] if the model visits a name twice or declares a shape that does not
/// match its values (a bug in a [`Module`] implementation), [`Error::InvalidCounter`] for a
/// counter above `i64::MAX`, [`Error::Serialize`] if the safetensors writer refuses.
pub fn to_bytes<E: WeightElement, M: Module<E>>(model: &mut M) -> Result<Vec<u8>, Error> {
    let mut c = Collect {
        tensors: Vec::new(),
        seen: HashSet::new(),
        error: None,
    };
    M::visit([model], &Path::Root, &mut c);
    if let Some(e) = c.error {
        return Err(e);
    }
    safetensors::serialize(c.tensors.iter().map(|(k, t)| (k.as_str(), t)), None).map_err(|e| {
        Error::Serialize {
            reason: e.to_string(),
        }
    })
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
    check_header_numbers(bytes)?;
    let file = SafeTensors::deserialize(bytes).map_err(|e| Error::Malformed {
        reason: e.to_string(),
    })?;

    // Pass 1: check everything, write nothing.
    let mut check = Check {
        file: &file,
        seen: HashSet::new(),
        error: None,
    };
    M::visit([&mut *model], &Path::Root, &mut check);
    if let Some(e) = check.error {
        return Err(e);
    }
    let mut extra: Vec<&str> = file
        .names()
        .into_iter()
        .filter(|k| !check.seen.contains(*k))
        .collect();
    extra.sort_unstable();
    if let Some(&key) = extra.first() {
        return Err(Error::UnexpectedKey {
            key: key.to_string(),
            found: file
                .tensor(key)
                .map(|t| t.shape().to_vec())
                .unwrap_or_default(),
        });
    }

    // Pass 2: every lookup, shape and dtype is known good.
    M::visit([model], &Path::Root, &mut Assign { file: &file });
    Ok(())
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

/// Rejects a header holding an integer larger than the whole file.
///
/// No valid file has one (offsets lie inside the file; a dimension of a non-empty tensor is at
/// most its element count). The check keeps absurd offsets away from the safetensors parser,
/// whose `buffer_end + 8 + n` (0.8, `read_metadata`) overflows — a panic with overflow checks
/// on — for offsets near `usize::MAX`. Headers that cannot be located are left to the parser,
/// which reports them.
fn check_header_numbers(bytes: &[u8]) -> Result<(), Error> {
    let Some(len) = bytes.get(..8) else {
        return Ok(());
    };
    let mut n = [0u8; 8];
    n.copy_from_slice(len);
    let Some(header) = usize::try_from(u64::from_le_bytes(n))
        .ok()
        .and_then(|n| n.checked_add(8))
        .and_then(|end| bytes.get(8..end))
    else {
        return Ok(());
    };
    let limit = bytes.len() as u128;
    let (mut in_string, mut escaped, mut number) = (false, false, None::<u128>);
    for &b in header.iter().chain(core::iter::once(&b' ')) {
        if in_string {
            match (escaped, b) {
                (true, _) => escaped = false,
                (false, b'\\') => escaped = true,
                (false, b'"') => in_string = false,
                _ => {}
            }
            continue;
        }
        if b.is_ascii_digit() {
            let v = number.unwrap_or(0).saturating_mul(10) + u128::from(b - b'0');
            number = Some(v.min(u128::from(u64::MAX) + 1));
            continue;
        }
        if let Some(v) = number.take()
            && v > limit
        {
            return Err(Error::Malformed {
                reason: format!(
                    "the header holds the number {v}, larger than the file ({limit} bytes)"
                ),
            });
        }
        in_string = b == b'"';
    }
    Ok(())
}

/// The shape of a tensor in a file.
fn shape_of(view: &TensorView<'_>) -> Vec<usize> {
    view.shape().to_vec()
}

/// Pass 1 of a load: compares the model's tensors with the file's, records the first error.
struct Check<'f, 'd> {
    file: &'f SafeTensors<'d>,
    seen: HashSet<String>,
    error: Option<Error>,
}

impl Check<'_, '_> {
    /// Notes `key` as visited; `Err` if the model visits it twice.
    fn visit_key(&mut self, key: &str) -> Result<(), Error> {
        if self.seen.insert(key.to_string()) {
            Ok(())
        } else {
            Err(Error::InvalidModule {
                key: key.to_string(),
                reason: "two tensors have this name",
            })
        }
    }

    fn check_tensor<E: WeightElement>(
        &mut self,
        info: &TensorInfo<'_>,
        len: usize,
    ) -> Result<(), Error> {
        let key = info.path.to_string();
        self.visit_key(&key)?;
        if info.shape.iter().product::<usize>() != len {
            return Err(Error::InvalidModule {
                key,
                reason: "the declared shape does not match the number of values",
            });
        }
        let Ok(view) = self.file.tensor(&key) else {
            return Err(Error::MissingKey {
                key,
                expected: info.shape.to_vec(),
            });
        };
        if view.shape() != info.shape {
            return Err(Error::WrongShape {
                key,
                expected: info.shape.to_vec(),
                found: shape_of(&view),
            });
        }
        if view.dtype() != E::DTYPE {
            return Err(Error::WrongDtype {
                key,
                expected: E::DTYPE_NAME,
                found: view.dtype().to_string(),
            });
        }
        Ok(())
    }

    fn check_counter(&mut self, path: &Path<'_>) -> Result<(), Error> {
        let key = path.to_string();
        self.visit_key(&key)?;
        let Ok(view) = self.file.tensor(&key) else {
            return Ok(()); // absent: the counter keeps its value (see the module docs)
        };
        if !view.shape().is_empty() {
            return Err(Error::WrongShape {
                key,
                expected: Vec::new(),
                found: shape_of(&view),
            });
        }
        if view.dtype() != COUNTER_DTYPE {
            return Err(Error::WrongDtype {
                key,
                expected: COUNTER_DTYPE_NAME,
                found: view.dtype().to_string(),
            });
        }
        let value = read_counter(view.data());
        if value < 0 {
            return Err(Error::InvalidCounter {
                key,
                value: value.into(),
            });
        }
        Ok(())
    }
}

/// An `I64` scalar (the parser has checked it is 8 bytes).
fn read_counter(bytes: &[u8]) -> i64 {
    let mut b = [0u8; 8];
    if let Some(src) = bytes.get(..8) {
        b.copy_from_slice(src);
    }
    i64::from_le_bytes(b)
}

impl<E: WeightElement> Visitor<E, 1> for Check<'_, '_> {
    fn tensor(&mut self, info: TensorInfo<'_>, [v]: [&mut [E]; 1]) {
        if self.error.is_none() {
            self.error = self.check_tensor::<E>(&info, v.len()).err();
        }
    }
    fn counter(&mut self, path: &Path<'_>, _: [&mut u64; 1]) {
        if self.error.is_none() {
            self.error = self.check_counter(path).err();
        }
    }
}

/// Pass 2 of a load: copies the (already checked) file tensors into the model.
struct Assign<'f, 'd> {
    file: &'f SafeTensors<'d>,
}

impl<E: WeightElement> Visitor<E, 1> for Assign<'_, '_> {
    fn tensor(&mut self, info: TensorInfo<'_>, [v]: [&mut [E]; 1]) {
        if let Ok(view) = self.file.tensor(&info.path.to_string()) {
            E::read_le(view.data(), v);
        }
    }
    fn counter(&mut self, path: &Path<'_>, [v]: [&mut u64; 1]) {
        if let Ok(view) = self.file.tensor(&path.to_string()) {
            // Checked non-negative in pass 1.
            *v = read_counter(view.data()).unsigned_abs();
        }
    }
}

/// A tensor being saved.
struct Owned {
    dtype: Dtype,
    shape: Vec<usize>,
    data: Vec<u8>,
}

impl View for &Owned {
    fn dtype(&self) -> Dtype {
        self.dtype
    }
    fn shape(&self) -> &[usize] {
        &self.shape
    }
    fn data(&self) -> Cow<'_, [u8]> {
        Cow::Borrowed(&self.data)
    }
    fn data_len(&self) -> usize {
        self.data.len()
    }
}

/// Saving: gathers every tensor and counter with its name.
struct Collect {
    tensors: Vec<(String, Owned)>,
    seen: HashSet<String>,
    error: Option<Error>,
}

impl Collect {
    fn add(&mut self, key: String, tensor: Owned) {
        if self.error.is_some() {
            return;
        }
        if !self.seen.insert(key.clone()) {
            self.error = Some(Error::InvalidModule {
                key,
                reason: "two tensors have this name",
            });
            return;
        }
        self.tensors.push((key, tensor));
    }
}

impl<E: WeightElement> Visitor<E, 1> for Collect {
    fn tensor(&mut self, info: TensorInfo<'_>, [v]: [&mut [E]; 1]) {
        let key = info.path.to_string();
        if info.shape.iter().product::<usize>() != v.len() {
            if self.error.is_none() {
                self.error = Some(Error::InvalidModule {
                    key,
                    reason: "the declared shape does not match the number of values",
                });
            }
            return;
        }
        let mut data = Vec::new();
        E::write_le(v, &mut data);
        let tensor = Owned {
            dtype: E::DTYPE,
            shape: info.shape.to_vec(),
            data,
        };
        self.add(key, tensor);
    }
    fn counter(&mut self, path: &Path<'_>, [v]: [&mut u64; 1]) {
        let key = path.to_string();
        let Ok(value) = i64::try_from(*v) else {
            if self.error.is_none() {
                self.error = Some(Error::InvalidCounter {
                    key,
                    value: (*v).into(),
                });
            }
            return;
        };
        let tensor = Owned {
            dtype: COUNTER_DTYPE,
            shape: Vec::new(),
            data: value.to_le_bytes().to_vec(),
        };
        self.add(key, tensor);
    }
}
