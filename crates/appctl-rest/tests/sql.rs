//! Rendered SQL for representative requests against the ai-chat template's schema cache
//! (tests/fixtures/ai_chat_cache.json, what the loader returns for tests/fixtures/ai_chat.sql).
//!
//! Each snapshot holds the statement and its parameters. Setting `APPCTL_REST_SQL_DUMP=<dir>`
//! also writes each statement there as `PREPARE ... (text, ...)` + `EXECUTE`, so it can be run
//! against a database made from ai_chat.sql with the parameters typed `text`, as the server binds
//! them.

use appctl_rest::build::{self, RpcArgs, Shape, Statement};
use appctl_rest::parse::{Preferences, QueryParams};
use appctl_rest::{ApiError, SchemaCache};
use serde_json::{Value, json};

fn cache() -> SchemaCache {
    SchemaCache::from_json(include_str!("fixtures/ai_chat_cache.json")).expect("the fixture loads")
}

fn pairs(query: &[(&str, &str)]) -> Vec<(String, String)> {
    query
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

enum Call {
    Get,
    GetOne,
    Post(Value),
    Patch(Value),
    Delete,
    Rpc(Value),
    RpcGet,
}

fn build(
    call: Call,
    target: &str,
    query: &[(&str, &str)],
    prefer: &str,
) -> Result<Statement, ApiError> {
    let cache = cache();
    let pairs = pairs(query);
    let rpc_args: Vec<String> = cache
        .functions
        .iter()
        .filter(|f| f.name == target)
        .flat_map(|f| f.args.iter().map(|a| a.name.clone()))
        .collect();
    let is_arg = |k: &str| matches!(call, Call::RpcGet) && rpc_args.iter().any(|a| a == k);
    let query = QueryParams::parse(&pairs, &is_arg)?;
    let prefs = Preferences::parse([prefer])?;
    let shape = Shape::from_preferences(&prefs, matches!(call, Call::GetOne));
    match call {
        Call::Get | Call::GetOne => build::read(&cache, "public", target, &query, shape),
        Call::Post(body) => build::insert(&cache, "public", target, &query, &prefs, shape, &body),
        Call::Patch(body) => build::update(&cache, "public", target, &query, &prefs, shape, &body),
        Call::Delete => build::delete(&cache, "public", target, &query, &prefs, shape),
        Call::Rpc(body) => build::rpc(
            &cache,
            "public",
            target,
            &query,
            &prefs,
            shape,
            RpcArgs::Body(&body),
        ),
        Call::RpcGet => build::rpc(
            &cache,
            "public",
            target,
            &query,
            &prefs,
            shape,
            RpcArgs::Query(&query.rpc_args),
        ),
    }
}

/// The statement for reading: SQL broken before its main clauses (display only), then `$n = value`.
fn render(name: &str, statement: &Statement) -> String {
    dump(name, statement);
    let mut sql = statement.sql.clone();
    for keyword in [
        " FROM (",
        " LEFT JOIN LATERAL",
        " WHERE ",
        " ORDER BY ",
        " RETURNING ",
        " ON CONFLICT",
    ] {
        sql = sql.replace(keyword, &format!("\n {}", keyword.trim_start()));
    }
    let mut out = sql;
    out.push_str("\n---\n");
    for (i, p) in statement.params.iter().enumerate() {
        out.push_str(&format!("${} = {:?}\n", i + 1, p.as_str()));
    }
    out
}

fn dump(name: &str, statement: &Statement) {
    let Ok(dir) = std::env::var("APPCTL_REST_SQL_DUMP") else {
        return;
    };
    let types = vec!["text"; statement.params.len()].join(", ");
    let args = statement
        .params
        .iter()
        .map(|p| format!("'{}'", p.as_str().replace('\'', "''")))
        .collect::<Vec<_>>()
        .join(", ");
    let (types, args) = if statement.params.is_empty() {
        (String::new(), String::new())
    } else {
        (format!("({types})"), format!("({args})"))
    };
    let text = format!(
        "PREPARE \"{name}\"{types} AS {};\nEXECUTE \"{name}\"{args};\nDEALLOCATE \"{name}\";\n",
        statement.sql
    );
    std::fs::write(format!("{dir}/{name}.sql"), text).expect("the dump directory is writable");
}

macro_rules! snap {
    ($name:literal, $call:expr, $target:literal, $query:expr) => {
        snap!($name, $call, $target, $query, "")
    };
    ($name:literal, $call:expr, $target:literal, $query:expr, $prefer:literal) => {
        let statement = build($call, $target, &$query, $prefer).expect("the request builds");
        insta::assert_snapshot!($name, render($name, &statement));
    };
}

#[test]
fn reads() {
    snap!("select_star", Call::Get, "threads", []);
    snap!(
        "select_columns_alias_cast_json",
        Call::Get,
        "messages",
        [
            (
                "select",
                "id,body:content,tokens::text,kind:metadata->>kind,metadata->tags->0"
            ),
            ("metadata->>kind", "eq.note"),
        ]
    );
    snap!(
        "filters_every_operator",
        Call::Get,
        "messages",
        [
            ("select", "id"),
            ("id", "gt.1"),
            ("tokens", "lte.100"),
            ("role", "in.(user,assistant)"),
            ("content", "ilike.*hello*"),
            ("content", "not.match.^bye"),
            ("reply_to", "is.null"),
            ("embedding", "ov.{1,2}"),
            ("metadata", "cs.{\"pinned\":true}"),
            ("created_at", "isdistinct.2024-01-01"),
            ("content", "like(any).{a*,b*}"),
        ]
    );
    snap!(
        "full_text_search",
        Call::Get,
        "chunks",
        [
            ("select", "id,content"),
            ("fts", "wfts(english).cat -dog"),
            ("content", "plfts.fat rats"),
        ]
    );
    snap!(
        "logic_trees",
        Call::Get,
        "threads",
        [
            ("select", "id,title"),
            (
                "or",
                "(title.ilike.*rust*,and(model.eq.gpt-4o,not.or(title.is.null,title.eq.\"a,b\")))"
            ),
            (
                "not.and",
                "(created_at.lt.2024-01-01,updated_at.lt.2024-01-01)"
            ),
        ]
    );
    snap!(
        "order_limit_offset",
        Call::Get,
        "threads",
        [
            ("select", "id,title"),
            ("order", "updated_at.desc.nullslast,title.asc"),
            ("limit", "20"),
            ("offset", "40"),
        ]
    );
    snap!(
        "single_object_with_count",
        Call::GetOne,
        "threads",
        [("id", "eq.8d4f1c39-4a0a-4c39-9f6e-2a0f6d2f0b11")],
        "count=exact"
    );
}

#[test]
fn embeds() {
    snap!(
        "embed_one_to_many_with_filter_order_limit",
        Call::Get,
        "threads",
        [
            ("select", "id,title,messages(id,role,content)"),
            ("messages.role", "eq.user"),
            ("messages.order", "created_at.desc"),
            ("messages.limit", "20"),
        ]
    );
    snap!(
        "embed_many_to_one_aliased",
        Call::Get,
        "messages",
        [("select", "id,thread:threads(id,title)")]
    );
    snap!(
        "embed_inner_and_nested",
        Call::Get,
        "threads",
        [
            ("select", "id,messages!inner(id,tool_calls(tool,status))"),
            ("messages.tool_calls.status", "eq.failed"),
        ],
        "count=exact"
    );
    snap!(
        "embed_many_to_many",
        Call::Get,
        "threads",
        [("select", "id,tags(name)"), ("tags.name", "eq.work")]
    );
    snap!(
        "embed_by_fk_name",
        Call::Get,
        "thread_links",
        [(
            "select",
            "id,from:threads!thread_links_from_fkey(title),to:threads!to_thread(title)"
        )]
    );
    snap!(
        "embed_self_reference_hinted",
        Call::Get,
        "messages",
        [(
            "select",
            "id,parent:messages!reply_to(id,content),replies:messages!messages_reply_to_fkey(id)"
        )]
    );
    snap!(
        "embed_null_filter_and_related_order",
        Call::Get,
        "messages",
        [
            ("select", "id,threads(title),tool_calls()"),
            ("tool_calls", "not.is.null"),
            ("order", "threads(title).asc"),
        ]
    );
}

#[test]
fn writes() {
    snap!(
        "insert_one_representation",
        Call::Post(json!({"title": "Hello", "model": "gpt-4o"})),
        "threads",
        [("select", "id,title")],
        "return=representation"
    );
    snap!(
        "insert_bulk_columns_missing_default",
        Call::Post(json!([
            {"thread_id": "8d4f1c39-4a0a-4c39-9f6e-2a0f6d2f0b11", "role": "user", "content": "hi"},
            {"thread_id": "8d4f1c39-4a0a-4c39-9f6e-2a0f6d2f0b11", "role": "assistant", "content": "hello", "tokens": 3}
        ])),
        "messages",
        [(
            "columns",
            "\"thread_id\",\"role\",\"content\",\"tokens\",\"metadata\""
        )],
        "missing=default,return=minimal"
    );
    snap!(
        "insert_empty_array_inserts_nothing",
        Call::Post(json!([])),
        "threads",
        [],
        "return=representation"
    );
    snap!(
        "insert_defaults_only",
        Call::Post(json!({})),
        "threads",
        [],
        "return=headers-only"
    );
    snap!(
        "upsert_merge_on_conflict",
        Call::Post(json!([{"name": "work"}, {"name": "home"}])),
        "tags",
        [("on_conflict", "name"), ("select", "*")],
        "resolution=merge-duplicates,return=representation"
    );
    snap!(
        "upsert_ignore_headers_only",
        Call::Post(json!({"id": 1, "name": "work"})),
        "tags",
        [],
        "resolution=ignore-duplicates,return=headers-only"
    );
    snap!(
        "update_with_filters_and_embed",
        Call::Patch(json!({"title": "Renamed"})),
        "threads",
        [
            ("id", "eq.8d4f1c39-4a0a-4c39-9f6e-2a0f6d2f0b11"),
            ("select", "id,title,messages(id)"),
        ],
        "return=representation"
    );
    snap!(
        "delete_with_filters",
        Call::Delete,
        "messages",
        [
            ("thread_id", "eq.8d4f1c39-4a0a-4c39-9f6e-2a0f6d2f0b11"),
            ("created_at", "lt.2024-01-01"),
        ]
    );
}

#[test]
fn rpc() {
    snap!(
        "rpc_setof_table_filtered_and_embedded",
        Call::Rpc(json!({"query_embedding": [0.1, 0.2], "match_count": 3})),
        "match_chunks",
        [
            ("select", "id,content,documents(title)"),
            ("position", "gte.0"),
            ("limit", "2"),
        ]
    );
    snap!(
        "rpc_returns_table_get",
        Call::RpcGet,
        "thread_stats",
        [("since", "2024-01-01"), ("order", "messages.desc")]
    );
    snap!(
        "rpc_scalar",
        Call::Rpc(json!({"thread": "8d4f1c39-4a0a-4c39-9f6e-2a0f6d2f0b11"})),
        "message_count",
        []
    );
    snap!(
        "rpc_void",
        Call::Rpc(json!({"thread": "8d4f1c39-4a0a-4c39-9f6e-2a0f6d2f0b11"})),
        "touch_thread",
        []
    );
    snap!(
        "rpc_single_object",
        Call::Rpc(json!({"document": "x", "chunks": [1, 2]})),
        "ingest",
        [],
        "params=single-object"
    );
}

fn error_of(call: Call, target: &str, query: &[(&str, &str)], prefer: &str) -> ApiError {
    build(call, target, query, prefer).expect_err("an error")
}

#[test]
fn schema_cache_errors() {
    let e = error_of(Call::Get, "nope", &[], "");
    assert_eq!((e.status, e.code.as_str()), (404, "PGRST205"));

    let e = error_of(Call::Get, "threads", &[("select", "id,nope")], "");
    assert_eq!((e.status, e.code.as_str()), (400, "42703"));
    assert_eq!(e.message, "column threads.nope does not exist");

    let e = error_of(Call::Get, "threads", &[("nope", "eq.1")], "");
    assert_eq!(e.code, "42703");
    let e = error_of(Call::Get, "threads", &[("order", "nope.desc")], "");
    assert_eq!(e.code, "42703");
    let e = error_of(Call::Get, "threads", &[("select", "id,messages(nope)")], "");
    assert_eq!(e.message, "column messages.nope does not exist");

    let e = error_of(Call::Get, "threads", &[("select", "id,documents(id)")], "");
    assert_eq!((e.status, e.code.as_str()), (400, "PGRST200"));
    let e = error_of(
        Call::Get,
        "threads",
        &[("select", "id,messages!nope(id)")],
        "",
    );
    assert_eq!(e.code, "PGRST200");

    let e = error_of(
        Call::Get,
        "thread_links",
        &[("select", "id,threads(id)")],
        "",
    );
    assert_eq!((e.status, e.code.as_str()), (300, "PGRST201"));
    let details = e.details.expect("candidates");
    assert_eq!(details.as_array().map(Vec::len), Some(2), "{details}");
    assert!(e.hint.unwrap().contains("'threads!thread_links_from_fkey'"));
    let e = error_of(Call::Get, "messages", &[("select", "id,messages(id)")], "");
    assert_eq!(
        e.code, "PGRST201",
        "a self reference is ambiguous without a hint"
    );

    let e = error_of(Call::Get, "threads", &[("messages.role", "eq.user")], "");
    assert_eq!((e.status, e.code.as_str()), (400, "PGRST108"));
    let e = error_of(
        Call::Get,
        "threads",
        &[("select", "id,messages(id)"), ("messages", "eq.1")],
        "",
    );
    assert_eq!(e.code, "PGRST120");
    let e = error_of(
        Call::Get,
        "threads",
        &[("select", "id,messages(id)"), ("order", "messages(id)")],
        "",
    );
    assert_eq!(e.code, "PGRST118");

    let e = error_of(Call::Post(json!({"nope": 1})), "threads", &[], "");
    assert_eq!((e.status, e.code.as_str()), (400, "PGRST204"));
    let e = error_of(
        Call::Post(json!({"title": "x"})),
        "threads",
        &[("columns", "title,nope")],
        "",
    );
    assert_eq!(e.code, "PGRST204");
    let e = error_of(
        Call::Post(json!([{"title": "a"}, {"model": "b"}])),
        "threads",
        &[],
        "",
    );
    assert_eq!((e.status, e.code.as_str()), (400, "PGRST102"));
    let e = error_of(Call::Post(json!("text")), "threads", &[], "");
    assert_eq!(e.code, "PGRST102");
    let e = error_of(
        Call::Post(json!({"name": "x"})),
        "tags",
        &[("on_conflict", "nope")],
        "resolution=merge-duplicates",
    );
    assert_eq!(e.code, "PGRST204");

    let e = error_of(Call::Rpc(json!({"nope": 1})), "message_count", &[], "");
    assert_eq!((e.status, e.code.as_str()), (404, "PGRST202"));
    let e = error_of(Call::Rpc(json!({})), "nope", &[], "");
    assert_eq!(e.code, "PGRST202");
    let e = error_of(
        Call::Rpc(json!({"thread": "x"})),
        "message_count",
        &[("id", "eq.1")],
        "",
    );
    assert_eq!(e.code, "PGRST100");
}

#[test]
fn every_statement_answers_the_same_three_columns() {
    let s = build(Call::Get, "threads", &[], "").unwrap();
    assert!(s.sql.contains("AS total_result_set"));
    assert!(s.sql.contains("AS page_total"));
    assert!(s.sql.ends_with("AS \"pgrst_t\""));
}

#[test]
fn a_planned_count_explains_what_the_read_would_count() {
    let cache = cache();
    let pairs = pairs(&[
        ("select", "id,messages!inner(id)"),
        ("title", "like.a*"),
        ("messages.role", "eq.user"),
        ("limit", "5"),
    ]);
    let query = QueryParams::parse(&pairs, &|_| false).unwrap();
    let statement = build::planned_count(&cache, "public", "threads", &query).unwrap();
    assert!(
        statement
            .sql
            .starts_with("EXPLAIN (FORMAT JSON) SELECT 1 FROM (")
    );
    assert!(!statement.sql.contains("LIMIT"), "{}", statement.sql);
    insta::assert_snapshot!("planned_count", render("planned_count", &statement));
    assert_eq!(
        build::plan_rows(&json!([{"Plan": {"Node Type": "Seq Scan", "Plan Rows": 1234}}])),
        Some(1234)
    );
    assert_eq!(build::plan_rows(&json!({"not": "a plan"})), None);
}
