//! The OpenAPI 2.0 (Swagger) description PostgREST answers at `GET /`, built from the schema cache.
//!
//! The shape follows PostgREST's: one definition per table or view (columns with a Swagger type
//! and the Postgres type as `format`; primary and foreign keys noted in the description as
//! PostgREST writes them, `<pk/>` and `<fk table='t' column='c'/>`, which tools parse), one path
//! per table (`get`, and `post` / `patch` / `delete` for tables), one per function (`post`, and
//! `get` for stable and immutable ones), and shared parameters (`rowFilter.<table>.<column>`,
//! `select`, `order`, `Range`, `Prefer` variants) referenced by `$ref`.
//!
//! Everything in the cache is listed: PostgREST's default `openapi-mode` (`follow-privileges`)
//! lists only what the requesting role may use, which needs per-role grants the cache does not
//! hold yet.

use serde_json::{Map, Value, json};

use crate::schema::{Column, Function, SchemaCache, Table, TableKind};

/// Where the API is served, for `host`, `basePath` and `schemes`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Server<'a> {
    /// `host[:port]` as the client reached it; `None` leaves `host` out (Swagger then uses the
    /// document's own host).
    pub host: Option<&'a str>,
    /// The mount point (`/rest/v1`), `/` at the root.
    pub base_path: &'a str,
    /// `http` or `https`.
    pub scheme: &'a str,
}

/// The document for the tables and functions of `schema` in `cache`.
pub fn document(cache: &SchemaCache, schema: &str, server: &Server) -> Value {
    let tables: Vec<&Table> = cache.tables.iter().filter(|t| t.schema == schema).collect();
    let mut functions: Vec<&Function> = Vec::new();
    for f in cache.functions.iter().filter(|f| f.schema == schema) {
        // One path per name: overloads share `/rpc/name`; the first one describes it.
        if !functions.iter().any(|g| g.name == f.name) {
            functions.push(f);
        }
    }

    let mut paths = Map::new();
    paths.insert(
        "/".into(),
        json!({"get": {
            "tags": ["Introspection"],
            "summary": "OpenAPI description (this document)",
            "produces": ["application/openapi+json", "application/json"],
            "responses": {"200": {"description": "OK"}}
        }}),
    );
    for t in &tables {
        paths.insert(format!("/{}", t.name), table_path(t));
    }
    for f in &functions {
        paths.insert(format!("/rpc/{}", f.name), function_path(f));
    }

    let mut definitions = Map::new();
    for t in &tables {
        definitions.insert(t.name.clone(), definition(cache, t));
    }

    let mut parameters = common_parameters();
    for t in &tables {
        parameters.insert(
            format!("body.{}", t.name),
            json!({"name": t.name, "description": t.name, "required": false, "in": "body",
                   "schema": {"$ref": format!("#/definitions/{}", t.name)}}),
        );
        for c in &t.columns {
            let (format, _) = format_of(&c.data_type);
            parameters.insert(
                format!("rowFilter.{}.{}", t.name, c.name),
                json!({"name": c.name, "required": false, "in": "query", "type": "string",
                       "format": format}),
            );
        }
    }

    let mut doc = Map::new();
    doc.insert("swagger".into(), json!("2.0"));
    doc.insert(
        "info".into(),
        json!({
            "title": "appctl REST API",
            "description": format!("The `{schema}` schema, served in PostgREST's dialect"),
            "version": env!("CARGO_PKG_VERSION"),
        }),
    );
    if let Some(host) = server.host {
        doc.insert("host".into(), json!(host));
    }
    doc.insert("basePath".into(), json!(server.base_path));
    doc.insert("schemes".into(), json!([server.scheme]));
    let mimes = json!([
        "application/json",
        "application/vnd.pgrst.object+json",
        "text/csv"
    ]);
    doc.insert("consumes".into(), mimes.clone());
    doc.insert("produces".into(), mimes);
    doc.insert("paths".into(), Value::Object(paths));
    doc.insert("definitions".into(), Value::Object(definitions));
    doc.insert("parameters".into(), Value::Object(parameters));
    doc.insert(
        "externalDocs".into(),
        json!({"description": "PostgREST Documentation",
               "url": "https://docs.postgrest.org/en/v12/references/api.html"}),
    );
    Value::Object(doc)
}

