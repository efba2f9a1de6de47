//! Browser tests (`wasm-pack test --headless --chrome`): the engine compiled to wasm gives the
//! same numbers as the native build, and the real playground app, mounted into this test page,
//! draws every figure, follows its controls into the URL, reports bad URL values without losing
//! the good ones, exports valid PNG/SVG/CSV, and shows one figure in embed mode.
#![cfg(target_arch = "wasm32")]

#[path = "fixtures/cases.rs"]
mod cases;

use sgd_playground::solver;
use sgd_playground::web::{self, App, ROOT_ID};
use std::rc::Rc;
use wasm_bindgen::JsCast;
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};
use web_sys::{CanvasRenderingContext2d, Document, Element, HtmlCanvasElement, HtmlInputElement};

wasm_bindgen_test_configure!(run_in_browser);

/// Written by the native test `tests/native_fixture.rs`.
const NATIVE_VALUES: &str = include_str!("fixtures/native_values.txt");

fn document() -> Document {
    web_sys::window()
        .and_then(|w| w.document())
        .unwrap_or_else(|| panic!("the test page has no document"))
}

fn text_of(element: &Element) -> String {
    element.text_content().unwrap_or_default()
}

/// The app mounted into a fresh element of the test page (laid out, 1000 px wide), for `query`.
struct Mounted {
    app: Rc<App>,
    root: Element,
}

impl Mounted {
    fn new(query: &str) -> Self {
        let page = Self::starting(query);
        // The page starts in slices (tasks of their own); the tests read it complete.
        page.app.finish_startup();
        page
    }

    /// Mounted, its start-up left to run in the browser's tasks.
    fn starting(query: &str) -> Self {
        let document = document();
        let root = document
            .create_element("div")
            .unwrap_or_else(|e| panic!("create_element failed: {e:?}"));
        root.set_attribute("style", "width: 1000px")
            .unwrap_or_else(|e| panic!("{e:?}"));
        document
            .body()
            .unwrap_or_else(|| panic!("no body"))
            .append_child(&root)
            .unwrap_or_else(|e| panic!("{e:?}"));
        let app = web::mount(&root, query).unwrap_or_else(|e| panic!("mount failed: {e:?}"));
        Self { app, root }
    }

    fn select(&self, selector: &str) -> Element {
        self.root
            .query_selector(selector)
            .unwrap_or_else(|e| panic!("{e:?}"))
            .unwrap_or_else(|| panic!("no element matches {selector}"))
    }

    fn count(&self, selector: &str) -> u32 {
        self.root
            .query_selector_all(selector)
            .unwrap_or_else(|e| panic!("{e:?}"))
            .length()
    }

    fn canvas(&self, figure: &str) -> HtmlCanvasElement {
        self.select(&format!("#fig-{figure} canvas"))
            .dyn_into()
            .unwrap_or_else(|_| panic!("not a canvas"))
    }
}

impl Drop for Mounted {
    fn drop(&mut self) {
        self.app.unmount();
        self.root.remove();
    }
}

/// The canvas's 2-D context.
fn context(canvas: &HtmlCanvasElement) -> CanvasRenderingContext2d {
    canvas
        .get_context("2d")
        .ok()
        .flatten()
        .and_then(|c| c.dyn_into().ok())
        .unwrap_or_else(|| panic!("no 2-D context"))
}

/// (pixels with alpha > 0, distinct colours) of a canvas.
fn ink(canvas: &HtmlCanvasElement) -> (usize, usize) {
    let context = context(canvas);
    let (w, h) = (canvas.width(), canvas.height());
    assert!(w > 100 && h > 100, "canvas too small: {w}×{h}");
    let pixels = context
        .get_image_data(0.0, 0.0, f64::from(w), f64::from(h))
        .unwrap_or_else(|e| panic!("{e:?}"))
        .data();
    let mut opaque = 0;
    let mut colours = std::collections::BTreeSet::new();
    for (i, pixel) in pixels.chunks_exact(4).enumerate() {
        if pixel[3] > 0 {
            opaque += 1;
        }
        // Colours from a sample of the pixels (every 7th) keep the test fast.
        if i % 7 == 0 {
            colours.insert([pixel[0], pixel[1], pixel[2], pixel[3]]);
        }
    }
    (opaque, colours.len())
}

