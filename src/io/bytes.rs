//! Loading a safetensors file from its bytes: [`load_bytes`] with no allocator, and the checks
//! behind `from_bytes` too ([`load`], generic over how errors hold their keys and shapes).
//!
//! The header (JSON) is read in place ([`super::header`]): every lookup walks it, so nothing is
//! copied or collected. Loading is all-or-nothing: pass 1 checks the whole header, then every
//! tensor of the model against it (name present, shape, dtype), then that no tensor of the file
//! is left over; only then does pass 2 write the model. Nothing panics, whatever the bytes; the
//! time is `O(tensors² · key length)` besides the copy of the values: ResNet-50 (320 tensors,
//! a 29 kB header, 100 MB of values) loads in 80 ms (the test profile, a 2-core Xeon).

// Errors carry their key and shapes by value (no allocator to box them): larger than
// clippy's default for an `Err`, and returned only once per load.
#![allow(clippy::result_large_err)]

use super::header::{Chars, Entry, File, Malformed};
use crate::element::Element;
use crate::visit::{Module, Path, TensorInfo, Visitor};
use core::fmt::{self, Write as _};

/// Element types that weight files store: `f32` (`F32`) and `f64` (`F64`). Sealed: implemented
/// for exactly these two.
///
/// With the standard library, the same trait is also exported as `WeightElement`, the bound of
/// `to_bytes`, `from_bytes`, `save` and `load`.
pub trait RawElement: Element + sealed::Sealed {
    /// The safetensors dtype name: `"F32"` or `"F64"`.
    const DTYPE_NAME: &'static str;
    /// The value of `N` little-endian bytes (`N = size_of::<Self>()`).
    fn from_le(bytes: &[u8]) -> Self;
}

mod sealed {
    /// The private half of [`super::RawElement`].
    pub trait Sealed: Copy {
        /// Writes the little-endian bytes of `self` to `out` (`size_of::<Self>()` of them).
        fn to_le(self, out: &mut [u8]);
    }
    impl Sealed for f32 {
        #[inline]
        fn to_le(self, out: &mut [u8]) {
            out.iter_mut()
                .zip(self.to_le_bytes())
                .for_each(|(o, b)| *o = b);
        }
    }
    impl Sealed for f64 {
        #[inline]
        fn to_le(self, out: &mut [u8]) {
            out.iter_mut()
                .zip(self.to_le_bytes())
                .for_each(|(o, b)| *o = b);
        }
    }
}

impl RawElement for f32 {
    const DTYPE_NAME: &'static str = "F32";
    #[inline]
    fn from_le(b: &[u8]) -> Self {
        let mut a = [0; 4];
        a.copy_from_slice(&b[..4]);
        f32::from_le_bytes(a)
    }
}

impl RawElement for f64 {
    const DTYPE_NAME: &'static str = "F64";
    #[inline]
    fn from_le(b: &[u8]) -> Self {
        let mut a = [0; 8];
        a.copy_from_slice(&b[..8]);
        f64::from_le_bytes(a)
    }
}

/// A tensor name (or a dtype) in an error, without an allocator: up to 120 bytes, longer ones
/// cut (and marked with `…` when printed).
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Name {
    buf: [u8; 120],
    len: u8,
    cut: bool,
}

impl Name {
    /// The name (its first 120 bytes, cut at a character boundary).
    pub fn as_str(&self) -> &str {
        let b = &self.buf[..usize::from(self.len)];
        match core::str::from_utf8(b) {
            Ok(s) => s,
            Err(e) => core::str::from_utf8(&b[..e.valid_up_to()]).unwrap_or(""),
        }
    }
}

impl fmt::Write for Name {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        for &b in s.as_bytes() {
            if usize::from(self.len) == self.buf.len() {
                self.cut = true;
                return Ok(());
            }
            self.buf[usize::from(self.len)] = b;
            self.len += 1;
        }
        Ok(())
    }
}

impl fmt::Display for Name {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())?;
        if self.cut {
            f.write_str("…")?;
        }
        Ok(())
    }
}

impl fmt::Debug for Name {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", self.as_str())
    }
}

/// A shape in an error, without an allocator: up to 8 dimensions (a file's tensor of more is
/// reported by its first 8 and its rank).
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Dims {
    dims: [usize; 8],
    rank: usize,
}

impl Dims {
    /// The dimensions (the first 8 of them).
    pub fn as_slice(&self) -> &[usize] {
        &self.dims[..self.rank.min(8)]
    }
    /// The number of dimensions.
    pub fn rank(&self) -> usize {
        self.rank
    }
}

