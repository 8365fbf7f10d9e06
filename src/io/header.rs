//! A safetensors file's header — an 8-byte length, then a JSON object — read in place, with no
//! allocation: [`File::parse`] checks it once, then every lookup walks it again.
//!
//! What is accepted is what the `safetensors` crate's reader (0.8, on serde_json) accepts:
//! * JSON as serde_json reads it: strings with valid escapes (surrogates paired), no control
//!   characters, UTF-8; numbers `-?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?`; nesting at
//!   most 127 arrays or objects deep (the header's object included); whitespace around tokens;
//!   nothing after the object. Keys and values are compared after decoding their escapes.
//! * a header of at most 100 MB;
//! * `__metadata__` (at most once): `null` or an object of strings;
//! * every other key a tensor: an object with `dtype`, `shape` and `data_offsets`, each once,
//!   and any other field (ignored), or serde's sequence form `[dtype, shape, data_offsets]`. A
//!   dtype is a name of the crate's `Dtype` (or serde's `{"F32": null}` form); shapes and
//!   offsets are arrays of integers in `0..=usize::MAX`, the offsets two of them;
//! * the byte count of each tensor (its elements' bits, a whole number of bytes) equal to its
//!   offsets' difference, and the tensors, ordered by offsets, covering the data exactly.
//!
//! Two differences remain, both on files no writer produces: a tensor name that appears twice is
//! refused here (the crate keeps the last of them, if the data allows), and a number in a field
//! the reader ignores is refused only from 10³⁰⁹ on (serde_json refuses it from `f64::MAX`,
//! about 1.8·10³⁰⁸).

use core::ops::ControlFlow;

/// The largest header (in bytes) the `safetensors` crate reads or writes.
pub(super) const MAX_HEADER_LEN: usize = 100_000_000;

/// serde_json's nesting limit: arrays and objects nest at most this deep, the header's object
/// being the first level.
const MAX_DEPTH: usize = 127;

/// An element type of the format.
#[derive(Debug, PartialEq, Eq)]
pub(super) struct Dtype {
    /// Its name in headers (`"F32"`).
    pub name: &'static str,
    /// Bits per element.
    pub bits: usize,
}

const fn dt(name: &'static str, bits: usize) -> Dtype {
    Dtype { name, bits }
}

/// Every dtype, in the order of the `safetensors` crate's `Dtype` enum: its writer stores the
/// tensors of the last dtype first.
pub(super) static DTYPES: [Dtype; 22] = [
    dt("BOOL", 8),
    dt("F4", 4),
    dt("F6_E2M3", 6),
    dt("F6_E3M2", 6),
    dt("U8", 8),
    dt("I8", 8),
    dt("F8_E5M2", 8),
    dt("F8_E4M3", 8),
    dt("F8_E8M0", 8),
    dt("F8_E4M3FNUZ", 8),
    dt("F8_E5M2FNUZ", 8),
    dt("I16", 16),
    dt("U16", 16),
    dt("F16", 16),
    dt("BF16", 16),
    dt("I32", 32),
    dt("U32", 32),
    dt("F32", 32),
    dt("C64", 64),
    dt("F64", 64),
    dt("I64", 64),
    dt("U64", 64),
];

/// Why a file is not a safetensors file, and the byte offset where reading stopped.
#[derive(Clone, Copy, Debug)]
pub(super) struct Malformed {
    pub reason: &'static str,
    pub at: usize,
}

type Result<T> = core::result::Result<T, Malformed>;

fn fail<T>(reason: &'static str, at: usize) -> Result<T> {
    Err(Malformed { reason, at })
}

/// Part of the header: a string's contents (between its quotes, escapes undecoded) or an
/// array's text (with its brackets).
#[derive(Clone, Copy, Debug)]
pub(super) struct Span {
    start: usize,
    end: usize,
}

/// One tensor of the header.
#[derive(Clone, Copy, Debug)]
pub(super) struct Entry {
    /// Its name.
    pub key: Span,
    pub dtype: &'static Dtype,
    /// The shape array.
    pub shape: Span,
    /// Its data: bytes `begin..end` after the header.
    pub begin: usize,
    pub end: usize,
}

