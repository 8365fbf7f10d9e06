//! Runs one workload of the kernel benchmarks a fixed number of times, without criterion, for
//! instruction-level profiling and min-of-N timings (`benches/pytorch/compare.py` runs it):
//!
//! ```text
//! cargo bench -p constnet-benches --bench profile --no-run
//! target/release/deps/profile-<hash> W2f 30        # min / median of 30 runs
//! valgrind --tool=callgrind target/release/deps/profile-<hash> W2b 3
//! callgrind_annotate callgrind.out.<pid>
//! ```
//!
//! `benches/dependent/` builds the same driver as a crate that depends on constnet.

mod common;

fn main() {
    common::profile_main();
}
