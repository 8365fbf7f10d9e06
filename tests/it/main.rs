//! The integration tests, built as one binary (`cargo test --test it`): one module per topic,
//! the shared helpers of `common` compiled once. The compile-fail snapshots have their own
//! driver (`tests/compile_fail.rs`).
//!
//! Run one topic with a filter on its module, e.g. `cargo test --test it -- kernels_reference::`.

mod common;

// One counting allocator for the whole binary. It counts only the allocations made by the thread
// inside `common::alloc::count`, so tests running in parallel do not disturb each other.
#[global_allocator]
static ALLOC: common::alloc::Counting = common::alloc::Counting;

mod alloc_free_benchmarks;
mod alloc_free_blocks;
mod alloc_free_lenet;
mod blocks;
mod conv_family;
#[cfg(feature = "std")]
mod data_fuzz;
#[cfg(feature = "std")]
mod data_loaders;
mod depthwise_reference;
mod fixtures_layers;
mod gradcheck_core;
mod kernels_reference;
mod losses;
mod models;
mod optim_lenet;
mod safetensors;
mod safetensors_fuzz;
mod smoke;
mod stack_budget;
mod summary;
mod train_workflow;