fn fingerprint(canvas: &HtmlCanvasElement) -> u64 {
    let context = context(canvas);
    let pixels = context
        .get_image_data(
            0.0,
            0.0,
            f64::from(canvas.width()),
            f64::from(canvas.height()),
        )
        .unwrap_or_else(|e| panic!("{e:?}"))
        .data();
    pixels.iter().fold(0xcbf29ce484222325u64, |hash, &byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x100000001b3)
    })
}

fn set_input(input: &Element, value: &str, event: &str) {
    let field: &HtmlInputElement = input.dyn_ref().unwrap_or_else(|| panic!("not an input"));
    field.set_value(value);
    let event = web_sys::Event::new(event).unwrap_or_else(|e| panic!("{e:?}"));
    field
        .dispatch_event(&event)
        .unwrap_or_else(|e| panic!("{e:?}"));
}

/// Lets the browser run its event loop (the test driver talks to the page between tasks).
async fn yield_now() {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        if let Some(window) = web_sys::window() {
            let _ = window.set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, 0);
        }
    });
    let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
}

fn location_search() -> String {
    web_sys::window()
        .and_then(|w| w.location().search().ok())
        .unwrap_or_default()
}

#[wasm_bindgen_test]
fn wasm_engine_matches_native_values_bit_for_bit() {
    let stored = cases::parse(NATIVE_VALUES)
        .unwrap_or_else(|e| panic!("native_values.txt is malformed: {e}"));
    let problems = cases::problems();
    let mut checked = 0;
    let mut mismatches = Vec::new();
    for (name, problem) in &problems {
        let sigma = solver::stationary(problem)
            .unwrap_or_else(|e| panic!("{name} diverges in wasm: {e}"))
            .sigma;
        for entry in stored.iter().filter(|e| &e.name == name) {
            let got = sigma[(entry.i, entry.j)];
            if got.to_bits() != entry.value.to_bits() {
                let ulps = (got.to_bits() as i64 - entry.value.to_bits() as i64).abs();
                mismatches.push(format!(
                    "{name} Σ[{},{}]: native {:?}, wasm {got:?} ({ulps} ulp)",
                    entry.i, entry.j, entry.value
                ));
            }
            checked += 1;
        }
    }
    assert_eq!(
        checked,
        stored.len(),
        "every stored value belongs to a case"
    );
    assert!(checked >= 18, "too few values checked: {checked}");
    assert!(
        mismatches.is_empty(),
        "wasm differs from native:\n{}",
        mismatches.join("\n")
    );
}

#[wasm_bindgen_test]
fn start_is_a_no_op_without_the_root_element() {
    let document = document();
    assert!(
        document.get_element_by_id(ROOT_ID).is_none(),
        "the test page must not have #{ROOT_ID}"
    );
    let body = document.body().unwrap_or_else(|| panic!("no body"));
    let before = body.inner_html();
    web::start();
    assert_eq!(
        body.inner_html(),
        before,
        "start() changed a page without #{ROOT_ID}"
    );
    assert!(document.get_element_by_id(ROOT_ID).is_none());
}

#[wasm_bindgen_test]
async fn every_figure_is_drawn_with_real_pixels() {
    let page = Mounted::new("");
    yield_now().await;
    assert_eq!(
        page.app.card_count(),
        sgd_playground::config::FIGURE_IDS.len()
    );
    for id in sgd_playground::config::FIGURE_IDS {
        yield_now().await;
        let canvas = page.canvas(id);
        let (opaque, colours) = ink(&canvas);
        let total = (canvas.width() * canvas.height()) as usize;
        // A blank canvas is (0,0,0,0) everywhere; a drawn figure fills its background and has
        // axes, text and curves in several colours.
        assert_eq!(opaque, total, "fig {id}: background not filled");
        assert!(colours > 20, "fig {id}: only {colours} colours drawn");
        let label = canvas.get_attribute("aria-label").unwrap_or_default();
        assert!(label.len() > 40, "fig {id}: no text alternative: {label:?}");
        assert_eq!(canvas.get_attribute("role").as_deref(), Some("img"));
    }
    assert!(page.app.theory_drawn_ms() > 0.0);
}

