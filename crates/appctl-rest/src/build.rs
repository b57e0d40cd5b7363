//! SQL from a parsed request and the schema cache.
//!
//! Two rules hold for every statement built here, and the tests check them:
//! - every identifier is looked up in the [`SchemaCache`] first (an unknown table is PGRST205, an
//!   unknown relationship PGRST200, an unknown column 42703 or PGRST204) and is written quoted;
//!   the only request text written as is are casts, which the parser restricts to type-name
//!   characters, and aliases, which are quoted;
//! - every value (filter values, JSON keys, limits, bodies, RPC arguments) is a bind parameter,
//!   `$n` followed by an explicit cast to the type it is compared with: [`Param`]s are text, and the
//!   server binds them as `text`.
//!
//! Every statement answers one row with three columns, as PostgREST's do: `total_result_set`
//! (bigint, the count of `Prefer: count=exact`, else null), `page_total` (bigint, rows in this
//! answer) and `body` (text: the JSON array, or the single object or scalar where one is asked
//! for; null for `return=minimal`).
//!
//! Embeds are `LEFT JOIN LATERAL` subqueries, one per embed, each answering one `body` column:
//! `json_agg` of the related rows (one-to-many, many-to-many; `[]` when none) or `row_to_json` of
//! the related row (many-to-one, one-to-one; null when none). `!inner` keeps the parent rows whose
//! embed is not null, which is also what `rel=not.is.null` says.

use std::collections::HashSet;

use serde_json::Value;

use crate::error::{ApiError, Result};
use crate::parse::{
    Condition, CountPreference, Direction, Embed, EmbedPath, Field, Filter, IsValue, JsonKey,
    Nulls, Operation, OrderTarget, OrderTerm, Preferences, QueryParams, Range, Resolution,
    ReturnPreference, SelectItem,
};
use crate::schema::{Column, ForeignKey, Function, SchemaCache, Table};

/// A statement to run and its parameters, in order (`$1` is `params[0]`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Statement {
    pub sql: String,
    pub params: Vec<Param>,
}

/// A bind parameter: always text; the SQL casts it to the type it is used as.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(transparent)]
pub struct Param(pub String);

impl Param {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// What the answer should look like, from the request's headers.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Shape {
    /// `Accept: application/vnd.pgrst.object+json`: the body is the one row (the server answers
    /// PGRST116 unless `page_total` is 1).
    pub singular: bool,
    /// `Prefer: count=exact`: `total_result_set` is counted (planned and estimated counts come
    /// from `EXPLAIN`, which the server runs).
    pub count: bool,
}

impl Shape {
    pub fn from_preferences(prefs: &Preferences, singular: bool) -> Shape {
        Shape {
            singular,
            count: prefs.count == Some(CountPreference::Exact),
        }
    }
}

/// Writes `"name"` with inner quotes doubled.
pub fn ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

fn qualified(schema: &str, name: &str) -> String {
    format!("{}.{}", ident(schema), ident(name))
}

/// What rows at one level come from: a table or view, or the columns of a function's result.
#[derive(Clone, Copy)]
struct Relation<'c> {
    schema: &'c str,
    name: &'c str,
    columns: &'c [Column],
    /// The table or view itself, for relationships (none for `returns table (...)`).
    table: Option<&'c Table>,
}

impl<'c> Relation<'c> {
    fn of(table: &'c Table) -> Self {
        Relation {
            schema: &table.schema,
            name: &table.name,
            columns: &table.columns,
            table: Some(table),
        }
    }

    fn column(&self, name: &str) -> Result<&'c Column> {
        self.columns
            .iter()
            .find(|c| c.name == name)
            .ok_or_else(|| ApiError::undefined_column(self.name, name))
    }
}

/// How an embedded resource relates to its parent.
#[derive(Clone, Copy)]
enum Relationship<'c> {
    /// The parent's foreign key points at the embedded table.
    ManyToOne(&'c ForeignKey),
    /// The embedded table's foreign key points at the parent; one-to-one when its columns are unique.
    OneToMany { fk: &'c ForeignKey, to_one: bool },
    /// Through a join table with a foreign key to each side.
    ManyToMany {
        junction: &'c Table,
        to_parent: &'c ForeignKey,
        to_child: &'c ForeignKey,
    },
}

impl Relationship<'_> {
    fn is_to_one(&self) -> bool {
        match self {
            Relationship::ManyToOne(_) => true,
            Relationship::OneToMany { to_one, .. } => *to_one,
            Relationship::ManyToMany { .. } => false,
        }
    }

    fn cardinality(&self) -> &'static str {
        match self {
            Relationship::ManyToOne(_) => "many-to-one",
            Relationship::OneToMany { to_one: true, .. } => "one-to-one",
            Relationship::OneToMany { .. } => "one-to-many",
            Relationship::ManyToMany { .. } => "many-to-many",
        }
    }

    fn matches_hint(&self, hint: &str) -> bool {
        let fk_matches =
            |fk: &ForeignKey| fk.name == hint || (fk.columns.len() == 1 && fk.columns[0] == hint);
        match self {
            Relationship::ManyToOne(fk) | Relationship::OneToMany { fk, .. } => fk_matches(fk),
            Relationship::ManyToMany {
                junction,
                to_parent,
                to_child,
            } => junction.name == hint || to_parent.name == hint || to_child.name == hint,
        }
    }

    fn describe(&self, parent: &str, child: &str) -> Value {
        let relationship = match self {
            Relationship::ManyToOne(fk) => format!(
                "{} using {parent}({}) and {child}({})",
                fk.name,
                fk.columns.join(", "),
                fk.foreign_columns.join(", ")
            ),
            Relationship::OneToMany { fk, .. } => format!(
                "{} using {parent}({}) and {child}({})",
                fk.name,
                fk.foreign_columns.join(", "),
                fk.columns.join(", ")
            ),
            Relationship::ManyToMany {
                junction,
                to_parent,
                to_child,
                ..
            } => format!(
                "{}.{} using {} and {}",
                junction.schema, junction.name, to_parent.name, to_child.name
            ),
        };
        serde_json::json!({
            "cardinality": self.cardinality(),
            "embedding": format!("{parent} with {child}"),
            "relationship": relationship,
        })
    }

    fn hint_name(&self) -> String {
        match self {
            Relationship::ManyToOne(fk) | Relationship::OneToMany { fk, .. } => fk.name.clone(),
            Relationship::ManyToMany { junction, .. } => junction.name.clone(),
        }
    }
}

