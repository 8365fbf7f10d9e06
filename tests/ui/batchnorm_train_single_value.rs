// Batch norm on a 1 × 1 map at batch 1 runs in eval mode, but cannot be trained: the training
// step is rejected by `cargo check`.
use constnet::prelude::*;

type Head = (Conv2d<3, 8, 3>, GlobalAvgPool2d, BatchNorm2d<8>, Flatten, Linear<8, 2>);
type X = Tensor<1, 3, 8, 8>;

fn main() {
    let mut net = constnet::init::seeded::<Head, f32>(1);
    let x = X::zeros();
    // Inference is fine.
    let mut y = Out::<Head, X>::zeros();
    let mut arena = vec![0.0f32; arena_len::<Head, X>()];
    net.infer(&x, &mut y, &mut arena).unwrap();
    // Training is not.
    let mut ws = Workspace::<Head, X>::boxed();
    let mut sgd = Sgd::<Head>::boxed(SgdConfig::new(0.1));
    let _ = ws.train_step(&mut *net, &x, &SoftmaxCrossEntropy, &[0], &mut *sgd);
}
