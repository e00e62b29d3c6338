//! Lint and normalise: one pass over the lowered (3.0) document that finds
//! every pattern progenitor cannot express, rewrites it into one it can, and
//! records what the extra emitters must add on top.
//!
//! Patterns handled, for every operation that has them:
//! - several 2xx bodies of different types: progenitor sees one raw body; an
//!   outcome enum decodes it by status ([`Outcome`]);
//! - error bodies: the runtime's error reads them whatever their schema, so
//!   progenitor sees error responses without content, and schemas nothing
//!   else reaches are not emitted ([`Plan::unreferenced_schemas`]);
//! - `x-hotdata-pagination`: a pages and an items stream ([`Pagination`]);
//! - string enums in `components/schemas`: an open enum with an
//!   `Other(String)` catch-all replaces the closed one ([`OpenEnum`]);
//! - `pattern` and `minLength` on strings: dropped, so a name with an
//!   identifier rule stays a plain `String` field or argument instead of a
//!   validating newtype; the service enforces them and answers `400`
//!   (`drop_string_constraints`). `maxLength` still makes a newtype, as
//!   before.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Value, json};

use crate::diag::{Diagnostic, pointer};
use crate::walk::{METHODS, for_each_schema};

/// The extension that declares how a list operation pages.
pub const PAGINATION_EXTENSION: &str = "x-hotdata-pagination";

/// What the emitters need besides progenitor's output.
#[derive(Debug, Default, Clone)]
pub struct Plan {
    /// Operations in document order.
    pub operations: Vec<OperationFacts>,
    /// Operations whose 2xx bodies differ, by operationId.
    pub outcomes: BTreeMap<String, Outcome>,
    /// Paginated operations, by operationId.
    pub paginations: BTreeMap<String, Pagination>,
    /// String enums to emit as open enums, by schema name.
    pub open_enums: BTreeMap<String, OpenEnum>,
    /// Component schemas that are not emitted because no operation's
    /// parameters, request body or success response reaches them (error
    /// bodies, which the runtime's error reads, and unused schemas).
    pub unreferenced_schemas: Vec<String>,
    /// Deprecations, secrets, lossless cells and explicit-null fields.
    pub annotations: crate::annotate::Annotations,
}

/// Facts about one operation, used for the API surface and by emitters.
#[derive(Debug, Clone)]
pub struct OperationFacts {
    pub operation_id: String,
    pub method: String,
    pub path: String,
    pub tag: Option<String>,
    /// `(name, location, required, rust-ish type)` of each parameter.
    pub parameters: Vec<(String, String, bool, String)>,
    /// Request body media type and schema name (or `inline`).
    pub body: Option<(String, String)>,
    /// Human-readable success type.
    pub success: String,
    /// The 4xx and 5xx statuses the spec declares, as written (`404`, `5XX`).
    pub error_statuses: Vec<String>,
    /// Headers an API-key security scheme of the operation sends (the
    /// operation's `security`, else the document's), as the spec spells them.
    pub security_headers: Vec<String>,
    /// Headers any response of the operation declares, as the spec spells
    /// them, in order of first appearance.
    pub response_headers: Vec<String>,
    /// `deprecated: true` on the operation.
    pub deprecated: bool,
}

/// One success outcome.
#[derive(Debug, Clone)]
pub struct OutcomeVariant {
    pub status: u16,
    /// Component schema name of the body; `None` for an empty body.
    pub schema: Option<String>,
}

/// An operation with several different 2xx bodies.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub variants: Vec<OutcomeVariant>,
}

/// The two paging styles the extension can declare.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PageStyle {
    /// `cursor` in, `next_cursor` and `has_more` out.
    Cursor,
    /// `limit`/`offset` in, `has_more` out.
    Offset,
}

/// A paginated list operation.
#[derive(Debug, Clone)]
pub struct Pagination {
    pub style: PageStyle,
    /// Property of the page holding the items.
    pub items: String,
    /// Schema name of one item.
    pub item_schema: String,
    /// Schema name of a page.
    pub page_schema: String,
    /// Whether the page echoes the offset it starts at.
    pub echoes_offset: bool,
    /// Whether `has_more` may be absent or null (an `Option<bool>` in Rust);
    /// absent counts as "no more pages", as from a server that predates paging.
    pub has_more_optional: bool,
    /// Whether that echoed offset is declared non-negative (a `u64` in Rust).
    pub offset_unsigned: bool,
}

