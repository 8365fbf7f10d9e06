//! Moving channel blocks between tensors: the data movement of channel concatenation.
//!
//! In `N, C, H, W` layout the channels `c0..c0 + k` of one sample are one contiguous run of
//! `k·H·W` values, so concatenating along channels is one copy per sample and branch.

/// Writes each sample of `part` (`part_len` values per sample) into the matching sample of
/// `whole` (`whole_len` values per sample), starting `offset` values into that sample.
#[inline]
pub fn insert<E: Copy>(
    part: &[E],
    whole: &mut [E],
    part_len: usize,
    whole_len: usize,
    offset: usize,
) {
    for (p, w) in part
        .chunks_exact(part_len)
        .zip(whole.chunks_exact_mut(whole_len))
    {
        w[offset..][..part_len].copy_from_slice(p);
    }
}

/// The inverse of [`insert`]: reads `part_len` values per sample of `whole`, starting `offset`
/// values into the sample, into `part`.
#[inline]
pub fn extract<E: Copy>(
    whole: &[E],
    part: &mut [E],
    part_len: usize,
    whole_len: usize,
    offset: usize,
) {
    for (p, w) in part
        .chunks_exact_mut(part_len)
        .zip(whole.chunks_exact(whole_len))
    {
        p.copy_from_slice(&w[offset..][..part_len]);
    }
}

/// Concatenation along channels: `parts[i] = (values, per-sample length)`; sample `n` of `whole`
/// (`whole_len` values) becomes sample `n` of every part, in order.
#[inline]
pub fn concat<E: Copy, const K: usize>(
    parts: [(&[E], usize); K],
    whole: &mut [E],
    whole_len: usize,
) {
    let mut offset = 0;
    for (part, len) in parts {
        insert(part, whole, len, whole_len, offset);
        offset += len;
    }
    debug_assert_eq!(offset, whole_len);
}

/// The inverse of [`concat()`]: splits each sample of `whole` into the parts.
#[inline]
pub fn split<E: Copy, const K: usize>(
    whole: &[E],
    parts: [(&mut [E], usize); K],
    whole_len: usize,
) {
    let mut offset = 0;
    for (part, len) in parts {
        extract(whole, part, len, whole_len, offset);
        offset += len;
    }
    debug_assert_eq!(offset, whole_len);
}