impl fmt::Debug for Dims {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", self.as_slice())?;
        if self.rank > 8 {
            write!(f, " (rank {})", self.rank)?;
        }
        Ok(())
    }
}

/// Why [`load_bytes`] refused a file. The same cases, checked by the same code, as the standard
/// library loader's `io::Error`, in values that need no allocator. The model is unchanged.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum BytesError {
    /// The bytes are not a valid safetensors file; `at` is the byte offset where reading
    /// stopped.
    Malformed {
        /// What is wrong.
        reason: &'static str,
        /// Offset in the file.
        at: usize,
    },
    /// The model has a tensor the file does not contain.
    MissingKey {
        /// The tensor's name.
        key: Name,
        /// The shape the model expects.
        expected: Dims,
    },
    /// The file contains a tensor the model does not have.
    UnexpectedKey {
        /// The tensor's name.
        key: Name,
        /// Its shape in the file.
        found: Dims,
    },
    /// A tensor exists in both with different shapes.
    WrongShape {
        /// The tensor's name.
        key: Name,
        /// The model's shape.
        expected: Dims,
        /// The file's shape.
        found: Dims,
    },
    /// A tensor exists in both but the file stores another element type.
    WrongDtype {
        /// The tensor's name.
        key: Name,
        /// The dtype the model needs.
        expected: &'static str,
        /// The dtype in the file.
        found: Name,
    },
    /// A counter (batch norm's `num_batches_tracked`) that is negative in the file.
    InvalidCounter {
        /// The counter's name.
        key: Name,
        /// Its value.
        value: i64,
    },
    /// The model itself is inconsistent (two tensors with one name, or a declared shape that
    /// does not match the number of values).
    InvalidModule {
        /// The tensor's name.
        key: Name,
        /// What is wrong.
        reason: &'static str,
    },
}

impl BytesError {
    /// The key the error is about, if any.
    pub fn key(&self) -> Option<&str> {
        match self {
            BytesError::Malformed { .. } => None,
            BytesError::MissingKey { key, .. }
            | BytesError::UnexpectedKey { key, .. }
            | BytesError::WrongShape { key, .. }
            | BytesError::WrongDtype { key, .. }
            | BytesError::InvalidCounter { key, .. }
            | BytesError::InvalidModule { key, .. } => Some(key.as_str()),
        }
    }
}

/// The sentences of the standard library loader's errors (`io::Error`).
impl fmt::Display for BytesError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BytesError::Malformed { reason, at } => {
                write!(f, "malformed safetensors file: {reason} (at byte {at})")
            }
            BytesError::MissingKey { key, expected } => write!(
                f,
                "missing key `{key}`: the model has a tensor of shape {expected:?} that the file lacks"
            ),
            BytesError::UnexpectedKey { key, found } => write!(
                f,
                "unexpected key `{key}` (shape {found:?}): the file has a tensor the model lacks"
            ),
            BytesError::WrongShape {
                key,
                expected,
                found,
            } => write!(
                f,
                "wrong shape for `{key}`: the model expects {expected:?}, the file has {found:?}"
            ),
            BytesError::WrongDtype {
                key,
                expected,
                found,
            } => write!(
                f,
                "wrong dtype for `{key}`: the model expects {expected}, the file has {found}"
            ),
            BytesError::InvalidCounter { key, value } => write!(
                f,
                "counter `{key}` = {value} does not fit (it must be in 0..=i64::MAX)"
            ),
            BytesError::InvalidModule { key, reason } => {
                write!(f, "invalid module at `{key}`: {reason}")
            }
        }
    }
}

#[cfg(feature = "std")]
impl std::error::Error for BytesError {}

