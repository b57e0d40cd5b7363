//! The auth service's SQL over Supabase's `auth` tables; every value a bind parameter.

use serde_json::{Value, json};
use sqlx::Row as _;

use super::AuthError;

pub struct Store<'p> {
    pool: &'p sqlx::PgPool,
}

/// A user as the service reads it.
#[derive(Debug, Clone)]
pub struct UserRow {
    pub id: uuid::Uuid,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub role: Option<String>,
    pub encrypted_password: Option<String>,
    pub email_confirmed_at: Option<chrono::DateTime<chrono::Utc>>,
    pub app_metadata: Value,
    pub user_metadata: Value,
    pub is_anonymous: bool,
    pub banned: bool,
    json: Value,
}

impl UserRow {
    /// The user as GoTrue answers it (`/user`, `user` of a session).
    pub fn to_json(&self) -> Value {
        self.json.clone()
    }
}

/// What a refresh token was.
pub enum Rotation {
    /// Valid: revoked now, `token` its child.
    Rotated {
        user_id: uuid::Uuid,
        session_id: uuid::Uuid,
        token: String,
    },
    /// Already revoked: its session is ended.
    Reused {
        user_id: uuid::Uuid,
    },
    Unknown,
}

pub enum LogoutScope {
    Global,
    Local,
    Others,
}

/// The user's columns and its GoTrue JSON, computed by Postgres (timestamps in its format).
const USER_SELECT: &str = "SELECT u.id, u.email, u.phone, u.role, u.encrypted_password, u.email_confirmed_at,
       coalesce(u.raw_app_meta_data, '{}') AS app_metadata,
       coalesce(u.raw_user_meta_data, '{}') AS user_metadata,
       u.is_anonymous,
       coalesce(u.banned_until > now(), false) AS banned,
       jsonb_build_object(
         'id', u.id, 'aud', coalesce(u.aud, 'authenticated'), 'role', coalesce(u.role, 'authenticated'),
         'email', coalesce(u.email, ''), 'email_confirmed_at', u.email_confirmed_at,
         'phone', coalesce(u.phone, ''), 'confirmed_at', coalesce(u.email_confirmed_at, u.phone_confirmed_at),
         'last_sign_in_at', u.last_sign_in_at,
         'app_metadata', coalesce(u.raw_app_meta_data, '{}'), 'user_metadata', coalesce(u.raw_user_meta_data, '{}'),
         'identities', coalesce((SELECT jsonb_agg(jsonb_build_object(
             'identity_id', i.id, 'id', i.provider_id, 'user_id', i.user_id, 'identity_data', i.identity_data,
             'provider', i.provider, 'last_sign_in_at', i.last_sign_in_at, 'created_at', i.created_at,
             'updated_at', i.updated_at, 'email', i.email) ORDER BY i.created_at)
           FROM auth.identities i WHERE i.user_id = u.id), '[]'),
         'created_at', u.created_at, 'updated_at', u.updated_at, 'is_anonymous', u.is_anonymous
       ) AS json
FROM auth.users u";

fn user_of(row: &sqlx::postgres::PgRow) -> Result<UserRow, sqlx::Error> {
    Ok(UserRow {
        id: row.try_get("id")?,
        email: row.try_get("email")?,
        phone: row.try_get("phone")?,
        role: row.try_get("role")?,
        encrypted_password: row.try_get("encrypted_password")?,
        email_confirmed_at: row.try_get("email_confirmed_at")?,
        app_metadata: row.try_get("app_metadata")?,
        user_metadata: row.try_get("user_metadata")?,
        is_anonymous: row.try_get("is_anonymous")?,
        banned: row.try_get("banned")?,
        json: row.try_get("json")?,
    })
}

/// A refresh token: 16 random bytes, URL-safe.
fn new_token() -> Result<String, AuthError> {
    use base64::Engine as _;
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).map_err(AuthError::internal)?;
    Ok(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes))
}

/// Whether a user other than `except` has `email`. Takes a transaction-long lock on the email
/// first, so two sign-ups (or email changes) at once cannot both pass the check: Supabase's
/// shape has no unique index on `auth.users.email`.
async fn email_taken(
    tx: &mut sqlx::PgConnection,
    email: &str,
    except: Option<uuid::Uuid>,
) -> Result<bool, sqlx::Error> {
    sqlx::query("SELECT pg_advisory_xact_lock(hashtext('appctl auth signup ' || $1))")
        .bind(email)
        .execute(&mut *tx)
        .await?;
    let taken: Option<i32> = sqlx::query_scalar(
        "SELECT 1 FROM auth.users WHERE lower(email) = $1 AND id IS DISTINCT FROM $2
             AND deleted_at IS NULL AND NOT is_anonymous",
    )
    .bind(email)
    .bind(except)
    .fetch_optional(&mut *tx)
    .await?;
    Ok(taken.is_some())
}

