//! Browser tests (`wasm-pack test --headless --chrome`): the engine compiled to wasm must give the
//! same numbers as the native build, and the page must render them as text.
#![cfg(target_arch = "wasm32")]

#[path = "fixtures/cases.rs"]
mod cases;

use sgd_playground::solver;
use sgd_playground::web::{self, ROOT_ID};
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};
use web_sys::{Document, Element};

wasm_bindgen_test_configure!(run_in_browser);

/// Written by the native test `tests/native_fixture.rs`.
const NATIVE_VALUES: &str = include_str!("fixtures/native_values.txt");

fn document() -> Document {
    web_sys::window()
        .and_then(|w| w.document())
        .unwrap_or_else(|| panic!("the test page has no document"))
}

/// A detached element to render into (never inserted into the test page).
fn detached_root(document: &Document) -> Element {
    document
        .create_element("div")
        .unwrap_or_else(|e| panic!("create_element failed: {e:?}"))
}

fn text_of(element: &Element) -> String {
    element.text_content().unwrap_or_default()
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
fn page_report_uses_the_engine_value() {
    let stored = cases::parse(NATIVE_VALUES).unwrap_or_else(|e| panic!("{e}"));
    let native = stored
        .iter()
        .find(|e| e.name == "sgd_1d_lr=1.5")
        .unwrap_or_else(|| panic!("fixture lacks sgd_1d_lr=1.5"));
    let report = web::report(Some("1.5"));
    assert_eq!(
        report.variance.map(f64::to_bits),
        Ok(native.value.to_bits())
    );
    assert_eq!(report.notice, None);
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
fn renders_the_stationary_variance_as_text() {
    let document = document();
    let root = detached_root(&document);
    web::render(&document, &root, Some("1.5")).unwrap_or_else(|e| panic!("render failed: {e:?}"));
    assert_eq!(
        text_of(&root),
        "Var[w] = 3 for λ = 1.5, k = 1, σ² = 1 (discrete theory Σ = λσ²/(k(2−λk)); continuous-time λσ²/(2k) = 0.75)"
    );
    assert_eq!(root.child_element_count(), 1);
    let paragraph = root
        .first_element_child()
        .unwrap_or_else(|| panic!("no paragraph"));
    assert_eq!(paragraph.class_name(), "result stationary");
}

#[wasm_bindgen_test]
fn renders_the_divergence_reason() {
    let document = document();
    let root = detached_root(&document);
    web::render(&document, &root, Some("2.5")).unwrap_or_else(|e| panic!("render failed: {e:?}"));
    let text = text_of(&root);
    assert!(
        text.starts_with("No stationary distribution for λ = 2.5"),
        "{text}"
    );
    assert!(text.contains("diverges"), "{text}");
    assert!(text.contains("λk*"), "{text}");
    assert!(!text.contains("NaN") && !text.contains("inf"), "{text}");
}

#[wasm_bindgen_test]
fn invalid_values_name_key_value_and_range_then_fall_back() {
    let document = document();
    for raw in ["abc", "-1", "0", "", "NaN", "inf", "1e999"] {
        let root = detached_root(&document);
        web::render(&document, &root, Some(raw)).unwrap_or_else(|e| panic!("render failed: {e:?}"));
        let text = text_of(&root);
        assert!(
            text.starts_with(&format!(
                "lr: invalid value '{raw}'; allowed: a finite number > 0"
            )),
            "{raw}: {text}"
        );
        assert!(
            text.contains("Var[w] = 1 for λ = 1,"),
            "{raw} must fall back to λ = 1: {text}"
        );
        assert_eq!(root.child_element_count(), 2, "{raw}: notice + result");
    }
}

#[wasm_bindgen_test]
fn url_text_is_never_parsed_as_html() {
    let document = document();
    let root = detached_root(&document);
    let hostile = "<img src=x onerror=alert(1)><b>x</b>";
    web::render(&document, &root, Some(hostile)).unwrap_or_else(|e| panic!("render failed: {e:?}"));
    assert!(
        root.query_selector("img, b").ok().flatten().is_none(),
        "URL text became markup"
    );
    assert!(text_of(&root).contains("'<img src=x onerror=alert(1)><b>x</b>'"));
}

#[wasm_bindgen_test]
fn reads_lr_from_the_query_string() {
    assert_eq!(web::learning_rate_param("?lr=1.5"), Some("1.5".to_string()));
    assert_eq!(
        web::learning_rate_param("?x=1&lr=0.25&lr=3"),
        Some("0.25".to_string())
    );
    assert_eq!(
        web::learning_rate_param("?lr=%3Cb%3E"),
        Some("<b>".to_string())
    );
    assert_eq!(web::learning_rate_param(""), None);
    assert_eq!(web::learning_rate_param("?mu=0.9"), None);
}
