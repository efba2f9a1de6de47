//! The simulations on every core: a pool of Web Workers (`www/pool.js`, each running
//! `www/worker.js` with this same engine) that run a figure's simulation tasks side by side.
//!
//! - **The page's side** ([`WorkerPool`]): cards submit their tasks to idle workers once per
//!   animation frame, and take the results that arrived ([`PoolMessage`]) with
//!   [`crate::experiments::SimulationRun::accept`]. Results are filed in task order, so the figure
//!   is the same for any number of workers and any order of arrival (tested end to end for 0–3
//!   workers). An edit or a pause cancels the run's tasks at once: their workers are terminated
//!   and replaced.
//! - **The worker's side** ([`run_worker_task`]): rebuilds the figure's task list from the
//!   configuration text (kept while the text stays the same) and runs one task from scratch.
//! - **Message passing only**: the page posts its compiled `WebAssembly.Module` (so the `.wasm`
//!   is downloaded and compiled once) and a result comes back as a `Float64Array`
//!   ([`crate::experiments::TaskResult`]); no `SharedArrayBuffer`, so no cross-origin isolation
//!   headers, and the page embeds anywhere.
//! - **Fallback**: without module workers, or if one fails to start, the pool reports the
//!   problem and the page runs the simulations itself in slices, as with `workers=0`.

use std::cell::RefCell;

use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use crate::config::Config;
use crate::experiments::{Experiment, SimulationRun, TaskResult};

#[wasm_bindgen(module = "/www/pool.js")]
extern "C" {
    /// The pool of `www/pool.js`.
    pub type SimulationPool;

    #[wasm_bindgen(constructor)]
    fn new(size: u32, module: &JsValue) -> SimulationPool;

    /// Why the pool cannot run tasks (empty when it can).
    #[wasm_bindgen(method, getter)]
    fn problem(this: &SimulationPool) -> String;

    /// Workers started and ready.
    #[wasm_bindgen(method, getter)]
    fn ready(this: &SimulationPool) -> u32;

    #[wasm_bindgen(method)]
    fn idle(this: &SimulationPool) -> u32;

    #[wasm_bindgen(method)]
    fn submit(this: &SimulationPool, run: u32, index: u32, count: u32, config: &str) -> bool;

    #[wasm_bindgen(method)]
    fn cancel(this: &SimulationPool, run: u32) -> u32;

    #[wasm_bindgen(method)]
    fn drain(this: &SimulationPool) -> js_sys::Array;

    #[wasm_bindgen(method)]
    fn close(this: &SimulationPool);

    /// One message of the pool ([`WorkerPool::drain`]).
    pub type PoolMessage;

    #[wasm_bindgen(method, getter)]
    fn kind(this: &PoolMessage) -> u32;

    #[wasm_bindgen(method, getter)]
    fn run(this: &PoolMessage) -> u32;

    #[wasm_bindgen(method, getter)]
    fn index(this: &PoolMessage) -> u32;

    #[wasm_bindgen(method, getter)]
    fn fraction(this: &PoolMessage) -> f64;

    #[wasm_bindgen(method, getter)]
    fn numbers(this: &PoolMessage) -> Option<Vec<f64>>;
}

/// What a worker reported about a task.
pub enum Report {
    /// The fraction of the task done.
    Progress(f64),
    /// The task's result (already checked: malformed numbers are [`Report::Lost`]).
    Done(TaskResult),
    /// The task did not finish in the worker; the page must run it.
    Lost,
}

/// The page's pool of simulation workers.
pub struct WorkerPool {
    pool: SimulationPool,
    size: usize,
}

impl WorkerPool {
    /// A pool of `size` workers (started on the first task), sharing this page's compiled
    /// engine.
    pub fn new(size: usize) -> WorkerPool {
        let size = size.clamp(1, crate::playground::MAX_WORKERS);
        WorkerPool {
            pool: SimulationPool::new(size as u32, &wasm_bindgen::module()),
            size,
        }
    }

    /// Why the pool cannot run tasks, if it cannot (the page then runs them itself).
    pub fn problem(&self) -> Option<String> {
        Some(self.pool.problem()).filter(|problem| !problem.is_empty())
    }

    /// The pool's size.
    pub fn size(&self) -> usize {
        self.size
    }

    /// Workers started and ready.
    pub fn ready(&self) -> u32 {
        self.pool.ready()
    }

    /// Idle workers.
    pub fn idle(&self) -> usize {
        self.pool.idle() as usize
    }

    /// Gives task `index` of run `run` to an idle worker; false when none is idle.
    pub fn submit(&self, run: u32, index: usize, count: usize, config_text: &str) -> bool {
        self.pool
            .submit(run, index as u32, count as u32, config_text)
    }

    /// Stops every task of run `run` at once.
    pub fn cancel(&self, run: u32) {
        self.pool.cancel(run);
    }

    /// The reports since the last call: (run, task index, report).
    pub fn drain(&self) -> Vec<(u32, usize, Report)> {
        self.pool
            .drain()
            .iter()
            .map(|message| {
                let message: PoolMessage = message.unchecked_into();
                let report = match message.kind() {
                    0 => Report::Progress(message.fraction()),
                    1 => message
                        .numbers()
                        .and_then(|numbers| TaskResult::decode(&numbers))
                        .map_or(Report::Lost, Report::Done),
                    _ => Report::Lost,
                };
                (message.run(), message.index() as usize, report)
            })
            .collect()
    }
}

impl Drop for WorkerPool {
    fn drop(&mut self) {
        self.pool.close();
    }
}

thread_local! {
    /// The worker's current figure: its configuration text and simulation (tasks only).
    static WORKER_RUN: RefCell<Option<(String, SimulationRun)>> = const { RefCell::new(None) };
}

/// Runs task `index` of the figure of `config_text` (a card's canonical configuration, whose
/// simulation has `count` tasks) in a Web Worker, calling `progress` with the fraction done at
/// most every 100 ms; returns the encoded [`TaskResult`] (a failure's reason when the text
/// does not build that figure).
#[wasm_bindgen]
pub fn run_worker_task(
    config_text: &str,
    index: usize,
    count: usize,
    progress: &js_sys::Function,
) -> Vec<f64> {
    WORKER_RUN.with(|cell| {
        let mut cached = cell.borrow_mut();
        if cached.as_ref().is_none_or(|(text, _)| text != config_text) {
            *cached = Config::parse(config_text)
                .ok()
                .and_then(|config| Experiment::new(&config).ok())
                .map(|experiment| (config_text.to_string(), experiment.simulation()));
        }
        let result = match cached.as_ref() {
            Some((_, run)) if run.ensembles() == count => {
                let mut reported = js_sys::Date::now();
                run.run_task(index, 1_000_000, |fraction| {
                    let now = js_sys::Date::now();
                    if now - reported >= 100.0 {
                        reported = now;
                        let _ = progress.call1(&JsValue::NULL, &JsValue::from_f64(fraction));
                    }
                })
            }
            _ => None,
        };
        result
            .unwrap_or_else(|| {
                TaskResult::failed(format!(
                    "the worker could not build task {index} of {count} of this figure"
                ))
            })
            .encode()
    })
}
