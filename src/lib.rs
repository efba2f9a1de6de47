//! placeholder
pub mod error;
pub mod linalg;
pub mod model;
pub mod solver;
