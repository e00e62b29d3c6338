//! Rewrites progenitor's `send()` methods so that they return the SDK's own
//! error type, which names the operation and keeps the status, headers and
//! body of every failed response (progenitor's `InvalidResponsePayload` keeps
//! neither status nor headers).
//!
//! progenitor writes each `send()` as: statements that build and execute the
//! request (`let response = result?;` last), then one `match` on the status.
//! The rewrite keeps the statements as they are, inside an async block whose
//! progenitor error is converted by `<runtime>::request_error`, and rebuilds
//! the `match`:
//! - a success arm that decodes JSON calls `<runtime>::decode_json`;
//! - a success arm that returns an empty or streamed body is kept;
//! - every error arm, and the catch-all, becomes `<runtime>::error_response`,
//!   which reads whichever error body the server sent.
//!
//!
//! Two things progenitor does on every request are also dropped, because
//! they cost time on each call and carry nothing the API reads:
//! - the `api-version` header (the spec declares no such header; the value
//!   stays available as `Client::api_version()`);
//! - `.query(..)` calls for optional query parameters that are unset: they
//!   go through `<runtime>::QuerySome::query_some`, which skips `None` without touching
//!   the URL (progenitor's call serializes nothing for `None`, but still
//!   opens and closes the URL's query part).
//!
//! The URL is built differently too: progenitor formats it as text
//! (`format!("{}/v1/results/{}", client.baseurl, encode_path(..))`), which
//! reqwest then parses, host and all, on every request. The rewrite calls
//! `client.inner.url(&[Piece::Fixed(..), Piece::Param(..)])` (`<runtime>::Piece`)
//! instead, which sets the path on the base URL parsed once, and refuses a
//! path parameter that is empty, `.` or `..`.
//!
//! Anything else is reported, so a change in progenitor's output fails
//! generation instead of producing code that silently differs.

use std::collections::{BTreeMap, BTreeSet};

use proc_macro2::TokenStream;
use quote::{ToTokens, quote};
use syn::visit_mut::VisitMut;
use syn::{Expr, ImplItem, ImplItemFn, Item, Stmt};

use crate::diag::GenError;

