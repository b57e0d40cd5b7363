//! The deploy lock: a session advisory lock, so a second deploy waits and says who holds it.

use std::time::{Duration, Instant};

use sqlx::PgConnection;

use crate::deploy::{DeployError, DeployListener};

/// The advisory lock key every appctl deploy takes ("appctl" in ASCII).
pub const LOCK_KEY: i64 = 0x6170_7063_746c;

pub(crate) async fn acquire_lock(
    conn: &mut PgConnection,
    wait: Duration,
    listener: &mut dyn DeployListener,
) -> Result<(), DeployError> {
    let start = Instant::now();
    let mut announced = false;
    // Bounded: one try every 250 ms until `wait` has passed.
    loop {
        let locked: bool = sqlx::query_scalar("SELECT pg_try_advisory_lock($1)")
            .bind(LOCK_KEY)
            .fetch_one(&mut *conn)
            .await?;
        if locked {
            return Ok(());
        }
        let holder = lock_holder(conn).await?;
        if start.elapsed() >= wait {
            return Err(DeployError::LockTimeout {
                holder,
                waited: wait,
            });
        }
        if !announced {
            listener.waiting_for_lock(&holder);
            announced = true;
        }
        tokio::time::sleep(Duration::from_millis(250).min(wait.saturating_sub(start.elapsed())))
            .await;
    }
}

/// Who holds the deploy lock, as pg_stat_activity knows them.
async fn lock_holder(conn: &mut PgConnection) -> Result<String, DeployError> {
    type Holder = (Option<String>, Option<String>, Option<String>, i32);
    let row: Option<Holder> = sqlx::query_as(
        "SELECT a.application_name, a.usename::text, a.client_addr::text, a.pid
         FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
         WHERE l.locktype = 'advisory' AND l.granted
           AND l.classid = ($1 >> 32)::oid AND l.objid = ($1 & 4294967295)::oid
         LIMIT 1",
    )
    .bind(LOCK_KEY)
    .fetch_optional(&mut *conn)
    .await?;
    Ok(match row {
        Some((application, user, address, pid)) => format!(
            "{} as {} from {}, pid {pid}",
            application
                .filter(|a| !a.is_empty())
                .unwrap_or_else(|| "a session".into()),
            user.unwrap_or_else(|| "?".into()),
            address.unwrap_or_else(|| "a local socket".into()),
        ),
        None => "a session that just released it".into(),
    })
}