/// The characters of a string of the header, escapes decoded (the parser has checked them; on
/// anything else the iteration stops).
#[derive(Clone)]
pub(super) struct Chars<'b>(core::str::Chars<'b>);

impl Chars<'_> {
    fn hex4(&mut self) -> Option<u32> {
        let mut v = 0;
        for _ in 0..4 {
            v = v * 16 + self.0.next()?.to_digit(16)?;
        }
        Some(v)
    }
}

impl Iterator for Chars<'_> {
    type Item = char;
    fn next(&mut self) -> Option<char> {
        let c = self.0.next()?;
        if c != '\\' {
            return Some(c);
        }
        Some(match self.0.next()? {
            'b' => '\u{8}',
            'f' => '\u{c}',
            'n' => '\n',
            'r' => '\r',
            't' => '\t',
            'u' => {
                let n = self.hex4()?;
                if (0xD800..0xDC00).contains(&n) {
                    // A leading surrogate; `\u` and the trailing one follow.
                    self.0.nth(1)?;
                    let low = self.hex4()?.checked_sub(0xDC00)?;
                    char::from_u32(0x10000 + ((n - 0xD800) << 10) + low)?
                } else {
                    char::from_u32(n)?
                }
            }
            c => c, // `"`, `\`, `/`
        })
    }
}

/// The string at `s` of `bytes`, decoded.
fn decode(bytes: &[u8], s: Span) -> Chars<'_> {
    Chars(
        core::str::from_utf8(raw(bytes, s))
            .unwrap_or_default()
            .chars(),
    )
}

/// The string at `s` of `bytes` as it is written.
fn raw(bytes: &[u8], s: Span) -> &[u8] {
    bytes.get(s.start..s.end).unwrap_or_default()
}

/// Whether the strings at `a` and `b` of `bytes` are equal once decoded. (Without escapes,
/// their bytes are compared: walks of the header are frequent.)
fn same(bytes: &[u8], a: Span, b: Span) -> bool {
    let (x, y) = (raw(bytes, a), raw(bytes, b));
    if x.contains(&b'\\') || y.contains(&b'\\') {
        decode(bytes, a).eq(decode(bytes, b))
    } else {
        x == y
    }
}

/// Whether the string at `s` of `bytes` is `text` once decoded.
fn is(bytes: &[u8], s: Span, text: &str) -> bool {
    let x = raw(bytes, s);
    if x.contains(&b'\\') {
        decode(bytes, s).eq(text.chars())
    } else {
        x == text.as_bytes()
    }
}

/// A safetensors file whose header has been checked (see the module docs).
pub(super) struct File<'b> {
    bytes: &'b [u8],
    /// The header's end (it starts at byte 8).
    header_end: usize,
}

impl<'b> File<'b> {
    pub fn parse(bytes: &'b [u8]) -> Result<Self> {
        let Some(n) = bytes.get(..8) else {
            return fail("the file is shorter than its 8-byte header length", 0);
        };
        let mut len = [0; 8];
        len.copy_from_slice(n);
        let len = u64::from_le_bytes(len);
        if len > MAX_HEADER_LEN as u64 {
            return fail("the header is longer than 100 MB, safetensors' limit", 0);
        }
        // At most 10⁸: no overflow.
        let header_end = 8 + len as usize;
        if header_end > bytes.len() {
            return fail("the header is longer than the file", 0);
        }
        let file = File { bytes, header_end };
        file.walk(true, |_| ControlFlow::Continue(()))?;
        // No name twice; the tensors, ordered by their offsets, tile the data from its first
        // byte to its last, each starting where the one before ends. Checked without sorting
        // (no allocation): each entry's predecessor in that order is found by a walk of the
        // header, for `BATCH` entries at a time.
        let mut done = 0usize;
        loop {
            let mut batch = [None::<Place>; BATCH];
            let mut i = 0usize;
            file.each(|e| {
                if let Some(slot) = i.checked_sub(done).and_then(|j| batch.get_mut(j)) {
                    *slot = Some(Place::new(e));
                }
                i += 1;
            });
            if i == done {
                break;
            }
            file.each(|e| batch.iter_mut().flatten().for_each(|p| p.meet(bytes, &e)));
            for p in batch.iter().flatten() {
                p.check(file.data_len())?;
                done += 1;
            }
        }
        if done == 0 && file.data_len() > 0 {
            return fail("data but no tensors", header_end);
        }
        Ok(file)
    }