/// One level of the read: its rows, what it selects, filters, orders and embeds.
struct Node<'c, 'q> {
    relation: Relation<'c>,
    alias: String,
    select: Vec<&'q SelectItem>,
    embeds: Vec<EmbedNode<'c, 'q>>,
    conditions: Vec<&'q Condition>,
    order: Vec<&'q OrderTerm>,
    range: Range,
}

struct EmbedNode<'c, 'q> {
    embed: &'q Embed,
    relationship: Relationship<'c>,
    node: Node<'c, 'q>,
    lateral: String,
}

struct Builder<'c> {
    cache: &'c SchemaCache,
    schema: &'c str,
    params: Vec<Param>,
    aliases: HashSet<String>,
}

impl<'c> Builder<'c> {
    fn new(cache: &'c SchemaCache, schema: &'c str) -> Self {
        Builder {
            cache,
            schema,
            params: Vec::new(),
            aliases: HashSet::new(),
        }
    }

    /// `$n::type` for a value.
    fn bind(&mut self, value: &str, data_type: &str) -> String {
        self.params.push(Param(value.to_string()));
        format!("${}::{data_type}", self.params.len())
    }

    fn alias(&mut self, base: &str) -> String {
        if self.aliases.insert(base.to_string()) {
            return base.to_string();
        }
        (1..)
            .map(|n| format!("{base}_{n}"))
            .find(|a| self.aliases.insert(a.clone()))
            .expect("an unused alias")
    }

