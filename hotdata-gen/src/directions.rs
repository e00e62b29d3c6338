//! Each model derives the serde direction the SDK uses it in.
//!
//! progenitor derives both `Serialize` and `Deserialize` for every model. The SDK only ever encodes what a
//! request can carry and only ever decodes what a response can carry, and the unused half is type-checked,
//! borrow-checked and written into the crate's metadata all the same: about a fifth of the models' clean build.
//!
//! This pass reads, from the operation builders, the models a request can hold (every `types::X` and
//! `types::builder::X` in their fields: parameters and bodies) and the models a response can hold (every
//! `types::X` in what `send()` returns, success and error), closes both sets over the types their fields,
//! variants and aliases mention, and then:
//! - a model only requests hold keeps `Serialize`; its `Deserialize` moves behind the feature;
//! - a model only responses hold keeps `Deserialize`; its `Serialize` moves behind the feature;
//! - a model both hold, or neither (one the hand-written layer may use either way), keeps both.
//!
//! With the feature on ([`Settings::round_trip_feature`](crate::Settings::round_trip_feature)), every model
//! implements both again, for programs that store responses as JSON or read requests from it.

use std::collections::BTreeSet;

use proc_macro2::TokenStream;
use quote::ToTokens as _;
use syn::Item;

use crate::inputs::{flat, reachable};
use crate::remove_derive;

/// The models requests and responses hold, before closing over the types they mention.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) struct Roots {
    /// Named by an operation builder's fields: path, query and header parameters, and bodies.
    pub sent: BTreeSet<String>,
    /// Named by what an operation's `send()` returns, success or error.
    pub received: BTreeSet<String>,
}

/// Reads the roots from progenitor's operation builders (before [`crate::send`] rewrites them).
pub(crate) fn roots(operation_builders: &[Item]) -> Roots {
    let mut out = Roots::default();
    for item in operation_builders {
        match item {
            Item::Struct(s) => models_in(s.fields.to_token_stream(), &mut out.sent),
            Item::Impl(imp) => {
                for member in &imp.items {
                    if let syn::ImplItem::Fn(f) = member
                        && f.sig.ident == "send"
                    {
                        models_in(f.sig.output.to_token_stream(), &mut out.received);
                    }
                }
            }
            _ => {}
        }
    }
    out
}

/// Adds to `out` every `X` of `types :: X` and `types :: builder :: X` in `tokens`.
fn models_in(tokens: TokenStream, out: &mut BTreeSet<String>) {
    let words = flat(tokens);
    for (i, w) in words.windows(4).enumerate() {
        if w[0] == "types" && w[1] == ":" && w[2] == ":" {
            if w[3] != "builder" {
                out.insert(w[3].clone());
            } else if let Some(name) = words.get(i + 6).filter(|_| words.get(i + 4).is_some_and(|t| t == ":")) {
                out.insert(name.clone());
            }
        }
    }
}

