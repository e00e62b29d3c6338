//! Saved-query classification from the SQL syntax tree (Postgres dialect).
//!
//! Category priority, highest first: `join`, `aggregation`, `point_lookup`, `filtered_scan`, `projection`,
//! `full_scan`. A point lookup is a `WHERE` made only of `column = literal` comparisons joined by `AND`.

use std::collections::BTreeSet;
use std::ops::ControlFlow;

use datafusion::sql::sqlparser::ast::{
    BinaryOperator, Expr, GroupByExpr, Query, SelectItem, SetExpr, Statement, TableFactor, TableWithJoins,
    visit_expressions, visit_relations,
};
use datafusion::sql::sqlparser::dialect::PostgreSqlDialect;
use datafusion::sql::sqlparser::parser::Parser;

use crate::state::Classification;

const AGGREGATES: &[&str] = &[
    "count",
    "sum",
    "avg",
    "min",
    "max",
    "array_agg",
    "string_agg",
    "stddev",
    "stddev_pop",
    "stddev_samp",
    "variance",
    "var_pop",
    "var_samp",
    "bool_and",
    "bool_or",
    "every",
    "median",
    "approx_distinct",
    "approx_percentile_cont",
    "percentile_cont",
    "json_agg",
    "first_value",
    "last_value",
    "corr",
    "covar_pop",
    "covar_samp",
    "bit_and",
    "bit_or",
    "bit_xor",
];

#[derive(Default)]
struct Walk {
    join: bool,
    group_by: bool,
    order_by: bool,
    limit: bool,
    predicate: bool,
    point: bool,
    wildcard_only: bool,
    outer_seen: bool,
}

/// Classifies `sql`; every field is `None` when it does not parse as a single query.
pub(crate) fn classify(sql: &str) -> Classification {
    let Ok(mut stmts) = Parser::parse_sql(&PostgreSqlDialect {}, sql) else {
        return Classification::default();
    };
    if stmts.len() != 1 {
        return Classification::default();
    }
    let stmt = stmts.remove(0);
    let Statement::Query(query) = &stmt else {
        return Classification::default();
    };
    let mut w = Walk {
        wildcard_only: true,
        ..Walk::default()
    };
    walk_query(query, &mut w);

    let mut aggregation = false;
    let _ = visit_expressions(&stmt, |e: &Expr| {
        if let Expr::Function(f) = e {
            let name = f.name.to_string().to_ascii_lowercase();
            let base = name.rsplit('.').next().unwrap_or(&name);
            if AGGREGATES.contains(&base) && f.over.is_none() {
                aggregation = true;
                return ControlFlow::Break(());
            }
        }
        ControlFlow::Continue(())
    });
    let mut tables = BTreeSet::new();
    let _ = visit_relations(&stmt, |r| {
        tables.insert(r.to_string().to_ascii_lowercase());
        ControlFlow::<()>::Continue(())
    });
    if let Some(with) = &query.with {
        for cte in &with.cte_tables {
            tables.remove(&cte.alias.name.value.to_ascii_lowercase());
        }
    }

    let has_aggregation = aggregation || w.group_by;
    let category = if w.join {
        "join"
    } else if has_aggregation {
        "aggregation"
    } else if w.predicate && w.point {
        "point_lookup"
    } else if w.predicate {
        "filtered_scan"
    } else if !w.wildcard_only {
        "projection"
    } else {
        "full_scan"
    };
    Classification {
        category: Some(category.to_string()),
        has_aggregation: Some(has_aggregation),
        has_group_by: Some(w.group_by),
        has_join: Some(w.join),
        has_limit: Some(w.limit),
        has_order_by: Some(w.order_by),
        has_predicate: Some(w.predicate),
        num_tables: Some(tables.len() as i64),
    }
}

fn walk_query(q: &Query, w: &mut Walk) {
    let outer = !w.outer_seen;
    w.outer_seen = true;
    if q.order_by.is_some() {
        w.order_by = true;
    }
    if q.limit_clause.is_some() || q.fetch.is_some() {
        w.limit = true;
    }
    if let Some(with) = &q.with {
        for cte in &with.cte_tables {
            walk_query(&cte.query, w);
        }
    }
    walk_set(&q.body, w, outer);
}

