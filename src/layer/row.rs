//! [`Row`]: what a layer reports of itself to a model summary ([`Layer::describe`]).

use super::Layer;
use crate::tensor::Batch;
use crate::visit::{Module, Path, Role, TensorInfo, Visitor};
use core::fmt;
use core::mem::size_of;

/// One layer (or chain) of a network, as the summary reports it. Its name is the [`Path`]
/// handed along with it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Row {
    /// `core::any::type_name` of the layer (see [`Row::short_name`]).
    pub type_name: &'static str,
    /// For a chain, its number of elements (their rows follow this one); 0 for a layer.
    pub children: usize,
    /// Shape of the output batch, `[N, C, H, W]`.
    pub output_shape: [usize; 4],
    /// Trainable scalars.
    pub params: usize,
    /// Scalars in buffers (batch-norm running statistics): saved, not trained.
    pub buffers: usize,
    /// Floating-point operations of one forward pass over the batch ([`Layer::flops`]).
    pub flops: u64,
    /// `size_of` of the layer: parameters, buffers and counters.
    pub param_bytes: usize,
    /// `size_of` of the layer's trace.
    pub trace_bytes: usize,
    /// `size_of` of the output if the enclosing chain's trace stores it, else 0.
    pub output_bytes: usize,
    /// Bytes of the trace-free inference pass's scratch ([`crate::layer::arena_len`] values).
    pub arena_bytes: usize,
}

impl Row {
    /// The row of `layer` on input `X`. `output_held`: whether the enclosing chain's trace
    /// stores the output; `children`: see [`Row::children`].
    pub fn of<X: Batch, L: Layer<X>>(layer: &mut L, output_held: bool, children: usize) -> Row {
        let (params, buffers) = count::<X::Elem, L>(layer);
        Row {
            type_name: core::any::type_name::<L>(),
            children,
            output_shape: <L::Output as Batch>::SHAPE,
            params,
            buffers,
            flops: L::flops(),
            param_bytes: size_of::<L>(),
            trace_bytes: size_of::<L::Trace>(),
            output_bytes: if output_held {
                size_of::<L::Output>()
            } else {
                0
            },
            arena_bytes: L::INFER_SCRATCH * size_of::<X::Elem>(),
        }
    }

    /// Whether this row is a chain (its elements' rows follow).
    pub fn is_chain(&self) -> bool {
        self.children > 0
    }

    /// Bytes of the training trace this row accounts for: its trace and its stored output.
    pub fn training_bytes(&self) -> usize {
        self.trace_bytes + self.output_bytes
    }

    /// The type name without module paths: `Conv2d<1, 6, 5>` (rustc's `type_name` leaves out
    /// generic arguments equal to their defaults).
    pub fn short_name(&self) -> ShortName {
        ShortName(self.type_name)
    }
}

/// Trainable and buffer scalars of a module.
fn count<E, M: Module<E>>(m: &mut M) -> (usize, usize) {
    struct Count(usize, usize);
    impl<E> Visitor<E, 1> for Count {
        fn tensor(&mut self, info: TensorInfo<'_>, [v]: [&mut [E]; 1]) {
            match info.role {
                Role::Param => self.0 += v.len(),
                Role::Buffer => self.1 += v.len(),
            }
        }
    }
    let mut c = Count(0, 0);
    M::visit([m], &Path::Root, &mut c);
    (c.0, c.1)
}

/// A type name printed without module paths (see [`Row::short_name`]).
#[derive(Clone, Copy, Debug)]
pub struct ShortName(pub &'static str);

impl fmt::Display for ShortName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let is_path_char = |c: char| c.is_alphanumeric() || c == '_' || c == ':';
        let mut rest = self.0;
        while !rest.is_empty() {
            let end = rest.find(|c| !is_path_char(c)).unwrap_or(rest.len());
            let (token, tail) = rest.split_at(end);
            f.write_str(token.rsplit("::").next().unwrap_or(token))?;
            let sep_len = tail.chars().next().map_or(0, char::len_utf8);
            f.write_str(&tail[..sep_len])?;
            rest = &tail[sep_len..];
        }
        Ok(())
    }
}
