//! Model summary: per-layer rows whose totals are `size_of` of the real types.
use crate::common;

use constnet::prelude::*;
use constnet::summary::{Row, depth, for_each_row, summary};
use constnet::visit::Path;
use std::mem::size_of;

use common::LeNet5Of as LeNet;
type X1 = Tensor<1, 1, 28, 28>;

/// Sums of the layer rows (chains excluded, they repeat their elements' numbers).
fn leaf_sums(rows: &[constnet::summary::Entry]) -> (usize, u64, usize, usize) {
    rows.iter()
        .filter(|e| !e.row.is_chain())
        .fold((0, 0, 0, 0), |(p, f, b, t), e| {
            (
                p + e.row.params,
                f + e.row.flops,
                b + e.row.param_bytes,
                t + e.row.training_bytes(),
            )
        })
}

#[test]
fn lenet5_totals_are_the_sizes_of_the_types() {
    let mut net = LeNet::<f32>::boxed();
    let s = summary::<X1, _>(&mut *net);

    // Parameters: conv 6·1·5·5+6, conv 16·6·5·5+16, dense 256·120+120, 120·84+84, 84·10+10.
    let params =
        (6 * 25 + 6) + (16 * 6 * 25 + 16) + (256 * 120 + 120) + (120 * 84 + 84) + (84 * 10 + 10);
    assert_eq!(params, 44_426);
    assert_eq!(s.total.params, params);
    assert_eq!(s.total.params, net.num_params());
    assert_eq!(s.total.buffers, 0);

    // No buffers: the model is exactly its parameters.
    assert_eq!(s.total.param_bytes, size_of::<LeNet>());
    assert_eq!(size_of::<LeNet>(), params * 4);

    // Trace: every intermediate activation the chain keeps (all outputs but the last) plus
    // the two max-pool arg-max tensors (u32), batch of 1.
    let activations = 2 * 6 * 24 * 24 + 6 * 12 * 12 + 2 * 16 * 8 * 8 + 256 + 256 + 2 * 120 + 2 * 84;
    let argmax = 6 * 12 * 12 + 16 * 4 * 4;
    assert_eq!(s.total.trace_bytes, (activations + argmax) * 4);
    assert_eq!(s.total.trace_bytes, size_of::<TraceOf<LeNet, X1>>());
    assert_eq!(
        s.total.output_bytes, 0,
        "the network's output belongs to the caller"
    );

    // FLOPs: 2 per multiply-add.
    let flops = 2 * (6 * 24 * 24 * 25 + 16 * 8 * 8 * 6 * 25 + 256 * 120 + 120 * 84 + 84 * 10);
    assert_eq!(s.total.flops, flops);
    assert_eq!(s.total.flops, <LeNet as Layer<X1>>::flops());

    // The rows add up to the totals.
    assert_eq!(s.rows.len(), 12);
    assert_eq!(
        leaf_sums(&s.rows),
        (
            s.total.params,
            s.total.flops,
            s.total.param_bytes,
            s.total.trace_bytes
        )
    );
    assert_eq!(s.input_bytes, size_of::<X1>());
    assert_eq!(s.output_bytes, size_of::<Tensor<1, 10, 1, 1>>());
    assert_eq!(
        s.training_step_bytes(),
        2 * size_of::<LeNet>()
            + size_of::<TraceOf<LeNet, X1>>()
            + size_of::<X1>()
            + size_of::<Tensor<1, 10, 1, 1>>()
    );

    // Inference: the arena holds two activations at a time (conv1's output, where ReLU runs
    // in place, and the first pool's output), not the trace.
    assert_eq!(s.total.arena_bytes, (6 * 24 * 24 + 6 * 12 * 12) * 4);
    assert_eq!(
        s.total.arena_bytes,
        constnet::layer::arena_len::<LeNet, X1>() * 4
    );
    assert_eq!(
        s.inference_bytes(),
        size_of::<LeNet>()
            + s.total.arena_bytes
            + size_of::<X1>()
            + size_of::<Tensor<1, 10, 1, 1>>()
    );
    assert!(
        s.to_string()
            .contains("Inference (model + arena + input + output): 198,160 B")
    );
}

