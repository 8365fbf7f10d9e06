//! Loading a safetensors file from its bytes with no allocator: [`load_bytes`].
//!
//! The header (JSON) is read in place: every lookup scans it, so nothing is copied or
//! collected. Loading is all-or-nothing, as with the standard library's loader: pass 1 checks
//! the whole header, then every tensor of the model against it (name present, shape, dtype),
//! then that no tensor of the file is left over; only then does pass 2 write the model.
//! Errors carry the key and shapes in fixed-size values ([`Name`], [`Dims`]). Nothing panics,
//! whatever the bytes; the time is `O(tensors² · key length)` (a few milliseconds for
//! ResNet-50's 320 tensors).

// Errors carry their key and shapes by value (no allocator to box them): larger than
// clippy's default for an `Err`, and returned only once per load.
#![allow(clippy::result_large_err)]

use crate::element::Element;
use crate::module::{Module, Path, TensorInfo, Visitor};
use core::fmt::{self, Write as _};

/// Element types read from weight files without an allocator: `f32` (`F32`) and `f64`
/// (`F64`). Sealed.
pub trait RawElement: Element + sealed::Sealed {
    /// The safetensors dtype name.
    const DTYPE_NAME: &'static str;
    /// The value of `N` little-endian bytes (`N = size_of::<Self>()`).
    fn from_le(bytes: &[u8]) -> Self;
}

mod sealed {
    pub trait Sealed {}
    impl Sealed for f32 {}
    impl Sealed for f64 {}
}

impl RawElement for f32 {
    const DTYPE_NAME: &'static str = "F32";
    fn from_le(b: &[u8]) -> Self {
        let mut a = [0; 4];
        a.copy_from_slice(&b[..4]);
        f32::from_le_bytes(a)
    }
}

impl RawElement for f64 {
    const DTYPE_NAME: &'static str = "F64";
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
    fn new() -> Self {
        Name {
            buf: [0; 120],
            len: 0,
            cut: false,
        }
    }
    fn of(d: impl fmt::Display) -> Self {
        let mut n = Name::new();
        let _ = write!(n, "{d}");
        n
    }
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
    fn of(s: &[usize]) -> Self {
        let mut d = Dims {
            dims: [0; 8],
            rank: s.len(),
        };
        for (d, &s) in d.dims.iter_mut().zip(s) {
            *d = s;
        }
        d
    }
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

/// Why [`load_bytes`] refused a file. The same cases as the standard library loader's
/// `io::Error`, in values that need no allocator. The model is unchanged.
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
/// shapes, dtypes, counters), the same values.
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
/// # Errors
/// [`BytesError`]; the model is unchanged then.
pub fn load_bytes<E: RawElement, M: Module<E>>(
    model: &mut M,
    bytes: &[u8],
) -> Result<(), BytesError> {
    let file = File::parse(bytes)?;
    let mut check = Check {
        file: &file,
        error: None,
        tensors: 0,
        counters: 0,
    };
    M::visit([&mut *model], &Path::Root, &mut check);
    if let Some(e) = check.error {
        return Err(e);
    }
    // Every model tensor matched an entry of the file. Any entry left over is unexpected;
    // more model tensors than entries means two model tensors share a name.
    let mut left = None;
    let mut entries = 0;
    file.each(|key, entry| {
        entries += 1;
        if left.is_none() && key_count::<E, M>(&mut *model, file.text(key)) == 0 {
            left = Some((key, entry.shape));
        }
    })?;
    if let Some((key, shape)) = left {
        return Err(BytesError::UnexpectedKey {
            key: file.name(key),
            found: file.shape(shape)?,
        });
    }
    if check.tensors + check.counters > entries {
        // Two model tensors matched one entry: find its name.
        let mut dup = None;
        file.each(|key, _| {
            if dup.is_none() && key_count::<E, M>(&mut *model, file.text(key)) > 1 {
                dup = Some(key);
            }
        })?;
        return Err(BytesError::InvalidModule {
            key: dup.map_or_else(Name::new, |k| file.name(k)),
            reason: "two tensors have this name",
        });
    }
    M::visit([model], &Path::Root, &mut Assign { file: &file });
    Ok(())
}

/// How many tensors and counters of `model` are named `key`.
fn key_count<E, M: Module<E>>(model: &mut M, key: &[u8]) -> usize {
    struct Count<'k> {
        key: &'k [u8],
        n: usize,
    }
    impl<E> Visitor<E, 1> for Count<'_> {
        fn tensor(&mut self, info: TensorInfo<'_>, _: [&mut [E]; 1]) {
            self.n += usize::from(same_name(info.path, self.key));
        }
        fn counter(&mut self, path: &Path<'_>, _: [&mut u64; 1]) {
            self.n += usize::from(same_name(path, self.key));
        }
    }
    let mut c = Count { key, n: 0 };
    M::visit([model], &Path::Root, &mut c);
    c.n
}

