//! Property tests of the schema engine against a real PostgreSQL.
//!
//! Random valid project files (hostile names, every common column type, keys, checks, foreign keys
//! with cycles, indexes, enums, comments) are deployed into fresh databases:
//!
//! * A: deploy X into an empty database → a plan against X is empty, and the inspected state is the
//!   normalised X (apart from `managed`).
//! * B: deploy X, then Y (destructive changes allowed) → a plan against Y is empty.
//!
//! A generated case is a `Spec` of small numbers that `build` turns into a file which is valid by
//! construction (names are de-duplicated, foreign keys only target single-column primary keys, ...),
//! so proptest can shrink the numbers freely. A failure prints the YAML of the shrunk case.
//! One server serves every case; each case gets its own database.

use std::sync::atomic::{AtomicU32, Ordering};

use crate::support::pg::PgServer;
use appctl::deploy::{self, DeployListener, DeployOptions};
use appctl::model::Database;
use appctl::plan::{Plan, Step};
use appctl::project::file::{
    Column, ForeignKey, ForeignKeyTarget, Index, ProjectFile, ReferentialAction, SqlValue, Table,
};
use indexmap::IndexMap;
use proptest::prelude::*;
use proptest::test_runner::{Config, FileFailurePersistence, TestCaseError, TestError, TestRunner};

const CASES_A: u32 = 24;
const CASES_B: u32 = 24;

/// Table and column names: reserved words, upper case, quotes, spaces, unicode, a long one.
const NAMES: &[&str] = &[
    "id",
    "name",
    "User",
    "select",
    "order",
    "it's",
    "we\"ird",
    "with space",
    "naïve",
    "日本語",
    "CamelCase",
    "x",
    "group",
    "Ωmega",
    "emoji🦀",
    "1st",
    "a_really_long_identifier_close_to_the_sixty_three_byte_limit_xx",
    "value",
    "from",
    "Table",
    "dot.ted",
    "$1",
    "trail ",
];

/// Enum names: upper case, spaces, quotes, non-ASCII (see `bug_enum_name_needing_quotes`).
const ENUM_NAMES: &[&str] = &["mood", "Status", "état", "kind of thing", "q\"uote"];
const ENUM_VALUES: &[&str] = &[
    "a",
    "b",
    "it's",
    "with space",
    "Ünïcode",
    "UPPER",
    "select",
    "x\"y",
];
const COMMENTS: &[&str] = &[
    "plain",
    "it's \"quoted\"",
    "multi\nline",
    "ünïcödé 🦀",
    "  spaced  ",
    "",
];

/// Column types; `ENUM` stands for the generated enum.
const ENUM: &str = "<enum>";
const TYPES: &[&str] = &[
    "integer",
    "bigint",
    "text",
    "varchar(20)",
    "numeric(10,2)",
    "boolean",
    "uuid",
    "timestamptz",
    "jsonb",
    "date",
    "text[]",
    ENUM,
    "varchar(1)",
    "varchar(255)",
    "numeric(5,0)",
    "numeric(38,10)",
];

#[derive(Debug, Clone)]
struct ColSpec {
    name: usize,
    ty: usize,
    nullable: bool,
    default: Option<usize>,
    unique: bool,
    check: bool,
    comment: Option<usize>,
}

#[derive(Debug, Clone)]
struct FkSpec {
    target: usize,
    name: usize,
    on_delete: usize,
    column_level: bool,
}

#[derive(Debug, Clone)]
struct IdxSpec {
    columns: Vec<(usize, bool)>,
    unique: bool,
    partial: bool,
}

#[derive(Debug, Clone)]
struct TableSpec {
    name: usize,
    columns: Vec<ColSpec>,
    /// 0: none, 1: first column, 2: first two columns (composite).
    pk: usize,
    unique_pair: bool,
    check: Option<(usize, usize)>,
    fks: Vec<FkSpec>,
    indexes: Vec<IdxSpec>,
    comment: Option<usize>,
}

