//! Model builders only where a request needs them.
//!
//! progenitor (through typify) writes a builder for every struct: `types::builder::X`, its setters, its
//! conversions both ways, and a constructor `X::builder()`. Operation builders hold their body in one
//! (`body_map`), and they make nested request values easy to write. A model that only ever arrives in a response
//! has no use for one: nobody assembles a response field by field, and a struct literal or serde does it when a
//! test must. Those builders were more than half of the models' code and about a quarter of the crate's clean
//! build.
//!
//! This pass keeps the builder of every model a request body can hold (the bodies the operation builders name,
//! and every model reachable from their fields, through enums, vectors, maps and newtypes) and removes the rest,
//! with their constructors.

use std::collections::{BTreeMap, BTreeSet};

use proc_macro2::{TokenStream, TokenTree};
use quote::ToTokens as _;
use syn::Item;

use crate::annotate::item_name_of_impl as impl_self;

/// What `X::builder()` and the builder module say about themselves.
const MODULE_DOC: &str = "Builders of the models a request body can hold: each setter takes anything convertible \
                          into its field and records a conversion failure, which `try_into()` (or the operation's \
                          `send()`) reports. Response-only models have none; build them with a struct literal or \
                          serde.";

/// The models the operation builders hold as bodies: every `types::builder::X` they mention.
pub(crate) fn body_models(operation_builders: &[Item]) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for item in operation_builders {
        let tokens: Vec<String> = flat(item.to_token_stream());
        // `types :: builder :: X`, with `::` as two one-character tokens.
        for w in tokens.windows(7) {
            if w[0] == "types" && w[1] == ":" && w[2] == ":" && w[3] == "builder" && w[4] == ":" && w[5] == ":" {
                out.insert(w[6].clone());
            }
        }
    }
    out
}

/// Every token of `tokens`, groups flattened, as text.
pub(crate) fn flat(tokens: TokenStream) -> Vec<String> {
    let mut out = Vec::new();
    for t in tokens {
        match t {
            TokenTree::Group(g) => out.extend(flat(g.stream())),
            other => out.push(other.to_string()),
        }
    }
    out
}

/// The name an item of the types module defines.
fn defined_name(item: &Item) -> Option<String> {
    match item {
        Item::Struct(s) => Some(s.ident.to_string()),
        Item::Enum(e) => Some(e.ident.to_string()),
        Item::Type(t) => Some(t.ident.to_string()),
        _ => None,
    }
}

/// The models `roots` can hold, `roots` included: the transitive closure over the types their fields, variants
/// and aliases mention.
pub(crate) fn reachable(types: &[Item], roots: &BTreeSet<String>) -> BTreeSet<String> {
    let names: BTreeSet<String> = types.iter().filter_map(defined_name).collect();
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for item in types {
        let Some(name) = defined_name(item) else { continue };
        let body = match item {
            Item::Struct(s) => s.fields.to_token_stream(),
            Item::Enum(e) => e.variants.to_token_stream(),
            Item::Type(t) => t.ty.to_token_stream(),
            _ => continue,
        };
        let mentioned = flat(body).into_iter().filter(|t| names.contains(t)).collect();
        edges.insert(name, mentioned);
    }
    let mut seen = BTreeSet::new();
    let mut todo: Vec<String> = roots.iter().cloned().collect();
    while let Some(name) = todo.pop() {
        if seen.insert(name.clone()) {
            todo.extend(
                edges
                    .get(&name)
                    .into_iter()
                    .flatten()
                    .filter(|n| !seen.contains(*n))
                    .cloned(),
            );
        }
    }
    seen
}

