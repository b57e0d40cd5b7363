//! Plans against a live database: inspect it, normalise the desired state through it, diff and
//! plan. Pure diffing and planning are `appctl_schema`'s; this is the I/O around them.

use appctl_schema::diff::{Change, diff};
use appctl_schema::model::{Database, ObjectRef};
use appctl_schema::plan::{self, Plan};
use sqlx::{Connection, PgConnection};

use crate::connect::connect;
use crate::deploy::DeployError;
use crate::{inspect, normalize};

/// The plan from the live database to `desired` (not yet normalised).
pub async fn make_plan(
    conn: &mut PgConnection,
    desired: &Database,
    online: bool,
) -> Result<Plan, DeployError> {
    make_plan_with(conn, desired, online, false).await
}

/// [`make_plan`]; with `bootstrap`, as the plan will be once the platform objects exist (created in
/// the rolled-back normalisation transaction only).
pub async fn make_plan_with(
    conn: &mut PgConnection,
    desired: &Database,
    online: bool,
    bootstrap: bool,
) -> Result<Plan, DeployError> {
    let actual = inspect::inspect(conn, &desired.schema).await?;
    let prelude = if bootstrap {
        appctl_schema::bootstrap::statements(&desired.schema)
    } else {
        Vec::new()
    };
    let (plan, _) = normalize_and_plan(conn, desired, &actual, &prelude, online).await?;
    Ok(plan)
}

/// Normalises `desired` (reusing the last deploy's cache) and plans from `actual` to it; returns the
/// normalised state too, for the deploy to cache.
pub(crate) async fn normalize_and_plan(
    conn: &mut PgConnection,
    desired: &Database,
    actual: &Database,
    prelude: &[String],
    online: bool,
) -> Result<(Plan, Database), DeployError> {
    let cache = normalize::Cache::load(conn, &desired.schema).await;
    let normalized = normalize::normalize_cached(conn, desired, prelude, &cache).await?;
    let plan = plan_between(conn, &normalized, actual, online).await?;
    Ok((plan, normalized))
}

/// A plan that changes a table holding what the project file cannot say (partitioning,
/// inheritance, ...) is refused: appctl cannot tell what the change does to what it cannot see
/// (a column dropped from an inheritance parent goes from its children too). Adopting such a
/// table as it is (an empty plan for it) is fine.
fn refuse_unexpressed(plan: &Plan, actual: &Database) -> Result<(), DeployError> {
    let mut refused: Vec<String> = Vec::new();
    for step in &plan.steps {
        if let Change::CreateTable { table, .. } = &step.change
            && let Some(what) = actual.other_relations.get(&table.name)
        {
            refused.push(format!(
                "  + table {}: `{}` is {what} in the database",
                table.name, table.name
            ));
            continue;
        }
        let Some(table) = step.change.table().and_then(|t| actual.tables.get(t)) else {
            continue;
        };
        if table.unexpressed.is_empty() {
            continue;
        }
        let line = format!(
            "  {} {}: table {} {}",
            step.action.symbol(),
            step.object,
            table.name,
            table.unexpressed.join("; ")
        );
        if !refused.contains(&line) {
            refused.push(line);
        }
    }
    if refused.is_empty() {
        return Ok(());
    }
    Err(DeployError::Unexpressed(refused.join("\n")))
}

