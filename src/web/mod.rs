//! The browser layer (wasm32 only): mounts the playground page ([`app::mount`]) into the page's
//! `#app` element from the URL query, and exports the benchmark hooks of `scripts/bench-wasm.cjs`.
//!
//! This layer only converts (URL text → configuration via [`crate::playground`], data → canvas
//! via [`crate::figures`]) and dispatches events. Everything taken from the URL reaches the page
//! through `textContent` or an attribute value, never as HTML.

pub mod app;
pub mod card;
pub mod dom;
pub mod events;
pub mod form;
pub mod measure;
pub mod solver;
pub mod workers;

use std::cell::RefCell;
use std::rc::Rc;

use wasm_bindgen::prelude::*;

pub use app::{mount, App};

/// Id of the element the page renders into; without it, [`start`] does nothing.
pub const ROOT_ID: &str = "app";

thread_local! {
    /// The page's app, alive as long as the page.
    static PAGE: RefCell<Option<Rc<App>>> = const { RefCell::new(None) };
}

/// Entry point: mounts the playground into `#app` from the page URL; a no-op when `#app` is
/// missing (as in the wasm-bindgen test page).
#[wasm_bindgen(start)]
pub fn start() {
    install_panic_hook();
    let Some(window) = web_sys::window() else {
        return;
    };
    let Some(document) = window.document() else {
        return;
    };
    let Some(root) = document.get_element_by_id(ROOT_ID) else {
        return;
    };
    let search = window.location().search().unwrap_or_default();
    match mount(&root, &search) {
        Ok(app) => PAGE.with(|page| *page.borrow_mut() = Some(app)),
        Err(error) => {
            web_sys::console::error_2(
                &JsValue::from_str("sgd-playground: mounting failed"),
                &error,
            );
            root.set_text_content(Some(
                "The playground could not start in this browser (see the console).",
            ));
        }
    }
}

/// Installs the page's panic hook (once): if anything still panics, the page says so instead of
/// looking alive while it is dead (a wasm instance that panicked stops answering). The hook
/// reports the panic and the link (the configuration) to the console, and puts a visible alert
/// "Something went wrong — reload the page" with the link at the top of the page; `#app` gets a
/// `data-crashed` attribute (for the tests).
pub fn install_panic_hook() {
    static INSTALLED: std::sync::Once = std::sync::Once::new();
    INSTALLED.call_once(|| {
        std::panic::set_hook(Box::new(|info| {
            let link = web_sys::window()
                .and_then(|window| window.location().href().ok())
                .unwrap_or_default();
            web_sys::console::error_1(&JsValue::from_str(&format!(
                "sgd-playground: something went wrong ({info}); link: {link}"
            )));
            show_crash(&link);
        }));
    });
}

/// The visible part of the panic hook. Text only: the link is shown with `textContent`.
fn show_crash(link: &str) {
    let Some(document) = web_sys::window().and_then(|window| window.document()) else {
        return;
    };
    let Some(body) = document.body() else {
        return;
    };
    if document.get_element_by_id("crashed").is_some() {
        return;
    }
    let Ok(alert) = document.create_element("div") else {
        return;
    };
    alert.set_id("crashed");
    let _ = alert.set_attribute("role", "alert");
    let _ = alert.set_attribute("class", "notices crashed");
    alert.set_text_content(Some(&format!(
        "Something went wrong — please reload the page. The page stopped working on this link \
         (details are in the browser's console): {}",
        crate::error::escape_text(link)
    )));
    let _ = body.insert_before(&alert, body.first_child().as_ref());
    if let Some(root) = document.get_element_by_id(ROOT_ID) {
        let _ = root.set_attribute("data-crashed", "");
        let _ = root.set_attribute("aria-busy", "false");
    }
}

/// Panics on purpose (the end-to-end check's test of [`install_panic_hook`]).
#[wasm_bindgen]
pub fn crash_for_test() {
    install_panic_hook();
    // Deliberate: the check needs a real panic to see the hook answer.
    #[allow(clippy::panic)]
    {
        panic!("crash_for_test");
    }
}

/// The simulator benchmark in the browser engine (`scripts/bench-wasm.cjs`): runs the workload of
/// `sim::workload` named `2a` or `3` with `particles` particles per learning rate for `steps` steps
/// and returns `[particle-steps done, checksum]` (the checksum equals the native benchmark's: the
/// simulation is bit-identical across targets). The caller times it.
#[wasm_bindgen]
pub fn bench_simulation(workload: &str, particles: u32, steps: u32) -> Vec<f64> {
    match crate::sim::workload::Workload::from_name(workload) {
        Some(w) => {
            let (work, checksum) =
                crate::sim::workload::run(w, particles as usize, u64::from(steps));
            vec![work, checksum]
        }
        None => vec![0.0, f64::NAN],
    }
}

/// Benchmark hook for `scripts/bench-wasm.cjs`: builds the figure of the configuration text and
/// computes its theory (`simulate = false`) or runs its whole simulation (`simulate = true`).
/// Returns the number of simulated points drawn (0 for theory only), or −1 for an invalid
/// configuration. The caller times it.
#[wasm_bindgen]
pub fn bench_figure(config_text: &str, simulate: bool) -> f64 {
    let Ok(config) = crate::config::Config::parse(config_text) else {
        return -1.0;
    };
    let Ok(experiment) = crate::experiments::Experiment::new(&config) else {
        return -1.0;
    };
    if !simulate {
        return if experiment.theory().panels.is_empty() {
            -1.0
        } else {
            0.0
        };
    }
    let mut run = experiment.simulation();
    while !run.is_done() {
        run.advance(10_000_000);
    }
    experiment
        .figure(&run)
        .panels
        .iter()
        .map(|panel| {
            panel
                .points
                .iter()
                .map(|series| series.points.len())
                .sum::<usize>()
        })
        .sum::<usize>() as f64
}