#[wasm_bindgen_test]
async fn the_page_starts_in_slices_with_the_figure_of_the_link_first() {
    let page = Mounted::starting("?fig=6b&dL=0.5");
    // The mount returned after its first slice: not every card is built, nothing is drawn.
    assert!(!page.app.started());
    assert!(page.app.card_count() < sgd_playground::config::FIGURE_IDS.len());
    assert!(page.root.get_attribute("data-theory-drawn-ms").is_none());
    // The rest runs in tasks of its own, without the test's help.
    for _ in 0..2000 {
        if page.app.started() {
            break;
        }
        yield_now().await;
    }
    assert!(page.app.started(), "the start-up did not finish on its own");
    assert_eq!(
        page.app.card_count(),
        sgd_playground::config::FIGURE_IDS.len()
    );
    let painted_at = |id: &str| -> f64 {
        page.select(&format!("#fig-{id}"))
            .get_attribute("data-painted-at-ms")
            .and_then(|at| at.parse().ok())
            .unwrap_or_else(|| panic!("fig {id} was not drawn"))
    };
    let link = painted_at("6b");
    for id in sgd_playground::config::FIGURE_IDS {
        assert!(
            link <= painted_at(id),
            "fig {id} was drawn before the link's 6b"
        );
    }
    // The link's value reached its figure; the others are the paper's.
    assert!(page
        .app
        .card_config(10)
        .unwrap_or_default()
        .contains("dL=0.5"));
    let startup = page.root.get_attribute("data-startup").unwrap_or_default();
    assert!(startup.contains("tasks"), "{startup}");
}

#[wasm_bindgen_test]
async fn a_control_change_updates_the_url_and_redraws() {
    let page = Mounted::new("?fig=2a&seed=3");
    yield_now().await;
    let canvas = page.canvas("2a");
    let before = fingerprint(&canvas);
    let field = page.select("#ctl-2a-C");
    set_input(&field, "3", "input");
    page.app.flush();
    let search = location_search();
    assert!(search.contains("v=1"), "{search}");
    assert!(search.contains("fig=2a"), "{search}");
    assert!(search.contains("C=3"), "{search}");
    assert!(search.contains("seed=3"), "kept the other keys: {search}");
    assert_ne!(fingerprint(&canvas), before, "the figure was not redrawn");
    assert_eq!(
        page.app.card_config(1).as_deref(),
        Some("v=1&fig=2a&C=3&seed=3")
    );
    // An invalid value is shown at the control; the figure and the URL keep the valid one.
    set_input(&field, "-1", "input");
    page.app.flush();
    let error = page.select("#ctl-2a-C-error");
    assert!(error.get_attribute("hidden").is_none());
    assert!(
        text_of(&error).contains("C: invalid value '-1'"),
        "{}",
        text_of(&error)
    );
    assert_eq!(field.get_attribute("aria-invalid").as_deref(), Some("true"));
    assert!(location_search().contains("C=3"));
    // A slider moves its typed field and the figure.
    let slider = page.select("#fig-2a .control[data-key=\"C\"] input.slider");
    set_input(&slider, "1000", "input");
    page.app.flush();
    let typed: HtmlInputElement = field.dyn_into().unwrap_or_else(|_| panic!("not an input"));
    assert_eq!(typed.value(), "100");
    assert!(location_search().contains("C=100"), "{}", location_search());
}

#[wasm_bindgen_test]
async fn a_bad_url_is_reported_by_key_and_the_good_keys_are_kept() {
    let page = Mounted::new("?fig=2a&C=-1&seed=5&colour=red&embed=maybe");
    yield_now().await;
    let alert = page.select("[role=alert]");
    let text = text_of(&alert);
    assert!(alert.get_attribute("hidden").is_none());
    assert!(text.contains("C: invalid value '-1'"), "{text}");
    assert!(text.contains("the default 1 is used"), "{text}");
    assert!(text.contains("colour"), "{text}");
    assert!(text.contains("embed: invalid value 'maybe'"), "{text}");
    assert_eq!(
        page.app.card_config(1).as_deref(),
        Some("v=1&fig=2a&seed=5")
    );
}

#[wasm_bindgen_test]
async fn text_from_the_url_is_never_html() {
    let page =
        Mounted::new("?fig=2a&C=%3Cimg%20src%3Dx%20onerror%3Dalert(1)%3E&%3Cb%3Ebold%3C/b%3E=1");
    assert_eq!(page.count("img"), 0);
    assert_eq!(page.count("b"), 0);
    let text = text_of(&page.select("[role=alert]"));
    assert!(text.contains("<img src=x onerror=alert(1)>"), "{text}");
}

