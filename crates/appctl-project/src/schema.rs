//! The JSON Schema of `appctl.yaml`, generated from [`super::file`], and the structural check of a
//! document against it.
//!
//! The same schema is checked in as `schemas/appctl.schema.json` for editors (yaml-language-server), so
//! what an editor underlines and what `appctl validate` reports come from one definition. jsonschema
//! reports every violation at once; this module words each one for people (with "did you mean").

use std::sync::OnceLock;

use jsonschema::error::{TypeKind, ValidationErrorKind};
use serde_json::Value;

use super::diagnostic::Finding;
use super::file::ProjectFile;
use super::suggest::did_you_mean;
use super::yaml::{DocPath, Segment};

/// Where the published schema lives, for the editor modeline `init` writes.
pub const SCHEMA_URL: &str =
    "https://raw.githubusercontent.com/appctl/appctl/main/schemas/appctl.schema.json";

/// The JSON Schema of the project file.
pub fn json_schema() -> Value {
    let schema = schemars::schema_for!(ProjectFile);
    serde_json::to_value(schema).expect("a generated schema is valid JSON")
}

/// The schema as checked in: pretty JSON with a trailing newline.
pub fn json_schema_text() -> String {
    let mut text = serde_json::to_string_pretty(&json_schema()).expect("schema serializes");
    text.push('\n');
    text
}

fn schema() -> &'static Value {
    static SCHEMA: OnceLock<Value> = OnceLock::new();
    SCHEMA.get_or_init(json_schema)
}

fn validator() -> &'static jsonschema::Validator {
    static VALIDATOR: OnceLock<jsonschema::Validator> = OnceLock::new();
    VALIDATOR
        .get_or_init(|| jsonschema::validator_for(schema()).expect("the generated schema compiles"))
}

/// Every structural problem of `document`: unknown keys, missing keys, wrong types, unknown values.
pub fn check(document: &Value) -> Vec<Finding> {
    if document.is_null() {
        return vec![
            Finding::error("empty", DocPath::root(), "the project file is empty")
                .hint("start with `version: 1` and `project: NAME`, or run `appctl init`"),
        ];
    }
    let mut findings = Vec::new();
    collect(validator(), document, &DocPath::root(), &mut findings);
    if findings.is_empty() {
        check_numbers(document, &DocPath::root(), &mut findings);
    }
    findings
}

/// Numbers the schema accepts but the file's model cannot hold. JSON Schema counts `1.0` as an integer
/// and does not enforce `format: uint32`, while reading the file needs a whole number that fits: without
/// this, `version: 1.0` passed every check and then failed as an internal error.
fn check_numbers(value: &Value, path: &DocPath, findings: &mut Vec<Finding>) {
    match value {
        Value::Object(map) => {
            for (key, item) in map {
                check_numbers(item, &path.key(key.clone()), findings);
            }
        }
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                check_numbers(item, &path.index(i), findings);
            }
        }
        Value::Number(number) => {
            if let Some(finding) = unfit_number(path, number) {
                findings.push(finding);
            }
        }
        _ => {}
    }
}

fn unfit_number(path: &DocPath, number: &serde_json::Number) -> Option<Finding> {
    let nodes = schema_nodes_at(path);
    if nodes.iter().any(|node| has_type(node, "number")) {
        return None;
    }
    let max = nodes
        .iter()
        .filter(|node| has_type(node, "integer"))
        .filter_map(|node| match node.get("format").and_then(Value::as_str) {
            Some("uint32") => Some(u64::from(u32::MAX)),
            Some("uint64") => Some(u64::MAX),
            _ => None,
        })
        .max()?;
    let too_large = |what: String| {
        Finding::error(
            "range",
            path.clone(),
            format!("{what} is more than the maximum {max}"),
        )
    };
    if let Some(n) = number.as_u64() {
        return (n > max).then(|| too_large(format!("`{n}`")));
    }
    let float = number.as_f64()?;
    if float.fract() != 0.0 || float < 0.0 {
        return None; // not an integer for JSON Schema either: reported already
    }
    if float > max as f64 {
        return Some(too_large("the number".to_string()));
    }
    Some(
        Finding::error(
            "type",
            path.clone(),
            format!("expected a whole number, found `{number}`"),
        )
        .hint(format!("write `{}` without a decimal point", float as u64)),
    )
}

