//! `cargo xtask check` must pass on the committed tree and fail, with a
//! readable diff, as soon as the spec says something the generated code
//! does not.

use xtask::{SPEC, drift, generate, workspace_root};

/// Generates from a copy of the spec edited by `edit`, and returns the drift
/// report against the committed code (panicking if there is none).
fn drift_after(name: &str, edit: impl FnOnce(&str) -> String) -> String {
    let root = workspace_root();
    let spec = std::fs::read_to_string(root.join(SPEC)).expect("spec");
    let dir = std::env::temp_dir().join(format!("hotdata-xtask-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let copy = dir.join("openapi.yaml");
    std::fs::write(&copy, edit(&spec)).expect("write copy");
    let (out, _) = generate(&copy).expect("edited spec still generates");
    let _ = std::fs::remove_dir_all(&dir);
    drift(&out, &root).expect_err("an edited spec must be reported as drift")
}

#[test]
fn committed_code_matches_the_spec() {
    let root = workspace_root();
    let (out, _) = generate(&root.join(SPEC)).expect("spec generates");
    if let Err(diff) = drift(&out, &root) {
        panic!("committed generated code is stale; run `cargo xtask regen`\n{diff}");
    }
}

#[test]
fn editing_one_field_of_the_spec_is_caught() {
    // Rename one response field of one schema, in a copy of the spec.
    let needle = "        execution_time_ms:\n";
    let diff = drift_after("edited", |spec| {
        assert!(spec.contains(needle), "fixture anchor moved; pick another field");
        spec.replacen(needle, "        execution_time_micros:\n", 1)
    });
    assert!(diff.contains("types.rs"), "{diff}");
    assert!(diff.contains("+    pub execution_time_micros"), "{diff}");
    assert!(diff.contains("-    pub execution_time_ms"), "{diff}");
}

#[test]
fn a_renamed_operation_is_caught() {
    let diff = drift_after("renamed-op", |spec| {
        spec.replacen(
            "operationId: purge_table_cache",
            "operationId: purge_one_table_cache",
            1,
        )
    });
    assert!(diff.contains("purge_one_table_cache"), "{diff}");
}