/// Loads the tensors of a safetensors file (its bytes) into `model`, all or nothing, with no
/// allocation: the checks of [`crate::io`]'s `from_bytes` (every key present and none extra,
/// shapes, dtypes, counters), by the same code, with the same values.
///
/// ```
/// use constnet::prelude::*;
/// type Net = (Conv2d<1, 2, 3>, Relu, Flatten, Linear<{ 2 * 2 * 2 }, 2>);
/// // The bytes of a file saved by PyTorch (or `constnet::io::to_bytes`), e.g. `include_bytes!`.
/// # let mut saved = Net::zeroed();
/// # saved.0.bias[1] = 0.5;
/// # let bytes = constnet::io::to_bytes(&mut saved).unwrap();
/// let mut net = Net::zeroed();
/// constnet::io::load_bytes(&mut net, &bytes).unwrap();
/// assert_eq!(net.0.bias[1], 0.5);
/// let mut other = <(Conv2d<1, 3, 3>, Relu, Flatten, Linear<{ 3 * 2 * 2 }, 2>)>::zeroed();
/// let err = constnet::io::load_bytes(&mut other, &bytes).unwrap_err();
/// assert_eq!(err.key(), Some("0.weight"));
/// ```
///
/// A model that visits a name twice (a bug in a [`Module`] implementation) is an
/// [`InvalidModule`](BytesError::InvalidModule) error when the file has that name, found after
/// the other checks (`from_bytes` remembers names and finds it where it happens).
///
/// # Errors
/// [`BytesError`]; the model is unchanged then.
pub fn load_bytes<E: RawElement, M: Module<E>>(
    model: &mut M,
    bytes: &[u8],
) -> Result<(), BytesError> {
    load(model, bytes, &mut Fixed).map_err(BytesError::from)
}

