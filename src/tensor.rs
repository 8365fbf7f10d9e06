//! [`Tensor`]: a batch of feature maps with its shape in the type.

use crate::zeroable::Zeroable;
use num_traits::Float;

/// A batch of `N` samples with `C` channels of `H × W` values, stored row-major in PyTorch's
/// `N, C, H, W` order as a plain nested array (no heap, no indirection, `Copy`).
///
/// Vectors (inputs and outputs of dense layers) are `Tensor<N, F, 1, 1>` (see [`Vector`]), the
/// layout PyTorch gives `[N, F]`.
///
/// ```
/// use constnet::Tensor;
/// let mut x = Tensor::<2, 3, 4, 4>::zeros();
/// x.0[1][2][3][0] = 1.5; // sample 1, channel 2, row 3, column 0
/// assert_eq!(x.as_slice()[16 * 3 + 16 * 2 + 4 * 3], 1.5);
/// assert_eq!(Tensor::<2, 3, 4, 4>::LEN, 96);
/// ```
#[repr(transparent)]
#[derive(Clone, Copy, PartialEq)]
pub struct Tensor<const N: usize, const C: usize, const H: usize, const W: usize, E = f32>(
    /// The values, indexed `[n][c][h][w]`.
    pub [[[[E; W]; H]; C]; N],
);

/// A batch of `N` vectors of length `F`: `Tensor<N, F, 1, 1>`.
pub type Vector<const N: usize, const F: usize, E = f32> = Tensor<N, F, 1, 1, E>;

/// One sample of a [`Tensor`]: `C × H × W` values.
pub type Sample<const C: usize, const H: usize, const W: usize, E = f32> = [[[E; W]; H]; C];

crate::zeroable::zeroable_struct!([const N: usize, const C: usize, const H: usize, const W: usize, E: Zeroable] Tensor<N, C, H, W, E> { 0 });

impl<const N: usize, const C: usize, const H: usize, const W: usize, E> Tensor<N, C, H, W, E> {
    /// Number of values: `N · C · H · W`.
    pub const LEN: usize = N * C * H * W;
    /// Values in one sample: `C · H · W`.
    pub const SAMPLE_LEN: usize = C * H * W;
    /// The shape as PyTorch prints it: `[N, C, H, W]`.
    pub const SHAPE: [usize; 4] = [N, C, H, W];

    /// All values, flat, in `N, C, H, W` order.
    #[inline]
    pub fn as_slice(&self) -> &[E] {
        self.0.as_flattened().as_flattened().as_flattened()
    }
    /// All values, flat and mutable, in `N, C, H, W` order.
    #[inline]
    pub fn as_mut_slice(&mut self) -> &mut [E] {
        self.0
            .as_flattened_mut()
            .as_flattened_mut()
            .as_flattened_mut()
    }
    /// The values of sample `n`, flat, in `C, H, W` order.
    #[inline]
    pub fn sample(&self, n: usize) -> &[E] {
        self.0[n].as_flattened().as_flattened()
    }
    /// The values of sample `n`, flat and mutable.
    #[inline]
    pub fn sample_mut(&mut self, n: usize) -> &mut [E] {
        self.0[n].as_flattened_mut().as_flattened_mut()
    }
}

impl<const N: usize, const C: usize, const H: usize, const W: usize, E: Zeroable>
    Tensor<N, C, H, W, E>
{
    /// All zeros, built in place (on the stack if it is a local: use [`Zeroable::boxed`] for
    /// big tensors).
    #[inline]
    pub fn zeros() -> Self {
        Self::zeroed()
    }
}

impl<const N: usize, const C: usize, const H: usize, const W: usize, E: Float>
    Tensor<N, C, H, W, E>
{
    /// Fill with `f(flat_index)`.
    pub fn fill_with(&mut self, mut f: impl FnMut(usize) -> E) {
        for (i, v) in self.as_mut_slice().iter_mut().enumerate() {
            *v = f(i);
        }
    }
    /// Copy from a flat slice in `N, C, H, W` order.
    ///
    /// # Errors
    /// [`ShapeError`] if the slice does not have exactly [`Self::LEN`] values.
    pub fn copy_from_slice(&mut self, src: &[E]) -> Result<(), ShapeError> {
        if src.len() != Self::LEN {
            return Err(ShapeError {
                expected: Self::LEN,
                found: src.len(),
            });
        }
        self.as_mut_slice().copy_from_slice(src);
        Ok(())
    }
    /// Set every value to zero.
    pub fn set_zero(&mut self) {
        self.as_mut_slice().fill(E::zero());
    }
    /// Convert every value to another float type (e.g. `f32` → `f64`).
    pub fn cast_into<F: Float>(&self, out: &mut Tensor<N, C, H, W, F>) {
        for (o, &v) in out.as_mut_slice().iter_mut().zip(self.as_slice()) {
            *o = F::from(v).unwrap_or_else(F::nan);
        }
    }
}

impl<const N: usize, const C: usize, const H: usize, const W: usize, E: core::fmt::Debug>
    core::fmt::Debug for Tensor<N, C, H, W, E>
{
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "Tensor<{N}, {C}, {H}, {W}>")?;
        f.debug_list().entries(self.0.iter()).finish()
    }
}

/// A flat buffer had the wrong number of values for a tensor type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ShapeError {
    /// Values the tensor type holds.
    pub expected: usize,
    /// Values given.
    pub found: usize,
}

impl core::fmt::Display for ShapeError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "expected {} values, found {}", self.expected, self.found)
    }
}

#[cfg(feature = "std")]
impl std::error::Error for ShapeError {}

/// Anything a layer takes or produces: a tensor with a known element type and length.
pub trait Batch: Zeroable {
    /// Element type.
    type Elem;
    /// Samples in the batch.
    const BATCH: usize;
    /// Number of values.
    const NUMEL: usize;
    /// The shape, `[N, C, H, W]`.
    const SHAPE: [usize; 4];
    /// Flat values.
    fn flat(&self) -> &[Self::Elem];
    /// Flat values, mutable.
    fn flat_mut(&mut self) -> &mut [Self::Elem];
}

impl<const N: usize, const C: usize, const H: usize, const W: usize, E: Zeroable> Batch
    for Tensor<N, C, H, W, E>
{
    type Elem = E;
    const BATCH: usize = N;
    const NUMEL: usize = N * C * H * W;
    const SHAPE: [usize; 4] = [N, C, H, W];
    #[inline]
    fn flat(&self) -> &[E] {
        self.as_slice()
    }
    #[inline]
    fn flat_mut(&mut self) -> &mut [E] {
        self.as_mut_slice()
    }
}