#[wasm_bindgen_test]
async fn exports_are_valid_png_svg_and_csv() {
    let page = Mounted::new("?fig=3");
    yield_now().await;
    let index = 3;
    let png = page.app.png_of(index).unwrap_or_else(|e| panic!("{e:?}"));
    // The PNG signature, base64-encoded: 89 50 4E 47 0D 0A 1A 0A.
    assert!(
        png.starts_with("data:image/png;base64,iVBORw0KGgo"),
        "{}",
        &png[..40.min(png.len())]
    );
    assert!(png.len() > 10_000);
    let svg = page.app.svg_of(index).unwrap_or_else(|e| panic!("{e:?}"));
    assert!(svg.starts_with("<svg"), "{}", &svg[..60.min(svg.len())]);
    assert!(svg.trim_end().ends_with("</svg>"));
    assert!(svg.contains("Fig. 3"));
    let csv = page.app.csv_of(index).unwrap_or_else(|| panic!("no csv"));
    assert!(csv.starts_with("panel,series,role,x,y,stderr\n"));
    assert!(csv.lines().count() > 100);
    for line in csv.lines().skip(1).take(50) {
        assert!(line.split(',').count() >= 6, "{line}");
    }
}

#[wasm_bindgen_test]
async fn embed_mode_shows_one_figure_with_the_listed_controls() {
    let page = Mounted::new("?fig=5a&lr_k=2.5&embed=1&ctl=lr_k,mu_min");
    yield_now().await;
    assert_eq!(page.app.card_count(), 1);
    assert_eq!(page.count("figure.card"), 1);
    assert_eq!(page.count(".control"), 2);
    assert_eq!(page.count(".actions button"), 0);
    let keys: Vec<String> = (0..2)
        .map(|i| {
            page.root
                .query_selector_all(".control")
                .ok()
                .and_then(|list| list.item(i))
                .and_then(|node| node.dyn_into::<Element>().ok())
                .and_then(|e| e.get_attribute("data-key"))
                .unwrap_or_default()
        })
        .collect();
    assert_eq!(keys, ["lr_k", "mu_min"]);
    let link = page.select("a.open-link");
    let href = link.get_attribute("href").unwrap_or_default();
    assert!(
        href.contains("fig=5a") && href.contains("lr_k=2.5"),
        "{href}"
    );
    assert!(!href.contains("embed"), "{href}");
    let html = document()
        .document_element()
        .unwrap_or_else(|| panic!("no html"));
    assert!(html.class_list().contains("embed"));
    html.class_list()
        .remove_1("embed")
        .unwrap_or_else(|e| panic!("{e:?}"));
}

#[wasm_bindgen_test]
async fn a_simulation_runs_to_the_end_in_slices() {
    let page = Mounted::new("?fig=2a&points=5&particles=200&steps=100&seed=1");
    simulate_to_end(&page).await;
    let csv = page.app.csv_of(1).unwrap_or_else(|| panic!("no csv"));
    let simulated = csv
        .lines()
        .filter(|line| line.contains(",simulation,"))
        .count();
    assert_eq!(simulated, 5, "{csv}");
    let status = text_of(&page.select("#fig-2a .status-text"));
    assert!(status.starts_with("simulation done"), "{status}");
    // "Show data": the simulated points (with their standard errors) are the first rows, and
    // "Show all" lists every row.
    click_button(&page, "#fig-2a", "Show data");
    let rows = page
        .root
        .query_selector_all("#fig-2a .data tbody tr")
        .unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(rows.length() as usize, 500);
    for i in 0..5 {
        let row = text_of(
            &rows
                .item(i)
                .and_then(|n| n.dyn_into::<Element>().ok())
                .unwrap_or_else(|| panic!("row {i}")),
        );
        assert!(row.contains("simulation"), "row {i}: {row}");
    }
    click_button(&page, "#fig-2a", "Show all");
    let total = page.count("#fig-2a .data tbody tr");
    assert!(total > 500, "{total}");
    assert_eq!(total as usize + 1, csv.lines().count());
}

/// Runs the page's Fig. 2(a) simulation to the end, in slices of 20 ms.
async fn simulate_to_end(page: &Mounted) {
    yield_now().await;
    let mut slices = 0;
    while !page.app.simulation_done(1) {
        assert!(slices < 4000, "the simulation did not finish");
        page.app.simulate(20.0);
        slices += 1;
        if slices % 10 == 0 {
            yield_now().await;
        }
    }
}

