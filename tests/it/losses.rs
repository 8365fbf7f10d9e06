//! Losses: PyTorch fixtures (value, dx, dtarget), f64 finite differences of every gradient,
//! error cases, numerical stability, and the prediction helpers.
use crate::common;
use common::fixture::{self, Fixture};
use common::gradcheck::Lcg;
use constnet::Tensor;
use constnet::loss::{
    self, BceWithLogits, Loss, LossError, Mse, SoftmaxCrossEntropy, argmax, bce_with_logits,
    bce_with_logits_target_grad, count_correct, mse_loss, mse_loss_target_grad,
    softmax_cross_entropy,
};

fn tensor<const N: usize, const C: usize>(t: &fixture::Tensor) -> Tensor<N, C, 1, 1> {
    assert_eq!(t.shape, [N, C]);
    let mut out = Tensor::zeros();
    out.copy_from_slice(&t.data).unwrap();
    out
}

fn targets<const N: usize>(t: &fixture::Tensor) -> [usize; N] {
    assert_eq!(t.shape, [N]);
    core::array::from_fn(|i| usize::try_from(t.ints[i]).unwrap())
}

fn check_scalar(f: &Fixture, got: f32) {
    f.assert_close("loss", &[got], &f.output("y"));
}

fn cross_entropy_case(name: &str) {
    let f = fixture::load(name);
    assert_eq!(f.grad_output().data, [1.0]);
    let x = tensor::<4, 10>(&f.input("x"));
    let t = targets::<4>(&f.input("target"));
    let mut dx = Tensor::zeros();
    let l = softmax_cross_entropy(&x, &t, &mut dx).unwrap();
    check_scalar(&f, l);
    f.assert_close("dx", dx.as_slice(), &f.grad("dx"));
    // The trait form gives the same.
    let mut dx2 = Tensor::zeros();
    assert_eq!(SoftmaxCrossEntropy.loss(&x, &t, &mut dx2), Ok(l));
    assert_eq!(dx2, dx);
}

#[test]
fn softmax_cross_entropy_fixture() {
    cross_entropy_case("softmax_cross_entropy_n4_c10");
}

#[test]
fn softmax_cross_entropy_large_logits_fixture() {
    let f = fixture::load("softmax_cross_entropy_large_logits_n4_c10");
    let max = f.input("x").data.iter().fold(0f32, |m, v| m.max(v.abs()));
    assert!(max > 80.0, "the case exercises large logits ({max})");
    cross_entropy_case("softmax_cross_entropy_large_logits_n4_c10");
}

#[test]
fn mse_fixture() {
    let f = fixture::load("mse_loss_4x5");
    let x = tensor::<4, 5>(&f.input("x"));
    let t = tensor::<4, 5>(&f.input("target"));
    let (mut dx, mut dt) = (Tensor::zeros(), Tensor::zeros());
    let l = mse_loss(&x, &t, &mut dx).unwrap();
    mse_loss_target_grad(&dx, &mut dt);
    check_scalar(&f, l);
    f.assert_close("dx", dx.as_slice(), &f.grad("dx"));
    f.assert_close("dtarget", dt.as_slice(), &f.grad("dtarget"));
    let mut dx2 = Tensor::zeros();
    assert_eq!(Mse.loss(&x, &t, &mut dx2), Ok(l));
    assert_eq!(dx2, dx);
}

fn bce_case(name: &str) {
    let f = fixture::load(name);
    let x = tensor::<4, 3>(&f.input("x"));
    let t = tensor::<4, 3>(&f.input("target"));
    let (mut dx, mut dt) = (Tensor::zeros(), Tensor::zeros());
    let l = bce_with_logits(&x, &t, &mut dx).unwrap();
    bce_with_logits_target_grad(&x, &mut dt);
    check_scalar(&f, l);
    f.assert_close("dx", dx.as_slice(), &f.grad("dx"));
    f.assert_close("dtarget", dt.as_slice(), &f.grad("dtarget"));
    let mut dx2 = Tensor::zeros();
    assert_eq!(BceWithLogits.loss(&x, &t, &mut dx2), Ok(l));
    assert_eq!(dx2, dx);
}

