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
//! Anything else is reported, so a change in progenitor's output fails
//! generation instead of producing code that silently differs.

use proc_macro2::TokenStream;
use quote::{ToTokens, quote};
use syn::{Expr, ImplItem, ImplItemFn, Item, Stmt};

use crate::diag::GenError;

/// Rewrites every `send()` of the builder module's items.
pub(crate) fn rewrite(items: &mut [Item], runtime: &TokenStream) -> Result<(), GenError> {
    for item in items {
        let Item::Impl(imp) = item else { continue };
        for member in &mut imp.items {
            if let ImplItem::Fn(f) = member
                && f.sig.ident == "send"
            {
                rewrite_fn(f, runtime)?;
            }
        }
    }
    Ok(())
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

fn rewrite_fn(f: &mut ImplItemFn, runtime: &TokenStream) -> Result<(), GenError> {
    let success = success_type(f)?;
    let mut stmts = std::mem::take(&mut f.block.stmts);
    let Some(Stmt::Expr(Expr::Match(m), None)) = stmts.pop() else {
        return Err(emit_err("does not end in a `match` on the status", f));
    };
    let op = operation_id(&stmts).ok_or_else(|| emit_err("no `OperationInfo`", f))?;

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