/// Rewrites every `send()` of the builder module's items.
pub(crate) fn rewrite(items: &mut Vec<Item>, runtime: &TokenStream) -> Result<(), GenError> {
    let optional = optional_fields(items);
    let none = BTreeSet::new();
    for item in items.iter_mut() {
        let Item::Impl(imp) = item else { continue };
        let fields = self_ident(&imp.self_ty)
            .and_then(|name| optional.get(&name))
            .unwrap_or(&none);
        for member in &mut imp.items {
            if let ImplItem::Fn(f) = member
                && f.sig.ident == "send"
            {
                rewrite_fn(f, runtime, fields)?;
            }
        }
    }
    items.insert(
        0,
        syn::parse_quote! { #[allow(unused_imports)] use #runtime::QuerySome as _; },
    );
    items.insert(1, syn::parse_quote! { use #runtime::Piece; });
    Ok(())
}

fn self_ident(ty: &syn::Type) -> Option<String> {
    match ty {
        syn::Type::Path(p) => p.path.segments.last().map(|s| s.ident.to_string()),
        _ => None,
    }
}

/// For each builder struct, the fields that hold an optional parameter
/// (`Result<Option<T>, String>`).
fn optional_fields(items: &[Item]) -> BTreeMap<String, BTreeSet<String>> {
    let mut out = BTreeMap::new();
    for item in items {
        let Item::Struct(st) = item else { continue };
        let fields = st
            .fields
            .iter()
            .filter(|f| {
                let ty = f.ty.to_token_stream().to_string();
                ty.starts_with("Result < Option <")
            })
            .filter_map(|f| f.ident.as_ref().map(ToString::to_string))
            .collect();
        out.insert(st.ident.to_string(), fields);
    }
    out
}

/// Whether a statement mentions the identifier `name`.
fn mentions(stmt: &Stmt, name: &str) -> bool {
    fn walk(tokens: TokenStream, name: &str) -> bool {
        tokens.into_iter().any(|t| match t {
            proc_macro2::TokenTree::Ident(i) => i == name,
            proc_macro2::TokenTree::Group(g) => walk(g.stream(), name),
            _ => false,
        })
    }
    walk(stmt.to_token_stream(), name)
}

/// Drops the `api-version` header: its `append` statement, and the header
/// map itself when nothing else goes into it.
fn drop_api_version(stmts: &mut Vec<Stmt>, f: &ImplItemFn) -> Result<(), GenError> {
    let before = stmts.len();
    stmts.retain(|s| {
        !s.to_token_stream()
            .to_string()
            .contains("from_static (\"api-version\")")
    });
    if stmts.len() != before - 1 {
        return Err(emit_err("no single `api-version` header statement", f));
    }
    let users = stmts.iter().filter(|s| mentions(s, "header_map")).count();
    // Left: `let mut header_map = ..;` and the request chain's `.headers(header_map)`.
    if users == 2 {
        stmts.retain(|s| !matches!(s, Stmt::Local(l) if l.pat.to_token_stream().to_string() == "mut header_map"));
        let mut strip = StripHeaders { removed: 0 };
        for s in stmts.iter_mut() {
            strip.visit_stmt_mut(s);
        }
        if strip.removed != 1 {
            return Err(emit_err("no single `.headers(header_map)` call", f));
        }
    }
    Ok(())
}

/// `let url = format!("{}/a/{}/b", client.baseurl, encode_path(&x.to_string()),);`
/// -> `let url = client.inner.url(&[Fixed("/a/"), Param("x", &x.to_string()), Fixed("/b")])
/// .map_err(Error::InvalidRequest)?;`
fn rewrite_url(stmts: &mut [Stmt], f: &ImplItemFn) -> Result<(), GenError> {
    use syn::punctuated::Punctuated;
    let mut found = 0;
    for stmt in stmts.iter_mut() {
        let Stmt::Local(local) = stmt else { continue };
        if local.pat.to_token_stream().to_string() != "url" {
            continue;
        }
        let Some(Expr::Macro(mac)) = local.init.as_ref().map(|i| i.expr.as_ref()) else {
            return Err(emit_err("`url` is not built with `format!`", f));
        };
        if !mac.mac.path.is_ident("format") {
            return Err(emit_err("`url` is not built with `format!`", f));
        }
        let args = mac
            .mac
            .parse_body_with(Punctuated::<Expr, syn::Token![,]>::parse_terminated)
            .map_err(|e| emit_err(&format!("`format!` arguments: {e}"), f))?;
        let mut args = args.into_iter();
        let Some(Expr::Lit(syn::ExprLit {
            lit: syn::Lit::Str(template),
            ..
        })) = args.next()
        else {
            return Err(emit_err("`format!` without a literal template", f));
        };
        if args.next().map(|a| a.to_token_stream().to_string()).as_deref() != Some("client . baseurl") {
            return Err(emit_err("URL does not start with `client.baseurl`", f));
        }
        let template = template.value();
        let Some(rest) = template.strip_prefix("{}") else {
            return Err(emit_err("URL template does not start with the base URL", f));
        };
        if rest.contains("{{") || rest.contains("}}") {
            return Err(emit_err("escaped braces in the URL template", f));
        }
        let mut pieces = Vec::new();
        for (i, text) in rest.split("{}").enumerate() {
            if i > 0 {
                let arg = args
                    .next()
                    .ok_or_else(|| emit_err("fewer URL arguments than `{}`", f))?;
                let (name, value) =
                    path_param(&arg).ok_or_else(|| emit_err("URL argument is not `encode_path(&x.to_string())`", f))?;
                pieces.push(quote! { Piece::Param(#name, #value) });
            }
            if !text.is_empty() {
                pieces.push(quote! { Piece::Fixed(#text) });
            }
        }
        if args.next().is_some() {
            return Err(emit_err("more URL arguments than `{}`", f));
        }
        let pieces = pieces.iter().map(|p| quote! { #p, });
        let init: Expr = syn::parse_quote! {
            client.inner.url(&[#(#pieces)*]).map_err(Error::InvalidRequest)?
        };
        if let Some(old) = local.init.as_mut() {
            *old.expr = init;
        }
        found += 1;
    }
    if found != 1 {
        return Err(emit_err("no single `let url = format!(..)`", f));
    }
    Ok(())
}

/// `encode_path(&x.to_string())` -> the name `x` and `&x.to_string()`.
fn path_param(arg: &Expr) -> Option<(String, &syn::ExprReference)> {
    let Expr::Call(call) = arg else { return None };
    if call.func.to_token_stream().to_string() != "encode_path" || call.args.len() != 1 {
        return None;
    }
    let Expr::Reference(r) = &call.args[0] else { return None };
    let Expr::MethodCall(m) = r.expr.as_ref() else {
        return None;
    };
    let Expr::Path(p) = m.receiver.as_ref() else {
        return None;
    };
    if m.method != "to_string" || !m.args.is_empty() {
        return None;
    }
    let name = p.path.get_ident()?.to_string();
    Some((name, r))
}

/// `recv.headers(header_map)` -> `recv`.
struct StripHeaders {
    removed: usize,
}

impl VisitMut for StripHeaders {
    fn visit_expr_mut(&mut self, expr: &mut Expr) {
        if let Expr::MethodCall(call) = expr
            && call.method == "headers"
            && call.args.len() == 1
            && call.args[0].to_token_stream().to_string() == "header_map"
        {
            let receiver = (*call.receiver).clone();
            *expr = receiver;
            self.removed += 1;
        }
        syn::visit_mut::visit_expr_mut(self, expr);
    }
}

/// `recv.query(&progenitor_client::QueryParam::new("n", &v))` ->
/// `recv.query_some("n", &v)` for optional `v`.
struct OptionalQuery<'a> {
    optional: &'a BTreeSet<String>,
}

impl VisitMut for OptionalQuery<'_> {
    fn visit_expr_mut(&mut self, expr: &mut Expr) {
        syn::visit_mut::visit_expr_mut(self, expr);
        let Expr::MethodCall(call) = expr else { return };
        if call.method != "query" || call.args.len() != 1 {
            return;
        }
        let Expr::Reference(r) = &call.args[0] else { return };
        let Expr::Call(new) = r.expr.as_ref() else { return };
        if !new.func.to_token_stream().to_string().ends_with("QueryParam :: new") || new.args.len() != 2 {
            return;
        }
        let (name, value) = (&new.args[0], &new.args[1]);
        let Expr::Reference(v) = value else { return };
        if !self.optional.contains(&v.expr.to_token_stream().to_string()) {
            return;
        }
        call.method = syn::Ident::new("query_some", call.method.span());
        call.args = syn::parse_quote! { #name, #value };
    }
}

fn emit_err(what: &str, f: &ImplItemFn) -> GenError {
    GenError::Emit(format!(
        "unexpected progenitor output in `send()` ({what}): {}",
        f.sig.to_token_stream()
    ))
}

/// `Result<ResponseValue<T>, Error<E>>` -> `ResponseValue<T>`.
fn success_type(f: &ImplItemFn) -> Result<syn::Type, GenError> {
    let syn::ReturnType::Type(_, ty) = &f.sig.output else {
        return Err(emit_err("no return type", f));
    };
    let syn::Type::Path(p) = ty.as_ref() else {
        return Err(emit_err("return type is not a path", f));
    };
    let last = p.path.segments.last().ok_or_else(|| emit_err("empty return type", f))?;
    let syn::PathArguments::AngleBracketed(args) = &last.arguments else {
        return Err(emit_err("return type is not `Result<..>`", f));
    };
    match args.args.first() {
        Some(syn::GenericArgument::Type(t)) => Ok(t.clone()),
        _ => Err(emit_err("return type has no success type", f)),
    }
}

/// The `operation_id` of `let info = OperationInfo { operation_id: ".." };`.
fn operation_id(stmts: &[Stmt]) -> Option<String> {
    stmts.iter().find_map(|s| {
        let Stmt::Local(local) = s else { return None };
        let Expr::Struct(st) = local.init.as_ref()?.expr.as_ref() else {
            return None;
        };
        st.fields.iter().find_map(|field| match (&field.member, &field.expr) {
            (
                syn::Member::Named(name),
                Expr::Lit(syn::ExprLit {
                    lit: syn::Lit::Str(s), ..
                }),
            ) if name == "operation_id" => Some(s.value()),
            _ => None,
        })
    })
}

/// `{ expr }` -> `expr`.
fn unblock(expr: &Expr) -> &Expr {
    match expr {
        Expr::Block(b) if b.block.stmts.len() == 1 => match &b.block.stmts[0] {
            Stmt::Expr(inner, None) => unblock(inner),
            _ => expr,
        },
        _ => expr,
    }
}

fn rewrite_fn(f: &mut ImplItemFn, runtime: &TokenStream, optional: &BTreeSet<String>) -> Result<(), GenError> {
    let success = success_type(f)?;
    let mut stmts = std::mem::take(&mut f.block.stmts);
    let Some(Stmt::Expr(Expr::Match(m), None)) = stmts.pop() else {
        return Err(emit_err("does not end in a `match` on the status", f));
    };
    let op = operation_id(&stmts).ok_or_else(|| emit_err("no `OperationInfo`", f))?;
    drop_api_version(&mut stmts, f)?;
    rewrite_url(&mut stmts, f)?;
    let mut queries = OptionalQuery { optional };
    for s in &mut stmts {
        queries.visit_stmt_mut(s);
    }

    let mut arms = Vec::new();
    for arm in m.arms {
        let inner = unblock(&arm.body);
        let body = inner.to_token_stream().to_string();
        let is_wildcard = matches!(arm.pat, syn::Pat::Wild(_));
        if is_wildcard || body.contains("Error :: ErrorResponse") || body.contains("Error :: UnexpectedResponse") {
            continue;
        }
        let pat = &arm.pat;
        if body == "ResponseValue :: from_response (response) . await" {
            arms.push(quote! { #pat => #runtime::decode_json(OPERATION, response).await, });
        } else if body.starts_with("Ok (ResponseValue :: empty (response))")
            || body.starts_with("Ok (ResponseValue :: stream (response))")
            || body.starts_with("Ok (ResponseValue :: upgrade (response)")
        {
            arms.push(quote! { #pat => #inner, });
        } else {
            return Err(emit_err(&format!("unknown success arm `{body}`"), f));
        }
    }

    f.sig.output = syn::parse_quote! { -> ::std::result::Result<#success, #runtime::Error> };
    f.block = syn::parse_quote! {{
        const OPERATION: &str = #op;
        let response = async move {
            #(#stmts)*
            ::std::result::Result::<_, Error<()>>::Ok(response)
        }
        .await
        .map_err(|e| #runtime::request_error(OPERATION, e))?;
        match response.status().as_u16() {
            #(#arms)*
            _ => Err(#runtime::error_response(OPERATION, response).await),
        }
    }};
    Ok(())
}
