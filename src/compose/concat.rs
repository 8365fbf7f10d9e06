//! Channel concatenation of parallel branches (GoogLeNet's Inception module, DenseNet's
//! `cat([x, f(x)])`): [`Concat`].
//!
//! `Concat<(B1, B2, …)>` applies every branch to the same input and stacks their outputs along
//! channels, in order. The output has the sum of the branches' channels, computed at compile
//! time; branches whose outputs differ in height or width are a compile error
//! ("concatenated branches differ in height or width", see [`SameSpatial`]). Two, three and
//! four branches are supported; branches nest (a branch can be a chain, a residual block,
//! another `Concat`).
//!
//! # Names in weight files
//!
//! Branch `i` (counting from 1) is named `branch{i}` — torchvision's GoogLeNet / Inception-v3
//! naming (`inception3a.branch2.0.conv.weight`). A DenseNet layer `Concat<(Identity, F)>`
//! therefore names `F`'s tensors `branch2.…` (torchvision puts them at the dense layer's own
//! level, `norm1`, `conv1`, …: a prefix rename maps one onto the other).
//!
//! # Memory and backward
//!
//! The trace holds every branch's trace and output (forward computes the branch outputs there,
//! then copies them into `y`), plus one copy of `x` (two with three or more branches): backward
//! copies `dy`'s channel slices into the branch output buffers, runs every branch on its own
//! copy of `x` (the last one on `x` itself) and sums their input gradients.
//!
//! ```
//! use constnet::prelude::*;
//! // DenseNet: y = cat([x, f(x)]), here 4 + 2 channels.
//! type DenseLayer = Concat<(Identity, (BatchNorm2d<4>, Relu, Conv2d<4, 2, 3, 1, 1, NoBias>))>;
//! let _: Out<DenseLayer, Tensor<1, 4, 8, 8>> = Tensor::<1, 6, 8, 8>::zeros();
//! ```

use crate::element::Element;
use crate::kernels::{channels, pointwise};
use crate::layer::{Input, Io, Layer, max};
use crate::shape::{AddDim, Dim, Holds, SizesEq};
use crate::tensor::{Batch, Tensor};
use crate::visit::{Module, Path, Visitor, parts};
use crate::zeroable::Zeroable;

/// Parallel branches on the same input, outputs concatenated along channels (see the
/// [module docs](self)). `B` is a tuple of 2, 3 or 4 layers.
#[derive(Clone, Copy, Debug, Default)]
pub struct Concat<B>(
    /// The branches.
    pub B,
);

crate::zeroable::zeroable_struct!([B: Zeroable] Concat<B> { 0 });

/// The trace of a [`Concat`]: what backward needs, and where it sums input gradients.
#[derive(Clone, Copy, Debug)]
pub struct ConcatTrace<T, Y, X, S> {
    /// Every branch's trace, in order.
    pub traces: T,
    /// Every branch's output (in backward: its slice of `dy`).
    pub outputs: Y,
    /// A copy of the input for the first branch's backward; then the running sum of the
    /// branches' input gradients.
    pub acc: X,
    /// A further copy of the input for the middle branches (`()` with two branches).
    pub scratch: S,
}

crate::zeroable::zeroable_struct!([T: Zeroable, Y: Zeroable, X: Zeroable, S: Zeroable] ConcatTrace<T, Y, X, S> { traces, outputs, acc, scratch });

pub use crate::shape::SameSpatial;

/// Inference scratch of branch `B` of a [`Concat`] on `X`: its own, plus its output when the
/// batch has several samples (with one, the branch writes its channels of `y` directly).
const fn branch_scratch<X: Batch, B: Layer<X>>() -> usize {
    B::INFER_SCRATCH
        + if X::BATCH == 1 {
            0
        } else {
            <B::Output as Batch>::NUMEL
        }
}

/// Runs branch `b` of a [`Concat`] on `x` into its channels of `y`, which start `offset` values
/// into each sample of `whole` values; returns the branch's values per sample.
#[inline(always)]
fn infer_branch<X: Batch<Elem: Copy>, B: Layer<X>>(
    b: &B,
    x: &[X::Elem],
    y: &mut [X::Elem],
    s: &mut [X::Elem],
    offset: usize,
    whole: usize,
) -> usize {
    let len = <B::Output as Batch>::NUMEL;
    let part = len / X::BATCH;
    if X::BATCH == 1 {
        b.infer_io(
            Io::Apart {
                x,
                y: &mut y[offset..][..part],
            },
            s,
        );
    } else {
        let (t, rest) = s.split_at_mut(len);
        b.infer_io(Io::Apart { x, y: &mut *t }, rest);
        channels::insert(t, y, part, whole, offset);
    }
    part
}