    fn table(&self, name: &str) -> Result<&'c Table> {
        self.cache
            .table(self.schema, name)
            .ok_or_else(|| ApiError::no_table(self.schema, name))
    }

    fn finish(self, sql: String) -> Statement {
        Statement {
            sql,
            params: self.params,
        }
    }

    // ---- planning: the select tree against the cache ----

    fn plan<'q>(
        &mut self,
        relation: Relation<'c>,
        select: &'q [SelectItem],
        query: &'q QueryParams,
        path: &EmbedPath,
    ) -> Result<Node<'c, 'q>> {
        let alias = self.alias(relation.name);
        let mut node = Node {
            relation,
            alias,
            select: Vec::new(),
            embeds: Vec::new(),
            conditions: query
                .conditions
                .iter()
                .filter(|(p, _)| p == path)
                .map(|(_, c)| c)
                .collect(),
            order: query
                .order
                .get(path)
                .map(|terms| terms.iter().collect())
                .unwrap_or_default(),
            range: query.ranges.get(path).copied().unwrap_or_default(),
        };
        for item in select {
            match item {
                SelectItem::Star => {}
                SelectItem::Field { field, .. } => {
                    relation.column(&field.name)?;
                }
                SelectItem::Embed(embed) => {
                    let relationship = self.relationship(relation, embed)?;
                    let child_table = match relationship {
                        Relationship::ManyToOne(fk) => {
                            self.cache.table(&fk.foreign_schema, &fk.foreign_table)
                        }
                        Relationship::OneToMany { .. } | Relationship::ManyToMany { .. } => {
                            self.cache.table(self.schema, &embed.name)
                        }
                    }
                    .ok_or_else(|| ApiError::no_table(self.schema, &embed.name))?;
                    let mut child_path = path.clone();
                    child_path.push(embed.key().to_string());
                    let child =
                        self.plan(Relation::of(child_table), &embed.select, query, &child_path)?;
                    let lateral = self.alias(&format!("pgrst_{}", embed.key()));
                    node.embeds.push(EmbedNode {
                        embed,
                        relationship,
                        node: child,
                        lateral,
                    });
                }
            }
            node.select.push(item);
        }
        Ok(node)
    }

    /// The one relationship `embed` names from `parent`: PGRST200 when none, PGRST201 when several.
    fn relationship(&self, parent: Relation<'c>, embed: &Embed) -> Result<Relationship<'c>> {
        let not_found = || {
            ApiError::no_relationship(self.schema, parent.name, &embed.name, embed.hint.as_deref())
        };
        let Some(parent_table) = parent.table else {
            return Err(not_found());
        };
        let Some(child) = self.cache.table(self.schema, &embed.name) else {
            return Err(not_found());
        };
        let points_at = |fk: &ForeignKey, t: &Table| {
            fk.foreign_schema == t.schema && fk.foreign_table == t.name
        };
        let mut found: Vec<Relationship<'c>> = Vec::new();
        for fk in &parent_table.foreign_keys {
            if points_at(fk, child) {
                found.push(Relationship::ManyToOne(fk));
            }
        }
        for fk in &child.foreign_keys {
            if points_at(fk, parent_table) {
                found.push(Relationship::OneToMany {
                    fk,
                    to_one: child.is_unique(&fk.columns),
                });
            }
        }
        for junction in &self.cache.tables {
            if junction.schema != self.schema
                || std::ptr::eq(junction, parent_table)
                || std::ptr::eq(junction, child)
            {
                continue;
            }
            for to_parent in junction
                .foreign_keys
                .iter()
                .filter(|fk| points_at(fk, parent_table))
            {
                for to_child in junction
                    .foreign_keys
                    .iter()
                    .filter(|fk| points_at(fk, child))
                {
                    let in_key = |fk: &ForeignKey| {
                        fk.columns.iter().all(|c| junction.primary_key.contains(c))
                    };
                    if !std::ptr::eq(to_parent, to_child) && in_key(to_parent) && in_key(to_child) {
                        found.push(Relationship::ManyToMany {
                            junction,
                            to_parent,
                            to_child,
                        });
                    }
                }
            }
        }
        if let Some(hint) = &embed.hint {
            found.retain(|r| r.matches_hint(hint));
            // A self reference matches a hint both ways; as in PostgREST, the foreign key's column
            // means many-to-one (`parent:messages!reply_to`), its name one-to-many
            // (`replies:messages!messages_reply_to_fkey`).
            if std::ptr::eq(parent_table, child) && found.len() == 2 {
                let by_column = matches!(found[0], Relationship::ManyToOne(fk) if fk.name != *hint);
                found.retain(|r| matches!(r, Relationship::ManyToOne(_)) == by_column);
            }
        }
        match found.len() {
            0 => Err(not_found()),
            1 => Ok(found[0]),
            _ => Err(ApiError::new(
                300,
                "PGRST201",
                format!(
                    "Could not embed because more than one relationship was found for '{}' and '{}'",
                    parent.name, embed.name
                ),
            )
            .with_details(Value::Array(
                found.iter().map(|r| r.describe(parent.name, &embed.name)).collect(),
            ))
            .with_hint(format!(
                "Try changing '{}' to one of the following: {}. Find the desired relationship in the 'details' key.",
                embed.name,
                found
                    .iter()
                    .map(|r| format!("'{}!{}'", embed.name, r.hint_name()))
                    .collect::<Vec<_>>()
                    .join(", ")
            ))),
        }
    }

    // ---- rendering ----

    /// `"alias"."col"->$n::text->>$m::text`
    fn field_sql(&mut self, alias: &str, field: &Field) -> String {
        let mut sql = format!("{}.{}", ident(alias), ident(&field.name));
        for step in &field.json_path {
            let arrow = if step.as_text { "->>" } else { "->" };
            let key = match &step.key {
                JsonKey::Key(k) => self.bind(k, "text"),
                JsonKey::Index(i) => i.to_string(),
            };
            sql = format!("{sql}{arrow}{key}");
        }
        sql
    }

    /// The type of a field's value: the column's, text after `->>`, json(b) after `->`.
    fn field_type(relation: &Relation<'c>, field: &Field) -> Result<String> {
        let column = relation.column(&field.name)?;
        Ok(match field.json_path.last() {
            None => column.data_type.clone(),
            Some(step) if step.as_text => "text".into(),
            Some(_) if column.data_type == "json" => "json".into(),
            Some(_) => "jsonb".into(),
        })
    }

    /// One level as a SELECT. `from`: the FROM item (a table, `pgrst_source`, a function call);
    /// `join`: the condition tying it to the parent row; `count_only`: for the exact count
    /// (`SELECT 1`, no order, no range, only the embeds that filter).
    fn level(
        &mut self,
        node: &Node<'c, '_>,
        from: &str,
        join: Option<String>,
        count_only: bool,
        with_conditions: bool,
    ) -> Result<String> {
        let alias = ident(&node.alias);
        let mut laterals = Vec::new();
        let mut wheres: Vec<String> = join.into_iter().collect();
        for embed in &node.embeds {
            let filtered = embed.embed.inner
                || node
                    .conditions
                    .iter()
                    .any(|c| mentions_embed(c, embed.embed.key()));
            if count_only && !filtered {
                continue;
            }
            laterals.push(format!(
                "LEFT JOIN LATERAL ({}) AS {} ON TRUE",
                self.embed_sql(node, embed, count_only)?,
                ident(&embed.lateral)
            ));
            if embed.embed.inner {
                wheres.push(format!("{}.\"body\" IS NOT NULL", ident(&embed.lateral)));
            }
        }
        if with_conditions {
            for condition in &node.conditions {
                wheres.push(self.condition_sql(node, condition)?);
            }
        }
        let select = if count_only {
            "1".to_string()
        } else {
            self.select_list(node)?
        };
        let mut sql = format!("SELECT {select} FROM {from} AS {alias}");
        for lateral in laterals {
            sql.push(' ');
            sql.push_str(&lateral);
        }
        if !wheres.is_empty() {
            sql.push_str(" WHERE ");
            sql.push_str(&wheres.join(" AND "));
        }
        if !count_only {
            if !node.order.is_empty() {
                let terms = node
                    .order
                    .iter()
                    .map(|t| self.order_sql(node, t))
                    .collect::<Result<Vec<_>>>()?;
                sql.push_str(" ORDER BY ");
                sql.push_str(&terms.join(", "));
            }
            if let Some(limit) = node.range.limit {
                let p = self.bind(&limit.to_string(), "bigint");
                sql.push_str(&format!(" LIMIT {p}"));
            }
            if let Some(offset) = node.range.offset {
                let p = self.bind(&offset.to_string(), "bigint");
                sql.push_str(&format!(" OFFSET {p}"));
            }
        }
        Ok(sql)
    }

    fn select_list(&mut self, node: &Node<'c, '_>) -> Result<String> {
        let alias = ident(&node.alias);
        let mut items = Vec::new();
        for item in &node.select {
            match item {
                SelectItem::Star => items.push(format!("{alias}.*")),
                SelectItem::Field {
                    field,
                    alias: name,
                    cast,
                } => {
                    let mut sql = self.field_sql(&node.alias, field);
                    if let Some(cast) = cast {
                        sql = format!("({sql})::{cast}");
                    }
                    let output = name.clone().unwrap_or_else(|| {
                        match field.json_path.last().map(|s| &s.key) {
                            Some(JsonKey::Key(k)) => k.clone(),
                            _ => field.name.clone(),
                        }
                    });
                    items.push(format!("{sql} AS {}", ident(&output)));
                }
                SelectItem::Embed(embed) => {
                    if embed.select.is_empty() {
                        continue;
                    }
                    let e = node
                        .embeds
                        .iter()
                        .find(|e| std::ptr::eq(e.embed, embed))
                        .expect("every embed is planned");
                    let body = format!("{}.\"body\"", ident(&e.lateral));
                    let body = if e.relationship.is_to_one() {
                        body
                    } else {
                        format!("COALESCE({body}, '[]')")
                    };
                    items.push(format!("{body} AS {}", ident(embed.key())));
                }
            }
        }
        if items.is_empty() {
            // `select=rel()` only: rows with no columns, as PostgREST answers `{}` for each.
            return Ok(String::new());
        }
        Ok(items.join(", "))
    }

    /// The lateral subquery of one embed: one row with `body`, or no row.
    /// (`count_only`: only whether a related row exists matters.)
    fn embed_sql(
        &mut self,
        parent: &Node<'c, '_>,
        embed: &EmbedNode<'c, '_>,
        count_only: bool,
    ) -> Result<String> {
        let child = &embed.node;
        let join = self.join_condition(&parent.alias, &child.alias, embed.relationship);
        let from = qualified(child.relation.schema, child.relation.name);
        let inner = self.level(child, &from, Some(join), count_only, true)?;
        let sub = ident(&format!("{}_row", child.alias));
        Ok(if embed.relationship.is_to_one() {
            format!("SELECT row_to_json({sub}.*) AS \"body\" FROM ({inner}) AS {sub}")
        } else {
            format!("SELECT json_agg({sub}.*) AS \"body\" FROM ({inner}) AS {sub}")
        })
    }

    fn join_condition(&self, parent: &str, child: &str, relationship: Relationship<'c>) -> String {
        let pairs = |left: &str, lcols: &[String], right: &str, rcols: &[String]| {
            lcols
                .iter()
                .zip(rcols)
                .map(|(l, r)| {
                    format!(
                        "{}.{} = {}.{}",
                        ident(left),
                        ident(l),
                        ident(right),
                        ident(r)
                    )
                })
                .collect::<Vec<_>>()
                .join(" AND ")
        };
        match relationship {
            Relationship::ManyToOne(fk) => pairs(child, &fk.foreign_columns, parent, &fk.columns),
            Relationship::OneToMany { fk, .. } => {
                pairs(child, &fk.columns, parent, &fk.foreign_columns)
            }
            Relationship::ManyToMany {
                junction,
                to_parent,
                to_child,
            } => {
                let j = format!("{}_join", child);
                format!(
                    "EXISTS (SELECT 1 FROM {} AS {} WHERE {} AND {})",
                    qualified(&junction.schema, &junction.name),
                    ident(&j),
                    pairs(&j, &to_parent.columns, parent, &to_parent.foreign_columns),
                    pairs(&j, &to_child.columns, child, &to_child.foreign_columns),
                )
            }
        }
    }

    fn order_sql(&mut self, node: &Node<'c, '_>, term: &OrderTerm) -> Result<String> {
        let expr = match &term.target {
            OrderTarget::Field(field) => {
                Self::field_type(&node.relation, field)?;
                self.field_sql(&node.alias, field)
            }
            OrderTarget::Related { embed, field } => {
                let e = node
                    .embeds
                    .iter()
                    .find(|e| e.embed.key() == embed)
                    .ok_or_else(|| ApiError::not_embedded(embed))?;
                if !e.relationship.is_to_one() {
                    return Err(ApiError::order_not_to_one(node.relation.name, embed));
                }
                Self::field_type(&e.node.relation, field)?;
                let alias = self.alias(&format!("{}_order", e.node.relation.name));
                let value = self.field_sql(&alias, field);
                let join = self.join_condition(&node.alias, &alias, e.relationship);
                format!(
                    "(SELECT {value} FROM {} AS {} WHERE {join})",
                    qualified(e.node.relation.schema, e.node.relation.name),
                    ident(&alias)
                )
            }
        };
        let mut sql = expr;
        sql.push_str(match term.direction {
            Some(Direction::Desc) => " DESC",
            _ => " ASC",
        });
        match term.nulls {
            Some(Nulls::First) => sql.push_str(" NULLS FIRST"),
            Some(Nulls::Last) => sql.push_str(" NULLS LAST"),
            None => {}
        }
        Ok(sql)
    }

    fn condition_sql(&mut self, node: &Node<'c, '_>, condition: &Condition) -> Result<String> {
        match condition {
            Condition::Filter(filter) => self.filter_sql(node, filter),
            Condition::Group {
                or,
                negated,
                children,
            } => {
                let parts = children
                    .iter()
                    .map(|c| self.condition_sql(node, c))
                    .collect::<Result<Vec<_>>>()?;
                let joined = format!("({})", parts.join(if *or { " OR " } else { " AND " }));
                Ok(if *negated {
                    format!("NOT {joined}")
                } else {
                    joined
                })
            }
        }
    }

    fn filter_sql(&mut self, node: &Node<'c, '_>, filter: &Filter) -> Result<String> {
        // `rel=is.null` / `rel=not.is.null` on an embedded resource.
        if filter.field.json_path.is_empty()
            && node.relation.column(&filter.field.name).is_err()
            && let Some(e) = node
                .embeds
                .iter()
                .find(|e| e.embed.key() == filter.field.name)
        {
            if filter.operation != Operation::Is(IsValue::Null) {
                return Err(ApiError::embed_filter_not_null(&filter.field.name));
            }
            let sql = format!("{}.\"body\" IS NULL", ident(&e.lateral));
            return Ok(if filter.negated {
                format!("NOT ({sql})")
            } else {
                sql
            });
        }
        let data_type = Self::field_type(&node.relation, &filter.field)?;
        let column = self.field_sql(&node.alias, &filter.field);
        let sql = match &filter.operation {
            Operation::Compare {
                op,
                quantifier,
                value,
            } => {
                let value_type = if op.takes_text() { "text" } else { &data_type };
                let value = if op.takes_text()
                    && matches!(
                        op,
                        crate::parse::Operator::Like | crate::parse::Operator::Ilike
                    ) {
                    value.replace('*', "%")
                } else {
                    value.clone()
                };
                match quantifier {
                    None => {
                        let p = self.bind(&value, value_type);
                        format!("{column} {} {p}", op.sql())
                    }
                    Some(q) => {
                        let p = self.bind(&value, &format!("{value_type}[]"));
                        let q = match q {
                            crate::parse::Quantifier::Any => "ANY",
                            crate::parse::Quantifier::All => "ALL",
                        };
                        format!("{column} {} {q} ({p})", op.sql())
                    }
                }
            }
            Operation::In(values) => {
                if values.is_empty() {
                    "FALSE".to_string()
                } else {
                    let ps = values
                        .iter()
                        .map(|v| self.bind(v, &data_type))
                        .collect::<Vec<_>>();
                    format!("{column} IN ({})", ps.join(", "))
                }
            }
            Operation::Is(v) => format!(
                "{column} IS {}",
                match v {
                    IsValue::Null => "NULL",
                    IsValue::True => "TRUE",
                    IsValue::False => "FALSE",
                    IsValue::Unknown => "UNKNOWN",
                }
            ),
            Operation::Fts { op, config, value } => {
                let config = config.as_ref().map(|c| self.bind(c, "regconfig"));
                let query = self.bind(value, "text");
                let args = match &config {
                    Some(c) => format!("{c}, {query}"),
                    None => query,
                };
                let vector = if data_type == "tsvector" {
                    column
                } else {
                    match &config {
                        Some(c) => format!("to_tsvector({c}, {column})"),
                        None => format!("to_tsvector({column})"),
                    }
                };
                format!("{vector} @@ {}({args})", op.function())
            }
        };
        Ok(if filter.negated {
            format!("NOT ({sql})")
        } else {
            sql
        })
    }

    /// The outer statement: the page, its count, the body.
    fn wrap(
        &mut self,
        with: Option<String>,
        page: String,
        total: Option<String>,
        body: Body,
    ) -> String {
        let total = total.unwrap_or_else(|| "NULL::bigint".into());
        let body = match body {
            Body::Array => "COALESCE(json_agg(\"pgrst_t\".*), '[]')::text".to_string(),
            Body::Single => "(json_agg(\"pgrst_t\".*) -> 0)::text".to_string(),
            Body::ScalarArray => {
                "COALESCE(json_agg(\"pgrst_t\".\"pgrst_scalar\"), '[]')::text".to_string()
            }
            Body::Scalar => "(json_agg(\"pgrst_t\".\"pgrst_scalar\") -> 0)::text".to_string(),
            Body::None => "NULL::text".to_string(),
        };
        let with = with
            .map(|w| format!("WITH pgrst_source AS ({w}) "))
            .unwrap_or_default();
        format!(
            "{with}SELECT {total} AS total_result_set, pg_catalog.count(*) AS page_total, {body} AS body FROM ({page}) AS \"pgrst_t\""
        )
    }
}

