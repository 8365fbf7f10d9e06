//! [`Batches`]: seeded shuffling of a [`Dataset`] into fixed-size, normalized `f32` batches.

use super::{DataError, Dataset};
use crate::Tensor;
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};

/// Per-channel normalization of 8-bit pixels: `x = (v / 255 − mean[c]) / std[c]`.
///
/// The channel count is a type parameter, so a `Normalization<1>` cannot be used for a 3-channel
/// tensor.
///
/// ```
/// use constnet::data::{MNIST, Normalization};
/// assert_eq!(MNIST.apply(0, 255), (1.0 - 0.1307) / 0.3081);
/// assert_eq!(Normalization::<3>::UNIT.apply(2, 51), 0.2);
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Normalization<const C: usize> {
    /// Mean of each channel, on the `[0, 1]` scale.
    pub mean: [f32; C],
    /// Standard deviation of each channel, on the `[0, 1]` scale.
    pub std: [f32; C],
}

/// MNIST training-set statistics: mean 0.1307, std 0.3081 (the usual PyTorch values).
pub const MNIST: Normalization<1> = Normalization {
    mean: [0.1307],
    std: [0.3081],
};

/// Fashion-MNIST training-set statistics: mean 0.2860, std 0.3530.
pub const FASHION_MNIST: Normalization<1> = Normalization {
    mean: [0.2860],
    std: [0.3530],
};

/// CIFAR-10 training-set statistics per channel (R, G, B): mean (0.4914, 0.4822, 0.4465), std
/// (0.2470, 0.2435, 0.2616) (the population standard deviation over all training pixels; some
/// code uses (0.2023, 0.1994, 0.2010), which is an average of per-image deviations).
///
/// The cat/dog subset in `data/` has its own statistics: use [`Normalization::from_dataset`]
/// there if you prefer.
pub const CIFAR10: Normalization<3> = Normalization {
    mean: [0.4914, 0.4822, 0.4465],
    std: [0.2470, 0.2435, 0.2616],
};

impl<const C: usize> Normalization<C> {
    /// No centring: `x = v / 255`, in `[0, 1]`.
    pub const UNIT: Self = Self {
        mean: [0.0; C],
        std: [1.0; C],
    };

    /// The normalized value of pixel `v` in channel `c`: `(v / 255 − mean[c]) / std[c]`.
    ///
    /// # Panics
    /// If `c ≥ C`.
    #[inline]
    pub fn apply(&self, c: usize, v: u8) -> f32 {
        (f32::from(v) / 255.0 - self.mean[c]) / self.std[c]
    }

    /// The statistics of a dataset ([`Dataset::channel_stats`]). A channel with standard
    /// deviation 0 gets 1 (so it is only centred).
    ///
    /// # Errors
    /// [`DataError::ShapeMismatch`] if the dataset does not have `C` channels.
    pub fn from_dataset(data: &Dataset) -> Result<Self, DataError> {
        if data.channels() != C {
            return Err(DataError::ShapeMismatch {
                expected: data.shape(),
                found: [C, data.height(), data.width()],
            });
        }
        let mut n = Self::UNIT;
        for (c, (mean, std)) in data.channel_stats().into_iter().enumerate() {
            n.mean[c] = mean as f32;
            if std > 0.0 {
                n.std[c] = std as f32;
            }
        }
        Ok(n)
    }
}

impl Dataset {
    /// [`DataError::ShapeMismatch`] unless `found` is the dataset's `[C, H, W]`.
    fn check_shape(&self, found: [usize; 3]) -> Result<(), DataError> {
        if self.shape() == found {
            Ok(())
        } else {
            Err(DataError::ShapeMismatch {
                expected: self.shape(),
                found,
            })
        }
    }