fn walk_set(s: &SetExpr, w: &mut Walk, outer: bool) {
    match s {
        SetExpr::Select(sel) => {
            if sel.from.len() > 1 {
                w.join = true;
            }
            for twj in &sel.from {
                walk_from(twj, w);
            }
            if let Some(pred) = &sel.selection {
                w.predicate = true;
                if outer {
                    w.point = is_point(pred);
                }
            }
            match &sel.group_by {
                GroupByExpr::All(_) => w.group_by = true,
                GroupByExpr::Expressions(e, _) if !e.is_empty() => w.group_by = true,
                GroupByExpr::Expressions(..) => {}
            }
            if outer && !sel.projection.iter().all(|p| matches!(p, SelectItem::Wildcard(_))) {
                w.wildcard_only = false;
            }
        }
        SetExpr::Query(q) => walk_query(q, w),
        SetExpr::SetOperation { left, right, .. } => {
            walk_set(left, w, outer);
            walk_set(right, w, false);
        }
        _ => {
            if outer {
                w.wildcard_only = false;
            }
        }
    }
}

fn walk_from(twj: &TableWithJoins, w: &mut Walk) {
    if !twj.joins.is_empty() {
        w.join = true;
    }
    walk_factor(&twj.relation, w);
    for j in &twj.joins {
        walk_factor(&j.relation, w);
    }
}

fn walk_factor(f: &TableFactor, w: &mut Walk) {
    match f {
        TableFactor::Derived { subquery, .. } => walk_query(subquery, w),
        TableFactor::NestedJoin { table_with_joins, .. } => walk_from(table_with_joins, w),
        _ => {}
    }
}

fn is_point(e: &Expr) -> bool {
    match e {
        Expr::Nested(inner) => is_point(inner),
        Expr::BinaryOp {
            left,
            op: BinaryOperator::And,
            right,
        } => is_point(left) && is_point(right),
        Expr::BinaryOp {
            left,
            op: BinaryOperator::Eq,
            right,
        } => {
            let col = |x: &Expr| matches!(x, Expr::Identifier(_) | Expr::CompoundIdentifier(_));
            let lit = |x: &Expr| matches!(x, Expr::Value(_));
            (col(left) && lit(right)) || (lit(left) && col(right))
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::classify;

    fn cat(sql: &str) -> String {
        classify(sql).category.unwrap_or_default()
    }

    #[test]
    fn categories_follow_priority() {
        assert_eq!(cat("SELECT * FROM a JOIN b ON a.id = b.id"), "join");
        assert_eq!(cat("SELECT * FROM a, b"), "join");
        assert_eq!(cat("SELECT region, count(*) FROM a GROUP BY region"), "aggregation");
        assert_eq!(cat("SELECT sum(x) FROM a WHERE id = 1"), "aggregation");
        assert_eq!(cat("SELECT * FROM a WHERE id = 42"), "point_lookup");
        assert_eq!(cat("SELECT * FROM a WHERE x > 3"), "filtered_scan");
        assert_eq!(cat("SELECT x, y FROM a"), "projection");
        assert_eq!(cat("SELECT * FROM a"), "full_scan");
        assert!(classify("not sql at all").category.is_none());
    }

    #[test]
    fn flags_and_table_count() {
        let c = classify("SELECT a.x FROM t1 a JOIN t2 b ON a.id = b.id WHERE a.x > 1 ORDER BY 1 LIMIT 5");
        assert_eq!(c.has_join, Some(true));
        assert_eq!(c.has_order_by, Some(true));
        assert_eq!(c.has_limit, Some(true));
        assert_eq!(c.has_predicate, Some(true));
        assert_eq!(c.num_tables, Some(2));
        assert_eq!(classify("SELECT 1 AS ok").num_tables, Some(0));
    }
}