/// A string enum made open.
#[derive(Debug, Clone)]
pub struct OpenEnum {
    pub values: Vec<String>,
    pub description: Option<String>,
}

/// Resolves a local `$ref` (`#/components/...`) against the document.
fn resolve<'a>(doc: &'a Value, v: &'a Value) -> &'a Value {
    let mut cur = v;
    for _ in 0..8 {
        let Some(r) = cur.get("$ref").and_then(Value::as_str) else {
            return cur;
        };
        let Some(ptr) = r.strip_prefix('#') else { return cur };
        match doc.pointer(ptr) {
            Some(target) => cur = target,
            None => return cur,
        }
    }
    cur
}

fn schema_name(v: &Value) -> Option<String> {
    v.get("$ref")?
        .as_str()?
        .strip_prefix("#/components/schemas/")
        .map(str::to_owned)
}

fn is_snake_case(s: &str) -> bool {
    !s.is_empty()
        && s.starts_with(|c: char| c.is_ascii_lowercase())
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        && !s.contains("__")
        && !s.ends_with('_')
}

fn is_pascal_case(s: &str) -> bool {
    s.starts_with(|c: char| c.is_ascii_uppercase()) && s.chars().all(|c| c.is_ascii_alphanumeric())
}

/// `snake_case` to `PascalCase`, as progenitor names builders.
pub fn pascal(s: &str) -> String {
    s.split('_')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let mut c = p.chars();
            match c.next() {
                Some(f) => f.to_ascii_uppercase().to_string() + c.as_str(),
                None => String::new(),
            }
        })
        .collect()
}

/// How a response carries its body.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum BodyKind {
    None,
    /// JSON with a named schema.
    Named(String),
    /// JSON with an inline schema, keyed by the status declaring it: two
    /// inline schemas are never assumed to be the same type.
    Inline(String),
    /// Any other media type.
    Raw,
}

fn body_kind(doc: &Value, code: &str, response: &Value) -> BodyKind {
    let response = resolve(doc, response);
    let Some(content) = response.get("content").and_then(Value::as_object) else {
        return BodyKind::None;
    };
    if content.is_empty() {
        return BodyKind::None;
    }
    let json = content
        .iter()
        .find(|(mt, _)| *mt == "application/json" || mt.starts_with("application/json;"));
    match json {
        Some((_, mt)) => match mt.get("schema").and_then(schema_name) {
            Some(name) => BodyKind::Named(name),
            None => BodyKind::Inline(code.to_owned()),
        },
        None => BodyKind::Raw,
    }
}

fn status_class(code: &str) -> Option<u8> {
    match code {
        "default" => Some(0),
        _ if code.len() == 3 => code.chars().next().and_then(|c| c.to_digit(10)).map(|d| d as u8),
        _ => None,
    }
}

