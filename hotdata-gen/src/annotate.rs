//! Facts about single fields and parameters that progenitor ignores, and the
//! rewrites of its output that act on them:
//!
//! - **deprecation**: `deprecated: true` on an operation, a property of a
//!   component schema or a parameter becomes `#[deprecated(note = ..)]` on the
//!   `Client` method, the model field (and its model-builder setter) or the
//!   operation builder's setter. The note comes from `x-hotdata-deprecation`
//!   (`{note, since, replaced_by}`) when present.
//! - **secrets**: a property with `format: password` (or a parameter whose
//!   schema has it) is printed as `"***"` by the `Debug` of the model, of its
//!   model builder and of the operation builder holding it. A string property
//!   whose name looks like a secret but lacks the format fails the lint,
//!   unless it says `x-hotdata-not-secret: true`.
//! - **lossless cells**: a property shaped as rows of arbitrary JSON values
//!   (`array` of `array` of `{}`) holds `<runtime>::Cell`s, which keep each
//!   value's JSON text, instead of `serde_json::Value`s, which round wide
//!   numbers.
//! - **explicit null**: an optional, nullable property of a schema sent as a
//!   request body is a `<runtime>::Nullable<T>` (unset, null or a value), so
//!   a caller can send `null` where leaving the field out means something
//!   else.
//! - **instants**: progenitor writes a `format: date-time` string as
//!   `chrono::DateTime<chrono::offset::Utc>`; it becomes `<runtime>::Timestamp`
//!   (the instant, with the UTC offset its text was written in), so the
//!   models need no date library. Any other `chrono` path is refused.
//!
//! Deprecations and secrets are read from the document as written (lowering
//! drops annotations next to `$ref`); cells and nullable fields from the
//! lowered document, where every nullable schema says `nullable: true`.

use std::collections::{BTreeMap, BTreeSet};

use proc_macro2::TokenStream;
use quote::{ToTokens as _, quote};
use serde_json::{Value, json};
use syn::visit_mut::VisitMut;
use syn::{Item, Type};

use crate::diag::{Diagnostic, GenError, pointer};
use crate::plan::Plan;
use crate::walk::{METHODS, for_each_schema};

/// The extension that says why and since when something is deprecated.
pub const DEPRECATION_EXTENSION: &str = "x-hotdata-deprecation";
/// The extension that declares a secret-looking string property harmless.
pub const NOT_SECRET_EXTENSION: &str = "x-hotdata-not-secret";

/// The note used when a deprecated item has no `x-hotdata-deprecation`.
pub const GENERIC_NOTE: &str = "deprecated by the Hotdata API; it may be removed in a later version";

/// Field- and parameter-level facts, by schema name or operation id.
#[derive(Debug, Default, Clone)]
pub struct Annotations {
    /// Deprecated operations: operationId to note.
    pub deprecated_operations: BTreeMap<String, String>,
    /// Deprecated parameters: operationId to parameter name to note.
    pub deprecated_parameters: BTreeMap<String, BTreeMap<String, String>>,
    /// Deprecated properties of component schemas: schema to property to note.
    pub deprecated_fields: BTreeMap<String, BTreeMap<String, String>>,
    /// `format: password` properties of component schemas.
    pub sensitive_fields: BTreeMap<String, BTreeSet<String>>,
    /// `format: password` parameters, by operationId.
    pub sensitive_parameters: BTreeMap<String, BTreeSet<String>>,
    /// Rows-of-any-JSON properties of component schemas.
    pub cell_fields: BTreeMap<String, BTreeSet<String>>,
    /// Optional nullable properties of component schemas used as request bodies.
    pub nullable_body_fields: BTreeMap<String, BTreeSet<String>>,
}

