//! [`Dataset`]: labelled 8-bit images in memory.

use super::DataError;

/// Labelled 8-bit images held in memory.
///
/// Sample `i` is `channels × height × width` bytes in `C, H, W` order (PyTorch's layout: one
/// row-major plane per channel), with a label in `0..classes`. The constructor checks both
/// invariants, so every accessor can rely on them.
///
/// ```
/// use constnet::data::Dataset;
/// // Two 1×2×2 images, 3 classes.
/// let ds = Dataset::new(vec![0, 1, 2, 3, 4, 5, 6, 7], vec![2, 0], 1, 2, 2, 3)?;
/// assert_eq!(ds.len(), 2);
/// assert_eq!(ds.image(1), &[4, 5, 6, 7]);
/// assert_eq!(ds.label(0), 2);
/// assert!(Dataset::new(vec![0; 8], vec![3, 0], 1, 2, 2, 3).is_err()); // label 3 ≥ 3 classes
/// # Ok::<(), constnet::data::DataError>(())
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct Dataset {
    pixels: Vec<u8>,
    labels: Vec<u8>,
    channels: usize,
    height: usize,
    width: usize,
    classes: usize,
}

impl core::fmt::Debug for Dataset {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Dataset")
            .field("len", &self.len())
            .field("channels", &self.channels)
            .field("height", &self.height)
            .field("width", &self.width)
            .field("classes", &self.classes)
            .finish_non_exhaustive()
    }
}

impl Dataset {
    /// A dataset from flat pixels (`labels.len()` samples of `channels · height · width` bytes,
    /// each in `C, H, W` order) and one label per sample.
    ///
    /// # Errors
    /// [`DataError::CountMismatch`] if `pixels.len()` is not `labels.len()` samples (or the
    /// sample size overflows), [`DataError::LabelOutOfRange`] if a label is `≥ classes`.
    pub fn new(
        pixels: Vec<u8>,
        labels: Vec<u8>,
        channels: usize,
        height: usize,
        width: usize,
        classes: usize,
    ) -> Result<Self, DataError> {
        Self::new_named(
            pixels,
            labels,
            [channels, height, width],
            classes,
            "dataset",
        )
    }

    /// [`Dataset::new`] with the name of the input for error messages.
    pub(crate) fn new_named(
        pixels: Vec<u8>,
        labels: Vec<u8>,
        [channels, height, width]: [usize; 3],
        classes: usize,
        what: &str,
    ) -> Result<Self, DataError> {
        let expected = channels
            .checked_mul(height)
            .and_then(|s| s.checked_mul(width))
            .and_then(|s| s.checked_mul(labels.len()))
            .unwrap_or(usize::MAX);
        if pixels.len() != expected {
            return Err(DataError::CountMismatch {
                what: what.to_owned(),
                detail: "pixel bytes for the labelled samples",
                expected,
                found: pixels.len(),
            });
        }
        check_labels(&labels, classes, what)?;
        Ok(Self {
            pixels,
            labels,
            channels,
            height,
            width,
            classes,
        })
    }

    /// Number of samples.
    #[inline]
    pub fn len(&self) -> usize {
        self.labels.len()
    }
    /// `true` if there are no samples.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }
    /// Channels per image (1 for MNIST, 3 for CIFAR-10).
    #[inline]
    pub fn channels(&self) -> usize {
        self.channels
    }
    /// Rows per image.
    #[inline]
    pub fn height(&self) -> usize {
        self.height
    }
    /// Columns per image.
    #[inline]
    pub fn width(&self) -> usize {
        self.width
    }
    /// `[channels, height, width]`.
    #[inline]
    pub fn shape(&self) -> [usize; 3] {
        [self.channels, self.height, self.width]
    }
    /// Bytes per image: `channels · height · width`.
    #[inline]
    pub fn sample_len(&self) -> usize {
        self.channels * self.height * self.width
    }
    /// Number of classes: every label is in `0..classes`.
    #[inline]
    pub fn classes(&self) -> usize {
        self.classes
    }
    /// All pixels, flat: sample after sample, each in `C, H, W` order.
    #[inline]
    pub fn pixels(&self) -> &[u8] {
        &self.pixels
    }
    /// All labels, one per sample.
    #[inline]
    pub fn labels(&self) -> &[u8] {
        &self.labels
    }
    /// The pixels of sample `i`, in `C, H, W` order.
    ///
    /// # Panics
    /// If `i ≥ len()`.
    #[inline]
    pub fn image(&self, i: usize) -> &[u8] {
        let s = self.sample_len();
        &self.pixels[i * s..(i + 1) * s]
    }
    /// The label of sample `i`.
    ///
    /// # Panics
    /// If `i ≥ len()`.
    #[inline]
    pub fn label(&self, i: usize) -> usize {
        usize::from(self.labels[i])
    }

