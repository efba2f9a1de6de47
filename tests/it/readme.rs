//! The README documents every configuration key: its table is generated from `config::KEYS`, and
//! this test fails when the two drift apart. Regenerate with
//! `UPDATE_README=1 cargo test --test it readme::`.

const BEGIN: &str = "<!-- keys:begin (generated from config::KEYS by tests/it/readme.rs) -->\n";
const END: &str = "<!-- keys:end -->";

#[test]
fn readme_key_table_is_generated_from_the_key_specs() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/README.md");
    let readme = std::fs::read_to_string(path).expect("README.md");
    let (Some(start), Some(end)) = (readme.find(BEGIN), readme.find(END)) else {
        panic!("README.md lacks the markers {BEGIN:?} … {END:?}");
    };
    let table = sgd_playground::config::keys_markdown_table();
    let current = &readme[start + BEGIN.len()..end];
    if current != table {
        if std::env::var_os("UPDATE_README").is_some() {
            let updated = format!("{}{BEGIN}{table}{}", &readme[..start], &readme[end..]);
            std::fs::write(path, updated).expect("write README.md");
            return;
        }
        panic!(
            "README.md's key table is stale: run `UPDATE_README=1 cargo test --test it readme::`"
        );
    }
    // Every key of the language appears in the table.
    for spec in sgd_playground::config::KEYS {
        assert!(
            table.contains(&format!("| `{}` |", spec.key)),
            "{} is not documented",
            spec.key
        );
    }
}