impl<'p> Store<'p> {
    pub fn new(pool: &'p sqlx::PgPool) -> Self {
        Store { pool }
    }

    pub async fn user_by_id(&self, id: uuid::Uuid) -> Result<Option<UserRow>, sqlx::Error> {
        sqlx::query(&format!("{USER_SELECT} WHERE u.id = $1"))
            .bind(id)
            .fetch_optional(self.pool)
            .await?
            .as_ref()
            .map(user_of)
            .transpose()
    }

    /// The user with `email` (normalised lower case), not deleted.
    pub async fn user_by_email(&self, email: &str) -> Result<Option<UserRow>, sqlx::Error> {
        sqlx::query(&format!(
            "{USER_SELECT} WHERE lower(u.email) = $1 AND u.deleted_at IS NULL AND NOT u.is_anonymous"
        ))
        .bind(email)
        .fetch_optional(self.pool)
        .await?
        .as_ref()
        .map(user_of)
        .transpose()
    }

    /// A new user and its `email` identity, or `None` when the email is taken.
    pub async fn create_user(
        &self,
        email: &str,
        hash: Option<&str>,
        metadata: &Value,
        confirmed: bool,
    ) -> Result<Option<UserRow>, sqlx::Error> {
        let mut tx = self.pool.begin().await?;
        if email_taken(&mut tx, email, None).await? {
            return Ok(None);
        }
        let id: uuid::Uuid = sqlx::query_scalar(
            "INSERT INTO auth.users (instance_id, id, aud, role, email, encrypted_password,
                 email_confirmed_at, raw_app_meta_data, raw_user_meta_data, created_at, updated_at, is_anonymous)
             VALUES ('00000000-0000-0000-0000-000000000000', gen_random_uuid(), 'authenticated', 'authenticated',
                 $1, $2, CASE WHEN $3 THEN now() END,
                 '{\"provider\": \"email\", \"providers\": [\"email\"]}', $4, now(), now(), false)
             RETURNING id",
        )
        .bind(email)
        .bind(hash)
        .bind(confirmed)
        .bind(metadata)
        .fetch_one(&mut *tx)
        .await?;
        sqlx::query(
            "INSERT INTO auth.identities (provider_id, user_id, identity_data, provider, last_sign_in_at, created_at, updated_at)
             VALUES ($1::text, $1, jsonb_build_object('sub', $1::text, 'email', $2::text, 'email_verified', $3::boolean,
                 'phone_verified', false), 'email', now(), now(), now())",
        )
        .bind(id)
        .bind(email)
        .bind(confirmed)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        self.user_by_id(id).await
    }

    pub async fn signed_in(&self, user: uuid::Uuid) -> Result<(), sqlx::Error> {
        sqlx::query(
            "UPDATE auth.users SET last_sign_in_at = now(), updated_at = now() WHERE id = $1",
        )
        .bind(user)
        .execute(self.pool)
        .await?;
        Ok(())
    }

    /// A new session and its first refresh token.
    pub async fn start_session(&self, user: uuid::Uuid) -> Result<(uuid::Uuid, String), AuthError> {
        let token = new_token()?;
        let mut tx = self.pool.begin().await?;
        let session: uuid::Uuid = sqlx::query_scalar(
            "INSERT INTO auth.sessions (id, user_id, created_at, updated_at, aal, refreshed_at)
             VALUES (gen_random_uuid(), $1, now(), now(), 'aal1', now()) RETURNING id",
        )
        .bind(user)
        .fetch_one(&mut *tx)
        .await?;
        sqlx::query(
            "INSERT INTO auth.refresh_tokens (instance_id, token, user_id, revoked, created_at, updated_at, session_id)
             VALUES ('00000000-0000-0000-0000-000000000000', $1, $2::text, false, now(), now(), $3)",
        )
        .bind(&token)
        .bind(user)
        .bind(session)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok((session, token))
    }

    /// Revokes `token` and issues its child; a revoked token presented again ends its session
    /// (all its tokens go with it), as GoTrue's reuse detection does.
    pub async fn rotate(&self, token: &str) -> Result<Rotation, AuthError> {
        let mut tx = self.pool.begin().await?;
        let row = sqlx::query(
            "SELECT user_id, revoked, session_id FROM auth.refresh_tokens WHERE token = $1 FOR UPDATE",
        )
        .bind(token)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(row) = row else {
            return Ok(Rotation::Unknown);
        };
        let user_id = uuid::Uuid::parse_str(&row.try_get::<String, _>("user_id")?)
            .map_err(AuthError::internal)?;
        let session_id: Option<uuid::Uuid> = row.try_get("session_id")?;
        let Some(session_id) = session_id else {
            return Ok(Rotation::Unknown);
        };
        if row.try_get::<Option<bool>, _>("revoked")?.unwrap_or(false) {
            sqlx::query("DELETE FROM auth.sessions WHERE id = $1")
                .bind(session_id)
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
            return Ok(Rotation::Reused { user_id });
        }
        let child = new_token()?;
        sqlx::query(
            "UPDATE auth.refresh_tokens SET revoked = true, updated_at = now() WHERE token = $1",
        )
        .bind(token)
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "INSERT INTO auth.refresh_tokens (instance_id, token, user_id, revoked, created_at, updated_at, parent, session_id)
             VALUES ('00000000-0000-0000-0000-000000000000', $1, $2::text, false, now(), now(), $3, $4)",
        )
        .bind(&child)
        .bind(user_id)
        .bind(token)
        .bind(session_id)
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "UPDATE auth.sessions SET refreshed_at = now(), updated_at = now() WHERE id = $1",
        )
        .bind(session_id)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(Rotation::Rotated {
            user_id,
            session_id,
            token: child,
        })
    }

    pub async fn session_exists(&self, session: uuid::Uuid) -> Result<bool, sqlx::Error> {
        let found: Option<i32> = sqlx::query_scalar("SELECT 1 FROM auth.sessions WHERE id = $1")
            .bind(session)
            .fetch_optional(self.pool)
            .await?;
        Ok(found.is_some())
    }

    pub async fn end_sessions(
        &self,
        user: uuid::Uuid,
        current: Option<uuid::Uuid>,
        scope: LogoutScope,
    ) -> Result<(), sqlx::Error> {
        // Each statement binds exactly its parameters: sqlx caches a prepared statement by its
        // text, with the parameter count of its first use.
        let query = match scope {
            LogoutScope::Global => {
                sqlx::query("DELETE FROM auth.sessions WHERE user_id = $1").bind(user)
            }
            LogoutScope::Local => {
                sqlx::query("DELETE FROM auth.sessions WHERE user_id = $1 AND id = $2")
                    .bind(user)
                    .bind(current)
            }
            LogoutScope::Others => sqlx::query(
                "DELETE FROM auth.sessions WHERE user_id = $1 AND id IS DISTINCT FROM $2",
            )
            .bind(user)
            .bind(current),
        };
        query.execute(self.pool).await?;
        Ok(())
    }

    /// A page of users, newest first, and how many there are.
    pub async fn list_users(
        &self,
        offset: u64,
        limit: u64,
    ) -> Result<(Vec<Value>, u64), sqlx::Error> {
        let rows = sqlx::query(&format!(
            "{USER_SELECT} WHERE u.deleted_at IS NULL ORDER BY u.created_at DESC, u.id OFFSET $1 LIMIT $2"
        ))
        .bind(offset as i64)
        .bind(limit as i64)
        .fetch_all(self.pool)
        .await?;
        let users = rows
            .iter()
            .map(|r| user_of(r).map(|u| u.to_json()))
            .collect::<Result<_, _>>()?;
        let total: i64 =
            sqlx::query_scalar("SELECT count(*) FROM auth.users WHERE deleted_at IS NULL")
                .fetch_one(self.pool)
                .await?;
        Ok((users, total.max(0) as u64))
    }

    /// `app` merged into the user's app metadata (a `null` removes a key).
    pub async fn merge_app_metadata(
        &self,
        user: uuid::Uuid,
        app: &Value,
    ) -> Result<(), sqlx::Error> {
        sqlx::query(
            "UPDATE auth.users SET raw_app_meta_data = jsonb_strip_nulls(coalesce(raw_app_meta_data, '{}') || $2),
                 updated_at = now() WHERE id = $1",
        )
        .bind(user)
        .bind(app)
        .execute(self.pool)
        .await?;
        Ok(())
    }

    pub async fn confirm_email(&self, user: uuid::Uuid) -> Result<(), sqlx::Error> {
        sqlx::query(
            "UPDATE auth.users SET email_confirmed_at = coalesce(email_confirmed_at, now()), updated_at = now() WHERE id = $1",
        )
        .bind(user)
        .execute(self.pool)
        .await?;
        Ok(())
    }

    /// Banned for `duration` from now (its sessions end), or the ban lifted.
    pub async fn ban(
        &self,
        user: uuid::Uuid,
        duration: Option<std::time::Duration>,
    ) -> Result<(), sqlx::Error> {
        let seconds = duration.map(|d| d.as_secs_f64());
        let mut tx = self.pool.begin().await?;
        sqlx::query(
            "UPDATE auth.users SET banned_until = now() + make_interval(secs => $2), updated_at = now() WHERE id = $1",
        )
        .bind(user)
        .bind(seconds)
        .execute(&mut *tx)
        .await?;
        if duration.is_some() {
            sqlx::query("DELETE FROM auth.sessions WHERE user_id = $1")
                .bind(user)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// The user gone (identities, sessions and tokens by cascade), or kept and marked deleted.
    pub async fn delete_user(&self, user: uuid::Uuid, soft: bool) -> Result<(), sqlx::Error> {
        let mut tx = self.pool.begin().await?;
        if soft {
            sqlx::query(
                "UPDATE auth.users SET deleted_at = now(), updated_at = now() WHERE id = $1",
            )
            .bind(user)
            .execute(&mut *tx)
            .await?;
            sqlx::query("DELETE FROM auth.sessions WHERE user_id = $1")
                .bind(user)
                .execute(&mut *tx)
                .await?;
        } else {
            sqlx::query("DELETE FROM auth.users WHERE id = $1")
                .bind(user)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    pub async fn set_password(&self, user: uuid::Uuid, hash: &str) -> Result<(), sqlx::Error> {
        sqlx::query(
            "UPDATE auth.users SET encrypted_password = $2, updated_at = now() WHERE id = $1",
        )
        .bind(user)
        .bind(hash)
        .execute(self.pool)
        .await?;
        Ok(())
    }

    /// `data`'s keys into the user's metadata (GoTrue merges; a `null` value removes a key).
    pub async fn merge_metadata(&self, user: uuid::Uuid, data: &Value) -> Result<(), sqlx::Error> {
        sqlx::query(
            "UPDATE auth.users SET raw_user_meta_data = jsonb_strip_nulls(coalesce(raw_user_meta_data, '{}') || $2),
                 updated_at = now() WHERE id = $1",
        )
        .bind(user)
        .bind(data)
        .execute(self.pool)
        .await?;
        Ok(())
    }

    /// The user's email, and its `email` identity's; false when another user has it.
    pub async fn set_email(&self, user: uuid::Uuid, email: &str) -> Result<bool, sqlx::Error> {
        let mut tx = self.pool.begin().await?;
        if email_taken(&mut tx, email, Some(user)).await? {
            return Ok(false);
        }
        sqlx::query("UPDATE auth.users SET email = $2, updated_at = now() WHERE id = $1")
            .bind(user)
            .bind(email)
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "UPDATE auth.identities SET identity_data = identity_data || jsonb_build_object('email', $2::text),
                 updated_at = now() WHERE user_id = $1 AND provider = 'email'",
        )
        .bind(user)
        .bind(email)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(true)
    }

    /// One row of `auth.audit_log_entries`, in GoTrue's payload shape.
    pub async fn audit(
        &self,
        user: uuid::Uuid,
        action: &str,
        traits: Value,
    ) -> Result<(), sqlx::Error> {
        let payload = json!({
            "action": action,
            "actor_id": user.to_string(),
            "actor_username": "",
            "log_type": match action {
                "login" | "logout" | "user_signedup" => "account",
                "token_refreshed" | "token_revoked" => "token",
                _ => "user",
            },
            "traits": traits,
        });
        sqlx::query(
            "INSERT INTO auth.audit_log_entries (instance_id, id, payload, created_at, ip_address)
             VALUES ('00000000-0000-0000-0000-000000000000', gen_random_uuid(), $1, now(), '')",
        )
        .bind(payload)
        .execute(self.pool)
        .await?;
        Ok(())
    }
}
