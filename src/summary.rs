//! Model summary: one row per layer with its output shape, parameter count, FLOPs and the exact
//! memory it takes — for any network type, computed from the types themselves.
//!
//! The numbers are `size_of` of the real types, not estimates: the parameter bytes of all layers
//! add up to `size_of::<L>()` (the model), and their trace bytes to
//! `size_of::<TraceOf<L, X>>()` (what a training step records: every inner layer's trace, such
//! as max-pool arg-max indices, plus every intermediate activation a chain keeps). A row's
//! trace bytes are its own trace plus its output when the enclosing chain's trace stores it
//! (every chain element but the last; the network's output belongs to the caller).
//!
//! [`for_each_row`] walks the rows without allocating (`no_std`); [`summary`] (feature `alloc`)
//! collects them into a [`Summary`] that prints as a table:
//!
//! ```
//! use constnet::prelude::*;
//! type LeNet = (Conv2d<1, 6, 5>, Relu, MaxPool2d<2>, Conv2d<6, 16, 5>, Relu, MaxPool2d<2>,
//!               Flatten, Linear<256, 120>, Relu, Linear<120, 84>, Relu, Linear<84, 10>);
//! let mut net = LeNet::boxed();
//! let s = constnet::summary::summary::<Tensor<1, 1, 28, 28>, _>(&mut *net);
//! assert_eq!(s.total.params, 44_426);
//! assert_eq!(s.total.param_bytes, core::mem::size_of::<LeNet>());
//! println!("{s}");
//! ```
//!
//! Compositions other than chains (residual blocks, concatenations) appear as one row unless
//! they override [`Layer::describe`]; their totals are exact either way.

use crate::layer::Layer;
use crate::tensor::Batch;
use crate::visit::Path;

pub use crate::layer::{Row, ShortName};

