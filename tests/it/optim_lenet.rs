//! LeNet-5 against PyTorch: forward, cross-entropy loss, every gradient, and the parameters after
//! SGD, SGD with momentum and Adam steps (fixtures `lenet5*.json`). Plus the workspace's
//! gradients against f64 finite differences for all three losses, and a short training run from
//! a seeded initialisation.
use crate::common;
use common::fixture::{self, Fixture};
use common::gradcheck::Lcg;
use constnet::init;
use constnet::loss::{BceWithLogits, Mse, SoftmaxCrossEntropy};
use constnet::models::LeNet5;
use constnet::optim::{Adam, AdamConfig, Optimizer, Sgd, SgdConfig};
use constnet::prelude::*;
use constnet::{Role, TensorInfo};

type X = Tensor<2, 1, 28, 28>;

/// PyTorch's name of a LeNet-5 tensor (`"7.weight"` → `"fc1.weight"`).
fn torch_name(path: &str) -> String {
    let (index, field) = path.split_once('.').expect("layer.field");
    let layer = match index {
        "0" => "conv1",
        "3" => "conv2",
        "7" => "fc1",
        "9" => "fc2",
        "11" => "fc3",
        other => panic!("LeNet-5 has no parameters at index {other}"),
    };
    format!("{layer}.{field}")
}