#[test]
fn bce_with_logits_fixture() {
    bce_case("bce_with_logits_4x3");
}

#[test]
fn bce_with_logits_large_logits_fixture() {
    let f = fixture::load("bce_with_logits_large_logits_4x3");
    let max = f.input("x").data.iter().fold(0f32, |m, v| m.max(v.abs()));
    assert!(max > 50.0, "the case exercises large logits ({max})");
    bce_case("bce_with_logits_large_logits_4x3");
}

// ---------------------------------------------------------------------------------------------
// Finite differences in f64.

/// Central differences of `f` at `x` against `analytic`, element by element.
fn fd_check(what: &str, x: &[f64], analytic: &[f64], f: impl Fn(&[f64]) -> f64) {
    let h = 1e-6;
    let mut xp = x.to_vec();
    for i in 0..x.len() {
        xp[i] = x[i] + h;
        let lp = f(&xp);
        xp[i] = x[i] - h;
        let lm = f(&xp);
        xp[i] = x[i];
        let numeric = (lp - lm) / (2.0 * h);
        let err = (analytic[i] - numeric).abs();
        assert!(
            err <= 1e-7 * analytic[i].abs().max(numeric.abs()).max(1.0),
            "{what}[{i}]: analytic {} vs numeric {numeric}",
            analytic[i]
        );
    }
}

fn random<const N: usize, const C: usize>(seed: u64, scale: f64) -> Tensor<N, C, 1, 1, f64> {
    let mut rng = Lcg(seed | 1);
    let mut t = Tensor::zeros();
    t.fill_with(|_| rng.next() * scale);
    t
}

fn from<const N: usize, const C: usize>(v: &[f64]) -> Tensor<N, C, 1, 1, f64> {
    let mut t = Tensor::zeros();
    t.copy_from_slice(v).unwrap();
    t
}

#[test]
fn softmax_cross_entropy_finite_differences() {
    let x = random::<5, 7>(1, 3.0);
    let t = [0, 6, 3, 3, 1];
    let mut dx = Tensor::zeros();
    softmax_cross_entropy(&x, &t, &mut dx).unwrap();
    fd_check("dx", x.as_slice(), dx.as_slice(), |v| {
        softmax_cross_entropy(&from::<5, 7>(v), &t, &mut Tensor::zeros()).unwrap()
    });
}

#[test]
fn mse_finite_differences() {
    let x = random::<3, 4>(2, 2.0);
    let t = random::<3, 4>(3, 2.0);
    let (mut dx, mut dt) = (Tensor::zeros(), Tensor::zeros());
    mse_loss(&x, &t, &mut dx).unwrap();
    mse_loss_target_grad(&dx, &mut dt);
    fd_check("dx", x.as_slice(), dx.as_slice(), |v| {
        mse_loss(&from::<3, 4>(v), &t, &mut Tensor::zeros()).unwrap()
    });
    fd_check("dtarget", t.as_slice(), dt.as_slice(), |v| {
        mse_loss(&x, &from::<3, 4>(v), &mut Tensor::zeros()).unwrap()
    });
}

#[test]
fn mse_on_feature_maps_finite_differences() {
    // Any shape, not just vectors.
    let mut rng = Lcg(5);
    let mut x = Tensor::<2, 3, 2, 2, f64>::zeros();
    let mut t = Tensor::<2, 3, 2, 2, f64>::zeros();
    x.fill_with(|_| rng.next());
    t.fill_with(|_| rng.next());
    let mut dx = Tensor::zeros();
    mse_loss(&x, &t, &mut dx).unwrap();
    fd_check("dx", x.as_slice(), dx.as_slice(), |v| {
        let mut xv = Tensor::<2, 3, 2, 2, f64>::zeros();
        xv.copy_from_slice(v).unwrap();
        mse_loss(&xv, &t, &mut Tensor::zeros()).unwrap()
    });
}

