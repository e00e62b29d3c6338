//! The OpenAPI document, read at run time: routes, security, parameters, declared responses and the JSON Schema
//! validators built from it.
//!
//! Nothing here restates a path, a field or a status of the API: every fact comes from `spec/openapi.yaml` (or the
//! file named by [`Config::spec_path`](crate::Config::spec_path)). Validators are compiled lazily, one per schema
//! location, and shared by every server in the process that reads the same file.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

use serde_json::Value;

/// Where a parameter travels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ParamIn {
    Path,
    Query,
    Header,
}

/// One declared parameter of an operation.
#[derive(Debug, Clone)]
pub(crate) struct Param {
    pub(crate) name: String,
    pub(crate) location: ParamIn,
    pub(crate) required: bool,
    /// JSON pointer (into the document) of the parameter's schema.
    pub(crate) schema_ptr: String,
    /// The parameter schema's `type`, used to turn query text into a typed JSON value before validation.
    pub(crate) kind: Option<String>,
}

/// The two error body shapes the spec uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ErrorShape {
    /// `{"error": {"code", "message"}}`
    Api,
    /// `{"message", "status"}`
    Generic,
}

/// One declared response of an operation.
#[derive(Debug, Clone, Default)]
pub(crate) struct ResponseSpec {
    /// Media type → JSON pointer of its schema (if any).
    pub(crate) content: BTreeMap<String, Option<String>>,
    /// Name of the component schema the JSON body refers to, if it is a plain `$ref`.
    pub(crate) json_schema_name: Option<String>,
}

/// One operation of the spec.
#[derive(Debug, Clone)]
pub(crate) struct Operation {
    pub(crate) id: String,
    pub(crate) method: String,
    pub(crate) path: String,
    segments: Vec<Segment>,
    /// True when the effective security requirement includes the `X-Workspace-Id` scheme.
    pub(crate) workspace_scoped: bool,
    pub(crate) params: Vec<Param>,
    /// JSON pointer of the JSON request body schema, when the body is JSON.
    pub(crate) json_body_ptr: Option<String>,
    pub(crate) body_required: bool,
    /// Declared media types of the request body.
    pub(crate) body_media: Vec<String>,
    pub(crate) responses: BTreeMap<u16, ResponseSpec>,
}

#[derive(Debug, Clone)]
enum Segment {
    Literal(String),
    Param(String),
}

impl Operation {
    /// Matches a request path against this operation's template, returning the path parameters.
    fn match_path(&self, path: &str) -> Option<HashMap<String, String>> {
        let parts: Vec<&str> = path.trim_start_matches('/').split('/').collect();
        if parts.len() != self.segments.len() {
            return None;
        }
        let mut out = HashMap::new();
        for (seg, part) in self.segments.iter().zip(parts) {
            match seg {
                Segment::Literal(l) if l == part => {}
                Segment::Literal(_) => return None,
                Segment::Param(name) => {
                    if part.is_empty() {
                        return None;
                    }
                    out.insert(name.clone(), percent_decode(part));
                }
            }
        }
        Some(out)
    }

    /// The error body shape the spec declares for `status` on this operation (generic when undeclared).
    pub(crate) fn error_shape(&self, status: u16) -> ErrorShape {
        match self.responses.get(&status).and_then(|r| r.json_schema_name.as_deref()) {
            Some("ApiErrorResponse") => ErrorShape::Api,
            _ => ErrorShape::Generic,
        }
    }
}

/// A located problem found by a validator.
#[derive(Debug, Clone)]
pub(crate) struct SchemaError {
    pub(crate) pointer: String,
    pub(crate) message: String,
}

/// The parsed document and its operations.
#[derive(Debug)]
pub(crate) struct Spec {
    doc: Arc<Value>,
    ops: Vec<Arc<Operation>>,
    validators: Mutex<HashMap<String, Arc<jsonschema::Validator>>>,
}

/// The route a request resolved to.
#[derive(Debug)]
pub(crate) enum Route {
    Found(Arc<Operation>, HashMap<String, String>),
    /// The path exists but not with this method; the methods it has, for the `Allow` header.
    MethodNotAllowed(Vec<String>),
    NotFound,
}