    /// Write the samples `indices` into the first `indices.len()` entries of `x` (normalized
    /// with `norm`) and `labels`; zero the remaining entries (pixels and labels). Returns
    /// `indices.len()`, the number of valid entries.
    ///
    /// ```
    /// use constnet::Tensor;
    /// use constnet::data::{Dataset, Normalization};
    /// let ds = Dataset::new(vec![0, 255, 51, 102], vec![1, 0], 1, 1, 2, 2)?;
    /// let mut x = Tensor::<3, 1, 1, 2>::zeros();
    /// let mut y = [9; 3];
    /// assert_eq!(ds.fill_batch(&[1, 0], &Normalization::UNIT, &mut x, &mut y)?, 2);
    /// assert_eq!(x.as_slice(), [0.2, 0.4, 0.0, 1.0, 0.0, 0.0]);
    /// assert_eq!(y, [0, 1, 0]);
    /// # Ok::<(), constnet::data::DataError>(())
    /// ```
    ///
    /// # Errors
    /// [`DataError::ShapeMismatch`] if `[C, H, W]` is not the dataset's shape.
    ///
    /// # Panics
    /// If `indices.len() > N` or an index is `≥ len()`.
    pub fn fill_batch<const N: usize, const C: usize, const H: usize, const W: usize>(
        &self,
        indices: &[usize],
        norm: &Normalization<C>,
        x: &mut Tensor<N, C, H, W, f32>,
        labels: &mut [usize; N],
    ) -> Result<usize, DataError> {
        self.check_shape([C, H, W])?;
        assert!(
            indices.len() <= N,
            "fill_batch: {} indices for a batch of {N}",
            indices.len()
        );
        let plane = H * W;
        for (n, label) in labels.iter_mut().enumerate() {
            let out = x.sample_mut(n);
            match indices.get(n) {
                Some(&i) => {
                    let img = self.image(i);
                    if plane > 0 {
                        for (c, (o, v)) in out
                            .chunks_exact_mut(plane)
                            .zip(img.chunks_exact(plane))
                            .enumerate()
                        {
                            for (o, &v) in o.iter_mut().zip(v) {
                                *o = norm.apply(c, v);
                            }
                        }
                    }
                    *label = self.label(i);
                }
                None => {
                    out.fill(0.0);
                    *label = 0;
                }
            }
        }
        Ok(indices.len())
    }
}

/// What [`Batches`] does with the samples left over when the dataset size is not a multiple of
/// the batch size.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Tail {
    /// Skip them: every batch is full (training; with shuffling, a different few samples are
    /// skipped each epoch).
    Drop,
    /// Deliver them in a last, partial batch whose valid count is reported (evaluation: every
    /// sample is seen exactly once).
    Partial,
}

/// Walks a [`Dataset`] in batches of a fixed size, in sequential or seeded-shuffled order.
///
/// The index permutation is allocated once, in [`Batches::new`]; [`Batches::shuffle`] and
/// [`Batches::next_into`] allocate nothing. The batch size is the `N` of the tensor passed to
/// `next_into` (use the same one throughout an epoch).
///
/// The shuffle is Fisher–Yates over the identity permutation with
/// `SmallRng::seed_from_u64` (rand 0.9) seeded from `(seed, epoch)`: the same seed and epoch
/// give the same order on every run (on a given pointer width: `SmallRng` is a different
/// generator on 32-bit targets), whatever was done before.
///
/// ```
/// use constnet::Tensor;
/// use constnet::data::{Batches, Dataset, Normalization};
/// let ds = Dataset::new((0..5).collect(), vec![0, 1, 2, 3, 4], 1, 1, 1, 5)?;
/// let (mut x, mut y) = (Tensor::<2, 1, 1, 1>::zeros(), [0; 2]);
/// let norm = Normalization::UNIT;
///
/// let mut b = Batches::evaluation(&ds); // sequential, partial tail
/// let mut sizes = vec![];
/// while let Some(valid) = b.next_into(&mut x, &mut y, &norm)? {
///     sizes.push(valid);
/// }
/// assert_eq!(sizes, [2, 2, 1]);
/// assert_eq!(y, [4, 0]); // last batch: one valid entry, then padding
///
/// let mut b = Batches::training(&ds); // full batches only
/// b.shuffle(7, 0);
/// let mut seen = vec![];
/// while let Some(_) = b.next_into(&mut x, &mut y, &norm)? {
///     seen.extend(y);
/// }
/// assert_eq!(seen.len(), 4); // 2 full batches, one sample dropped
/// assert_eq!(seen, b.order()[..4]);
/// # Ok::<(), constnet::data::DataError>(())
/// ```
#[derive(Debug, Clone)]
pub struct Batches<'a> {
    data: &'a Dataset,
    order: Vec<usize>,
    pos: usize,
    tail: Tail,
}

