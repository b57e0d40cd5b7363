//! The OpenAPI document for the ai-chat fixture cache (tests/fixtures/ai_chat_cache.json).

use appctl_rest::SchemaCache;
use appctl_rest::openapi::{self, Server};

#[test]
fn ai_chat_document() {
    let cache = SchemaCache::from_json(include_str!("fixtures/ai_chat_cache.json"))
        .expect("the fixture loads");
    let doc = openapi::document(
        &cache,
        "public",
        &Server {
            host: Some("localhost:54321"),
            base_path: "/rest/v1",
            scheme: "http",
        },
    );
    assert_eq!(doc["swagger"], "2.0");
    // The fixture's tables and functions all appear.
    for t in &cache.tables {
        assert!(doc["definitions"].get(&t.name).is_some(), "{}", t.name);
        assert!(
            doc["paths"].get(format!("/{}", t.name)).is_some(),
            "{}",
            t.name
        );
    }
    for f in &cache.functions {
        let path = &doc["paths"][format!("/rpc/{}", f.name)];
        assert!(path.get("post").is_some(), "{}", f.name);
        assert_eq!(path.get("get").is_some(), f.allows_get(), "{}", f.name);
    }
    insta::assert_snapshot!(serde_json::to_string_pretty(&doc).unwrap());
}