fn collect(
    validator: &jsonschema::Validator,
    instance: &Value,
    prefix: &DocPath,
    findings: &mut Vec<Finding>,
) {
    for error in validator.iter_errors(instance) {
        let fallback_message = error.to_string();
        let parts = error.into_parts();
        let relative = DocPath::from_pointer(parts.instance_path.as_str(), instance);
        let path = join(prefix, &relative);
        let value = parts.instance.as_ref();
        match parts.kind {
            ValidationErrorKind::AdditionalProperties { unexpected } => {
                let allowed = allowed_keys(&path);
                for key in unexpected {
                    findings.push(unknown_key(&path, key, &allowed));
                }
            }
            ValidationErrorKind::Required { property } => {
                let key = property.as_str().unwrap_or_default().to_string();
                let what = if path.is_root() {
                    "the project file".to_string()
                } else {
                    format!("`{path}`")
                };
                let hint = match (path.is_root(), key.as_str()) {
                    (false, "where") => {
                        "add `where:` with an SQL condition, or write the role alone, e.g. `users`"
                            .to_string()
                    }
                    (true, "version") => "add `version: 1`".to_string(),
                    (true, "project") => {
                        "add `project: NAME`, e.g. `project: acme-chat`".to_string()
                    }
                    _ => format!("add `{key}:`"),
                };
                findings.push(
                    Finding::error("missing-key", path.clone(), format!("{what} needs `{key}`"))
                        .at_key()
                        .hint(hint),
                );
            }
            ValidationErrorKind::AnyOf { .. } | ValidationErrorKind::OneOfNotValid { .. } => {
                // When one alternative has the value's shape (a mapping, say), its errors say more than
                // "matches none of the alternatives": report those.
                match branch_of_same_type(&path, value) {
                    Some(branch) => {
                        let sub = jsonschema::validator_for(&branch)
                            .expect("a branch of the generated schema compiles");
                        collect(&sub, value, &path, findings);
                    }
                    None => findings.push(wrong_type(&path, value)),
                }
            }
            ValidationErrorKind::Type { kind } => {
                let types: Vec<String> = match kind {
                    TypeKind::Single(t) => vec![t.to_string()],
                    TypeKind::Multiple(set) => set.iter().map(|t| t.to_string()).collect(),
                };
                // `null` is allowed for optional keys, but "expected nothing or text" helps nobody.
                let mut types: Vec<&str> = types.iter().map(String::as_str).collect();
                if types.len() > 1 {
                    types.retain(|t| *t != "null");
                }
                findings.push(type_mismatch(&path, &types, value));
            }
            ValidationErrorKind::Enum { options } => {
                let options: Vec<String> = options
                    .as_array()
                    .map(|o| {
                        o.iter()
                            .filter_map(|v| v.as_str().map(String::from))
                            .collect()
                    })
                    .unwrap_or_default();
                findings.push(unknown_value(&path, value, &options));
            }
            ValidationErrorKind::Pattern { .. } if path == DocPath::root().key("project") => {
                findings.push(
                    Finding::error(
                        "project-name",
                        path.clone(),
                        format!("{} is not a valid project name", describe_value(value)),
                    )
                    .hint("use lowercase letters, digits and dashes, starting with a letter, at most 40 characters, e.g. `acme-chat`"),
                );
            }
            ValidationErrorKind::Minimum { limit } => {
                findings.push(Finding::error(
                    "range",
                    path.clone(),
                    format!("{} is less than the minimum {limit}", describe_value(value)),
                ));
            }
            ValidationErrorKind::Maximum { limit } => {
                findings.push(Finding::error(
                    "range",
                    path.clone(),
                    format!("{} is more than the maximum {limit}", describe_value(value)),
                ));
            }
            _ => findings.push(Finding::error("schema", path.clone(), fallback_message)),
        }
    }
}

fn join(prefix: &DocPath, relative: &DocPath) -> DocPath {
    let mut path = prefix.clone();
    for segment in relative.segments() {
        path = match segment {
            Segment::Key(key) => path.key(key.clone()),
            Segment::Index(index) => path.index(*index),
        };
    }
    path
}