/// [`make_plan_with`] for a database known before the project file is loaded: `load` (reading,
/// checking and lowering the file: a quarter of a plan's time or more) runs on a thread of its own
/// while two connections are opened; one inspects `guessed_schema`, the other reads the
/// normalisation cache and, once the file is loaded, normalises the desired state while the
/// inspection may still run. Then the plan is made as [`make_plan_with`] makes it.
///
/// The outer error is `load`'s: a file with errors is reported as without the overlap (the database
/// work is abandoned), and a database error only when the file is valid. When the file declares
/// another schema than `guessed_schema`, that one is inspected afterwards.
pub fn plan_while_loading<E: Send>(
    runtime: &tokio::runtime::Runtime,
    url: &str,
    application_name: &str,
    guessed_schema: &str,
    load: impl FnOnce() -> Result<Database, E> + Send,
    online: bool,
    bootstrap: bool,
) -> Result<Result<Plan, DeployError>, E> {
    let (sender, receiver) = tokio::sync::oneshot::channel();
    std::thread::scope(|scope| {
        scope.spawn(move || {
            // The receiver is gone only when planning already failed.
            let _ = sender.send(load());
        });
        runtime.block_on(async {
            let inspecting = tokio::spawn({
                let (url, name, schema) = (
                    url.to_string(),
                    application_name.to_string(),
                    guessed_schema.to_string(),
                );
                async move {
                    let mut conn = connect(&url, &name).await?;
                    let actual = inspect::inspect(&mut conn, &schema).await;
                    Ok::<_, DeployError>((conn, actual))
                }
            });
            let caching = tokio::spawn({
                let (url, name, schema) = (
                    url.to_string(),
                    application_name.to_string(),
                    guessed_schema.to_string(),
                );
                async move {
                    let mut conn = connect(&url, &name).await?;
                    let cache = normalize::Cache::load(&mut conn, &schema).await;
                    Ok::<_, DeployError>((conn, cache))
                }
            });
            let desired = match receiver.await.expect("the loader thread sends its result") {
                Ok(desired) => desired,
                Err(error) => return Err(error),
            };
            Ok(async {
                let (mut conn, cache) = caching.await.expect("the cache task runs to its end")?;
                if desired.schema != guessed_schema {
                    return make_plan_with(&mut conn, &desired, online, bootstrap).await;
                }
                let prelude = if bootstrap {
                    appctl_schema::bootstrap::statements(&desired.schema)
                } else {
                    Vec::new()
                };
                // Runs while the inspection task goes on on the other connection.
                let normalized =
                    normalize::normalize_cached(&mut conn, &desired, &prelude, &cache).await;
                let (_, actual) = inspecting
                    .await
                    .expect("the inspection task runs to its end")?;
                let actual = actual?;
                plan_between(&mut conn, &normalized?, &actual, online).await
            }
            .await)
        })
    })
}

async fn plan_between(
    conn: &mut PgConnection,
    normalized: &Database,
    actual: &Database,
    online: bool,
) -> Result<Plan, DeployError> {
    let mut changes = diff(normalized, actual);
    replace_impossible_casts(conn, &mut changes, normalized).await?;
    let mut plan = plan::plan(changes, normalized, actual, online);
    plan.managed_after = managed_after(normalized);
    plan.adopted = plan
        .managed_after
        .iter()
        .filter(|object| !actual.managed.contains(object) && exists(actual, object))
        .cloned()
        .collect();
    refuse_unexpressed(&plan, actual)?;
    Ok(plan)
}

fn exists(actual: &Database, object: &ObjectRef) -> bool {
    match object {
        ObjectRef::Extension(name) => actual.extensions.contains_key(name),
        ObjectRef::Enum(name) => actual.enums.contains_key(name),
        ObjectRef::Table(name) => actual.tables.contains_key(name),
        ObjectRef::Bucket(name) => actual.buckets.contains_key(name),
    }
}