/// Lints and normalises `doc` in place. Returns the plan, or every problem.
pub fn plan(doc: &mut Value) -> Result<Plan, Vec<Diagnostic>> {
    let mut diags = Vec::new();
    let mut plan = Plan::default();
    let snapshot = doc.clone();

    lint_components(&snapshot, &mut diags);
    collect_open_enums(&snapshot, &mut plan);

    let mut seen_ids: BTreeMap<String, String> = BTreeMap::new();
    let mut rewrites: Vec<(String, Value)> = Vec::new();

    let paths = snapshot
        .get("paths")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    for (path, item) in &paths {
        if item.get("$ref").is_some() {
            diags.push(Diagnostic::new(
                pointer(["paths", path]),
                "path items given by `$ref` are not supported",
                "write the path item inline",
            ));
            continue;
        }
        for method in METHODS {
            let Some(op) = item.get(method) else { continue };
            let op_ptr = pointer(["paths", path.as_str(), method]);
            let id = match op.get("operationId").and_then(Value::as_str) {
                Some(id) => id.to_owned(),
                None => {
                    diags.push(Diagnostic::new(
                        op_ptr.clone(),
                        format!("{} {path} has no operationId", method.to_uppercase()),
                        "add a snake_case `operationId`; it names the generated method",
                    ));
                    continue;
                }
            };
            let mut local = Vec::new();
            if !is_snake_case(&id) {
                local.push(Diagnostic::new(
                    format!("{op_ptr}/operationId"),
                    format!("operationId `{id}` is not snake_case"),
                    "use lower snake_case, e.g. `list_datasets`",
                ));
            }
            if let Some(prev) = seen_ids.insert(id.clone(), op_ptr.clone()) {
                local.push(Diagnostic::new(
                    format!("{op_ptr}/operationId"),
                    format!("operationId `{id}` is also used at {prev}"),
                    "give every operation its own operationId",
                ));
            }
            let facts = analyse_operation(
                &snapshot,
                path,
                method,
                item,
                op,
                &id,
                &op_ptr,
                &mut plan,
                &mut rewrites,
                &mut local,
            );
            diags.extend(local.into_iter().map(|d| d.in_operation(Some(&id))));
            if let Some(f) = facts {
                plan.operations.push(f);
            }
        }
    }

    if !diags.is_empty() {
        return Err(diags);
    }

    for (ptr, value) in rewrites {
        if let Some(slot) = doc.pointer_mut(&ptr) {
            *slot = value;
        }
    }
    for_each_schema(doc, &mut |_, schema| drop_string_constraints(schema));
    // Outcome bodies reach progenitor as raw bytes; the outcome enums name them.
    let outcome_bodies = plan
        .outcomes
        .values()
        .flat_map(|o| o.variants.iter().filter_map(|v| v.schema.clone()))
        .collect::<Vec<_>>();
    let reached = reachable_schemas(doc, &outcome_bodies);
    if let Some(schemas) = doc.pointer_mut("/components/schemas").and_then(Value::as_object_mut) {
        schemas.retain(|name, _| {
            let keep = reached.contains(name);
            if !keep {
                plan.unreferenced_schemas.push(name.clone());
            }
            keep
        });
    }
    plan.open_enums.retain(|name, _| reached.contains(name));
    Ok(plan)
}

/// Removes `pattern` and `minLength` from one schema. They describe what the service accepts (identifier rules,
/// non-empty names) and stay in the spec for the server and conformance tools; the SDK sends what the caller
/// gives and lets the service answer `400`, as it does for rules no schema can express.
fn drop_string_constraints(schema: &mut Value) {
    if let Some(obj) = schema.as_object_mut() {
        for key in ["pattern", "minLength"] {
            obj.remove(key);
        }
    }
}

/// The component schemas the operations reach: through parameters, request
/// bodies and responses (following `$ref`s into `components`), then through
/// the schemas themselves. `also` are reached too (with what they reach).
fn reachable_schemas(doc: &Value, also: &[String]) -> BTreeSet<String> {
    fn refs(v: &Value, out: &mut Vec<String>) {
        match v {
            Value::Object(map) => {
                if let Some(r) = map.get("$ref").and_then(Value::as_str) {
                    out.push(r.to_owned());
                }
                map.values().for_each(|v| refs(v, out));
            }
            Value::Array(items) => items.iter().for_each(|v| refs(v, out)),
            _ => {}
        }
    }
    let mut reached = BTreeSet::new();
    let mut seen = BTreeSet::new();
    let mut todo = Vec::new();
    refs(doc.get("paths").unwrap_or(&Value::Null), &mut todo);
    todo.extend(also.iter().map(|name| format!("#/components/schemas/{name}")));
    while let Some(r) = todo.pop() {
        if !seen.insert(r.clone()) {
            continue;
        }
        if let Some(name) = r.strip_prefix("#/components/schemas/") {
            reached.insert(name.to_owned());
        }
        if let Some(target) = r.strip_prefix('#').and_then(|ptr| doc.pointer(ptr)) {
            refs(target, &mut todo);
        }
    }
    reached
}

fn lint_components(doc: &Value, diags: &mut Vec<Diagnostic>) {
    if let Some(schemas) = doc.pointer("/components/schemas").and_then(Value::as_object) {
        for name in schemas.keys() {
            if !is_pascal_case(name) {
                diags.push(Diagnostic::new(
                    pointer(["components", "schemas", name]),
                    format!("schema name `{name}` is not PascalCase"),
                    "rename it to PascalCase (letters and digits only); it becomes the Rust type name",
                ));
            }
        }
    }
    // Inline string enums cannot be made open; they must be named.
    let mut doc = doc.clone();
    for_each_schema(&mut doc, &mut |ptr, s| {
        let Some(values) = s.get("enum").and_then(Value::as_array) else {
            return;
        };
        let is_component = ptr.starts_with("/components/schemas/") && ptr.matches('/').count() == 3;
        if values.len() > 1 && values.iter().all(Value::is_string) && !is_component {
            diags.push(Diagnostic::new(
                ptr.to_owned(),
                "a string enum is declared inline",
                "move it to `components/schemas` and `$ref` it, so it gets an open enum type that tolerates new values",
            ));
        }
    });
}