/// Calls `f` with the name and [`Row`] of the network, then (for a chain) of each element,
/// depth first. The first row (path [`Path::Root`]) is the whole network: its numbers are the
/// totals. Never allocates.
pub fn for_each_row<X: Batch, L: Layer<X>>(net: &mut L, mut f: impl FnMut(&Path<'_>, &Row)) {
    net.describe(&Path::Root, false, &mut f);
}

/// Nesting depth of a path: 0 for the root, 1 for `3`, 2 for `3.1`.
pub fn depth(path: &Path<'_>) -> usize {
    match path {
        Path::Root => 0,
        Path::Index(p, _) | Path::Field(p, _) => 1 + depth(p),
    }
}

#[cfg(feature = "alloc")]
pub use table::{Entry, Summary, summary};

#[cfg(feature = "alloc")]
mod table {
    use super::{Row, depth, for_each_row};
    use crate::layer::Layer;
    use crate::tensor::Batch;
    use alloc::string::{String, ToString};
    use alloc::vec::Vec;
    use core::fmt::{self, Write};
    use core::mem::size_of;

    /// A named row of a [`Summary`].
    #[derive(Clone, Debug, PartialEq, Eq)]
    pub struct Entry {
        /// The PyTorch-style name (`"3"`, `"3.1"`).
        pub path: String,
        /// Nesting depth (1 for the network's own elements).
        pub depth: usize,
        /// The numbers.
        pub row: Row,
    }

    /// A network's summary: its rows and totals. Prints as a table.
    #[derive(Clone, Debug)]
    pub struct Summary {
        /// Every layer and nested chain, depth first. For a network that is a single layer
        /// (not a chain), that layer.
        pub rows: Vec<Entry>,
        /// The whole network: `param_bytes` is `size_of` of the network type, `trace_bytes`
        /// that of its trace.
        pub total: Row,
        /// Shape of the input batch.
        pub input_shape: [usize; 4],
        /// `size_of` of the input batch.
        pub input_bytes: usize,
        /// `size_of` of the output batch.
        pub output_bytes: usize,
    }

    /// The summary of network `net` on input type `X`.
    pub fn summary<X: Batch, L: Layer<X>>(net: &mut L) -> Summary {
        let mut rows = Vec::new();
        let mut total = None;
        for_each_row::<X, L>(net, |path, row| {
            if total.is_none() {
                total = Some(*row);
                if row.is_chain() {
                    return;
                }
            }
            rows.push(Entry {
                path: path.to_string(),
                depth: depth(path),
                row: *row,
            });
        });
        Summary {
            rows,
            total: total.unwrap_or_else(|| Row::of::<X, L>(net, false, 0)),
            input_shape: X::SHAPE,
            input_bytes: size_of::<X>(),
            output_bytes: size_of::<L::Output>(),
        }
    }

    impl Summary {
        /// Bytes of one training step: the model, its gradients (same type), the trace, the
        /// input and the output. Optimizer state comes on top.
        pub fn training_step_bytes(&self) -> usize {
            2 * self.total.param_bytes
                + self.total.trace_bytes
                + self.input_bytes
                + self.output_bytes
        }

        /// Bytes of inference with [`Layer::infer`]: the model, the arena, the input and the
        /// output.
        pub fn inference_bytes(&self) -> usize {
            self.total.param_bytes + self.total.arena_bytes + self.input_bytes + self.output_bytes
        }
    }

    /// `44426` → `"44,426"`.
    fn grouped(v: u64) -> String {
        let digits = v.to_string();
        let mut out = String::new();
        for (i, c) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i).is_multiple_of(3) {
                out.push(',');
            }
            out.push(c);
        }
        out
    }

    fn shape(s: &[usize; 4]) -> String {
        let mut out = String::new();
        let _ = write!(out, "{s:?}");
        out
    }

    const TYPE_WIDTH: usize = 44;

    impl fmt::Display for Summary {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            let head = [
                "Layer",
                "Type",
                "Output shape",
                "Params",
                "FLOPs",
                "Param bytes",
                "Trace bytes",
            ];
            let mut lines: Vec<[String; 7]> = Vec::new();
            for e in &self.rows {
                let r = &e.row;
                let mut name = String::new();
                for _ in 1..e.depth {
                    name.push_str("  ");
                }
                name.push_str(if e.path.is_empty() { "-" } else { &e.path });
                let mut ty = if r.is_chain() {
                    alloc::format!("(chain of {})", r.children)
                } else {
                    r.short_name().to_string()
                };
                if ty.chars().count() > TYPE_WIDTH {
                    ty = ty.chars().take(TYPE_WIDTH - 1).collect();
                    ty.push('…');
                }
                lines.push([
                    name,
                    ty,
                    shape(&r.output_shape),
                    grouped(r.params as u64),
                    grouped(r.flops),
                    grouped(r.param_bytes as u64),
                    grouped(r.training_bytes() as u64),
                ]);
            }
            let t = &self.total;
            let total = [
                "Total".to_string(),
                String::new(),
                shape(&t.output_shape),
                grouped(t.params as u64),
                grouped(t.flops),
                grouped(t.param_bytes as u64),
                grouped(t.training_bytes() as u64),
            ];
            let mut width = head.map(|h| h.chars().count());
            for l in lines.iter().chain(core::iter::once(&total)) {
                for (w, c) in width.iter_mut().zip(l) {
                    *w = (*w).max(c.chars().count());
                }
            }
            let row = |f: &mut fmt::Formatter<'_>, cells: [&str; 7]| -> fmt::Result {
                for (i, (c, w)) in cells.iter().zip(width).enumerate() {
                    if i > 0 {
                        f.write_str("  ")?;
                    }
                    if i < 3 {
                        write!(f, "{c:<w$}")?;
                    } else {
                        write!(f, "{c:>w$}")?;
                    }
                }
                writeln!(f)
            };
            let rule = width.iter().sum::<usize>() + 2 * (width.len() - 1);
            writeln!(f, "Input {}", shape(&self.input_shape))?;
            row(f, head)?;
            writeln!(f, "{}", "─".repeat(rule))?;
            for l in &lines {
                row(f, l.each_ref().map(String::as_str))?;
            }
            writeln!(f, "{}", "─".repeat(rule))?;
            row(f, total.each_ref().map(String::as_str))?;
            writeln!(
                f,
                "Parameters: {} trainable, {} in buffers",
                grouped(t.params as u64),
                grouped(t.buffers as u64)
            )?;
            writeln!(
                f,
                "Memory: model {} B (size_of the network type), training trace {} B (size_of its trace)",
                grouped(t.param_bytes as u64),
                grouped(t.trace_bytes as u64)
            )?;
            writeln!(
                f,
                "Training step (model + gradients + trace + input + output): {} B",
                grouped(self.training_step_bytes() as u64)
            )?;
            writeln!(
                f,
                "Inference (model + arena + input + output): {} B, the arena {} B (arena_len)",
                grouped(self.inference_bytes() as u64),
                grouped(t.arena_bytes as u64)
            )
        }
    }
}