fn unknown_key(path: &DocPath, key: String, allowed: &[String]) -> Finding {
    let where_ = if path.is_root() {
        "at the top level".to_string()
    } else {
        format!("in `{path}`")
    };
    let finding = Finding::error(
        "unknown-key",
        path.key(key.clone()),
        format!("unknown key `{key}` {where_}"),
    )
    .at_key();
    if key == "<<" {
        return finding.hint(
            "merge keys (`<<: *anchor`) are not part of YAML 1.2, which appctl reads: write the keys, or alias the whole mapping",
        );
    }
    // `{ type: numeric(12,2) }`: in a flow mapping the comma ends the value and `2)` becomes a key.
    if key.contains(')') && !key.contains('(') {
        return finding.hint(
            "in `{ ... }` a comma ends a value: quote a value that holds one, e.g. `type: \"numeric(12,2)\"`",
        );
    }
    match did_you_mean(&key, allowed.iter().map(String::as_str)) {
        Some(suggestion) => finding.hint(format!("did you mean `{suggestion}`?")),
        None if !allowed.is_empty() => {
            finding.hint(format!("allowed keys: {}", allowed.join(", ")))
        }
        None => finding,
    }
}

fn unknown_value(path: &DocPath, value: &Value, options: &[String]) -> Finding {
    let finding = Finding::error(
        "unknown-value",
        path.clone(),
        format!(
            "{} is not one of: {}",
            describe_value(value),
            options.join(", ")
        ),
    );
    match value
        .as_str()
        .and_then(|v| did_you_mean(v, options.iter().map(String::as_str)))
    {
        Some(suggestion) => finding.hint(format!("did you mean `{suggestion}`?")),
        None => finding,
    }
}

fn wrong_type(path: &DocPath, value: &Value) -> Finding {
    let nodes = schema_nodes_at(path);
    // An optional choice (`on_delete: cascde`) fails as "none of the alternatives": it is an unknown value.
    let options: Vec<String> = nodes
        .iter()
        .filter_map(|node| node.get("enum").and_then(Value::as_array))
        .flatten()
        .filter_map(|option| option.as_str().map(String::from))
        .collect();
    let only_choices = nodes.iter().all(|node| node.get("enum").is_some());
    if value.is_string() && !options.is_empty() && only_choices {
        return unknown_value(path, value, &options);
    }
    // `max_file_size: -5` has the right kind, a number, but is out of its alternative's range.
    if let Some(number) = value.as_f64() {
        for node in nodes
            .iter()
            .filter(|node| has_type(node, "integer") || has_type(node, "number"))
        {
            let bound = |key| node.get(key).and_then(Value::as_f64);
            if let Some(minimum) = bound("minimum").filter(|m| number < *m) {
                return Finding::error(
                    "range",
                    path.clone(),
                    format!(
                        "{} is less than the minimum {minimum}",
                        describe_value(value)
                    ),
                );
            }
            if let Some(maximum) = bound("maximum").filter(|m| number > *m) {
                return Finding::error(
                    "range",
                    path.clone(),
                    format!(
                        "{} is more than the maximum {maximum}",
                        describe_value(value)
                    ),
                );
            }
        }
    }
    let expected = nodes
        .iter()
        .map(|node| describe_schema(node))
        .collect::<Vec<_>>()
        .join(" or ");
    let expected = if expected.is_empty() {
        "another kind of value".to_string()
    } else {
        expected
    };
    let types: Vec<&str> = nodes
        .iter()
        .filter_map(|node| node.get("type").and_then(Value::as_str))
        .collect();
    let finding = Finding::error(
        "type",
        path.clone(),
        format!("expected {expected}, found {}", describe_found(value)),
    );
    match type_hint(&types, value) {
        Some(hint) => finding.hint(hint),
        None => finding,
    }
}

/// A value of another JSON type than the schema's `types`.
fn type_mismatch(path: &DocPath, types: &[&str], value: &Value) -> Finding {
    let expected = types
        .iter()
        .map(|t| describe_type(t))
        .collect::<Vec<_>>()
        .join(" or ");
    let finding = Finding::error(
        "type",
        path.clone(),
        format!("expected {expected}, found {}", describe_found(value)),
    );
    let duration = matches!(
        path.segments().last(),
        Some(Segment::Key(key)) if key == "timeout" || key == "health_timeout"
    );
    match type_hint(types, value) {
        Some(hint) => finding.hint(hint),
        None if duration && value.is_number() => {
            finding.hint(format!("write a duration with its unit, e.g. `{value}s`"))
        }
        None => finding,
    }
}

