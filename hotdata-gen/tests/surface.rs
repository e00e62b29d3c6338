//! The API surface of the real spec: one line per operation (method, path,
//! builder inputs, success type, error type). A spec change that alters what
//! users call shows up here as a reviewable diff.

#[test]
fn api_surface() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../spec/openapi.yaml");
    let text = std::fs::read_to_string(path).expect("spec is readable");
    let out = hotdata_gen::generate(&text, &hotdata_gen::Settings::default()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        out.plan.operations.len(),
        94,
        "the spec covers the 63 live operations and the 31 deprecated seed-era ones"
    );
    insta::assert_snapshot!(out.surface);
}
