//! Hostile input, property-style without a framework: hundreds of generated strings (quotes,
//! semicolons, comments, dollar quotes, casts, parentheses, unicode, each carrying a marker) in
//! every place a request puts a value or a name.
//!
//! - In a value position (filters, lists, logic trees, JSON keys, full-text configs, bodies, RPC
//!   arguments) the statement builds or is refused with a 4xx, and the marker never appears in
//!   the SQL text: values travel only as parameters.
//! - In a name position (select, order, filter keys, embeds, columns, on_conflict, tables,
//!   functions) the request is refused with a 4xx: names come from the schema cache.

use appctl_rest::build::{self, RpcArgs, Shape, Statement};
use appctl_rest::parse::{Preferences, QueryParams};
use appctl_rest::{ApiError, SchemaCache};
use serde_json::json;

const MARKER: &str = "PWNED";

/// (method, target, query pairs, Prefer, body)
type Case<'a> = (
    &'a str,
    &'a str,
    Vec<(String, String)>,
    &'a str,
    serde_json::Value,
);
/// (method, target, query pairs, body)
type NameCase<'a> = (&'a str, &'a str, Vec<(String, String)>, serde_json::Value);

fn cache() -> SchemaCache {
    SchemaCache::from_json(include_str!("fixtures/ai_chat_cache.json")).expect("the fixture loads")
}

/// Every pair of fragments around the marker, plus whole attacks.
fn hostile_strings() -> Vec<String> {
    let fragments = [
        "'",
        "\"",
        "''",
        "\\",
        "\\\"",
        ";",
        "--",
        "/*",
        "*/",
        "$$",
        "$1",
        "::text",
        ")",
        "(",
        ",",
        ".",
        "->",
        "->>",
        "*",
        "%",
        "{",
        "}",
        "[",
        " ",
        "\n",
        "é",
        "\u{202e}",
        "or 1=1",
        "union select",
    ];
    let mut out = Vec::new();
    for a in fragments {
        for b in fragments {
            out.push(format!("{a}{MARKER}{b}"));
        }
    }
    for attack in [
        "'); DROP TABLE threads; --",
        "\"; DROP TABLE threads; --",
        "1) OR (1=1",
        "x' || pg_sleep(10) || '",
        "$$ || (select current_user) || $$",
        "E'\\x27'",
        "1 UNION SELECT password FROM auth.users",
        "\") from threads; select (\"",
    ] {
        out.push(format!("{attack}{MARKER}"));
    }
    out
}

fn run(
    method: &str,
    target: &str,
    query: &[(String, String)],
    prefer: &str,
    body: serde_json::Value,
) -> Result<Statement, ApiError> {
    let cache = cache();
    let rpc_arg_names: Vec<String> = cache
        .functions
        .iter()
        .filter(|f| f.name == target)
        .flat_map(|f| f.args.iter().map(|a| a.name.clone()))
        .collect();
    let is_arg = |k: &str| method == "RPCGET" && rpc_arg_names.iter().any(|a| a == k);
    let params = QueryParams::parse(query, &is_arg)?;
    let prefs = Preferences::parse([prefer])?;
    let shape = Shape::from_preferences(&prefs, false);
    match method {
        "GET" => build::read(&cache, "public", target, &params, shape),
        "POST" => build::insert(&cache, "public", target, &params, &prefs, shape, &body),
        "PATCH" => build::update(&cache, "public", target, &params, &prefs, shape, &body),
        "DELETE" => build::delete(&cache, "public", target, &params, &prefs, shape),
        "RPC" => build::rpc(
            &cache,
            "public",
            target,
            &params,
            &prefs,
            shape,
            RpcArgs::Body(&body),
        ),
        "RPCGET" => build::rpc(
            &cache,
            "public",
            target,
            &params,
            &prefs,
            shape,
            RpcArgs::Query(&params.rpc_args),
        ),
        _ => unreachable!(),
    }
}

