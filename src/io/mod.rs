//! Weight files: a model's parameters and buffers in the
//! [safetensors](https://huggingface.co/docs/safetensors) format, named like PyTorch's
//! `state_dict`.
//!
//! constnet reads and writes the format with its own code (no serde; reading needs no
//! allocator). The writer's bytes are those of the `safetensors` crate's writer (0.8), which
//! `safetensors.torch.save_file` runs. The reader accepts the files that crate's reader
//! accepts, but for two kinds that no writer produces: a header naming a tensor twice (refused
//! here; the crate keeps the last) and a number between `f64::MAX` and 10³⁰⁹ in a field that
//! both ignore (read here). The crate is only a dev-dependency: the tests and the fuzzer
//! (`examples/fuzz.rs`) use it as the oracle.
//!
//! A tuple chain corresponds to `nn.Sequential`: element `i` is named `i`, so
//! `(Conv2d<1, 6, 5>, Relu, MaxPool2d<2>, Conv2d<6, 16, 5>, ...)` saves `0.weight`, `0.bias`,
//! `3.weight`, ... — the keys of the same model built in PyTorch. Names come from
//! [`Module::visit`](crate::visit::Module::visit); shapes are PyTorch's layouts (conv weight `[out, in, kH, kW]`, linear
//! `[out, in]`). A file written here loads with `safetensors.torch.load_file` +
//! `model.load_state_dict`, and a file written by `safetensors.torch.save_file(model.state_dict())`
//! loads here.
//!
//! * Tensors are `F32` for an `f32` model and `F64` for an `f64` model ([`WeightElement`]). No
//!   conversion happens on load: a file of the other float type is a [`Error::WrongDtype`].
//! * Integer counters (batch norm's `num_batches_tracked`, [`Visitor::counter`](crate::visit::Visitor::counter)) are `I64`
//!   scalars (shape `[]`), as PyTorch stores them. On load, a counter **may be absent**: the
//!   model's counter then keeps its value. This is what PyTorch's `load_state_dict` does for a
//!   dict without version metadata (every safetensors file), and the counter only matters for
//!   cumulative-average batch norm (`momentum=None`). A counter that is present must be an `I64`
//!   scalar in `0..=i64::MAX`.
//! * Loading is all-or-nothing: the whole file is checked against the model first — every
//!   key present, no key extra (the first extra one by name is reported), every shape and dtype
//!   equal — and only then written. On any error the model is unchanged. Errors name the key
//!   ([`Error`]); nothing panics, whatever the bytes. A `__metadata__` entry in the file is
//!   ignored.
//! * Saving is deterministic: tensors are ordered by dtype (`I64` counters first, then `F64` or
//!   `F32`), then by name, and no `__metadata__` is written, exactly like
//!   `safetensors.torch.save_file`. Saving a loaded file gives back the same bytes.
//!
//! The model is passed as `&mut` even to save: [`Module::visit`](crate::visit::Module::visit) walks tensors through mutable
//! slices (the same walk serves optimizers). Saving does not change it.
//!
//! ```
//! use constnet::prelude::*;
//! type Net = (Conv2d<1, 4, 3>, Relu, Flatten, Linear<{ 4 * 6 * 6 }, 2>);
//! let mut net = Net::zeroed();
//! net.0.bias[1] = 0.5;
//! let bytes = constnet::io::to_bytes(&mut net).unwrap();
//!
//! let mut copy = Net::zeroed();
//! constnet::io::from_bytes(&mut copy, &bytes).unwrap();
//! assert_eq!(copy.0.bias[1], 0.5);
//!
//! // A network of another shape is refused, and left as it was.
//! let mut wider = <(Conv2d<1, 8, 3>, Relu, Flatten, Linear<{ 8 * 6 * 6 }, 2>)>::zeroed();
//! let err = constnet::io::from_bytes(&mut wider, &bytes).unwrap_err();
//! assert_eq!(err.key(), Some("0.weight"));
//! ```
//!
//! Without the standard library (and without an allocator), [`load_bytes`] reads the same files
//! from a `&[u8]` (e.g. `include_bytes!`) with the same checks — the same code as `from_bytes` —
//! in two passes over the model and no copy of the file. Its errors hold keys of at most 120
//! bytes ([`Name`]) and shapes of at most 8 dimensions ([`Dims`]); `from_bytes`'s hold them
//! whole.

mod bytes;
#[cfg(feature = "std")]
mod error;
#[cfg(feature = "std")]
mod file;
mod header;
#[cfg(feature = "std")]
mod write;

/// [`RawElement`] under the name the standard library's functions use.
#[cfg(feature = "std")]
pub use bytes::RawElement as WeightElement;
pub use bytes::{BytesError, Dims, Name, RawElement, load_bytes};
#[cfg(feature = "std")]
pub use error::Error;
#[cfg(feature = "std")]
pub use file::{from_bytes, load, save, to_bytes};