/// The `#[deprecated]` note for an object carrying `deprecated: true`.
fn deprecation_note(v: &Value, ptr: &str, diags: &mut Vec<Diagnostic>) -> Option<String> {
    let ext = v.get(DEPRECATION_EXTENSION);
    if v.get("deprecated") != Some(&json!(true)) {
        if ext.is_some() {
            diags.push(Diagnostic::new(
                format!("{ptr}/{DEPRECATION_EXTENSION}"),
                format!("`{DEPRECATION_EXTENSION}` on something not marked deprecated"),
                "add `deprecated: true` next to it, or remove the extension",
            ));
        }
        return None;
    }
    let Some(ext) = ext else {
        return Some(GENERIC_NOTE.to_owned());
    };
    let field = |k: &str| {
        ext.get(k)
            .and_then(Value::as_str)
            .map(str::trim)
            .filter(|s| !s.is_empty())
    };
    let known = ["note", "since", "replaced_by"];
    let unknown: Vec<&String> = ext
        .as_object()
        .map(|o| o.keys().filter(|k| !known.contains(&k.as_str())).collect())
        .unwrap_or_default();
    if !ext.is_object() || !unknown.is_empty() || field("note").is_none() {
        diags.push(Diagnostic::new(
            format!("{ptr}/{DEPRECATION_EXTENSION}"),
            "the deprecation extension is not `{note, since?, replaced_by?}` with a non-empty `note`",
            "write `x-hotdata-deprecation: {note: \"why\", since: \"2026-07-23\", replaced_by: \"other_operation\"}` (since and replaced_by optional)",
        ));
        return Some(GENERIC_NOTE.to_owned());
    }
    let mut note = field("note").unwrap_or_default().to_owned();
    if let Some(since) = field("since") {
        note = format!("since {since}: {note}");
    }
    if let Some(by) = field("replaced_by") {
        // One sentence: a note ending in a full stop must not read `.;`.
        note = format!("{}; use `{by}` instead", note.trim_end_matches('.'));
    }
    Some(note)
}

/// Property names that are not secrets although they end like one.
const NOT_SECRET_NAMES: [&str; 9] = [
    "key",
    "idempotency_key",
    "primary_key",
    "partition_key",
    "sort_key",
    "foreign_key",
    "cache_key",
    "page_token",
    "next_page_token",
];

/// Whether a property name reads like a credential.
pub(crate) fn looks_secret(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    if NOT_SECRET_NAMES.contains(&lower.as_str()) {
        return false;
    }
    let words: Vec<&str> = lower.split(['_', '-']).filter(|w| !w.is_empty()).collect();
    let Some(last) = words.last() else { return false };
    matches!(
        *last,
        "secret" | "password" | "passwd" | "token" | "credential" | "credentials" | "apikey"
    ) || (*last == "key" && words.len() > 1)
}

fn is_string(s: &Value) -> bool {
    match s.get("type") {
        Some(Value::String(t)) => t == "string",
        Some(Value::Array(ts)) => ts.iter().any(|t| t == "string"),
        _ => false,
    }
}

fn resolve<'a>(doc: &'a Value, v: &'a Value) -> &'a Value {
    match v
        .get("$ref")
        .and_then(Value::as_str)
        .and_then(|r| r.strip_prefix('#'))
        .and_then(|p| doc.pointer(p))
    {
        Some(t) => t,
        None => v,
    }
}

/// Reads deprecations and secrets from the document as written, and lints
/// secret-looking properties.
pub(crate) fn collect(raw: &Value) -> (Annotations, Vec<Diagnostic>) {
    let mut ann = Annotations::default();
    let mut diags = Vec::new();

    // Properties, wherever they are declared.
    let mut doc = raw.clone();
    for_each_schema(&mut doc, &mut |ptr, s| {
        let Some(props) = s.get("properties").and_then(Value::as_object) else {
            return;
        };
        let component = ptr
            .strip_prefix("/components/schemas/")
            .filter(|rest| !rest.contains('/'));
        for (name, p) in props {
            let pptr = format!("{ptr}/properties/{}", crate::diag::escape(name));
            let note = deprecation_note(p, &pptr, &mut diags);
            // A list of secrets (presigned part URLs) is redacted whole.
            let password = p.get("format") == Some(&json!("password"))
                || p.get("items").and_then(|i| i.get("format")) == Some(&json!("password"));
            let not_secret = p.get(NOT_SECRET_EXTENSION) == Some(&json!(true));
            if password && not_secret {
                diags.push(Diagnostic::new(
                    pptr.clone(),
                    format!("`{name}` is both `format: password` and `{NOT_SECRET_EXTENSION}: true`"),
                    "keep one of them",
                ));
            }
            if is_string(p) && !password && !not_secret && looks_secret(name) {
                diags.push(Diagnostic::new(
                    pptr.clone(),
                    format!("the string property `{name}` looks like a secret but is not `format: password`"),
                    format!(
                        "add `format: password` so generated `Debug` output redacts it, or `{NOT_SECRET_EXTENSION}: true` if it holds no secret"
                    ),
                ));
            }
            match component {
                Some(schema) => {
                    if let Some(note) = note {
                        ann.deprecated_fields
                            .entry(schema.to_owned())
                            .or_default()
                            .insert(name.clone(), note);
                    }
                    if password {
                        ann.sensitive_fields
                            .entry(schema.to_owned())
                            .or_default()
                            .insert(name.clone());
                    }
                }
                None if password => diags.push(Diagnostic::new(
                    pptr,
                    "a `format: password` property is declared in an inline schema",
                    "move the schema to `components/schemas` and `$ref` it, so its generated type can redact the field",
                )),
                None => {}
            }
        }
    });

    // Operations and their parameters.
    let paths = raw.get("paths").and_then(Value::as_object).cloned().unwrap_or_default();
    for (path, item) in &paths {
        for method in METHODS {
            let Some(op) = item.get(method) else { continue };
            let Some(id) = op.get("operationId").and_then(Value::as_str) else {
                continue;
            };
            let op_ptr = pointer(["paths", path.as_str(), method]);
            if let Some(note) = deprecation_note(op, &op_ptr, &mut diags) {
                ann.deprecated_operations.insert(id.to_owned(), note);
            }
            let params = [("", item), (method, op)]
                .into_iter()
                .flat_map(|(m, holder)| {
                    holder
                        .get("parameters")
                        .and_then(Value::as_array)
                        .into_iter()
                        .flatten()
                        .enumerate()
                        .map(move |(i, p)| (m, i, p))
                })
                .collect::<Vec<_>>();
            for (m, i, p) in params {
                let pptr = if m.is_empty() {
                    pointer(["paths", path.as_str(), "parameters", &i.to_string()])
                } else {
                    pointer(["paths", path.as_str(), m, "parameters", &i.to_string()])
                };
                let p = resolve(raw, p);
                let Some(name) = p.get("name").and_then(Value::as_str) else {
                    continue;
                };
                if let Some(note) = deprecation_note(p, &pptr, &mut diags) {
                    ann.deprecated_parameters
                        .entry(id.to_owned())
                        .or_default()
                        .insert(name.to_owned(), note);
                }
                let schema = p.get("schema").map(|s| resolve(raw, s));
                if schema.and_then(|s| s.get("format")) == Some(&json!("password")) {
                    ann.sensitive_parameters
                        .entry(id.to_owned())
                        .or_default()
                        .insert(name.to_owned());
                }
            }
        }
    }
    diags.sort_by(|a, b| a.pointer.cmp(&b.pointer));
    diags.dedup();
    (ann, diags)
}