impl<'a> Batches<'a> {
    /// Batches over `data` in sequential order (`0, 1, 2, …`), with the given tail policy.
    pub fn new(data: &'a Dataset, tail: Tail) -> Self {
        Self {
            data,
            order: (0..data.len()).collect(),
            pos: 0,
            tail,
        }
    }
    /// [`Batches::new`] with [`Tail::Drop`]: full batches only. Call [`Batches::shuffle`]
    /// at the start of every epoch.
    pub fn training(data: &'a Dataset) -> Self {
        Self::new(data, Tail::Drop)
    }
    /// [`Batches::new`] with [`Tail::Partial`]: every sample once, in order.
    pub fn evaluation(data: &'a Dataset) -> Self {
        Self::new(data, Tail::Partial)
    }

    /// The dataset.
    pub fn dataset(&self) -> &'a Dataset {
        self.data
    }
    /// The tail policy.
    pub fn tail(&self) -> Tail {
        self.tail
    }
    /// The current order of the samples (a permutation of `0..len`).
    pub fn order(&self) -> &[usize] {
        &self.order
    }
    /// Samples not yet delivered in this pass.
    pub fn remaining(&self) -> usize {
        self.order.len() - self.pos
    }
    /// Number of batches of size `batch` in one pass with this tail policy (0 if `batch` is 0).
    pub fn batches_per_epoch(&self, batch: usize) -> usize {
        match (batch, self.tail) {
            (0, _) => 0,
            (b, Tail::Drop) => self.order.len() / b,
            (b, Tail::Partial) => self.order.len().div_ceil(b),
        }
    }

    /// Start a new pass over the same order.
    pub fn rewind(&mut self) {
        self.pos = 0;
    }
    /// Reset to sequential order (`0, 1, 2, …`) and rewind.
    pub fn sequential(&mut self) {
        for (i, o) in self.order.iter_mut().enumerate() {
            *o = i;
        }
        self.pos = 0;
    }
    /// Set the order to the seeded permutation for `(seed, epoch)` and rewind. The result depends
    /// only on `seed`, `epoch` and the dataset size.
    pub fn shuffle(&mut self, seed: u64, epoch: u64) {
        self.sequential();
        // Mix the epoch into the seed (golden-ratio increment, as in SplitMix64); seed_from_u64
        // then scrambles the result.
        let mut rng = SmallRng::seed_from_u64(seed ^ epoch.wrapping_mul(0x9E37_79B9_7F4A_7C15));
        for i in (1..self.order.len()).rev() {
            let j = rng.random_range(0..=i);
            self.order.swap(i, j);
        }
    }

    /// Fill `x` and `labels` with the next batch (`N` = the batch size), normalized with `norm`.
    ///
    /// Returns `Some(valid)`: the first `valid` entries are samples. With [`Tail::Drop`],
    /// `valid` is always `N`, and the pass ends when fewer than `N` samples remain. With
    /// [`Tail::Partial`], the last batch may have `valid < N`; its other entries are zeroed
    /// (pixels and labels) and must be ignored. `None` when the pass is over (also at once if
    /// `N` is 0). Start a new pass with [`Batches::shuffle`], [`Batches::rewind`] or
    /// [`Batches::sequential`].
    ///
    /// # Errors
    /// [`DataError::ShapeMismatch`] if `[C, H, W]` is not the dataset's shape (checked on every
    /// call, before anything else; the position does not move).
    pub fn next_into<const N: usize, const C: usize, const H: usize, const W: usize>(
        &mut self,
        x: &mut Tensor<N, C, H, W, f32>,
        labels: &mut [usize; N],
        norm: &Normalization<C>,
    ) -> Result<Option<usize>, DataError> {
        let remaining = self.remaining();
        let take = match self.tail {
            _ if N == 0 || remaining == 0 => 0,
            Tail::Drop if remaining < N => 0,
            _ => remaining.min(N),
        };
        // Check the shape even when the pass is over, so a wrong tensor type never goes unnoticed.
        self.data.check_shape([C, H, W])?;
        if take == 0 {
            self.pos = self.order.len();
            return Ok(None);
        }
        let idx = &self.order[self.pos..self.pos + take];
        let valid = self.data.fill_batch(idx, norm, x, labels)?;
        self.pos += valid;
        Ok(Some(valid))
    }
}