fn refs(names: impl IntoIterator<Item = String>) -> Value {
    Value::Array(
        names
            .into_iter()
            .map(|n| json!({"$ref": format!("#/parameters/{n}")}))
            .collect(),
    )
}

fn table_path(t: &Table) -> Value {
    let filters: Vec<String> = t
        .columns
        .iter()
        .map(|c| format!("rowFilter.{}.{}", t.name, c.name))
        .collect();
    let with = |extra: &[&str]| {
        refs(
            filters
                .iter()
                .cloned()
                .chain(extra.iter().map(|s| s.to_string())),
        )
    };
    let body = format!("body.{}", t.name);
    let (summary, description) = split_comment(t.comment.as_deref());
    let operation = |parameters: Value, responses: Value| {
        let mut op = Map::new();
        op.insert("tags".into(), json!([t.name]));
        if let Some(s) = &summary {
            op.insert("summary".into(), json!(s));
        }
        if let Some(d) = &description {
            op.insert("description".into(), json!(d));
        }
        op.insert("parameters".into(), parameters);
        op.insert("responses".into(), responses);
        Value::Object(op)
    };
    let mut path = Map::new();
    path.insert(
        "get".into(),
        operation(
            with(&[
                "select",
                "order",
                "range",
                "rangeUnit",
                "offset",
                "limit",
                "preferCount",
            ]),
            json!({
                "200": {"description": "OK", "schema": {
                    "type": "array", "items": {"$ref": format!("#/definitions/{}", t.name)}}},
                "206": {"description": "Partial Content"}
            }),
        ),
    );
    // Views may or may not be updatable; the cache does not say, so only tables list writes.
    if matches!(t.kind, TableKind::Table | TableKind::ForeignTable) {
        path.insert(
            "post".into(),
            operation(
                refs([body.clone(), "select".into(), "preferPost".into()]),
                json!({"201": {"description": "Created"}}),
            ),
        );
        path.insert(
            "delete".into(),
            operation(
                with(&["preferReturn"]),
                json!({"204": {"description": "No Content"}}),
            ),
        );
        path.insert(
            "patch".into(),
            operation(
                with(&[body.as_str(), "preferReturn"]),
                json!({"204": {"description": "No Content"}}),
            ),
        );
    }
    Value::Object(path)
}

/// PostgREST's summary / description split: the comment's first line, then the rest.
fn split_comment(comment: Option<&str>) -> (Option<String>, Option<String>) {
    match comment {
        None => (None, None),
        Some(text) => match text.split_once('\n') {
            None => (Some(text.to_string()), None),
            Some((first, rest)) => {
                let rest = rest.trim_start_matches('\n');
                (
                    Some(first.to_string()),
                    (!rest.is_empty()).then(|| rest.to_string()),
                )
            }
        },
    }
}

fn function_path(f: &Function) -> Value {
    // Unnamed arguments cannot be passed by name (only a lone json argument, as the body).
    let named = || f.args.iter().filter(|a| !a.name.is_empty());
    let tag = json!([format!("(rpc) {}", f.name)]);
    let produces = json!(["application/json", "application/vnd.pgrst.object+json"]);
    let mut properties = Map::new();
    for a in named() {
        properties.insert(a.name.clone(), property_type(&a.data_type));
    }
    let required: Vec<&str> = named()
        .filter(|a| !a.has_default && !a.variadic)
        .map(|a| a.name.as_str())
        .collect();
    let mut path = Map::new();
    if f.allows_get() {
        let parameters: Vec<Value> = named()
            .map(|a| {
                // An array travels as a Postgres array literal (`{1,2}`): one string.
                let mut p = if a.data_type.ends_with("[]") {
                    json!({"type": "string", "format": a.data_type})
                } else {
                    property_type(&a.data_type)
                };
                let map = p.as_object_mut().expect("an object");
                map.insert("name".into(), json!(a.name));
                map.insert("in".into(), json!("query"));
                map.insert("required".into(), json!(!a.has_default && !a.variadic));
                p
            })
            .collect();
        path.insert(
            "get".into(),
            json!({"tags": tag, "produces": produces, "parameters": parameters,
                   "responses": {"200": {"description": "OK"}}}),
        );
    }
    path.insert(
        "post".into(),
        json!({
            "tags": tag,
            "produces": produces,
            "parameters": [
                {"name": "args", "required": true, "in": "body", "schema": {
                    "type": "object", "properties": properties, "required": required}},
                {"$ref": "#/parameters/preferParams"}
            ],
            "responses": {"200": {"description": "OK"}}
        }),
    );
    Value::Object(path)
}

