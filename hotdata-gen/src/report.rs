//! What a spec change does to users of the generated client, as lines ready
//! for `CHANGELOG.md`: operations added, removed or deprecated, request
//! parameters, schemas and their fields added or removed, field types
//! changed, fields that became optional or required, enum values added or
//! removed. Each line says whether it is `breaking` (code that compiled or
//! data that decoded before may not any more) or `additive`.
//!
//! Both documents are lowered to OpenAPI 3.0 first, so a 3.1 `[T, "null"]`
//! and a 3.0 `nullable: true` compare equal.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use serde_json::{Map, Value};

use crate::diag::GenError;
use crate::walk::METHODS;

/// Whether a change can break existing users.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Impact {
    /// Code that compiled, or a response that decoded, may not any more.
    Breaking,
    /// Existing code keeps working.
    Additive,
}

/// One user-visible change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    pub impact: Impact,
    pub text: String,
}

/// Every user-visible difference from the spec `base` to the spec `head`,
/// breaking changes first, each group in document order.
pub fn changes(base: &str, head: &str) -> Result<Vec<Change>, GenError> {
    let base = Doc::read(base)?;
    let head = Doc::read(head)?;
    let mut out = Vec::new();
    operations(&base, &head, &mut out);
    schemas(&base, &head, &mut out);
    out.sort_by_key(|c| c.impact);
    Ok(out)
}

/// [`changes`] as a Markdown list under a heading, ready to paste into
/// `CHANGELOG.md`.
pub fn render(base: &str, head: &str) -> Result<String, GenError> {
    let changes = changes(base, head)?;
    let mut out = String::from("### API changes (spec/openapi.yaml)\n\n");
    if changes.is_empty() {
        out.push_str("- none visible to users\n");
    }
    for c in &changes {
        let tag = match c.impact {
            Impact::Breaking => "breaking",
            Impact::Additive => "additive",
        };
        let _ = writeln!(out, "- **{tag}**: {}", c.text);
    }
    Ok(out)
}

fn push(out: &mut Vec<Change>, impact: Impact, text: String) {
    out.push(Change { impact, text });
}

/// A lowered document.
struct Doc {
    root: Value,
}

/// One operation's facts that users see.
struct Op {
    method: String,
    path: String,
    deprecated: bool,
    /// `(location, name)` -> required.
    params: BTreeMap<(String, String), (bool, String)>,
}

impl Doc {
    fn read(text: &str) -> Result<Doc, GenError> {
        let mut root = crate::load(text)?;
        let diags = crate::lower::lower(&mut root);
        if !diags.is_empty() {
            return Err(GenError::Lint(diags));
        }
        Ok(Doc { root })
    }

    fn resolve<'a>(&'a self, mut v: &'a Value) -> &'a Value {
        for _ in 0..8 {
            match v.get("$ref").and_then(Value::as_str).and_then(|r| r.strip_prefix('#')) {
                Some(ptr) => match self.root.pointer(ptr) {
                    Some(target) => v = target,
                    None => return v,
                },
                None => return v,
            }
        }
        v
    }

    /// Operations by id, in document order.
    fn operations(&self) -> Vec<(String, Op)> {
        let mut out = Vec::new();
        let Some(paths) = self.root.get("paths").and_then(Value::as_object) else {
            return out;
        };
        for (path, item) in paths {
            for method in METHODS {
                let Some(op) = item.get(method) else { continue };
                let Some(id) = op.get("operationId").and_then(Value::as_str) else {
                    continue;
                };
                let mut params = BTreeMap::new();
                let listed = item
                    .get("parameters")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .chain(op.get("parameters").and_then(Value::as_array).into_iter().flatten());
                for p in listed {
                    let p = self.resolve(p);
                    let name = p.get("name").and_then(Value::as_str).unwrap_or_default();
                    let at = p.get("in").and_then(Value::as_str).unwrap_or_default();
                    let required = p.get("required").and_then(Value::as_bool).unwrap_or(false);
                    let ty = p.get("schema").map(label).unwrap_or_default();
                    params.insert((at.to_owned(), name.to_owned()), (required, ty));
                }
                out.push((
                    id.to_owned(),
                    Op {
                        method: method.to_uppercase(),
                        path: path.clone(),
                        deprecated: op.get("deprecated") == Some(&Value::Bool(true)),
                        params,
                    },
                ));
            }
        }
        out
    }