#[test]
fn lenet5_rows() {
    let mut net = LeNet::<f32>::boxed();
    let s = summary::<X1, _>(&mut *net);
    let names: Vec<&str> = s.rows.iter().map(|e| e.path.as_str()).collect();
    assert_eq!(
        names,
        ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11"]
    );
    let r = |i: usize| &s.rows[i].row;

    // Module paths stripped; rustc's `type_name` leaves out default generic arguments.
    assert_eq!(r(0).short_name().to_string(), "Conv2d<1, 6, 5>");
    assert_eq!(r(1).short_name().to_string(), "Relu");
    assert_eq!(r(2).short_name().to_string(), "MaxPool2d<2>");
    assert_eq!(r(7).short_name().to_string(), "Linear<256, 120>");

    assert_eq!(r(0).output_shape, [1, 6, 24, 24]);
    assert_eq!(r(2).output_shape, [1, 6, 12, 12]);
    assert_eq!(r(6).output_shape, [1, 256, 1, 1]);
    assert_eq!(r(11).output_shape, [1, 10, 1, 1]);

    assert_eq!((r(0).params, r(0).flops), (156, 2 * 6 * 24 * 24 * 25));
    assert_eq!((r(7).params, r(7).param_bytes), (30_840, 30_840 * 4));
    assert_eq!((r(1).params, r(1).param_bytes, r(1).flops), (0, 0, 0));

    // Conv output held by the chain: 6·24·24 floats, no own trace.
    assert_eq!((r(0).trace_bytes, r(0).output_bytes), (0, 6 * 24 * 24 * 4));
    // Max pool: arg-max (u32) plus its output.
    assert_eq!(
        (r(2).trace_bytes, r(2).output_bytes),
        (6 * 12 * 12 * 4, 6 * 12 * 12 * 4)
    );
    // The last layer's output is not in the trace.
    assert_eq!(r(11).output_bytes, 0);
    assert!(s.rows.iter().all(|e| e.depth == 1));
}

#[test]
fn trace_grows_with_the_batch_and_f64_doubles_bytes() {
    let mut net = LeNet::<f32>::boxed();
    let s4 = summary::<Tensor<4, 1, 28, 28>, _>(&mut *net);
    let s1 = summary::<X1, _>(&mut *net);
    assert_eq!(s4.total.trace_bytes, 4 * s1.total.trace_bytes);
    assert_eq!(
        s4.total.trace_bytes,
        size_of::<TraceOf<LeNet, Tensor<4, 1, 28, 28>>>()
    );
    assert_eq!(s4.total.flops, 4 * s1.total.flops);
    assert_eq!(s4.total.param_bytes, s1.total.param_bytes);
    assert_eq!(s4.rows[0].row.output_shape, [4, 6, 24, 24]);

    type X64 = Tensor<1, 1, 28, 28, f64>;
    let mut net64 = LeNet::<f64>::boxed();
    let d = summary::<X64, _>(&mut *net64);
    assert_eq!(d.total.param_bytes, size_of::<LeNet<f64>>());
    assert_eq!(d.total.param_bytes, 2 * s1.total.param_bytes);
    assert_eq!(d.total.trace_bytes, size_of::<TraceOf<LeNet<f64>, X64>>());
    assert_eq!(d.total.params, 44_426);
    assert_eq!(
        d.rows[0].row.short_name().to_string(),
        "Conv2d<1, 6, 5, 1, 0, Bias, f64>"
    );
}

/// Chains inside chains: a row per chain, then its elements, named `i.j`.
type Nested = (
    (Conv2d<3, 4, 3, 1, 1>, Relu),
    MaxPool2d<2>,
    ((Conv2d<4, 8, 3>, Relu), MaxPool2d<2>),
    (Linear<32, 5>,),
);
type XN = Tensor<2, 3, 12, 12>;