fn collect_open_enums(doc: &Value, plan: &mut Plan) {
    let Some(schemas) = doc.pointer("/components/schemas").and_then(Value::as_object) else {
        return;
    };
    for (name, s) in schemas {
        let Some(values) = s.get("enum").and_then(Value::as_array) else {
            continue;
        };
        if !values.iter().all(Value::is_string) || s.get("nullable") == Some(&json!(true)) {
            continue;
        }
        plan.open_enums.insert(
            name.clone(),
            OpenEnum {
                values: values.iter().filter_map(Value::as_str).map(str::to_owned).collect(),
                description: s.get("description").and_then(Value::as_str).map(str::to_owned),
            },
        );
    }
}

#[allow(clippy::too_many_arguments)]
fn analyse_operation(
    doc: &Value,
    path: &str,
    method: &str,
    item: &Value,
    op: &Value,
    id: &str,
    op_ptr: &str,
    plan: &mut Plan,
    rewrites: &mut Vec<(String, Value)>,
    diags: &mut Vec<Diagnostic>,
) -> Option<OperationFacts> {
    // ---- parameters
    let mut parameters = Vec::new();
    let mut path_params = BTreeSet::new();
    let all_params = item
        .get("parameters")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .chain(op.get("parameters").and_then(Value::as_array).into_iter().flatten());
    for p in all_params {
        let p = resolve(doc, p);
        let name = p.get("name").and_then(Value::as_str).unwrap_or_default().to_owned();
        let location = p.get("in").and_then(Value::as_str).unwrap_or_default().to_owned();
        let required = p.get("required").and_then(Value::as_bool).unwrap_or(false);
        if location == "path" {
            if !required {
                diags.push(Diagnostic::new(
                    op_ptr.to_owned(),
                    format!("path parameter `{name}` is not marked required"),
                    "set `required: true` on every path parameter",
                ));
            }
            path_params.insert(name.clone());
        }
        if location == "cookie" {
            diags.push(Diagnostic::new(
                op_ptr.to_owned(),
                format!("cookie parameter `{name}` is not supported"),
                "send it as a header or query parameter",
            ));
        }
        let ty = p
            .get("schema")
            .map(|s| type_label(doc, s))
            .unwrap_or_else(|| "?".into());
        parameters.push((name, location, required, ty));
    }
    for seg in path.split('/') {
        if let Some(name) = seg.strip_prefix('{').and_then(|s| s.strip_suffix('}'))
            && !path_params.contains(name)
        {
            diags.push(Diagnostic::new(
                op_ptr.to_owned(),
                format!("`{{{name}}}` appears in the path but no path parameter declares it"),
                format!("add `{{name: {name}, in: path, required: true, schema: {{type: string}}}}`"),
            ));
        }
    }

    // ---- request body
    let mut body = None;
    if let Some(rb) = op.get("requestBody") {
        let rb = resolve(doc, rb);
        let content = rb.get("content").and_then(Value::as_object);
        let bptr = format!("{op_ptr}/requestBody/content");
        match content.map(|c| c.len()).unwrap_or(0) {
            0 => diags.push(Diagnostic::new(
                bptr,
                "the request body has no media type",
                "declare one media type",
            )),
            1 => {
                let (mt, m) = content
                    .and_then(|c| c.iter().next())
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .unwrap_or_default();
                let base = mt.split(';').next().unwrap_or_default().trim().to_owned();
                let schema = m.get("schema");
                match base.as_str() {
                    "application/json" | "application/x-www-form-urlencoded" => {
                        if schema.is_none() {
                            diags.push(Diagnostic::new(
                                format!("{bptr}/{}", crate::diag::escape(&mt)),
                                "the JSON request body has no schema",
                                "add a `schema`, ideally a `$ref` to a named request schema",
                            ));
                        }
                    }
                    "application/octet-stream" => {
                        let s = schema.map(|s| resolve(doc, s));
                        let ok = s.is_some_and(|s| {
                            s.get("type") == Some(&json!("string")) && s.get("format") == Some(&json!("binary"))
                        });
                        if !ok {
                            diags.push(Diagnostic::new(
                                format!("{bptr}/{}", crate::diag::escape(&mt)),
                                "a raw body must be declared as bytes",
                                "use `schema: {type: string, format: binary}`",
                            ));
                        }
                    }
                    "text/plain" | "text/x-markdown" => {}
                    other => diags.push(Diagnostic::new(
                        format!("{bptr}/{}", crate::diag::escape(&mt)),
                        format!("request media type `{other}` is not supported by the generator"),
                        "use application/json, application/octet-stream, application/x-www-form-urlencoded or text/plain",
                    )),
                }
                if m.get("encoding").is_some() {
                    diags.push(Diagnostic::new(
                        format!("{bptr}/{}/encoding", crate::diag::escape(&mt)),
                        "media type `encoding` is not supported",
                        "remove `encoding`",
                    ));
                }
                let label = schema
                    .map(|s| schema_name(s).unwrap_or_else(|| type_label(doc, s)))
                    .unwrap_or_default();
                body = Some((base, label));
            }
            n => diags.push(Diagnostic::new(
                bptr,
                format!("the request body offers {n} media types; the generated method can send only one"),
                "keep a single media type in `requestBody.content`",
            )),
        }
    }

    // ---- responses
    let Some(responses) = op.get("responses").and_then(Value::as_object) else {
        diags.push(Diagnostic::new(
            op_ptr.to_owned(),
            "the operation has no responses",
            "declare at least one 2xx response",
        ));
        return None;
    };
    let mut success: Vec<(String, BodyKind)> = Vec::new();
    let mut errors: Vec<(String, BodyKind)> = Vec::new();
    for (code, r) in responses {
        let rptr = format!("{op_ptr}/responses/{code}");
        let resolved = resolve(doc, r);
        if let Some(content) = resolved.get("content").and_then(Value::as_object) {
            for (mt, m) in content {
                if m.get("encoding").is_some() {
                    diags.push(Diagnostic::new(
                        format!("{rptr}/content/{}", crate::diag::escape(mt)),
                        "response media type `encoding` is not supported",
                        "remove `encoding`",
                    ));
                }
                if (mt == "application/json" || mt.starts_with("application/json;")) && m.get("schema").is_none() {
                    diags.push(Diagnostic::new(
                        format!("{rptr}/content/{}", crate::diag::escape(mt)),
                        "a JSON response has no schema",
                        "add a `schema` (a `$ref` to a named schema)",
                    ));
                }
            }
        }
        let kind = body_kind(doc, code, r);
        match status_class(&code.to_ascii_uppercase().replace("XX", "00")) {
            Some(2) => success.push((code.clone(), kind)),
            Some(4 | 5) => errors.push((code.clone(), kind)),
            Some(0) => {
                diags.push(Diagnostic::new(
                    rptr,
                    "a `default` response hides which statuses the API really returns",
                    "list the real status codes instead of `default`",
                ));
            }
            _ => {}
        }
    }
    if success.is_empty() {
        diags.push(Diagnostic::new(
            format!("{op_ptr}/responses"),
            "the operation declares no 2xx response",
            "declare the success response (e.g. `200`)",
        ));
        return None;
    }

    // ---- errors: read by the runtime, whatever their body. Every generated
    // `send()` returns the runtime's error, which keeps status, headers and
    // body, so progenitor is shown error responses without content: it then
    // needs no error type, and schemas only error bodies use are not emitted.
    let mut error_statuses = Vec::new();
    for (code, _) in &errors {
        error_statuses.push(code.clone());
        let resolved = resolve(doc, &responses[code]);
        let mut bare = json!({
            "description": resolved.get("description").cloned().unwrap_or_else(|| json!("")),
        });
        if let Some(h) = resolved.get("headers") {
            bare["headers"] = h.clone();
        }
        rewrites.push((format!("{op_ptr}/responses/{}", crate::diag::escape(code)), bare));
    }

    // ---- success: one type, or an outcome decoded by status
    let success_kinds: BTreeSet<BodyKind> = success.iter().map(|(_, k)| k.clone()).collect();
    let success_label;
    if success_kinds.len() > 1 {
        let mut variants = Vec::new();
        for (code, k) in &success {
            let Ok(status) = code.parse::<u16>() else {
                diags.push(Diagnostic::new(
                    format!("{op_ptr}/responses/{code}"),
                    "a status range cannot be told apart from the other 2xx bodies",
                    "use an exact status code",
                ));
                continue;
            };
            match k {
                BodyKind::Named(n) => variants.push(OutcomeVariant {
                    status,
                    schema: Some(n.clone()),
                }),
                BodyKind::None => variants.push(OutcomeVariant { status, schema: None }),
                BodyKind::Inline(_) | BodyKind::Raw => diags.push(Diagnostic::new(
                    format!("{op_ptr}/responses/{code}"),
                    format!("the {code} body differs from the other 2xx bodies but has no named JSON schema"),
                    "move the body schema to `components/schemas` and `$ref` it, so the outcome enum can name it",
                )),
            }
            let resolved = resolve(doc, &responses[code]).clone();
            let mut raw = json!({
                "description": resolved.get("description").cloned().unwrap_or_else(|| json!("")),
                "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}}
            });
            if let Some(h) = resolved.get("headers") {
                raw["headers"] = h.clone();
            }
            rewrites.push((format!("{op_ptr}/responses/{}", crate::diag::escape(code)), raw));
        }
        success_label = format!("{}Outcome", pascal(id));
        plan.outcomes.insert(id.to_owned(), Outcome { variants });
    } else {
        success_label = match success_kinds.iter().next() {
            Some(BodyKind::Named(n)) => n.clone(),
            Some(BodyKind::Inline(_)) => format!("{}Response", pascal(id)),
            Some(BodyKind::Raw) => "ByteStream".into(),
            _ => "()".into(),
        };
    }

    // ---- pagination
    if let Some(ext) = op.get(PAGINATION_EXTENSION) {
        let eptr = format!("{op_ptr}/{PAGINATION_EXTENSION}");
        if let Some(p) = analyse_pagination(doc, ext, &eptr, &parameters, &success, diags) {
            plan.paginations.insert(id.to_owned(), p);
        }
    }

    let mut response_headers: Vec<String> = Vec::new();
    for r in responses.values() {
        if let Some(headers) = resolve(doc, r).get("headers").and_then(Value::as_object) {
            for name in headers.keys() {
                if !response_headers.iter().any(|h| h.eq_ignore_ascii_case(name)) {
                    response_headers.push(name.clone());
                }
            }
        }
    }

    Some(OperationFacts {
        security_headers: security_headers(doc, op),
        response_headers,
        deprecated: op.get("deprecated") == Some(&json!(true)),
        operation_id: id.to_owned(),
        method: method.to_uppercase(),
        path: path.to_owned(),
        tag: op
            .get("tags")
            .and_then(Value::as_array)
            .and_then(|t| t.first())
            .and_then(Value::as_str)
            .map(str::to_owned),
        parameters,
        body,
        success: success_label,
        error_statuses,
    })
}