/// `array` of `array` of anything (no `type`, no `$ref`, no combinator).
fn is_rows_of_any(s: &Value) -> bool {
    let is_array = |v: &Value| v.get("type") == Some(&json!("array"));
    let Some(row) = s.get("items").filter(|_| is_array(s)) else {
        return false;
    };
    if !is_array(row) {
        return false;
    }
    match row.get("items") {
        None => true,
        Some(cell) => cell.as_object().is_some_and(|o| {
            !["type", "$ref", "allOf", "anyOf", "oneOf", "enum", "properties", "items"]
                .iter()
                .any(|k| o.contains_key(*k))
        }),
    }
}

/// Reads lossless-cell and explicit-null fields from the lowered document.
pub(crate) fn collect_lowered(doc: &Value, ann: &mut Annotations) {
    let Some(schemas) = doc.pointer("/components/schemas").and_then(Value::as_object) else {
        return;
    };
    // Schemas sent as JSON request bodies.
    let mut bodies = BTreeSet::new();
    for item in doc
        .get("paths")
        .and_then(Value::as_object)
        .into_iter()
        .flat_map(|p| p.values())
    {
        for method in METHODS {
            let Some(rb) = item.get(method).and_then(|op| op.get("requestBody")) else {
                continue;
            };
            let rb = resolve(doc, rb);
            for (mt, m) in rb.get("content").and_then(Value::as_object).into_iter().flatten() {
                if !mt.starts_with("application/json") {
                    continue;
                }
                if let Some(name) = m
                    .get("schema")
                    .and_then(|s| s.get("$ref"))
                    .and_then(Value::as_str)
                    .and_then(|r| r.strip_prefix("#/components/schemas/"))
                {
                    bodies.insert(name.to_owned());
                }
            }
        }
    }
    for (name, s) in schemas {
        let required: BTreeSet<&str> = s
            .get("required")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .collect();
        for (prop, p) in s.get("properties").and_then(Value::as_object).into_iter().flatten() {
            if is_rows_of_any(p) {
                ann.cell_fields.entry(name.clone()).or_default().insert(prop.clone());
            }
            if bodies.contains(name) && !required.contains(prop.as_str()) && p.get("nullable") == Some(&json!(true)) {
                ann.nullable_body_fields
                    .entry(name.clone())
                    .or_default()
                    .insert(prop.clone());
            }
        }
    }
}

// ---------------------------------------------------------------------------
// Rewriting progenitor's output.