impl From<Fault<Name, Dims>> for BytesError {
    fn from(f: Fault<Name, Dims>) -> Self {
        match f {
            Fault::Malformed(Malformed { reason, at }) => BytesError::Malformed { reason, at },
            Fault::MissingKey { key, expected } => BytesError::MissingKey { key, expected },
            Fault::UnexpectedKey { key, found } => BytesError::UnexpectedKey { key, found },
            Fault::WrongShape {
                key,
                expected,
                found,
            } => BytesError::WrongShape {
                key,
                expected,
                found,
            },
            Fault::WrongDtype {
                key,
                expected,
                found,
            } => BytesError::WrongDtype {
                key,
                expected,
                found,
            },
            Fault::InvalidCounter { key, value } => BytesError::InvalidCounter { key, value },
            Fault::InvalidModule { key, reason } => BytesError::InvalidModule { key, reason },
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The checks, shared by `load_bytes` and `from_bytes`.

/// The dtype of counters: PyTorch's `torch.long`.
pub(super) const COUNTER_DTYPE: &str = "I64";
/// [`BytesError::InvalidModule`]'s reasons.
pub(super) const NAME_TWICE: &str = "two tensors have this name";
pub(super) const SHAPE_MISMATCH: &str = "the declared shape does not match the number of values";

/// The number of values of `shape`, if it fits in `usize`.
pub(super) fn numel(shape: &[usize]) -> Option<usize> {
    shape.iter().try_fold(1usize, |n, &d| n.checked_mul(d))
}

/// A key or dtype in an error: [`Name`] without an allocator, `String` with one.
pub(super) trait Text: fmt::Write {
    fn empty() -> Self;
}

/// A shape in an error: [`Dims`] without an allocator, `Vec<usize>` with one.
pub(super) trait Shape {
    fn empty() -> Self;
    fn push(&mut self, d: usize);
}

impl Text for Name {
    fn empty() -> Self {
        Name {
            buf: [0; 120],
            len: 0,
            cut: false,
        }
    }
}

impl Shape for Dims {
    fn empty() -> Self {
        Dims {
            dims: [0; 8],
            rank: 0,
        }
    }
    fn push(&mut self, d: usize) {
        if let Some(o) = self.dims.get_mut(self.rank) {
            *o = d;
        }
        self.rank += 1;
    }
}

fn text<K: Text>(d: impl fmt::Display) -> K {
    let mut k = K::empty();
    let _ = write!(k, "{d}");
    k
}

fn decoded<K: Text>(chars: Chars<'_>) -> K {
    let mut k = K::empty();
    for c in chars {
        let _ = k.write_char(c);
    }
    k
}

fn shape<S: Shape>(dims: &[usize]) -> S {
    let mut s = S::empty();
    dims.iter().for_each(|&d| s.push(d));
    s
}

fn file_shape<S: Shape>(file: &File<'_>, entry: &Entry) -> S {
    let mut s = S::empty();
    file.dims(entry.shape, |d| s.push(d));
    s
}

/// How a load reports its errors: the types of their keys and shapes, and whether it notices a
/// model visiting a name twice.
pub(super) trait Report {
    type Key: Text;
    type Shape: Shape;
    /// Whether the model visits `path` for the first time. A report that cannot remember names
    /// says `true`: two tensors with one name are then found after pass 1, when the file has
    /// that name.
    fn first_visit(&mut self, path: &Path<'_>) -> bool;
}

/// [`load_bytes`]'s report: fixed-size values, no memory of names.
struct Fixed;

impl Report for Fixed {
    type Key = Name;
    type Shape = Dims;
    fn first_visit(&mut self, _: &Path<'_>) -> bool {
        true
    }
}

/// Why a load failed: [`BytesError`] or `io::Error`, before the keys and shapes are put into
/// the one or the other.
pub(super) enum Fault<K, S> {
    Malformed(Malformed),
    MissingKey {
        key: K,
        expected: S,
    },
    UnexpectedKey {
        key: K,
        found: S,
    },
    WrongShape {
        key: K,
        expected: S,
        found: S,
    },
    WrongDtype {
        key: K,
        expected: &'static str,
        found: K,
    },
    InvalidCounter {
        key: K,
        value: i64,
    },
    InvalidModule {
        key: K,
        reason: &'static str,
    },
}

impl<K, S> From<Malformed> for Fault<K, S> {
    fn from(m: Malformed) -> Self {
        Fault::Malformed(m)
    }
}

type FaultOf<R> = Fault<<R as Report>::Key, <R as Report>::Shape>;

/// Loads `bytes` into `model`, all or nothing.
pub(super) fn load<E: RawElement, M: Module<E>, R: Report>(
    model: &mut M,
    bytes: &[u8],
    report: &mut R,
) -> Result<(), FaultOf<R>> {
    let file = File::parse(bytes)?;
    let mut check = Check {
        file: &file,
        report,
        error: None,
        found: 0,
    };
    M::visit([&mut *model], &Path::Root, &mut check);
    if let Some(e) = check.error {
        return Err(e);
    }
    let found = check.found;
    // Every model tensor matched an entry of the file. An entry left over is unexpected (the
    // first by name is reported); more matches than entries means two model tensors share a
    // name.
    let mut extra: Option<Entry> = None;
    let mut entries = 0;
    file.each(|e| {
        entries += 1;
        let first = extra.is_none_or(|x| file.key(e.key).lt(file.key(x.key)));
        if first && key_count::<E, M>(&mut *model, file.key(e.key)) == 0 {
            extra = Some(e);
        }
    });
    if let Some(e) = extra {
        return Err(Fault::UnexpectedKey {
            key: decoded(file.key(e.key)),
            found: file_shape(&file, &e),
        });
    }
    if found > entries {
        let mut twice = None;
        file.each(|e| {
            if twice.is_none() && key_count::<E, M>(&mut *model, file.key(e.key)) > 1 {
                twice = Some(e.key);
            }
        });
        return Err(Fault::InvalidModule {
            key: twice.map_or_else(R::Key::empty, |k| decoded(file.key(k))),
            reason: NAME_TWICE,
        });
    }
    M::visit([model], &Path::Root, &mut Assign { file: &file });
    Ok(())
}

/// How many tensors and counters of `model` are named `key`.
fn key_count<E, M: Module<E>>(model: &mut M, key: Chars<'_>) -> usize {
    struct Count<'k> {
        key: Chars<'k>,
        n: usize,
    }
    impl<E> Visitor<E, 1> for Count<'_> {
        fn tensor(&mut self, info: TensorInfo<'_>, _: [&mut [E]; 1]) {
            self.n += usize::from(same_name(info.path, self.key.clone()));
        }
        fn counter(&mut self, path: &Path<'_>, _: [&mut u64; 1]) {
            self.n += usize::from(same_name(path, self.key.clone()));
        }
    }
    let mut c = Count { key, n: 0 };
    M::visit([model], &Path::Root, &mut c);
    c.n
}

/// Whether `path` prints as `key`.
fn same_name(path: &Path<'_>, key: Chars<'_>) -> bool {
    /// Compares what is written with `rest`; an error at the first difference.
    struct Cmp<'k> {
        rest: Chars<'k>,
    }
    impl fmt::Write for Cmp<'_> {
        fn write_str(&mut self, s: &str) -> fmt::Result {
            if s.chars().all(|c| self.rest.next() == Some(c)) {
                Ok(())
            } else {
                Err(fmt::Error)
            }
        }
    }
    let mut c = Cmp { rest: key };
    write!(c, "{path}").is_ok() && c.rest.next().is_none()
}

/// The entry named like `path`, if any.
fn find(file: &File<'_>, path: &Path<'_>) -> Option<Entry> {
    file.find(|e| same_name(path, file.key(e.key)))
}

