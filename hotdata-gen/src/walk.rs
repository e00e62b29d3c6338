//! Visiting every schema object of an OpenAPI document, wherever it sits.

use serde_json::Value;

use crate::diag::pointer;

pub(crate) const METHODS: [&str; 8] = ["get", "put", "post", "delete", "options", "head", "patch", "trace"];

/// Calls `f(pointer, schema)` on every schema in the document, parents before
/// children. `f` may rewrite the schema; its children are visited afterwards,
/// as rewritten.
pub(crate) fn for_each_schema(doc: &mut Value, f: &mut dyn FnMut(&str, &mut Value)) {
    let mut path: Vec<String> = Vec::new();
    let Some(root) = doc.as_object_mut() else { return };

    if let Some(components) = root.get_mut("components").and_then(Value::as_object_mut) {
        path.push("components".into());
        if let Some(schemas) = components.get_mut("schemas").and_then(Value::as_object_mut) {
            path.push("schemas".into());
            for (name, s) in schemas.iter_mut() {
                path.push(name.clone());
                schema(s, &mut path, f);
                path.pop();
            }
            path.pop();
        }
        for section in ["parameters", "headers"] {
            if let Some(items) = components.get_mut(section).and_then(Value::as_object_mut) {
                path.push(section.into());
                for (name, p) in items.iter_mut() {
                    path.push(name.clone());
                    with_schema(p, &mut path, f);
                    path.pop();
                }
                path.pop();
            }
        }
        for section in ["responses", "requestBodies"] {
            if let Some(items) = components.get_mut(section).and_then(Value::as_object_mut) {
                path.push(section.into());
                for (name, r) in items.iter_mut() {
                    path.push(name.clone());
                    body_like(r, &mut path, f);
                    path.pop();
                }
                path.pop();
            }
        }
        path.pop();
    }

    if let Some(paths) = root.get_mut("paths").and_then(Value::as_object_mut) {
        path.push("paths".into());
        for (p, item) in paths.iter_mut() {
            path.push(p.clone());
            if let Some(item) = item.as_object_mut() {
                if let Some(params) = item.get_mut("parameters").and_then(Value::as_array_mut) {
                    path.push("parameters".into());
                    for (i, prm) in params.iter_mut().enumerate() {
                        path.push(i.to_string());
                        with_schema(prm, &mut path, f);
                        path.pop();
                    }
                    path.pop();
                }
                for m in METHODS {
                    if let Some(op) = item.get_mut(m) {
                        path.push(m.into());
                        operation(op, &mut path, f);
                        path.pop();
                    }
                }
            }
            path.pop();
        }
    }
}

fn operation(op: &mut Value, path: &mut Vec<String>, f: &mut dyn FnMut(&str, &mut Value)) {
    let Some(op) = op.as_object_mut() else { return };
    if let Some(params) = op.get_mut("parameters").and_then(Value::as_array_mut) {
        path.push("parameters".into());
        for (i, prm) in params.iter_mut().enumerate() {
            path.push(i.to_string());
            with_schema(prm, path, f);
            path.pop();
        }
        path.pop();
    }
    if let Some(body) = op.get_mut("requestBody") {
        path.push("requestBody".into());
        body_like(body, path, f);
        path.pop();
    }
    if let Some(responses) = op.get_mut("responses").and_then(Value::as_object_mut) {
        path.push("responses".into());
        for (code, r) in responses.iter_mut() {
            path.push(code.clone());
            body_like(r, path, f);
            path.pop();
        }
        path.pop();
    }
}

/// A parameter or header: `{ schema: ... }`.
fn with_schema(v: &mut Value, path: &mut Vec<String>, f: &mut dyn FnMut(&str, &mut Value)) {
    if let Some(s) = v.get_mut("schema") {
        path.push("schema".into());
        schema(s, path, f);
        path.pop();
    }
}

/// A response or request body: `{ content: { mt: { schema } }, headers: {...} }`.
fn body_like(v: &mut Value, path: &mut Vec<String>, f: &mut dyn FnMut(&str, &mut Value)) {
    if let Some(content) = v.get_mut("content").and_then(Value::as_object_mut) {
        path.push("content".into());
        for (mt, m) in content.iter_mut() {
            path.push(mt.clone());
            with_schema(m, path, f);
            path.pop();
        }
        path.pop();
    }
    if let Some(headers) = v.get_mut("headers").and_then(Value::as_object_mut) {
        path.push("headers".into());
        for (name, h) in headers.iter_mut() {
            path.push(name.clone());
            with_schema(h, path, f);
            path.pop();
        }
        path.pop();
    }
}

fn schema(s: &mut Value, path: &mut Vec<String>, f: &mut dyn FnMut(&str, &mut Value)) {
    f(&pointer(path.iter()), s);
    let Some(obj) = s.as_object_mut() else { return };
    if let Some(props) = obj.get_mut("properties").and_then(Value::as_object_mut) {
        path.push("properties".into());
        for (name, p) in props.iter_mut() {
            path.push(name.clone());
            schema(p, path, f);
            path.pop();
        }
        path.pop();
    }
    for key in ["items", "additionalProperties", "not"] {
        if let Some(child) = obj.get_mut(key)
            && child.is_object()
        {
            path.push(key.into());
            schema(child, path, f);
            path.pop();
        }
    }
    for key in ["allOf", "anyOf", "oneOf", "prefixItems"] {
        if let Some(list) = obj.get_mut(key).and_then(Value::as_array_mut) {
            path.push(key.into());
            for (i, child) in list.iter_mut().enumerate() {
                path.push(i.to_string());
                schema(child, path, f);
                path.pop();
            }
            path.pop();
        }
    }
}
