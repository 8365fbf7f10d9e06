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

#[test]
fn every_benchmarked_step_allocates_nothing() {
    let all = workloads::all();
    assert!(all.len() >= 10, "the benchmark list lost workloads");
    for (name, what, make) in all {
        let mut w = make();
        // (the ResNets, 3.6 to 87 GFLOP a run, once: a second run of the same code would only
        // cost test time)
        let runs = if name.starts_with('R') { 1 } else { 2 };
        for run in 1..=runs {
            w.reset();
            let (n, ()) = common::alloc::count(|| w.run());
            assert_eq!(n, 0, "{name} ({what}) allocated {n} times in run {run}");
        }
    }
}