fn escape_ptr(s: &str) -> String {
    s.replace('~', "~0").replace('/', "~1")
}

pub(crate) fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            let hex = |b: u8| (b as char).to_digit(16);
            if let (Some(h), Some(l)) = (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                out.push((h * 16 + l) as u8);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Decodes one `application/x-www-form-urlencoded` component (`+` is a space).
pub(crate) fn query_decode(s: &str) -> String {
    percent_decode(&s.replace('+', " "))
}

impl Spec {
    /// Reads and indexes the document at `path`, sharing the result with earlier loads of the same file.
    pub(crate) fn load(path: &Path) -> Result<Arc<Spec>, String> {
        static CACHE: OnceLock<Mutex<HashMap<PathBuf, Arc<Spec>>>> = OnceLock::new();
        let cache = CACHE.get_or_init(Default::default);
        let key = path.canonicalize().unwrap_or_else(|_| path.to_path_buf());
        if let Some(s) = cache.lock().unwrap_or_else(|e| e.into_inner()).get(&key) {
            return Ok(s.clone());
        }
        let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read spec {}: {e}", path.display()))?;
        let doc: Value =
            serde_yaml_ng::from_str(&text).map_err(|e| format!("cannot parse spec {}: {e}", path.display()))?;
        let spec = Arc::new(Spec::from_doc(doc)?);
        cache
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(key, spec.clone());
        Ok(spec)
    }

    fn from_doc(doc: Value) -> Result<Spec, String> {
        let mut ops = Vec::new();
        let global_ws = security_has_workspace(doc.get("security"));
        let paths = doc.get("paths").and_then(Value::as_object).ok_or("spec has no paths")?;
        for (p, item) in paths {
            let Some(item) = item.as_object() else { continue };
            let path_params = item.get("parameters");
            for (method, op) in item {
                if !matches!(
                    method.as_str(),
                    "get" | "post" | "put" | "patch" | "delete" | "head" | "options"
                ) {
                    continue;
                }
                let base = format!("/paths/{}/{}", escape_ptr(p), method);
                let id = op
                    .get("operationId")
                    .and_then(Value::as_str)
                    .ok_or_else(|| format!("{method} {p} has no operationId"))?
                    .to_string();
                let workspace_scoped = match op.get("security") {
                    Some(s) => security_has_workspace(Some(s)),
                    None => global_ws,
                };
                let mut params = Vec::new();
                for (list, list_ptr) in [
                    (path_params, format!("/paths/{}/parameters", escape_ptr(p))),
                    (op.get("parameters"), format!("{base}/parameters")),
                ] {
                    let Some(list) = list.and_then(Value::as_array) else {
                        continue;
                    };
                    for (i, prm) in list.iter().enumerate() {
                        let (prm, ptr) = resolve(&doc, prm, format!("{list_ptr}/{i}"));
                        let name = prm.get("name").and_then(Value::as_str).unwrap_or_default().to_string();
                        let location = match prm.get("in").and_then(Value::as_str) {
                            Some("path") => ParamIn::Path,
                            Some("header") => ParamIn::Header,
                            Some("query") => ParamIn::Query,
                            _ => continue,
                        };
                        let required = prm.get("required").and_then(Value::as_bool).unwrap_or(false);
                        let schema_ptr = format!("{ptr}/schema");
                        let kind = prm
                            .get("schema")
                            .map(|s| resolve(&doc, s, String::new()).0)
                            .and_then(|s| s.get("type"))
                            .and_then(Value::as_str)
                            .map(str::to_string);
                        params.push(Param {
                            name,
                            location,
                            required,
                            schema_ptr,
                            kind,
                        });
                    }
                }
                let mut json_body_ptr = None;
                let mut body_required = false;
                let mut body_media = Vec::new();
                if let Some(rb) = op.get("requestBody") {
                    let (rb, rb_ptr) = resolve(&doc, rb, format!("{base}/requestBody"));
                    body_required = rb.get("required").and_then(Value::as_bool).unwrap_or(false);
                    if let Some(content) = rb.get("content").and_then(Value::as_object) {
                        for (media, m) in content {
                            body_media.push(media.clone());
                            if media == "application/json" && m.get("schema").is_some() {
                                json_body_ptr = Some(format!("{rb_ptr}/content/{}/schema", escape_ptr(media)));
                            }
                        }
                    }
                }
                let mut responses = BTreeMap::new();
                if let Some(rs) = op.get("responses").and_then(Value::as_object) {
                    for (code, r) in rs {
                        let Ok(code) = code.parse::<u16>() else { continue };
                        let (r, r_ptr) = resolve(&doc, r, format!("{base}/responses/{code}"));
                        let mut spec = ResponseSpec::default();
                        if let Some(content) = r.get("content").and_then(Value::as_object) {
                            for (media, m) in content {
                                let ptr = m
                                    .get("schema")
                                    .map(|_| format!("{r_ptr}/content/{}/schema", escape_ptr(media)));
                                if media == "application/json" {
                                    spec.json_schema_name = m
                                        .pointer("/schema/$ref")
                                        .and_then(Value::as_str)
                                        .and_then(|r| r.rsplit('/').next())
                                        .map(str::to_string);
                                }
                                spec.content.insert(media.clone(), ptr);
                            }
                        }
                        responses.insert(code, spec);
                    }
                }
                let segments = p
                    .trim_start_matches('/')
                    .split('/')
                    .map(|s| {
                        if s.starts_with('{') && s.ends_with('}') {
                            Segment::Param(s[1..s.len() - 1].to_string())
                        } else {
                            Segment::Literal(s.to_string())
                        }
                    })
                    .collect();
                ops.push(Arc::new(Operation {
                    id,
                    method: method.to_uppercase(),
                    path: p.clone(),
                    segments,
                    workspace_scoped,
                    params,
                    json_body_ptr,
                    body_required,
                    body_media,
                    responses,
                }));
            }
        }
        // Literal segments win over parameters when two templates could match the same path.
        ops.sort_by_key(|o| {
            let lits: Vec<u8> = o
                .segments
                .iter()
                .map(|s| u8::from(matches!(s, Segment::Param(_))))
                .collect();
            (o.segments.len(), lits, o.path.clone(), o.method.clone())
        });
        Ok(Spec {
            doc: Arc::new(doc),
            ops,
            validators: Mutex::new(HashMap::new()),
        })
    }

    /// Every operation of the document.
    pub(crate) fn operations(&self) -> &[Arc<Operation>] {
        &self.ops
    }

    /// Looks up an operation by its `operationId`.
    pub(crate) fn operation(&self, id: &str) -> Option<&Arc<Operation>> {
        self.ops.iter().find(|o| o.id == id)
    }

    /// Resolves a method and path to an operation.
    pub(crate) fn route(&self, method: &str, path: &str) -> Route {
        // `Allow` lists the methods of the most specific template that matches (`/v1/databases/bulk`, not
        // `/v1/databases/{database_id}`): the first in the sorted list.
        let mut allowed: Vec<String> = Vec::new();
        let mut template: Option<&str> = None;
        for op in &self.ops {
            if let Some(params) = op.match_path(path) {
                if op.method == method {
                    return Route::Found(op.clone(), params);
                }
                if *template.get_or_insert(op.path.as_str()) == op.path && !allowed.contains(&op.method) {
                    allowed.push(op.method.clone());
                }
            }
        }
        if allowed.is_empty() {
            Route::NotFound
        } else {
            allowed.sort();
            Route::MethodNotAllowed(allowed)
        }
    }

    /// Validates `instance` against the schema at JSON pointer `ptr` of the document.
    pub(crate) fn validate(&self, ptr: &str, instance: &Value) -> Result<Vec<SchemaError>, String> {
        let validator = self.validator(ptr)?;
        Ok(validator
            .iter_errors(instance)
            .map(|e| SchemaError {
                pointer: e.instance_path().to_string(),
                message: e.to_string(),
            })
            .collect())
    }

    fn validator(&self, ptr: &str) -> Result<Arc<jsonschema::Validator>, String> {
        if let Some(v) = self.validators.lock().unwrap_or_else(|e| e.into_inner()).get(ptr) {
            return Ok(v.clone());
        }
        // The whole document is the root resource, so every `#/components/...` reference inside it resolves;
        // a root `$ref` points the validator at the schema we want.
        let mut root = (*self.doc).clone();
        if let Some(obj) = root.as_object_mut() {
            obj.insert("$ref".into(), Value::String(format!("#{}", fragment_encode(ptr))));
        }
        let v = jsonschema::draft202012::options()
            .should_validate_formats(true)
            .build(&root)
            .map_err(|e| format!("cannot compile schema at {ptr}: {e}"))?;
        let v = Arc::new(v);
        self.validators
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(ptr.to_string(), v.clone());
        Ok(v)
    }
}

/// Percent-encodes a JSON pointer for use as a URI fragment (`{` and `}` of path templates are not allowed raw).
fn fragment_encode(ptr: &str) -> String {
    let mut out = String::with_capacity(ptr.len());
    for b in ptr.bytes() {
        if b.is_ascii_alphanumeric() || b"/~-._!$&'()*+,;=:@".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn security_has_workspace(sec: Option<&Value>) -> bool {
    sec.and_then(Value::as_array)
        .map(|reqs| reqs.iter().any(|r| r.get("WorkspaceId").is_some()))
        .unwrap_or(false)
}

/// Follows a local `$ref` (one level deep chains included), returning the target and its pointer.
fn resolve<'a>(doc: &'a Value, v: &'a Value, ptr: String) -> (&'a Value, String) {
    let mut cur = v;
    let mut cur_ptr = ptr;
    for _ in 0..8 {
        match cur.get("$ref").and_then(Value::as_str) {
            Some(r) if r.starts_with('#') => match doc.pointer(&r[1..]) {
                Some(t) => {
                    cur_ptr = r[1..].to_string();
                    cur = t;
                }
                None => break,
            },
            _ => break,
        }
    }
    (cur, cur_ptr)
}

/// The default location of the spec: `spec/openapi.yaml` at the root of this repository.
pub(crate) fn default_spec_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join("spec")
        .join("openapi.yaml")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_schema_location_of_the_spec_compiles() {
        let spec = Spec::load(&default_spec_path()).expect("spec loads");
        assert_eq!(spec.operations().len(), 94);
        let mut count = 0;
        for op in spec.operations() {
            let mut ptrs: Vec<&String> = op.params.iter().map(|p| &p.schema_ptr).collect();
            ptrs.extend(op.json_body_ptr.iter());
            for r in op.responses.values() {
                ptrs.extend(r.content.values().flatten());
            }
            for ptr in ptrs {
                spec.validator(ptr).unwrap_or_else(|e| panic!("{}: {e}", op.id));
                count += 1;
            }
        }
        assert!(count > 300, "only {count} schema locations");
    }

    #[test]
    fn routes_prefer_literal_segments() {
        let spec = Spec::load(&default_spec_path()).expect("spec loads");
        match spec.route("GET", "/v1/datasets/ds_1/versions") {
            Route::Found(op, params) => {
                assert_eq!(op.id, "list_dataset_versions");
                assert_eq!(params["id"], "ds_1");
            }
            other => panic!("{other:?}"),
        }
        match spec.route("PATCH", "/v1/query") {
            Route::MethodNotAllowed(allowed) => assert_eq!(allowed, ["POST"]),
            other => panic!("{other:?}"),
        }
        match spec.route("TRACE", "/v1/datasets/ds_1") {
            Route::MethodNotAllowed(allowed) => assert_eq!(allowed, ["DELETE", "GET", "PUT"]),
            other => panic!("{other:?}"),
        }
        match spec.route("OPTIONS", "/v1/databases/bulk") {
            Route::MethodNotAllowed(allowed) => assert_eq!(allowed, ["POST"]),
            other => panic!("{other:?}"),
        }
        assert!(matches!(spec.route("GET", "/v2/nothing"), Route::NotFound));
    }
}
