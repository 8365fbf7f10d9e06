//! The embedded example's assets (`embedded/lenet5/assets/`) agree with the standard-library
//! path: its trained weights classify its bundled digits well, and `predictions.txt` (which CI
//! compares with the embedded program's output) is what `forward` predicts, and what the
//! allocation-free path of the embedded program (`load_bytes`, `infer`) predicts here.
use constnet::data::MNIST;
use constnet::models::LeNet5;
use constnet::prelude::*;

fn asset(name: &str) -> Vec<u8> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/embedded/lenet5/assets/");
    std::fs::read(format!("{path}{name}")).unwrap_or_else(|e| panic!("{name}: {e}"))
}

#[test]
fn predictions_are_the_std_paths() {
    let weights = asset("lenet5.safetensors");
    let digits = asset("digits.bin");
    let expected = String::from_utf8(asset("predictions.txt")).unwrap();
    let n = digits.len() / 785;
    assert_eq!(n, 100);
    let (images, labels) = digits.split_at(n * 784);

    let mut net = LeNet5::boxed();
    constnet::io::from_bytes(&mut *net, &weights).unwrap();
    let mut raw = LeNet5::boxed();
    constnet::io::load_bytes(&mut *raw, &weights).unwrap();
    type X = Tensor<1, 1, 28, 28>;
    let mut x = X::zeroed();
    let (mut y, mut z) = (Out::<LeNet5, X>::zeroed(), Out::<LeNet5, X>::zeroed());
    let mut trace = TraceOf::<LeNet5, X>::boxed();
    let mut arena = vec![0.0; arena_len::<LeNet5, X>()];
    let argmax = |v: &[f32]| (0..v.len()).fold(0, |b, j| if v[j] > v[b] { j } else { b });
    let (mut line, mut correct) = (String::from("predictions:"), 0);
    for (image, &label) in images.chunks_exact(784).zip(labels) {
        for (v, &p) in x.as_mut_slice().iter_mut().zip(image) {
            *v = MNIST.apply(0, p);
        }
        net.forward(&x, &mut y, &mut trace);
        raw.infer(&x, &mut z, &mut arena).unwrap();
        assert_eq!(y, z);
        let digit = argmax(y.as_slice());
        correct += usize::from(digit == usize::from(label));
        line.push_str(&format!(" {digit}"));
    }
    line.push('\n');
    assert_eq!(line, expected);
    assert!(correct >= 97, "{correct} of {n}");
}
