//! Networks from the literature as types (being written).
