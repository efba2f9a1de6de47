//! placeholder crate doc (rewritten at the end)
pub mod cli;
pub mod closed_forms;
pub mod config;
pub mod error;
pub mod json;
pub mod linalg;
pub mod model;
pub mod sim;
pub mod solver;
#[cfg(target_arch = "wasm32")]
pub mod web;