fn q(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// A value inside `"..."` of a list or logic tree, escaped as postgrest-js escapes it.
fn quoted(value: &str) -> String {
    format!("\"{}\"", value.replace('\\', "\\\\").replace('"', "\\\""))
}

fn assert_value_safe(what: &str, h: &str, result: Result<Statement, ApiError>) -> bool {
    match result {
        Ok(statement) => {
            assert!(
                !statement.sql.contains(MARKER),
                "{what} with {h:?} reached the SQL text:\n{}",
                statement.sql
            );
            assert!(
                statement.params.iter().any(|p| p.as_str().contains(MARKER)),
                "{what} with {h:?}: the value is not among the parameters"
            );
            true
        }
        Err(e) => {
            assert!((400..500).contains(&e.status), "{what} with {h:?}: {e}");
            false
        }
    }
}

#[test]
fn values_are_only_ever_parameters() {
    let mut built = 0;
    let mut refused = 0;
    let all = hostile_strings();
    assert!(all.len() > 800);
    for h in &all {
        let hq = quoted(h);
        let cases: Vec<Case> = vec![
            (
                "GET",
                "threads",
                q(&[("title", &format!("eq.{h}"))]),
                "",
                json!(null),
            ),
            (
                "GET",
                "threads",
                q(&[("title", &format!("not.ilike.{h}"))]),
                "",
                json!(null),
            ),
            (
                "GET",
                "threads",
                q(&[("title", &format!("in.({hq},x)"))]),
                "",
                json!(null),
            ),
            (
                "GET",
                "threads",
                q(&[("or", &format!("(title.eq.{hq},model.neq.{hq})"))]),
                "",
                json!(null),
            ),
            (
                "GET",
                "threads",
                q(&[("and", &format!("(title.fts.{hq})"))]),
                "",
                json!(null),
            ),
            (
                "GET",
                "messages",
                q(&[("metadata->>kind", &format!("eq.{h}"))]),
                "",
                json!(null),
            ),
            (
                "GET",
                "messages",
                q(&[(&format!("metadata->{hq}->>x"), "eq.1")]),
                "",
                json!(null),
            ),
            (
                "GET",
                "messages",
                q(&[("select", &format!("id,x:metadata->>{hq}"))]),
                "",
                json!(null),
            ),
            (
                "GET",
                "messages",
                q(&[("order", &format!("metadata->{hq}.desc"))]),
                "",
                json!(null),
            ),
            (
                "GET",
                "chunks",
                q(&[("content", &format!("wfts(english).{h}"))]),
                "",
                json!(null),
            ),
            (
                "GET",
                "messages",
                q(&[("embedding", &format!("cs.{h}"))]),
                "",
                json!(null),
            ),
            (
                "GET",
                "threads",
                q(&[("title", &format!("like(any).{h}"))]),
                "",
                json!(null),
            ),
            (
                "GET",
                "threads",
                q(&[
                    ("select", "id,messages(id)"),
                    ("messages.content", &format!("eq.{h}")),
                ]),
                "",
                json!(null),
            ),
            (
                "POST",
                "threads",
                q(&[]),
                "return=representation",
                json!({"title": h}),
            ),
            (
                "POST",
                "threads",
                q(&[]),
                "missing=default",
                json!([{"title": h, "model": h}]),
            ),
            (
                "PATCH",
                "threads",
                q(&[("id", &format!("eq.{h}"))]),
                "",
                json!({"title": h}),
            ),
            (
                "DELETE",
                "threads",
                q(&[("title", &format!("is.{h}"))]),
                "",
                json!(null),
            ),
            ("RPC", "message_count", q(&[]), "", json!({"thread": h})),
            (
                "RPCGET",
                "thread_stats",
                q(&[("since", h.as_str())]),
                "",
                json!(null),
            ),
            (
                "RPC",
                "ingest",
                q(&[]),
                "params=single-object",
                json!({"x": h}),
            ),
        ];
        for (method, target, query, prefer, body) in cases {
            let what = format!("{method} {target} {query:?}");
            if assert_value_safe(&what, h, run(method, target, &query, prefer, body)) {
                built += 1;
            } else {
                refused += 1;
            }
        }
    }
    // Most of these are legitimate values and must build; the rest are malformed syntax.
    assert!(built > refused * 3, "built {built}, refused {refused}");
}

#[test]
fn names_are_refused_unless_the_cache_has_them() {
    for h in hostile_strings() {
        let hq = quoted(&h);
        let cases: Vec<NameCase> = vec![
            ("GET", "threads", q(&[("select", &h)]), json!(null)),
            ("GET", "threads", q(&[("select", &hq)]), json!(null)),
            (
                "GET",
                "threads",
                q(&[("select", &format!("id,{hq}(id)"))]),
                json!(null),
            ),
            (
                "GET",
                "threads",
                q(&[("select", &format!("id,messages!{hq}(id)"))]),
                json!(null),
            ),
            (
                "GET",
                "threads",
                q(&[("select", &format!("id::{h}"))]),
                json!(null),
            ),
            ("GET", "threads", q(&[("order", &h)]), json!(null)),
            (
                "GET",
                "threads",
                q(&[("order", &format!("{hq}.desc"))]),
                json!(null),
            ),
            ("GET", "threads", q(&[(h.as_str(), "eq.1")]), json!(null)),
            (
                "GET",
                "threads",
                q(&[("or", &format!("({hq}.eq.1)"))]),
                json!(null),
            ),
            ("GET", &h, q(&[]), json!(null)),
            ("POST", "threads", q(&[]), json!({ h.clone(): 1 })),
            (
                "POST",
                "threads",
                q(&[("columns", &hq)]),
                json!({"title": "x"}),
            ),
            ("PATCH", "threads", q(&[]), json!({ h.clone(): 1 })),
            ("RPC", &h, q(&[]), json!({})),
            ("RPC", "message_count", q(&[]), json!({ h.clone(): 1 })),
        ];
        for (method, target, query, body) in cases {
            let result = run(method, target, &query, "", body);
            let what = format!("{method} {target:?} {query:?}");
            match result {
                Err(e) => assert!((400..500).contains(&e.status), "{what}: {e}"),
                Ok(statement) => panic!("{what} built:\n{}", statement.sql),
            }
        }
        let upsert = run(
            "POST",
            "tags",
            &q(&[("on_conflict", &hq)]),
            "resolution=merge-duplicates",
            json!({"name": "x"}),
        );
        assert!(upsert.is_err_and(|e| (400..500).contains(&e.status)));
    }
}

#[test]
fn output_names_from_json_keys_are_quoted() {
    // Without an alias the output is named after the last JSON key, as in PostgREST: a name,
    // written quoted.
    let statement = run(
        "GET",
        "messages",
        &q(&[("select", r#"metadata->>"a\" from x; --""#)]),
        "",
        json!(null),
    )
    .unwrap();
    assert!(
        statement.sql.contains(r#"AS "a"" from x; --""#),
        "{}",
        statement.sql
    );
}

#[test]
fn aliases_are_quoted_with_their_quotes_doubled() {
    let statement = run(
        "GET",
        "threads",
        &q(&[("select", r#""x\" from auth.users; --":title"#)]),
        "",
        json!(null),
    )
    .unwrap();
    assert!(
        statement
            .sql
            .contains(r#""threads"."title" AS "x"" from auth.users; --""#),
        "{}",
        statement.sql
    );
}
