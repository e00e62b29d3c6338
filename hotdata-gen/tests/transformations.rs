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

/// The named items of a submodule (`pub mod builder { .. }`) of a generated file.
fn module_items(file: &str, module: &str, names: &[&str]) -> String {
    let parsed: syn::File = syn::parse_file(file).expect("generated code parses");
    let inner = parsed
        .items
        .into_iter()
        .find_map(|item| match item {
            syn::Item::Mod(m) if m.ident == module => m.content.map(|(_, items)| items),
            _ => None,
        })
        .unwrap_or_else(|| panic!("no module {module}"));
    let text = prettyplease::unparse(&syn::File {
        shebang: None,
        attrs: vec![],
        items: inner,
    });
    items(&text, names)
}

/// One trait of a generated file.
fn trait_items(file: &str, name: &str) -> String {
    let parsed: syn::File = syn::parse_file(file).expect("generated code parses");
    let found: Vec<syn::Item> = parsed
        .items
        .into_iter()
        .filter(|item| matches!(item, syn::Item::Trait(t) if t.ident == name))
        .collect();
    assert!(!found.is_empty(), "no trait {name}");
    prettyplease::unparse(&syn::File {
        shebang: None,
        attrs: vec![],
        items: found,
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
fn deprecated_operations_properties_and_parameters_carry_notes() {
    let out = generated("deprecation");
    insta::assert_snapshot!(
        "deprecation_client",
        trait_items(&out.files["mod.rs"], "ClientWidgetsExt")
    );
    insta::assert_snapshot!("deprecation_model", items(&out.files["types.rs"], &["Widget"]));
    insta::assert_snapshot!(
        "deprecation_model_builder",
        module_items(&out.files["types.rs"], "builder", &["Widget"])
    );
    // `Widget` is sent by `put_widget` and keeps its builder; `WidgetPage` only arrives, and has none.
    let types = &out.files["types.rs"];
    assert!(types.contains("pub fn builder() -> builder::Widget {"), "{types}");
    assert!(!types.contains("builder::WidgetPage"), "{types}");
    assert!(
        !types.contains("pub struct WidgetPage {\n        widgets: ::std::result::Result"),
        "{types}"
    );
    let builder = items(&out.files["builder.rs"], &["ListWidgetsV0"]);
    assert!(
        builder.contains("#[deprecated(note = \"results are always sorted by id\")]\n    pub fn sort<"),
        "{builder}"
    );
    insta::assert_snapshot!("deprecation_surface", out.surface);
    // The page stream calls the deprecated `cursor` setter for the caller.
    let pages = &out.files["pagination.rs"];
    assert!(
        pages.contains("#[allow(deprecated)]\nimpl<'a> super::builder::ListWidgets<'a>"),
        "{pages}"
    );
}

#[test]
fn password_fields_are_redacted_in_debug() {
    let out = generated("secrets");
    insta::assert_snapshot!(
        "secrets_model",
        items(&out.files["types.rs"], &["CreateSecretRequest", "Secret"])
    );
    insta::assert_snapshot!(
        "secrets_model_builder",
        module_items(&out.files["types.rs"], "builder", &["CreateSecretRequest"])
    );
    let builder = items(&out.files["builder.rs"], &["CreateSecret"]);
    assert!(builder.contains(".field(\"x_vault_token\", &\"***\")"), "{builder}");
    assert!(!builder.contains("derive(Debug"), "{builder}");
    let ops = &out.files["operations.rs"];
    assert!(
        ops.contains("(\"CreateSecretRequest\", &[\"api_key\", \"value\"])"),
        "{ops}"
    );
}

#[test]
fn secret_looking_strings_need_format_password() {
    match generate(&fixture("secret_lint"), &Settings::default()) {
        Err(e @ GenError::Lint(_)) => insta::assert_snapshot!(e.to_string()),
        Err(other) => panic!("expected lint errors, got {other}"),
        Ok(_) => panic!("secret-looking fields generated code"),
    }
}

#[test]
fn json_rows_hold_lossless_cells_and_nullable_body_fields_are_tri_state() {
    let out = generated("cells_and_nulls");
    insta::assert_snapshot!(
        "cells_and_nulls_models",
        items(&out.files["types.rs"], &["UpdateReport", "ReportOutput"])
    );
    insta::assert_snapshot!(
        "cells_and_nulls_model_builders",
        module_items(&out.files["types.rs"], "builder", &["UpdateReport"])
    );
}

#[test]
fn date_times_become_timestamps() {
    let out = generated("timestamps");
    let types = &out.files["types.rs"];
    insta::assert_snapshot!("timestamps_models", items(types, &["OpenWindow", "Window"]));
    insta::assert_snapshot!(
        "timestamps_model_builders",
        module_items(types, "builder", &["OpenWindow"])
    );
    assert!(!types.contains("chrono"), "{types}");
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
    // As `cargo xtask regen` runs it: the models in `hotdata_models`.
    let settings = Settings {
        models_crate: Some("hotdata_models".into()),
        ..Settings::default()
    };
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
        "decode_slice",
        "send_json",
        "send_with",
        "unexpected_status",
    ];
    let spec = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../spec/openapi.yaml")).expect("spec");
    let mut outputs = vec![(
        "spec/openapi.yaml".to_owned(),
        generate(&spec, &settings).expect("spec generates"),
    )];
    for name in [
        "outcomes",
        "pagination",
        "path_params",
        "open_enums",
        "error_bodies",
        "cells_and_nulls",
        "timestamps",
    ] {
        let out = generate(&fixture(name), &settings).unwrap_or_else(|e| panic!("{name}: {e}"));
        outputs.push((name.to_owned(), out));
    }
    let mut used = std::collections::BTreeSet::new();
    for (source, out) in &outputs {
        // The models reach only themselves and the three runtime types of their own crate.
        for (file, path) in crate_paths(&Output {
            files: out.models.clone(),
            ..out.clone()
        }) {
            let item = path.split("::").next().unwrap_or(&path);
            assert!(
                ["types", "Cell", "Nullable", "Timestamp"].contains(&item),
                "{source}: models file {file} uses `crate::{path}`"
            );
        }
        for (file, path) in crate_paths(out) {
            // `Nullable::is_unset` is the item `Nullable`.
            let item = path
                .strip_prefix(runtime)
                .and_then(|p| p.strip_prefix("::"))
                .map(|p| p.split("::").next().unwrap_or(p));
            if let Some(item) = item {
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

#[test]
fn string_constraints_leave_plain_strings() {
    let out = generated("string_constraints");
    let types = items(&out.files["types.rs"], &["PutNoteRequest"]);
    assert!(types.contains("pub name: ::std::string::String,"), "{types}");
    assert!(types.contains("pub text: ::std::string::String,"), "{types}");
    for (file, text) in &out.files {
        assert!(!text.contains("regress"), "{file} validates a pattern");
        assert!(
            !text.contains("PutNoteRequestName"),
            "{file} has a newtype for a constrained name"
        );
    }
}
