//! The native integration tests, as one test binary (the nalgebra / ripgrep layout): one link
//! instead of fifteen, which is most of a test build's time on two cores. Each module is the
//! former `tests/<name>.rs`; run one with `cargo test --test it <name>::`.
//!
//! The browser tests (`tests/web.rs`) stay a binary of their own: wasm-pack runs them in
//! headless Chromium.
#![cfg(not(target_arch = "wasm32"))]

mod adaptive;
mod cli;
mod closed_forms;
mod common;
mod config;
mod conventions;
mod experiments;
mod explorer;
mod figures;
mod fuzz;
mod native_fixture;
mod panels_apps;
mod phase;
mod playground;
mod readme;
mod schedule;
mod simulate;
mod solver;
mod threads;
