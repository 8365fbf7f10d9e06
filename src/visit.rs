//! Walking the tensors of a network: parameters, gradients, optimizer state, buffers.
//!
//! Every layer (and every composition) implements [`Module`]. [`Module::visit`] walks `K`
//! structurally identical values **in lockstep** — a model and its gradients, or a model, its
//! gradients and two Adam moment buffers — handing the visitor the same tensor of each. This is
//! how optimizers, initialisation, weight files, parameter counting and the model summary work,
//! all without allocation.

use core::fmt;

/// Where a tensor sits in a network, as PyTorch's `state_dict` names it (`"3.weight"`,
/// `"1.branch2.0.bias"`). A linked list on the stack: building one never allocates.
#[derive(Clone, Copy, Debug)]
pub enum Path<'a> {
    /// The network itself.
    Root,
    /// Element `i` of a sequential chain (a tuple).
    Index(&'a Path<'a>, usize),
    /// A named field (`weight`, `bias`, `running_mean`, or a named sub-module).
    Field(&'a Path<'a>, &'static str),
}

impl<'a> Path<'a> {
    /// The path of element `i` below this one.
    pub fn index(&'a self, i: usize) -> Path<'a> {
        Path::Index(self, i)
    }
    /// The path of field `name` below this one.
    pub fn field(&'a self, name: &'static str) -> Path<'a> {
        Path::Field(self, name)
    }
    /// The last segment's name, if it is a field.
    pub fn leaf(&self) -> Option<&'static str> {
        match self {
            Path::Field(_, n) => Some(n),
            _ => None,
        }
    }
}

impl fmt::Display for Path<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (parent, seg): (&Path<'_>, &dyn fmt::Display) = match self {
            Path::Root => return Ok(()),
            Path::Index(p, i) => (p, i),
            Path::Field(p, n) => (p, n),
        };
        if matches!(parent, Path::Root) {
            write!(f, "{seg}")
        } else {
            write!(f, "{parent}.{seg}")
        }
    }
}

/// What a visited tensor is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// A trainable parameter (weights, biases, batch-norm γ and β).
    Param,
    /// State that is saved but not trained (batch-norm running statistics).
    Buffer,
}

/// How a tensor is initialised (PyTorch's defaults).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Init {
    /// Uniform on `±1/√fan_in`: PyTorch's default for convolution and linear weights and biases
    /// (Kaiming-uniform with `a = √5`).
    FanIn(usize),
    /// Every value set to this constant (batch-norm γ = 1, β = 0, running mean 0, variance 1).
    Const(f64),
}

/// One visited tensor: where it is, what it is, and its shape in PyTorch's layout.
#[derive(Clone, Copy, Debug)]
pub struct TensorInfo<'a> {
    /// Its name.
    pub path: &'a Path<'a>,
    /// Parameter or buffer.
    pub role: Role,
    /// Its shape as PyTorch stores it (conv weight `[out, in, kh, kw]`, linear `[out, in]`).
    pub shape: &'a [usize],
    /// How it is initialised.
    pub init: Init,
}

impl<'a> TensorInfo<'a> {
    /// A trainable parameter initialised uniformly on `±1/√fan_in`.
    pub fn param(path: &'a Path<'a>, shape: &'a [usize], fan_in: usize) -> Self {
        TensorInfo {
            path,
            role: Role::Param,
            shape,
            init: Init::FanIn(fan_in),
        }
    }
    /// A trainable parameter initialised to a constant.
    pub fn param_const(path: &'a Path<'a>, shape: &'a [usize], value: f64) -> Self {
        TensorInfo {
            path,
            role: Role::Param,
            shape,
            init: Init::Const(value),
        }
    }
    /// A buffer initialised to a constant.
    pub fn buffer(path: &'a Path<'a>, shape: &'a [usize], value: f64) -> Self {
        TensorInfo {
            path,
            role: Role::Buffer,
            shape,
            init: Init::Const(value),
        }
    }
}