    /// Calls `f` for every tensor, in file order.
    pub fn each(&self, mut f: impl FnMut(Entry)) {
        // `parse` has checked the header: this walk, which does not check it again, finds the
        // same tensors.
        let _ = self.walk(false, |e| {
            f(e);
            ControlFlow::Continue(())
        });
    }

    /// The first tensor for which `f` is true.
    pub fn find(&self, mut f: impl FnMut(&Entry) -> bool) -> Option<Entry> {
        let mut found = None;
        let _ = self.walk(false, |e| {
            if f(&e) {
                found = Some(e);
                return ControlFlow::Break(());
            }
            ControlFlow::Continue(())
        });
        found
    }

    /// A string of the header, decoded.
    pub fn key(&self, s: Span) -> Chars<'b> {
        decode(self.bytes, s)
    }

    /// Calls `f` with each dimension of a shape.
    pub fn dims(&self, s: Span, f: impl FnMut(usize)) {
        let mut r = Reader {
            b: self.bytes.get(..s.end).unwrap_or_default(),
            at: s.start,
            check: false,
        };
        let _ = r.uint_array(f);
    }

    /// A tensor's data.
    pub fn data(&self, e: &Entry) -> &'b [u8] {
        let data = self.bytes.get(self.header_end..).unwrap_or_default();
        data.get(e.begin..e.end).unwrap_or_default()
    }

    fn data_len(&self) -> usize {
        self.bytes.len() - self.header_end
    }

    /// Reads the header's object and calls `f` with every tensor. With `check`, checks the
    /// header as it goes: its strings, its numbers, and that each tensor's offsets agree with its
    /// shape and dtype. (Without, it reads a checked header faster.)
    fn walk(&self, check: bool, mut f: impl FnMut(Entry) -> ControlFlow<()>) -> Result<()> {
        let mut r = Reader {
            b: &self.bytes[..self.header_end],
            at: 8,
            check,
        };
        r.expect(b'{')?;
        let mut metadata = false;
        if !r.eat(b'}') {
            loop {
                let key = r.string()?;
                r.expect(b':')?;
                if is(self.bytes, key, "__metadata__") {
                    if metadata {
                        return fail("`__metadata__` appears twice", key.start);
                    }
                    metadata = true;
                    r.metadata()?;
                } else {
                    let e = r.entry(key)?;
                    if check {
                        self.check_size(&e)?;
                    }
                    if f(e).is_break() {
                        return Ok(());
                    }
                }
                if r.eat(b'}') {
                    break;
                }
                r.expect(b',')?;
            }
        }
        r.ws();
        if r.at != self.header_end {
            return fail("bytes after the header's object", r.at);
        }
        Ok(())
    }

    /// A tensor's offsets agree with its shape and dtype, and lie in the data.
    fn check_size(&self, e: &Entry) -> Result<()> {
        let at = e.key.start;
        let mut numel = Some(1usize);
        self.dims(e.shape, |d| numel = numel.and_then(|n| n.checked_mul(d)));
        let Some(bits) = numel.and_then(|n| n.checked_mul(e.dtype.bits)) else {
            return fail("a tensor's size overflows", at);
        };
        if bits % 8 != 0 {
            return fail("a tensor does not fill its last byte", at);
        }
        if e.begin > e.end {
            return fail("a tensor's data ends before it begins", at);
        }
        if e.end > self.data_len() {
            return fail("a tensor's data goes beyond the end of the file", at);
        }
        if e.end - e.begin != bits / 8 {
            return fail(
                "a tensor's data offsets do not match its shape and dtype",
                at,
            );
        }
        Ok(())
    }
}

/// How many tensors `File::parse` compares with all the others in one walk of the header.
const BATCH: usize = 16;

/// A tensor, and what the others say of it (see `File::parse`).
#[derive(Clone, Copy)]
struct Place {
    entry: Entry,
    /// Another tensor has its name.
    twice: bool,
    /// The tensor before it, ordered by offsets (then by position in the header).
    pred: Option<(usize, usize, usize)>,
    /// It is the last in that order.
    last: bool,
}

