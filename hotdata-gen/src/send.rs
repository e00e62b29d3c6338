//! Rewrites progenitor's `send()` methods so that they return the SDK's own
//! error type, which names the operation and keeps the status, headers and
//! body of every failed response (progenitor's `InvalidResponsePayload` keeps
//! neither status nor headers).
//!
//! progenitor writes each `send()` as: statements that build the request,
//! the same five that run it through the client's hooks (`let response =
//! result?;` last), then one `match` on the status. The rewrite keeps the
//! building statements, in a closure that returns the request or
//! progenitor's error, and replaces the rest with one awaited call:
//! `<runtime>::send_json(OPERATION, client, request, &[statuses])` when the
//! success arms decode JSON, or `<runtime>::send_with(.., ResponseValue::empty)`
//! (or `::stream`) when they keep an empty or streamed body. The runtime runs
//! the hooks, converts progenitor's error, and turns every other status into
//! an error that reads whichever error body the server sent.
//!
//! The awaits were most of what the compiler spent on the operations; in one
//! shared function it builds them once. `send()` stays `async`, so the request
//! building is compiled only in the crates that poll it.
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

/// Rewrites every `send()` of the builder module's items, and marks every
/// builder's `new()` `#[inline]`.
pub(crate) fn rewrite(items: &mut Vec<Item>, runtime: &TokenStream) -> Result<(), GenError> {
    let optional = optional_fields(items);
    let none = BTreeSet::new();
    for item in items.iter_mut() {
        let Item::Impl(imp) = item else { continue };
        let builder = self_ident(&imp.self_ty);
        let fields = builder.as_ref().and_then(|name| optional.get(name)).unwrap_or(&none);
        for member in &mut imp.items {
            // `new` (one per operation, an error string per required
            // parameter) becomes `#[inline]`: compiled in a program that
            // calls it, not in every build of the SDK.
            if let ImplItem::Fn(f) = member
                && f.sig.ident == "new"
            {
                crate::mark_inline(f);
            }
            if let ImplItem::Fn(f) = member
                && f.sig.ident == "send"
            {
                let mut at = Site {
                    builder: builder.clone().unwrap_or_else(|| "?".into()),
                    operation: None,
                };
                rewrite_fn(f, runtime, fields, &mut at)?;
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

/// Marks `#[inline]` every method of the client's operation traits
/// (`impl ClientXxxExt for Client`), each of which only calls its builder's
/// `new`. As trait methods of a concrete type they would otherwise be
/// compiled, with the `new` they inline, in every build of the SDK; inline,
/// they are compiled only in programs that call them.
pub(crate) fn inline_operation_methods(items: &mut [Item]) {
    for item in items.iter_mut() {
        if let Item::Impl(imp) = item {
            crate::inline_trait_methods(imp, |name| name.starts_with("Client") && name.ends_with("Ext"));
        }
    }
}

/// Where a rewrite is, for its error messages.
struct Site {
    builder: String,
    operation: Option<String>,
}

impl Site {
    /// What the rewrite expected, and what it found instead.
    fn unexpected(&self, expected: &str, found: &dyn ToTokens) -> GenError {
        let mut found = found.to_token_stream().to_string();
        if found.len() > 240 {
            let mut end = 240;
            while !found.is_char_boundary(end) {
                end -= 1;
            }
            found.truncate(end);
            found.push_str(" ..");
        }
        self.error(expected, format!("`{found}`"))
    }

    fn missing(&self, expected: &str) -> GenError {
        self.error(expected, "none".into())
    }

    fn error(&self, expected: &str, found: String) -> GenError {
        GenError::UnexpectedShape {
            operation: self.operation.clone().unwrap_or_else(|| "(unknown)".into()),
            builder: self.builder.clone(),
            expected: expected.to_owned(),
            found,
        }
    }
}

fn self_ident(ty: &syn::Type) -> Option<String> {
    match ty {
        syn::Type::Path(p) => p.path.segments.last().map(|s| s.ident.to_string()),
        _ => None,
    }
}

/// Whether `path` ends with the segments `tail` (`["QueryParam", "new"]`
/// matches `progenitor_client::QueryParam::new`).
fn path_ends(path: &syn::Path, tail: &[&str]) -> bool {
    path.segments.len() >= tail.len()
        && path
            .segments
            .iter()
            .rev()
            .zip(tail.iter().rev())
            .all(|(seg, want)| seg.ident == want)
}

/// The expression is the plain path `name`.
fn is_name(expr: &Expr, name: &str) -> bool {
    matches!(expr, Expr::Path(p) if p.qself.is_none() && p.path.is_ident(name))
}

/// The arguments of `expr` when it is a call of a path ending in `tail`.
fn call_of<'a>(expr: &'a Expr, tail: &[&str]) -> Option<&'a syn::punctuated::Punctuated<Expr, syn::Token![,]>> {
    match expr {
        Expr::Call(call) => match call.func.as_ref() {
            Expr::Path(p) if path_ends(&p.path, tail) => Some(&call.args),
            _ => None,
        },
        _ => None,
    }
}

/// The one argument of `expr` when it is `tail(arg)`.
fn single_arg<'a>(expr: &'a Expr, tail: &[&str]) -> Option<&'a Expr> {
    call_of(expr, tail).filter(|args| args.len() == 1).map(|args| &args[0])
}