/// Whether a file's shape is `dims`.
fn same_dims(file: &File<'_>, entry: &Entry, dims: &[usize]) -> bool {
    let (mut same, mut rank) = (true, 0);
    file.dims(entry.shape, |d| {
        same &= dims.get(rank) == Some(&d);
        rank += 1;
    });
    same && rank == dims.len()
}

/// The value of an `I64` scalar.
fn counter_value(file: &File<'_>, entry: &Entry) -> i64 {
    let mut b = [0; 8];
    b.iter_mut()
        .zip(file.data(entry))
        .for_each(|(o, d)| *o = *d);
    i64::from_le_bytes(b)
}

/// Pass 1: every model tensor against the file; counts those found.
struct Check<'f, 'b, 'r, R: Report> {
    file: &'f File<'b>,
    report: &'r mut R,
    error: Option<FaultOf<R>>,
    found: usize,
}

impl<E: RawElement, R: Report> Visitor<E, 1> for Check<'_, '_, '_, R> {
    fn tensor(&mut self, info: TensorInfo<'_>, [v]: [&mut [E]; 1]) {
        if self.error.is_none() {
            self.error = self.check_tensor(&info, v.len(), E::DTYPE_NAME).err();
        }
    }
    fn counter(&mut self, path: &Path<'_>, _: [&mut u64; 1]) {
        if self.error.is_none() {
            self.error = self.check_counter(path).err();
        }
    }
}

impl<R: Report> Check<'_, '_, '_, R> {
    fn check_tensor(
        &mut self,
        info: &TensorInfo<'_>,
        len: usize,
        dtype: &'static str,
    ) -> Result<(), FaultOf<R>> {
        let key = || text(info.path);
        if !self.report.first_visit(info.path) {
            return Err(Fault::InvalidModule {
                key: key(),
                reason: NAME_TWICE,
            });
        }
        if numel(info.shape) != Some(len) {
            return Err(Fault::InvalidModule {
                key: key(),
                reason: SHAPE_MISMATCH,
            });
        }
        let Some(entry) = find(self.file, info.path) else {
            return Err(Fault::MissingKey {
                key: key(),
                expected: shape(info.shape),
            });
        };
        self.found += 1;
        if !same_dims(self.file, &entry, info.shape) {
            return Err(Fault::WrongShape {
                key: key(),
                expected: shape(info.shape),
                found: file_shape(self.file, &entry),
            });
        }
        if entry.dtype.name != dtype {
            return Err(Fault::WrongDtype {
                key: key(),
                expected: dtype,
                found: text(entry.dtype.name),
            });
        }
        Ok(())
    }

    fn check_counter(&mut self, path: &Path<'_>) -> Result<(), FaultOf<R>> {
        let key = || text(path);
        if !self.report.first_visit(path) {
            return Err(Fault::InvalidModule {
                key: key(),
                reason: NAME_TWICE,
            });
        }
        let Some(entry) = find(self.file, path) else {
            return Ok(()); // absent: the counter keeps its value
        };
        self.found += 1;
        if !same_dims(self.file, &entry, &[]) {
            return Err(Fault::WrongShape {
                key: key(),
                expected: shape(&[]),
                found: file_shape(self.file, &entry),
            });
        }
        if entry.dtype.name != COUNTER_DTYPE {
            return Err(Fault::WrongDtype {
                key: key(),
                expected: COUNTER_DTYPE,
                found: text(entry.dtype.name),
            });
        }
        let value = counter_value(self.file, &entry);
        if value < 0 {
            return Err(Fault::InvalidCounter { key: key(), value });
        }
        Ok(())
    }
}

/// Pass 2: copies the checked tensors.
struct Assign<'f, 'b> {
    file: &'f File<'b>,
}

impl<E: RawElement> Visitor<E, 1> for Assign<'_, '_> {
    fn tensor(&mut self, info: TensorInfo<'_>, [v]: [&mut [E]; 1]) {
        if let Some(entry) = find(self.file, info.path) {
            let data = self.file.data(&entry);
            for (v, b) in v.iter_mut().zip(data.chunks_exact(size_of::<E>())) {
                *v = E::from_le(b);
            }
        }
    }
    fn counter(&mut self, path: &Path<'_>, [v]: [&mut u64; 1]) {
        if let Some(entry) = find(self.file, path) {
            // Checked non-negative in pass 1.
            *v = counter_value(self.file, &entry).unsigned_abs();
        }
    }
}
