//! The profiling driver of `benches/profile.rs`, built as a crate that depends on constnet
//! with no flags and the default release profile: `target/release/constnet-dependent W2f 30`.
//! See `Cargo.toml` for how to build it.

#[path = "../../common/mod.rs"]
mod common;

fn main() {
    common::profile_main();
}