#[test]
fn nested_chains() {
    let mut net = Nested::boxed();
    let s = summary::<XN, _>(&mut *net);
    println!("{s}");
    let names: Vec<(&str, usize, usize)> = s
        .rows
        .iter()
        .map(|e| (e.path.as_str(), e.depth, e.row.children))
        .collect();
    assert_eq!(
        names,
        [
            ("0", 1, 2),
            ("0.0", 2, 0),
            ("0.1", 2, 0),
            ("1", 1, 0),
            ("2", 1, 2),
            ("2.0", 2, 2),
            ("2.0.0", 3, 0),
            ("2.0.1", 3, 0),
            ("2.1", 2, 0),
            ("3", 1, 1),
            ("3.0", 2, 0),
        ]
    );
    assert_eq!(s.total.param_bytes, size_of::<Nested>());
    assert_eq!(s.total.trace_bytes, size_of::<TraceOf<Nested, XN>>());
    assert_eq!(
        leaf_sums(&s.rows),
        (
            s.total.params,
            s.total.flops,
            s.total.param_bytes,
            s.total.trace_bytes
        )
    );
    // Each chain row equals the sum of its direct elements.
    let row = |p: &str| s.rows.iter().find(|e| e.path == p).unwrap().row;
    let inner = row("2");
    let parts = [row("2.0"), row("2.1")];
    assert_eq!(inner.params, parts.iter().map(|r| r.params).sum::<usize>());
    assert_eq!(
        inner.training_bytes(),
        parts.iter().map(Row::training_bytes).sum::<usize>()
    );
    // The last element of an inner chain hands its output to the outer chain's trace.
    assert_eq!(row("2.1").output_bytes, size_of::<Tensor<2, 8, 2, 2>>());
    assert_eq!(row("3.0").output_bytes, 0);
    assert_eq!(row("3").output_shape, [2, 5, 1, 1]);
}

#[test]
fn a_single_layer_is_its_own_row() {
    let mut conv = <Conv2d<3, 4, 3>>::zeroed();
    let s = summary::<Tensor<2, 3, 8, 8>, _>(&mut conv);
    assert_eq!(s.rows.len(), 1);
    assert_eq!(s.rows[0].path, "");
    assert_eq!(s.rows[0].row, s.total);
    assert_eq!(s.total.params, 4 * 3 * 9 + 4);
    assert_eq!(s.total.param_bytes, size_of::<Conv2d<3, 4, 3>>());
    assert_eq!(s.total.output_shape, [2, 4, 6, 6]);
}

#[test]
fn walking_rows_does_not_allocate() {
    let mut net = LeNet::<f32>::boxed();
    let (allocs, (rows, max_depth)) = common::alloc::count(|| {
        let (mut rows, mut max_depth) = (0, 0);
        for_each_row::<X1, _>(&mut *net, |path: &Path<'_>, _: &Row| {
            rows += 1;
            max_depth = max_depth.max(depth(path));
        });
        (rows, max_depth)
    });
    assert_eq!(allocs, 0);
    assert_eq!(
        (rows, max_depth),
        (13, 1),
        "the chain's row, then its 12 layers"
    );
}

#[test]
fn table_prints() {
    let mut net = LeNet::<f32>::boxed();
    let text = summary::<X1, _>(&mut *net).to_string();
    println!("{text}");
    assert!(text.contains("Conv2d<6, 16, 5>"), "{text}");
    let total = text.lines().find(|l| l.starts_with("Total")).unwrap();
    assert!(total.contains("44,426"), "{total}");
    assert!(total.contains("177,704"), "{total}");
    assert!(total.contains("47,456"), "{total}");
    assert!(total.contains("563,280"), "{total}");
    assert_eq!(text.lines().filter(|l| l.contains("Relu")).count(), 4);
}
