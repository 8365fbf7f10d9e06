//! Gradient-descent optimizers (being written).
