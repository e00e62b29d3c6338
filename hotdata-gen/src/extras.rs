//! Code progenitor does not write: open enums, typed outcomes, page streams.

use proc_macro2::{Ident, Span, TokenStream};
use quote::{format_ident, quote};

use crate::diag::{Diagnostic, pointer};
use crate::plan::{OpenEnum, Outcome, PageStyle, Pagination, Plan, pascal};

fn ident(s: &str) -> Ident {
    Ident::new(s, Span::call_site())
}

/// Rust variant name for a wire value: `partially_succeeded` -> `PartiallySucceeded`.
pub(crate) fn variant_name(value: &str) -> String {
    let mut out = String::new();
    for part in value
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|p| !p.is_empty())
    {
        let mut chars = part.chars();
        if let Some(first) = chars.next() {
            out.push(first.to_ascii_uppercase());
            out.push_str(chars.as_str());
        }
    }
    if out.starts_with(|c: char| c.is_ascii_digit()) {
        out.insert(0, 'V');
    }
    out
}

/// Checks that every open enum maps its values to distinct, valid variants.
pub(crate) fn check_open_enums(plan: &Plan) -> Vec<Diagnostic> {
    let mut diags = Vec::new();
    for (name, e) in &plan.open_enums {
        let mut seen = std::collections::BTreeMap::new();
        for v in &e.values {
            let variant = variant_name(v);
            let ptr = pointer(["components", "schemas", name.as_str(), "enum"]);
            if variant.is_empty() || variant == "Other" {
                diags.push(Diagnostic::new(
                    ptr,
                    format!("enum value {v:?} cannot be named as a Rust variant"),
                    "use values with at least one letter, and not `other` (reserved for unknown values)",
                ));
            } else if let Some(prev) = seen.insert(variant.clone(), v.clone()) {
                diags.push(Diagnostic::new(
                    ptr,
                    format!("enum values {prev:?} and {v:?} both become variant `{variant}`"),
                    "make the values differ in more than case or punctuation",
                ));
            }
        }
    }
    diags
}