#[derive(Clone, Copy)]
enum Body {
    Array,
    Single,
    ScalarArray,
    Scalar,
    None,
}

fn mentions_embed(condition: &Condition, key: &str) -> bool {
    match condition {
        Condition::Filter(f) => f.field.json_path.is_empty() && f.field.name == key,
        Condition::Group { children, .. } => children.iter().any(|c| mentions_embed(c, key)),
    }
}

/// Every condition and order must name a level the select embeds (PGRST108).
fn check_paths(query: &QueryParams, select: &[SelectItem]) -> Result<()> {
    fn exists(select: &[SelectItem], path: &[String]) -> bool {
        match path.split_first() {
            None => true,
            Some((first, rest)) => select.iter().any(|item| match item {
                SelectItem::Embed(e) => e.key() == first && exists(&e.select, rest),
                _ => false,
            }),
        }
    }
    let paths = query
        .conditions
        .iter()
        .map(|(p, _)| p)
        .chain(query.order.keys())
        .chain(query.ranges.keys());
    for path in paths {
        if !exists(select, path) {
            return Err(ApiError::not_embedded(&path.join(".")));
        }
    }
    Ok(())
}

/// `Prefer: count=planned`: `EXPLAIN (FORMAT JSON)` of the rows `read` would count (its filters and
/// `!inner` embeds, no limit), whose one row's `[0].Plan."Plan Rows"` is the planner's estimate.
/// PostgREST does the same; reading it is the server's.
pub fn planned_count(
    cache: &SchemaCache,
    schema: &str,
    table: &str,
    query: &QueryParams,
) -> Result<Statement> {
    let mut b = Builder::new(cache, schema);
    let table = b.table(table)?;
    check_paths(query, &query.select)?;
    let root = b.plan(Relation::of(table), &query.select, query, &vec![])?;
    let from = qualified(&table.schema, &table.name);
    let counted = b.level(&root, &from, None, true, true)?;
    let sql = format!("EXPLAIN (FORMAT JSON) SELECT 1 FROM ({counted}) AS \"pgrst_c\"");
    Ok(b.finish(sql))
}