/// The header names of the API-key schemes in header that the operation's
/// security requirements (or the document's, when it has none) name.
fn security_headers(doc: &Value, op: &Value) -> Vec<String> {
    let requirements = op
        .get("security")
        .or_else(|| doc.get("security"))
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let mut out: Vec<String> = Vec::new();
    for requirement in &requirements {
        let Some(schemes) = requirement.as_object() else {
            continue;
        };
        for scheme in schemes.keys() {
            let Some(s) = doc.pointer(&pointer(["components", "securitySchemes", scheme.as_str()])) else {
                continue;
            };
            if s.get("type") == Some(&json!("apiKey"))
                && s.get("in") == Some(&json!("header"))
                && let Some(name) = s.get("name").and_then(Value::as_str)
                && !out.iter().any(|h| h.eq_ignore_ascii_case(name))
            {
                out.push(name.to_owned());
            }
        }
    }
    out
}

fn analyse_pagination(
    doc: &Value,
    ext: &Value,
    eptr: &str,
    parameters: &[(String, String, bool, String)],
    success: &[(String, BodyKind)],
    diags: &mut Vec<Diagnostic>,
) -> Option<Pagination> {
    let before = diags.len();
    let mut fail =
        |what: &str, fix: &str| diags.push(Diagnostic::new(eptr.to_owned(), what.to_owned(), fix.to_owned()));
    let style = match ext.get("style").and_then(Value::as_str) {
        Some("cursor") => PageStyle::Cursor,
        Some("offset") => PageStyle::Offset,
        other => {
            fail(
                &format!("pagination style `{}` is not known", other.unwrap_or("(missing)")),
                "set `style: cursor` (cursor in, next_cursor/has_more out) or `style: offset` (limit/offset in, has_more out)",
            );
            return None;
        }
    };
    let Some(items) = ext.get("items").and_then(Value::as_str) else {
        fail(
            "the pagination extension does not name its item array",
            "add `items: <property holding the page's items>`",
        );
        return None;
    };
    let page_schema = match success {
        [(_, BodyKind::Named(n))] => n.clone(),
        _ => {
            fail(
                "a paginated operation needs exactly one 2xx response with a named JSON schema",
                "declare a single 2xx response whose schema is a `$ref`",
            );
            return None;
        }
    };
    let page = doc
        .pointer(&format!("/components/schemas/{page_schema}"))
        .cloned()
        .unwrap_or_default();
    let props = page.get("properties").cloned().unwrap_or_default();
    let item_schema = props.get(items).and_then(|p| p.get("items")).and_then(schema_name);
    if props.get(items).and_then(|p| p.get("type")) != Some(&json!("array")) || item_schema.is_none() {
        fail(
            &format!("`{page_schema}.{items}` is not an array of a named schema"),
            "point `items` at an array property whose `items` is a `$ref`",
        );
    }
    if props.get("has_more").and_then(|p| p.get("type")) != Some(&json!("boolean")) {
        fail(
            &format!("`{page_schema}` has no boolean `has_more`"),
            "add `has_more: {type: boolean}` to the page schema",
        );
    }
    let has_query = |n: &str| parameters.iter().any(|(name, loc, _, _)| name == n && loc == "query");
    match style {
        PageStyle::Cursor => {
            if !has_query("cursor") {
                fail(
                    "a cursor-paginated operation has no `cursor` query parameter",
                    "add an optional `cursor` query parameter",
                );
            }
            if props.get("next_cursor").is_none() {
                fail(
                    &format!("`{page_schema}` has no `next_cursor`"),
                    "add a nullable string `next_cursor` to the page schema",
                );
            }
        }
        PageStyle::Offset => {
            if !has_query("offset") {
                fail(
                    "an offset-paginated operation has no `offset` query parameter",
                    "add an optional `offset` query parameter",
                );
            }
        }
    }
    if parameters
        .iter()
        .any(|(_, loc, required, _)| loc == "query" && *required)
    {
        fail(
            "a paginated operation has a required query parameter",
            "make its query parameters optional so every page can be requested the same way",
        );
    }
    if diags.len() != before {
        return None;
    }
    Some(Pagination {
        style,
        items: items.to_owned(),
        item_schema: item_schema.unwrap_or_default(),
        page_schema,
        echoes_offset: props.get("offset").is_some(),
        has_more_optional: props.get("has_more").and_then(|p| p.get("nullable")) == Some(&json!(true))
            || !page
                .get("required")
                .and_then(Value::as_array)
                .is_some_and(|r| r.iter().any(|n| n == "has_more")),
        offset_unsigned: props
            .get("offset")
            .and_then(|o| o.get("minimum"))
            .and_then(Value::as_f64)
            .is_some_and(|m| m >= 0.0),
    })
}

/// A short, readable label for a parameter's type in the API surface.
fn type_label(doc: &Value, s: &Value) -> String {
    if let Some(n) = schema_name(s) {
        return n;
    }
    let s = resolve(doc, s);
    match s.get("type").and_then(Value::as_str) {
        Some("integer") => match s.get("minimum").and_then(Value::as_f64) {
            Some(m) if m >= 0.0 => "u64".to_owned(),
            _ => "i64".to_owned(),
        },
        Some("number") => "f64".to_owned(),
        Some("boolean") => "bool".to_owned(),
        Some("string") if s.get("format") == Some(&json!("binary")) => "bytes".to_owned(),
        Some("string") => "String".to_owned(),
        Some("array") => format!(
            "Vec<{}>",
            s.get("items").map(|i| type_label(doc, i)).unwrap_or_default()
        ),
        Some(other) => other.to_owned(),
        None => "any".to_owned(),
    }
}