/// Moves the direction each model of `types` does not need behind `#[cfg_attr(feature = "<feature>", ..)]`.
/// Returns how many derives moved.
pub(crate) fn split(types: &mut [Item], roots: &Roots, feature: &str) -> usize {
    let sent = reachable(types, &roots.sent);
    let received = reachable(types, &roots.received);
    let mut moved = 0;
    for item in types.iter_mut() {
        let (name, attrs): (String, &mut Vec<syn::Attribute>) = match item {
            Item::Struct(s) => (s.ident.to_string(), &mut s.attrs),
            Item::Enum(e) => (e.ident.to_string(), &mut e.attrs),
            _ => continue,
        };
        let unused = match (sent.contains(&name), received.contains(&name)) {
            (true, false) => "Deserialize",
            (false, true) => "Serialize",
            _ => continue,
        };
        if remove_derive(attrs, unused) {
            let unused = syn::Ident::new(unused, proc_macro2::Span::call_site());
            // Right after the derive, so the model reads as before with one line added.
            let at = attrs
                .iter()
                .position(|a| a.path().is_ident("derive"))
                .map_or(attrs.len(), |i| i + 1);
            attrs.insert(
                at,
                syn::parse_quote! { #[cfg_attr(feature = #feature, derive(::serde::#unused))] },
            );
            moved += 1;
        }
    }
    moved
}

#[cfg(test)]
mod tests {
    use super::*;

    fn items(src: &str) -> Vec<Item> {
        syn::parse_file(src).expect("parses").items
    }

    #[test]
    fn roots_come_from_builder_fields_and_send_outputs() {
        let ops = items(
            "pub struct CreateThing<'a> { client: &'a super::Client, body: Result<types::builder::ThingRequest, String>,
                 mode: Result<Option<types::Mode>, String> }
             impl<'a> CreateThing<'a> {
                 pub fn body_map<F>(self, f: F) -> Self where F: FnOnce(types::builder::ThingRequest)
                     -> types::builder::ThingRequest { self }
                 pub async fn send(self) -> Result<ResponseValue<types::Thing>, Error<types::ApiError>> { todo!() }
             }",
        );
        let roots = roots(&ops);
        assert_eq!(
            roots.sent,
            BTreeSet::from(["Mode".to_owned(), "ThingRequest".to_owned()])
        );
        assert_eq!(
            roots.received,
            BTreeSet::from(["ApiError".to_owned(), "Thing".to_owned()])
        );
    }

    #[test]
    fn each_model_keeps_the_directions_it_is_used_in() {
        let mut types = items(
            "#[derive(::serde::Deserialize, ::serde::Serialize, Clone, Debug)]
             pub struct ThingRequest { pub kind: Kind, pub shared: Shared }
             #[derive(::serde::Deserialize, ::serde::Serialize, Clone, Debug)]
             #[serde(rename_all = \"snake_case\")]
             pub enum Kind { A, B }
             #[derive(::serde::Deserialize, ::serde::Serialize, Clone, Debug)]
             pub struct Shared { pub x: i64 }
             #[derive(::serde::Deserialize, ::serde::Serialize, Clone, Debug)]
             pub struct Thing { pub shared: Shared, pub detail: Detail }
             #[derive(::serde::Deserialize, ::serde::Serialize, Clone, Debug)]
             pub struct Detail { pub y: i64 }
             #[derive(::serde::Deserialize, ::serde::Serialize, Clone, Debug)]
             pub struct Orphan { pub z: i64 }",
        );
        let roots = Roots {
            sent: BTreeSet::from(["ThingRequest".to_owned()]),
            received: BTreeSet::from(["Thing".to_owned()]),
        };
        assert_eq!(split(&mut types, &roots, "both"), 4);
        let text = prettyplease::unparse(&syn::File {
            shebang: None,
            attrs: vec![],
            items: types,
        });
        let only_sent = "#[derive(::serde::Serialize, Clone, Debug)]\n\
                         #[cfg_attr(feature = \"both\", derive(::serde::Deserialize))]";
        let only_received = "#[derive(::serde::Deserialize, Clone, Debug)]\n\
                             #[cfg_attr(feature = \"both\", derive(::serde::Serialize))]";
        let both = "#[derive(::serde::Deserialize, ::serde::Serialize, Clone, Debug)]";
        assert!(
            text.contains(&format!("{only_sent}\npub struct ThingRequest")),
            "{text}"
        );
        // The serde attribute stays, after the derive that reads it.
        assert!(
            text.contains(&format!(
                "{only_sent}\n#[serde(rename_all = \"snake_case\")]\npub enum Kind"
            )),
            "{text}"
        );
        assert!(text.contains(&format!("{both}\npub struct Shared")), "{text}");
        assert!(text.contains(&format!("{only_received}\npub struct Thing ")), "{text}");
        assert!(text.contains(&format!("{only_received}\npub struct Detail")), "{text}");
        assert!(text.contains(&format!("{both}\npub struct Orphan")), "{text}");
    }
}