/// Runs a page's Fig. 2(a) simulation to the end; returns its CSV and `#app`'s data-workers.
async fn simulated_csv(query: &str) -> (String, String) {
    let page = Mounted::new(query);
    simulate_to_end(&page).await;
    let csv = page.app.csv_of(1).unwrap_or_else(|| panic!("no csv"));
    let workers = page.root.get_attribute("data-workers").unwrap_or_default();
    (csv, workers)
}

/// Workers asked for where they cannot start (this test page preloads no engine module for
/// them): the page says why in `data-workers` and runs the simulation itself, with the numbers
/// of `workers=0`. (The workers themselves are tested end to end on the built site, in
/// tests/e2e/workers.cjs: the same CSV for 0–3 workers, an edit mid-run, pause.)
#[wasm_bindgen_test]
async fn without_usable_workers_the_page_simulates_itself_with_the_same_numbers() {
    let config = "?fig=2a&points=4&particles=300&steps=100&seed=3";
    let (with_workers, status) = simulated_csv(&format!("{config}&workers=2")).await;
    assert!(status.starts_with("unavailable: "), "{status}");
    let (on_the_page, status) = simulated_csv(&format!("{config}&workers=0")).await;
    assert_eq!(status, "0");
    assert_eq!(
        with_workers
            .lines()
            .filter(|line| line.contains(",simulation,"))
            .count(),
        4
    );
    assert_eq!(with_workers, on_the_page);
}

/// Clicks the button of `scope` whose text starts with `label`.
fn click_button(page: &Mounted, scope: &str, label: &str) {
    let buttons = page
        .root
        .query_selector_all(&format!("{scope} button"))
        .unwrap_or_else(|e| panic!("{e:?}"));
    for i in 0..buttons.length() {
        let Some(button) = buttons
            .item(i)
            .and_then(|n| n.dyn_into::<web_sys::HtmlElement>().ok())
        else {
            continue;
        };
        if text_of(&button).starts_with(label) {
            button.click();
            return;
        }
    }
    panic!("no button {label} in {scope}");
}

#[wasm_bindgen_test]
async fn the_theme_can_be_set_in_the_url() {
    let page = Mounted::new("?fig=2a&theme=dark");
    yield_now().await;
    let html = document()
        .document_element()
        .unwrap_or_else(|| panic!("no html"));
    assert_eq!(html.get_attribute("data-theme").as_deref(), Some("dark"));
    // The canvas background is dark.
    let canvas = page.canvas("2a");
    let context = context(&canvas);
    let corner = context
        .get_image_data(1.0, 1.0, 1.0, 1.0)
        .unwrap_or_else(|e| panic!("{e:?}"))
        .data();
    assert!(
        corner[0] < 80 && corner[1] < 80 && corner[2] < 80,
        "{:?}",
        corner.to_vec()
    );
    html.remove_attribute("data-theme")
        .unwrap_or_else(|e| panic!("{e:?}"));
}

#[wasm_bindgen_test]
async fn a_link_without_a_figure_opens_the_exact_solver() {
    let page = Mounted::new("?lr=1.5");
    yield_now().await;
    let solution = text_of(&page.select("#solver .solution"));
    // Var[w] = λσ²/(k(2 − λk)) = 1.5/(0.5) = 3 at λ = 1.5, k = σ² = 1.
    assert!(solution.contains("stationary Var[w] = 3"), "{solution}");
    // What `solve` returns, readably: the loss, the stability margin, the spectral radius.
    for part in [
        "training loss L = ½Tr[KΣ] = ",
        "% of the threshold; margin ",
        "spectral radius of the dynamics: ",
    ] {
        assert!(solution.contains(part), "{part:?} in {solution}");
    }
    // The same form as the figures': editing λ there solves again and updates the text field.
    let field = page.select("#ctl-solver-lr");
    set_input(&field, "0.8", "input");
    page.app.flush();
    let solution = text_of(&page.select("#solver .solution"));
    // Var[w] = 0.8/(1·1.2) = 2/3.
    assert!(
        solution.contains("stationary Var[w] = 0.6667"),
        "{solution}"
    );
    let typed: HtmlInputElement = page
        .select("#solver-config")
        .dyn_into()
        .unwrap_or_else(|_| panic!("not an input"));
    assert!(typed.value().contains("lr=0.8"), "{}", typed.value());
    assert!(
        location_search().contains("lr=0.8"),
        "{}",
        location_search()
    );
    // Choosing SGDM adds its momentum control.
    assert_eq!(page.count("#ctl-solver-mu"), 0);
    set_input(
        &page.select("#solver-config"),
        "opt=sgdm&mu=0.5&lr=1",
        "input",
    );
    assert_eq!(page.count("#ctl-solver-mu"), 1);
    let input = page.select("#solver-config");
    set_input(&input, "lr=2.5", "input");
    let solution = text_of(&page.select("#solver .solution"));
    assert!(solution.starts_with("diverges"), "{solution}");
    assert_eq!(solution.matches("diverges").count(), 1, "{solution}");
}