/// The payload of every open enum's `Other` variant: a wire value this
/// version of the SDK does not know. Its field is private to the generated
/// `types` module, so `Other` only ever holds an unknown value and never
/// compares equal to a known variant.
pub(crate) fn unknown_value() -> TokenStream {
    quote! {
        /// A value of an open enum that this version of the SDK does not know,
        /// kept verbatim.
        ///
        /// Only deserialising or parsing makes one, and only from a value
        /// that no known variant stands for, so an `Other(..)` never equals a
        /// known variant. Read it with [`as_str`](UnknownValue::as_str).
        #[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct UnknownValue(::std::string::String);

        impl UnknownValue {
            /// The value as the API sent it.
            pub fn as_str(&self) -> &str {
                self.0.as_str()
            }
        }

        impl ::std::fmt::Display for UnknownValue {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl ::std::convert::AsRef<str> for UnknownValue {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }
    }
}

/// An enum with one variant per known value and `Other(UnknownValue)` for
/// the rest, so a value added to the API later never fails deserialisation.
pub(crate) fn open_enum(name: &str, e: &OpenEnum) -> TokenStream {
    let ty = ident(name);
    let doc = e.description.clone().unwrap_or_else(|| format!("Values of `{name}`."));
    let first = e.values.first().map(|v| variant_name(v)).unwrap_or_default();
    let doc = format!(
        "{doc}\n\nThis enum is open: a value the API adds later deserialises as [`{name}::Other`] instead of \
         failing, and the enum is `#[non_exhaustive]`, so a later SDK version may turn such a value into a \
         variant of its own. Match with a wildcard arm, or compare the wire text from \
         [`as_str`]({name}::as_str):\n\n\
         ```ignore\n\
         match value {{\n    {name}::{first} => {{ /* ... */ }}\n    other => println!(\"not handled: {{}}\", other.as_str()),\n}}\n\
         ```\n\n\
         A known value always decodes as its variant (also through `FromStr` and `From<&str>`), and `Other` \
         can only hold a value no variant stands for, so equality is equality of the wire text."
    );
    let variants: Vec<Ident> = e.values.iter().map(|v| ident(&variant_name(v))).collect();
    let values = &e.values;
    let variant_docs: Vec<String> = values.iter().map(|v| format!("`{v}`")).collect();
    let schema_desc = e.description.clone().unwrap_or_default();
    quote! {
        #[doc = #doc]
        #[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[non_exhaustive]
        pub enum #ty {
            #( #[doc = #variant_docs] #variants, )*
            /// A value this version of the SDK does not know, kept verbatim.
            Other(UnknownValue),
        }

        impl #ty {
            /// Every value this version of the SDK knows, in spec order.
            pub const KNOWN: &'static [&'static str] = &[ #( #values ),* ];

            /// The wire value.
            pub fn as_str(&self) -> &str {
                match self {
                    #( Self::#variants => #values, )*
                    Self::Other(value) => value.as_str(),
                }
            }

            /// `false` for a value this version of the SDK does not know.
            pub fn is_known(&self) -> bool {
                !matches!(self, Self::Other(_))
            }
        }

        impl ::std::convert::From<&str> for #ty {
            fn from(value: &str) -> Self {
                match value {
                    #( #values => Self::#variants, )*
                    other => Self::Other(UnknownValue(other.to_owned())),
                }
            }
        }

        impl ::std::convert::From<::std::string::String> for #ty {
            fn from(value: ::std::string::String) -> Self {
                match value.as_str() {
                    #( #values => Self::#variants, )*
                    _ => Self::Other(UnknownValue(value)),
                }
            }
        }

        impl ::std::convert::From<&::std::string::String> for #ty {
            fn from(value: &::std::string::String) -> Self {
                Self::from(value.as_str())
            }
        }

        impl ::std::str::FromStr for #ty {
            type Err = ::std::convert::Infallible;
            fn from_str(value: &str) -> ::std::result::Result<Self, Self::Err> {
                Ok(Self::from(value))
            }
        }

        impl ::std::fmt::Display for #ty {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl ::serde::Serialize for #ty {
            fn serialize<S: ::serde::Serializer>(&self, serializer: S) -> ::std::result::Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> ::serde::Deserialize<'de> for #ty {
            fn deserialize<D: ::serde::Deserializer<'de>>(deserializer: D) -> ::std::result::Result<Self, D::Error> {
                let value = <::std::borrow::Cow<'de, str> as ::serde::Deserialize>::deserialize(deserializer)?;
                Ok(Self::from(value.as_ref()))
            }
        }

        #[cfg(feature = "schemars")]
        impl ::schemars::JsonSchema for #ty {
            fn schema_name() -> ::std::borrow::Cow<'static, str> {
                ::std::borrow::Cow::Borrowed(#name)
            }

            fn json_schema(_: &mut ::schemars::SchemaGenerator) -> ::schemars::Schema {
                ::schemars::json_schema!({
                    "type": "string",
                    "description": #schema_desc,
                    "examples": [ #( #values ),* ]
                })
            }
        }
    }
}

fn reason(status: u16) -> String {
    match status {
        200 => "Ok".into(),
        201 => "Created".into(),
        202 => "Accepted".into(),
        203 => "NonAuthoritative".into(),
        204 => "NoContent".into(),
        206 => "PartialContent".into(),
        other => format!("Status{other}"),
    }
}

/// The `outcomes` module: one enum per operation with several 2xx bodies,
/// decoded by status, and a `send_outcome` on its builder.
pub(crate) fn outcomes(plan: &Plan, runtime: &TokenStream) -> TokenStream {
    let items = plan.outcomes.iter().map(|(op, o)| outcome(op, o, runtime));
    quote! {
        //! Typed outcomes of operations whose successful responses differ by status.
        #[allow(unused_imports)]
        use super::{ByteStream, ResponseValue};
        #( #items )*
    }
}

