//! The training workflow (`constnet::train`) on tiny synthetic datasets: determinism under a
//! seed, resuming == an uninterrupted run, NaN losses as typed errors naming epoch and batch,
//! checkpoint contents, schedules, the learning-curve PNG, data-parallel == single-thread,
//! exact evaluation with a partial last batch, no allocation per step.
use crate::common;

use constnet::data::{Dataset, Normalization};
use constnet::loss::softmax_cross_entropy;
use constnet::optim::schedule::StepDecay;
use constnet::optim::{Adam, AdamConfig, Optimizer, Sgd, SgdConfig};
use constnet::prelude::*;
use constnet::train::{
    EpochStats, History, Phase, Progress, TrainConfig, TrainError, Trainer, checkpoint_name,
    latest_checkpoint,
};
use std::path::PathBuf;

/// 6×6 images, 3 classes; `Net` has no buffers, `BnNet` has batch norm.
type Net = (Conv2d<1, 4, 3>, Relu, MaxPool2d<2>, Flatten, Linear<16, 3>);
type BnNet = (
    Conv2d<1, 4, 3>,
    BatchNorm2d<4>,
    Relu,
    Flatten,
    Linear<64, 3>,
);
/// Batch norm and dropout: buffers, counters and a random generator.
type DropNet = (
    Conv2d<1, 4, 3>,
    BatchNorm2d<4>,
    Relu,
    Dropout<2000>,
    Flatten,
    Linear<64, 3>,
);
/// A linear classifier: NaN and infinite inputs reach its logits (a ReLU would map NaN to 0).
type Lin = (Flatten, Linear<36, 3>);
type X<const N: usize> = Tensor<N, 1, 6, 6>;

const UNIT: Normalization<1> = Normalization {
    mean: [0.2],
    std: [0.3],
};

/// `n` noisy images of 3 classes: class `c` has a bright 2×2 square at column `2c`.
fn synthetic(n: usize, seed: u64) -> Dataset {
    let mut s = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut next = move || {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        s
    };
    let mut pixels = Vec::with_capacity(n * 36);
    let mut labels = Vec::with_capacity(n);
    for _ in 0..n {
        let c = (next() % 3) as usize;
        let row = (next() % 5) as usize;
        for i in 0..36 {
            let (y, x) = (i / 6, i % 6);
            let on = (y == row || y == row + 1) && (x == 2 * c || x == 2 * c + 1);
            let noise = (next() % 60) as u8;
            pixels.push(if on { 195 + noise } else { noise });
        }
        labels.push(c as u8);
    }
    Dataset::new(pixels, labels, 1, 6, 6, 3).unwrap()
}

fn tmpdir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("constnet-train-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn quiet(epochs: usize) -> TrainConfig {
    TrainConfig::new(epochs).seed(7).progress(Progress::Quiet)
}

/// Every tensor and counter of a model, as the bytes of its weight file.
fn bytes<M: Module<f32>>(m: &mut M) -> Vec<u8> {
    constnet::io::to_bytes(m).unwrap()
}

fn max_abs_diff<M: Module<f32>>(a: &mut M, b: &mut M) -> f32 {
    let mut va = Vec::new();
    a.for_each_tensor(|_, v| va.extend_from_slice(v));
    let mut vb = Vec::new();
    b.for_each_tensor(|_, v| vb.extend_from_slice(v));
    assert_eq!(va.len(), vb.len());
    va.iter()
        .zip(&vb)
        .fold(0f32, |m, (x, y)| m.max((x - y).abs()))
}

struct Run<M> {
    net: Box<M>,
    history: History,
}

fn run_adam<const N: usize>(
    config: TrainConfig,
    init_seed: u64,
    train: &Dataset,
    test: &Dataset,
) -> Run<Net> {
    let mut net = constnet::init::seeded::<Net, f32>(init_seed);
    let mut opt = Adam::<Net>::boxed(AdamConfig::new(0.01));
    let schedule = StepDecay {
        lr: 0.01,
        step_size: 2,
        gamma: 0.5,
    };
    let history = Trainer::<X<N>>::new(config)
        .fit(&mut *net, &mut *opt, &schedule, train, test, &UNIT)
        .unwrap();
    Run { net, history }
}

