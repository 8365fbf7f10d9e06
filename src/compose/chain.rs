//! Sequential chains: a tuple of layers is a layer.
//!
//! `(A, B, C)` applied to `X` is `C(B(A(X)))`, and it exists as a [`Layer`] only when `B` accepts
//! `A`'s output and `C` accepts `B`'s. Chains nest (a chain is a layer) and are implemented for
//! tuples of 1 to 32 layers. The trace of a chain holds every inner layer's trace and every
//! intermediate activation; during backward each activation buffer is overwritten with its
//! gradient, so training memory is one buffer per activation. In weight files, element `i` of
//! the tuple is named `i`, like PyTorch's `nn.Sequential`.

use crate::layer::Row;
use crate::layer::{Input, Io, Layer, max};
use crate::tensor::Batch;
use crate::visit::{Module, Path, Visitor, parts};

impl<E, A: Module<E>> Module<E> for (A,) {
    fn visit<V: Visitor<E, K>, const K: usize>(mut m: [&mut Self; K], path: &Path<'_>, v: &mut V) {
        A::visit(parts(&mut m, |t| &mut t.0), &path.index(0), v);
    }
}

impl<X: Batch, A: Layer<X>> Layer<X> for (A,) {
    type Output = A::Output;
    type Trace = A::Trace;
    type Training = A::Training;
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
    const INFER_SCRATCH: usize = A::INFER_SCRATCH;
    const IN_PLACE: bool = A::IN_PLACE;
    #[inline]
    fn infer_io(&self, io: Io<'_, X::Elem>, scratch: &mut [X::Elem]) {
        self.0.infer_io(io, scratch)
    }
    fn flops() -> u64 {
        A::flops()
    }
    fn describe(&mut self, path: &Path<'_>, output_held: bool, f: &mut dyn FnMut(&Path<'_>, &Row)) {
        f(path, &Row::of::<X, Self>(self, output_held, 1));
        self.0.describe(&path.index(0), output_held, f);
    }
}

/// The index from which every element of a chain works in place (`flags[i]`: element `i`
/// does); `flags.len()` if the last one does not.
const fn tail(flags: &[bool]) -> usize {
    let mut t = flags.len();
    while t > 0 && flags[t - 1] {
        t -= 1;
    }
    t
}

/// The activation of `len` values at the low (`low`) or high end of a chain's arena `s`, and
/// the rest of the arena.
#[inline(always)]
fn end<E>(s: &mut [E], low: bool, len: usize) -> (&mut [E], &mut [E]) {
    if low {
        s.split_at_mut(len)
    } else {
        let (rest, v) = s.split_at_mut(s.len() - len);
        (v, rest)
    }
}

/// An element's input (`inl` values at the low end if `low`, else at the high end), its output
/// (`outl` values at the other end) and the arena between them.
#[inline(always)]
fn ends<E>(s: &mut [E], low: bool, inl: usize, outl: usize) -> (&[E], &mut [E], &mut [E]) {
    let (first, second) = if low { (inl, outl) } else { (outl, inl) };
    let (a, rest) = s.split_at_mut(first);
    let (mid, b) = rest.split_at_mut(rest.len() - second);
    if low { (a, b, mid) } else { (b, a, mid) }
}

