//! Runs one workload of the kernel benchmarks a fixed number of times, without criterion, for
//! instruction-level profiling:
//!
//! ```text
//! cargo bench --bench profile --no-run
//! valgrind --tool=callgrind target/release/deps/profile-<hash> W2b 3
//! callgrind_annotate callgrind.out.<pid>
//! ```

mod common;

fn main() {
    let mut args = std::env::args().skip(1).filter(|a| !a.starts_with('-'));
    let name = args.next().unwrap_or_else(|| "W2f".into());
    let times: usize = args.next().and_then(|s| s.parse().ok()).unwrap_or(10);
    let Some((_, what, make)) = common::all().into_iter().find(|w| w.0 == name) else {
        eprintln!("unknown workload {name}");
        std::process::exit(2);
    };
    let mut w = make();
    let mut t = Vec::with_capacity(times);
    for _ in 0..times {
        w.reset();
        let start = std::time::Instant::now();
        w.run();
        t.push(start.elapsed().as_secs_f64());
    }
    t.sort_by(f64::total_cmp);
    // The minimum is the run least disturbed by other processes on a shared machine.
    let (min, med) = (t[0], t[t.len() / 2]);
    println!(
        "{name:>16}: min {:8.1} µs ({:6.2} GFLOP/s), median {:8.1} µs  — {what}",
        min * 1e6,
        w.flops() as f64 / min / 1e9,
        med * 1e6,
    );
}
