//! Kernel benchmarks (criterion, f32, single thread): `cargo bench -p constnet-benches --bench kernels`.
//!
//! Every workload reports its throughput in GFLOP/s (criterion's "elem/s" with one element per
//! floating-point operation, 2 per multiply-add). The first benchmark measures the machine's f32
//! FMA peak in the same run, and a summary table at the end gives each workload's time,
//! GFLOP/s and percentage of that peak, from criterion's estimate and from its best sample
//! (timings on a shared machine are noisy: compare within a run). A filter argument selects
//! workloads by name (`cargo bench -p constnet-benches --bench kernels W2`); criterion treats it as a regular
//! expression, so the peak, which the summary needs, is selected with it: `'peak|W5'`.

mod common;

use criterion::{Criterion, Throughput};
use std::path::PathBuf;
use std::time::{Duration, Instant};

fn main() {
    let out_dir = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("target"))
        .join("criterion");
    let filter: Option<String> = std::env::args().skip(1).find(|a| !a.starts_with('-'));
    let mut c = Criterion::default()
        .output_directory(&out_dir)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
        .configure_from_args();
    let mut rows = Vec::new();
    for (name, what, make) in common::all() {
        // (`|` separates alternatives, as in criterion's regular-expression filter)
        if name != "peak"
            && filter
                .as_deref()
                .is_some_and(|f| !f.split('|').any(|f| name.contains(f)))
        {
            continue;
        }
        let mut w = make();
        if let Some(info) = w.info() {
            println!("{info}");
        }
        let flops = w.flops();
        let mut g = c.benchmark_group("kernels");
        if flops > 0 {
            g.throughput(Throughput::Elements(flops));
        }
        g.bench_function(name, |b| {
            if w.needs_reset() {
                // Inputs overwritten by the run are restored outside the timed region.
                b.iter_custom(|iters| {
                    let mut t = Duration::ZERO;
                    for _ in 0..iters {
                        w.reset();
                        let start = Instant::now();
                        w.run();
                        t += start.elapsed();
                    }
                    t
                })
            } else {
                b.iter(|| w.run())
            }
        });
        g.finish();
        rows.push((name, what, flops));
    }
    c.final_summary();

    // Summary from criterion's own measurements of this run: its estimate (slope or mean) and
    // the best of its samples (the sample least disturbed by other processes on a shared
    // machine; each sample averages many iterations).
    let dir = |name: &str| out_dir.join("kernels").join(name).join("new");
    let read = |name: &str, file: &str| -> Option<serde_json::Value> {
        serde_json::from_str(&std::fs::read_to_string(dir(name).join(file)).ok()?).ok()
    };
    let estimate = |name: &str| -> Option<f64> {
        let v = read(name, "estimates.json")?;
        let e = v
            .get("slope")
            .filter(|s| !s.is_null())
            .or_else(|| v.get("mean"))?;
        e["point_estimate"].as_f64()
    };
    let best = |name: &str| -> Option<f64> {
        let v = read(name, "sample.json")?;
        let (iters, times) = (v["iters"].as_array()?, v["times"].as_array()?);
        iters
            .iter()
            .zip(times)
            .filter_map(|(i, t)| Some(t.as_f64()? / i.as_f64()?))
            .min_by(f64::total_cmp)
    };
    let (Some(peak_ns), Some(peak_best)) = (estimate("peak"), best("peak")) else {
        return;
    };
    let peak = rows[0].2 as f64 / peak_ns;
    let peak_b = rows[0].2 as f64 / peak_best;
    let time = |ns: f64| {
        if ns >= 1e6 {
            format!("{:.2} ms", ns / 1e6)
        } else {
            format!("{:.1} µs", ns / 1e3)
        }
    };
    println!(
        "\n| workload | time | GFLOP/s | % of peak | best sample | GFLOP/s | % of peak | what |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|---|");
    for (name, what, flops) in rows {
        let (Some(ns), Some(b)) = (estimate(name), best(name)) else {
            continue;
        };
        if flops > 0 {
            let (gf, gb) = (flops as f64 / ns, flops as f64 / b);
            println!(
                "| {name} | {} | {gf:.1} | {:.0} % | {} | {gb:.1} | {:.0} % | {what} |",
                time(ns),
                100.0 * gf / peak,
                time(b),
                100.0 * gb / peak_b
            );
        } else {
            println!(
                "| {name} | {} | – | – | {} | – | – | {what} |",
                time(ns),
                time(b)
            );
        }
    }
}
