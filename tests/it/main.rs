//! The integration tests, built as one binary (`cargo test --test it`): one module per topic,
//! the shared helpers of `common` compiled once. The compile-fail snapshots have their own
//! driver (`tests/compile_fail.rs`), the model zoo's types their own binary (`tests/zoo.rs`,
//! compiled side by side with this one).
//!
//! Run one topic with a filter on its module, e.g. `cargo test --test it -- kernels_reference::`.
//!
//! Built with `--cfg kernel_tests_only`, the binary holds only the kernel tests and the stack
//! budget: `.ci/run` builds it so a second time, with the `small-stack` feature, without
//! compiling every other module for that feature.
#![cfg_attr(kernel_tests_only, allow(dead_code, unused_imports))]

mod common;

// One counting allocator for the whole binary. It counts only the allocations made by the thread
// inside `common::alloc::count`, so tests running in parallel do not disturb each other.
#[global_allocator]
static ALLOC: common::alloc::Counting = common::alloc::Counting;

// The kernels against naive references, and the stack budget: also built alone (see above).
mod kernels_reference;
mod stack_budget;

// Everything else.
#[cfg(not(kernel_tests_only))]
mod alloc_free_benchmarks;
#[cfg(not(kernel_tests_only))]
mod alloc_free_blocks;
#[cfg(not(kernel_tests_only))]
mod alloc_free_lenet;
#[cfg(not(kernel_tests_only))]
mod blocks;
#[cfg(all(feature = "std", not(kernel_tests_only)))]
mod const_zero;
#[cfg(not(kernel_tests_only))]
mod conv_family;
#[cfg(all(feature = "std", not(kernel_tests_only)))]
mod data_fuzz;
#[cfg(all(feature = "std", not(kernel_tests_only)))]
mod data_loaders;
#[cfg(not(kernel_tests_only))]
mod depthwise_reference;
#[cfg(all(feature = "std", not(kernel_tests_only)))]
mod embedded_assets;
#[cfg(not(kernel_tests_only))]
mod fixtures_layers;
#[cfg(not(kernel_tests_only))]
mod gradcheck_core;
#[cfg(not(kernel_tests_only))]
mod inference;
#[cfg(not(kernel_tests_only))]
mod losses;
#[cfg(not(kernel_tests_only))]
mod optim_lenet;
#[cfg(not(kernel_tests_only))]
mod safetensors;
#[cfg(not(kernel_tests_only))]
mod safetensors_fuzz;
#[cfg(not(kernel_tests_only))]
mod safetensors_oracle;
#[cfg(not(kernel_tests_only))]
mod smoke;
#[cfg(not(kernel_tests_only))]
mod summary;
#[cfg(not(kernel_tests_only))]
mod train_workflow;
#[cfg(not(kernel_tests_only))]
mod with_element;
