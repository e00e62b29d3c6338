//! Lowering an OpenAPI 3.1 document to the 3.0 dialect that `openapiv3` and
//! progenitor read. A 3.0 document passes through unchanged.
//!
//! What changes, schema by schema:
//! - `type: [T, "null"]` becomes `type: T` with `nullable: true`; a type list
//!   of several non-null types becomes an `anyOf` of single types.
//! - `anyOf`/`oneOf` with a `{type: "null"}` branch loses that branch and
//!   becomes nullable (a lone remaining `$ref` is wrapped in `allOf`).
//! - `const: v` becomes `enum: [v]`.
//! - `examples: [..]` becomes `example` (the first one).
//! - numeric `exclusiveMinimum`/`exclusiveMaximum` become the 3.0 boolean
//!   form next to `minimum`/`maximum`.
//! - `$ref` with sibling keywords: annotations (description, title, ...) are
//!   dropped, since 3.0 ignores them anyway; validation siblings are kept by
//!   wrapping the reference in `allOf`.
//! - keywords 3.0 lacks (`$schema`, `$id`, `contentMediaType`, ...) are dropped.

use serde_json::{Map, Value, json};

use crate::diag::Diagnostic;
use crate::walk::for_each_schema;

/// The OpenAPI version family a document declares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Version {
    /// 3.0.x: read as is.
    V30,
    /// 3.1.x: lowered first.
    V31,
}

/// Reads the `openapi` field.
pub fn version(doc: &Value) -> Result<Version, Diagnostic> {
    match doc.get("openapi").and_then(Value::as_str) {
        Some(v) if v.starts_with("3.0.") => Ok(Version::V30),
        Some(v) if v.starts_with("3.1.") => Ok(Version::V31),
        other => Err(Diagnostic::new(
            "/openapi",
            format!("unsupported OpenAPI version {other:?}"),
            "declare `openapi: 3.1.0` (or a 3.0.x version)",
        )),
    }
}

/// Annotation keywords that 3.0 ignores next to `$ref`. The generator's own
/// annotations (`x-hotdata-deprecation`, `x-hotdata-not-secret`) are read
/// from the document before lowering, so they go too.
const ANNOTATIONS: [&str; 10] = [
    "description",
    "title",
    "summary",
    "deprecated",
    "readOnly",
    "writeOnly",
    "example",
    "examples",
    "x-hotdata-deprecation",
    "x-hotdata-not-secret",
];

/// 3.1 (JSON Schema 2020-12) keywords with no 3.0 meaning.
const DROPPED: [&str; 9] = [
    "$schema",
    "$id",
    "$anchor",
    "$comment",
    "$defs",
    "contentMediaType",
    "contentEncoding",
    "unevaluatedProperties",
    "propertyNames",
];

/// Lowers `doc` in place. Returns every problem found; the document is only
/// meaningful when the list is empty.
pub fn lower(doc: &mut Value) -> Vec<Diagnostic> {
    let mut diags = Vec::new();
    match version(doc) {
        Ok(Version::V30) => return diags,
        Ok(Version::V31) => {}
        Err(d) => return vec![d],
    }
    if let Some(root) = doc.as_object_mut() {
        root.insert("openapi".into(), json!("3.0.3"));
        root.remove("jsonSchemaDialect");
        root.remove("webhooks");
        root.entry("paths").or_insert_with(|| json!({}));
        if let Some(info) = root.get_mut("info").and_then(Value::as_object_mut) {
            info.remove("summary");
            if let Some(license) = info.get_mut("license").and_then(Value::as_object_mut) {
                license.remove("identifier");
            }
        }
    }
    for_each_schema(doc, &mut |ptr, schema| lower_schema(ptr, schema, &mut diags));
    diags
}