/// The estimate in the one row of a [`planned_count`] statement (its `QUERY PLAN`).
pub fn plan_rows(plan: &serde_json::Value) -> Option<u64> {
    plan.get(0)?
        .get("Plan")?
        .get("Plan Rows")?
        .as_f64()
        .map(|rows| rows.max(0.0) as u64)
}

/// `GET /table`: the rows the query selects.
pub fn read(
    cache: &SchemaCache,
    schema: &str,
    table: &str,
    query: &QueryParams,
    shape: Shape,
) -> Result<Statement> {
    let mut b = Builder::new(cache, schema);
    let table = b.table(table)?;
    check_paths(query, &query.select)?;
    let root = b.plan(Relation::of(table), &query.select, query, &vec![])?;
    let from = qualified(&table.schema, &table.name);
    let page = b.level(&root, &from, None, false, true)?;
    let total = if shape.count {
        Some(format!(
            "(SELECT pg_catalog.count(*) FROM ({}) AS \"pgrst_c\")",
            b.level(&root, &from, None, true, true)?
        ))
    } else {
        None
    };
    let body = if shape.singular {
        Body::Single
    } else {
        Body::Array
    };
    let sql = b.wrap(None, page, total, body);
    Ok(b.finish(sql))
}

/// The keys to write: `columns=` if given, else the body's (every object must have the same
/// keys, PGRST102 otherwise); each must be a column (PGRST204).
fn payload_columns<'c>(
    table: &'c Table,
    query: &QueryParams,
    rows: &[serde_json::Map<String, Value>],
) -> Result<Vec<&'c Column>> {
    let names: Vec<String> = match &query.columns {
        Some(columns) => columns.clone(),
        None => {
            let first: Vec<String> = rows
                .first()
                .map(|r| r.keys().cloned().collect())
                .unwrap_or_default();
            for row in rows.iter().skip(1) {
                if row.len() != first.len() || !first.iter().all(|k| row.contains_key(k)) {
                    return Err(ApiError::invalid_body("All object keys must match"));
                }
            }
            first
        }
    };
    names
        .iter()
        .map(|n| {
            table
                .column(n)
                .ok_or_else(|| ApiError::no_column_in_cache(&table.name, n))
        })
        .collect()
}