fn definition(cache: &SchemaCache, t: &Table) -> Value {
    let mut properties = Map::new();
    for c in &t.columns {
        properties.insert(c.name.clone(), column_property(cache, t, c));
    }
    // What an insert must give: not null, and nothing the database fills in itself.
    let required: Vec<&str> = t
        .columns
        .iter()
        .filter(|c| !c.nullable && c.default.is_none() && !c.identity && !c.generated)
        .map(|c| c.name.as_str())
        .collect();
    let mut def = Map::new();
    if let Some(comment) = &t.comment {
        def.insert("description".into(), json!(comment));
    }
    def.insert("required".into(), json!(required));
    def.insert("properties".into(), Value::Object(properties));
    def.insert("type".into(), json!("object"));
    Value::Object(def)
}

fn column_property(cache: &SchemaCache, t: &Table, c: &Column) -> Value {
    let mut notes = Vec::new();
    if t.primary_key.contains(&c.name) {
        notes.push("This is a Primary Key.<pk/>".to_string());
    }
    for fk in &t.foreign_keys {
        if let Some(i) = fk.columns.iter().position(|k| *k == c.name) {
            let (ft, fc) = (&fk.foreign_table, &fk.foreign_columns[i]);
            // PostgREST notes only keys into tables it exposes.
            if cache.table(&fk.foreign_schema, ft).is_some() {
                notes.push(format!(
                    "This is a Foreign Key to `{ft}.{fc}`.<fk table='{ft}' column='{fc}'/>"
                ));
            }
        }
    }
    let mut p = property_type(&c.data_type);
    let p_map = p.as_object_mut().expect("an object");
    if let Some(default) = c.default.as_deref().and_then(json_default) {
        p_map.insert("default".into(), default);
    }
    if !notes.is_empty() {
        p_map.insert(
            "description".into(),
            json!(format!("Note:\n{}", notes.join("\n"))),
        );
    }
    p
}

/// `{type, format}` (and `items`, `maxLength`) for a Postgres type name.
fn property_type(data_type: &str) -> Value {
    let (format, max_length) = format_of(data_type);
    let mut p = Map::new();
    if let Some(element) = data_type.strip_suffix("[]") {
        p.insert("type".into(), json!("array"));
        p.insert("format".into(), json!(format));
        p.insert("items".into(), property_type(element));
        return Value::Object(p);
    }
    // json and jsonb hold any value: no Swagger type, as PostgREST.
    if let Some(ty) = swagger_type(&format) {
        p.insert("type".into(), json!(ty));
    }
    p.insert("format".into(), json!(format));
    if let Some(n) = max_length {
        p.insert("maxLength".into(), json!(n));
    }
    Value::Object(p)
}

/// The type without its modifier (PostgREST's `format`), and a `character varying(n)` length.
fn format_of(data_type: &str) -> (String, Option<u64>) {
    for base in ["character varying", "character"] {
        if let Some(rest) = data_type.strip_prefix(base)
            && let Some(n) = rest.strip_prefix('(').and_then(|r| r.strip_suffix(')'))
            && let Ok(n) = n.parse()
        {
            return (base.to_string(), Some(n));
        }
    }
    (data_type.to_string(), None)
}

