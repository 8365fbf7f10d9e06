//! Shared test utilities: the PyTorch fixture reader and the finite-difference gradient checker.
#![allow(dead_code)]

pub mod alloc;
pub mod fixture;
pub mod gradcheck;