/// Implements `Module` and `Layer` for `Concat` of one arity.
///
/// Arguments: the first branch, the middle branches and the last branch as
/// `[type, out-channels, out-height, out-width, index, name]`; the channel-sum bounds (the last
/// one binding `CO`) with the intermediate sums' names; the scratch type.
macro_rules! concat {
    (
        first [$B0:ident $C0:ident $H0:ident $W0:ident 0 $n0:literal]
        middle { $( [$B:ident $Cm:ident $Hm:ident $Wm:ident $i:tt $n:literal] )* }
        last [$BL:ident $CL:ident $HL:ident $WL:ident $l:tt $nl:literal]
        sums { $($sum:tt)* } partial { $($P:ident)* }
        scratch $S:ty
    ) => {
        impl<E, $B0: Module<E>, $( $B: Module<E>, )* $BL: Module<E>> Module<E>
            for Concat<($B0, $( $B, )* $BL)>
        {
            fn visit<V: Visitor<E, K>, const K: usize>(
                mut m: [&mut Self; K],
                path: &Path<'_>,
                v: &mut V,
            ) {
                $B0::visit(parts(&mut m, |c| &mut c.0.0), &path.field($n0), v);
                $( $B::visit(parts(&mut m, |c| &mut c.0.$i), &path.field($n), v); )*
                $BL::visit(parts(&mut m, |c| &mut c.0.$l), &path.field($nl), v);
            }
        }

        impl<
            const N: usize, const C: usize, const H: usize, const W: usize, E: Element,
            const $C0: usize, const $H0: usize, const $W0: usize,
            $( const $Cm: usize, const $Hm: usize, const $Wm: usize, )*
            const $CL: usize, const $HL: usize, const $WL: usize,
            $( const $P: usize, )*
            const CO: usize,
            $B0, $( $B, )* $BL,
        > Layer<Tensor<N, C, H, W, E>> for Concat<($B0, $( $B, )* $BL)>
        where
            $B0: Layer<Tensor<N, C, H, W, E>, Output = Tensor<N, $C0, $H0, $W0, E>>,
            $( $B: Layer<Tensor<N, C, H, W, E>, Output = Tensor<N, $Cm, $Hm, $Wm, E>>, )*
            $BL: Layer<Tensor<N, C, H, W, E>, Output = Tensor<N, $CL, $HL, $WL, E>>,
            $(
                (Dim<$H0>, Dim<$W0>): SizesEq<(Dim<$Hm>, Dim<$Wm>)>,
                Holds<<(Dim<$H0>, Dim<$W0>) as SizesEq<(Dim<$Hm>, Dim<$Wm>)>>::Out>:
                    SameSpatial<Tensor<N, $C0, $H0, $W0, E>, Tensor<N, $Cm, $Hm, $Wm, E>>,
            )*
            (Dim<$H0>, Dim<$W0>): SizesEq<(Dim<$HL>, Dim<$WL>)>,
            Holds<<(Dim<$H0>, Dim<$W0>) as SizesEq<(Dim<$HL>, Dim<$WL>)>>::Out>:
                SameSpatial<Tensor<N, $C0, $H0, $W0, E>, Tensor<N, $CL, $HL, $WL, E>>,
            $($sum)*
        {
            type Output = Tensor<N, CO, $H0, $W0, E>;
            type Trace = ConcatTrace<
                ($B0::Trace, $( $B::Trace, )* $BL::Trace),
                (Tensor<N, $C0, $H0, $W0, E>, $( Tensor<N, $Cm, $Hm, $Wm, E>, )* Tensor<N, $CL, $HL, $WL, E>),
                Tensor<N, C, H, W, E>,
                $S,
            >;
            type Training = ($B0::Training, $( $B::Training, )* $BL::Training);

            #[inline]
            fn forward(&self, x: &Tensor<N, C, H, W, E>, y: &mut Self::Output, t: &mut Self::Trace) {
                self.0.0.forward(x, &mut t.outputs.0, &mut t.traces.0);
                $( self.0.$i.forward(x, &mut t.outputs.$i, &mut t.traces.$i); )*
                self.0.$l.forward(x, &mut t.outputs.$l, &mut t.traces.$l);
                channels::concat(
                    [
                        (t.outputs.0.as_slice(), Tensor::<N, $C0, $H0, $W0, E>::SAMPLE_LEN),
                        $( (t.outputs.$i.as_slice(), Tensor::<N, $Cm, $Hm, $Wm, E>::SAMPLE_LEN), )*
                        (t.outputs.$l.as_slice(), Tensor::<N, $CL, $HL, $WL, E>::SAMPLE_LEN),
                    ],
                    y.as_mut_slice(),
                    Tensor::<N, CO, $H0, $W0, E>::SAMPLE_LEN,
                );
            }

            #[inline]
            fn forward_train_unchecked(&mut self, x: &Tensor<N, C, H, W, E>, y: &mut Self::Output, t: &mut Self::Trace) {
                self.0.0.forward_train_unchecked(x, &mut t.outputs.0, &mut t.traces.0);
                $( self.0.$i.forward_train_unchecked(x, &mut t.outputs.$i, &mut t.traces.$i); )*
                self.0.$l.forward_train_unchecked(x, &mut t.outputs.$l, &mut t.traces.$l);
                channels::concat(
                    [
                        (t.outputs.0.as_slice(), Tensor::<N, $C0, $H0, $W0, E>::SAMPLE_LEN),
                        $( (t.outputs.$i.as_slice(), Tensor::<N, $Cm, $Hm, $Wm, E>::SAMPLE_LEN), )*
                        (t.outputs.$l.as_slice(), Tensor::<N, $CL, $HL, $WL, E>::SAMPLE_LEN),
                    ],
                    y.as_mut_slice(),
                    Tensor::<N, CO, $H0, $W0, E>::SAMPLE_LEN,
                );
            }

            fn backward(
                &self,
                x: Input<'_, Tensor<N, C, H, W, E>>,
                t: &mut Self::Trace,
                dy: &Self::Output,
                grads: &mut Self,
            ) {
                // Each branch's slice of dy, into its output buffer.
                channels::split(
                    dy.as_slice(),
                    [
                        (t.outputs.0.as_mut_slice(), Tensor::<N, $C0, $H0, $W0, E>::SAMPLE_LEN),
                        $( (t.outputs.$i.as_mut_slice(), Tensor::<N, $Cm, $Hm, $Wm, E>::SAMPLE_LEN), )*
                        (t.outputs.$l.as_mut_slice(), Tensor::<N, $CL, $HL, $WL, E>::SAMPLE_LEN),
                    ],
                    Tensor::<N, CO, $H0, $W0, E>::SAMPLE_LEN,
                );

                let (tr, ys, g) = (&mut t.traces, &t.outputs, &mut grads.0);
                match x {
                    Input::Keep(x) => {
                        self.0.0.backward(Input::Keep(x), &mut tr.0, &ys.0, &mut g.0);
                        $( self.0.$i.backward(Input::Keep(x), &mut tr.$i, &ys.$i, &mut g.$i); )*
                        self.0.$l.backward(Input::Keep(x), &mut tr.$l, &ys.$l, &mut g.$l);
                    }
                    Input::Grad(x) => {
                        let acc = &mut t.acc;
                        acc.as_mut_slice().copy_from_slice(x.as_slice());
                        self.0.0.backward(Input::Grad(acc), &mut tr.0, &ys.0, &mut g.0);
                        $(
                            let s = &mut t.scratch;
                            s.as_mut_slice().copy_from_slice(x.as_slice());
                            self.0.$i.backward(Input::Grad(s), &mut tr.$i, &ys.$i, &mut g.$i);
                            pointwise::add_assign(acc.as_mut_slice(), s.as_slice());
                        )*
                        self.0.$l.backward(Input::Grad(x), &mut tr.$l, &ys.$l, &mut g.$l);
                        pointwise::add_assign(x.as_mut_slice(), acc.as_slice());
                    }
                }
            }

            const INFER_SCRATCH: usize = {
                #[allow(unused_mut)]
                let mut need = branch_scratch::<Tensor<N, C, H, W, E>, $B0>();
                $( need = max(need, branch_scratch::<Tensor<N, C, H, W, E>, $B>()); )*
                max(need, branch_scratch::<Tensor<N, C, H, W, E>, $BL>())
            };

            #[inline]
            fn infer_io(&self, io: Io<'_, E>, s: &mut [E]) {
                let (x, y) = io.apart();
                let whole = Tensor::<N, CO, $H0, $W0, E>::SAMPLE_LEN;
                let mut offset = 0;
                offset += infer_branch::<Tensor<N, C, H, W, E>, $B0>(&self.0.0, x, y, s, offset, whole);
                $( offset += infer_branch::<Tensor<N, C, H, W, E>, $B>(&self.0.$i, x, y, s, offset, whole); )*
                infer_branch::<Tensor<N, C, H, W, E>, $BL>(&self.0.$l, x, y, s, offset, whole);
            }

            fn flops() -> u64 {
                $B0::flops() $( + $B::flops() )* + $BL::flops()
            }
        }

    };
}