#[wasm_bindgen_test]
async fn hovering_reads_out_the_nearest_point() {
    let page = Mounted::new("?fig=2a&seed=2");
    yield_now().await;
    let canvas = page.canvas("2a");
    let frames = page.app.plot_frames(1);
    assert_eq!(frames.len(), 1);
    // The continuous-time curve at λ = 1: Var = λσ²/(2k) = 0.5.
    let (px, py) = frames[0]
        .pixel_of((1.0, 0.5))
        .unwrap_or_else(|| panic!("not on the axes"));
    let ratio = web_sys::window().map_or(1.0, |w| w.device_pixel_ratio());
    let rect = canvas.get_bounding_client_rect();
    let init = web_sys::MouseEventInit::new();
    init.set_client_x((rect.left() + px / ratio).round() as i32);
    init.set_client_y((rect.top() + py / ratio).round() as i32);
    init.set_bubbles(true);
    let event = web_sys::MouseEvent::new_with_mouse_event_init_dict("pointermove", &init)
        .unwrap_or_else(|e| panic!("{e:?}"));
    canvas
        .dispatch_event(&event)
        .unwrap_or_else(|e| panic!("{e:?}"));
    let readout = text_of(&page.select("#fig-2a .readout"));
    assert!(readout.contains("continuous"), "{readout}");
    // The nearest curve vertex is within a few pixels of λ = 1: its value is close to 0.5.
    let value: f64 = readout
        .split("Var[w] = ")
        .nth(1)
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("no value in {readout:?}"));
    assert!((value - 0.5).abs() < 0.03, "{readout}");
    let dot = page.select("#fig-2a .hover-dot");
    assert!(dot.get_attribute("hidden").is_none(), "the point is marked");
    let leave = web_sys::Event::new("pointerleave").unwrap_or_else(|e| panic!("{e:?}"));
    canvas
        .dispatch_event(&leave)
        .unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(text_of(&page.select("#fig-2a .readout")), "");
    assert!(dot.get_attribute("hidden").is_some(), "the mark is gone");
}

/// Each panel beyond the paper's figures renders, responds to a control and round-trips its URL:
/// the edited link, opened again, shows the same configuration.
#[wasm_bindgen_test]
async fn every_panel_responds_to_a_control_and_round_trips_its_url() {
    for (id, key, value) in [
        ("phase", "mu", "0.8"),
        ("bayes", "S", "200"),
        ("escape", "lr", "0.5"),
        ("newton", "angle", "60"),
        ("explorer", "lr", "0.3"),
    ] {
        let index = sgd_playground::config::FIGURE_IDS
            .iter()
            .position(|known| *known == id)
            .unwrap_or_else(|| panic!("{id} is not a figure id"));
        let page = Mounted::new(&format!("?fig={id}"));
        yield_now().await;
        let canvas = page.canvas(id);
        let (opaque, colours) = ink(&canvas);
        assert_eq!(
            opaque,
            (canvas.width() * canvas.height()) as usize,
            "{id}: not filled"
        );
        assert!(colours > 20, "{id}: only {colours} colours");
        let before = fingerprint(&canvas);
        let field = page.select(&format!("#ctl-{id}-{key}"));
        set_input(&field, value, "input");
        page.app.flush();
        let search = location_search();
        assert!(search.contains(&format!("fig={id}")), "{id}: {search}");
        assert!(search.contains(&format!("{key}={value}")), "{id}: {search}");
        assert_ne!(fingerprint(&canvas), before, "{id}: not redrawn");
        let edited = page.app.card_config(index).unwrap_or_default();
        drop(page);
        let reopened = Mounted::new(&search);
        yield_now().await;
        assert_eq!(
            reopened.app.card_config(index).unwrap_or_default(),
            edited,
            "{id}: the link does not reopen the same configuration"
        );
    }
}