fn body_rows(body: &Value) -> Result<Vec<serde_json::Map<String, Value>>> {
    match body {
        Value::Object(o) => Ok(vec![o.clone()]),
        Value::Array(items) => items
            .iter()
            .map(|i| match i {
                Value::Object(o) => Ok(o.clone()),
                _ => Err(ApiError::invalid_body(
                    "Each element of the array must be a JSON object",
                )),
            })
            .collect(),
        _ => Err(ApiError::invalid_body(
            "The body must be a JSON object or an array of objects",
        )),
    }
}

/// What a mutation answers: its rows read back with `select` (and embeds), only its count, or
/// its primary keys (`return=headers-only`, for `Location`).
fn read_back<'c>(
    b: &mut Builder<'c>,
    table: &'c Table,
    query: &QueryParams,
    prefs: &Preferences,
    shape: Shape,
    source: String,
) -> Result<String> {
    match prefs.return_.unwrap_or(ReturnPreference::Minimal) {
        ReturnPreference::Minimal => Ok(b.wrap(
            Some(source),
            "SELECT 1 FROM pgrst_source".into(),
            None,
            Body::None,
        )),
        ReturnPreference::HeadersOnly => {
            let keys = table
                .primary_key
                .iter()
                .map(|k| ident(k))
                .collect::<Vec<_>>();
            let select = if keys.is_empty() {
                "1".to_string()
            } else {
                keys.join(", ")
            };
            Ok(b.wrap(
                Some(source),
                format!("SELECT {select} FROM pgrst_source"),
                None,
                if keys.is_empty() {
                    Body::None
                } else {
                    Body::Array
                },
            ))
        }
        ReturnPreference::Representation => {
            check_paths(query, &query.select)?;
            let root = b.plan(Relation::of(table), &query.select, query, &vec![])?;
            // The mutation's WHERE already applied the root filters.
            let page = b.level(&root, "pgrst_source", None, false, false)?;
            let body = if shape.singular {
                Body::Single
            } else {
                Body::Array
            };
            Ok(b.wrap(Some(source), page, None, body))
        }
    }
}

/// The root conditions of an update or delete, on the table's own alias.
fn mutation_where<'c>(
    b: &mut Builder<'c>,
    table: &'c Table,
    alias: &str,
    query: &QueryParams,
) -> Result<String> {
    let relation = Relation::of(table);
    let node = Node {
        relation,
        alias: alias.to_string(),
        select: Vec::new(),
        embeds: Vec::new(),
        conditions: Vec::new(),
        order: Vec::new(),
        range: Range::default(),
    };
    let mut parts = Vec::new();
    for (path, condition) in &query.conditions {
        if path.is_empty() {
            parts.push(b.condition_sql(&node, condition)?);
        }
    }
    if query
        .ranges
        .get(&Vec::new())
        .is_some_and(|r| r.limit.is_some() || r.offset.is_some())
    {
        return Err(ApiError::parse(
            "limit",
            "limit and offset on an update or delete are not supported",
        ));
    }
    Ok(if parts.is_empty() {
        String::new()
    } else {
        format!(" WHERE {}", parts.join(" AND "))
    })
}