#[test]
fn bce_with_logits_finite_differences() {
    let x = random::<4, 3>(6, 4.0);
    // Soft targets in [0, 1].
    let mut t = random::<4, 3>(7, 1.0);
    t.as_mut_slice().iter_mut().for_each(|v| *v = v.abs());
    let (mut dx, mut dt) = (Tensor::zeros(), Tensor::zeros());
    bce_with_logits(&x, &t, &mut dx).unwrap();
    bce_with_logits_target_grad(&x, &mut dt);
    fd_check("dx", x.as_slice(), dx.as_slice(), |v| {
        bce_with_logits(&from::<4, 3>(v), &t, &mut Tensor::zeros()).unwrap()
    });
    fd_check("dtarget", t.as_slice(), dt.as_slice(), |v| {
        bce_with_logits(&x, &from::<4, 3>(v), &mut Tensor::zeros()).unwrap()
    });
}

// ---------------------------------------------------------------------------------------------
// Errors and stability.

#[test]
fn target_out_of_range_is_an_error_and_leaves_dx_alone() {
    let x = Tensor::<3, 4, 1, 1>::zeros();
    let mut dx = Tensor::<3, 4, 1, 1>::zeros();
    dx.fill_with(|_| 7.0);
    let e = softmax_cross_entropy(&x, &[0, 3, 4], &mut dx).unwrap_err();
    assert_eq!(
        e,
        LossError::TargetOutOfRange {
            sample: 2,
            target: 4,
            classes: 4
        }
    );
    assert!(dx.as_slice().iter().all(|&v| v == 7.0));
    assert_eq!(
        e.to_string(),
        "target class 4 of sample 2 is out of range: there are 4 classes"
    );
    let _: &dyn std::error::Error = &e;
}

#[test]
fn non_finite_losses_are_errors() {
    let mut x = Tensor::<2, 3, 1, 1>::zeros();
    x.0[1][2][0][0] = f32::NAN;
    let t = Tensor::<2, 3, 1, 1>::zeros();
    let mut dx = Tensor::zeros();
    assert_eq!(
        softmax_cross_entropy(&x, &[0, 1], &mut dx),
        Err(LossError::NonFinite)
    );
    assert_eq!(mse_loss(&x, &t, &mut dx), Err(LossError::NonFinite));
    assert_eq!(bce_with_logits(&x, &t, &mut dx), Err(LossError::NonFinite));
    // Infinite inputs too.
    x.0[1][2][0][0] = f32::INFINITY;
    assert_eq!(mse_loss(&x, &t, &mut dx), Err(LossError::NonFinite));
    assert_eq!(bce_with_logits(&x, &t, &mut dx), Err(LossError::NonFinite));
    // An overflowing square is caught as well (finite inputs, infinite loss).
    x.0[1][2][0][0] = 1e30;
    assert_eq!(mse_loss(&x, &t, &mut dx), Err(LossError::NonFinite));
    assert_eq!(
        LossError::NonFinite.to_string(),
        "the loss is not a finite number (NaN or infinite)"
    );
}

#[test]
fn cross_entropy_is_stable_for_huge_logits_in_f32() {
    // Logits ±1e4: exp() would overflow f32 without the max subtraction.
    let mut x = Tensor::<2, 3, 1, 1>::zeros();
    x.copy_from_slice(&[1e4, -1e4, 9990.0, -5000.0, 5000.0, 4998.0])
        .unwrap();
    let mut dx = Tensor::zeros();
    let l = softmax_cross_entropy(&x, &[2, 1], &mut dx).unwrap();
    // Sample 0: lse ≈ 1e4 + log(1 + e^-10), loss ≈ 10 + log1p(e^-10). Sample 1: log1p(e^-2).
    let want = ((10.0 + (-10f64).exp().ln_1p()) + (-2f64).exp().ln_1p()) / 2.0;
    assert!((l as f64 - want).abs() < 1e-5, "{l} vs {want}");
    assert!(dx.as_slice().iter().all(|v| v.is_finite()));
    // Each row of dx sums to zero.
    for n in 0..2 {
        let s: f32 = dx.sample(n).iter().sum();
        assert!(s.abs() < 1e-6);
    }
}

