//! Writing a safetensors file, with the standard library: the bytes of
//! `safetensors::serialize(tensors, None)` (crate 0.8, and so of `safetensors.torch.save_file`),
//! byte for byte.
//!
//! The format: the header's length (8 bytes, a little-endian `u64`); the header, a JSON object
//! `{"0.bias":{"dtype":"F32","shape":[6],"data_offsets":[0,24]},…}` without whitespace, padded
//! with spaces to a multiple of 8 bytes; then the tensors' data, in the header's order. The
//! crate orders tensors by dtype, the last of its `Dtype` enum first (`I64` counters, then
//! `F64`, then `F32`), then by name (byte order); it escapes names as serde_json does, writes
//! no `__metadata__` when given none, and refuses a header longer than 100 MB.

use super::Error;
use super::bytes::{COUNTER_DTYPE, NAME_TWICE, RawElement, SHAPE_MISMATCH, numel};
use super::header::{DTYPES, MAX_HEADER_LEN};
use crate::visit::{Module, Path, TensorInfo, Visitor};
use std::collections::HashSet;
use std::fmt::Write as _;

/// A tensor to write.
struct Tensor {
    name: String,
    dtype: &'static str,
    shape: Vec<usize>,
    /// Its values' little-endian bytes.
    data: Vec<u8>,
}

/// The tensors and counters of `model` as the bytes of a safetensors file.
pub(super) fn to_bytes<E: RawElement, M: Module<E>>(model: &mut M) -> Result<Vec<u8>, Error> {
    let mut c = Collect {
        tensors: Vec::new(),
        seen: HashSet::new(),
        error: None,
    };
    M::visit([model], &Path::Root, &mut c);
    match c.error {
        Some(e) => Err(e),
        None => serialize(c.tensors),
    }
}

/// The position of a dtype in the crate's `Dtype` enum.
fn dtype_rank(name: &str) -> usize {
    DTYPES.iter().position(|d| d.name == name).unwrap_or(0)
}

fn serialize(mut tensors: Vec<Tensor>) -> Result<Vec<u8>, Error> {
    tensors.sort_by(|a, b| {
        let by_dtype = dtype_rank(b.dtype).cmp(&dtype_rank(a.dtype));
        by_dtype.then_with(|| a.name.cmp(&b.name))
    });
    let mut header = String::from("{");
    let mut offset = 0;
    for (i, t) in tensors.iter().enumerate() {
        if i > 0 {
            header.push(',');
        }
        push_json_string(&mut header, &t.name);
        let _ = write!(header, r#":{{"dtype":"{}","shape":["#, t.dtype);
        for (j, d) in t.shape.iter().enumerate() {
            let _ = write!(header, "{}{d}", if j == 0 { "" } else { "," });
        }
        let end = offset + t.data.len();
        let _ = write!(header, r#"],"data_offsets":[{offset},{end}]}}"#);
        offset = end;
    }
    header.push('}');
    while header.len() % 8 != 0 {
        header.push(' ');
    }
    if header.len() > MAX_HEADER_LEN {
        // The crate's error, in its words.
        return Err(Error::Serialize {
            reason: "header too large".to_string(),
        });
    }
    let mut out = Vec::with_capacity(8 + header.len() + offset);
    out.extend_from_slice(&(header.len() as u64).to_le_bytes());
    out.extend_from_slice(header.as_bytes());
    for t in &tensors {
        out.extend_from_slice(&t.data);
    }
    Ok(out)
}

/// Appends `s` as a JSON string, escaped as serde_json escapes it: `"` and `\` with a backslash,
/// the control characters U+0000 to U+001F as `\b`, `\t`, `\n`, `\f`, `\r` or `\u00xx` (lowercase
/// hexadecimal), every other character as it is (UTF-8).
fn push_json_string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{8}' => out.push_str("\\b"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\u{c}' => out.push_str("\\f"),
            '\r' => out.push_str("\\r"),
            '\0'..='\u{1f}' => {
                let _ = write!(out, "\\u{:04x}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// Gathers every tensor and counter with its name; records the first error.
struct Collect {
    tensors: Vec<Tensor>,
    seen: HashSet<String>,
    error: Option<Error>,
}

impl Collect {
    fn add(&mut self, tensor: Result<Tensor, Error>) {
        if self.error.is_some() {
            return;
        }
        match tensor {
            Ok(t) if self.seen.insert(t.name.clone()) => self.tensors.push(t),
            Ok(t) => {
                self.error = Some(Error::InvalidModule {
                    key: t.name,
                    reason: NAME_TWICE,
                })
            }
            Err(e) => self.error = Some(e),
        }
    }
}

impl<E: RawElement> Visitor<E, 1> for Collect {
    fn tensor(&mut self, info: TensorInfo<'_>, [v]: [&mut [E]; 1]) {
        let name = info.path.to_string();
        let tensor = if numel(info.shape) == Some(v.len()) {
            let mut data = vec![0; size_of_val(v)];
            for (x, out) in v.iter().zip(data.chunks_exact_mut(size_of::<E>())) {
                x.to_le(out);
            }
            Ok(Tensor {
                name,
                dtype: E::DTYPE_NAME,
                shape: info.shape.to_vec(),
                data,
            })
        } else {
            Err(Error::InvalidModule {
                key: name,
                reason: SHAPE_MISMATCH,
            })
        };
        self.add(tensor);
    }
    fn counter(&mut self, path: &Path<'_>, [v]: [&mut u64; 1]) {
        let name = path.to_string();
        let tensor = match i64::try_from(*v) {
            Ok(value) => Ok(Tensor {
                name,
                dtype: COUNTER_DTYPE,
                shape: Vec::new(),
                data: value.to_le_bytes().to_vec(),
            }),
            Err(_) => Err(Error::InvalidCounter {
                key: name,
                value: (*v).into(),
            }),
        };
        self.add(tensor);
    }
}
