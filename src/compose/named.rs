//! [`Named`]: give a sub-module a name, as PyTorch modules do (`features`, `conv1`, `layer2`).
//!
//! Inside a chain, element `i` is called `i` (like `nn.Sequential`). Wrapping it in
//! `Named<N, L>` calls it `N::NAME` instead, so that weight names can follow any PyTorch module:
//! torchvision's ResNet keys `conv1.weight`, `layer1.0.bn2.running_var`, `fc.bias` come out of
//! a chain of named layers. Names are types, declared with [`name!`](crate::name):
//!
//! ```
//! use constnet::prelude::*;
//! use constnet::name;
//! name!(Features = "features", Classifier = "classifier");
//!
//! type Net = (Named<Features, (Conv2d<1, 4, 3>, Relu)>, Flatten, Named<Classifier, Linear<100, 10>>);
//!
//! let mut net = Net::boxed();
//! let mut names = Vec::new();
//! net.for_each_tensor(|info, _| names.push(info.path.to_string()));
//! assert_eq!(names, ["features.0.weight", "features.0.bias", "classifier.weight", "classifier.bias"]);
//! ```

use crate::layer::{Input, Io, Layer};
use crate::tensor::Batch;
use crate::visit::{Module, Path, Visitor, parts};
use crate::zeroable::Zeroable;
use core::marker::PhantomData;

/// A name for [`Named`], declared with [`name!`](crate::name).
pub trait Name: 'static {
    /// The name as it appears in weight files.
    const NAME: &'static str;
}

/// Declares name types for [`Named`]: `name!(Conv1 = "conv1", Bn1 = "bn1");`.
#[macro_export]
macro_rules! name {
    ($($ty:ident = $name:literal),+ $(,)?) => { $(
        #[doc = concat!("The sub-module name `", $name, "`.")]
        #[derive(Debug, Clone, Copy, Default)]
        pub struct $ty;
        impl $crate::compose::named::Name for $ty {
            const NAME: &'static str = $name;
        }
    )+ };
}

/// Layer `L` under the name `N::NAME`, replacing the name its parent would give it (its index in
/// a chain, or a branch name such as `branch2`). An empty name removes the segment altogether:
/// see [`Inline`]. Computes exactly what `L` computes.
#[repr(transparent)]
pub struct Named<N: Name, L>(pub L, PhantomData<N>);

/// The empty name: `Inline<L>` puts `L`'s tensors directly under its parent's name.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoName;
impl Name for NoName {
    const NAME: &'static str = "";
}

/// `L` without a name segment of its own: a chain `(Inline<A>, B)` at `layer1.0` names `A`'s
/// tensors `layer1.0.*`, not `layer1.0.0.*` (torchvision's blocks apply their last ReLU inside the
/// block; here it is the next element of a chain).
pub type Inline<L> = Named<NoName, L>;

impl<N: Name, L> Named<N, L> {
    /// Wrap a layer.
    pub fn new(layer: L) -> Self {
        Named(layer, PhantomData)
    }
}

impl<N: Name, L: Clone> Clone for Named<N, L> {
    fn clone(&self) -> Self {
        Named(self.0.clone(), PhantomData)
    }
}
impl<N: Name, L: Copy> Copy for Named<N, L> {}
impl<N: Name, L: core::fmt::Debug> core::fmt::Debug for Named<N, L> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "{}: {:?}", N::NAME, self.0)
    }
}

crate::zeroable::zeroable_struct!([N: Name, L: Zeroable] Named<N, L> { 0, 1 });

impl<E, N: Name, L: Module<E>> Module<E> for Named<N, L> {
    fn visit<V: Visitor<E, K>, const K: usize>(mut m: [&mut Self; K], path: &Path<'_>, v: &mut V) {
        // Replace the name the parent gave (a chain index, or a branch name), if any.
        let parent = match path {
            Path::Index(parent, _) | Path::Field(parent, _) => parent,
            Path::Root => path,
        };
        if N::NAME.is_empty() {
            L::visit(parts(&mut m, |n| &mut n.0), parent, v);
        } else {
            L::visit(parts(&mut m, |n| &mut n.0), &parent.field(N::NAME), v);
        }
    }
}

impl<X: Batch, N: Name, L: Layer<X>> Layer<X> for Named<N, L> {
    type Output = L::Output;
    type Trace = L::Trace;
    type Training = L::Training;
    #[inline]
    fn forward(&self, x: &X, y: &mut Self::Output, trace: &mut Self::Trace) {
        self.0.forward(x, y, trace)
    }
    #[inline]
    fn forward_train_unchecked(&mut self, x: &X, y: &mut Self::Output, trace: &mut Self::Trace) {
        self.0.forward_train_unchecked(x, y, trace)
    }
    #[inline]
    fn backward(
        &self,
        x: Input<'_, X>,
        trace: &mut Self::Trace,
        dy: &Self::Output,
        grads: &mut Self,
    ) {
        self.0.backward(x, trace, dy, &mut grads.0)
    }
    const INFER_SCRATCH: usize = L::INFER_SCRATCH;
    const IN_PLACE: bool = L::IN_PLACE;
    #[inline]
    fn infer_io(&self, io: Io<'_, X::Elem>, scratch: &mut [X::Elem]) {
        self.0.infer_io(io, scratch)
    }
    fn flops() -> u64 {
        L::flops()
    }
}