/// `POST /table`: insert one object or an array of them (`Prefer: resolution=` makes it an
/// upsert on `on_conflict=` or the primary key). The body travels as one JSON parameter.
pub fn insert(
    cache: &SchemaCache,
    schema: &str,
    table: &str,
    query: &QueryParams,
    prefs: &Preferences,
    shape: Shape,
    body: &Value,
) -> Result<Statement> {
    let mut b = Builder::new(cache, schema);
    let table = b.table(table)?;
    let rows = body_rows(body)?;
    let columns = payload_columns(table, query, &rows)?;
    let target = qualified(&table.schema, &table.name);
    let alias = ident(&table.name);
    b.aliases.insert(table.name.clone());
    let empty = rows.is_empty();
    let payload =
        serde_json::to_string(&Value::Array(rows.into_iter().map(Value::Object).collect()))
            .expect("JSON serializes");
    let mut sql;
    if empty {
        // `[]`: PostgREST inserts nothing.
        sql = format!("SELECT {alias}.* FROM {target} AS {alias} WHERE FALSE");
    } else if columns.is_empty() {
        // `{}`: one row of defaults (an array of empty objects too: one row, not one per object).
        sql = format!("INSERT INTO {target} AS {alias} DEFAULT VALUES");
    } else {
        let names = columns
            .iter()
            .map(|c| ident(&c.name))
            .collect::<Vec<_>>()
            .join(", ");
        if prefs.missing_default {
            let p = b.bind(&payload, "jsonb");
            let values = columns
                .iter()
                .map(|c| {
                    let key = b.bind(&c.name, "text");
                    let default = c.default.as_deref().filter(|_| !c.generated).unwrap_or("NULL");
                    format!(
                        "CASE WHEN \"pgrst_elem\" ? {key} THEN \"pgrst_body\".{} ELSE {default} END",
                        ident(&c.name)
                    )
                })
                .collect::<Vec<_>>()
                .join(", ");
            sql = format!(
                "INSERT INTO {target} AS {alias} ({names}) SELECT {values} FROM jsonb_array_elements({p}) AS \"pgrst_elem\", LATERAL jsonb_populate_record(NULL::{target}, \"pgrst_elem\") AS \"pgrst_body\""
            );
        } else {
            let p = b.bind(&payload, "json");
            let values = columns
                .iter()
                .map(|c| format!("\"pgrst_body\".{}", ident(&c.name)))
                .collect::<Vec<_>>()
                .join(", ");
            sql = format!(
                "INSERT INTO {target} AS {alias} ({names}) SELECT {values} FROM json_populate_recordset(NULL::{target}, {p}) AS \"pgrst_body\""
            );
        }
        if let Some(resolution) = prefs.resolution {
            let conflict = match &query.on_conflict {
                Some(cols) => cols.clone(),
                None => table.primary_key.clone(),
            };
            for c in &conflict {
                table
                    .column(c)
                    .ok_or_else(|| ApiError::no_column_in_cache(&table.name, c))?;
            }
            if conflict.is_empty() {
                return Err(ApiError::new(
                    400,
                    "PGRST100",
                    format!(
                        "'{}' has no primary key: an upsert needs on_conflict",
                        table.name
                    ),
                ));
            }
            let target_cols = conflict
                .iter()
                .map(|c| ident(c))
                .collect::<Vec<_>>()
                .join(", ");
            match resolution {
                Resolution::IgnoreDuplicates => {
                    sql.push_str(&format!(" ON CONFLICT ({target_cols}) DO NOTHING"));
                }
                Resolution::MergeDuplicates => {
                    let sets = columns
                        .iter()
                        .map(|c| format!("{} = EXCLUDED.{}", ident(&c.name), ident(&c.name)))
                        .collect::<Vec<_>>()
                        .join(", ");
                    sql.push_str(&format!(
                        " ON CONFLICT ({target_cols}) DO UPDATE SET {sets}"
                    ));
                }
            }
        }
    }
    if !empty {
        sql.push_str(&format!(" RETURNING {alias}.*"));
    }
    let sql = read_back(&mut b, table, query, prefs, shape, sql)?;
    Ok(b.finish(sql))
}

/// `PATCH /table?filters`: set the body's keys on the rows the filters select.
pub fn update(
    cache: &SchemaCache,
    schema: &str,
    table: &str,
    query: &QueryParams,
    prefs: &Preferences,
    shape: Shape,
    body: &Value,
) -> Result<Statement> {
    let mut b = Builder::new(cache, schema);
    let table = b.table(table)?;
    let Value::Object(object) = body else {
        return Err(ApiError::invalid_body(
            "The body of an update must be a JSON object",
        ));
    };
    let rows = vec![object.clone()];
    let columns = payload_columns(table, query, &rows)?;
    let target = qualified(&table.schema, &table.name);
    let alias_name = b.alias(&table.name);
    let alias = ident(&alias_name);
    let source = if columns.is_empty() {
        // Nothing to set: PostgREST changes no row.
        format!("SELECT {alias}.* FROM {target} AS {alias} WHERE FALSE")
    } else {
        let p = b.bind(
            &serde_json::to_string(body).expect("JSON serializes"),
            "json",
        );
        let sets = columns
            .iter()
            .map(|c| format!("{} = \"pgrst_body\".{}", ident(&c.name), ident(&c.name)))
            .collect::<Vec<_>>()
            .join(", ");
        let wheres = mutation_where(&mut b, table, &alias_name, query)?;
        format!(
            "UPDATE {target} AS {alias} SET {sets} FROM (SELECT * FROM json_populate_record(NULL::{target}, {p})) AS \"pgrst_body\"{wheres} RETURNING {alias}.*"
        )
    };
    let sql = read_back(&mut b, table, query, prefs, shape, source)?;
    Ok(b.finish(sql))
}

/// `DELETE /table?filters`
pub fn delete(
    cache: &SchemaCache,
    schema: &str,
    table: &str,
    query: &QueryParams,
    prefs: &Preferences,
    shape: Shape,
) -> Result<Statement> {
    let mut b = Builder::new(cache, schema);
    let table = b.table(table)?;
    let target = qualified(&table.schema, &table.name);
    let alias_name = b.alias(&table.name);
    let alias = ident(&alias_name);
    let wheres = mutation_where(&mut b, table, &alias_name, query)?;
    let source = format!("DELETE FROM {target} AS {alias}{wheres} RETURNING {alias}.*");
    let sql = read_back(&mut b, table, query, prefs, shape, source)?;
    Ok(b.finish(sql))
}

/// The arguments of an RPC call: a JSON object (POST body), or the query string's pairs (GET).
#[derive(Debug, Clone)]
pub enum RpcArgs<'a> {
    Body(&'a Value),
    Query(&'a [(String, String)]),
}

fn is_json_type(t: &str) -> bool {
    t == "json" || t == "jsonb"
}

/// The overload the arguments call: every given name is a parameter, every parameter without a
/// default is given. A function with one unnamed json/jsonb parameter (or `Prefer:
/// params=single-object`) takes the whole body.
fn choose_function<'c>(
    cache: &'c SchemaCache,
    schema: &str,
    name: &str,
    given: &[String],
    single_object: bool,
) -> Result<(&'c Function, bool)> {
    let all: Vec<&Function> = cache
        .functions
        .iter()
        .filter(|f| f.schema == schema && f.name == name)
        .collect();
    let single = |f: &&Function| f.args.len() == 1 && is_json_type(&f.args[0].data_type);
    if single_object {
        let found: Vec<&Function> = all.iter().copied().filter(single).collect();
        if found.len() == 1 {
            return Ok((found[0], true));
        }
    }
    let by_name: Vec<&Function> = all
        .iter()
        .copied()
        .filter(|f| {
            given.iter().all(|g| f.args.iter().any(|a| &a.name == g))
                && f.args
                    .iter()
                    .all(|a| a.has_default || given.contains(&a.name))
        })
        .collect();
    match by_name.len() {
        1 => Ok((by_name[0], false)),
        0 => {
            let unnamed: Vec<&Function> = all
                .iter()
                .copied()
                .filter(|f| single(f) && f.args[0].name.is_empty())
                .collect();
            if unnamed.len() == 1 {
                return Ok((unnamed[0], true));
            }
            let mut sorted = given.to_vec();
            sorted.sort();
            Err(ApiError::no_function(schema, name, &sorted))
        }
        _ => Err(ApiError::ambiguous_function(
            schema,
            name,
            &by_name
                .iter()
                .map(|f| {
                    f.args
                        .iter()
                        .map(|a| format!("{} => {}", a.name, a.data_type))
                        .collect::<Vec<_>>()
                        .join(", ")
                })
                .collect::<Vec<_>>(),
        )),
    }
}