/// Removes from the types module the builders (and `builder()` constructors) of every model outside `keep`.
pub(crate) fn keep_builders(types: &mut Vec<Item>, keep: &BTreeSet<String>) {
    // `impl X { pub fn builder() -> builder::X { .. } }`: drop the constructor, and the impl if nothing is left.
    types.retain_mut(|item| {
        let Item::Impl(imp) = item else { return true };
        if imp.trait_.is_some() || impl_self(imp).is_none_or(|n| keep.contains(&n)) {
            return true;
        }
        imp.items
            .retain(|member| !matches!(member, syn::ImplItem::Fn(f) if f.sig.ident == "builder"));
        !imp.items.is_empty()
    });
    for item in types.iter_mut() {
        let Item::Mod(m) = item else { continue };
        if m.ident != "builder" {
            continue;
        }
        m.attrs.retain(|a| !a.path().is_ident("doc"));
        m.attrs.insert(0, syn::parse_quote! { #[doc = #MODULE_DOC] });
        let Some((_, inner)) = &mut m.content else { continue };
        inner.retain(|item| match item {
            Item::Struct(s) => keep.contains(&s.ident.to_string()),
            Item::Impl(imp) => impl_self(imp).is_some_and(|n| keep.contains(&n)),
            _ => true,
        });
    }
}

/// Marks `#[inline]` the methods of every `From`, `TryFrom` and `Default` impl of the models and their builders.
/// As trait impls of concrete types they would be compiled in every build of the models crate (the builders'
/// `try_from` alone was a third of its LLVM IR); inline, they are compiled only in programs that convert.
pub(crate) fn inline_conversions(types: &mut [Item]) {
    for item in types.iter_mut() {
        match item {
            Item::Impl(imp) => {
                crate::inline_trait_methods(imp, |name| matches!(name, "From" | "TryFrom" | "Default"));
            }
            Item::Mod(m) if m.ident == "builder" => {
                if let Some((_, inner)) = &mut m.content {
                    inline_conversions(inner);
                }
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn items(src: &str) -> Vec<Item> {
        syn::parse_file(src).expect("parses").items
    }

    #[test]
    fn conversions_of_models_and_builders_become_inline() {
        let mut types = items(
            "impl From<&Thing> for Thing { fn from(value: &Thing) -> Self { value.clone() } }
             impl Default for Thing { #[inline] fn default() -> Self { todo!() } }
             impl std::fmt::Display for Thing { fn fmt(&self, f: &mut Formatter) -> Result { todo!() } }
             impl Thing { pub fn builder() -> builder::Thing { Default::default() } }
             pub mod builder {
                 impl ::std::convert::TryFrom<Thing> for super::Thing {
                     type Error = String;
                     fn try_from(value: Thing) -> Result<Self, String> { todo!() }
                 }
                 impl Thing { pub fn name<T>(mut self, value: T) -> Self { self } }
             }",
        );
        inline_conversions(&mut types);
        fn marks(items: &[Item], out: &mut Vec<(String, usize)>) {
            for item in items {
                match item {
                    Item::Impl(imp) => {
                        for member in &imp.items {
                            if let syn::ImplItem::Fn(f) = member {
                                out.push((f.sig.ident.to_string(), crate::inline_count(&f.attrs)));
                            }
                        }
                    }
                    Item::Mod(m) => marks(&m.content.as_ref().expect("inline module").1, out),
                    _ => {}
                }
            }
        }
        let mut found = Vec::new();
        marks(&types, &mut found);
        let expected = [
            ("from", 1),
            ("default", 1),
            ("fmt", 0),
            ("builder", 0),
            ("try_from", 1),
            ("name", 0),
        ];
        let expected: Vec<(String, usize)> = expected.iter().map(|(f, n)| ((*f).to_owned(), *n)).collect();
        assert_eq!(found, expected);
    }

    #[test]
    fn bodies_are_read_from_the_operation_builders() {
        let ops = items(
            "pub struct CreateThing { body: Result<types::builder::CreateThingRequest, String> }
             impl CreateThing { pub fn body_map<F>(self, f: F) where F: FnOnce(types::builder::CreateThingRequest)
                 -> types::builder::CreateThingRequest {} }
             pub struct GetThing { id: Result<types::ThingId, String> }",
        );
        assert_eq!(body_models(&ops), BTreeSet::from(["CreateThingRequest".to_owned()]));
    }

    #[test]
    fn what_a_body_holds_keeps_its_builder_and_response_models_lose_theirs() {
        let mut types = items(
            "pub struct Body { pub inner: Vec<Inner>, pub choice: Option<Choice>, pub map: HashMap<String, Mapped> }
             pub struct Inner { pub name: String }
             pub enum Choice { A(Deep), B }
             pub struct Deep { pub x: i64 }
             pub struct Mapped { pub y: Alias }
             pub type Alias = Vec<Aliased>;
             pub struct Aliased { pub z: bool }
             pub struct Reply { pub inner: Inner, pub other: ReplyOnly }
             pub struct ReplyOnly { pub w: i64 }
             impl Body { pub fn builder() -> builder::Body { Default::default() } }
             impl Reply { pub fn builder() -> builder::Reply { Default::default() } }
             impl ReplyOnly { pub fn builder() -> builder::ReplyOnly { Default::default() } pub fn other(&self) {} }
             impl Default for Reply { fn default() -> Self { todo!() } }
             /// progenitor's words
             pub mod builder {
                 pub struct Body { inner: Result<Vec<super::Inner>, String> }
                 impl Body { pub fn inner(self) -> Self { self } }
                 impl TryFrom<Body> for super::Body { type Error = String; }
                 impl From<super::Body> for Body {}
                 pub struct Reply { inner: Result<super::Inner, String> }
                 impl Default for Reply { fn default() -> Self { todo!() } }
                 impl TryFrom<Reply> for super::Reply { type Error = String; }
                 pub struct ReplyOnly { w: Result<i64, String> }
                 pub struct Inner { name: Result<String, String> }
                 pub struct Deep { x: Result<i64, String> }
                 pub struct Mapped { y: Result<super::Alias, String> }
                 pub struct Aliased { z: Result<bool, String> }
             }",
        );
        let keep = reachable(&types, &BTreeSet::from(["Body".to_owned()]));
        let expected = ["Alias", "Aliased", "Body", "Choice", "Deep", "Inner", "Mapped"].map(String::from);
        assert_eq!(keep, BTreeSet::from(expected));
        keep_builders(&mut types, &keep);
        let Some(Item::Mod(builders)) = types.iter().find(|i| matches!(i, Item::Mod(_))) else {
            panic!("the builder module stays")
        };
        let mut kept: Vec<String> = builders
            .content
            .iter()
            .flat_map(|(_, items)| items)
            .filter_map(|i| match i {
                Item::Struct(s) => Some(s.ident.to_string()),
                _ => None,
            })
            .collect();
        kept.sort();
        assert_eq!(kept, ["Aliased", "Body", "Deep", "Inner", "Mapped"]);
        let text = prettyplease::unparse(&syn::File {
            shebang: None,
            attrs: vec![],
            items: types,
        });
        assert!(text.contains("impl Body {\n    pub fn builder()"), "{text}");
        assert!(!text.contains("builder::Reply"), "{text}");
        assert!(!text.contains("pub struct Reply {\n        inner"), "{text}");
        assert!(!text.contains("builder::ReplyOnly"), "{text}");
        // A constructor's impl keeps its other members; trait impls of the model stay.
        assert!(
            text.contains("impl ReplyOnly {\n    pub fn other(&self) {}\n}"),
            "{text}"
        );
        assert!(text.contains("impl Default for Reply"), "{text}");
        assert!(!text.contains("progenitor's words"), "{text}");
        assert!(text.contains("Response-only models have none"), "{text}");
    }
}