#[derive(Debug, Clone)]
struct Spec {
    enum_name: usize,
    enum_values: Vec<usize>,
    tables: Vec<TableSpec>,
}

fn col_spec() -> impl Strategy<Value = ColSpec> {
    (
        0..NAMES.len(),
        0..TYPES.len(),
        any::<bool>(),
        proptest::option::of(0..4usize),
        proptest::bool::weighted(0.2),
        proptest::bool::weighted(0.25),
        proptest::option::weighted(0.3, 0..COMMENTS.len()),
    )
        .prop_map(
            |(name, ty, nullable, default, unique, check, comment)| ColSpec {
                name,
                ty,
                nullable,
                default,
                unique,
                check,
                comment,
            },
        )
}

fn table_spec() -> impl Strategy<Value = TableSpec> {
    (
        0..NAMES.len(),
        proptest::collection::vec(col_spec(), 1..=6),
        0..3usize,
        proptest::bool::weighted(0.2),
        proptest::option::weighted(0.3, (0..NAMES.len(), 0..6usize)),
        proptest::collection::vec(
            (0..5usize, 0..NAMES.len(), 0..5usize, any::<bool>()).prop_map(
                |(target, name, on_delete, column_level)| FkSpec {
                    target,
                    name,
                    on_delete,
                    column_level,
                },
            ),
            0..=2,
        ),
        proptest::collection::vec(
            (
                proptest::collection::vec((0..6usize, any::<bool>()), 1..=3),
                proptest::bool::weighted(0.2),
                proptest::bool::weighted(0.3),
            )
                .prop_map(|(columns, unique, partial)| IdxSpec {
                    columns,
                    unique,
                    partial,
                }),
            0..=2,
        ),
        proptest::option::weighted(0.3, 0..COMMENTS.len()),
    )
        .prop_map(
            |(name, columns, pk, unique_pair, check, fks, indexes, comment)| TableSpec {
                name,
                columns,
                pk,
                unique_pair,
                check,
                fks,
                indexes,
                comment,
            },
        )
}

fn spec() -> impl Strategy<Value = Spec> {
    (
        0..ENUM_NAMES.len(),
        proptest::collection::vec(0..ENUM_VALUES.len(), 1..=4),
        proptest::collection::vec(table_spec(), 1..=5),
    )
        .prop_map(|(enum_name, enum_values, tables)| Spec {
            enum_name,
            enum_values,
            tables,
        })
}

/// The first name of `pool` from `start` on that `taken` does not hold yet.
fn pick<'a>(pool: &[&'a str], start: usize, taken: &[String]) -> Option<&'a str> {
    (0..pool.len())
        .map(|i| pool[(start + i) % pool.len()])
        .find(|name| !taken.iter().any(|t| t == name))
}

fn ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

