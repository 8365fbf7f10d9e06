use constnet::models::LeNet5;
use constnet::prelude::*;

#[test]
fn lenet_chain_runs() {
    let mut net = LeNet5::boxed();
    let mut grads = LeNet5::boxed();
    let mut trace = <TraceOf<LeNet5, Tensor<4, 1, 28, 28>>>::boxed();
    let mut x = Tensor::<4, 1, 28, 28>::zeros();
    x.fill_with(|i| (i % 7) as f32 * 0.1);
    net.for_each_tensor(|_, v| {
        v.iter_mut()
            .enumerate()
            .for_each(|(i, w)| *w = ((i * 37 % 11) as f32 - 5.0) * 0.02)
    });
    let mut y = Tensor::<4, 10, 1, 1>::zeros();
    net.forward_train(&x, &mut y, &mut trace);
    let dy = y;
    net.backward(Input::Keep(&x), &mut trace, &dy, &mut grads);
    assert_eq!(
        net.num_params(),
        6 * 25 + 6 + 16 * 150 + 16 + 256 * 120 + 120 + 120 * 84 + 84 + 84 * 10 + 10
    );
    let mut total = 0.0;
    grads.for_each_tensor(|_, g| total += g.iter().map(|v| v.abs()).sum::<f32>());
    assert!(total > 0.0);
}