#[test]
fn bce_is_stable_for_huge_logits_in_f32() {
    let mut x = Tensor::<1, 4, 1, 1>::zeros();
    x.copy_from_slice(&[200.0, -200.0, 200.0, -200.0]).unwrap();
    let mut t = Tensor::<1, 4, 1, 1>::zeros();
    t.copy_from_slice(&[1.0, 0.0, 0.0, 1.0]).unwrap();
    let mut dx = Tensor::zeros();
    let l = bce_with_logits(&x, &t, &mut dx).unwrap();
    // Two confident right answers (loss ≈ 0), two confident wrong ones (loss 200 each).
    assert!((l - 100.0).abs() < 1e-4, "{l}");
    assert_eq!(dx.as_slice(), &[0.0, 0.0, 0.25, -0.25]);
}

// ---------------------------------------------------------------------------------------------
// Predictions.

#[test]
fn argmax_and_count_correct() {
    let mut x = Tensor::<4, 3, 1, 1>::zeros();
    x.copy_from_slice(&[
        0.1,
        0.5,
        0.2, //
        3.0,
        -1.0,
        2.0, //
        1.0,
        1.0,
        0.0, // tie: the first wins
        f32::NAN,
        -2.0,
        -1.0, // NaN is never the prediction
    ])
    .unwrap();
    assert_eq!(argmax(&x), [1, 0, 0, 2]);
    assert_eq!(count_correct(&x, &[1, 0, 0, 2]), 4);
    assert_eq!(count_correct(&x, &[1, 2, 1, 0]), 1);
    assert_eq!(count_correct(&x, &[0, 1, 1, 1]), 0);
    // The helpers are reachable through the module path too.
    assert_eq!(loss::argmax(&Tensor::<1, 2, 1, 1>::zeros()), [0]);
}

/// The prefix forms score the first `valid` samples of a batch as a batch of their own: the same
/// loss, gradient rows and count as the smaller batch, the rows past `valid` untouched, and the
/// whole batch when `valid ≥ N`.
#[test]
fn prefix_losses_score_the_first_samples_only() {
    let x = random::<5, 7>(11, 3.0);
    let t = [3, 0, 6, 2, 2];
    let mut small = Tensor::<3, 7, 1, 1, f64>::zeros();
    small.as_mut_slice().copy_from_slice(&x.as_slice()[..3 * 7]);
    let mut dsmall = Tensor::zeros();
    let expect = softmax_cross_entropy(&small, &[3, 0, 6], &mut dsmall).unwrap();
    let mut dx = Tensor::<5, 7, 1, 1, f64>::zeros();
    dx.as_mut_slice().fill(9.0);
    let got = loss::softmax_cross_entropy_prefix(&x, &t, 3, &mut dx).unwrap();
    assert_eq!(got, expect);
    assert_eq!(&dx.as_slice()[..3 * 7], dsmall.as_slice());
    assert!(dx.as_slice()[3 * 7..].iter().all(|&v| v == 9.0));
    assert_eq!(
        loss::count_correct_prefix(&x, &t, 3),
        count_correct(&small, &[3, 0, 6])
    );
    // All of it (and more than all of it) is the full batch.
    let mut dfull = Tensor::zeros();
    let full = softmax_cross_entropy(&x, &t, &mut dfull).unwrap();
    for valid in [5, 8] {
        assert_eq!(
            loss::softmax_cross_entropy_prefix(&x, &t, valid, &mut dx),
            Ok(full)
        );
        assert_eq!(dx.as_slice(), dfull.as_slice());
        assert_eq!(
            loss::count_correct_prefix(&x, &t, valid),
            count_correct(&x, &t)
        );
    }
    // A bad target past `valid` is not read; one before it is an error.
    let bad = [3, 0, 6, 99, 2];
    assert!(loss::softmax_cross_entropy_prefix(&x, &bad, 3, &mut dx).is_ok());
    assert_eq!(
        loss::softmax_cross_entropy_prefix(&x, &bad, 4, &mut dx),
        Err(LossError::TargetOutOfRange {
            sample: 3,
            target: 99,
            classes: 7
        })
    );
}