    /// Component schemas a request body reaches, directly or through
    /// `$ref`s: the types users build themselves.
    fn request_schemas(&self) -> BTreeSet<String> {
        fn refs(v: &Value, found: &mut Vec<String>) {
            match v {
                Value::Object(map) => {
                    if let Some(name) = map
                        .get("$ref")
                        .and_then(Value::as_str)
                        .and_then(|r| r.strip_prefix("#/components/schemas/"))
                    {
                        found.push(name.to_owned());
                    }
                    map.values().for_each(|v| refs(v, found));
                }
                Value::Array(items) => items.iter().for_each(|v| refs(v, found)),
                _ => {}
            }
        }
        let mut todo = Vec::new();
        if let Some(paths) = self.root.get("paths").and_then(Value::as_object) {
            for item in paths.values() {
                for method in METHODS {
                    if let Some(body) = item.get(method).and_then(|op| op.get("requestBody")) {
                        refs(self.resolve(body), &mut todo);
                    }
                }
            }
        }
        let schemas = self.schemas();
        let mut seen = BTreeSet::new();
        while let Some(name) = todo.pop() {
            if seen.insert(name.clone())
                && let Some(s) = schemas.get(&name)
            {
                refs(s, &mut todo);
            }
        }
        seen
    }

    fn schemas(&self) -> Map<String, Value> {
        self.root
            .pointer("/components/schemas")
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default()
    }
}

/// A short type label: `string`, `integer(int64)`, `array of Foo`, `Foo`,
/// with ` or null` when nullable.
fn label(s: &Value) -> String {
    let nullable = s.get("nullable") == Some(&Value::Bool(true));
    let base = if let Some(r) = s.get("$ref").and_then(Value::as_str) {
        r.rsplit('/').next().unwrap_or(r).to_owned()
    } else if let Some([only]) = s.get("allOf").and_then(Value::as_array).map(Vec::as_slice) {
        label(only)
    } else if let Some(ty) = s.get("type").and_then(Value::as_str) {
        match (ty, s.get("format").and_then(Value::as_str)) {
            ("array", _) => format!("array of {}", s.get("items").map(label).unwrap_or_default()),
            // Redaction is not a type: `format: password` is reported on its own.
            (t, Some("password")) => t.to_owned(),
            (t, Some(f)) => format!("{t}({f})"),
            (t, None) => t.to_owned(),
        }
    } else if let Some(variants) = s.get("oneOf").or_else(|| s.get("anyOf")).and_then(Value::as_array) {
        variants.iter().map(label).collect::<Vec<_>>().join(" | ")
    } else {
        "any".to_owned()
    };
    if nullable { format!("{base} or null") } else { base }
}

fn operations(base: &Doc, head: &Doc, out: &mut Vec<Change>) {
    let before: BTreeMap<String, Op> = base.operations().into_iter().collect();
    let after = head.operations();
    let after_ids: BTreeMap<&str, &Op> = after.iter().map(|(id, op)| (id.as_str(), op)).collect();
    for (id, op) in &before {
        if !after_ids.contains_key(id.as_str()) {
            push(
                out,
                Impact::Breaking,
                format!("operation `{id}` removed (`{} {}`)", op.method, op.path),
            );
        }
    }
    for (id, op) in &after {
        let Some(old) = before.get(id) else {
            let deprecated = if op.deprecated { ", deprecated" } else { "" };
            push(
                out,
                Impact::Additive,
                format!("operation `{id}` added (`{} {}`{deprecated})", op.method, op.path),
            );
            continue;
        };
        if op.deprecated && !old.deprecated {
            push(out, Impact::Additive, format!("operation `{id}` deprecated"));
        }
        if (&op.method, &op.path) != (&old.method, &old.path) {
            push(
                out,
                Impact::Additive,
                format!(
                    "operation `{id}` moved from `{} {}` to `{} {}` (the generated call follows)",
                    old.method, old.path, op.method, op.path
                ),
            );
        }
        for ((at, name), (required, ty)) in &old.params {
            match op.params.get(&(at.clone(), name.clone())) {
                None => push(
                    out,
                    Impact::Breaking,
                    format!("`{id}`: {at} parameter `{name}` removed"),
                ),
                Some((now_required, now_ty)) => {
                    if now_ty != ty {
                        push(
                            out,
                            Impact::Breaking,
                            format!("`{id}`: {at} parameter `{name}` type changed from {ty} to {now_ty}"),
                        );
                    }
                    if *now_required && !required {
                        push(
                            out,
                            Impact::Breaking,
                            format!("`{id}`: {at} parameter `{name}` became required"),
                        );
                    } else if !now_required && *required {
                        push(
                            out,
                            Impact::Additive,
                            format!("`{id}`: {at} parameter `{name}` became optional"),
                        );
                    }
                }
            }
        }
        for ((at, name), (required, ty)) in &op.params {
            if !old.params.contains_key(&(at.clone(), name.clone())) {
                let (impact, how) = if *required {
                    (Impact::Breaking, "required")
                } else {
                    (Impact::Additive, "optional")
                };
                push(
                    out,
                    impact,
                    format!("`{id}`: {how} {at} parameter `{name}` ({ty}) added"),
                );
            }
        }
    }
}