fn lower_schema(ptr: &str, schema: &mut Value, diags: &mut Vec<Diagnostic>) {
    let Some(obj) = schema.as_object_mut() else {
        if schema.is_boolean() {
            // `true` / `false` schemas: 3.0 has only the object form.
            *schema = if schema.as_bool() == Some(true) {
                json!({})
            } else {
                json!({"not": {}})
            };
        }
        return;
    };
    for k in DROPPED {
        obj.remove(k);
    }

    if obj.contains_key("$ref") && obj.len() > 1 {
        for k in ANNOTATIONS {
            obj.remove(k);
        }
        if obj.len() > 1 {
            let r = obj.remove("$ref").unwrap_or(Value::Null);
            obj.insert("allOf".into(), json!([{ "$ref": r }]));
        }
    }

    if let Some(c) = obj.remove("const") {
        obj.insert("enum".into(), json!([c]));
    }
    if let Some(examples) = obj.remove("examples")
        && let Some(first) = examples.as_array().and_then(|a| a.first())
    {
        obj.insert("example".into(), first.clone());
    }
    for (excl, bound) in [("exclusiveMinimum", "minimum"), ("exclusiveMaximum", "maximum")] {
        if let Some(n) = obj.get(excl).filter(|v| v.is_number()).cloned() {
            obj.insert(bound.into(), n);
            obj.insert(excl.into(), json!(true));
        }
    }

    if let Some(types) = obj.get("type").and_then(Value::as_array).cloned() {
        let mut nullable = false;
        let mut rest = Vec::new();
        for t in &types {
            match t.as_str() {
                Some("null") => nullable = true,
                Some(other) => rest.push(other.to_string()),
                None => diags.push(Diagnostic::new(
                    format!("{ptr}/type"),
                    "a `type` list entry is not a string",
                    "list type names only, e.g. `type: [string, \"null\"]`",
                )),
            }
        }
        match rest.len() {
            0 => {
                diags.push(Diagnostic::new(
                    format!("{ptr}/type"),
                    "a schema whose only type is `null` cannot be expressed in OpenAPI 3.0",
                    "drop the property, or give it a real type plus \"null\"",
                ));
            }
            1 => {
                obj.insert("type".into(), json!(rest[0]));
            }
            _ => {
                obj.remove("type");
                let branches: Vec<Value> = rest.iter().map(|t| json!({ "type": t })).collect();
                obj.insert("anyOf".into(), Value::Array(branches));
            }
        }
        if nullable {
            obj.insert("nullable".into(), json!(true));
        }
    }
    // a `null` member of an enum is implied by `nullable` in 3.0
    if obj.get("nullable") == Some(&json!(true))
        && let Some(list) = obj.get_mut("enum").and_then(Value::as_array_mut)
    {
        list.retain(|v| !v.is_null());
    }

    for key in ["anyOf", "oneOf"] {
        let Some(list) = obj.get(key).and_then(Value::as_array) else {
            continue;
        };
        let is_null = |v: &Value| {
            v.get("type").and_then(Value::as_str) == Some("null") && v.as_object().is_some_and(|o| o.len() == 1)
        };
        if !list.iter().any(is_null) {
            continue;
        }
        let kept: Vec<Value> = list.iter().filter(|v| !is_null(v)).cloned().collect();
        obj.remove(key);
        obj.insert("nullable".into(), json!(true));
        match kept.len() {
            0 => {}
            1 => {
                let only = kept.into_iter().next().unwrap_or_default();
                merge_single(obj, only);
            }
            _ => {
                obj.insert(key.into(), Value::Array(kept));
            }
        }
    }
}

/// `anyOf: [X, null]` collapses to X itself, made nullable.
fn merge_single(obj: &mut Map<String, Value>, only: Value) {
    match only {
        Value::Object(inner) if inner.contains_key("$ref") => {
            obj.insert("allOf".into(), json!([inner]));
        }
        Value::Object(inner) => {
            for (k, v) in inner {
                if k == "type" && v == json!("null") {
                    continue;
                }
                obj.entry(k).or_insert(v);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lowered(schema: Value) -> Value {
        let mut doc = json!({
            "openapi": "3.1.0",
            "info": {"title": "t", "version": "1"},
            "components": {"schemas": {"S": schema}}
        });
        let diags = lower(&mut doc);
        assert!(diags.is_empty(), "{diags:?}");
        assert_eq!(doc["openapi"], "3.0.3");
        doc["components"]["schemas"]["S"].clone()
    }

    #[test]
    fn null_in_type_list_becomes_nullable() {
        assert_eq!(
            lowered(json!({"type": ["string", "null"]})),
            json!({"type": "string", "nullable": true})
        );
    }

    #[test]
    fn ref_or_null_becomes_nullable_all_of() {
        assert_eq!(
            lowered(json!({"anyOf": [{"$ref": "#/components/schemas/T"}, {"type": "null"}]})),
            json!({"nullable": true, "allOf": [{"$ref": "#/components/schemas/T"}]})
        );
    }

    #[test]
    fn const_and_examples_and_exclusive_bounds() {
        assert_eq!(
            lowered(json!({"type": "integer", "const": 3, "examples": [3, 4], "exclusiveMinimum": 0})),
            json!({"type": "integer", "enum": [3], "example": 3, "minimum": 0, "exclusiveMinimum": true})
        );
    }

    #[test]
    fn ref_siblings_annotations_dropped_validation_kept() {
        assert_eq!(
            lowered(json!({"$ref": "#/components/schemas/T", "description": "d"})),
            json!({"$ref": "#/components/schemas/T"})
        );
        assert_eq!(
            lowered(json!({"$ref": "#/components/schemas/T", "description": "d", "nullable": true})),
            json!({"nullable": true, "allOf": [{"$ref": "#/components/schemas/T"}]})
        );
    }

    #[test]
    fn several_types_become_any_of() {
        assert_eq!(
            lowered(json!({"type": ["string", "integer", "null"]})),
            json!({"anyOf": [{"type": "string"}, {"type": "integer"}], "nullable": true})
        );
    }

    #[test]
    fn only_null_is_reported() {
        let mut doc = json!({
            "openapi": "3.1.0",
            "info": {"title": "t", "version": "1"},
            "components": {"schemas": {"S": {"properties": {"x": {"type": ["null"]}}}}}
        });
        let diags = lower(&mut doc);
        assert_eq!(diags.len(), 1);
        assert_eq!(diags[0].pointer, "/components/schemas/S/properties/x/type");
    }

    #[test]
    fn v30_is_untouched() {
        let mut doc = json!({"openapi": "3.0.3", "info": {"title": "t", "version": "1"}, "paths": {},
            "components": {"schemas": {"S": {"type": "string", "nullable": true}}}});
        let before = doc.clone();
        assert!(lower(&mut doc).is_empty());
        assert_eq!(doc, before);
    }
}