/// The Rust field name progenitor gives a wire name.
fn rust_name(wire: &str) -> String {
    let mut out = String::new();
    let mut prev_lower = false;
    for c in wire.chars() {
        if c.is_ascii_alphanumeric() {
            if c.is_ascii_uppercase() && prev_lower {
                out.push('_');
            }
            prev_lower = c.is_ascii_lowercase() || c.is_ascii_digit();
            out.push(c.to_ascii_lowercase());
        } else {
            if !out.ends_with('_') && !out.is_empty() {
                out.push('_');
            }
            prev_lower = false;
        }
    }
    let out = out.trim_end_matches('_').to_owned();
    match out.as_str() {
        "type" | "ref" | "match" | "fn" | "mod" | "use" | "self" | "super" | "crate" | "impl" | "where" | "loop"
        | "move" | "static" | "struct" | "enum" | "trait" | "async" | "await" | "dyn" | "box" => format!("{out}_"),
        _ => out,
    }
}

/// Wire name to field identifier, from the fields' `#[serde(rename)]`s.
fn wire_names(st: &syn::ItemStruct) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for f in &st.fields {
        let Some(ident) = f.ident.as_ref().map(ToString::to_string) else {
            continue;
        };
        let mut wire = ident.trim_start_matches("r#").to_owned();
        for attr in f.attrs.iter().filter(|a| a.path().is_ident("serde")) {
            let _ = attr.parse_nested_meta(|meta| {
                if meta.path.is_ident("rename") {
                    let s: syn::LitStr = meta.value()?.parse()?;
                    wire = s.value();
                } else if meta.input.peek(syn::Token![=]) {
                    let _: syn::Expr = meta.value()?.parse()?;
                }
                Ok(())
            });
        }
        out.insert(wire, ident);
    }
    out
}

fn item_name(item: &Item) -> Option<String> {
    // An impl is named by its self type: `impl TryFrom<S> for super::S` is `S`.
    match item {
        Item::Struct(s) => Some(s.ident.to_string()),
        Item::Impl(i) => match &*i.self_ty {
            Type::Path(p) => p.path.segments.last().map(|s| s.ident.to_string()),
            _ => None,
        },
        _ => None,
    }
}

/// Whether an impl's trait mentions the type `name` (`TryFrom<S> for super::S`).
fn impl_mentions(imp: &syn::ItemImpl, name: &str) -> bool {
    let Some((_, path, _)) = &imp.trait_ else { return false };
    fn walk(tokens: TokenStream, name: &str) -> bool {
        tokens.into_iter().any(|t| match t {
            proc_macro2::TokenTree::Ident(i) => i == name,
            proc_macro2::TokenTree::Group(g) => walk(g.stream(), name),
            _ => false,
        })
    }
    walk(path.to_token_stream(), name)
}

/// Replaces every `::serde_json::Value` in a type.
struct CellType<'a>(&'a TokenStream, usize);

impl VisitMut for CellType<'_> {
    fn visit_type_mut(&mut self, ty: &mut Type) {
        if let Type::Path(p) = ty
            && p.qself.is_none()
            && p.path.segments.len() == 2
            && p.path.segments[0].ident == "serde_json"
            && p.path.segments[1].ident == "Value"
        {
            let runtime = self.0;
            *ty = syn::parse_quote! { #runtime::Cell };
            self.1 += 1;
            return;
        }
        syn::visit_mut::visit_type_mut(self, ty);
    }
}

/// Replaces the outermost `Option<T>` in a type with `<runtime>::Nullable<T>`.
struct NullableType<'a>(&'a TokenStream, usize);

impl VisitMut for NullableType<'_> {
    fn visit_type_mut(&mut self, ty: &mut Type) {
        if self.1 > 0 {
            return;
        }
        if let Type::Path(p) = ty
            && let Some(last) = p.path.segments.last()
            && last.ident == "Option"
            && let syn::PathArguments::AngleBracketed(args) = &last.arguments
            && args.args.len() == 1
            && let Some(syn::GenericArgument::Type(inner)) = args.args.first()
        {
            let runtime = self.0;
            let inner = inner.clone();
            *ty = syn::parse_quote! { #runtime::Nullable<#inner> };
            self.1 += 1;
            return;
        }
        syn::visit_mut::visit_type_mut(self, ty);
    }
}

fn emit_err(what: String) -> GenError {
    GenError::Emit(format!("cannot apply field annotations: {what}"))
}

/// Removes `Debug` from a struct's derives.
fn drop_debug_derive(attrs: &mut [syn::Attribute]) -> bool {
    crate::remove_derive(attrs, "Debug")
}