/// A type change Postgres has no cast for (integer → uuid, one enum → another) cannot be done with
/// `USING col::type`: it becomes a drop and an add of the column, which the plan marks destructive.
/// Castable: a cast in `pg_cast`, the same base type (a new length or precision), a string type on
/// either side (I/O conversion), or arrays whose elements are castable. A type that does not exist
/// yet (an enum this plan creates) is castable from a string or an enum only.
async fn replace_impossible_casts(
    conn: &mut PgConnection,
    changes: &mut appctl_schema::diff::Diff,
    desired: &Database,
) -> Result<(), DeployError> {
    let pairs: Vec<(String, String)> = changes
        .changes
        .iter()
        .filter_map(|c| match c {
            Change::AlterColumnType { from, to, .. } => Some((from.clone(), to.clone())),
            _ => None,
        })
        .collect();
    if pairs.is_empty() {
        return Ok(());
    }
    let (from, to): (Vec<String>, Vec<String>) = pairs.iter().cloned().unzip();
    let mut tx = conn.begin().await?;
    inspect::set_local_search_path(&mut tx, &desired.schema).await?;
    let castable: Vec<bool> = sqlx::query_scalar(
        "WITH p AS (
             SELECT ord, to_regtype(s) AS s, to_regtype(t) AS t FROM unnest($1::text[], $2::text[]) WITH ORDINALITY AS u(s, t, ord)
         ), a AS (
             SELECT ord, s, t,
                    (SELECT typelem FROM pg_type WHERE oid = s AND typcategory = 'A') AS sa,
                    (SELECT typelem FROM pg_type WHERE oid = t AND typcategory = 'A') AS ta
             FROM p
         ), e AS (
             -- Element types only when both sides are arrays: text[] -> numeric has no cast.
             SELECT ord, s, t,
                    CASE WHEN sa IS NOT NULL AND ta IS NOT NULL THEN sa ELSE s END AS se,
                    CASE WHEN sa IS NOT NULL AND ta IS NOT NULL THEN ta ELSE t END AS te
             FROM a
         )
         SELECT coalesce(s IS NULL OR s = t OR se = te
                -- A type this plan creates (an enum): from a string or another enum only.
                OR (t IS NULL AND (SELECT typcategory FROM pg_type WHERE oid = s) IN ('S', 'E'))
                OR EXISTS (SELECT 1 FROM pg_cast WHERE castsource = se AND casttarget = te)
                OR (SELECT typcategory FROM pg_type WHERE oid = se) = 'S'
                OR (SELECT typcategory FROM pg_type WHERE oid = te) = 'S', false)
         FROM e ORDER BY ord",
    )
    .bind(&from)
    .bind(&to)
    .fetch_all(&mut *tx)
    .await?;
    tx.rollback().await?;
    let impossible: Vec<(String, String)> = pairs
        .into_iter()
        .zip(castable)
        .filter(|(_, ok)| !ok)
        .map(|(pair, _)| pair)
        .collect();
    if impossible.is_empty() {
        return Ok(());
    }
    let mut rewritten = Vec::with_capacity(changes.changes.len());
    // (table, column) of each column dropped and added again.
    let mut readded: Vec<(String, String)> = Vec::new();
    for change in changes.changes.drain(..) {
        match change {
            Change::AlterColumnType {
                table,
                column,
                from,
                to,
                ..
            } if impossible.contains(&(from.clone(), to.clone()))
                && independent(desired, &table, &column) =>
            {
                let Some(wanted) = desired
                    .tables
                    .get(&table)
                    .and_then(|t| t.column(&column))
                    .cloned()
                else {
                    continue;
                };
                readded.push((table.clone(), column.clone()));
                rewritten.push(Change::DropColumn {
                    table: table.clone(),
                    column: column.clone(),
                });
                if wanted.comment.is_some() {
                    rewritten.push(Change::SetColumnComment {
                        table: table.clone(),
                        column: column.clone(),
                        comment: wanted.comment.clone(),
                    });
                }
                rewritten.push(Change::AddColumn {
                    table,
                    column: wanted,
                });
            }
            // The column is added again with its default, nullability and comment: no separate steps.
            // (Only for the columns dropped and added here: a column the file adds keeps its own
            // comment step.)
            Change::SetDefault {
                ref table,
                ref column,
                ..
            }
            | Change::DropDefault {
                ref table,
                ref column,
                ..
            }
            | Change::SetNotNull {
                ref table,
                ref column,
            }
            | Change::DropNotNull {
                ref table,
                ref column,
            }
            | Change::SetColumnComment {
                ref table,
                ref column,
                ..
            } if readded.iter().any(|(t, c)| t == table && c == column) => {
                continue;
            }
            other => rewritten.push(other),
        }
    }
    changes.changes = rewritten;
    Ok(())
}

/// No key, index, foreign key, check or policy of the table names the column: dropping it takes
/// nothing else with it. (Otherwise the type change stays, and fails in the transaction, which rolls
/// back: the message says what Postgres could not cast.)
fn independent(desired: &Database, table: &str, column: &str) -> bool {
    let Some(t) = desired.tables.get(table) else {
        return false;
    };
    let named = |columns: &[String]| columns.iter().any(|c| c == column);
    let quoted = appctl_schema::quote::ident(column);
    let mentions = |text: &str| text.contains(column) || text.contains(&quoted);
    !(t.primary_key.as_ref().is_some_and(|k| named(&k.columns))
        || t.uniques.iter().any(|k| named(&k.columns))
        || t.foreign_keys.iter().any(|f| named(&f.columns))
        || t.indexes.iter().any(|i| {
            i.columns.iter().any(|c| c.column == column)
                || named(&i.include)
                || i.predicate.as_deref().is_some_and(mentions)
        })
        || t.checks.iter().any(|c| mentions(&c.definition))
        || t.policies.iter().any(|p| {
            p.using.as_deref().is_some_and(mentions)
                || p.with_check.as_deref().is_some_and(mentions)
        })
        || t.columns
            .iter()
            .any(|c| c.generated.as_deref().is_some_and(mentions))
        || desired.tables.values().any(|other| {
            other.foreign_keys.iter().any(|f| {
                f.ref_schema == desired.schema && f.ref_table == table && named(&f.ref_columns)
            })
        }))
}

/// After a deploy, appctl manages exactly what the file declares.
fn managed_after(desired: &Database) -> Vec<ObjectRef> {
    desired
        .extensions
        .keys()
        .map(|e| ObjectRef::Extension(e.clone()))
        .chain(desired.enums.keys().map(|e| ObjectRef::Enum(e.clone())))
        .chain(desired.tables.keys().map(|t| ObjectRef::Table(t.clone())))
        .chain(desired.buckets.keys().map(|b| ObjectRef::Bucket(b.clone())))
        .collect()
}
