//! With the `schemars` feature every model, open enums included, has a JSON
//! Schema.
#![cfg(feature = "schemars")]

use hotdata_models::types::{QueryRequest, QueryRunStatus};

#[test]
fn models_and_open_enums_have_schemas() {
    let request = serde_json::to_value(schemars::schema_for!(QueryRequest)).expect("schema serialises");
    assert!(request["properties"]["sql"].is_object(), "{request}");
    assert!(
        request["required"]
            .as_array()
            .is_some_and(|r| r.iter().any(|v| v == "sql")),
        "{request}"
    );

    let status = serde_json::to_value(schemars::schema_for!(QueryRunStatus)).expect("schema serialises");
    assert_eq!(status["type"], "string", "{status}");
    assert!(
        status["examples"]
            .as_array()
            .is_some_and(|e| e.iter().any(|v| v == "succeeded")),
        "{status}"
    );
}