/// Whether `path` prints as the (unescaped) key `key`.
fn same_name(path: &Path<'_>, key: &[u8]) -> bool {
    struct Cmp<'k> {
        rest: &'k [u8],
        equal: bool,
    }
    impl fmt::Write for Cmp<'_> {
        fn write_str(&mut self, s: &str) -> fmt::Result {
            match self.rest.strip_prefix(s.as_bytes()) {
                Some(rest) if self.equal => self.rest = rest,
                _ => self.equal = false,
            }
            Ok(())
        }
    }
    let mut c = Cmp {
        rest: key,
        equal: true,
    };
    let _ = write!(c, "{path}");
    c.equal && c.rest.is_empty()
}

/// Pass 1: every model tensor against the file; counts what it saw.
struct Check<'f, 'b> {
    file: &'f File<'b>,
    error: Option<BytesError>,
    tensors: usize,
    counters: usize,
}

impl<E: RawElement> Visitor<E, 1> for Check<'_, '_> {
    fn tensor(&mut self, info: TensorInfo<'_>, [v]: [&mut [E]; 1]) {
        if self.error.is_none() {
            self.tensors += 1;
            self.error = self.check_tensor(&info, v.len(), E::DTYPE_NAME).err();
        }
    }
    fn counter(&mut self, path: &Path<'_>, _: [&mut u64; 1]) {
        if self.error.is_none() {
            self.error = self.check_counter(path).err();
        }
    }
}

impl Check<'_, '_> {
    fn check_tensor(
        &self,
        info: &TensorInfo<'_>,
        len: usize,
        dtype: &'static str,
    ) -> Result<(), BytesError> {
        let key = || Name::of(info.path);
        if info.shape.iter().product::<usize>() != len {
            return Err(BytesError::InvalidModule {
                key: key(),
                reason: "the declared shape does not match the number of values",
            });
        }
        let Some(entry) = self.file.find(info.path)? else {
            return Err(BytesError::MissingKey {
                key: key(),
                expected: Dims::of(info.shape),
            });
        };
        let found = self.file.shape(entry.shape)?;
        if found.rank() != info.shape.len() || found.as_slice() != info.shape {
            return Err(BytesError::WrongShape {
                key: key(),
                expected: Dims::of(info.shape),
                found,
            });
        }
        if self.file.text(entry.dtype) != dtype.as_bytes() {
            return Err(BytesError::WrongDtype {
                key: key(),
                expected: dtype,
                found: self.file.name(entry.dtype),
            });
        }
        Ok(())
    }