/// The identifier a `let` binds, and whether it is `mut`.
fn binding(local: &syn::Local) -> Option<(&syn::Ident, bool)> {
    match &local.pat {
        syn::Pat::Ident(p) if p.subpat.is_none() && p.by_ref.is_none() => Some((&p.ident, p.mutability.is_some())),
        _ => None,
    }
}

/// A string literal's value.
fn str_lit(expr: &Expr) -> Option<String> {
    match expr {
        Expr::Lit(syn::ExprLit {
            lit: syn::Lit::Str(s), ..
        }) => Some(s.value()),
        _ => None,
    }
}

/// For each builder struct, the fields that hold an optional parameter
/// (`Result<Option<T>, String>`).
fn optional_fields(items: &[Item]) -> BTreeMap<String, BTreeSet<String>> {
    /// The first generic type argument of a path type ending in `name`.
    fn first_arg<'a>(ty: &'a syn::Type, name: &str) -> Option<&'a syn::Type> {
        let syn::Type::Path(p) = ty else { return None };
        let last = p.path.segments.last().filter(|s| s.ident == name)?;
        let syn::PathArguments::AngleBracketed(args) = &last.arguments else {
            return None;
        };
        match args.args.first() {
            Some(syn::GenericArgument::Type(t)) => Some(t),
            _ => None,
        }
    }
    let mut out = BTreeMap::new();
    for item in items {
        let Item::Struct(st) = item else { continue };
        let fields = st
            .fields
            .iter()
            .filter(|f| first_arg(&f.ty, "Result").is_some_and(|inner| first_arg(inner, "Option").is_some()))
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

/// `header_map.append(HeaderName::from_static("api-version"), ..);`
fn is_api_version_header(stmt: &Stmt) -> bool {
    let Stmt::Expr(Expr::MethodCall(call), Some(_)) = stmt else {
        return false;
    };
    call.method == "append"
        && is_name(&call.receiver, "header_map")
        && call.args.len() == 2
        && single_arg(&call.args[0], &["HeaderName", "from_static"])
            .and_then(str_lit)
            .is_some_and(|name| name == "api-version")
}

/// Drops the `api-version` header: its `append` statement, and the header
/// map itself when nothing else goes into it.
fn drop_api_version(stmts: &mut Vec<Stmt>, at: &Site) -> Result<(), GenError> {
    let before = stmts.len();
    stmts.retain(|s| !is_api_version_header(s));
    if stmts.len() + 1 != before {
        return Err(at.missing("one `header_map.append(HeaderName::from_static(\"api-version\"), ..);` statement"));
    }
    let users = stmts.iter().filter(|s| mentions(s, "header_map")).count();
    // Left: `let mut header_map = ..;` and the request chain's `.headers(header_map)`.
    if users == 2 {
        stmts.retain(
            |s| !matches!(s, Stmt::Local(l) if binding(l).is_some_and(|(name, is_mut)| name == "header_map" && is_mut)),
        );
        let mut strip = StripHeaders { removed: 0 };
        for s in stmts.iter_mut() {
            strip.visit_stmt_mut(s);
        }
        if strip.removed != 1 {
            return Err(at.missing("one `.headers(header_map)` call in the request chain"));
        }
    }
    Ok(())
}

/// `let url = format!("{}/a/{}/b", client.baseurl, encode_path(&x.to_string()),);`
/// -> `let url = client.inner.url(&[Fixed("/a/"), Param("x", &x.to_string()), Fixed("/b")])
/// .map_err(Error::InvalidRequest)?;`
fn rewrite_url(stmts: &mut [Stmt], at: &Site) -> Result<(), GenError> {
    use syn::punctuated::Punctuated;
    let mut found = 0;
    for stmt in stmts.iter_mut() {
        let Stmt::Local(local) = stmt else { continue };
        if binding(local).is_none_or(|(name, _)| name != "url") {
            continue;
        }
        let Some(init) = local.init.as_ref().map(|i| i.expr.as_ref()) else {
            return Err(at.unexpected("`let url = format!(..)`", local));
        };
        let Expr::Macro(mac) = init else {
            return Err(at.unexpected("`url` built with `format!`", init));
        };
        if !mac.mac.path.is_ident("format") {
            return Err(at.unexpected("`url` built with `format!`", init));
        }
        let args = mac
            .mac
            .parse_body_with(Punctuated::<Expr, syn::Token![,]>::parse_terminated)
            .map_err(|e| at.unexpected(&format!("`format!` arguments that parse ({e})"), &mac.mac))?;
        let mut args = args.into_iter();
        let template = args
            .next()
            .ok_or_else(|| at.unexpected("a literal `format!` template", &mac.mac))?;
        let Some(template) = str_lit(&template) else {
            return Err(at.unexpected("a literal `format!` template", &template));
        };
        match args.next() {
            Some(Expr::Field(field))
                if is_name(&field.base, "client")
                    && matches!(&field.member, syn::Member::Named(m) if m == "baseurl") => {}
            Some(other) => return Err(at.unexpected("`client.baseurl` as the first URL argument", &other)),
            None => return Err(at.missing("`client.baseurl` as the first URL argument")),
        }
        let Some(rest) = template.strip_prefix("{}") else {
            return Err(at.unexpected("a URL template starting with the base URL `{}`", &template));
        };
        if rest.contains("{{") || rest.contains("}}") {
            return Err(at.unexpected("a URL template without escaped braces", &template));
        }
        let mut pieces = Vec::new();
        for (i, text) in rest.split("{}").enumerate() {
            if i > 0 {
                let arg = args
                    .next()
                    .ok_or_else(|| at.missing(&format!("a URL argument for each `{{}}` of {template:?}")))?;
                let (name, value) = path_param(&arg)
                    .ok_or_else(|| at.unexpected("a path parameter as `encode_path(&x.to_string())`", &arg))?;
                pieces.push(quote! { Piece::Param(#name, #value) });
            }
            if !text.is_empty() {
                pieces.push(quote! { Piece::Fixed(#text) });
            }
        }
        if let Some(extra) = args.next() {
            return Err(at.unexpected(&format!("no more URL arguments than `{{}}` in {template:?}"), &extra));
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
        return Err(at.missing("exactly one `let url = format!(..);`"));
    }
    Ok(())
}

/// `encode_path(&x.to_string())` -> the name `x` and `&x.to_string()`.
fn path_param(arg: &Expr) -> Option<(String, &syn::ExprReference)> {
    let Expr::Reference(r) = single_arg(arg, &["encode_path"])? else {
        return None;
    };
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
            && is_name(&call.args[0], "header_map")
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
        let Some(args) = call_of(&r.expr, &["QueryParam", "new"]).filter(|a| a.len() == 2) else {
            return;
        };
        let (name, value) = (&args[0], &args[1]);
        let Expr::Reference(v) = value else { return };
        let is_optional = match v.expr.as_ref() {
            Expr::Path(p) => p
                .path
                .get_ident()
                .is_some_and(|i| self.optional.contains(&i.to_string())),
            _ => false,
        };
        if !is_optional {
            return;
        }
        let (name, value) = (name.clone(), value.clone());
        call.method = syn::Ident::new("query_some", call.method.span());
        call.args = syn::parse_quote! { #name, #value };
    }
}

/// `Result<ResponseValue<T>, Error<E>>` -> `ResponseValue<T>`.
fn success_type(f: &ImplItemFn, at: &Site) -> Result<syn::Type, GenError> {
    let expected = "a return type `Result<ResponseValue<T>, Error<E>>`";
    let syn::ReturnType::Type(_, ty) = &f.sig.output else {
        return Err(at.missing(expected));
    };
    let syn::Type::Path(p) = ty.as_ref() else {
        return Err(at.unexpected(expected, ty));
    };
    let Some(last) = p.path.segments.last().filter(|s| s.ident == "Result") else {
        return Err(at.unexpected(expected, ty));
    };
    let syn::PathArguments::AngleBracketed(args) = &last.arguments else {
        return Err(at.unexpected(expected, ty));
    };
    match args.args.first() {
        Some(syn::GenericArgument::Type(t)) => Ok(t.clone()),
        _ => Err(at.unexpected(expected, ty)),
    }
}

/// The `operation_id` of `let info = OperationInfo { operation_id: ".." };`.
fn operation_id(stmts: &[Stmt]) -> Option<String> {
    stmts.iter().find_map(|s| {
        let Stmt::Local(local) = s else { return None };
        let Expr::Struct(st) = local.init.as_ref()?.expr.as_ref() else {
            return None;
        };
        if !path_ends(&st.path, &["OperationInfo"]) {
            return None;
        }
        st.fields.iter().find_map(|field| match &field.member {
            syn::Member::Named(name) if name == "operation_id" => str_lit(&field.expr),
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

/// What one arm of progenitor's status `match` does.
#[derive(PartialEq)]
enum Arm {
    /// `ResponseValue::from_response(response).await`: decode JSON.
    Json,
    /// `Ok(ResponseValue::empty(response))` or `Ok(ResponseValue::stream(response))`: the constructor's name.
    Keep(&'static str),
    /// `Err(Error::ErrorResponse(..))` or `Err(Error::UnexpectedResponse(response))`.
    Failure,
}

fn classify_arm(body: &Expr) -> Option<Arm> {
    let is_response = |e: &Expr| is_name(e, "response");
    if let Expr::Await(a) = body
        && single_arg(&a.base, &["ResponseValue", "from_response"]).is_some_and(is_response)
    {
        return Some(Arm::Json);
    }
    if let Some(inner) = single_arg(body, &["Ok"]) {
        return ["empty", "stream"]
            .into_iter()
            .find(|kind| single_arg(inner, &["ResponseValue", kind]).is_some_and(is_response))
            .map(Arm::Keep);
    }
    if let Some(inner) = single_arg(body, &["Err"]) {
        let failure = single_arg(inner, &["Error", "ErrorResponse"]).is_some()
            || single_arg(inner, &["Error", "UnexpectedResponse"]).is_some_and(is_response);
        return failure.then_some(Arm::Failure);
    }
    None
}

fn rewrite_fn(
    f: &mut ImplItemFn,
    runtime: &TokenStream,
    optional: &BTreeSet<String>,
    at: &mut Site,
) -> Result<(), GenError> {
    at.operation = operation_id(&f.block.stmts);
    if at.operation.is_none() {
        return Err(at.missing("`let info = OperationInfo { operation_id: \"..\", .. };`"));
    }
    let success = success_type(f, at)?;
    let mut stmts = std::mem::take(&mut f.block.stmts);
    let m = match stmts.pop() {
        Some(Stmt::Expr(Expr::Match(m), None)) => m,
        Some(other) => return Err(at.unexpected("a final `match response.status().as_u16() { .. }`", &other)),
        None => return Err(at.missing("a body")),
    };
    let op = at.operation.clone().unwrap_or_default();
    drop_api_version(&mut stmts, at)?;
    rewrite_url(&mut stmts, at)?;
    let mut queries = OptionalQuery { optional };
    for s in &mut stmts {
        queries.visit_stmt_mut(s);
    }

    // Which statuses succeed, and how their body is read: the same way for all of them (progenitor gives every
    // success arm of one operation the same type).
    let mut statuses: Vec<syn::Pat> = Vec::new();
    let mut answer: Option<Arm> = None;
    for arm in m.arms {
        let inner = unblock(&arm.body);
        let kind = match classify_arm(inner) {
            Some(Arm::Failure) => continue,
            Some(kind) if matches!(arm.pat, syn::Pat::Lit(_)) && arm.guard.is_none() => kind,
            _ => {
                return Err(at.unexpected(
                    "a status arm that decodes JSON (`ResponseValue::from_response(response).await`), \
                     keeps an empty or streamed body (`Ok(ResponseValue::empty|stream(response))`) \
                     or fails (`Err(Error::ErrorResponse|UnexpectedResponse(..))`)",
                    &arm,
                ));
            }
        };
        match &answer {
            Some(first) if *first != kind => {
                return Err(at.unexpected("every success status read the same way", &arm));
            }
            _ => answer = Some(kind),
        }
        statuses.push(arm.pat);
    }
    let call = match answer {
        Some(Arm::Json) => quote! { #runtime::send_json(OPERATION, client, request, &[#(#statuses),*]) },
        Some(Arm::Keep(kind)) => {
            let kind = syn::Ident::new(kind, proc_macro2::Span::call_site());
            quote! { #runtime::send_with(OPERATION, client, request, &[#(#statuses),*], ResponseValue::#kind) }
        }
        Some(Arm::Failure) | None => return Err(at.missing("a success status arm")),
    };

    let (destructure, build) = split_execution(stmts, at)?;
    // Still `async`, with one await: the request is then built, and the body encoded, only in the crates that
    // send it, as the state machine is compiled only where it is polled.
    f.sig.output = syn::parse_quote! { -> ::std::result::Result<#success, #runtime::Error> };
    f.block = syn::parse_quote! {{
        const OPERATION: &str = #op;
        #destructure
        // progenitor's error is large, and lives here only until the runtime converts it.
        #[allow(clippy::result_large_err)]
        let request = (move || -> ::std::result::Result<::reqwest::Request, Error<()>> {
            #(#build)*
            ::std::result::Result::Ok(request)
        })();
        #call.await
    }};
    Ok(())
}

/// Splits progenitor's statements into the `let Self { .. } = self;` that opens them and the synchronous ones
/// that build the request, and checks that the rest is exactly the hook sequence that `<runtime>::execute`
/// runs for every operation:
///
/// ```text
/// let info = OperationInfo { operation_id: ".." };
/// client.pre(&mut request, &info).await?;
/// let result = client.exec(request, &info).await;
/// client.post(&result, &info).await?;
/// let response = result?;
/// ```
fn split_execution(mut stmts: Vec<Stmt>, at: &Site) -> Result<(Stmt, Vec<Stmt>), GenError> {
    let opens_with_self = matches!(stmts.first(), Some(Stmt::Local(l))
        if matches!(&l.pat, syn::Pat::Struct(p) if p.path.is_ident("Self")));
    if !opens_with_self {
        let first: &dyn ToTokens = match stmts.first() {
            Some(s) => s,
            None => return Err(at.missing("`let Self { .. } = self;` first")),
        };
        return Err(at.unexpected("`let Self { .. } = self;` first", first));
    }
    let Some(info) = stmts
        .iter()
        .position(|s| matches!(s, Stmt::Local(l) if binding(l).is_some_and(|(n, _)| n == "info")))
    else {
        return Err(at.missing("`let info = OperationInfo { .. };`"));
    };
    let hooks: [Stmt; 4] = [
        syn::parse_quote! { client.pre(&mut request, &info).await?; },
        syn::parse_quote! { let result = client.exec(request, &info).await; },
        syn::parse_quote! { client.post(&result, &info).await?; },
        syn::parse_quote! { let response = result?; },
    ];
    let tail = stmts.split_off(info);
    let text = |s: &Stmt| s.to_token_stream().to_string();
    if tail.len() != hooks.len() + 1 || tail[1..].iter().zip(&hooks).any(|(a, b)| text(a) != text(b)) {
        let found = tail[1..].iter().map(text).collect::<Vec<_>>().join(" ");
        return Err(at.error(
            "the hook sequence `client.pre(..)`, `client.exec(..)`, `client.post(..)`, `let response = result?;` \
             right after `let info = ..`",
            found,
        ));
    }
    let builds_request = matches!(stmts.last(), Some(Stmt::Local(l))
        if binding(l).is_some_and(|(n, _)| n == "request"));
    if !builds_request {
        return Err(at.missing("`let mut request = ...build()?;` right before `let info = ..`"));
    }
    let destructure = stmts.remove(0);
    Ok((destructure, stmts))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A builder in the shape progenitor writes: one optional query
    /// parameter, one path parameter, a JSON success and an error body.
    fn builder() -> Vec<Item> {
        let file: syn::File = syn::parse_quote! {
            pub struct GetThing<'a> {
                client: &'a super::Client,
                id: Result<::std::string::String, String>,
                limit: Result<Option<u64>, String>,
            }
            impl<'a> GetThing<'a> {
                pub async fn send(self) -> Result<ResponseValue<types::Thing>, Error<types::ApiError>> {
                    let Self { client, id, limit } = self;
                    let id = id.map_err(Error::InvalidRequest)?;
                    let limit = limit.map_err(Error::InvalidRequest)?;
                    let url = format!("{}/v1/things/{}", client.baseurl, encode_path(&id.to_string()),);
                    let mut header_map = ::reqwest::header::HeaderMap::with_capacity(1usize);
                    header_map.append(
                        ::reqwest::header::HeaderName::from_static("api-version"),
                        ::reqwest::header::HeaderValue::from_static(super::Client::api_version()),
                    );
                    #[allow(unused_mut)]
                    let mut request = client
                        .client
                        .get(url)
                        .query(&progenitor_client::QueryParam::new("limit", &limit))
                        .headers(header_map)
                        .build()?;
                    let info = OperationInfo { operation_id: "get_thing" };
                    client.pre(&mut request, &info).await?;
                    let result = client.exec(request, &info).await;
                    client.post(&result, &info).await?;
                    let response = result?;
                    match response.status().as_u16() {
                        200u16 => ResponseValue::from_response(response).await,
                        404u16 => Err(Error::ErrorResponse(ResponseValue::from_response(response).await?)),
                        _ => Err(Error::UnexpectedResponse(response)),
                    }
                }
            }
        };
        file.items
    }

    fn runtime() -> TokenStream {
        quote! { crate::contract }
    }

    /// `builder()` with its `send()` changed by `mutate`, rewritten.
    fn rewrite_mutated(mutate: impl FnOnce(&mut ImplItemFn)) -> Result<Vec<Item>, GenError> {
        let mut items = builder();
        let Item::Impl(imp) = &mut items[1] else { panic!("impl") };
        let ImplItem::Fn(send) = &mut imp.items[0] else {
            panic!("send")
        };
        mutate(send);
        rewrite(&mut items, &runtime()).map(|()| items)
    }

    fn error_of(mutate: impl FnOnce(&mut ImplItemFn)) -> String {
        match rewrite_mutated(mutate) {
            Err(e) => e.to_string(),
            Ok(items) => panic!(
                "an unexpected shape was accepted:\n{}",
                prettyplease::unparse(&syn::File {
                    shebang: None,
                    attrs: vec![],
                    items
                })
            ),
        }
    }

    /// Replaces the statement that binds `name` with `replacement`.
    fn replace_let(send: &mut ImplItemFn, name: &str, replacement: Stmt) {
        let slot = send
            .block
            .stmts
            .iter_mut()
            .find(|s| matches!(s, Stmt::Local(l) if binding(l).is_some_and(|(n, _)| n == name)))
            .expect("statement");
        *slot = replacement;
    }

    #[test]
    fn builder_constructors_and_operation_methods_become_inline() {
        let mut items = builder();
        let Item::Impl(imp) = &mut items[1] else { panic!("impl") };
        imp.items.push(syn::parse_quote! {
            pub fn new(client: &'a super::Client) -> Self {
                Self { client, id: Err("id was not initialized".to_string()), limit: Ok(None) }
            }
        });
        rewrite(&mut items, &runtime()).expect("rewrites");
        let Item::Impl(imp) = &items[3] else { panic!("impl") };
        for member in &imp.items {
            let ImplItem::Fn(f) = member else { continue };
            let expected = usize::from(f.sig.ident == "new");
            assert_eq!(crate::inline_count(&f.attrs), expected, "{}", f.sig.ident);
        }

        let file: syn::File = syn::parse_quote! {
            impl ClientThingsExt for Client {
                fn get_thing(&self) -> builder::GetThing<'_> { builder::GetThing::new(self) }
                #[inline]
                fn put_thing(&self) -> builder::PutThing<'_> { builder::PutThing::new(self) }
            }
            impl ClientInfo<Transport> for Client {
                fn baseurl(&self) -> &str { self.baseurl.as_str() }
            }
            impl Client {
                pub fn new(baseurl: &str) -> Self { todo!() }
            }
        };
        let mut items = file.items;
        inline_operation_methods(&mut items);
        let counts: Vec<usize> = items
            .iter()
            .flat_map(|item| match item {
                Item::Impl(imp) => imp.items.iter().collect::<Vec<_>>(),
                _ => vec![],
            })
            .map(|member| match member {
                ImplItem::Fn(f) => crate::inline_count(&f.attrs),
                _ => usize::MAX,
            })
            .collect();
        // Both operation methods once each (the marked one not twice); the
        // client's other impls untouched.
        assert_eq!(counts, [1, 1, 0, 0]);
    }

    #[test]
    fn the_expected_shape_is_rewritten() {
        let items = rewrite_mutated(|_| {}).expect("rewrites");
        let text = prettyplease::unparse(&syn::File {
            shebang: None,
            attrs: vec![],
            items,
        });
        assert!(
            text.contains("Piece::Fixed(\"/v1/things/\"), Piece::Param(\"id\", &id.to_string())"),
            "{text}"
        );
        assert!(text.contains(".query_some(\"limit\", &limit)"), "{text}");
        assert!(!text.contains("api-version") && !text.contains("header_map"), "{text}");
        assert!(
            text.contains("crate::contract::send_json(OPERATION, client, request, &[200u16])"),
            "{text}"
        );
        assert!(text.contains("pub async fn send("), "{text}");
        assert!(
            !text.contains("OperationInfo") && !text.contains("client.pre"),
            "{text}"
        );
        assert!(
            !text.contains("ErrorResponse") && !text.contains("UnexpectedResponse"),
            "{text}"
        );
    }

    #[test]
    fn a_url_not_built_on_the_base_url_names_the_operation_and_the_expectation() {
        let err = error_of(|send| {
            replace_let(
                send,
                "url",
                syn::parse_quote! { let url = format!("{}/v1/things/{}", client.other, encode_path(&id.to_string()),); },
            )
        });
        assert_eq!(
            err,
            "unexpected progenitor output in `GetThing::send()` of operation `get_thing`: \
             expected `client.baseurl` as the first URL argument, found `client . other` \
             (teach hotdata-gen/src/send.rs the new shape)"
        );
    }

    #[test]
    fn an_unknown_path_encoding_is_refused() {
        let err = error_of(|send| {
            replace_let(
                send,
                "url",
                syn::parse_quote! { let url = format!("{}/v1/things/{}", client.baseurl, percent_encode(&id.to_string()),); },
            )
        });
        assert!(
            err.contains("of operation `get_thing`: expected a path parameter as `encode_path(&x.to_string())`, found `percent_encode"),
            "{err}"
        );
    }

    #[test]
    fn a_changed_hook_sequence_is_refused() {
        let err = error_of(|send| {
            let at = send
                .block
                .stmts
                .iter()
                .position(|s| matches!(s, Stmt::Local(l) if binding(l).is_some_and(|(n, _)| n == "result")))
                .expect("exec");
            send.block.stmts[at] = syn::parse_quote! { let result = client.exec_twice(request, &info).await; };
        });
        assert!(
            err.contains("of operation `get_thing`: expected the hook sequence")
                && err.contains("client . exec_twice (request , & info)"),
            "{err}"
        );
    }

    #[test]
    fn success_arms_read_two_ways_are_refused() {
        let err = error_of(|send| {
            let Some(Stmt::Expr(Expr::Match(m), None)) = send.block.stmts.last_mut() else {
                panic!("match")
            };
            let mut second = m.arms[0].clone();
            second.pat = syn::parse_quote! { 204u16 };
            *second.body = syn::parse_quote! { Ok(ResponseValue::empty(response)) };
            m.arms.insert(1, second);
        });
        assert!(err.contains("expected every success status read the same way"), "{err}");
    }

    #[test]
    fn an_unknown_success_arm_is_refused() {
        let err = error_of(|send| {
            let Some(Stmt::Expr(Expr::Match(m), None)) = send.block.stmts.last_mut() else {
                panic!("match")
            };
            *m.arms[0].body = syn::parse_quote! { ResponseValue::upgrade(response).await };
        });
        assert!(
            err.contains("`GetThing::send()` of operation `get_thing`: expected a status arm"),
            "{err}"
        );
        assert!(
            err.contains("found `200u16 => ResponseValue :: upgrade (response) . await"),
            "{err}"
        );
    }

    #[test]
    fn a_missing_api_version_header_and_a_missing_operation_info_are_reported() {
        let err = error_of(|send| send.block.stmts.retain(|s| !is_api_version_header(s)));
        assert!(
            err.contains("of operation `get_thing`: expected one `header_map.append(HeaderName::from_static(\"api-version\"), ..);` statement, found none"),
            "{err}"
        );
        let err = error_of(|send| {
            replace_let(send, "info", syn::parse_quote! { let info = (); });
        });
        assert!(
            err.contains("`GetThing::send()` of operation `(unknown)`: expected `let info = OperationInfo"),
            "{err}"
        );
    }
}
