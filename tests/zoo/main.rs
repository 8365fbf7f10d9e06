//! The model zoo's types (`cargo test --test zoo`): every network of `constnet::models` checks
//! its shapes, has torchvision's parameter counts and weight names, and runs.
//!
//! A binary of its own, apart from `tests/it`: the zoo's deep types are a third of the
//! monomorphized code of the tests, and two test crates compile side by side on two cores.

mod models;