    fn check_counter(&mut self, path: &Path<'_>) -> Result<(), BytesError> {
        let Some(entry) = self.file.find(path)? else {
            return Ok(()); // absent: the counter keeps its value
        };
        self.counters += 1;
        let key = || Name::of(path);
        let found = self.file.shape(entry.shape)?;
        if found.rank() != 0 {
            return Err(BytesError::WrongShape {
                key: key(),
                expected: Dims::of(&[]),
                found,
            });
        }
        if self.file.text(entry.dtype) != b"I64" {
            return Err(BytesError::WrongDtype {
                key: key(),
                expected: "I64",
                found: self.file.name(entry.dtype),
            });
        }
        let value = i64::from_le_bytes(self.file.data_of::<8>(&entry));
        if value < 0 {
            return Err(BytesError::InvalidCounter { key: key(), value });
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
        if let Ok(Some(entry)) = self.file.find(info.path) {
            let data = self.file.data(&entry);
            for (v, b) in v.iter_mut().zip(data.chunks_exact(size_of::<E>())) {
                *v = E::from_le(b);
            }
        }
    }
    fn counter(&mut self, path: &Path<'_>, [v]: [&mut u64; 1]) {
        if let Ok(Some(entry)) = self.file.find(path) {
            *v = i64::from_le_bytes(self.file.data_of::<8>(&entry)).unsigned_abs();
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The file: its header read in place.

/// A string's contents (without quotes) or an array's text (with brackets): offsets into the
/// file.
#[derive(Clone, Copy, Debug)]
struct Span {
    start: usize,
    end: usize,
}

/// One tensor of the header.
#[derive(Clone, Copy, Debug)]
struct Entry {
    dtype: Span,
    shape: Span,
    begin: usize,
    end: usize,
}

/// A safetensors file whose header has been checked: every entry well formed, with a known
/// dtype and offsets that lie in the data and match its shape.
struct File<'b> {
    bytes: &'b [u8],
    /// The header's end (it starts at byte 8).
    header_end: usize,
}

/// Nesting allowed in `__metadata__` and unknown fields (the reader recurses).
const MAX_DEPTH: usize = 32;

fn malformed<T>(reason: &'static str, at: usize) -> Result<T, BytesError> {
    Err(BytesError::Malformed { reason, at })
}

/// Bytes per element of a safetensors dtype.
fn dtype_size(name: &[u8]) -> Option<usize> {
    Some(match name {
        b"BOOL" | b"U8" | b"I8" | b"F8_E5M2" | b"F8_E4M3" | b"F8_E8M0" => 1,
        b"I16" | b"U16" | b"F16" | b"BF16" => 2,
        b"I32" | b"U32" | b"F32" => 4,
        b"I64" | b"U64" | b"F64" | b"C64" => 8,
        _ => return None,
    })
}

impl<'b> File<'b> {
    fn parse(bytes: &'b [u8]) -> Result<Self, BytesError> {
        let Some(n) = bytes.get(..8) else {
            return malformed("shorter than the 8-byte header length", 0);
        };
        let mut len = [0; 8];
        len.copy_from_slice(n);
        let header_end = usize::try_from(u64::from_le_bytes(len))
            .ok()
            .and_then(|n| n.checked_add(8))
            .filter(|&end| end <= bytes.len());
        let Some(header_end) = header_end else {
            return malformed("the header length exceeds the file", 0);
        };
        let file = File { bytes, header_end };
        // Well formed; no name twice; the tensors, ordered by their offsets, tile the data
        // from its first byte to its last, each starting where the one before ends. Checked
        // without sorting (no allocation): each entry's predecessor in that order is found by
        // a scan of the header, O(n²) in all.
        let mut problem = None;
        let mut entries = 0;
        file.each(|key, e| {
            let me = (e.begin, e.end, key.start);
            let (mut twice, mut pred, mut last) = (false, None, true);
            let _ = file.each(|k, f| {
                let other = (f.begin, f.end, k.start);
                twice |= k.start != key.start && file.text(k) == file.text(key);
                if other < me && pred.is_none_or(|p| other > p) {
                    pred = Some(other);
                }
                last &= other <= me;
            });
            let starts_right = pred.map_or(e.begin == 0, |p| p.1 == e.begin);
            let ends_right = !last || e.end == file.data_len();
            if problem.is_none() {
                if twice {
                    problem = Some(("a tensor name appears twice", key.start));
                } else if !starts_right || !ends_right {
                    problem = Some(("the tensors do not cover the data exactly", key.start));
                }
            }
            entries += 1;
        })?;
        if let Some((reason, at)) = problem {
            return malformed(reason, at);
        }
        if entries == 0 && file.data_len() > 0 {
            return malformed("data but no tensors", header_end);
        }
        Ok(file)
    }

    fn data_len(&self) -> usize {
        self.bytes.len() - self.header_end
    }

    fn text(&self, s: Span) -> &'b [u8] {
        &self.bytes[s.start..s.end]
    }

    fn name(&self, s: Span) -> Name {
        let mut n = Name::new();
        let _ = n.write_str(core::str::from_utf8(self.text(s)).unwrap_or("(not UTF-8)"));
        n
    }

    fn data(&self, e: &Entry) -> &'b [u8] {
        &self.bytes[self.header_end + e.begin..self.header_end + e.end]
    }

    /// The first `N` bytes of an entry's data (zeros where it is shorter).
    fn data_of<const N: usize>(&self, e: &Entry) -> [u8; N] {
        let mut out = [0; N];
        for (o, b) in out.iter_mut().zip(self.data(e)) {
            *o = *b;
        }
        out
    }

    /// The dimensions of a shape array (its rank, and its first 8 dimensions).
    fn shape(&self, s: Span) -> Result<Dims, BytesError> {
        let mut r = Reader {
            b: &self.bytes[..s.end],
            at: s.start,
        };
        let mut d = Dims::of(&[]);
        r.uint_array(|v| {
            if let Some(o) = d.dims.get_mut(d.rank) {
                *o = v;
            }
            d.rank += 1;
        })?;
        Ok(d)
    }

    /// The entry named like `path`, if any.
    fn find(&self, path: &Path<'_>) -> Result<Option<Entry>, BytesError> {
        let mut found = None;
        self.each(|key, e| {
            if found.is_none() && same_name(path, self.text(key)) {
                found = Some(e);
            }
        })?;
        Ok(found)
    }

    /// Calls `f(key, entry)` for every tensor of the header, in file order, after checking it.
    fn each(&self, mut f: impl FnMut(Span, Entry)) -> Result<(), BytesError> {
        let mut r = Reader {
            b: &self.bytes[..self.header_end],
            at: 8,
        };
        r.expect(b'{')?;
        if !r.eat(b'}') {
            loop {
                let key = r.string(false)?;
                r.expect(b':')?;
                if self.text(key) == b"__metadata__" {
                    r.skip_value(0)?;
                } else {
                    let e = r.entry()?;
                    self.check_entry(&e, r.at)?;
                    f(key, e);
                }
                if r.eat(b'}') {
                    break;
                }
                r.expect(b',')?;
            }
        }
        r.ws();
        if r.at != self.header_end {
            return malformed("bytes after the header's object", r.at);
        }
        Ok(())
    }

    fn check_entry(&self, e: &Entry, at: usize) -> Result<(), BytesError> {
        let Some(size) = dtype_size(self.text(e.dtype)) else {
            return malformed("unknown dtype", e.dtype.start);
        };
        let mut numel = 1usize;
        let mut r = Reader {
            b: &self.bytes[..e.shape.end],
            at: e.shape.start,
        };
        let mut overflow = false;
        r.uint_array(|d| match numel.checked_mul(d) {
            Some(n) => numel = n,
            None => overflow = true,
        })?;
        let bytes = numel.checked_mul(size);
        match bytes {
            Some(n)
                if !overflow
                    && e.begin <= e.end
                    && e.end <= self.data_len()
                    && e.end - e.begin == n =>
            {
                Ok(())
            }
            _ => malformed(
                "data offsets do not match the shape and dtype, or exceed the data",
                at,
            ),
        }
    }
}

/// A cursor over the header's JSON.
struct Reader<'b> {
    b: &'b [u8],
    at: usize,
}

