//! Parameter initialisation with PyTorch's default distributions.
//!
//! Every tensor a layer exposes through [`Module::visit`] says how it is initialised
//! ([`TensorInfo::init`]):
//!
//! * [`Init::FanIn`]`(f)` — uniform on `[−1/√f, 1/√f)`: PyTorch's default for convolution and
//!   linear weights (Kaiming-uniform with `a = √5`) **and** their biases;
//! * [`Init::Const`]`(c)` — every value `c` (batch-norm γ = 1, β = 0, running mean 0, running
//!   variance 1). Parameters and buffers alike.
//!
//! Counters (batch norm's `num_batches_tracked`) are reset to 0. The values depend only on the
//! random number generator's stream and the visit order, so a seed gives the same network on
//! every platform.
//!
//! ```
//! use constnet::prelude::*;
//! use constnet::init;
//! type Net = (Conv2d<1, 4, 3>, Relu, Flatten, Linear<16, 2>);
//! let a = init::seeded::<Net, f32>(7);
//! let b = init::seeded::<Net, f32>(7);
//! assert_eq!(a.0.weight, b.0.weight);
//! assert!(a.0.weight.as_flattened().as_flattened().as_flattened().iter().all(|w| w.abs() <= 1.0 / 3.0));
//! ```

use crate::element::Element;
use crate::visit::{Init, Module, Path, TensorInfo, Visitor};
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};

/// Fill `values` according to `init`, drawing uniform numbers from `rng`.
pub fn fill<E: Element>(values: &mut [E], init: Init, rng: &mut impl Rng) {
    match init {
        Init::FanIn(0) => values.fill(E::zero()),
        Init::FanIn(fan_in) => {
            let bound = 1.0 / num_traits::Float::sqrt(fan_in as f64);
            for v in values {
                // `random::<f64>()` is uniform on [0, 1) with 53 random bits.
                let u: f64 = rng.random();
                *v = E::of(bound * (2.0 * u - 1.0));
            }
        }
        Init::Const(c) => values.fill(E::of(c)),
    }
}

struct Initialiser<'r, R>(&'r mut R);

impl<E: Element, R: Rng> Visitor<E, 1> for Initialiser<'_, R> {
    fn tensor(&mut self, info: TensorInfo<'_>, [v]: [&mut [E]; 1]) {
        fill(v, info.init, self.0);
    }
    fn counter(&mut self, _: &Path<'_>, [c]: [&mut u64; 1]) {
        *c = 0;
    }
}

/// Initialise every parameter and buffer of `model` with PyTorch's default distribution (see
/// the [module documentation](self)), drawing from `rng`. Does not allocate.
pub fn init_params<E: Element, M: Module<E>>(model: &mut M, rng: &mut impl Rng) {
    M::visit([model], &Path::Root, &mut Initialiser(rng));
}

/// The random number generator the `seed` functions use: [`SmallRng`] seeded from `seed`.
pub fn rng(seed: u64) -> SmallRng {
    SmallRng::seed_from_u64(seed)
}

/// [`init_params`] with a generator seeded from `seed`: the same seed gives the same values.
pub fn init_params_seeded<E: Element, M: Module<E>>(model: &mut M, seed: u64) {
    init_params(model, &mut rng(seed));
}

/// A new model on the heap (never built on the stack), initialised from `seed` with
/// [`init_params_seeded`].
#[cfg(feature = "alloc")]
pub fn seeded<M, E>(seed: u64) -> alloc::boxed::Box<M>
where
    M: Module<E> + crate::zeroable::Zeroable,
    E: Element,
{
    let mut m = M::boxed();
    init_params_seeded(&mut *m, seed);
    m
}

#[cfg(all(test, feature = "std"))]
mod tests {
    use super::*;
    use crate::layers::{Conv2d, Flatten, Linear, Relu};
    use crate::visit::{ModuleExt, parts};
    use crate::zeroable::Zeroable;

    type Net = (Conv2d<2, 3, 3>, Relu, Flatten, Linear<12, 5>);

    fn values(net: &mut Net) -> Vec<(String, Vec<f32>)> {
        let mut out = Vec::new();
        net.for_each_tensor(|info, v| out.push((info.path.to_string(), v.to_vec())));
        out
    }

    #[test]
    fn deterministic_under_a_seed() {
        let mut a = seeded::<Net, f32>(42);
        let mut b = Net::boxed();
        init_params(&mut *b, &mut rng(42));
        let mut c = seeded::<Net, f32>(43);
        assert_eq!(values(&mut a), values(&mut b));
        assert_ne!(values(&mut a), values(&mut c));
    }

    #[test]
    fn fan_in_bounds_for_weights_and_biases() {
        let mut net = seeded::<Net, f32>(1);
        let mut seen = 0;
        net.for_each_tensor(|info, v| {
            let fan_in: f32 = if info.path.to_string().starts_with('0') {
                2.0 * 9.0
            } else {
                12.0
            };
            assert_eq!(info.init, Init::FanIn(fan_in as usize));
            let bound = 1.0 / fan_in.sqrt();
            assert!(v.iter().all(|w| w.abs() <= bound), "{}", info.path);
            // Not degenerate: values spread over the range and are not all equal.
            let max = v.iter().fold(0f32, |m, w| m.max(w.abs()));
            assert!(max > 0.3 * bound, "{}: max {max}", info.path);
            seen += 1;
        });
        assert_eq!(seen, 4);
    }

    #[test]
    fn uniform_statistics() {
        // 100 000 draws on ±1/√4 = ±0.5: mean ≈ 0, variance ≈ 0.5²/3.
        let mut v = vec![0f64; 100_000];
        fill(&mut v, Init::FanIn(4), &mut rng(3));
        let n = v.len() as f64;
        let mean = v.iter().sum::<f64>() / n;
        let var = v.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / n;
        assert!(mean.abs() < 0.005, "mean {mean}");
        assert!((var - 0.25 / 3.0).abs() < 0.002, "var {var}");
        assert!(v.iter().all(|x| (-0.5..0.5).contains(x)));
    }

    /// A module with a constant-initialised parameter, a buffer and a counter.
    #[derive(Debug)]
    struct Norm {
        gamma: [f64; 3],
        mean: [f64; 3],
        var: [f64; 3],
        count: u64,
    }
    impl Module<f64> for Norm {
        fn visit<V: Visitor<f64, K>, const K: usize>(
            mut m: [&mut Self; K],
            path: &Path<'_>,
            v: &mut V,
        ) {
            let p = path.field("weight");
            v.tensor(
                TensorInfo::param_const(&p, &[3], 1.0),
                parts(&mut m, |l| &mut l.gamma[..]),
            );
            let p = path.field("running_mean");
            v.tensor(
                TensorInfo::buffer(&p, &[3], 0.0),
                parts(&mut m, |l| &mut l.mean[..]),
            );
            let p = path.field("running_var");
            v.tensor(
                TensorInfo::buffer(&p, &[3], 1.0),
                parts(&mut m, |l| &mut l.var[..]),
            );
            let p = path.field("num_batches_tracked");
            v.counter(&p, parts(&mut m, |l| &mut l.count));
        }
    }

    #[test]
    fn constants_for_params_buffers_and_counters() {
        let mut n = Norm {
            gamma: [5.0; 3],
            mean: [5.0; 3],
            var: [5.0; 3],
            count: 9,
        };
        init_params_seeded(&mut n, 0);
        assert_eq!(n.gamma, [1.0; 3]);
        assert_eq!(n.mean, [0.0; 3]);
        assert_eq!(n.var, [1.0; 3]);
        assert_eq!(n.count, 0);
    }
}