/// The explorer's table is real HTML table text (no markup from data), one row per method; the
/// Bayes panel's warning appears when Mandt's λ lands where SGD diverges.
#[wasm_bindgen_test]
async fn the_explorer_table_and_the_bayes_warning_are_shown() {
    let page = Mounted::new("?fig=explorer&methods=sgd,sgdm,ngd");
    yield_now().await;
    assert_eq!(page.count("#fig-explorer .numbers tbody tr"), 3);
    let table = text_of(&page.select("#fig-explorer .numbers table"));
    assert!(table.contains("opt=sgdm"), "{table}");
    drop(page);
    // A K typed as a full matrix is used as written (no rotation by the default angle): the
    // rows' solve configs carry it unchanged.
    let page = Mounted::new("?fig=explorer&K=2,0.5;0.5,1&C=1,0;0,2&methods=sgd");
    yield_now().await;
    let table = text_of(&page.select("#fig-explorer .numbers table"));
    assert!(table.contains("K=2,0.5;0.5,1&C=1,0;0,2"), "{table}");
    let caption = text_of(&page.select("#fig-explorer .caption"));
    assert!(!caption.contains("rotated"), "{caption}");
    drop(page);
    // D > 2: Σ by its eigenvalues, every entry one click away.
    let page = Mounted::new("?fig=explorer&K=3,1,0.3&methods=sgd,sgdm");
    yield_now().await;
    assert_eq!(page.count("#fig-explorer .numbers details pre"), 6);
    let full = text_of(&page.select("#fig-explorer .numbers details pre"));
    assert_eq!(full.lines().count(), 3, "{full}");
    drop(page);
    let page = Mounted::new("?fig=bayes&K=1,0.01&N=100&S=60");
    yield_now().await;
    let notes = page.select("#fig-bayes .notes");
    assert!(notes.get_attribute("hidden").is_none());
    assert!(text_of(&notes).contains("Mandt"), "{}", text_of(&notes));
}

/// A figure without a simulation shows no progress bar and no simulation buttons; one with a
/// simulation shows them.
#[wasm_bindgen_test]
async fn theory_only_figures_show_no_simulation_controls() {
    let page = Mounted::new("?fig=1b");
    yield_now().await;
    for (figure, theory_only) in [("1b", true), ("6a", true), ("phase", true), ("2a", false)] {
        let status = page.select(&format!("#fig-{figure} .sim-status"));
        assert_eq!(
            status.get_attribute("hidden").is_some(),
            theory_only,
            "{figure}"
        );
        let buttons = page
            .root
            .query_selector_all(&format!("#fig-{figure} .actions button"))
            .unwrap_or_else(|e| panic!("{e:?}"));
        for i in 0..buttons.length() {
            let Some(button) = buttons.item(i).and_then(|n| n.dyn_into::<Element>().ok()) else {
                continue;
            };
            let text = text_of(&button);
            if ["Pause", "Rerun same seed", "New seed"].contains(&text.as_str()) {
                assert_eq!(
                    button.get_attribute("hidden").is_some(),
                    theory_only,
                    "{figure}: {text}"
                );
            }
        }
    }
}

/// A tap (a touch pointer) reads out the nearest point, and the read-out stays when the finger
/// lifts (a touch has no hover to leave).
#[wasm_bindgen_test]
async fn a_tap_reads_out_the_nearest_point() {
    let page = Mounted::new("?fig=2a&seed=2");
    yield_now().await;
    let canvas = page.canvas("2a");
    let frames = page.app.plot_frames(1);
    let (px, py) = frames[0]
        .pixel_of((1.0, 0.5))
        .unwrap_or_else(|| panic!("not on the axes"));
    let ratio = web_sys::window().map_or(1.0, |w| w.device_pixel_ratio());
    let rect = canvas.get_bounding_client_rect();
    let make = js_sys::Function::new_with_args(
        "type, x, y",
        "return new PointerEvent(type, { pointerType: 'touch', clientX: x, clientY: y, bubbles: true });",
    );
    let touch = |kind: &str| -> web_sys::Event {
        make.call3(
            &wasm_bindgen::JsValue::NULL,
            &kind.into(),
            &(rect.left() + px / ratio).round().into(),
            &(rect.top() + py / ratio).round().into(),
        )
        .unwrap_or_else(|e| panic!("{e:?}"))
        .dyn_into()
        .unwrap_or_else(|_| panic!("not an event"))
    };
    canvas
        .dispatch_event(&touch("pointerdown"))
        .unwrap_or_else(|e| panic!("{e:?}"));
    let readout = text_of(&page.select("#fig-2a .readout"));
    assert!(readout.contains("continuous"), "{readout:?}");
    canvas
        .dispatch_event(&touch("pointerleave"))
        .unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(text_of(&page.select("#fig-2a .readout")), readout);
}