fn required(s: &Value) -> Vec<String> {
    s.get("required")
        .and_then(Value::as_array)
        .map(|r| r.iter().filter_map(Value::as_str).map(str::to_owned).collect())
        .unwrap_or_default()
}

fn enum_values(s: &Value) -> Option<Vec<String>> {
    s.get("enum").and_then(Value::as_array).map(|v| {
        v.iter()
            .map(|x| x.as_str().map_or_else(|| x.to_string(), str::to_owned))
            .collect()
    })
}

fn is_password(s: &Value) -> bool {
    let format = |s: &Value| s.get("format") == Some(&Value::String("password".into()));
    format(s) || s.get("items").is_some_and(format)
}

fn schemas(base: &Doc, head: &Doc, out: &mut Vec<Change>) {
    let before = base.schemas();
    let after = head.schemas();
    // Users write struct literals of request types; a new field breaks those
    // (builders are unaffected). Response types are only read.
    let built_by_users = head.request_schemas();
    for name in before.keys() {
        if !after.contains_key(name) {
            push(out, Impact::Breaking, format!("type `{name}` removed"));
        }
    }
    for (name, s) in &after {
        let Some(old) = before.get(name) else {
            push(out, Impact::Additive, format!("type `{name}` added"));
            continue;
        };
        // Enum values.
        if let (Some(was), Some(now)) = (enum_values(old), enum_values(s)) {
            for v in was.iter().filter(|v| !now.contains(v)) {
                push(out, Impact::Breaking, format!("`{name}`: value `{v}` removed"));
            }
            for v in now.iter().filter(|v| !was.contains(v)) {
                push(out, Impact::Additive, format!("`{name}`: value `{v}` added"));
            }
        }
        // Fields.
        let props = |s: &Value| {
            s.get("properties")
                .and_then(Value::as_object)
                .cloned()
                .unwrap_or_default()
        };
        let (was, now) = (props(old), props(s));
        let (was_req, now_req) = (required(old), required(s));
        for field in was.keys() {
            if !now.contains_key(field) {
                push(out, Impact::Breaking, format!("`{name}.{field}` removed"));
            }
        }
        for (field, schema) in &now {
            let is_req = now_req.contains(field);
            let Some(old_schema) = was.get(field) else {
                let (impact, how, note) = if is_req {
                    (Impact::Breaking, "required", "")
                } else if built_by_users.contains(name) {
                    (
                        Impact::Breaking,
                        "optional",
                        "; struct literals must name it, builders need no change",
                    )
                } else {
                    (Impact::Additive, "optional", "")
                };
                push(
                    out,
                    impact,
                    format!("`{name}.{field}` added ({how}, {}{note})", label(schema)),
                );
                continue;
            };
            if is_password(schema) && !is_password(old_schema) {
                push(
                    out,
                    Impact::Additive,
                    format!("`{name}.{field}` is sensitive now: `Debug` prints it as \"***\""),
                );
            }
            let (a, b) = (label(old_schema), label(schema));
            if a != b {
                push(
                    out,
                    Impact::Breaking,
                    format!("`{name}.{field}` type changed from {a} to {b}"),
                );
            }
            let was_is_req = was_req.contains(field);
            if was_is_req && !is_req {
                push(
                    out,
                    Impact::Breaking,
                    format!("`{name}.{field}` changed from required to optional"),
                );
            } else if !was_is_req && is_req {
                push(
                    out,
                    Impact::Breaking,
                    format!("`{name}.{field}` changed from optional to required"),
                );
            }
        }
    }
}
