//! Pins the stationary Σ of a few problems, bit for bit, in `tests/fixtures/native_values.txt`.
//!
//! The browser test (`tests/web.rs`) recomputes the same problems in wasm and compares with this
//! file, so a value that differs between the native and the wasm build is caught. When the engine
//! changes on purpose, regenerate the file with
//! `UPDATE_FIXTURES=1 cargo test --test it native_fixture::` and review the diff.

#[path = "../fixtures/cases.rs"]
mod cases;

use std::path::PathBuf;

fn fixture_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join("fixtures")
        .join(cases::FILE_NAME)
}

const HOW_TO_UPDATE: &str = "if the engine changed on purpose, regenerate it with \
     `UPDATE_FIXTURES=1 cargo test --test it native_fixture::` and review the diff";

#[test]
fn fixture_matches_native_engine_bit_for_bit() {
    let path = fixture_path();
    let fresh = cases::render();
    if std::env::var_os("UPDATE_FIXTURES").is_some_and(|v| !v.is_empty() && v != "0") {
        std::fs::write(&path, &fresh)
            .unwrap_or_else(|e| panic!("cannot write {}: {e}", path.display()));
        eprintln!("wrote {}", path.display());
        return;
    }
    let stored = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {} ({e}); {HOW_TO_UPDATE}", path.display()));
    let stored_entries = cases::parse(&stored)
        .unwrap_or_else(|e| panic!("{} is malformed: {e}; {HOW_TO_UPDATE}", path.display()));
    let fresh_entries = cases::parse(&fresh)
        .unwrap_or_else(|e| panic!("internal: rendered fixture is malformed: {e}"));
    let mut stale = Vec::new();
    for (want, got) in stored_entries.iter().zip(&fresh_entries) {
        let same = want.name == got.name && want.i == got.i && want.j == got.j;
        if !same || want.value.to_bits() != got.value.to_bits() {
            stale.push(format!(
                "  {} Σ[{},{}]: stored {:?}, computed {} Σ[{},{}] = {:?}",
                want.name, want.i, want.j, want.value, got.name, got.i, got.j, got.value
            ));
        }
    }
    if stored_entries.len() != fresh_entries.len() {
        stale.push(format!(
            "  the file has {} values, the cases produce {}",
            stored_entries.len(),
            fresh_entries.len()
        ));
    }
    assert!(
        stale.is_empty(),
        "{} is stale:\n{}\n{HOW_TO_UPDATE}",
        path.display(),
        stale.join("\n")
    );
}

#[test]
fn fixture_values_agree_with_the_closed_form() {
    // Guards the fixture itself: the 1-D values must be Cor. 1's Σ = λσ²/(k(2−λk)) (k = σ² = 1).
    let entries = cases::parse(&cases::render()).unwrap_or_else(|e| panic!("{e}"));
    for lr in cases::SGD_1D_LEARNING_RATES {
        let name = format!("sgd_1d_lr={lr:?}");
        let entry = entries
            .iter()
            .find(|e| e.name == name)
            .unwrap_or_else(|| panic!("case {name} missing"));
        let exact = lr / (2.0 - lr);
        // Near the edge λ → 2 the problem is ill-conditioned by 2/(2 − λ).
        let condition = 2.0 / (2.0 - lr);
        assert!(
            (entry.value - exact).abs() <= 8.0 * f64::EPSILON * exact * condition,
            "{name}: {} vs closed form {exact}",
            entry.value
        );
    }
}

#[test]
fn fixture_text_round_trips() {
    let text = cases::render();
    let entries = cases::parse(&text).unwrap_or_else(|e| panic!("{e}"));
    assert!(
        entries.len() >= 6 + 4 + 4 + 4,
        "too few fixture values: {}",
        entries.len()
    );
    for entry in &entries {
        assert!(entry.value.is_finite(), "{entry:?}");
        assert_eq!(
            format!("{:?}", entry.value)
                .parse::<f64>()
                .map(f64::to_bits),
            Ok(entry.value.to_bits())
        );
    }
}
