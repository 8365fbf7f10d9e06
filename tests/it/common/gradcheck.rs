//! Finite-difference gradient checks in f64 for any [`Layer`].
//!
//! The scalar checked is `L = Σ y ⊙ r` for a fixed random `r`, so `∂L/∂y = r`. Every input
//! element and every parameter element (sampled evenly when a tensor is large) is perturbed by
//! `±h` and the central difference compared with the analytic gradient from `backward`.

use constnet::prelude::*;
use constnet::{Batch, TensorInfo};

/// Deterministic pseudo-random numbers in `[-1, 1)` (xorshift), no dependency needed.
pub struct Lcg(pub u64);
impl Lcg {
    pub fn next(&mut self) -> f64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        ((self.0 >> 11) as f64 / (1u64 << 53) as f64) * 2.0 - 1.0
    }
}

/// Fill every parameter of `net` with random values in `±scale`.
pub fn randomize<M: Module<f64>>(net: &mut M, rng: &mut Lcg, scale: f64) {
    net.for_each_tensor(|_, v| v.iter_mut().for_each(|w| *w = rng.next() * scale));
}

fn loss<L, X>(net: &L, x: &X, r: &L::Output) -> f64
where
    L: Layer<X, Training: Trainable> + Clone,
    X: Batch<Elem = f64>,
{
    let mut net = net.clone();
    let mut y = L::Output::boxed();
    let mut trace = L::Trace::boxed();
    net.forward_train(x, &mut y, &mut trace);
    y.flat().iter().zip(r.flat()).map(|(a, b)| a * b).sum()
}

/// Max number of perturbed elements per tensor.
const SAMPLES: usize = 64;

fn check(what: &str, analytic: f64, numeric: f64, tol: f64) {
    let err = (analytic - numeric).abs();
    let scale = analytic.abs().max(numeric.abs()).max(1.0);
    assert!(
        err <= tol * scale,
        "{what}: analytic {analytic} vs numeric {numeric} (err {err:e})"
    );
}

/// Checks input and parameter gradients of `net` at `x`. `tol` is relative (1e-6 is typical for
/// smooth layers in f64).
pub fn check_layer<L, X>(net: &L, x: &X, seed: u64, tol: f64)
where
    L: Layer<X, Training: Trainable> + Clone,
    X: Batch<Elem = f64> + Clone,
{
    let h = 1e-6;
    let mut rng = Lcg(seed | 1);
    let mut r = L::Output::boxed();
    r.flat_mut().iter_mut().for_each(|v| *v = rng.next());

    // Analytic gradients.
    let mut fwd = net.clone();
    let mut y = L::Output::boxed();
    let mut trace = L::Trace::boxed();
    fwd.forward_train(x, &mut y, &mut trace);
    let mut dx = Box::new(x.clone());
    let mut grads = Box::new(net.clone());
    grads.zero_params();
    net.backward(Input::Grad(&mut dx), &mut trace, &r, &mut grads);

    // Input gradient.
    let n = X::NUMEL;
    let step = (n / SAMPLES).max(1);
    for i in (0..n).step_by(step) {
        let mut xp = Box::new(x.clone());
        xp.flat_mut()[i] += h;
        let lp = loss(net, &*xp, &r);
        xp.flat_mut()[i] -= 2.0 * h;
        let lm = loss(net, &*xp, &r);
        check(
            &format!("dx[{i}]"),
            dx.flat()[i],
            (lp - lm) / (2.0 * h),
            tol,
        );
    }

    // Parameter gradients: collect (name, analytic values) first.
    let mut analytic: Vec<(String, Vec<f64>)> = Vec::new();
    grads.for_each_tensor(|info: TensorInfo<'_>, v| {
        if info.role == constnet::Role::Param {
            analytic.push((info.path.to_string(), v.to_vec()));
        }
    });
    for (t, (name, a)) in analytic.iter().enumerate() {
        let step = (a.len() / SAMPLES).max(1);
        for i in (0..a.len()).step_by(step) {
            let perturbed = |delta: f64| {
                let mut p = net.clone();
                let mut k = 0;
                p.for_each_tensor(|info, v| {
                    if info.role == constnet::Role::Param {
                        if k == t {
                            v[i] += delta;
                        }
                        k += 1;
                    }
                });
                loss(&p, x, &r)
            };
            let numeric = (perturbed(h) - perturbed(-h)) / (2.0 * h);
            check(&format!("{name}[{i}]"), a[i], numeric, tol);
        }
    }
}

/// A random input batch.
pub fn random_input<X: Batch<Elem = f64>>(seed: u64) -> Box<X> {
    let mut rng = Lcg(seed | 1);
    let mut x = X::boxed();
    x.flat_mut().iter_mut().for_each(|v| *v = rng.next());
    x
}