    /// How many samples each class has (`classes()` entries).
    pub fn class_counts(&self) -> Vec<usize> {
        let mut counts = vec![0; self.classes];
        for &l in &self.labels {
            counts[usize::from(l)] += 1;
        }
        counts
    }

    /// Per-channel mean and (population) standard deviation of the pixels scaled to `[0, 1]`
    /// (`v / 255`), over all samples: the values a [`Normalization`](super::Normalization)
    /// wants. `(0, 0)` for channels of an empty dataset.
    pub fn channel_stats(&self) -> Vec<(f64, f64)> {
        let plane = self.height * self.width;
        let mut sums = vec![(0u64, 0u64); self.channels];
        if plane > 0 {
            for img in self.pixels.chunks_exact(self.sample_len()) {
                for (c, ch) in img.chunks_exact(plane).enumerate() {
                    for &v in ch {
                        let v = u64::from(v);
                        sums[c].0 += v;
                        sums[c].1 += v * v;
                    }
                }
            }
        }
        let count = (self.len() * plane) as f64;
        sums.into_iter()
            .map(|(s, s2)| {
                if count == 0.0 {
                    return (0.0, 0.0);
                }
                let mean = s as f64 / count;
                let var = (s2 as f64 / count - mean * mean).max(0.0);
                (mean / 255.0, var.sqrt() / 255.0)
            })
            .collect()
    }

    /// The samples whose label is in `keep`, relabelled by their position in `keep` (so the
    /// result has `keep.len()` classes). Order is preserved.
    ///
    /// E.g. `select_classes(&[3, 5])` turns the CIFAR-10 cat/dog subset (labels 3 and 5 of 10)
    /// into a 2-class set with 0 = cat, 1 = dog.
    ///
    /// ```
    /// use constnet::data::Dataset;
    /// let ds = Dataset::new(vec![10, 11, 12, 13], vec![3, 5, 1, 3], 1, 1, 1, 10)?;
    /// let two = ds.select_classes(&[3, 5])?;
    /// assert_eq!((two.labels(), two.pixels(), two.classes()), (&[0, 1, 0][..], &[10, 11, 13][..], 2));
    /// # Ok::<(), constnet::data::DataError>(())
    /// ```
    ///
    /// # Errors
    /// [`DataError::LabelOutOfRange`] if an entry of `keep` is not a class of this dataset (or
    /// `keep` has more than 256 entries).
    pub fn select_classes(&self, keep: &[u8]) -> Result<Self, DataError> {
        let mut map = [None::<u8>; 256];
        for (pos, &old) in keep.iter().enumerate() {
            match u8::try_from(pos) {
                Ok(new) if usize::from(old) < self.classes => map[usize::from(old)] = Some(new),
                _ => {
                    return Err(DataError::LabelOutOfRange {
                        what: "select_classes".to_owned(),
                        index: pos,
                        label: old,
                        classes: self.classes,
                    });
                }
            }
        }
        let mut pixels = Vec::new();
        let mut labels = Vec::new();
        for i in 0..self.len() {
            if let Some(l) = map[self.label(i)] {
                pixels.extend_from_slice(self.image(i));
                labels.push(l);
            }
        }
        Ok(Self {
            pixels,
            labels,
            classes: keep.len(),
            ..*self
        })
    }

    /// Append the samples of `other` (same shape and classes).
    ///
    /// # Errors
    /// [`DataError::ShapeMismatch`] if the image shapes differ, [`DataError::CountMismatch`] if
    /// the numbers of classes differ.
    pub fn extend(&mut self, other: &Dataset) -> Result<(), DataError> {
        if other.shape() != self.shape() {
            return Err(DataError::ShapeMismatch {
                expected: self.shape(),
                found: other.shape(),
            });
        }
        if other.classes != self.classes {
            return Err(DataError::CountMismatch {
                what: "Dataset::extend".to_owned(),
                detail: "classes",
                expected: self.classes,
                found: other.classes,
            });
        }
        self.pixels.extend_from_slice(&other.pixels);
        self.labels.extend_from_slice(&other.labels);
        Ok(())
    }
}

/// Check that every label is below `classes`.
pub(crate) fn check_labels(labels: &[u8], classes: usize, what: &str) -> Result<(), DataError> {
    match labels.iter().position(|&l| usize::from(l) >= classes) {
        Some(index) => Err(DataError::LabelOutOfRange {
            what: what.to_owned(),
            index,
            label: labels[index],
            classes,
        }),
        None => Ok(()),
    }
}