/// What to do about the common mistakes behind a type mismatch: quotes around a number or boolean,
/// a list where a mapping belongs.
fn type_hint(types: &[&str], value: &Value) -> Option<String> {
    match value {
        Value::String(text) => {
            let parsed = resolve_plain(text);
            let fits = |t: &str| match t {
                "boolean" => parsed.is_boolean(),
                "integer" => parsed.is_i64() || parsed.is_u64(),
                "number" => parsed.is_number(),
                _ => false,
            };
            let yes_no = matches!(
                text.to_lowercase().as_str(),
                "yes" | "no" | "on" | "off" | "y" | "n"
            );
            if types.iter().any(|t| fits(t)) {
                Some(format!("remove the quotes: in YAML, \"{text}\" is text"))
            } else if types.contains(&"boolean") && yes_no {
                Some(format!(
                    "write `true` or `false`: appctl reads YAML 1.2, where `{text}` is text"
                ))
            } else if types.contains(&"array") {
                Some(format!("write a list, e.g. `[{text}]`"))
            } else {
                None
            }
        }
        Value::Array(_) if types.contains(&"object") => {
            Some("write its entries as `name: value`, not as `- ` list items".into())
        }
        Value::Null => Some("write a value after the `:`, or remove the key".into()),
        Value::Number(_) | Value::Bool(_) if types.contains(&"array") => {
            Some(format!("write a list, e.g. `[{value}]`"))
        }
        _ => None,
    }
}

/// What a plain (unquoted) YAML scalar with this text would be.
fn resolve_plain(text: &str) -> Value {
    match super::yaml::parse(text) {
        Ok((value, _)) if !value.is_object() && !value.is_array() => value,
        _ => Value::Null,
    }
}

/// A value found where another kind was expected: text is called text, so `"1"` does not read as a number.
fn describe_found(value: &Value) -> String {
    match value {
        Value::String(s) => format!("text `{s}`"),
        Value::Null => "no value".to_string(),
        other => describe_value(other),
    }
}

/// Follows `$ref` to `#/$defs/...` of the root schema.
fn resolve(node: &Value) -> &Value {
    let mut node = node;
    for _ in 0..16 {
        match node.get("$ref").and_then(Value::as_str) {
            Some(reference) => {
                let name = reference.trim_start_matches("#/$defs/");
                match schema().get("$defs").and_then(|defs| defs.get(name)) {
                    Some(target) => node = target,
                    None => break,
                }
            }
            None => break,
        }
    }
    node
}

/// The node and, for `anyOf`/`oneOf`, each of its alternatives, with references resolved.
fn alternatives(node: &Value) -> Vec<&Value> {
    let node = resolve(node);
    let branches = node
        .get("anyOf")
        .or_else(|| node.get("oneOf"))
        .and_then(Value::as_array);
    match branches {
        Some(branches) => branches.iter().flat_map(alternatives).collect(),
        None => vec![node],
    }
}

/// The schema nodes that describe the value at `path`.
fn schema_nodes_at(path: &DocPath) -> Vec<&'static Value> {
    let mut nodes = alternatives(schema());
    for segment in path.segments() {
        let mut next = Vec::new();
        for node in nodes {
            let child = match segment {
                Segment::Key(key) => node
                    .get("properties")
                    .and_then(|p| p.get(key))
                    .or_else(|| node.get("additionalProperties").filter(|a| a.is_object())),
                Segment::Index(_) => node.get("items"),
            };
            if let Some(child) = child {
                next.extend(alternatives(child));
            }
        }
        nodes = next;
    }
    // Null alternatives (from optional fields) say nothing useful unless they are all there is.
    let non_null: Vec<&Value> = nodes
        .iter()
        .copied()
        .filter(|n| n.get("type").and_then(Value::as_str) != Some("null"))
        .collect();
    if non_null.is_empty() { nodes } else { non_null }
}

fn allowed_keys(path: &DocPath) -> Vec<String> {
    let mut keys: Vec<String> = schema_nodes_at(path)
        .iter()
        .filter_map(|node| node.get("properties").and_then(Value::as_object))
        .flat_map(|props| props.keys().cloned())
        .collect();
    keys.dedup();
    keys
}

/// The alternative at `path` that has the same JSON type as `value`, when there is exactly one.
fn branch_of_same_type(path: &DocPath, value: &Value) -> Option<Value> {
    let kind = json_type(value);
    let matching: Vec<&Value> = schema_nodes_at(path)
        .into_iter()
        .filter(|node| node.get("type").and_then(Value::as_str) == Some(kind))
        .collect();
    if matching.len() != 1 || !matches!(kind, "object" | "array") {
        return None;
    }
    let mut branch = matching[0].clone();
    if let (Some(map), Some(defs)) = (branch.as_object_mut(), schema().get("$defs")) {
        map.insert("$defs".into(), defs.clone());
    }
    Some(branch)
}

/// Whether a schema node's `type` (one name or a list of names) includes `json_type`.
fn has_type(node: &Value, json_type: &str) -> bool {
    match node.get("type") {
        Some(Value::String(t)) => t == json_type,
        Some(Value::Array(types)) => types.iter().any(|t| t == json_type),
        _ => false,
    }
}

