//! The regen report: what a spec change does to users, one CHANGELOG line
//! per change, each marked breaking or additive.

fn fixture(name: &str) -> String {
    let path = format!("{}/tests/fixtures/{name}.yaml", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

#[test]
fn report_lists_every_user_visible_change() {
    let report =
        hotdata_gen::report::render(&fixture("report_base"), &fixture("report_head")).expect("both specs read");
    insta::assert_snapshot!(report);
}

#[test]
fn the_same_spec_reports_nothing() {
    let spec = fixture("report_base");
    assert!(hotdata_gen::report::changes(&spec, &spec).expect("reads").is_empty());
    assert!(
        hotdata_gen::report::render(&spec, &spec)
            .expect("reads")
            .contains("- none visible to users")
    );
}

#[test]
fn the_real_spec_against_itself_reports_nothing() {
    let spec = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../spec/openapi.yaml")).expect("spec");
    assert_eq!(hotdata_gen::report::changes(&spec, &spec).expect("reads"), []);
}