concat! {
    first [B1 C1 H1 W1 0 "branch1"]
    middle {}
    last [B2 C2 H2 W2 1 "branch2"]
    sums { Dim<C1>: AddDim<C2, Out = Dim<CO>>, } partial {}
    scratch ()
}

concat! {
    first [B1 C1 H1 W1 0 "branch1"]
    middle { [B2 C2 H2 W2 1 "branch2"] }
    last [B3 C3 H3 W3 2 "branch3"]
    sums {
        Dim<C1>: AddDim<C2, Out = Dim<C12>>,
        Dim<C12>: AddDim<C3, Out = Dim<CO>>,
    } partial { C12 }
    scratch Tensor<N, C, H, W, E>
}

concat! {
    first [B1 C1 H1 W1 0 "branch1"]
    middle { [B2 C2 H2 W2 1 "branch2"] [B3 C3 H3 W3 2 "branch3"] }
    last [B4 C4 H4 W4 3 "branch4"]
    sums {
        Dim<C1>: AddDim<C2, Out = Dim<C12>>,
        Dim<C12>: AddDim<C3, Out = Dim<C123>>,
        Dim<C123>: AddDim<C4, Out = Dim<CO>>,
    } partial { C12 C123 }
    scratch Tensor<N, C, H, W, E>
}
