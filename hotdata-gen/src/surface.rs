//! The API surface: one line per operation, for reviewing spec changes.

use std::fmt::Write as _;

use crate::plan::Plan;

/// `METHOD path  operation(inputs) -> success ! error on statuses [extras]`,
/// grouped by tag. `error` is the error type every call returns.
pub(crate) fn render(plan: &Plan, error: &str) -> String {
    let mut ops: Vec<_> = plan.operations.iter().collect();
    ops.sort_by(|a, b| (a.tag.as_deref(), &a.operation_id).cmp(&(b.tag.as_deref(), &b.operation_id)));
    let mut out = String::new();
    let _ = writeln!(out, "# {} operations", ops.len());
    let mut last_tag = None;
    for op in ops {
        if last_tag != Some(op.tag.as_deref()) {
            let _ = writeln!(out, "\n[{}]", op.tag.as_deref().unwrap_or("untagged"));
            last_tag = Some(op.tag.as_deref());
        }
        let ann = &plan.annotations;
        let deprecated_params = ann.deprecated_parameters.get(&op.operation_id);
        let mut inputs: Vec<String> = op
            .parameters
            .iter()
            .map(|(name, loc, required, ty)| {
                let mark = if deprecated_params.is_some_and(|p| p.contains_key(name)) {
                    " [deprecated]"
                } else {
                    ""
                };
                format!("{name}{}: {ty} @{loc}{mark}", if *required { "" } else { "?" })
            })
            .collect();
        if let Some((mt, schema)) = &op.body {
            inputs.push(format!("body: {schema} @{mt}"));
        }
        let mut extras = Vec::new();
        if ann.deprecated_operations.contains_key(&op.operation_id) {
            extras.push("deprecated".to_owned());
        }
        if plan.outcomes.contains_key(&op.operation_id) {
            extras.push("send_outcome".to_owned());
        }
        if let Some(p) = plan.paginations.get(&op.operation_id) {
            extras.push(format!("pages/stream of {} by {:?}", p.item_schema, p.style).to_lowercase());
        }
        let extras = if extras.is_empty() {
            String::new()
        } else {
            format!("  [{}]", extras.join(", "))
        };
        let statuses = if op.error_statuses.is_empty() {
            String::new()
        } else {
            format!(" on {}", op.error_statuses.join("|"))
        };
        let _ = writeln!(
            out,
            "{:<6} {}\n       {}({}) -> {} ! {error}{statuses}{}",
            op.method,
            op.path,
            op.operation_id,
            inputs.join(", "),
            op.success,
            extras
        );
    }
    if !plan.unreferenced_schemas.is_empty() {
        let _ = writeln!(
            out,
            "\n[schemas not emitted: no operation's input or success output reaches them]"
        );
        let _ = writeln!(out, "{}", plan.unreferenced_schemas.join(", "));
    }
    if !plan.open_enums.is_empty() {
        let _ = writeln!(out, "\n[open enums]");
        for (name, e) in &plan.open_enums {
            let _ = writeln!(out, "{name}: {} | Other(UnknownValue)", e.values.join(" | "));
        }
    }
    out
}