/// Implements `Layer` and `Module` for one tuple arity.
///
/// Arguments: the first layer `[L0]`, the middle layers `[Li Li-1 i i-1]` (type, the type of
/// the layer before it, index, index of the layer before it), the last layer in the same form,
/// and the middle layers again in reverse order as `[i i-1]` for backward. The chain's input
/// type is `X`; layer `i`'s input is `Li-1::Output`.
macro_rules! chain {
    (
        [$L0:ident]
        { $( [$L:ident $Lp:ident $i:tt $p:tt] )* }
        [$LL:ident $LLp:ident $li:tt $lp:tt]
        rev { $( [$ri:tt $rp:tt] )* }
    ) => {
        impl<E, $L0: Module<E>, $( $L: Module<E>, )* $LL: Module<E>> Module<E> for ($L0, $( $L, )* $LL) {
            fn visit<V: Visitor<E, K>, const K: usize>(mut m: [&mut Self; K], path: &Path<'_>, v: &mut V) {
                $L0::visit(parts(&mut m, |t| &mut t.0), &path.index(0), v);
                $( $L::visit(parts(&mut m, |t| &mut t.$i), &path.index($i), v); )*
                $LL::visit(parts(&mut m, |t| &mut t.$li), &path.index($li), v);
            }
        }

        // (Each element's input is named by a projection, the output of the element before
        // it, not by a type parameter bound with `Output = …`: so a method called on a chain
        // whose elements cannot fit is reported by rustc with the element and the input it does
        // not take, not as "no method named `forward` found", see
        // tests/ui/chain_channel_mismatch_method.rs.)
        impl<X: Batch, $L0, $( $L, )* $LL> Layer<X> for ($L0, $( $L, )* $LL)
        where
            $L0: Layer<X>,
            $( $L: Layer<$Lp::Output>, )*
            $LL: Layer<$LLp::Output>,
        {
            type Output = $LL::Output;
            type Trace = (($L0::Trace, $( $L::Trace, )* $LL::Trace), ($L0::Output, $( $L::Output, )*));
            type Training = ($L0::Training, $( $L::Training, )* $LL::Training);

            #[inline]
            fn forward(&self, x: &X, y: &mut $LL::Output, trace: &mut Self::Trace) {
                let (traces, mids) = trace;
                self.0.forward(x, &mut mids.0, &mut traces.0);
                $( self.$i.forward(&mids.$p, &mut mids.$i, &mut traces.$i); )*
                self.$li.forward(&mids.$lp, y, &mut traces.$li);
            }

            #[inline]
            fn forward_train_unchecked(&mut self, x: &X, y: &mut $LL::Output, trace: &mut Self::Trace) {
                let (traces, mids) = trace;
                self.0.forward_train_unchecked(x, &mut mids.0, &mut traces.0);
                $( self.$i.forward_train_unchecked(&mids.$p, &mut mids.$i, &mut traces.$i); )*
                self.$li.forward_train_unchecked(&mids.$lp, y, &mut traces.$li);
            }

            #[inline]
            fn backward(&self, x: Input<'_, X>, trace: &mut Self::Trace, dy: &$LL::Output, grads: &mut Self) {
                let (traces, mids) = trace;
                self.$li.backward(Input::Grad(&mut mids.$lp), &mut traces.$li, dy, &mut grads.$li);
                $( self.$ri.backward(Input::Grad(&mut mids.$rp), &mut traces.$ri, &mids.$ri, &mut grads.$ri); )*
                self.0.backward(x, &mut traces.0, &mids.0, &mut grads.0);
            }

            /// The largest of what each element needs: its input and output activations
            /// (one of them when it works in place; the chain's own input and output are the
            /// caller's, and the in-place elements at the end of the chain work on the output)
            /// and its own scratch.
            const INFER_SCRATCH: usize = {
                let t = tail(&[$L0::IN_PLACE, $( $L::IN_PLACE, )* $LL::IN_PLACE]);
                #[allow(unused_mut)]
                let mut need = $L0::INFER_SCRATCH + if 1 >= t { 0 } else { <$L0::Output as Batch>::NUMEL };
                $( need = max(need, $L::INFER_SCRATCH + if $i >= t {
                    0
                } else if $i + 1 >= t || $L::IN_PLACE {
                    <$Lp::Output as Batch>::NUMEL
                } else {
                    <$Lp::Output as Batch>::NUMEL + <$L::Output as Batch>::NUMEL
                }); )*
                max(need, $LL::INFER_SCRATCH + if $li >= t { 0 } else { <$LLp::Output as Batch>::NUMEL })
            };
            const IN_PLACE: bool = $L0::IN_PLACE $( && $L::IN_PLACE )* && $LL::IN_PLACE;

            #[inline]
            fn infer_io(&self, io: Io<'_, X::Elem>, s: &mut [X::Elem]) {
                let (x, y) = match io {
                    Io::Apart { x, y } => (x, y),
                    Io::InPlace(v) => {
                        // Every element works in place (`IN_PLACE`).
                        self.0.infer_io(Io::InPlace(&mut *v), s);
                        $( self.$i.infer_io(Io::InPlace(&mut *v), s); )*
                        self.$li.infer_io(Io::InPlace(v), s);
                        return;
                    }
                };
                // Elements from `t` on work in place on `y`; element `t − 1` writes `y`. Before
                // it, each element reads the activation at one end of the arena and writes the
                // other end (or works in place), and its scratch is what lies between.
                let t = const { tail(&[$L0::IN_PLACE, $( $L::IN_PLACE, )* $LL::IN_PLACE]) };
                if 1 >= t {
                    self.0.infer_io(Io::Apart { x, y: &mut *y }, s);
                } else {
                    let (mid, rest) = s.split_at_mut(<$L0::Output as Batch>::NUMEL);
                    self.0.infer_io(Io::Apart { x, y: mid }, rest);
                }
                #[allow(unused_mut)]
                let mut low = true;
                $(
                    if $i >= t {
                        self.$i.infer_io(Io::InPlace(&mut *y), s);
                    } else if $i + 1 >= t {
                        let (x, rest) = end(s, low, <$Lp::Output as Batch>::NUMEL);
                        self.$i.infer_io(Io::Apart { x, y: &mut *y }, rest);
                    } else if $L::IN_PLACE {
                        let (v, rest) = end(s, low, <$Lp::Output as Batch>::NUMEL);
                        self.$i.infer_io(Io::InPlace(v), rest);
                    } else {
                        let (x, y, rest) = ends(s, low, <$Lp::Output as Batch>::NUMEL, <$L::Output as Batch>::NUMEL);
                        self.$i.infer_io(Io::Apart { x, y }, rest);
                        low = !low;
                    }
                )*
                if $li >= t {
                    self.$li.infer_io(Io::InPlace(y), s);
                } else {
                    let (x, rest) = end(s, low, <$LLp::Output as Batch>::NUMEL);
                    self.$li.infer_io(Io::Apart { x, y }, rest);
                }
            }

            fn flops() -> u64 {
                $L0::flops() $( + $L::flops() )* + $LL::flops()
            }

            /// One row for the chain, then one per element; the chain's trace stores the
            /// output of every element but the last.
            fn describe(&mut self, path: &Path<'_>, output_held: bool, f: &mut dyn FnMut(&Path<'_>, &Row)) {
                f(path, &Row::of::<X, Self>(self, output_held, $li + 1));
                self.0.describe(&path.index(0), true, f);
                $( self.$i.describe(&path.index($i), true, f); )*
                self.$li.describe(&path.index($li), output_held, f);
            }
        }
    };
}