/// Receives the tensors of `K` structurally identical modules, in a fixed order.
pub trait Visitor<E, const K: usize> {
    /// One tensor, as flat slices, one per visited module.
    fn tensor(&mut self, info: TensorInfo<'_>, values: [&mut [E]; K]);
    /// An integer counter that PyTorch stores (batch norm's `num_batches_tracked`).
    fn counter(&mut self, _path: &Path<'_>, _values: [&mut u64; K]) {}
    /// The state of a random generator inside the model (dropout's). Not a PyTorch tensor:
    /// weight files neither save nor expect it (the default ignores it). Training checkpoints
    /// save it, so that a resumed run draws the same numbers, and the data-parallel trainer
    /// gives each worker its own stream derived from it.
    fn generator(&mut self, _path: &Path<'_>, _states: [&mut u64; K]) {}
}

/// The same part of each of `K` modules, for [`Module::visit`]: `parts(&mut m, |l| &mut l.weight)`.
///
/// `part` is a function pointer, not a generic closure, on purpose. A closure written inside
/// `visit` is a type of its own for every visitor `visit` is instantiated with, and so is the
/// `core::array::map` that runs it: a test crate with a few dozen networks and a dozen visitors
/// held 23 000 such copies, a fifth of everything it compiled. Through this function the
/// projection is compiled once per module type, part type and `K`.
pub fn parts<'s, T, U: ?Sized, const K: usize>(
    modules: &'s mut [&mut T; K],
    part: fn(&mut T) -> &mut U,
) -> [&'s mut U; K] {
    modules.each_mut().map(|m| part(m))
}

/// A layer or network whose tensors can be visited.
pub trait Module<E>: Sized {
    /// Visit the tensors of `modules` (all of the same type) in lockstep.
    fn visit<V: Visitor<E, K>, const K: usize>(
        modules: [&mut Self; K],
        path: &Path<'_>,
        visitor: &mut V,
    );
}

/// Convenience functions over [`Module`].
pub trait ModuleExt<E>: Module<E> {
    /// Number of trainable scalars.
    fn num_params(&mut self) -> usize {
        struct Count(usize);
        impl<E> Visitor<E, 1> for Count {
            fn tensor(&mut self, info: TensorInfo<'_>, [v]: [&mut [E]; 1]) {
                if info.role == Role::Param {
                    self.0 += v.len();
                }
            }
        }
        let mut c = Count(0);
        Self::visit([self], &Path::Root, &mut c);
        c.0
    }

    /// Set every parameter (not the buffers) to zero: clears accumulated gradients.
    fn zero_params(&mut self)
    where
        E: num_traits::Zero + Copy,
    {
        struct Zero;
        impl<E: num_traits::Zero + Copy> Visitor<E, 1> for Zero {
            fn tensor(&mut self, info: TensorInfo<'_>, [v]: [&mut [E]; 1]) {
                if info.role == Role::Param {
                    v.fill(E::zero());
                }
            }
        }
        Self::visit([self], &Path::Root, &mut Zero);
    }

    /// Call `f` with the name, role, shape and values of every tensor.
    fn for_each_tensor(&mut self, mut f: impl FnMut(TensorInfo<'_>, &mut [E])) {
        // `f` is called through `dyn`: one visitor type per element type, so the network's
        // `visit` is compiled once for all the closures a program passes here, not once each.
        struct Each<'f, E>(&'f mut dyn FnMut(TensorInfo<'_>, &mut [E]));
        impl<E> Visitor<E, 1> for Each<'_, E> {
            fn tensor(&mut self, info: TensorInfo<'_>, [v]: [&mut [E]; 1]) {
                (self.0)(info, v)
            }
        }
        Self::visit([self], &Path::Root, &mut Each(&mut f));
    }
}
impl<E, M: Module<E>> ModuleExt<E> for M {}

/// Implements [`Module`] for a layer without tensors.
macro_rules! stateless_module {
    ($($t:ty),* $(,)?) => { $(
        impl<E> $crate::visit::Module<E> for $t {
            #[inline]
            fn visit<V: $crate::visit::Visitor<E, K>, const K: usize>(
                _: [&mut Self; K], _: &$crate::visit::Path<'_>, _: &mut V) {}
        }
    )* };
}
pub(crate) use stateless_module;

#[cfg(all(test, feature = "std"))]
mod tests {
    use super::*;
    #[test]
    fn paths_print_like_pytorch() {
        let root = Path::Root;
        let a = root.index(3);
        let b = a.field("branch2");
        let c = b.index(0);
        let d = c.field("weight");
        assert_eq!(d.to_string(), "3.branch2.0.weight");
        assert_eq!(root.field("bias").to_string(), "bias");
        assert_eq!(d.leaf(), Some("weight"));
    }
}