/// A `Debug` impl printing `"***"` for the `hidden` fields.
fn redacted_debug(st: &syn::ItemStruct, hidden: &BTreeSet<String>, allow_deprecated: bool) -> Item {
    let ident = &st.ident;
    let name = ident.to_string();
    let (impl_generics, ty_generics, where_clause) = st.generics.split_for_impl();
    let fields = st.fields.iter().filter_map(|f| {
        let id = f.ident.as_ref()?;
        let label = id.to_string().trim_start_matches("r#").to_owned();
        Some(if hidden.contains(&id.to_string()) {
            quote! { .field(#label, &"***") }
        } else {
            quote! { .field(#label, &self.#id) }
        })
    });
    let allow = allow_deprecated.then(|| quote! { #[allow(deprecated)] });
    syn::parse_quote! {
        #allow
        impl #impl_generics ::std::fmt::Debug for #ident #ty_generics #where_clause {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.debug_struct(#name) #(#fields)* .finish()
            }
        }
    }
}

fn deprecated_attr(note: &str) -> syn::Attribute {
    syn::parse_quote! { #[deprecated(note = #note)] }
}

/// Rewrites the fields of one struct; returns the identifiers of its
/// sensitive fields and whether any field is deprecated.
struct FieldPlan<'a> {
    deprecated: Option<&'a BTreeMap<String, String>>,
    sensitive: Option<&'a BTreeSet<String>>,
    cells: Option<&'a BTreeSet<String>>,
    nullable: Option<&'a BTreeSet<String>>,
}

impl FieldPlan<'_> {
    fn is_empty(&self) -> bool {
        self.deprecated.is_none() && self.sensitive.is_none() && self.cells.is_none() && self.nullable.is_none()
    }
}

/// Replaces a field's `#[serde(default, skip_serializing_if = ..)]` with the
/// tri-state's, keeping any other serde settings (such as `rename`).
fn nullable_serde_attrs(attrs: &mut Vec<syn::Attribute>, runtime: &TokenStream) {
    let mut kept_meta: Vec<TokenStream> = Vec::new();
    attrs.retain(|a| {
        if !a.path().is_ident("serde") {
            return true;
        }
        let _ = a.parse_nested_meta(|meta| {
            if meta.path.is_ident("default") || meta.path.is_ident("skip_serializing_if") {
                if meta.input.peek(syn::Token![=]) {
                    let _: syn::Expr = meta.value()?.parse()?;
                }
            } else if meta.input.peek(syn::Token![=]) {
                let path = meta.path.clone();
                let value: syn::Expr = meta.value()?.parse()?;
                kept_meta.push(quote! { #path = #value });
            } else {
                let path = meta.path.clone();
                kept_meta.push(quote! { #path });
            }
            Ok(())
        });
        false
    });
    let skip = format!("{}::Nullable::is_unset", runtime.to_string().replace(' ', ""));
    attrs.push(syn::parse_quote! { #[serde(default, skip_serializing_if = #skip #(, #kept_meta)*)] });
}

/// Rewrites the models (`types` module, with its `builder` submodule).
pub(crate) fn rewrite_types(items: &mut Vec<Item>, plan: &Plan, runtime: &TokenStream) -> Result<(), GenError> {
    let ann = &plan.annotations;
    let mut names: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
    let mut extra = Vec::new();
    let mut with_deprecated = BTreeSet::new();

    for item in items.iter_mut() {
        let Item::Struct(st) = item else { continue };
        let schema = st.ident.to_string();
        let fp = FieldPlan {
            deprecated: ann.deprecated_fields.get(&schema),
            sensitive: ann.sensitive_fields.get(&schema),
            cells: ann.cell_fields.get(&schema),
            nullable: ann.nullable_body_fields.get(&schema),
        };
        if fp.is_empty() {
            continue;
        }
        let wires = wire_names(st);
        let ident_of = |wire: &String| -> Result<String, GenError> {
            wires
                .get(wire)
                .cloned()
                .ok_or_else(|| emit_err(format!("`{schema}` has no field for property `{wire}`")))
        };
        let mut hidden = BTreeSet::new();
        for wire in fp.sensitive.into_iter().flatten() {
            hidden.insert(ident_of(wire)?);
        }
        let mut deprecated = BTreeMap::new();
        for (wire, note) in fp.deprecated.into_iter().flatten() {
            deprecated.insert(ident_of(wire)?, note.clone());
        }
        let mut cells = BTreeSet::new();
        for wire in fp.cells.into_iter().flatten() {
            cells.insert(ident_of(wire)?);
        }
        let mut nullable = BTreeSet::new();
        for wire in fp.nullable.into_iter().flatten() {
            nullable.insert(ident_of(wire)?);
        }
        for f in st.fields.iter_mut() {
            let Some(id) = f.ident.as_ref().map(ToString::to_string) else {
                continue;
            };
            if let Some(note) = deprecated.get(&id) {
                f.attrs.push(deprecated_attr(note));
            }
            if cells.contains(&id) {
                let mut v = CellType(runtime, 0);
                v.visit_type_mut(&mut f.ty);
                if v.1 == 0 {
                    return Err(emit_err(format!("`{schema}.{id}` holds no `serde_json::Value`")));
                }
            }
            if nullable.contains(&id) {
                let mut v = NullableType(runtime, 0);
                v.visit_type_mut(&mut f.ty);
                if v.1 == 0 {
                    return Err(emit_err(format!("`{schema}.{id}` is not an `Option`")));
                }
                nullable_serde_attrs(&mut f.attrs, runtime);
            }
        }
        if !deprecated.is_empty() {
            // The derives (serde, Clone, Default) read every field.
            st.attrs.push(syn::parse_quote! { #[allow(deprecated)] });
            with_deprecated.insert(schema.clone());
        }
        if !hidden.is_empty() {
            if !drop_debug_derive(&mut st.attrs) {
                return Err(emit_err(format!("`{schema}` does not derive `Debug`")));
            }
            extra.push(redacted_debug(st, &hidden, !deprecated.is_empty()));
        }
        names.insert(schema, wires);
    }
    items.extend(extra);

    // Impls reading the fields of a type with deprecated fields.
    for item in items.iter_mut() {
        if let Item::Impl(imp) = item
            && item_name_of_impl(imp).is_some_and(|n| with_deprecated.contains(&n))
            && imp.trait_.is_some()
        {
            imp.attrs.push(syn::parse_quote! { #[allow(deprecated)] });
        }
    }

    // The model builders.
    for item in items.iter_mut() {
        if let Item::Mod(m) = item
            && m.ident == "builder"
            && let Some((_, inner)) = &mut m.content
        {
            rewrite_model_builders(inner, plan, &names, &with_deprecated, runtime)?;
        }
    }

    // Instants, in the models and their builders alike.
    let mut instants = TimestampType { runtime, left: None };
    for item in items.iter_mut() {
        instants.visit_item_mut(item);
    }
    if let Some(path) = instants.left {
        return Err(emit_err(format!(
            "`{path}`: the models name chrono only as `chrono::DateTime<chrono::offset::Utc>`, which becomes a Timestamp"
        )));
    }
    Ok(())
}

/// Replaces progenitor's `chrono::DateTime<chrono::offset::Utc>` with `<runtime>::Timestamp`, and keeps the first
/// other path into `chrono` it meets.
struct TimestampType<'a> {
    runtime: &'a TokenStream,
    left: Option<String>,
}

/// The identifiers of a path's segments (`::chrono::offset::Utc` gives `["chrono", "offset", "Utc"]`).
fn segment_names(path: &syn::Path) -> Vec<String> {
    path.segments.iter().map(|s| s.ident.to_string()).collect()
}

impl VisitMut for TimestampType<'_> {
    fn visit_type_mut(&mut self, ty: &mut Type) {
        if let Type::Path(p) = ty
            && p.qself.is_none()
            && segment_names(&p.path) == ["chrono", "DateTime"]
            && let Some(last) = p.path.segments.last()
            && let syn::PathArguments::AngleBracketed(args) = &last.arguments
            && let [syn::GenericArgument::Type(Type::Path(zone))] = args.args.iter().collect::<Vec<_>>()[..]
            && segment_names(&zone.path) == ["chrono", "offset", "Utc"]
        {
            let runtime = self.runtime;
            *ty = syn::parse_quote! { #runtime::Timestamp };
            return;
        }
        syn::visit_mut::visit_type_mut(self, ty);
    }

    fn visit_path_mut(&mut self, path: &mut syn::Path) {
        if self.left.is_none() && path.segments.first().is_some_and(|s| s.ident == "chrono") {
            self.left = Some(path.to_token_stream().to_string());
        }
        syn::visit_mut::visit_path_mut(self, path);
    }
}

/// The type an impl is for (`impl TryFrom<S> for super::S` is for `S`).
pub(crate) fn item_name_of_impl(imp: &syn::ItemImpl) -> Option<String> {
    match &*imp.self_ty {
        Type::Path(p) => p.path.segments.last().map(|s| s.ident.to_string()),
        _ => None,
    }
}

fn rewrite_model_builders(
    items: &mut Vec<Item>,
    plan: &Plan,
    names: &BTreeMap<String, BTreeMap<String, String>>,
    with_deprecated: &BTreeSet<String>,
    runtime: &TokenStream,
) -> Result<(), GenError> {
    let ann = &plan.annotations;
    let mut extra = Vec::new();
    for item in items.iter_mut() {
        let name = item_name(item);
        let Some(schema) = name else { continue };
        let Some(wires) = names.get(&schema) else { continue };
        let ids = |set: Option<&BTreeSet<String>>| -> BTreeSet<String> {
            set.into_iter()
                .flatten()
                .filter_map(|w| wires.get(w).cloned())
                .collect()
        };
        let hidden = ids(ann.sensitive_fields.get(&schema));
        let cells = ids(ann.cell_fields.get(&schema));
        let nullable = ids(ann.nullable_body_fields.get(&schema));
        let deprecated: BTreeMap<String, String> = ann
            .deprecated_fields
            .get(&schema)
            .into_iter()
            .flatten()
            .filter_map(|(w, n)| Some((wires.get(w)?.clone(), n.clone())))
            .collect();
        match item {
            Item::Struct(st) => {
                for f in st.fields.iter_mut() {
                    let Some(id) = f.ident.as_ref().map(ToString::to_string) else {
                        continue;
                    };
                    if cells.contains(&id) {
                        CellType(runtime, 0).visit_type_mut(&mut f.ty);
                    }
                    if nullable.contains(&id) {
                        NullableType(runtime, 0).visit_type_mut(&mut f.ty);
                    }
                }
                if !hidden.is_empty() {
                    if !drop_debug_derive(&mut st.attrs) {
                        return Err(emit_err(format!("builder `{schema}` does not derive `Debug`")));
                    }
                    extra.push(redacted_debug(st, &hidden, false));
                }
            }
            Item::Impl(imp) if imp.trait_.is_none() => {
                for member in imp.items.iter_mut() {
                    let syn::ImplItem::Fn(f) = member else { continue };
                    let id = f.sig.ident.to_string();
                    if let Some(note) = deprecated.get(&id) {
                        f.attrs.push(deprecated_attr(note));
                    }
                    let mut touched = |visit: &mut dyn FnMut(&mut Type)| {
                        if let Some(wc) = f.sig.generics.where_clause.as_mut() {
                            for pred in wc.predicates.iter_mut() {
                                if let syn::WherePredicate::Type(pt) = pred {
                                    for b in pt.bounds.iter_mut() {
                                        if let syn::TypeParamBound::Trait(t) = b
                                            && let Some(seg) = t.path.segments.last_mut()
                                            && let syn::PathArguments::AngleBracketed(args) = &mut seg.arguments
                                        {
                                            for a in args.args.iter_mut() {
                                                if let syn::GenericArgument::Type(ty) = a {
                                                    visit(ty);
                                                }
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    };
                    if cells.contains(&id) {
                        touched(&mut |ty| CellType(runtime, 0).visit_type_mut(ty));
                    }
                    if nullable.contains(&id) {
                        touched(&mut |ty| NullableType(runtime, 0).visit_type_mut(ty));
                    }
                }
            }
            Item::Impl(_) => {
                // `impl From<super::S> for S` and `impl TryFrom<S> for super::S`
                // both read every field.
                if with_deprecated.contains(&schema)
                    && let Item::Impl(imp) = item
                    && impl_mentions(imp, &schema)
                {
                    imp.attrs.push(syn::parse_quote! { #[allow(deprecated)] });
                }
            }
            _ => {}
        }
    }
    items.extend(extra);
    Ok(())
}

/// Rewrites the operation builders (`builder` module): deprecated setters and
/// redacted `Debug` for sensitive parameters.
pub(crate) fn rewrite_operation_builders(items: &mut Vec<Item>, plan: &Plan) -> Result<(), GenError> {
    let ann = &plan.annotations;
    let mut extra = Vec::new();
    for item in items.iter_mut() {
        let Some(name) = item_name(item) else { continue };
        let Some(op) = plan
            .operations
            .iter()
            .find(|o| crate::plan::pascal(&o.operation_id) == name)
        else {
            continue;
        };
        match item {
            Item::Struct(st) => {
                if let Some(params) = ann.sensitive_parameters.get(&op.operation_id) {
                    let hidden: BTreeSet<String> = params.iter().map(|p| rust_name(p)).collect();
                    let have: BTreeSet<String> = st
                        .fields
                        .iter()
                        .filter_map(|f| f.ident.as_ref().map(ToString::to_string))
                        .collect();
                    if let Some(missing) = hidden.iter().find(|h| !have.contains(*h)) {
                        return Err(emit_err(format!("builder `{name}` has no field `{missing}`")));
                    }
                    if !drop_debug_derive(&mut st.attrs) {
                        return Err(emit_err(format!("builder `{name}` does not derive `Debug`")));
                    }
                    extra.push(redacted_debug(st, &hidden, false));
                }
            }
            Item::Impl(imp) if imp.trait_.is_none() => {
                if let Some(params) = ann.deprecated_parameters.get(&op.operation_id) {
                    for (param, note) in params {
                        let setter = rust_name(param);
                        let found = imp.items.iter_mut().find_map(|m| match m {
                            syn::ImplItem::Fn(f) if f.sig.ident == setter.as_str() => Some(f),
                            _ => None,
                        });
                        match found {
                            Some(f) => f.attrs.push(deprecated_attr(note)),
                            None => {
                                return Err(emit_err(format!("builder `{name}` has no setter `{setter}`")));
                            }
                        }
                    }
                }
            }
            _ => {}
        }
    }
    items.extend(extra);
    Ok(())
}

/// Marks the `Client` methods of deprecated operations (their declarations in
/// the per-tag traits; an attribute on the trait impl would have no effect).
pub(crate) fn rewrite_client(items: &mut [Item], plan: &Plan) -> Result<(), GenError> {
    let mut left: BTreeMap<&String, &String> = plan.annotations.deprecated_operations.iter().collect();
    for item in items.iter_mut() {
        match item {
            Item::Trait(t) => {
                for member in t.items.iter_mut() {
                    if let syn::TraitItem::Fn(f) = member
                        && let Some(note) = left.remove(&f.sig.ident.to_string())
                    {
                        f.attrs.push(deprecated_attr(note));
                    }
                }
            }
            Item::Impl(imp) if imp.trait_.is_none() => {
                for member in imp.items.iter_mut() {
                    if let syn::ImplItem::Fn(f) = member
                        && let Some(note) = left.remove(&f.sig.ident.to_string())
                    {
                        f.attrs.push(deprecated_attr(note));
                    }
                }
            }
            _ => {}
        }
    }
    if let Some((op, _)) = left.into_iter().next() {
        return Err(emit_err(format!("no `Client` method `{op}`")));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chrono_utc_becomes_a_timestamp_and_other_chrono_paths_are_kept_for_refusal() {
        let runtime = quote! { crate::contract };
        let mut item: Item = syn::parse_quote! {
            pub struct A {
                pub at: ::chrono::DateTime<::chrono::offset::Utc>,
                pub maybe: Option<Vec<chrono::DateTime<chrono::offset::Utc>>>,
            }
        };
        let mut v = TimestampType {
            runtime: &runtime,
            left: None,
        };
        v.visit_item_mut(&mut item);
        assert_eq!(v.left, None);
        let text = item.to_token_stream().to_string();
        assert_eq!(text.matches("crate :: contract :: Timestamp").count(), 2, "{text}");
        assert!(!text.contains("chrono"), "{text}");

        for other in [
            quote! { pub struct B { pub day: ::chrono::NaiveDate } },
            quote! { pub struct C { pub at: ::chrono::DateTime<::chrono::FixedOffset> } },
        ] {
            let mut item: Item = syn::parse2(other).expect("parses");
            let mut v = TimestampType {
                runtime: &runtime,
                left: None,
            };
            v.visit_item_mut(&mut item);
            assert!(v.left.as_deref().is_some_and(|p| p.contains("chrono")), "{item:?}");
        }
    }

    #[test]
    fn secret_looking_names() {
        for name in [
            "api_key",
            "password",
            "token",
            "finalize_token",
            "credential",
            "client_secret",
            "signing_key",
        ] {
            assert!(looks_secret(name), "{name}");
        }
        for name in [
            "key",
            "idempotency_key",
            "sort_key",
            "secret_name",
            "secret_id",
            "tokens_used",
            "keyword",
        ] {
            assert!(!looks_secret(name), "{name}");
        }
    }

    #[test]
    fn deprecation_notes() {
        let mut diags = Vec::new();
        let note = |v: Value, diags: &mut Vec<Diagnostic>| deprecation_note(&v, "/p", diags);
        assert_eq!(note(json!({}), &mut diags), None);
        assert_eq!(
            note(json!({"deprecated": true}), &mut diags).as_deref(),
            Some(GENERIC_NOTE)
        );
        assert_eq!(
            note(
                json!({"deprecated": true, DEPRECATION_EXTENSION: {"note": "gone", "since": "2026-07-23", "replaced_by": "list_things"}}),
                &mut diags
            )
            .as_deref(),
            Some("since 2026-07-23: gone; use `list_things` instead")
        );
        assert!(diags.is_empty(), "{diags:?}");
        note(
            json!({"deprecated": true, DEPRECATION_EXTENSION: {"reason": "x"}}),
            &mut diags,
        );
        note(json!({DEPRECATION_EXTENSION: {"note": "x"}}), &mut diags);
        assert_eq!(diags.len(), 2, "{diags:?}");
    }

    #[test]
    fn parameter_names_become_setter_names() {
        assert_eq!(rust_name("X-Database-Id"), "x_database_id");
        assert_eq!(rust_name("pageToken"), "page_token");
        assert_eq!(rust_name("type"), "type_");
    }
}