chain! { [L0] {} [L1 L0 1 0] rev {} }
chain! { [L0] {[L1 L0 1 0]} [L2 L1 2 1] rev {[1 0]} }
chain! { [L0] {[L1 L0 1 0] [L2 L1 2 1]} [L3 L2 3 2] rev {[2 1] [1 0]} }
chain! { [L0] {[L1 L0 1 0] [L2 L1 2 1] [L3 L2 3 2]} [L4 L3 4 3] rev {[3 2] [2 1] [1 0]} }
chain! { [L0] {[L1 L0 1 0] [L2 L1 2 1] [L3 L2 3 2] [L4 L3 4 3]} [L5 L4 5 4] rev {[4 3] [3 2] [2 1] [1 0]} }
chain! { [L0] {[L1 L0 1 0] [L2 L1 2 1] [L3 L2 3 2] [L4 L3 4 3] [L5 L4 5 4]} [L6 L5 6 5] rev {[5 4] [4 3] [3 2] [2 1] [1 0]} }
chain! { [L0] {[L1 L0 1 0] [L2 L1 2 1] [L3 L2 3 2] [L4 L3 4 3] [L5 L4 5 4] [L6 L5 6 5]} [L7 L6 7 6] rev {[6 5] [5 4] [4 3] [3 2] [2 1] [1 0]} }
chain! { [L0] {[L1 L0 1 0] [L2 L1 2 1] [L3 L2 3 2] [L4 L3 4 3] [L5 L4 5 4] [L6 L5 6 5] [L7 L6 7 6]} [L8 L7 8 7] rev {[7 6] [6 5] [5 4] [4 3] [3 2] [2 1] [1 0]} }
chain! { [L0] {[L1 L0 1 0] [L2 L1 2 1] [L3 L2 3 2] [L4 L3 4 3] [L5 L4 5 4] [L6 L5 6 5] [L7 L6 7 6] [L8 L7 8 7]} [L9 L8 9 8] rev {[8 7] [7 6] [6 5] [5 4] [4 3] [3 2] [2 1] [1 0]} }
chain! { [L0] {[L1 L0 1 0] [L2 L1 2 1] [L3 L2 3 2] [L4 L3 4 3] [L5 L4 5 4] [L6 L5 6 5] [L7 L6 7 6] [L8 L7 8 7] [L9 L8 9 8]} [L10 L9 10 9] rev {[9 8] [8 7] [7 6] [6 5] [5 4] [4 3] [3 2] [2 1] [1 0]} }
chain! { [L0] {[L1 L0 1 0] [L2 L1 2 1] [L3 L2 3 2] [L4 L3 4 3] [L5 L4 5 4] [L6 L5 6 5] [L7 L6 7 6] [L8 L7 8 7] [L9 L8 9 8] [L10 L9 10 9]} [L11 L10 11 10] rev {[10 9] [9 8] [8 7] [7 6] [6 5] [5 4] [4 3] [3 2] [2 1] [1 0]} }
chain! { [L0] {[L1 L0 1 0] [L2 L1 2 1] [L3 L2 3 2] [L4 L3 4 3] [L5 L4 5 4] [L6 L5 6 5] [L7 L6 7 6] [L8 L7 8 7] [L9 L8 9 8] [L10 L9 10 9] [L11 L10 11 10]} [L12 L11 12 11] rev {[11 10] [10 9] [9 8] [8 7] [7 6] [6 5] [5 4] [4 3] [3 2] [2 1] [1 0]} }
chain! { [L0] {[L1 L0 1 0] [L2 L1 2 1] [L3 L2 3 2] [L4 L3 4 3] [L5 L4 5 4] [L6 L5 6 5] [L7 L6 7 6] [L8 L7 8 7] [L9 L8 9 8] [L10 L9 10 9] [L11 L10 11 10] [L12 L11 12 11]} [L13 L12 13 12] rev {[12 11] [11 10] [10 9] [9 8] [8 7] [7 6] [6 5] [5 4] [4 3] [3 2] [2 1] [1 0]} }
chain! { [L0] {[L1 L0 1 0] [L2 L1 2 1] [L3 L2 3 2] [L4 L3 4 3] [L5 L4 5 4] [L6 L5 6 5] [L7 L6 7 6] [L8 L7 8 7] [L9 L8 9 8] [L10 L9 10 9] [L11 L10 11 10] [L12 L11 12 11] [L13 L12 13 12]} [L14 L13 14 13] rev {[13 12] [12 11] [11 10] [10 9] [9 8] [8 7] [7 6] [6 5] [5 4] [4 3] [3 2] [2 1] [1 0]} }
chain! { [L0] {[L1 L0 1 0] [L2 L1 2 1] [L3 L2 3 2] [L4 L3 4 3] [L5 L4 5 4] [L6 L5 6 5] [L7 L6 7 6] [L8 L7 8 7] [L9 L8 9 8] [L10 L9 10 9] [L11 L10 11 10] [L12 L11 12 11] [L13 L12 13 12] [L14 L13 14 13]} [L15 L14 15 14] rev {[14 13] [13 12] [12 11] [11 10] [10 9] [9 8] [8 7] [7 6] [6 5] [5 4] [4 3] [3 2] [2 1] [1 0]} }
chain! { [L0] {[L1 L0 1 0] [L2 L1 2 1] [L3 L2 3 2] [L4 L3 4 3] [L5 L4 5 4] [L6 L5 6 5] [L7 L6 7 6] [L8 L7 8 7] [L9 L8 9 8] [L10 L9 10 9] [L11 L10 11 10] [L12 L11 12 11] [L13 L12 13 12] [L14 L13 14 13] [L15 L14 15 14]} [L16 L15 16 15] rev {[15 14] [14 13] [13 12] [12 11] [11 10] [10 9] [9 8] [8 7] [7 6] [6 5] [5 4] [4 3] [3 2] [2 1] [1 0]} }
chain! { [L0] {[L1 L0 1 0] [L2 L1 2 1] [L3 L2 3 2] [L4 L3 4 3] [L5 L4 5 4] [L6 L5 6 5] [L7 L6 7 6] [L8 L7 8 7] [L9 L8 9 8] [L10 L9 10 9] [L11 L10 11 10] [L12 L11 12 11] [L13 L12 13 12] [L14 L13 14 13] [L15 L14 15 14] [L16 L15 16 15]} [L17 L16 17 16] rev {[16 15] [15 14] [14 13] [13 12] [12 11] [11 10] [10 9] [9 8] [8 7] [7 6] [6 5] [5 4] [4 3] [3 2] [2 1] [1 0]} }
chain! { [L0] {[L1 L0 1 0] [L2 L1 2 1] [L3 L2 3 2] [L4 L3 4 3] [L5 L4 5 4] [L6 L5 6 5] [L7 L6 7 6] [L8 L7 8 7] [L9 L8 9 8] [L10 L9 10 9] [L11 L10 11 10] [L12 L11 12 11] [L13 L12 13 12] [L14 L13 14 13] [L15 L14 15 14] [L16 L15 16 15] [L17 L16 17 16]} [L18 L17 18 17] rev {[17 16] [16 15] [15 14] [14 13] [13 12] [12 11] [11 10] [10 9] [9 8] [8 7] [7 6] [6 5] [5 4] [4 3] [3 2] [2 1] [1 0]} }
chain! { [L0] {[L1 L0 1 0] [L2 L1 2 1] [L3 L2 3 2] [L4 L3 4 3] [L5 L4 5 4] [L6 L5 6 5] [L7 L6 7 6] [L8 L7 8 7] [L9 L8 9 8] [L10 L9 10 9] [L11 L10 11 10] [L12 L11 12 11] [L13 L12 13 12] [L14 L13 14 13] [L15 L14 15 14] [L16 L15 16 15] [L17 L16 17 16] [L18 L17 18 17]} [L19 L18 19 18] rev {[18 17] [17 16] [16 15] [15 14] [14 13] [13 12] [12 11] [11 10] [10 9] [9 8] [8 7] [7 6] [6 5] [5 4] [4 3] [3 2] [2 1] [1 0]} }
chain! { [L0] {[L1 L0 1 0] [L2 L1 2 1] [L3 L2 3 2] [L4 L3 4 3] [L5 L4 5 4] [L6 L5 6 5] [L7 L6 7 6] [L8 L7 8 7] [L9 L8 9 8] [L10 L9 10 9] [L11 L10 11 10] [L12 L11 12 11] [L13 L12 13 12] [L14 L13 14 13] [L15 L14 15 14] [L16 L15 16 15] [L17 L16 17 16] [L18 L17 18 17] [L19 L18 19 18]} [L20 L19 20 19] rev {[19 18] [18 17] [17 16] [16 15] [15 14] [14 13] [13 12] [12 11] [11 10] [10 9] [9 8] [8 7] [7 6] [6 5] [5 4] [4 3] [3 2] [2 1] [1 0]} }
chain! { [L0] {[L1 L0 1 0] [L2 L1 2 1] [L3 L2 3 2] [L4 L3 4 3] [L5 L4 5 4] [L6 L5 6 5] [L7 L6 7 6] [L8 L7 8 7] [L9 L8 9 8] [L10 L9 10 9] [L11 L10 11 10] [L12 L11 12 11] [L13 L12 13 12] [L14 L13 14 13] [L15 L14 15 14] [L16 L15 16 15] [L17 L16 17 16] [L18 L17 18 17] [L19 L18 19 18] [L20 L19 20 19]} [L21 L20 21 20] rev {[20 19] [19 18] [18 17] [17 16] [16 15] [15 14] [14 13] [13 12] [12 11] [11 10] [10 9] [9 8] [8 7] [7 6] [6 5] [5 4] [4 3] [3 2] [2 1] [1 0]} }
chain! { [L0] {[L1 L0 1 0] [L2 L1 2 1] [L3 L2 3 2] [L4 L3 4 3] [L5 L4 5 4] [L6 L5 6 5] [L7 L6 7 6] [L8 L7 8 7] [L9 L8 9 8] [L10 L9 10 9] [L11 L10 11 10] [L12 L11 12 11] [L13 L12 13 12] [L14 L13 14 13] [L15 L14 15 14] [L16 L15 16 15] [L17 L16 17 16] [L18 L17 18 17] [L19 L18 19 18] [L20 L19 20 19] [L21 L20 21 20]} [L22 L21 22 21] rev {[21 20] [20 19] [19 18] [18 17] [17 16] [16 15] [15 14] [14 13] [13 12] [12 11] [11 10] [10 9] [9 8] [8 7] [7 6] [6 5] [5 4] [4 3] [3 2] [2 1] [1 0]} }
chain! { [L0] {[L1 L0 1 0] [L2 L1 2 1] [L3 L2 3 2] [L4 L3 4 3] [L5 L4 5 4] [L6 L5 6 5] [L7 L6 7 6] [L8 L7 8 7] [L9 L8 9 8] [L10 L9 10 9] [L11 L10 11 10] [L12 L11 12 11] [L13 L12 13 12] [L14 L13 14 13] [L15 L14 15 14] [L16 L15 16 15] [L17 L16 17 16] [L18 L17 18 17] [L19 L18 19 18] [L20 L19 20 19] [L21 L20 21 20] [L22 L21 22 21]} [L23 L22 23 22] rev {[22 21] [21 20] [20 19] [19 18] [18 17] [17 16] [16 15] [15 14] [14 13] [13 12] [12 11] [11 10] [10 9] [9 8] [8 7] [7 6] [6 5] [5 4] [4 3] [3 2] [2 1] [1 0]} }
chain! { [L0] {[L1 L0 1 0] [L2 L1 2 1] [L3 L2 3 2] [L4 L3 4 3] [L5 L4 5 4] [L6 L5 6 5] [L7 L6 7 6] [L8 L7 8 7] [L9 L8 9 8] [L10 L9 10 9] [L11 L10 11 10] [L12 L11 12 11] [L13 L12 13 12] [L14 L13 14 13] [L15 L14 15 14] [L16 L15 16 15] [L17 L16 17 16] [L18 L17 18 17] [L19 L18 19 18] [L20 L19 20 19] [L21 L20 21 20] [L22 L21 22 21] [L23 L22 23 22]} [L24 L23 24 23] rev {[23 22] [22 21] [21 20] [20 19] [19 18] [18 17] [17 16] [16 15] [15 14] [14 13] [13 12] [12 11] [11 10] [10 9] [9 8] [8 7] [7 6] [6 5] [5 4] [4 3] [3 2] [2 1] [1 0]} }
chain! { [L0] {[L1 L0 1 0] [L2 L1 2 1] [L3 L2 3 2] [L4 L3 4 3] [L5 L4 5 4] [L6 L5 6 5] [L7 L6 7 6] [L8 L7 8 7] [L9 L8 9 8] [L10 L9 10 9] [L11 L10 11 10] [L12 L11 12 11] [L13 L12 13 12] [L14 L13 14 13] [L15 L14 15 14] [L16 L15 16 15] [L17 L16 17 16] [L18 L17 18 17] [L19 L18 19 18] [L20 L19 20 19] [L21 L20 21 20] [L22 L21 22 21] [L23 L22 23 22] [L24 L23 24 23]} [L25 L24 25 24] rev {[24 23] [23 22] [22 21] [21 20] [20 19] [19 18] [18 17] [17 16] [16 15] [15 14] [14 13] [13 12] [12 11] [11 10] [10 9] [9 8] [8 7] [7 6] [6 5] [5 4] [4 3] [3 2] [2 1] [1 0]} }
chain! { [L0] {[L1 L0 1 0] [L2 L1 2 1] [L3 L2 3 2] [L4 L3 4 3] [L5 L4 5 4] [L6 L5 6 5] [L7 L6 7 6] [L8 L7 8 7] [L9 L8 9 8] [L10 L9 10 9] [L11 L10 11 10] [L12 L11 12 11] [L13 L12 13 12] [L14 L13 14 13] [L15 L14 15 14] [L16 L15 16 15] [L17 L16 17 16] [L18 L17 18 17] [L19 L18 19 18] [L20 L19 20 19] [L21 L20 21 20] [L22 L21 22 21] [L23 L22 23 22] [L24 L23 24 23] [L25 L24 25 24]} [L26 L25 26 25] rev {[25 24] [24 23] [23 22] [22 21] [21 20] [20 19] [19 18] [18 17] [17 16] [16 15] [15 14] [14 13] [13 12] [12 11] [11 10] [10 9] [9 8] [8 7] [7 6] [6 5] [5 4] [4 3] [3 2] [2 1] [1 0]} }
chain! { [L0] {[L1 L0 1 0] [L2 L1 2 1] [L3 L2 3 2] [L4 L3 4 3] [L5 L4 5 4] [L6 L5 6 5] [L7 L6 7 6] [L8 L7 8 7] [L9 L8 9 8] [L10 L9 10 9] [L11 L10 11 10] [L12 L11 12 11] [L13 L12 13 12] [L14 L13 14 13] [L15 L14 15 14] [L16 L15 16 15] [L17 L16 17 16] [L18 L17 18 17] [L19 L18 19 18] [L20 L19 20 19] [L21 L20 21 20] [L22 L21 22 21] [L23 L22 23 22] [L24 L23 24 23] [L25 L24 25 24] [L26 L25 26 25]} [L27 L26 27 26] rev {[26 25] [25 24] [24 23] [23 22] [22 21] [21 20] [20 19] [19 18] [18 17] [17 16] [16 15] [15 14] [14 13] [13 12] [12 11] [11 10] [10 9] [9 8] [8 7] [7 6] [6 5] [5 4] [4 3] [3 2] [2 1] [1 0]} }
chain! { [L0] {[L1 L0 1 0] [L2 L1 2 1] [L3 L2 3 2] [L4 L3 4 3] [L5 L4 5 4] [L6 L5 6 5] [L7 L6 7 6] [L8 L7 8 7] [L9 L8 9 8] [L10 L9 10 9] [L11 L10 11 10] [L12 L11 12 11] [L13 L12 13 12] [L14 L13 14 13] [L15 L14 15 14] [L16 L15 16 15] [L17 L16 17 16] [L18 L17 18 17] [L19 L18 19 18] [L20 L19 20 19] [L21 L20 21 20] [L22 L21 22 21] [L23 L22 23 22] [L24 L23 24 23] [L25 L24 25 24] [L26 L25 26 25] [L27 L26 27 26]} [L28 L27 28 27] rev {[27 26] [26 25] [25 24] [24 23] [23 22] [22 21] [21 20] [20 19] [19 18] [18 17] [17 16] [16 15] [15 14] [14 13] [13 12] [12 11] [11 10] [10 9] [9 8] [8 7] [7 6] [6 5] [5 4] [4 3] [3 2] [2 1] [1 0]} }
chain! { [L0] {[L1 L0 1 0] [L2 L1 2 1] [L3 L2 3 2] [L4 L3 4 3] [L5 L4 5 4] [L6 L5 6 5] [L7 L6 7 6] [L8 L7 8 7] [L9 L8 9 8] [L10 L9 10 9] [L11 L10 11 10] [L12 L11 12 11] [L13 L12 13 12] [L14 L13 14 13] [L15 L14 15 14] [L16 L15 16 15] [L17 L16 17 16] [L18 L17 18 17] [L19 L18 19 18] [L20 L19 20 19] [L21 L20 21 20] [L22 L21 22 21] [L23 L22 23 22] [L24 L23 24 23] [L25 L24 25 24] [L26 L25 26 25] [L27 L26 27 26] [L28 L27 28 27]} [L29 L28 29 28] rev {[28 27] [27 26] [26 25] [25 24] [24 23] [23 22] [22 21] [21 20] [20 19] [19 18] [18 17] [17 16] [16 15] [15 14] [14 13] [13 12] [12 11] [11 10] [10 9] [9 8] [8 7] [7 6] [6 5] [5 4] [4 3] [3 2] [2 1] [1 0]} }
chain! { [L0] {[L1 L0 1 0] [L2 L1 2 1] [L3 L2 3 2] [L4 L3 4 3] [L5 L4 5 4] [L6 L5 6 5] [L7 L6 7 6] [L8 L7 8 7] [L9 L8 9 8] [L10 L9 10 9] [L11 L10 11 10] [L12 L11 12 11] [L13 L12 13 12] [L14 L13 14 13] [L15 L14 15 14] [L16 L15 16 15] [L17 L16 17 16] [L18 L17 18 17] [L19 L18 19 18] [L20 L19 20 19] [L21 L20 21 20] [L22 L21 22 21] [L23 L22 23 22] [L24 L23 24 23] [L25 L24 25 24] [L26 L25 26 25] [L27 L26 27 26] [L28 L27 28 27] [L29 L28 29 28]} [L30 L29 30 29] rev {[29 28] [28 27] [27 26] [26 25] [25 24] [24 23] [23 22] [22 21] [21 20] [20 19] [19 18] [18 17] [17 16] [16 15] [15 14] [14 13] [13 12] [12 11] [11 10] [10 9] [9 8] [8 7] [7 6] [6 5] [5 4] [4 3] [3 2] [2 1] [1 0]} }
chain! { [L0] {[L1 L0 1 0] [L2 L1 2 1] [L3 L2 3 2] [L4 L3 4 3] [L5 L4 5 4] [L6 L5 6 5] [L7 L6 7 6] [L8 L7 8 7] [L9 L8 9 8] [L10 L9 10 9] [L11 L10 11 10] [L12 L11 12 11] [L13 L12 13 12] [L14 L13 14 13] [L15 L14 15 14] [L16 L15 16 15] [L17 L16 17 16] [L18 L17 18 17] [L19 L18 19 18] [L20 L19 20 19] [L21 L20 21 20] [L22 L21 22 21] [L23 L22 23 22] [L24 L23 24 23] [L25 L24 25 24] [L26 L25 26 25] [L27 L26 27 26] [L28 L27 28 27] [L29 L28 29 28] [L30 L29 30 29]} [L31 L30 31 30] rev {[30 29] [29 28] [28 27] [27 26] [26 25] [25 24] [24 23] [23 22] [22 21] [21 20] [20 19] [19 18] [18 17] [17 16] [16 15] [15 14] [14 13] [13 12] [12 11] [11 10] [10 9] [9 8] [8 7] [7 6] [6 5] [5 4] [4 3] [3 2] [2 1] [1 0]} }
