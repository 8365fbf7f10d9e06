//! Every benchmarked step allocates nothing: each workload of `benches/kernels.rs` (the same
//! code, `benches/common/mod.rs`) runs twice under the counting allocator (the first run, and one
//! on warm buffers).
//! Also checks that the allocator itself counts, so the zeros mean something.

use crate::common;
#[path = "../../benches/common/mod.rs"]
mod workloads;

#[test]
fn the_allocator_counts() {
    let (n, v) = common::alloc::count(|| vec![1u8; 100]);
    assert_eq!(v.len(), 100);
    assert_eq!(n, 1);
    let (n, _) = common::alloc::count(|| 1 + 1);
    assert_eq!(n, 0);
}

/// Runs the workloads whose names `pick` accepts under the counting allocator; how many ran.
fn check_workloads(pick: impl Fn(&str) -> bool) -> usize {
    let all = workloads::all();
    assert!(all.len() >= 10, "the benchmark list lost workloads");
    let mut ran = 0;
    for (name, what, make) in all.into_iter().filter(|(name, ..)| pick(name)) {
        let mut w = make();
        // (the ResNets, 3.6 to 87 GFLOP a run, once: a second run of the same code would only
        // cost test time)
        let runs = if name.starts_with('R') { 1 } else { 2 };
        for run in 1..=runs {
            w.reset();
            let (n, ()) = common::alloc::count(|| w.run());
            assert_eq!(n, 0, "{name} ({what}) allocated {n} times in run {run}");
        }
        ran += 1;
    }
    ran
}

// Three tests rather than one, so that the test threads share the work (the ResNet-18 training
// step alone is 87 GFLOP).

#[test]
fn every_benchmarked_kernel_step_allocates_nothing() {
    assert!(check_workloads(|name| !name.starts_with('R')) >= 10);
}

#[test]
fn every_benchmarked_model_step_but_resnet18_training_allocates_nothing() {
    assert!(check_workloads(|name| name.starts_with('R') && name != "R18t") >= 2);
}

#[test]
fn resnet_training_step_allocates_nothing() {
    assert_eq!(check_workloads(|name| name == "R18t"), 1);
}