#[test]
fn learns_and_is_deterministic_under_a_seed() {
    let (train, test) = (synthetic(120, 1), synthetic(50, 2));
    let mut a = run_adam::<8>(quiet(4), 3, &train, &test);
    let mut b = run_adam::<8>(quiet(4), 3, &train, &test);
    assert_eq!(a.history.len(), 4);
    assert!(a.history.same_metrics(&b.history));
    assert_eq!(bytes(&mut *a.net), bytes(&mut *b.net));
    // It learns the task.
    let last = a.history.last().unwrap();
    assert!(last.test_accuracy > 0.9, "{:?}", a.history);
    assert!(last.train_loss < a.history.epochs[0].train_loss);
    // 120 samples in batches of 8: 15 full steps.
    assert_eq!(last.train_samples, 120);
    // Another shuffling seed gives another run.
    let mut c = run_adam::<8>(quiet(4).seed(8), 3, &train, &test);
    assert!(!a.history.same_metrics(&c.history));
    assert_ne!(bytes(&mut *a.net), bytes(&mut *c.net));
}

/// Resuming at epoch `k` from a checkpoint gives exactly the uninterrupted run: model
/// (parameters, running statistics, counters, the dropout generator's state, so the same
/// masks), optimizer state and history.
fn resume_equals_uninterrupted(threads: usize) {
    let (train, test) = (synthetic(100, 3), synthetic(30, 4));
    let schedule = StepDecay {
        lr: 0.02,
        step_size: 1,
        gamma: 0.7,
    };
    let fit = |config: TrainConfig, init: u64| {
        let mut net = constnet::init::seeded::<DropNet, f32>(init);
        net.3.set_seed(init);
        let mut opt = Adam::<DropNet>::boxed(AdamConfig::new(0.02));
        let h = Trainer::<X<4>>::new(config.threads(threads))
            .fit(&mut *net, &mut *opt, &schedule, &train, &test, &UNIT)
            .unwrap();
        (net, opt, h)
    };
    let full_dir = tmpdir(&format!("full{threads}"));
    let (mut net_a, mut opt_a, hist_a) = fit(quiet(4).checkpoints(&full_dir), 5);

    let part_dir = tmpdir(&format!("part{threads}"));
    let (_, _, hist_b) = fit(quiet(2).checkpoints(&part_dir), 5);
    assert_eq!(hist_b.len(), 2);
    assert_ne!(net_a.3.state, 5, "dropout drew masks");
    let ckpt = latest_checkpoint(&part_dir).unwrap().unwrap();
    let file = std::fs::read(&ckpt).unwrap();
    let st = safetensors::SafeTensors::deserialize(&file).unwrap();
    assert!(st.tensor("model.3.state.hi").is_ok() && st.tensor("model.3.state.lo").is_ok());
    assert_eq!(ckpt, part_dir.join(checkpoint_name(2)));
    // The partial run's checkpoint is byte-identical to the full run's at epoch 2 except for
    // the wall-clock times in the history; resume from it with a model initialised otherwise.
    let (mut net_c, mut opt_c, hist_c) = fit(quiet(4).resume_from(&ckpt), 99);
    assert_eq!(hist_c.len(), 4);
    assert!(hist_a.same_metrics(&hist_c), "{hist_a:?}\n{hist_c:?}");
    assert_eq!(bytes(&mut *net_a), bytes(&mut *net_c));
    assert_eq!(net_a.3.state, net_c.3.state);
    assert_eq!(bytes(&mut *opt_a), bytes(&mut *opt_c));
    assert_eq!(opt_a.steps(), 4 * (100 / (4 * threads)) as u64);
    // The epoch-4 checkpoint of the full run holds the same model.
    let mut net_d = DropNet::boxed();
    let mut opt_d = Adam::<DropNet>::boxed(AdamConfig::new(0.0));
    let (_, _, hist_d) = {
        let config = quiet(4).resume_from(full_dir.join(checkpoint_name(4)));
        let h = Trainer::<X<4>>::new(config.threads(threads))
            .fit(&mut *net_d, &mut *opt_d, &schedule, &train, &test, &UNIT)
            .unwrap();
        ((), (), h)
    };
    assert!(hist_a.same_metrics(&hist_d));
    assert_eq!(bytes(&mut *net_a), bytes(&mut *net_d));
    assert_eq!(net_a.3.state, net_d.3.state);
    assert_eq!(bytes(&mut *opt_a), bytes(&mut *opt_d));
    let _ = std::fs::remove_dir_all(full_dir);
    let _ = std::fs::remove_dir_all(part_dir);
}

