//! The bookkeeping schema `appctl.*` that deploys write: what was deployed, its packages and the audit
//! log. Readers outside a deploy go through here.

/// The packages of `versions` stored by deploys (`appctl.function_packages`), by version; empty
/// when the instance has none.
pub async fn deployed_packages(
    conn: &mut sqlx::PgConnection,
    versions: &[String],
) -> anyhow::Result<std::collections::BTreeMap<String, Vec<u8>>> {
    use anyhow::Context as _;
    let exists: bool =
        sqlx::query_scalar("SELECT to_regclass('appctl.function_packages') IS NOT NULL")
            .fetch_one(&mut *conn)
            .await?;
    if !exists || versions.is_empty() {
        return Ok(Default::default());
    }
    let rows: Vec<(String, Vec<u8>)> = sqlx::query_as(
        "SELECT version, package FROM appctl.function_packages WHERE version = ANY($1)",
    )
    .bind(versions)
    .fetch_all(&mut *conn)
    .await
    .context("cannot read appctl.function_packages")?;
    Ok(rows.into_iter().collect())
}