/// Calls `f(torch_name, info, values)` for every parameter.
fn each_param(net: &mut LeNet5, mut f: impl FnMut(&str, TensorInfo<'_>, &mut [f32])) {
    let mut seen = 0;
    net.for_each_tensor(|info, v| {
        assert_eq!(info.role, Role::Param);
        f(&torch_name(&info.path.to_string()), info, v);
        seen += 1;
    });
    assert_eq!(seen, 10, "LeNet-5 has 10 parameter tensors");
}

/// Sets every parameter from `fixture.inputs[name]` (shapes checked).
fn load_params(net: &mut LeNet5, f: &Fixture) {
    each_param(net, |name, info, v| {
        let t = f.input(name);
        assert_eq!(t.shape, info.shape, "{name}");
        v.copy_from_slice(&t.data);
    });
}

/// Asserts every parameter of `net` matches `fixture.<section>[prefix + name]`.
fn assert_params(net: &mut LeNet5, f: &Fixture, section: &str, prefix: &str) {
    each_param(net, |name, info, v| {
        let key = format!("{prefix}{name}");
        let want = match section {
            "outputs" => f.output(&key),
            "grads" => f.grad(&key),
            _ => unreachable!(),
        };
        assert_eq!(want.shape, info.shape, "{key}");
        f.assert_close(&key, v, &want);
    });
}

struct Setup {
    net: Box<LeNet5>,
    ws: Box<Workspace<LeNet5, X>>,
    x: Box<X>,
    target: [usize; 2],
}

fn setup(base: &Fixture) -> Setup {
    let mut net = LeNet5::boxed();
    load_params(&mut net, base);
    let mut x = X::boxed();
    let xf = base.input("x");
    assert_eq!(xf.shape, X::SHAPE);
    x.copy_from_slice(&xf.data).unwrap();
    let t = base.input("target");
    assert_eq!(t.shape, [2]);
    let target = [t.ints[0] as usize, t.ints[1] as usize];
    Setup {
        net,
        ws: Workspace::boxed(),
        x,
        target,
    }
}

#[test]
fn lenet5_forward_backward() {
    let f = fixture::load("lenet5");
    assert_eq!(f.grad_output().data, [1.0]);
    let Setup {
        mut net,
        mut ws,
        x,
        target,
    } = setup(&f);

    let loss = ws
        .forward_backward(&mut net, &x, &SoftmaxCrossEntropy, &target)
        .unwrap();
    f.assert_close("loss", &[loss], &f.output("y"));
    f.assert_close("logits", ws.output.as_slice(), &f.output("logits"));
    assert_params(&mut ws.grads, &f, "grads", "d");

    // Eval-mode forward gives the same logits and loss (LeNet has no batch norm or dropout).
    let eval = ws
        .evaluate(&net, &x, &SoftmaxCrossEntropy, &target)
        .unwrap();
    assert_eq!(eval, loss);
    f.assert_close(
        "logits (infer)",
        ws.infer(&net, &x).as_slice(),
        &f.output("logits"),
    );

    // The input gradient: the same pass by hand, asking the first layer for dL/dx.
    let mut y = <Out<LeNet5, X>>::zeros();
    let mut dy = <Out<LeNet5, X>>::zeros();
    let mut trace = <TraceOf<LeNet5, X>>::boxed();
    let mut grads = LeNet5::boxed();
    net.forward_train(&x, &mut y, &mut trace);
    constnet::loss::softmax_cross_entropy(&y, &target, &mut dy).unwrap();
    let mut dx = x.clone();
    net.backward(Input::Grad(&mut dx), &mut trace, &dy, &mut grads);
    f.assert_close("dx", dx.as_slice(), &f.grad("dx"));
    assert_params(&mut grads, &f, "grads", "d");
}

/// Runs an optimizer case: `params.steps` training steps from the base case, then checks the
/// parameters, `loss_after`, and for two steps `loss_step2` and the gradients at step 2.
fn optimizer_case<O: Optimizer<LeNet5>>(name: &str, opt: &mut O) {
    let f = fixture::load(name);
    assert_eq!(f.param("base_case"), "lenet5.json");
    let base = fixture::load("lenet5");
    let Setup {
        mut net,
        mut ws,
        x,
        target,
    } = setup(&base);
    let steps = f.param("steps").as_u64().unwrap();
    assert!(steps == 1 || steps == 2);

    let l0 = ws
        .train_step(&mut net, &x, &SoftmaxCrossEntropy, &target, opt)
        .unwrap();
    base.assert_close("loss at p0", &[l0], &base.output("y"));
    assert_params(&mut ws.grads, &base, "grads", "d"); // g0
    if steps == 2 {
        let l1 = ws
            .train_step(&mut net, &x, &SoftmaxCrossEntropy, &target, opt)
            .unwrap();
        f.assert_close("loss_step2", &[l1], &f.output("loss_step2"));
        assert_params(&mut ws.grads, &f, "grads", "d"); // g1
    }
    assert_params(&mut net, &f, "outputs", "");
    let after = ws
        .evaluate(&net, &x, &SoftmaxCrossEntropy, &target)
        .unwrap();
    f.assert_close("loss_after", &[after], &f.output("loss_after"));
    assert!(after < l0, "the step lowered the loss: {l0} -> {after}");
}

fn sgd_config(f: &Fixture) -> SgdConfig {
    assert_eq!(f.param("optimizer"), "sgd");
    assert_eq!(f.param("dampening").as_f64(), Some(0.0));
    assert_eq!(f.param("weight_decay").as_f64(), Some(0.0));
    assert_eq!(f.param("nesterov").as_bool(), Some(false));
    SgdConfig::new(f.param("lr").as_f64().unwrap()).momentum(f.param("momentum").as_f64().unwrap())
}

fn adam_config(f: &Fixture) -> AdamConfig {
    assert_eq!(f.param("optimizer"), "adam");
    assert_eq!(f.param("weight_decay").as_f64(), Some(0.0));
    assert_eq!(f.param("amsgrad").as_bool(), Some(false));
    let b = f.param("betas").as_array().unwrap();
    AdamConfig::new(f.param("lr").as_f64().unwrap())
        .betas(b[0].as_f64().unwrap(), b[1].as_f64().unwrap())
        .eps(f.param("eps").as_f64().unwrap())
}

#[test]
fn lenet5_sgd() {
    let config = sgd_config(&fixture::load("lenet5_sgd"));
    assert_eq!(config.momentum, 0.0);
    optimizer_case("lenet5_sgd", &mut *Sgd::<LeNet5>::boxed(config));
    // The stateless form gives the same result.
    optimizer_case("lenet5_sgd", &mut PlainSgd::new(config.lr));
}

#[test]
fn lenet5_sgd_momentum() {
    let config = sgd_config(&fixture::load("lenet5_sgd_momentum"));
    assert_eq!(config.momentum, 0.9);
    let mut opt = Sgd::<LeNet5>::boxed(config);
    optimizer_case("lenet5_sgd_momentum", &mut *opt);
    assert_eq!(opt.steps(), 2);
    // A reset optimizer reproduces the run exactly (in-place reset, no new allocation).
    opt.reset(config);
    optimizer_case("lenet5_sgd_momentum", &mut *opt);
}

#[test]
fn lenet5_adam() {
    let config = adam_config(&fixture::load("lenet5_adam"));
    optimizer_case("lenet5_adam", &mut *Adam::<LeNet5>::boxed(config));
}

#[test]
fn lenet5_adam_2steps() {
    let config = adam_config(&fixture::load("lenet5_adam_2steps"));
    let mut opt = Adam::<LeNet5>::boxed(config);
    optimizer_case("lenet5_adam_2steps", &mut *opt);
    assert_eq!(opt.steps(), 2);
    opt.reset(config);
    optimizer_case("lenet5_adam_2steps", &mut *opt);
}

#[test]
fn lenet5_trains_from_a_seeded_init() {
    // 20 Adam steps on one batch of 8 random images with random labels: the network memorises
    // them.
    type X8 = Tensor<8, 1, 28, 28>;
    let mut net = init::seeded::<LeNet5, f32>(2024);
    let mut ws = Workspace::<LeNet5, X8>::boxed();
    let mut opt = Adam::<LeNet5>::boxed(AdamConfig::new(2e-3));
    let mut rng = Lcg(99);
    let mut x = X8::boxed();
    x.fill_with(|_| rng.next() as f32);
    let target: [usize; 8] = core::array::from_fn(|i| (i * 7 + 3) % 10);
    let first = ws
        .train_step(&mut net, &x, &SoftmaxCrossEntropy, &target, &mut *opt)
        .unwrap();
    assert!(
        (first - 10f32.ln()).abs() < 0.3,
        "initial loss {first} ≈ ln 10"
    );
    let mut last = first;
    for _ in 0..40 {
        last = ws
            .train_step(&mut net, &x, &SoftmaxCrossEntropy, &target, &mut *opt)
            .unwrap();
    }
    assert!(last < 0.1 * first, "{first} -> {last}");
    let logits = ws.infer(&net, &x);
    assert_eq!(constnet::loss::count_correct(logits, &target), 8);
}

// ---------------------------------------------------------------------------------------------
// Workspace gradients in f64 against finite differences of the loss, for every loss kind.

type Small = (
    Conv2d<2, 3, 3, 1, 1, Bias, f64>,
    Tanh,
    MaxPool2d<2>,
    Flatten,
    Linear<12, 4, Bias, f64>,
);
type XS = Tensor<2, 2, 4, 4, f64>;
type YS = Tensor<2, 4, 1, 1, f64>;

fn fd_workspace<F: Loss<YS>>(loss: &F, target: &F::Target, seed: u64) {
    let mut net = Small::boxed();
    init::init_params_seeded(&mut *net, seed);
    let mut rng = Lcg(seed | 1);
    let mut x = XS::boxed();
    x.fill_with(|_| rng.next());
    let mut ws = Workspace::<Small, XS>::boxed();
    ws.forward_backward(&mut net, &x, loss, target).unwrap();

    let mut analytic = Vec::new();
    ws.grads
        .for_each_tensor(|info, g| analytic.push((info.path.to_string(), g.to_vec())));
    let h = 1e-6;
    for (t, (name, a)) in analytic.iter().enumerate() {
        for (i, &ai) in a.iter().enumerate() {
            let mut eval = |delta: f64| {
                let mut p = net.clone();
                let mut k = 0;
                p.for_each_tensor(|_, v| {
                    if k == t {
                        v[i] += delta;
                    }
                    k += 1;
                });
                ws.evaluate(&p, &x, loss, target).unwrap()
            };
            let numeric = (eval(h) - eval(-h)) / (2.0 * h);
            let err = (ai - numeric).abs();
            assert!(
                err <= 1e-6 * ai.abs().max(numeric.abs()).max(1.0),
                "{name}[{i}]: analytic {ai} vs numeric {numeric}"
            );
        }
    }
    assert!(analytic.iter().any(|(_, a)| a.iter().any(|&v| v != 0.0)));
}

#[test]
fn workspace_gradients_match_finite_differences() {
    fd_workspace(&SoftmaxCrossEntropy, &[3, 0], 1);
    let mut rng = Lcg(17);
    let mut t = YS::zeros();
    t.fill_with(|_| rng.next());
    fd_workspace(&Mse, &t, 2);
    t.as_mut_slice().iter_mut().for_each(|v| *v = v.abs());
    fd_workspace(&BceWithLogits, &t, 3);
}

#[test]
fn a_failed_loss_updates_nothing() {
    let f = fixture::load("lenet5");
    let Setup {
        mut net, mut ws, x, ..
    } = setup(&f);
    let before = net.clone();
    let mut opt = Sgd::<LeNet5>::boxed(SgdConfig::new(0.1).momentum(0.9));
    let r = ws.train_step(&mut net, &x, &SoftmaxCrossEntropy, &[0, 10], &mut *opt);
    assert_eq!(
        r,
        Err(LossError::TargetOutOfRange {
            sample: 1,
            target: 10,
            classes: 10
        })
    );
    assert_eq!(opt.steps(), 0);
    assert_eq!(net.0.weight, before.0.weight);
    assert_eq!(net.11.weight, before.11.weight);
}
