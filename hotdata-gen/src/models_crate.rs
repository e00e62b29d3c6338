//! The models in a crate of their own ([`Settings::models_crate`](crate::Settings::models_crate)).
//!
//! The types file is written as if mounted at `<module_path>::types` in the main crate, with `Cell` and `Nullable`
//! reached through its runtime contract. In the models crate those paths do not exist: the file reaches itself as
//! `crate::types` and the runtime types as `crate::Cell`, `crate::Nullable` and `crate::Timestamp`. [`rehome`] rewrites every path
//! that starts with either prefix, and refuses a file that still names the main crate afterwards.

use quote::ToTokens as _;
use syn::visit_mut::VisitMut;

use crate::GenError;

/// Rewrites `<own>::X` to `crate::types::X` and `<runtime>::X` to `crate::X` in `items` (paths given as
/// `crate::generated::types` and `crate::contract`).
pub(crate) fn rehome(items: &mut [syn::Item], own: &str, runtime: &str) -> Result<(), GenError> {
    let parse = |p: &str| -> Result<Vec<String>, GenError> {
        let path = syn::parse_str::<syn::Path>(p).map_err(|e| GenError::Emit(format!("path {p:?}: {e}")))?;
        Ok(path.segments.iter().map(|s| s.ident.to_string()).collect())
    };
    let mut visitor = Rehome {
        rules: vec![
            (parse(own)?, vec!["crate".into(), "types".into()]),
            (parse(runtime)?, vec!["crate".into()]),
        ],
        left: Vec::new(),
    };
    for item in items.iter_mut() {
        visitor.visit_item_mut(item);
    }
    match visitor.left.first() {
        None => Ok(()),
        Some(path) => Err(GenError::Emit(format!(
            "the models crate cannot reach `{path}`: models may name only themselves and the runtime's Cell, Nullable and Timestamp"
        ))),
    }
}

struct Rehome {
    rules: Vec<(Vec<String>, Vec<String>)>,
    /// Paths into the main crate no rule covers.
    left: Vec<String>,
}

impl VisitMut for Rehome {
    fn visit_path_mut(&mut self, path: &mut syn::Path) {
        let names: Vec<String> = path.segments.iter().map(|s| s.ident.to_string()).collect();
        for (from, to) in &self.rules {
            if names.len() > from.len() && names.starts_with(from) {
                let rest: Vec<syn::PathSegment> = path.segments.iter().skip(from.len()).cloned().collect();
                let mut segments = syn::punctuated::Punctuated::new();
                for name in to {
                    segments.push(syn::PathSegment::from(syn::Ident::new(
                        name,
                        proc_macro2::Span::call_site(),
                    )));
                }
                segments.extend(rest);
                path.segments = segments;
                path.leading_colon = None;
                syn::visit_mut::visit_path_mut(self, path);
                return;
            }
        }
        if names.first().is_some_and(|n| n == "crate") && names.get(1).is_some_and(|n| n != "types") {
            self.left.push(path.to_token_stream().to_string());
        }
        syn::visit_mut::visit_path_mut(self, path);
    }

    fn visit_attribute_mut(&mut self, attr: &mut syn::Attribute) {
        // serde attributes name functions in string literals, which are plain tokens to syn:
        // `#[serde(skip_serializing_if = "crate::contract::Nullable::is_unset")]`.
        if let syn::Meta::List(list) = &mut attr.meta
            && list.path.is_ident("serde")
        {
            let text = list.tokens.to_string();
            let mut rewritten = text.clone();
            for (from, to) in &self.rules {
                rewritten = rewritten.replace(&format!("\"{}::", from.join("::")), &format!("\"{}::", to.join("::")));
            }
            if rewritten != text
                && let Ok(tokens) = rewritten.parse()
            {
                list.tokens = tokens;
            }
        }
        syn::visit_mut::visit_attribute_mut(self, attr);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_into_the_main_crate_move_to_the_models_crate() {
        let mut items = syn::parse_file(
            r#"pub struct Job {
                   pub status: crate::generated::types::JobStatus,
                   pub rows: Vec<crate::contract::Cell>,
                   #[serde(default, skip_serializing_if = "crate::contract::Nullable::is_unset")]
                   pub note: crate::contract::Nullable<::std::string::String>,
               }"#,
        )
        .expect("parses")
        .items;
        rehome(&mut items, "crate::generated::types", "crate::contract").expect("rehomed");
        let text = prettyplease::unparse(&syn::File {
            shebang: None,
            attrs: vec![],
            items,
        });
        assert!(text.contains("pub status: crate::types::JobStatus"), "{text}");
        assert!(text.contains("pub rows: Vec<crate::Cell>"), "{text}");
        assert!(
            text.contains("skip_serializing_if = \"crate::Nullable::is_unset\""),
            "{text}"
        );
        assert!(
            text.contains("pub note: crate::Nullable<::std::string::String>"),
            "{text}"
        );
        assert!(!text.contains("contract") && !text.contains("generated"), "{text}");
    }

    #[test]
    fn any_other_path_into_the_main_crate_is_refused() {
        let mut items = syn::parse_file("pub struct A { pub b: crate::client::Client }")
            .expect("parses")
            .items;
        let err = rehome(&mut items, "crate::generated::types", "crate::contract").expect_err("refused");
        assert!(err.to_string().contains("crate :: client :: Client"), "{err}");
    }
}
