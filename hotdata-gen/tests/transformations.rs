//! One fixture spec per transformation, each with a snapshot of what the
//! generator makes of it. `cargo xtask regen` rewrites the snapshots;
//! `cargo xtask check` (and CI, with `INSTA_UPDATE=no`) fails when they are
//! stale.

use hotdata_gen::{GenError, Output, Settings, generate, prepare};

fn fixture(name: &str) -> String {
    let path = format!("{}/tests/fixtures/{name}.yaml", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn generated(name: &str) -> Output {
    generate(&fixture(name), &Settings::default()).unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// The named top-level items of a generated file, formatted on their own.
fn items(file: &str, names: &[&str]) -> String {
    let parsed: syn::File = syn::parse_file(file).expect("generated code parses");
    let mut out = Vec::new();
    for item in parsed.items {
        let ident = match &item {
            syn::Item::Struct(s) => Some(s.ident.to_string()),
            syn::Item::Enum(e) => Some(e.ident.to_string()),
            syn::Item::Impl(i) => match &*i.self_ty {
                syn::Type::Path(p) => p.path.segments.last().map(|s| s.ident.to_string()),
                _ => None,
            },
            _ => None,
        };
        if ident.is_some_and(|i| names.contains(&i.as_str())) {
            out.push(item);
        }
    }
    assert!(!out.is_empty(), "none of {names:?} found");
    prettyplease::unparse(&syn::File {
        shebang: None,
        attrs: vec![],
        items: out,
    })
}

#[test]
fn lowering_31_to_30() {
    let (doc, _) = prepare(&fixture("lower_31")).expect("lowers");
    insta::assert_snapshot!(serde_json::to_string_pretty(&doc).expect("serialises"));
}

#[test]
fn several_2xx_bodies_become_an_outcome_enum() {
    let out = generated("outcomes");
    insta::assert_snapshot!("outcomes_module", out.files["outcomes.rs"]);
    insta::assert_snapshot!("outcomes_surface", out.surface);
}

#[test]
fn error_bodies_are_left_to_the_runtime_error() {
    let out = generated("error_bodies");
    let types: syn::File = syn::parse_file(&out.files["types.rs"]).expect("parses");
    let mut public = Vec::new();
    for item in &types.items {
        match item {
            syn::Item::Struct(s) => public.push(s.ident.to_string()),
            syn::Item::Enum(e) => public.push(e.ident.to_string()),
            _ => {}
        }
    }
    assert_eq!(public, ["Thing"], "only the success body is a type");
    assert_eq!(out.plan.unreferenced_schemas, ["ApiError", "Unused", "Generic"]);
    for file in out.files.values() {
        assert!(!file.contains("ApiError") && !file.contains("Generic"), "{file}");
    }
    // The surface names the error users get and the statuses it stands for.
    insta::assert_snapshot!("error_bodies_surface", out.surface);
}

#[test]
fn pagination_extension_becomes_streams() {
    let out = generated("pagination");
    insta::assert_snapshot!(out.files["pagination.rs"]);
}

#[test]
fn send_returns_the_runtime_error_and_keeps_failed_responses() {
    // `start_job` has a JSON body, an empty body and error bodies; `list_runs`
    // has one JSON body. Both `send()`s are rewritten to the runtime's error.
    let out = generated("outcomes");
    insta::assert_snapshot!("send_outcomes_builder", items(&out.files["builder.rs"], &["StartJob"]));
    let out = generated("pagination");
    insta::assert_snapshot!(
        "send_pagination_builder",
        items(&out.files["builder.rs"], &["ListRuns"])
    );
    insta::assert_snapshot!("operations_table", out.files["operations.rs"]);
    let client = &out.files["mod.rs"];
    assert!(
        client.contains("pub(crate) inner: crate::contract::Transport"),
        "{client}"
    );
    assert!(!client.contains("impl ClientHooks"), "the runtime implements the hooks");
}

#[test]
fn path_parameters_are_set_on_the_parsed_base_url() {
    let out = generated("path_params");
    let builder = items(&out.files["builder.rs"], &["DownloadItemVersion"]);
    assert!(!builder.contains("format!"), "{builder}");
    assert!(!builder.contains("encode_path"), "{builder}");
    insta::assert_snapshot!("send_path_params_builder", builder);
}

#[test]
fn operation_table_holds_templates_and_header_names() {
    let out = generated("path_params");
    insta::assert_snapshot!("path_params_operations", out.files["operations.rs"]);
}

#[test]
fn string_enums_become_open_enums() {
    let out = generated("open_enums");
    insta::assert_snapshot!(items(&out.files["types.rs"], &["RunStatus"]));
}

#[test]
fn lint_lists_every_problem_with_pointer_and_fix() {
    match generate(&fixture("lint_errors"), &Settings::default()) {
        Err(e @ GenError::Lint(_)) => insta::assert_snapshot!(e.to_string()),
        Err(other) => panic!("expected lint errors, got {other}"),
        Ok(_) => panic!("a broken spec generated code"),
    }
}

#[test]
fn output_is_deterministic() {
    let a = generated("pagination");
    let b = generated("pagination");
    assert_eq!(a.files, b.files);
}

#[test]
fn garbage_is_a_parse_error_not_a_panic() {
    for text in ["{", "openapi: 2.0\ninfo: {}", "[1, 2]", ""] {
        assert!(generate(text, &Settings::default()).is_err(), "{text:?} generated");
    }
}

/// Every `crate::` path in the generated files, with its items.
fn crate_paths(out: &Output) -> Vec<(String, String)> {
    let mut paths = Vec::new();
    for (file, text) in &out.files {
        let mut rest = text.as_str();
        while let Some(at) = rest.find("crate::") {
            let tail = &rest[at + "crate::".len()..];
            let end = tail
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == ':'))
                .unwrap_or(tail.len());
            paths.push((file.clone(), tail[..end].trim_end_matches(':').to_owned()));
            rest = &tail[end..];
        }
    }
    paths
}

#[test]
fn generated_code_reaches_the_crate_only_through_the_runtime_contract() {
    let settings = Settings::default();
    let runtime = settings
        .runtime_path
        .strip_prefix("crate::")
        .expect("runtime path is in the crate");
    let own = settings
        .module_path
        .strip_prefix("crate::")
        .expect("module path is in the crate");
    // What `hotdata/src/contract.rs` re-exports; the two lists change together.
    let contract = [
        "Error",
        "Piece",
        "QuerySome",
        "Transport",
        "collect_body",
        "decode_json",
        "decode_slice",
        "error_response",
        "request_error",
        "unexpected_status",
    ];
    let spec = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../spec/openapi.yaml")).expect("spec");
    let mut outputs = vec![(
        "spec/openapi.yaml".to_owned(),
        generate(&spec, &settings).expect("spec generates"),
    )];
    for name in ["outcomes", "pagination", "path_params", "open_enums", "error_bodies"] {
        outputs.push((name.to_owned(), generated(name)));
    }
    let mut used = std::collections::BTreeSet::new();
    for (source, out) in &outputs {
        for (file, path) in crate_paths(out) {
            if let Some(item) = path.strip_prefix(runtime).and_then(|p| p.strip_prefix("::")) {
                assert!(
                    contract.contains(&item),
                    "{source}: {file} uses `crate::{path}`, which the runtime contract does not offer"
                );
                used.insert(item.to_owned());
            } else {
                assert!(
                    path.starts_with(&format!("{own}::")),
                    "{source}: {file} uses `crate::{path}`; generated code may only use `{}` and itself",
                    settings.runtime_path
                );
            }
        }
    }
    let unused: Vec<_> = contract.iter().filter(|c| !used.contains(**c)).collect();
    assert!(
        unused.is_empty(),
        "the contract offers {unused:?}, which nothing generated uses"
    );
}
