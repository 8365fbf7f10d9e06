//! Small valid data files built in memory: IDX images and labels, CIFAR-10 batches, and gzip.
//! Shared by the data parsers' property tests (`tests/it/data_fuzz.rs`) and their mutation
//! fuzzer (`examples/fuzz.rs`, which includes this file by path).

use std::io::Write;

/// `bytes` gzip-compressed.
pub fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(bytes).unwrap();
    e.finish().unwrap()
}

/// A valid IDX image file: `n` images of `rows × cols`.
pub fn idx_images(n: usize, rows: usize, cols: usize, seed: u8) -> Vec<u8> {
    let mut f = vec![0, 0, 8, 3];
    for d in [n, rows, cols] {
        f.extend((d as u32).to_be_bytes());
    }
    f.extend((0..n * rows * cols).map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed)));
    f
}

/// A valid IDX label file with labels in `0..10`.
pub fn idx_labels(n: usize, seed: u8) -> Vec<u8> {
    let mut f = vec![0, 0, 8, 1];
    f.extend((n as u32).to_be_bytes());
    f.extend((0..n).map(|i| (i as u8).wrapping_add(seed) % 10));
    f
}

/// A valid CIFAR-10 binary batch of `n` records.
pub fn cifar(n: usize, seed: u8) -> Vec<u8> {
    let mut f = Vec::new();
    for r in 0..n {
        f.push((r as u8).wrapping_add(seed) % 10);
        f.extend((0..3072).map(|i| (i as u8) ^ seed ^ (r as u8)));
    }
    f
}