/// `POST /rpc/fn` or `GET /rpc/fn?args`: the call, with the result filtered, ordered and
/// embedded like a table when the function returns rows of a table (or `returns table (...)`).
/// The arguments travel as one JSON parameter, read back with `json_to_record`.
pub fn rpc(
    cache: &SchemaCache,
    schema: &str,
    name: &str,
    query: &QueryParams,
    prefs: &Preferences,
    shape: Shape,
    args: RpcArgs<'_>,
) -> Result<Statement> {
    let mut b = Builder::new(cache, schema);
    let object: serde_json::Map<String, Value> = match args {
        RpcArgs::Body(Value::Object(o)) => o.clone(),
        RpcArgs::Body(Value::Null) => serde_json::Map::new(),
        RpcArgs::Body(other) if prefs.single_object => {
            let mut m = serde_json::Map::new();
            m.insert(String::new(), other.clone());
            m
        }
        RpcArgs::Body(_) => {
            return Err(ApiError::invalid_body(
                "The arguments of a function call must be a JSON object",
            ));
        }
        RpcArgs::Query(pairs) => pairs
            .iter()
            .map(|(k, v)| (k.clone(), Value::String(v.clone())))
            .collect(),
    };
    let given: Vec<String> = object.keys().cloned().collect();
    let (function, whole_body) = choose_function(cache, schema, name, &given, prefs.single_object)?;
    let callee = qualified(&function.schema, &function.name);
    let (call, from_args) = if whole_body {
        let body = match args {
            RpcArgs::Body(v) => v.clone(),
            RpcArgs::Query(_) => Value::Object(object.clone()),
        };
        let p = b.bind(
            &serde_json::to_string(&body).expect("JSON serializes"),
            &function.args[0].data_type,
        );
        (format!("{callee}({p})"), String::new())
    } else {
        let used: Vec<_> = function
            .args
            .iter()
            .filter(|a| given.contains(&a.name))
            .collect();
        if used.is_empty() {
            (format!("{callee}()"), String::new())
        } else {
            let p = b.bind(
                &serde_json::to_string(&Value::Object(object)).expect("JSON serializes"),
                "json",
            );
            let record = used
                .iter()
                .map(|a| format!("{} {}", ident(&a.name), a.data_type))
                .collect::<Vec<_>>()
                .join(", ");
            let named = used
                .iter()
                .map(|a| {
                    let variadic = if a.variadic { "VARIADIC " } else { "" };
                    format!(
                        "{} := {variadic}\"pgrst_args\".{}",
                        ident(&a.name),
                        ident(&a.name)
                    )
                })
                .collect::<Vec<_>>()
                .join(", ");
            (
                format!("{callee}({named})"),
                format!("json_to_record({p}) AS \"pgrst_args\"({record}), "),
            )
        }
    };
    let table = function
        .return_relation
        .as_ref()
        .and_then(|r| cache.table(&r.schema, &r.name));
    let relation = match table {
        Some(t) => Some(Relation::of(t)),
        None if !function.out_columns.is_empty() => Some(Relation {
            schema: &function.schema,
            name: &function.name,
            columns: &function.out_columns,
            table: None,
        }),
        None => None,
    };
    let sql = match relation {
        Some(relation) => {
            let source =
                format!("SELECT \"pgrst_call\".* FROM {from_args}LATERAL {call} AS \"pgrst_call\"");
            check_paths(query, &query.select)?;
            let root = b.plan(relation, &query.select, query, &vec![])?;
            let page = b.level(&root, "pgrst_source", None, false, true)?;
            let total = if shape.count {
                Some(format!(
                    "(SELECT pg_catalog.count(*) FROM ({}) AS \"pgrst_c\")",
                    b.level(&root, "pgrst_source", None, true, true)?
                ))
            } else {
                None
            };
            let body = if shape.singular || !function.returns_set {
                Body::Single
            } else {
                Body::Array
            };
            b.wrap(Some(source), page, total, body)
        }
        None => {
            if !query.conditions.is_empty() || !query.order.is_empty() {
                return Err(ApiError::parse(
                    "filter",
                    format!(
                        "{name} returns {}: its result cannot be filtered or ordered",
                        function.return_type
                    ),
                ));
            }
            let source = if from_args.is_empty() {
                format!("SELECT {call} AS \"pgrst_scalar\"")
            } else {
                format!(
                    "SELECT {call} AS \"pgrst_scalar\" FROM {}",
                    from_args.trim_end_matches(", ")
                )
            };
            let body = if function.is_void() {
                Body::None
            } else if function.returns_set {
                Body::ScalarArray
            } else {
                Body::Scalar
            };
            let page = if function.is_void() {
                "SELECT 1 FROM pgrst_source".to_string()
            } else {
                let mut page =
                    "SELECT \"pgrst_source\".\"pgrst_scalar\" FROM pgrst_source".to_string();
                if let Some(limit) = query.ranges.get(&Vec::new()).and_then(|r| r.limit) {
                    let p = b.bind(&limit.to_string(), "bigint");
                    page.push_str(&format!(" LIMIT {p}"));
                }
                page
            };
            b.wrap(Some(source), page, None, body)
        }
    };
    Ok(b.finish(sql))
}