fn json_type(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

fn describe_type(json_type: &str) -> &'static str {
    match json_type {
        "object" => "a mapping",
        "array" => "a list",
        "string" => "text",
        "integer" => "a whole number",
        "number" => "a number",
        "boolean" => "true or false",
        "null" => "nothing",
        _ => "a value",
    }
}

fn describe_schema(node: &Value) -> String {
    if let Some(options) = node.get("enum").and_then(Value::as_array) {
        let names: Vec<String> = options
            .iter()
            .map(|o| match o.as_str() {
                Some(s) => format!("`{s}`"),
                None => o.to_string(),
            })
            .collect();
        return format!("one of {}", names.join(", "));
    }
    if let Some(constant) = node.get("const") {
        return format!(
            "`{}`",
            constant.as_str().map_or(constant.to_string(), String::from)
        );
    }
    match node.get("type") {
        Some(Value::String(t)) => describe_type(t).to_string(),
        Some(Value::Array(types)) => types
            .iter()
            .filter_map(Value::as_str)
            .filter(|t| *t != "null")
            .map(describe_type)
            .collect::<Vec<_>>()
            .join(" or "),
        _ => "a value".to_string(),
    }
}

/// A value as it reads in a message: text in backticks, other kinds by their kind.
pub fn describe_value(value: &Value) -> String {
    match value {
        Value::Null => "nothing".to_string(),
        Value::Bool(b) => format!("`{b}`"),
        Value::Number(n) => format!("`{n}`"),
        Value::String(s) => format!("`{s}`"),
        Value::Array(_) => "a list".to_string(),
        Value::Object(_) => "a mapping".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn findings(document: Value) -> Vec<(String, String, Option<String>)> {
        check(&document)
            .into_iter()
            .map(|f| (f.path.to_string(), f.message, f.hint))
            .collect()
    }

    fn project(tables: Value) -> Value {
        serde_json::json!({ "version": 1, "project": "demo", "tables": tables })
    }

    #[test]
    fn an_optional_choice_is_an_unknown_value_with_a_suggestion() {
        let document = project(serde_json::json!({
            "a": { "columns": { "id": { "type": "uuid", "on_delete": "cascde" } } }
        }));
        let found = findings(document);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].0, "tables.a.columns.id.on_delete");
        assert!(found[0].1.starts_with("`cascde` is not one of: no_action"));
        assert_eq!(found[0].2.as_deref(), Some("did you mean `cascade`?"));
    }

    #[test]
    fn quoted_numbers_and_yes_are_text() {
        let found = findings(serde_json::json!({ "version": "1", "project": "demo" }));
        assert_eq!(found[0].1, "expected a whole number, found text `1`");
        assert_eq!(
            found[0].2.as_deref(),
            Some("remove the quotes: in YAML, \"1\" is text")
        );
        let document = project(serde_json::json!({
            "a": { "columns": { "id": { "type": "uuid", "nullable": "yes" } } }
        }));
        let found = findings(document);
        assert_eq!(found[0].1, "expected true or false, found text `yes`");
        assert!(
            found[0]
                .2
                .as_deref()
                .unwrap()
                .starts_with("write `true` or `false`")
        );
    }

    #[test]
    fn numbers_must_fit_what_reads_them() {
        // JSON Schema accepts both; reading the file into the model would fail on them.
        let found = findings(serde_json::json!({ "version": 1.0, "project": "demo" }));
        assert_eq!(found[0].1, "expected a whole number, found `1.0`");
        let found = findings(serde_json::json!({ "version": 4294967296u64, "project": "demo" }));
        assert_eq!(
            found[0].1,
            "`4294967296` is more than the maximum 4294967295"
        );
        // `default` takes any number: nothing to say.
        let document = project(serde_json::json!({
            "a": { "columns": { "x": { "type": "numeric", "default": 1.0 } } }
        }));
        assert_eq!(findings(document), []);
    }

    #[test]
    fn ranges_say_which_bound() {
        let document = serde_json::json!({
            "version": 1, "project": "demo", "stack": { "db": { "port": 0 }, "rest": { "port": 70000 } }
        });
        let messages: Vec<String> = findings(document).into_iter().map(|f| f.1).collect();
        assert!(messages.contains(&"`0` is less than the minimum 1".to_string()));
        assert!(messages.contains(&"`70000` is more than the maximum 65535".to_string()));
    }
}