impl Place {
    fn new(entry: Entry) -> Self {
        Place {
            entry,
            twice: false,
            pred: None,
            last: true,
        }
    }

    fn order(e: &Entry) -> (usize, usize, usize) {
        (e.begin, e.end, e.key.start)
    }

    fn meet(&mut self, bytes: &[u8], other: &Entry) {
        let (me, o) = (Place::order(&self.entry), Place::order(other));
        self.twice |= o.2 != me.2 && same(bytes, other.key, self.entry.key);
        if o < me && self.pred.is_none_or(|p| o > p) {
            self.pred = Some(o);
        }
        self.last &= o <= me;
    }

    fn check(&self, data_len: usize) -> Result<()> {
        let e = &self.entry;
        let starts_right = self.pred.map_or(e.begin == 0, |p| p.1 == e.begin);
        let ends_right = !self.last || e.end == data_len;
        if self.twice {
            fail("a tensor name appears twice", e.key.start)
        } else if !starts_right || !ends_right {
            fail("the tensors do not cover the data exactly", e.key.start)
        } else {
            Ok(())
        }
    }
}

/// A cursor over the header's JSON.
struct Reader<'b> {
    b: &'b [u8],
    at: usize,
    /// Whether to check strings: their escapes, control characters and encoding (see
    /// [`File::walk`]).
    check: bool,
}