#[test]
fn resume_equals_uninterrupted_run() {
    resume_equals_uninterrupted(1);
}

#[test]
fn resume_equals_uninterrupted_run_with_threads() {
    resume_equals_uninterrupted(2);
}

#[test]
fn checkpoint_files_contain_model_optimizer_epoch_and_history() {
    let (train, test) = (synthetic(40, 5), synthetic(10, 6));
    let dir = tmpdir("keys");
    let mut net = constnet::init::seeded::<BnNet, f32>(1);
    let mut opt = Sgd::<BnNet>::boxed(SgdConfig::new(0.05).momentum(0.9));
    let schedule = |e: usize| 0.05 / (e + 1) as f64;
    Trainer::<X<8>>::new(quiet(2).checkpoints(&dir))
        .fit(&mut *net, &mut *opt, &schedule, &train, &test, &UNIT)
        .unwrap();
    for epoch in 1..=2 {
        assert!(dir.join(checkpoint_name(epoch)).is_file());
    }
    assert!(!dir.join(checkpoint_name(3)).exists());
    let file = std::fs::read(dir.join(checkpoint_name(2))).unwrap();
    let st = safetensors::SafeTensors::deserialize(&file).unwrap();
    let mut keys: Vec<String> = st.names().into_iter().map(str::to_owned).collect();
    keys.sort();
    let mut want: Vec<String> = [
        "epoch",
        "model.0.weight",
        "model.0.bias",
        "model.1.weight",
        "model.1.bias",
        "model.1.running_mean",
        "model.1.running_var",
        "model.1.num_batches_tracked",
        "model.4.weight",
        "model.4.bias",
        "optimizer.step",
        "optimizer.momentum_buffer.0.weight",
        "optimizer.momentum_buffer.0.bias",
        "optimizer.momentum_buffer.1.weight",
        "optimizer.momentum_buffer.1.bias",
        "optimizer.momentum_buffer.4.weight",
        "optimizer.momentum_buffer.4.bias",
        "history.lr",
        "history.train_loss",
        "history.train_accuracy",
        "history.test_loss",
        "history.test_accuracy",
        "history.seconds",
        "history.train_seconds",
        "history.train_samples.0",
        "history.train_samples.1",
    ]
    .map(str::to_owned)
    .to_vec();
    want.sort();
    assert_eq!(keys, want);
    let i64_of = |k: &str| {
        let t = st.tensor(k).unwrap();
        assert_eq!(t.dtype(), safetensors::Dtype::I64, "{k}");
        i64::from_le_bytes(t.data().try_into().unwrap())
    };
    assert_eq!(i64_of("epoch"), 2);
    assert_eq!(i64_of("optimizer.step"), 2 * 5);
    assert_eq!(i64_of("model.1.num_batches_tracked"), 2 * 5);
    assert_eq!(i64_of("history.train_samples.1"), 40);
    let lr = st.tensor("history.lr").unwrap();
    assert_eq!(lr.shape(), [2]);
    let lr: Vec<f32> = lr
        .data()
        .chunks_exact(4)
        .map(|c| f32::from_le_bytes(c.try_into().unwrap()))
        .collect();
    assert_eq!(lr, [0.05, 0.025]);
    // The model part is the model's own weight file with a `model.` prefix.
    let own = bytes(&mut *net);
    let own = safetensors::SafeTensors::deserialize(&own).unwrap();
    for name in own.names() {
        assert_eq!(
            own.tensor(name).unwrap().data(),
            st.tensor(&format!("model.{name}")).unwrap().data(),
            "{name}"
        );
    }
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn schedules_set_the_learning_rate_of_each_epoch() {
    let (train, test) = (synthetic(48, 7), synthetic(12, 8));
    let schedule = StepDecay {
        lr: 0.1,
        step_size: 2,
        gamma: 0.1,
    };
    let mut net = constnet::init::seeded::<Net, f32>(2);
    let mut opt = Sgd::<Net>::boxed(SgdConfig::new(123.0));
    let h = Trainer::<X<8>>::new(quiet(5))
        .fit(&mut *net, &mut *opt, &schedule, &train, &test, &UNIT)
        .unwrap();
    let lrs: Vec<f32> = h.epochs.iter().map(|e| e.lr).collect();
    assert_eq!(lrs, [0.1, 0.1, 0.01, 0.01, 0.001].map(|v: f64| v as f32));
    assert!((opt.lr() - 0.001).abs() < 1e-15);

    // A learning rate of 0 from epoch 1 on: training stops changing the parameters.
    let stop = |e: usize| if e == 0 { 0.05 } else { 0.0 };
    let one = |epochs: usize| {
        let mut net = constnet::init::seeded::<Net, f32>(2);
        let mut opt = Sgd::<Net>::boxed(SgdConfig::new(0.0));
        Trainer::<X<8>>::new(quiet(epochs))
            .fit(&mut *net, &mut *opt, &stop, &train, &test, &UNIT)
            .unwrap();
        net
    };
    let (mut after1, mut after3) = (one(1), one(3));
    let mut init = constnet::init::seeded::<Net, f32>(2);
    assert_eq!(bytes(&mut *after1), bytes(&mut *after3));
    assert_ne!(bytes(&mut *after1), bytes(&mut *init));
}

#[test]
fn nan_loss_stops_with_an_error_naming_epoch_and_batch() {
    let (train, test) = (synthetic(40, 9), synthetic(10, 10));
    // A NaN learning rate in epoch 2: its first step (batch 0) is scored with a finite loss and
    // then writes NaN into the parameters, so batch 1 of epoch 2 has a NaN loss.
    let schedule = |e: usize| if e == 2 { f64::NAN } else { 0.01 };
    let mut net = constnet::init::seeded::<Net, f32>(1);
    let mut opt = Adam::<Net>::boxed(AdamConfig::new(0.01));
    let err = Trainer::<X<8>>::new(quiet(5))
        .fit(&mut *net, &mut *opt, &schedule, &train, &test, &UNIT)
        .unwrap_err();
    assert!(
        matches!(
            err,
            TrainError::NonFiniteLoss {
                phase: Phase::Train,
                epoch: 2,
                batch: 1
            }
        ),
        "{err:?}"
    );
    assert_eq!(err.location(), Some((Phase::Train, 2, 1)));
    let msg = err.to_string();
    assert!(msg.contains("epoch 2") && msg.contains("batch 1"), "{msg}");
    // The failing batch did not update the optimizer: 2 epochs of 5 steps and one more.
    assert_eq!(opt.steps(), 11);

    // NaN inputs (a normalization dividing 0 by 0) from the first batch on, with two threads.
    let nan = Normalization {
        mean: [0.0],
        std: [0.0],
    };
    let mut net = constnet::init::seeded::<Lin, f32>(1);
    let mut opt = Adam::<Lin>::boxed(AdamConfig::new(0.01));
    let before = bytes(&mut *net);
    let err = Trainer::<X<4>>::new(quiet(1).threads(2))
        .fit(&mut *net, &mut *opt, &|_| 0.01, &train, &test, &nan)
        .unwrap_err();
    assert_eq!(err.location(), Some((Phase::Train, 0, 0)), "{err:?}");
    assert_eq!(opt.steps(), 0);
    assert_eq!(bytes(&mut *net), before, "the bad batch changed nothing");

    // Infinite inputs only in the test set, in its second batch (samples 4..8; batches of 4).
    let zeros = Dataset::new(vec![0; 16 * 36], vec![0; 16], 1, 6, 6, 3).unwrap();
    let mut pixels = vec![0; 10 * 36];
    pixels[5 * 36 + 7] = 255;
    let test = Dataset::new(pixels, vec![1; 10], 1, 6, 6, 3).unwrap();
    let tiny = Normalization {
        mean: [0.0],
        std: [1e-45],
    };
    for threads in [1, 2] {
        let mut net = constnet::init::seeded::<Lin, f32>(1);
        let mut opt = Adam::<Lin>::boxed(AdamConfig::new(0.01));
        let err = Trainer::<X<4>>::new(quiet(2).threads(threads))
            .fit(&mut *net, &mut *opt, &|_| 0.01, &zeros, &test, &tiny)
            .unwrap_err();
        assert!(
            matches!(
                err,
                TrainError::NonFiniteLoss {
                    phase: Phase::Test,
                    epoch: 0,
                    batch: 1
                }
            ),
            "{threads}: {err:?}"
        );
    }
}

#[test]
fn data_parallel_equals_single_thread() {
    // One step on 8 samples: 1 × 8, 2 × 4, 4 × 2.
    let (train, test) = (synthetic(8, 11), synthetic(9, 12));
    let step = |threads: usize| {
        let mut net = constnet::init::seeded::<BnNet, f32>(4);
        let mut opt = Adam::<BnNet>::boxed(AdamConfig::new(0.01));
        let t = |c: TrainConfig| c.threads(threads);
        let sched = |_| 0.01;
        let h = match threads {
            1 => Trainer::<X<8>>::new(t(quiet(1)))
                .fit(&mut *net, &mut *opt, &sched, &train, &test, &UNIT),
            2 => Trainer::<X<4>>::new(t(quiet(1)))
                .fit(&mut *net, &mut *opt, &sched, &train, &test, &UNIT),
            _ => Trainer::<X<2>>::new(t(quiet(1)))
                .fit(&mut *net, &mut *opt, &sched, &train, &test, &UNIT),
        }
        .unwrap();
        (net, h)
    };
    let (one, h1) = step(1);
    for threads in [2, 4] {
        let (par, hp) = step(threads);
        // Batch norm uses per-thread batch statistics, so compare a buffer-free quantity first:
        // the running means are the mean of the per-thread means = the full-batch mean.
        for c in 0..4 {
            let (a, b) = (one.1.running_mean[c], par.1.running_mean[c]);
            assert!(
                (a - b).abs() <= 1e-6 * (1.0 + a.abs()),
                "{threads}: {a} vs {b}"
            );
        }
        assert_eq!(one.1.num_batches_tracked, par.1.num_batches_tracked);
        assert_eq!(h1.epochs[0].train_samples, hp.epochs[0].train_samples);
    }

    // Without batch norm the whole step is the same up to float rounding: a few steps of SGD.
    let (train, test) = (synthetic(64, 13), synthetic(20, 14));
    let fit = |threads: usize| {
        let mut net = constnet::init::seeded::<Net, f32>(4);
        let mut opt = Sgd::<Net>::boxed(SgdConfig::new(0.05).momentum(0.9));
        let c = quiet(2).threads(threads);
        let sched = |_| 0.05;
        let h = match threads {
            1 => Trainer::<X<16>>::new(c).fit(&mut *net, &mut *opt, &sched, &train, &test, &UNIT),
            2 => Trainer::<X<8>>::new(c).fit(&mut *net, &mut *opt, &sched, &train, &test, &UNIT),
            _ => Trainer::<X<4>>::new(c).fit(&mut *net, &mut *opt, &sched, &train, &test, &UNIT),
        }
        .unwrap();
        (net, opt, h)
    };
    let (mut net1, _, h1) = fit(1);
    let mut init = constnet::init::seeded::<Net, f32>(4);
    let moved = max_abs_diff(&mut *net1, &mut *init);
    assert!(moved > 1e-2, "{moved}");
    for threads in [2, 4] {
        let (mut net, opt, h) = fit(threads);
        assert_eq!(opt.steps(), 2 * 4);
        let d = max_abs_diff(&mut *net1, &mut *net);
        assert!(d < 1e-5, "{threads} threads: max |Δw| = {d}");
        for (a, b) in h1.epochs.iter().zip(&h.epochs) {
            assert!((a.train_loss - b.train_loss).abs() < 1e-5, "{a:?} {b:?}");
            assert!((a.test_loss - b.test_loss).abs() < 1e-5, "{a:?} {b:?}");
            assert_eq!(a.train_samples, b.train_samples);
        }
    }
    // And one thread is deterministic against itself to the bit (sanity check of the above).
    let (mut again, _, _) = fit(1);
    assert_eq!(max_abs_diff(&mut *net1, &mut *again), 0.0);
}

#[test]
fn evaluation_scores_every_sample_once_including_a_partial_batch() {
    let data = synthetic(10, 15);
    let mut net = constnet::init::seeded::<Net, f32>(6);
    // Reference: one sample at a time.
    let (mut loss, mut correct) = (0.0f64, 0);
    let mut ws = Workspace::<Net, X<1>>::boxed();
    let mut x = X::<1>::zeros();
    let mut y = [0usize; 1];
    for i in 0..data.len() {
        data.fill_batch(&[i], &UNIT, &mut x, &mut y).unwrap();
        let out = ws.infer(&net, &x);
        correct += constnet::loss::count_correct(out, &y);
        let mut d = Tensor::zeros();
        loss += f64::from(softmax_cross_entropy(out, &y, &mut d).unwrap());
    }
    loss /= data.len() as f64;
    let mut results = Vec::new();
    for threads in [1, 2, 3] {
        let e = Trainer::<X<4>>::new(quiet(1).threads(threads))
            .evaluate(&mut *net, &data, &UNIT)
            .unwrap();
        assert_eq!((e.samples, e.correct), (10, correct), "{threads}");
        assert!(
            (e.loss - loss).abs() < 1e-6,
            "{threads}: {} vs {loss}",
            e.loss
        );
        assert_eq!(e.accuracy(), correct as f64 / 10.0);
        results.push(e);
    }
    // Batches are the same whatever the number of threads, and summed in batch order.
    assert!(results.iter().all(|e| *e == results[0]), "{results:?}");
    // Within a run: the epoch's test accuracy is over all 10 samples (a multiple of 1/10).
    let h = Trainer::<X<4>>::new(quiet(1))
        .fit(
            &mut *net,
            &mut *Adam::<Net>::boxed(AdamConfig::new(0.01)),
            &|_| 0.01,
            &data,
            &data,
            &UNIT,
        )
        .unwrap();
    let acc10 = h.epochs[0].test_accuracy * 10.0;
    assert!((acc10 - acc10.round()).abs() < 1e-5);
}

#[test]
fn learning_curve_png_has_the_declared_size() {
    let h = History {
        epochs: (0..5)
            .map(|e| EpochStats {
                epoch: e,
                lr: 0.01,
                train_loss: 1.0 / (e + 1) as f32,
                train_accuracy: 0.5 + 0.08 * e as f32,
                test_loss: 1.2 / (e + 1) as f32,
                test_accuracy: 0.45 + 0.09 * e as f32,
                seconds: 1.0,
                train_seconds: 0.8,
                train_samples: 100,
            })
            .collect(),
    };
    let dir = tmpdir("png");
    let path = dir.join("curve.png");
    constnet::train::plot::write_png(&h, &path, 640, 300).unwrap();
    let decoder = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(&path).unwrap()));
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut buf).unwrap();
    assert_eq!((info.width, info.height), (640, 300));
    assert_eq!(info.color_type, png::ColorType::Rgb);
    assert_eq!(info.bit_depth, png::BitDepth::Eight);
    let px = &buf[..info.buffer_size()];
    let count = |c: [u8; 3]| px.chunks_exact(3).filter(|p| *p == c).count();
    // Both curves and the legend are drawn, in both panels; most of the image is background.
    assert!(count(constnet::train::plot::TRAIN_COLOR) > 500);
    assert!(count(constnet::train::plot::TEST_COLOR) > 500);
    assert!(count([255, 255, 255]) > 640 * 300 / 2);
    assert!(count([0, 0, 0]) > 2 * 200, "axes");
    // The same picture from `render`.
    let (w, hgt, rgb) = constnet::train::plot::render(&h, 640, 300);
    assert_eq!((w, hgt), (640, 300));
    assert_eq!(rgb, px);

    // A run writes its curve at the end.
    let (train, test) = (synthetic(16, 16), synthetic(8, 17));
    let mut net = constnet::init::seeded::<Net, f32>(1);
    let run_png = dir.join("run.png");
    let config = quiet(2).curve(&run_png).curve_size(400, 250);
    Trainer::<X<8>>::new(config)
        .fit(
            &mut *net,
            &mut *Adam::<Net>::boxed(AdamConfig::new(0.01)),
            &|_| 0.01,
            &train,
            &test,
            &UNIT,
        )
        .unwrap();
    let reader = png::Decoder::new(std::io::BufReader::new(
        std::fs::File::open(&run_png).unwrap(),
    ))
    .read_info()
    .unwrap();
    assert_eq!((reader.info().width, reader.info().height), (400, 250));
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn configuration_and_checkpoint_errors() {
    let (train, test) = (synthetic(16, 18), synthetic(8, 19));
    let mut net = constnet::init::seeded::<Net, f32>(1);
    let mut opt = Adam::<Net>::boxed(AdamConfig::new(0.01));
    let sched = |_| 0.01;
    let err = Trainer::<X<8>>::new(quiet(1).threads(0))
        .fit(&mut *net, &mut *opt, &sched, &train, &test, &UNIT)
        .unwrap_err();
    assert!(matches!(err, TrainError::Config { .. }), "{err:?}");
    // 3 threads × 8 > 16 samples.
    let err = Trainer::<X<8>>::new(quiet(1).threads(3))
        .fit(&mut *net, &mut *opt, &sched, &train, &test, &UNIT)
        .unwrap_err();
    assert!(matches!(err, TrainError::Config { .. }), "{err:?}");
    // Images of another size.
    let big = Dataset::new(vec![0; 16 * 49], vec![0; 16], 1, 7, 7, 3).unwrap();
    let err = Trainer::<X<8>>::new(quiet(1))
        .fit(&mut *net, &mut *opt, &sched, &big, &test, &UNIT)
        .unwrap_err();
    assert!(
        matches!(
            err,
            TrainError::Data(constnet::data::DataError::ShapeMismatch { .. })
        ),
        "{err:?}"
    );
    // More classes than outputs.
    let many = Dataset::new(vec![0; 16 * 36], vec![4; 16], 1, 6, 6, 5).unwrap();
    let err = Trainer::<X<8>>::new(quiet(1))
        .fit(&mut *net, &mut *opt, &sched, &many, &test, &UNIT)
        .unwrap_err();
    assert!(matches!(err, TrainError::Config { .. }), "{err:?}");

    // A checkpoint of 2 epochs cannot resume a run of 1, nor load into another network.
    let dir = tmpdir("errors");
    Trainer::<X<8>>::new(quiet(2).checkpoints(&dir))
        .fit(&mut *net, &mut *opt, &sched, &train, &test, &UNIT)
        .unwrap();
    let ckpt = dir.join(checkpoint_name(2));
    let err = Trainer::<X<8>>::new(quiet(1).resume_from(&ckpt))
        .fit(&mut *net, &mut *opt, &sched, &train, &test, &UNIT)
        .unwrap_err();
    assert!(matches!(err, TrainError::Checkpoint { .. }), "{err:?}");
    let mut other = constnet::init::seeded::<BnNet, f32>(1);
    let before = bytes(&mut *other);
    let err = Trainer::<X<8>>::new(quiet(3).resume_from(&ckpt))
        .fit(
            &mut *other,
            &mut *Adam::<BnNet>::boxed(AdamConfig::new(0.01)),
            &sched,
            &train,
            &test,
            &UNIT,
        )
        .unwrap_err();
    match &err {
        TrainError::Weights { source, .. } => assert!(source.key().is_some(), "{err}"),
        e => panic!("{e:?}"),
    }
    assert_eq!(
        bytes(&mut *other),
        before,
        "a failed resume leaves the model alone"
    );
    // A missing checkpoint file.
    let err = Trainer::<X<8>>::new(quiet(3).resume_from(dir.join("nope.safetensors")))
        .fit(&mut *net, &mut *opt, &sched, &train, &test, &UNIT)
        .unwrap_err();
    assert!(matches!(err, TrainError::Io { .. }), "{err:?}");
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn a_training_step_does_not_allocate() {
    // The same run on 8 and on 80 steps per epoch allocates the same number of times on the
    // calling thread: nothing per step.
    let test = synthetic(12, 20);
    for threads in [1, 2] {
        let count = |n: usize| {
            let train = synthetic(n, 21);
            let mut net = constnet::init::seeded::<Net, f32>(1);
            let mut opt = Adam::<Net>::boxed(AdamConfig::new(0.01));
            let trainer = Trainer::<X<4>>::new(quiet(1).threads(threads));
            let (allocs, h) = common::alloc::count(|| {
                trainer.fit(&mut *net, &mut *opt, &|_| 0.01, &train, &test, &UNIT)
            });
            assert_eq!(h.unwrap().epochs[0].train_samples, n);
            allocs
        };
        let (small, large) = (count(8 * 4 * threads), count(80 * 4 * threads));
        assert_eq!(small, large, "{threads} threads");
    }
}

#[test]
fn optimizer_state_is_a_weight_file() {
    // Adam: step counter and both moments of every parameter (PyTorch's names), no buffers.
    let mut adam = Adam::<BnNet>::boxed(AdamConfig::new(0.01));
    let mut net = constnet::init::seeded::<BnNet, f32>(1);
    let mut grads = BnNet::boxed();
    grads.for_each_tensor(|_, g| g.fill(0.5));
    adam.step(&mut *net, &mut *grads);
    let file = bytes(&mut *adam);
    let st = safetensors::SafeTensors::deserialize(&file).unwrap();
    let mut keys: Vec<&str> = st.names();
    keys.sort_unstable();
    let mut want = vec!["step"];
    for moment in ["exp_avg", "exp_avg_sq"] {
        for p in [
            "0.weight", "0.bias", "1.weight", "1.bias", "4.weight", "4.bias",
        ] {
            want.push(Box::leak(format!("{moment}.{p}").into_boxed_str()));
        }
    }
    want.sort_unstable();
    assert_eq!(keys, want);
    // Round trip into a fresh optimizer: the next steps are the same.
    let mut other = Adam::<BnNet>::boxed(AdamConfig::new(0.01));
    constnet::io::from_bytes(&mut *other, &file).unwrap();
    assert_eq!(other.steps(), 1);
    let mut net2 = constnet::init::seeded::<BnNet, f32>(1);
    constnet::io::from_bytes(&mut *net2, &bytes(&mut *net)).unwrap();
    adam.step(&mut *net, &mut *grads);
    other.step(&mut *net2, &mut *grads);
    assert_eq!(bytes(&mut *net), bytes(&mut *net2));
    // PlainSgd has no state.
    let mut plain = constnet::optim::PlainSgd::new(0.1);
    let file = constnet::io::to_bytes::<f32, _>(&mut plain).unwrap();
    assert!(
        safetensors::SafeTensors::deserialize(&file)
            .unwrap()
            .names()
            .is_empty()
    );
}
