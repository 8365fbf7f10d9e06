//! The counting allocator itself counts (so a zero elsewhere means something).
mod common;

#[global_allocator]
static ALLOC: common::alloc::Counting = common::alloc::Counting;

#[test]
fn counts_allocations_of_this_thread() {
    let (n, v) = common::alloc::count(|| vec![1u8; 100]);
    assert_eq!(v.len(), 100);
    assert_eq!(n, 1);
    let (n, _) = common::alloc::count(|| 1 + 1);
    assert_eq!(n, 0);
}