impl Reader<'_> {
    fn ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.b.get(self.at) {
            self.at += 1;
        }
    }

    /// Skips whitespace and `c` if it comes next.
    fn eat(&mut self, c: u8) -> bool {
        self.ws();
        if self.b.get(self.at) == Some(&c) {
            self.at += 1;
            true
        } else {
            false
        }
    }

    fn expect(&mut self, c: u8) -> Result<(), BytesError> {
        if self.eat(c) {
            Ok(())
        } else {
            malformed("unexpected character in the header", self.at)
        }
    }

    /// A string; its contents' span. `escapes`: whether backslash escapes are allowed (names
    /// and dtypes are compared byte for byte, so theirs are not).
    fn string(&mut self, escapes: bool) -> Result<Span, BytesError> {
        self.expect(b'"')?;
        let start = self.at;
        loop {
            match self.b.get(self.at) {
                None => return malformed("unterminated string", self.at),
                Some(b'"') => break,
                Some(b'\\') if escapes => self.at += 2,
                Some(b'\\') => return malformed("escapes in a tensor name or dtype", self.at),
                Some(&c) if c < 0x20 => return malformed("control character in a string", self.at),
                Some(_) => self.at += 1,
            }
        }
        let end = self.at;
        self.at += 1;
        if core::str::from_utf8(&self.b[start..end.min(self.b.len())]).is_err() {
            return malformed("a string is not UTF-8", start);
        }
        Ok(Span { start, end })
    }

    fn uint(&mut self) -> Result<usize, BytesError> {
        self.ws();
        let start = self.at;
        let mut v = 0usize;
        while let Some(&c @ b'0'..=b'9') = self.b.get(self.at) {
            v = match v
                .checked_mul(10)
                .and_then(|v| v.checked_add(usize::from(c - b'0')))
            {
                Some(v) => v,
                None => return malformed("a number does not fit", start),
            };
            self.at += 1;
        }
        if self.at == start {
            return malformed("expected a non-negative integer", start);
        }
        Ok(v)
    }

    /// `[a, b, …]` of non-negative integers.
    fn uint_array(&mut self, mut f: impl FnMut(usize)) -> Result<(), BytesError> {
        self.expect(b'[')?;
        if self.eat(b']') {
            return Ok(());
        }
        loop {
            f(self.uint()?);
            if self.eat(b']') {
                return Ok(());
            }
            self.expect(b',')?;
        }
    }

    /// A tensor entry: `{"dtype": …, "shape": […], "data_offsets": [begin, end]}` (any order;
    /// other fields are skipped).
    fn entry(&mut self) -> Result<Entry, BytesError> {
        let start = self.at;
        self.expect(b'{')?;
        let (mut dtype, mut shape, mut offsets) = (None, None, None);
        if !self.eat(b'}') {
            loop {
                let key = self.string(true)?;
                self.expect(b':')?;
                match &self.b[key.start..key.end] {
                    b"dtype" => dtype = Some(self.string(false)?),
                    b"shape" => {
                        self.ws();
                        let s = self.at;
                        self.uint_array(|_| {})?;
                        shape = Some(Span {
                            start: s,
                            end: self.at,
                        });
                    }
                    b"data_offsets" => {
                        let mut o = [0; 3];
                        let mut n = 0;
                        self.uint_array(|v| {
                            if let Some(o) = o.get_mut(n) {
                                *o = v;
                            }
                            n += 1;
                        })?;
                        if n != 2 {
                            return malformed("data_offsets must hold two numbers", key.start);
                        }
                        offsets = Some((o[0], o[1]));
                    }
                    _ => self.skip_value(0)?,
                }
                if self.eat(b'}') {
                    break;
                }
                self.expect(b',')?;
            }
        }
        match (dtype, shape, offsets) {
            (Some(dtype), Some(shape), Some((begin, end))) => Ok(Entry {
                dtype,
                shape,
                begin,
                end,
            }),
            _ => malformed("a tensor lacks its dtype, shape or data_offsets", start),
        }
    }

    /// Any JSON value (in `__metadata__` and unknown fields).
    fn skip_value(&mut self, depth: usize) -> Result<(), BytesError> {
        if depth > MAX_DEPTH {
            return malformed("values nested too deep", self.at);
        }
        self.ws();
        match self.b.get(self.at) {
            Some(b'"') => self.string(true).map(|_| ()),
            Some(b'{') => {
                self.at += 1;
                if self.eat(b'}') {
                    return Ok(());
                }
                loop {
                    self.string(true)?;
                    self.expect(b':')?;
                    self.skip_value(depth + 1)?;
                    if self.eat(b'}') {
                        return Ok(());
                    }
                    self.expect(b',')?;
                }
            }
            Some(b'[') => {
                self.at += 1;
                if self.eat(b']') {
                    return Ok(());
                }
                loop {
                    self.skip_value(depth + 1)?;
                    if self.eat(b']') {
                        return Ok(());
                    }
                    self.expect(b',')?;
                }
            }
            Some(b't') => self.word(b"true"),
            Some(b'f') => self.word(b"false"),
            Some(b'n') => self.word(b"null"),
            Some(b'-' | b'0'..=b'9') => {
                let start = self.at;
                while let Some(b'-' | b'+' | b'.' | b'e' | b'E' | b'0'..=b'9') = self.b.get(self.at)
                {
                    self.at += 1;
                }
                if self.at == start {
                    return malformed("expected a value", start);
                }
                Ok(())
            }
            _ => malformed("expected a value", self.at),
        }
    }

    fn word(&mut self, w: &[u8]) -> Result<(), BytesError> {
        if self.b[self.at..].starts_with(w) {
            self.at += w.len();
            Ok(())
        } else {
            malformed("expected a value", self.at)
        }
    }
}