fn outcome(op: &str, o: &Outcome, runtime: &TokenStream) -> TokenStream {
    let ty = format_ident!("{}Outcome", pascal(op));
    let builder = ident(&pascal(op));
    let doc =
        format!("What [`Client::{op}`](super::Client) answered: one variant per success status the spec declares.");
    let mut variants = Vec::new();
    let mut arms = Vec::new();
    let mut status_arms = Vec::new();
    for v in &o.variants {
        let name = ident(&reason(v.status));
        let code = v.status;
        let vdoc = format!("Status `{code}`.");
        match &v.schema {
            Some(schema) => {
                let s = ident(schema);
                variants.push(quote! { #[doc = #vdoc] #name(super::types::#s), });
                arms.push(quote! {
                    #code => Self::#name(#runtime::decode_slice(OPERATION, status, &headers, &body)?),
                });
                status_arms.push(quote! { Self::#name(_) => #code, });
            }
            None => {
                variants.push(quote! { #[doc = #vdoc] #name, });
                arms.push(quote! { #code => Self::#name, });
                status_arms.push(quote! { Self::#name => #code, });
            }
        }
    }
    let send_doc = format!("Sends the request and decodes the body by status into [`{ty}`].");
    quote! {
        #[doc = #doc]
        #[derive(Clone, Debug)]
        pub enum #ty {
            #( #variants )*
        }

        impl #ty {
            /// The HTTP status this outcome stands for.
            pub fn status(&self) -> u16 {
                match self {
                    #( #status_arms )*
                }
            }

            /// Decodes a raw successful response by its status.
            pub async fn from_response(
                response: ResponseValue<ByteStream>,
            ) -> ::std::result::Result<ResponseValue<Self>, #runtime::Error> {
                const OPERATION: &str = #op;
                let (status, headers, body) = #runtime::collect_body(OPERATION, response).await?;
                let value = match status.as_u16() {
                    #( #arms )*
                    other => {
                        return Err(#runtime::unexpected_status(OPERATION, other, &headers, &body));
                    }
                };
                Ok(ResponseValue::new(value, status, headers))
            }
        }

        impl<'a> super::builder::#builder<'a> {
            #[doc = #send_doc]
            pub async fn send_outcome(self) -> ::std::result::Result<ResponseValue<#ty>, #runtime::Error> {
                #ty::from_response(self.send().await?).await
            }
        }
    }
}

/// The `pagination` module: `pages()` and `stream()` on each paginated builder.
pub(crate) fn pagination(plan: &Plan, runtime: &TokenStream) -> TokenStream {
    let items = plan.paginations.iter().map(|(op, p)| {
        // The streams call the position setter and read the page's fields;
        // should the spec deprecate one of them, that is not the caller's doing.
        let ann = &plan.annotations;
        let deprecated =
            ann.deprecated_parameters.contains_key(op) || ann.deprecated_fields.contains_key(&p.page_schema);
        let allow = deprecated.then(|| quote! { #[allow(deprecated)] });
        let tokens = paginate(op, p, runtime);
        quote! { #allow #tokens }
    });
    quote! {
        //! Lazy page and item streams for the list operations the spec marks as paginated.
        #[allow(unused_imports)]
        use super::ResponseValue;
        #[allow(unused_imports)]
        use ::futures::{Stream, StreamExt as _, TryStreamExt as _};
        #( #items )*
    }
}

fn paginate(op: &str, p: &Pagination, runtime: &TokenStream) -> TokenStream {
    let builder = ident(&pascal(op));
    let page = ident(&p.page_schema);
    let item = ident(&p.item_schema);
    let items = ident(&p.items);
    let err = quote! { #runtime::Error };
    let how = match p.style {
        PageStyle::Cursor => "following `next_cursor`",
        PageStyle::Offset => "advancing `offset` by the items received",
    };
    let pages_doc = format!(
        "Every page of [`Client::{op}`](super::Client), fetched lazily (one request per poll, {how}) \
         until `has_more` is false. The first request is this builder as configured; later ones differ \
         only in their position."
    );
    let stream_doc = format!(
        "Every `{}` item across all pages of [`Client::{op}`](super::Client), fetched lazily; \
         memory holds one page at a time.",
        p.items
    );
    let has_more = if p.has_more_optional {
        quote! { page.has_more == Some(true) }
    } else {
        quote! { page.has_more }
    };
    let step = match p.style {
        PageStyle::Cursor => quote! {
            let request = match &position {
                None => builder.clone(),
                Some(cursor) => builder.clone().cursor(cursor.clone()),
            };
            let page = request.send().await?;
            let next = match (&page.next_cursor, #has_more) {
                (Some(cursor), true) if !page.#items.is_empty() && position.as_ref() != Some(cursor) => {
                    Some((builder, Some(cursor.clone())))
                }
                _ => None,
            };
        },
        PageStyle::Offset => {
            let base = if p.echoes_offset && p.offset_unsigned {
                quote! { page.offset }
            } else if p.echoes_offset {
                quote! { <u64 as ::std::convert::TryFrom<_>>::try_from(page.offset).unwrap_or_default() }
            } else {
                quote! { position.unwrap_or_default() }
            };
            quote! {
                let request = match position {
                    None => builder.clone(),
                    Some(offset) => builder.clone().offset(offset),
                };
                let page = request.send().await?;
                let received = page.#items.len() as u64;
                // An offset past `u64::MAX` cannot be asked for: the stream ends.
                let next = if #has_more && received > 0 {
                    let start: u64 = #base;
                    start.checked_add(received).map(|offset| (builder, Some(offset)))
                } else {
                    None
                };
            }
        }
    };
    let position_ty = match p.style {
        PageStyle::Cursor => quote! { ::std::string::String },
        PageStyle::Offset => quote! { u64 },
    };
    quote! {
        impl<'a> super::builder::#builder<'a> {
            #[doc = #pages_doc]
            pub fn pages(
                self,
            ) -> impl Stream<Item = ::std::result::Result<ResponseValue<super::types::#page>, #err>> + Unpin + 'a {
                let start: Option<(Self, Option<#position_ty>)> = Some((self, None));
                Box::pin(::futures::stream::try_unfold(start, |state| async move {
                    let Some((builder, position)) = state else {
                        return Ok(None);
                    };
                    #step
                    Ok(Some((page, next)))
                }))
            }

            #[doc = #stream_doc]
            pub fn stream(
                self,
            ) -> impl Stream<Item = ::std::result::Result<super::types::#item, #err>> + Unpin + 'a {
                self.pages()
                    .map_ok(|page| ::futures::stream::iter(page.into_inner().#items.into_iter().map(Ok)))
                    .try_flatten()
            }
        }
    }
}

/// `X-Total-Row-Count` -> `X_TOTAL_ROW_COUNT`.
fn const_name(text: &str) -> String {
    let mut out: String = text
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_uppercase()
            } else {
                '_'
            }
        })
        .collect();
    if out.starts_with(|c: char| c.is_ascii_digit()) {
        out.insert(0, '_');
    }
    out
}

/// The path template split at its parameters: `/a/{x}/b` ->
/// `Fixed("/a/"), Param("x"), Fixed("/b")`.
fn segments(path: &str) -> Vec<TokenStream> {
    let mut out = Vec::new();
    let mut rest = path;
    while let Some(open) = rest.find('{') {
        let Some(close) = rest[open..].find('}').map(|c| open + c) else {
            break;
        };
        if open > 0 {
            let text = &rest[..open];
            out.push(quote! { Segment::Fixed(#text) });
        }
        let name = &rest[open + 1..close];
        out.push(quote! { Segment::Param(#name) });
        rest = &rest[close + 1..];
    }
    if !rest.is_empty() {
        out.push(quote! { Segment::Fixed(#rest) });
    }
    out
}

/// The first segment every path shares (`/v1`), or `""`.
fn path_prefix(plan: &Plan) -> String {
    let first = |p: &str| p.split('/').nth(1).map(|s| format!("/{s}"));
    let mut prefixes = plan.operations.iter().map(|op| first(&op.path));
    match prefixes.next().flatten() {
        Some(p) if !p.contains('{') && prefixes.all(|q| q.as_deref() == Some(p.as_str())) => p,
        _ => String::new(),
    }
}

/// The `operations` module: what the spec says about each operation, for the
/// runtime and the hand-written flows, which build their requests from it
/// instead of restating paths and header names (tracing names the path
/// template, retries read the method, the default database goes where the
/// operation declares `X-Database-Id`).
pub(crate) fn operations(plan: &Plan) -> TokenStream {
    let mut ops: Vec<_> = plan.operations.iter().collect();
    ops.sort_by(|a, b| a.operation_id.cmp(&b.operation_id));
    let mut header_names: std::collections::BTreeMap<String, String> = std::collections::BTreeMap::new();
    let mut consts = Vec::new();
    let mut names = Vec::new();
    for op in &ops {
        let id = &op.operation_id;
        let method = op.method.to_uppercase();
        let path = &op.path;
        let segments = segments(path);
        let headers: Vec<String> = op
            .parameters
            .iter()
            .filter(|(_, loc, _, _)| loc == "header")
            .map(|(name, _, _, _)| name.clone())
            .chain(op.security_headers.iter().cloned())
            .collect();
        for h in headers.iter().chain(&op.response_headers) {
            header_names.insert(const_name(h), h.to_ascii_lowercase());
        }
        let headers = headers.iter().map(|h| h.to_ascii_lowercase());
        let response_headers = op.response_headers.iter().map(|h| h.to_ascii_lowercase());
        let name = format_ident!("{}", const_name(id));
        let doc = format!(" `{method} {path}` (`{id}`).");
        consts.push(quote! {
            #[doc = #doc]
            pub const #name: Operation = Operation {
                id: #id,
                method: #method,
                path: #path,
                segments: &[ #( #segments ),* ],
                headers: &[ #( #headers ),* ],
                response_headers: &[ #( #response_headers ),* ],
            };
        });
        names.push(name);
    }
    let header_consts = header_names.iter().map(|(name, value)| {
        let ident = format_ident!("{name}");
        let doc = format!(" `{value}`.");
        quote! { #[doc = #doc] pub const #ident: &str = #value; }
    });
    let sensitive = plan.annotations.sensitive_fields.iter().map(|(schema, fields)| {
        let fields = fields.iter();
        quote! { (#schema, &[ #( #fields ),* ]), }
    });
    let open_enums = plan.open_enums.keys();
    let prefix = path_prefix(plan);
    quote! {
        //! What the spec says about each operation: one constant per
        //! operation, named after its id, and every header name the spec uses.

        /// One piece of a path template.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum Segment {
            /// Text sent as written, `/` included.
            Fixed(&'static str),
            /// A path parameter, by name.
            Param(&'static str),
        }

        /// One operation of the spec.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub struct Operation {
            /// The `operationId`.
            pub id: &'static str,
            /// The HTTP method, upper case.
            pub method: &'static str,
            /// The path template, as in the spec (`/v1/query-runs/{id}`).
            pub path: &'static str,
            /// The path template split at its parameters.
            pub segments: &'static [Segment],
            /// The request headers the operation declares (header parameters,
            /// then API-key security headers), lower case.
            pub headers: &'static [&'static str],
            /// The headers its responses declare, lower case.
            pub response_headers: &'static [&'static str],
        }

        impl Operation {
            /// The names of the path parameters, in path order.
            pub fn path_params(&self) -> impl Iterator<Item = &'static str> + 'static {
                self.segments.iter().filter_map(|s| match *s {
                    Segment::Param(name) => Some(name),
                    Segment::Fixed(_) => None,
                })
            }
        }

        /// The first path segment every operation shares (`/v1`), or `""`.
        pub const PATH_PREFIX: &str = #prefix;

        #( #consts )*

        /// Every operation, sorted by id.
        pub const OPERATIONS: &[Operation] = &[ #( #names ),* ];

        /// Every model with `format: password` properties, sorted by name, with
        /// those properties' wire names. Their `Debug` (and that of their
        /// builders) prints `"***"` for these fields.
        pub const SENSITIVE_MODELS: &[(&str, &[&str])] = &[ #( #sensitive )* ];

        /// Every open enum (a string enum with an `Other` catch-all), sorted by name.
        pub const OPEN_ENUMS: &[&str] = &[ #( #open_enums ),* ];

        /// The operation with this id.
        pub fn find(id: &str) -> ::std::option::Option<&'static Operation> {
            OPERATIONS.binary_search_by(|op| op.id.cmp(id)).ok().and_then(|i| OPERATIONS.get(i))
        }

        /// Every header name the spec uses (parameters, security schemes,
        /// response headers), lower case.
        pub mod headers {
            #( #header_consts )*
        }
    }
}