fn literal(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

fn default_for(ty: &str, choice: usize, enum_values: &[String]) -> SqlValue {
    let text = |s: &str| SqlValue::Text(s.to_string());
    match ty {
        "integer" => [SqlValue::Integer(0), SqlValue::Integer(42), text("-1")][choice % 3].clone(),
        "bigint" => [SqlValue::Integer(9_000_000_000), SqlValue::Integer(0)][choice % 2].clone(),
        "text" => [text("'hello'"), text("'it''s'"), text("''"), text("'ü'")][choice].clone(),
        "varchar(20)" | "varchar(255)" => [text("'short'"), text("''")][choice % 2].clone(),
        "varchar(1)" => [text("'a'"), text("''")][choice % 2].clone(),
        "numeric(10,2)" | "numeric(5,0)" | "numeric(38,10)" => {
            [SqlValue::Integer(0), SqlValue::Float(1.5), text("'9.99'")][choice % 3].clone()
        }
        "boolean" => SqlValue::Bool(choice.is_multiple_of(2)),
        "uuid" => text("gen_random_uuid()"),
        "timestamptz" => [text("now()"), text("'2020-01-01 00:00:00+00'")][choice % 2].clone(),
        "jsonb" => [text("'{}'"), text("'{\"a\": [1, 2]}'"), text("'null'")][choice % 3].clone(),
        "date" => [text("CURRENT_DATE"), text("'2024-02-29'")][choice % 2].clone(),
        "text[]" => [text("'{}'"), text("'{a,\"b c\"}'")][choice % 2].clone(),
        _ => SqlValue::Text(literal(&enum_values[choice % enum_values.len()])),
    }
}

fn check_for(ty: &str, column: &str) -> Option<String> {
    let c = ident(column);
    Some(match ty {
        "integer" | "bigint" => format!("{c} >= 0"),
        t if t.starts_with("numeric") => format!("{c} >= 0"),
        t if t == "text" || t.starts_with("varchar") => format!("length({c}) < 1000"),
        "date" => format!("{c} > '2000-01-01'"),
        "jsonb" => format!("jsonb_typeof({c}) <> 'array'"),
        "text[]" => format!("cardinality({c}) < 10"),
        "boolean" => format!("{c} OR NOT {c}"),
        _ => return None,
    })
}

fn action(choice: usize) -> Option<ReferentialAction> {
    [
        None,
        Some(ReferentialAction::Cascade),
        Some(ReferentialAction::SetNull),
        Some(ReferentialAction::Restrict),
        Some(ReferentialAction::NoAction),
    ][choice % 5]
}

/// Type families whose members cast into each other. With `fixed_types` (property B) a column name
/// always gets a type of the same family, whatever the file: known bug, a change between types without
/// a cast (integer → uuid) is planned as `ALTER COLUMN TYPE` and fails, see
/// `bug_type_change_without_a_cast`.
const FAMILIES: &[&[usize]] = &[
    &[0, 1, 4, 14, 15],
    &[2, 3, 12, 13],
    &[5],
    &[6],
    &[7, 9],
    &[8],
    &[10],
    &[11],
];

fn family_type(name: &str, choice: usize) -> usize {
    let hash = name
        .bytes()
        .fold(7usize, |h, b| h.wrapping_mul(31).wrapping_add(b as usize));
    let family = FAMILIES[hash % FAMILIES.len()];
    family[choice % family.len()]
}

/// A valid project file from the numbers of `spec`.
fn build(spec: &Spec, fixed_types: bool) -> ProjectFile {
    // Property B keeps one enum name: a column moving from one enum to another is the
    // no-cast type change of `bug_type_change_without_a_cast`.
    let enum_name = ENUM_NAMES[if fixed_types { 1 } else { spec.enum_name }].to_string();
    let mut enum_values: Vec<String> = Vec::new();
    // Known bug: removing an enum value while dropping a column of that enum fails (the enum's
    // rebuild alters the dropped column), see `bug_enum_value_removed_with_a_dropped_column`; until it
    // is fixed, property B keeps the enum's values fixed.
    let values: Vec<usize> = if fixed_types {
        (0..ENUM_VALUES.len()).collect()
    } else {
        spec.enum_values.clone()
    };
    for &v in &values {
        let value = ENUM_VALUES[v].to_string();
        if !enum_values.contains(&value) {
            enum_values.push(value);
        }
    }
    let enum_ty = enum_name.clone();
    let mut tables: IndexMap<String, Table> = IndexMap::new();
    // Per table: its single-column primary key (name, type), if any.
    let mut pks: Vec<Option<(String, String)>> = Vec::new();
    let mut table_names: Vec<String> = Vec::new();
    let mut uses_enum = false;
    for t in &spec.tables {
        let Some(table_name) = pick(NAMES, t.name, &table_names) else {
            continue;
        };
        table_names.push(table_name.to_string());
        let mut table = Table {
            comment: t.comment.map(|c| COMMENTS[c].to_string()),
            ..Table::default()
        };
        let mut names: Vec<String> = Vec::new();
        let mut types: Vec<String> = Vec::new();
        for c in &t.columns {
            let Some(name) = pick(NAMES, c.name, &names) else {
                continue;
            };
            names.push(name.to_string());
            let ty_index = if fixed_types {
                family_type(name, c.ty)
            } else {
                c.ty
            };
            let ty = if TYPES[ty_index] == ENUM {
                uses_enum = true;
                enum_name.clone()
            } else {
                TYPES[ty_index].to_string()
            };
            let base = TYPES[ty_index];
            types.push(base.to_string());
            table.columns.insert(
                name.to_string(),
                Column {
                    ty,
                    nullable: c.nullable,
                    default: c.default.map(|d| default_for(base, d, &enum_values)),
                    unique: c.unique,
                    check: if c.check { check_for(base, name) } else { None },
                    // Known bug: a column added to an existing table loses its comment, see
                    // `bug_comment_of_a_column_added_to_an_existing_table`; property B leaves
                    // column comments out until it is fixed.
                    comment: c
                        .comment
                        .filter(|_| !fixed_types)
                        .map(|i| COMMENTS[i].to_string()),
                    ..Column::default()
                },
            );
        }
        let mut pk = None;
        match t.pk {
            1 => {
                table.columns[0].primary_key = true;
                table.columns[0].nullable = false;
                let ty = table.columns[0].ty.clone();
                pk = Some((names[0].clone(), ty));
            }
            2 if names.len() >= 2 => table.primary_key = vec![names[0].clone(), names[1].clone()],
            _ => {}
        }
        if t.unique_pair && names.len() >= 2 {
            table.unique.push(vec![names[1].clone(), names[0].clone()]);
        }
        if let Some((check_name, column)) = t.check {
            let column = column % names.len();
            if let Some(expression) = check_for(&types[column], &names[column]) {
                table
                    .checks
                    .insert(NAMES[check_name].to_string(), expression);
            }
        }
        let mut index_names: Vec<Vec<String>> = Vec::new();
        for i in &t.indexes {
            let mut columns: Vec<String> = Vec::new();
            let mut entries: Vec<String> = Vec::new();
            for &(c, desc) in &i.columns {
                let name = &names[c % names.len()];
                // An index entry is `column [asc|desc]`: a name with whitespace cannot be one.
                if name.contains(char::is_whitespace) || columns.contains(name) {
                    continue;
                }
                columns.push(name.clone());
                entries.push(if desc {
                    format!("{name} desc")
                } else {
                    name.clone()
                });
            }
            // Two indexes over the same columns would get the same derived name.
            if columns.is_empty() || index_names.contains(&columns) {
                continue;
            }
            index_names.push(columns.clone());
            table.indexes.push(Index {
                columns: entries,
                unique: i.unique,
                predicate: i
                    .partial
                    .then(|| format!("{} IS NOT NULL", ident(&columns[0]))),
                ..Index::default()
            });
        }
        pks.push(pk);
        tables.insert(table_name.to_string(), table);
    }
    // Foreign keys, once every table's key is known: to any table (itself too, so cycles happen).
    let keys: Vec<(String, Option<(String, String)>)> = table_names
        .iter()
        .cloned()
        .zip(pks.iter().cloned())
        .collect();
    for (t, (table_name, _)) in spec.tables.iter().zip(keys.iter()) {
        for fk in &t.fks {
            let (target, Some((target_column, target_type))) = &keys[fk.target % keys.len()] else {
                continue;
            };
            // Known bug: `references.table: "dot.ted"` is read as schema `dot`, table `ted`, see
            // `bug_foreign_key_to_a_table_with_a_dot_in_its_name`.
            if target.contains('.') {
                continue;
            }
            let table = tables.get_mut(table_name).unwrap();
            let taken: Vec<String> = table.columns.keys().cloned().collect();
            let Some(column) = pick(NAMES, fk.name, &taken) else {
                continue;
            };
            if fixed_types {
                let family = FAMILIES
                    .iter()
                    .find(|f| f.contains(&family_type(column, 0)))
                    .unwrap();
                let fits = family.iter().any(|&t| {
                    TYPES[t] == target_type || (TYPES[t] == ENUM && *target_type == enum_ty)
                });
                if !fits {
                    continue;
                }
            }
            let on_delete = action(fk.on_delete);
            let simple = |s: &str| !s.contains('.');
            let mut col = Column {
                ty: target_type.clone(),
                nullable: true,
                ..Column::default()
            };
            if fk.column_level && simple(target) && simple(target_column) {
                col.references = Some(format!("{target}.{target_column}"));
                col.on_delete = on_delete;
            } else {
                table.foreign_keys.push(ForeignKey {
                    name: None,
                    columns: vec![column.to_string()],
                    references: ForeignKeyTarget {
                        table: target.clone(),
                        columns: vec![target_column.clone()],
                    },
                    on_delete,
                    on_update: None,
                });
            }
            table.columns.insert(column.to_string(), col);
        }
    }
    let mut enums = IndexMap::new();
    if uses_enum || fixed_types || spec.enum_values.len() > 2 {
        enums.insert(enum_name, enum_values);
    }
    ProjectFile {
        version: 1,
        project: "props".into(),
        schema: "public".into(),
        extensions: Vec::new(),
        enums,
        tables,
        buckets: IndexMap::new(),
        functions: IndexMap::new(),
        environments: IndexMap::new(),
        stack: Default::default(),
    }
}

fn yaml(file: &ProjectFile) -> String {
    serde_yaml_ng::to_string(file).unwrap()
}

/// The file as appctl reads it: the YAML goes through the loader's every check.
fn load(file: &ProjectFile) -> Result<Database, String> {
    let text = yaml(file);
    let dir = tempfile::tempdir().unwrap();
    let variables = appctl::project::vars::Variables::from_pairs(Vec::<(String, String)>::new());
    let context = appctl::project::validate::Context {
        project_dir: dir.path(),
        variables: &variables,
        environment: None,
    };
    let (parsed, _, report) =
        appctl::project::check_source(std::path::Path::new("appctl.yaml"), &text, &context);
    match parsed {
        Some(parsed) if !report.has_errors() => {
            if parsed != *file {
                return Err("the YAML reads back as a different file".into());
            }
            Ok(appctl::lower::lower(&parsed))
        }
        _ => Err(format!("the loader rejects it:\n{}", report.render(false))),
    }
}

struct Quiet;

impl DeployListener for Quiet {
    fn waiting_for_lock(&mut self, _holder: &str) {}
    fn confirm(&mut self, _plan: &Plan) -> bool {
        true
    }
    fn step_done(&mut self, _step: &Step) {}
}

fn steps(plan: &Plan) -> String {
    plan.steps
        .iter()
        .map(|s| format!("  {} {}: {}\n", s.object, s.detail, s.sql.join("; ")))
        .collect()
}

struct Harness {
    server: PgServer,
    runtime: tokio::runtime::Runtime,
    counter: AtomicU32,
}

impl Harness {
    fn fresh_database(&self, prefix: &str) -> String {
        let n = self.counter.fetch_add(1, Ordering::Relaxed);
        self.server.create_database(&format!("{prefix}_{n}"))
    }

    /// Deploys `files` one after the other into a fresh database, then checks that a plan against the
    /// last is empty and (with `compare`) that the inspected state is its normalised form.
    fn deploy_sequence(&self, files: &[&ProjectFile], compare: bool) -> Result<(), String> {
        let desired: Vec<Database> = files.iter().map(|f| load(f)).collect::<Result<_, _>>()?;
        let url = self.fresh_database("prop");
        self.runtime.block_on(async {
            let mut conn = deploy::connect(&url, "appctl properties")
                .await
                .map_err(|e| e.to_string())?;
            let options = DeployOptions {
                allow_destructive: true,
                actor: "properties".into(),
                ..DeployOptions::default()
            };
            for (i, desired) in desired.iter().enumerate() {
                deploy::deploy(&mut conn, desired, None, &options, &mut Quiet)
                    .await
                    .map_err(|e| format!("deploy #{} failed: {e}", i + 1))?;
            }
            let last = desired.last().unwrap();
            let again = deploy::make_plan(&mut conn, last, false)
                .await
                .map_err(|e| format!("plan after deploy failed: {e}"))?;
            if !again.is_empty() {
                return Err(format!(
                    "plan after deploy is not empty:\n{}",
                    steps(&again)
                ));
            }
            if compare {
                let mut actual = appctl::inspect::inspect(&mut conn, &last.schema)
                    .await
                    .map_err(|e| e.to_string())?;
                let normalized = appctl::normalize::normalize(&mut conn, last)
                    .await
                    .map_err(|e| e.to_string())?;
                actual.managed.clear();
                let mut normalized = normalized;
                if files.len() > 1 {
                    // Postgres appends added columns: after a change the table order may differ
                    // from the file's, which the diff rightly ignores.
                    for db in [&mut actual, &mut normalized] {
                        for table in db.tables.values_mut() {
                            table.columns.sort_by(|a, b| a.name.cmp(&b.name));
                        }
                    }
                }
                if actual != normalized {
                    let mut differences = Vec::new();
                    json_diff(
                        "",
                        &serde_json::to_value(&actual).unwrap(),
                        &serde_json::to_value(&normalized).unwrap(),
                        &mut differences,
                    );
                    return Err(format!(
                        "inspected state differs from the normalised file (inspected vs normalised):\n{}",
                        differences.join("\n")
                    ));
                }
            }
            Ok(())
        })
    }
}

/// Where two JSON values differ, one line per difference: `path: left vs right`.
fn json_diff(
    path: &str,
    left: &serde_json::Value,
    right: &serde_json::Value,
    out: &mut Vec<String>,
) {
    use serde_json::Value;
    match (left, right) {
        (Value::Object(l), Value::Object(r)) => {
            let keys: std::collections::BTreeSet<&String> = l.keys().chain(r.keys()).collect();
            for key in keys {
                let (a, b) = (
                    l.get(key).unwrap_or(&Value::Null),
                    r.get(key).unwrap_or(&Value::Null),
                );
                json_diff(&format!("{path}.{key}"), a, b, out);
            }
        }
        (Value::Array(l), Value::Array(r)) if l.len() == r.len() => {
            for (i, (a, b)) in l.iter().zip(r).enumerate() {
                json_diff(&format!("{path}[{i}]"), a, b, out);
            }
        }
        (a, b) if a != b => out.push(format!("  {path}: {a} vs {b}")),
        _ => {}
    }
}

fn runner(cases: u32) -> TestRunner {
    // PROPTEST_CASES runs more (or fewer) cases of each property, e.g. for a long local hunt.
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(cases);
    TestRunner::new(Config {
        cases,
        max_shrink_iters: 200,
        max_shrink_time: 60_000,
        failure_persistence: Some(Box::new(FileFailurePersistence::Direct(
            "tests/proptest-regressions/properties.txt",
        ))),
        ..Config::default()
    })
}

fn report<T: std::fmt::Debug>(
    name: &str,
    result: Result<(), TestError<T>>,
    render: impl Fn(&T) -> String,
) -> Option<String> {
    match result {
        Ok(()) => None,
        Err(TestError::Abort(reason)) => Some(format!("{name}: aborted: {reason}")),
        Err(TestError::Fail(reason, value)) => Some(format!(
            "{name}: {reason}\nminimal failing case:\n{}",
            render(&value)
        )),
    }
}

/// Both properties share one server; both run even when the first fails.
#[test]
fn deploy_converges_for_random_projects() {
    let harness = Harness {
        server: PgServer::start(),
        runtime: tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap(),
        counter: AtomicU32::new(0),
    };
    let mut failures = Vec::new();

    let a = runner(CASES_A).run(&spec(), |spec| {
        let file = build(&spec, false);
        harness
            .deploy_sequence(&[&file], true)
            .map_err(TestCaseError::fail)
    });
    failures.extend(report("property A (deploy into empty)", a, |s| {
        yaml(&build(s, false))
    }));

    let b = runner(CASES_B).run(&(spec(), spec()), |(x, y)| {
        let (x, y) = (build(&x, true), build(&y, true));
        // Known bug: dropping a table and a table that references it fails, see
        // `bug_dropping_a_referenced_table_with_its_referrer`; such pairs are skipped until fixed.
        let gone = |t: &str| !y.tables.contains_key(t);
        let referenced = |table: &Table| -> Vec<String> {
            let mut targets: Vec<String> = table
                .foreign_keys
                .iter()
                .map(|fk| fk.references.table.clone())
                .collect();
            targets.extend(table.columns.values().filter_map(|c| {
                c.references
                    .as_ref()
                    .map(|r| r.rsplit_once('.').unwrap().0.to_string())
            }));
            targets
        };
        // The same for a referenced column dropped with the referring table
        // (`bug_dropping_a_referenced_column_with_its_referrer`): no referring table is dropped.
        prop_assume!(!x.tables.iter().any(|(name, table)| {
            gone(name) && referenced(table).iter().any(|target| target != name)
        }));
        harness
            .deploy_sequence(&[&x, &y], true)
            .map_err(TestCaseError::fail)
    });
    failures.extend(report("property B (deploy X then Y)", b, |(x, y)| {
        format!(
            "# X\n{}\n# Y\n{}",
            yaml(&build(x, true)),
            yaml(&build(y, true))
        )
    }));

    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

/// Deploys `yaml` files one after the other into a fresh database of a new server and checks
/// convergence (for the regression tests of bugs the properties found).
fn converges(files: &[&str]) {
    let harness = Harness {
        server: PgServer::start(),
        runtime: tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap(),
        counter: AtomicU32::new(0),
    };
    let files: Vec<ProjectFile> = files
        .iter()
        .map(|y| serde_yaml_ng::from_str(y).unwrap())
        .collect();
    let refs: Vec<&ProjectFile> = files.iter().collect();
    if let Err(error) = harness.deploy_sequence(&refs, files.len() == 1) {
        panic!("{error}");
    }
}

/// Found by property A: an enum whose name Postgres must quote is rendered unquoted as a column type
/// (`"id" Status NOT NULL` → type "status" does not exist).
#[test]
fn bug_enum_name_needing_quotes() {
    converges(&["version: 1
project: props
enums:
  Status: [a]
tables:
  t:
    columns:
      id: { type: Status }
"]);
}

/// Found by property B: integer → uuid is planned as `ALTER COLUMN "id" TYPE uuid USING "id"::uuid`,
/// which Postgres refuses (no cast), so the deploy fails even with --allow-destructive.
#[test]
fn bug_type_change_without_a_cast() {
    converges(&[
        "version: 1
project: props
tables:
  t:
    columns:
      id: { type: integer }
",
        "version: 1
project: props
tables:
  t:
    columns:
      id: { type: uuid }
",
    ]);
}

/// Found by property B: removing an enum value rebuilds the enum and resets the defaults of its
/// columns, including a column the same plan drops: `ALTER TABLE "t" ALTER COLUMN "old" DROP DEFAULT`
/// fails with column "old" does not exist.
#[test]
fn bug_enum_value_removed_with_a_dropped_column() {
    converges(&[
        "version: 1
project: props
enums:
  mood: [x]
tables:
  t:
    columns:
      old: { type: mood, default: \"'x'\" }
",
        "version: 1
project: props
enums:
  mood: [a]
tables:
  t:
    columns:
      new: { type: mood }
",
    ]);
}

/// Found by property B: a column added to an existing table loses its comment (the diff emits
/// `AddColumn` without the `SetColumnComment` a new table's columns get); the plan after the deploy
/// still says `COMMENT ON COLUMN "public"."t"."b" IS 'plain'`.
#[test]
fn bug_comment_of_a_column_added_to_an_existing_table() {
    converges(&[
        "version: 1
project: props
tables:
  t:
    columns:
      a: { type: boolean }
",
        "version: 1
project: props
tables:
  t:
    columns:
      a: { type: boolean }
      b: { type: boolean, comment: plain }
",
    ]);
}

/// Found by property B: dropping a table together with a table that references it drops the
/// referenced one first: `DROP TABLE "a"` fails with cannot drop table "a" because other objects
/// depend on it (constraint b_a_id_fkey on table b).
#[test]
fn bug_dropping_a_referenced_table_with_its_referrer() {
    converges(&[
        "version: 1
project: props
tables:
  a:
    columns:
      id: { type: integer, primary_key: true }
  b:
    columns:
      a_id: { type: integer, references: a.id }
",
        "version: 1
project: props
tables:
  c:
    columns:
      id: { type: integer }
",
    ]);
}

/// Found by property B: dropping a referenced column together with the table that references it
/// drops the column first: `ALTER TABLE "a" DROP COLUMN "id"` fails with cannot drop column id of
/// table a because other objects depend on it (constraint b_a_id_fkey on table b).
#[test]
fn bug_dropping_a_referenced_column_with_its_referrer() {
    converges(&[
        "version: 1
project: props
tables:
  a:
    columns:
      id: { type: integer, primary_key: true }
  b:
    columns:
      a_id: { type: integer, references: a.id }
",
        "version: 1
project: props
tables:
  a:
    columns:
      other: { type: integer }
",
    ]);
}

/// Found by property B through the binary: with a type change Postgres has no cast for in the plan
/// (integer → uuid, a drop and add of `v`), the comment of a column the file adds (`b`) was dropped
/// from the plan with the re-added column's own steps; the plan after the deploy still said
/// `COMMENT ON COLUMN "public"."t"."b" IS 'plain'`.
#[test]
fn bug_comment_of_a_column_added_next_to_a_no_cast_type_change() {
    converges(&[
        "version: 1
project: props
tables:
  t:
    columns:
      v: { type: integer }
",
        "version: 1
project: props
tables:
  t:
    columns:
      v: { type: uuid }
      b: { type: integer, nullable: true, comment: plain }
",
    ]);
}

/// Names with dots, `$1`, `%`, a trailing space and a backslash, in every position that takes one.
#[test]
fn odd_names_converge() {
    converges(&[r#"version: 1
project: props
enums:
  "e.num": ["a.b", "%s", "$1"]
tables:
  "dot.ted":
    comment: "back\\slash"
    columns:
      "i.d": { type: integer, primary_key: true }
      "tab x": { type: "e.num", nullable: true, default: "'$1'" }
      "trail ": { type: text, default: "'%'" }
      "$1": { type: integer, nullable: true, check: '"$1" > 0' }
    indexes:
      - { columns: ["$1 desc", "i.d"], where: '"$1" IS NOT NULL' }
"#]);
}

/// Found by hand next to the properties: a foreign key to a project table whose name has a dot is
/// read as `schema.table` (`REFERENCES "dot"."ted"`: schema "dot" does not exist), yet the loader
/// accepts the file.
#[test]
fn bug_foreign_key_to_a_table_with_a_dot_in_its_name() {
    converges(&[r#"version: 1
project: props
tables:
  "dot.ted":
    columns:
      id: { type: integer, primary_key: true }
  other:
    columns:
      ref: { type: integer, nullable: true }
    foreign_keys:
      - { columns: [ref], references: { table: "dot.ted", columns: [id] } }
"#]);
}