impl Reader<'_> {
    fn peek(&self) -> Option<u8> {
        self.b.get(self.at).copied()
    }

    fn rest(&self) -> &[u8] {
        self.b.get(self.at..).unwrap_or_default()
    }

    fn ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.peek() {
            self.at += 1;
        }
    }

    /// Skips whitespace and `c` if it comes next.
    fn eat(&mut self, c: u8) -> bool {
        self.ws();
        let next = self.peek() == Some(c);
        self.at += usize::from(next);
        next
    }

    fn expect(&mut self, c: u8) -> Result<()> {
        if self.eat(c) {
            Ok(())
        } else {
            fail("unexpected character in the header", self.at)
        }
    }

    /// Skips whitespace and the word `w` if it comes next.
    fn eat_word(&mut self, w: &[u8]) -> bool {
        self.ws();
        let next = self.rest().starts_with(w);
        if next {
            self.at += w.len();
        }
        next
    }

    /// A string: its contents' span.
    fn string(&mut self) -> Result<Span> {
        self.expect(b'"')?;
        let start = self.at;
        let mut ascii = true;
        loop {
            match self.peek() {
                None => return fail("unterminated string", self.at),
                Some(b'"') => break,
                Some(b'\\') if self.check => {
                    self.at += 1;
                    self.escape()?;
                }
                // An escaped character (the checked walk has checked it).
                Some(b'\\') => self.at += 2,
                Some(0..0x20) if self.check => {
                    return fail("control character in a string", self.at);
                }
                Some(c) => {
                    ascii &= c.is_ascii();
                    self.at += 1;
                }
            }
        }
        let span = Span {
            start,
            end: self.at,
        };
        self.at += 1;
        if self.check && !ascii && core::str::from_utf8(&self.b[start..span.end]).is_err() {
            return fail("a string is not UTF-8", start);
        }
        Ok(span)
    }

    /// An escape, after its backslash.
    fn escape(&mut self) -> Result<()> {
        let at = self.at - 1;
        match self.peek() {
            Some(b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't') => self.at += 1,
            Some(b'u') => {
                self.at += 1;
                match self.hex4(at)? {
                    0xDC00..=0xDFFF => return fail("a lone surrogate in a \\u escape", at),
                    0xD800..=0xDBFF => {
                        // The trailing surrogate must follow.
                        if !self.rest().starts_with(b"\\u") {
                            return fail("a lone surrogate in a \\u escape", at);
                        }
                        self.at += 2;
                        if !(0xDC00..=0xDFFF).contains(&self.hex4(at)?) {
                            return fail("a lone surrogate in a \\u escape", at);
                        }
                    }
                    _ => {}
                }
            }
            _ => return fail("invalid escape in a string", at),
        }
        Ok(())
    }

    fn hex4(&mut self, at: usize) -> Result<u32> {
        let mut v = 0;
        for _ in 0..4 {
            let Some(d) = self.peek().and_then(|c| char::from(c).to_digit(16)) else {
                return fail("invalid \\u escape", at);
            };
            v = v * 16 + d;
            self.at += 1;
        }
        Ok(v)
    }

    /// Skips the digits that come next; how many there were.
    fn digits(&mut self) -> usize {
        let start = self.at;
        while let Some(b'0'..=b'9') = self.peek() {
            self.at += 1;
        }
        self.at - start
    }

    /// A non-negative JSON integer that fits in `usize`.
    fn uint(&mut self) -> Result<usize> {
        self.ws();
        let start = self.at;
        let n = self.digits();
        if n == 0 {
            return fail("expected a non-negative integer", start);
        }
        if n > 1 && self.b[start] == b'0' {
            return fail("a number with a leading zero", start);
        }
        let mut v = 0usize;
        for &c in &self.b[start..self.at] {
            match v
                .checked_mul(10)
                .and_then(|v| v.checked_add(usize::from(c - b'0')))
            {
                Some(n) => v = n,
                None => return fail("a number does not fit", start),
            }
        }
        Ok(v)
    }

    /// `[a, b, …]` of non-negative integers.
    fn uint_array(&mut self, mut f: impl FnMut(usize)) -> Result<()> {
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

    fn shape(&mut self) -> Result<Span> {
        self.ws();
        let start = self.at;
        self.uint_array(|_| {})?;
        Ok(Span {
            start,
            end: self.at,
        })
    }

    fn offsets(&mut self) -> Result<(usize, usize)> {
        self.ws();
        let at = self.at;
        let (mut o, mut n) = ([0; 2], 0);
        self.uint_array(|v| {
            if let Some(o) = o.get_mut(n) {
                *o = v;
            }
            n += 1;
        })?;
        if n != 2 {
            return fail("data_offsets must hold two numbers", at);
        }
        Ok((o[0], o[1]))
    }

    /// A dtype: its name as a string, or serde's form of a unit variant, `{"F32": null}`.
    fn dtype(&mut self) -> Result<&'static Dtype> {
        self.ws();
        let at = self.at;
        let name = if self.eat(b'{') {
            let name = self.string()?;
            self.expect(b':')?;
            if !self.eat_word(b"null") {
                return fail("expected null", self.at);
            }
            self.expect(b'}')?;
            name
        } else {
            self.string()?
        };
        let text = raw(self.b, name);
        let escaped = text.contains(&b'\\');
        let known = DTYPES.iter().find(|d| {
            if escaped {
                decode(self.b, name).eq(d.name.chars())
            } else {
                d.name.as_bytes() == text
            }
        });
        match known {
            Some(d) => Ok(d),
            None => fail("unknown dtype", at),
        }
    }

    /// The value of tensor `key`: `{"dtype": …, "shape": […], "data_offsets": [begin, end]}`
    /// (any order, other fields ignored) or `[dtype, shape, data_offsets]`.
    fn entry(&mut self, key: Span) -> Result<Entry> {
        self.ws();
        let start = self.at;
        let entry = |dtype, shape, (begin, end)| Entry {
            key,
            dtype,
            shape,
            begin,
            end,
        };
        if self.eat(b'[') {
            let dtype = self.dtype()?;
            self.expect(b',')?;
            let shape = self.shape()?;
            self.expect(b',')?;
            let offsets = self.offsets()?;
            self.expect(b']')?;
            return Ok(entry(dtype, shape, offsets));
        }
        self.expect(b'{')?;
        let (mut dtype, mut shape, mut offsets) = (None, None, None);
        if !self.eat(b'}') {
            loop {
                let field = self.string()?;
                self.expect(b':')?;
                let b = self.b;
                let named = |name: &str| is(b, field, name);
                let twice = if named("dtype") {
                    dtype.replace(self.dtype()?).is_some()
                } else if named("shape") {
                    shape.replace(self.shape()?).is_some()
                } else if named("data_offsets") {
                    offsets.replace(self.offsets()?).is_some()
                } else {
                    self.skip_value(2)?;
                    false
                };
                if twice {
                    return fail("a field of a tensor appears twice", field.start);
                }
                if self.eat(b'}') {
                    break;
                }
                self.expect(b',')?;
            }
        }
        match (dtype, shape, offsets) {
            (Some(d), Some(s), Some(o)) => Ok(entry(d, s, o)),
            _ => fail("a tensor lacks its dtype, shape or data_offsets", start),
        }
    }

    /// `__metadata__`'s value: `null`, or an object of strings.
    fn metadata(&mut self) -> Result<()> {
        if self.eat_word(b"null") {
            return Ok(());
        }
        self.expect(b'{')?;
        if self.eat(b'}') {
            return Ok(());
        }
        loop {
            self.string()?;
            self.expect(b':')?;
            self.string()?;
            if self.eat(b'}') {
                return Ok(());
            }
            self.expect(b',')?;
        }
    }

    /// Any JSON value, inside `depth` levels of arrays and objects. Iterative: the open arrays
    /// and objects are the bits of `open` (1 for an object), at most [`MAX_DEPTH`] of them.
    fn skip_value(&mut self, depth: usize) -> Result<()> {
        let (mut open, mut levels) = (0u128, depth);
        loop {
            // A value.
            self.ws();
            let at = self.at;
            match self.peek() {
                Some(c @ (b'{' | b'[')) => {
                    if levels == MAX_DEPTH {
                        return fail("values nested too deep", at);
                    }
                    self.at += 1;
                    let object = c == b'{';
                    if self.eat(if object { b'}' } else { b']' }) {
                        if levels == depth {
                            return Ok(());
                        }
                    } else {
                        open = open << 1 | u128::from(object);
                        levels += 1;
                        if object {
                            self.string()?;
                            self.expect(b':')?;
                        }
                        continue;
                    }
                }
                Some(b'"') => {
                    self.string()?;
                }
                Some(b'-' | b'0'..=b'9') => self.number()?,
                _ => {
                    if !(self.eat_word(b"true")
                        || self.eat_word(b"false")
                        || self.eat_word(b"null"))
                    {
                        return fail("expected a value", at);
                    }
                }
            }
            // After a value: close what ends here, then the next element or member.
            loop {
                if levels == depth {
                    return Ok(());
                }
                let object = open & 1 == 1;
                if self.eat(b',') {
                    if object {
                        self.string()?;
                        self.expect(b':')?;
                    }
                    break;
                }
                self.expect(if object { b'}' } else { b']' })?;
                open >>= 1;
                levels -= 1;
            }
        }
    }

    /// A JSON number. Refused from 10³⁰⁹ on, beyond `f64` (see the module docs).
    fn number(&mut self) -> Result<()> {
        let start = self.at;
        self.at += usize::from(self.peek() == Some(b'-'));
        let int = self.at;
        let n = self.digits();
        if n == 0 || (n > 1 && self.b[int] == b'0') {
            return fail("invalid number", start);
        }
        // The power of ten of the first non-zero digit (`None` while all digits are zero).
        let mut lead = (self.b[int] != b'0').then_some(n as i64 - 1);
        if self.peek() == Some(b'.') {
            self.at += 1;
            let fraction = self.at;
            if self.digits() == 0 {
                return fail("invalid number", start);
            }
            if lead.is_none()
                && let Some(i) = self.b[fraction..self.at].iter().position(|&d| d != b'0')
            {
                lead = Some(-(i as i64) - 1);
            }
        }
        let mut exponent = 0i64;
        if let Some(b'e' | b'E') = self.peek() {
            self.at += 1;
            let negative = self.peek() == Some(b'-');
            self.at += usize::from(matches!(self.peek(), Some(b'-' | b'+')));
            let digits = self.at;
            if self.digits() == 0 {
                return fail("invalid number", start);
            }
            for &d in &self.b[digits..self.at] {
                exponent = (exponent * 10 + i64::from(d - b'0')).min(1 << 40);
            }
            if negative {
                exponent = -exponent;
            }
        }
        if lead.is_some_and(|l| l + exponent >= 309) {
            return fail("a number beyond the range of f64", start);
        }
        Ok(())
    }
}