/// "Copy embed code" opens the embed options: the controls to show (the main knob ticked), the
/// theme and the height; the code follows the choice. A `ctl=` key the figure lacks is reported.
#[wasm_bindgen_test]
async fn the_embed_code_shows_the_controls_ticked() {
    let page = Mounted::new("?fig=5a");
    yield_now().await;
    click_button(&page, "#fig-5a .actions", "Copy embed code");
    let options = page.select("#fig-5a .embed-options");
    assert!(options.get_attribute("hidden").is_none());
    let code = text_of(&page.select("#fig-5a .embed-code"));
    assert!(code.contains("ctl=lr_k\""), "{code}");
    let momentum = page.select("#fig-5a .embed-options input[value=\"mu_min\"]");
    let momentum: HtmlInputElement = momentum.dyn_into().unwrap_or_else(|_| panic!("checkbox"));
    momentum.set_checked(true);
    let change = web_sys::Event::new("change").unwrap_or_else(|e| panic!("{e:?}"));
    momentum
        .dispatch_event(&change)
        .unwrap_or_else(|e| panic!("{e:?}"));
    let code = text_of(&page.select("#fig-5a .embed-code"));
    assert!(code.contains("ctl=lr_k,mu_min"), "{code}");
    let height = page.select("#fig-5a .embed-options input[type=\"number\"]");
    set_input(&height, "700", "input");
    let code = text_of(&page.select("#fig-5a .embed-code"));
    assert!(code.contains("height=\"700\""), "{code}");
    drop(page);
    // `lr` is a configuration key, but Fig. 5(a) reads λk (`lr_k`), not λ.
    let page = Mounted::new("?fig=5a&embed=1&ctl=lr_k,lr");
    yield_now().await;
    let alert = text_of(&page.select("[role=alert]"));
    assert!(
        alert.contains("ctl: 'lr' is not a control of fig=5a"),
        "{alert}"
    );
    assert_eq!(page.count(".control"), 1);
}

/// Waits (yielding to the browser) until `selector`'s text contains `part`; the clipboard answers
/// asynchronously.
async fn wait_for_text(page: &Mounted, selector: &str, part: &str) -> String {
    for _ in 0..200 {
        let text = text_of(&page.select(selector));
        if text.contains(part) {
            return text;
        }
        yield_now().await;
    }
    text_of(&page.select(selector))
}

#[wasm_bindgen_test]
async fn the_frameworks_code_is_shown_and_copied() {
    // The solver panel: the PyTorch and optax lines of the configuration, its convention
    // controls, and "Copy as code".
    let page = Mounted::new("?opt=nesterov&lr=0.1&mu=0.9&wd=5e-4");
    yield_now().await;
    let solution = text_of(&page.select("#solver .solution"));
    assert!(
        solution.contains(
            "as code (PyTorch): torch.optim.SGD(params, lr=0.1, momentum=0.9, weight_decay=0.0005, nesterov=True)"
        ),
        "{solution}"
    );
    assert_eq!(page.count("#ctl-solver-wd"), 1);
    assert_eq!(page.count("#ctl-solver-nesterov_form"), 1);
    click_button(&page, "#solver", "Copy as code");
    let message = wait_for_text(&page, "#solver .action-message", "torch.optim.SGD").await;
    assert!(
        message.contains("optax.trace(decay=0.9, nesterov=True)"),
        "{message}"
    );
    drop(page);
    // The explorer: one block per compared method, with the conventions it applies.
    let page = Mounted::new("?fig=explorer&wd=0.1&methods=sgdm,nesterov");
    yield_now().await;
    assert_eq!(page.count("#ctl-explorer-wd"), 1);
    click_button(&page, "#fig-explorer", "Copy as code");
    let message = wait_for_text(&page, "#fig-explorer .action-message", "# nesterov").await;
    assert!(
        message.contains("# sgdm") && message.contains("weight_decay=0.1, nesterov=True"),
        "{message}"
    );
}