fn swagger_type(format: &str) -> Option<&'static str> {
    Some(match format {
        "boolean" => "boolean",
        "smallint" | "integer" | "bigint" => "integer",
        "real" | "double precision" => "number",
        f if f == "numeric" || f.starts_with("numeric(") => "number",
        "json" | "jsonb" => return None,
        _ => "string",
    })
}

/// A default PostgREST can show: a literal that reads as JSON once its cast is dropped (`0`,
/// `false`, `'{}'::jsonb`). Expressions (`now()`, `gen_random_uuid()`) and bare strings are left
/// out, as PostgREST leaves them.
fn json_default(expr: &str) -> Option<Value> {
    let mut text = expr.trim();
    if text.starts_with('\'') {
        // `'literal'::type`: the literal, its doubled quotes undone.
        let end = text
            .rfind("'::")
            .or_else(|| (text.len() > 1 && text.ends_with('\'')).then(|| text.len() - 1))?;
        let inner = text[1..end].replace("''", "'");
        return serde_json::from_str(&inner).ok();
    }
    if let Some((value, _cast)) = text.split_once("::") {
        text = value.trim_matches(|c| c == '(' || c == ')');
    }
    serde_json::from_str(text).ok()
}

fn common_parameters() -> Map<String, Value> {
    let prefer = |values: &[&str]| {
        json!({"name": "Prefer", "description": "Preference", "required": false, "in": "header",
               "type": "string", "enum": values})
    };
    let query = |name: &str, description: &str| {
        json!({"name": name, "description": description, "required": false, "in": "query",
               "type": "string"})
    };
    let mut p = Map::new();
    p.insert("preferParams".into(), prefer(&["params=single-object"]));
    p.insert(
        "preferReturn".into(),
        prefer(&[
            "return=representation",
            "return=minimal",
            "return=headers-only",
        ]),
    );
    p.insert("preferCount".into(), prefer(&["count=none", "count=exact"]));
    p.insert(
        "preferPost".into(),
        prefer(&[
            "return=representation",
            "return=minimal",
            "return=headers-only",
            "resolution=ignore-duplicates",
            "resolution=merge-duplicates",
        ]),
    );
    p.insert("select".into(), query("select", "Filtering Columns"));
    p.insert("on_conflict".into(), query("on_conflict", "On Conflict"));
    p.insert("order".into(), query("order", "Ordering"));
    p.insert(
        "range".into(),
        json!({"name": "Range", "description": "Limiting and Pagination", "required": false,
               "in": "header", "type": "string"}),
    );
    p.insert(
        "rangeUnit".into(),
        json!({"name": "Range-Unit", "description": "Limiting and Pagination", "required": false,
               "in": "header", "type": "string", "default": "items"}),
    );
    p.insert("offset".into(), query("offset", "Limiting and Pagination"));
    p.insert("limit".into(), query("limit", "Limiting and Pagination"));
    p
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_shown_only_when_json() {
        assert_eq!(json_default("'{}'::jsonb"), Some(json!({})));
        assert_eq!(json_default("0"), Some(json!(0)));
        assert_eq!(json_default("false"), Some(json!(false)));
        assert_eq!(json_default("'5'::integer"), Some(json!(5)));
        assert_eq!(json_default("now()"), None);
        assert_eq!(json_default("'pending'::public.document_status"), None);
        assert_eq!(json_default("'it''s'::text"), None);
    }

    #[test]
    fn types_and_formats() {
        assert_eq!(
            property_type("character varying(20)"),
            json!({"type": "string", "format": "character varying", "maxLength": 20})
        );
        assert_eq!(property_type("jsonb"), json!({"format": "jsonb"}));
        assert_eq!(
            property_type("real[]"),
            json!({"type": "array", "format": "real[]",
                   "items": {"type": "number", "format": "real"}})
        );
        assert_eq!(
            property_type("numeric(10,2)"),
            json!({"type": "number", "format": "numeric(10,2)"})
        );
    }
}
