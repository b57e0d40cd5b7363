//! The admin API (`/admin/users`), for the service role only: what `supabase.auth.admin` calls
//! (`listUsers`, `createUser`, `getUserById`, `updateUserById`, `deleteUser`).

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue};
use axum::response::IntoResponse;
use serde_json::{Value, json};

use super::store::UserRow;
use super::{Answer, Auth, AuthError, email_of, hash_password};

/// The roles whose tokens may call the admin API (GoTrue's `JWT_ADMIN_ROLES`).
const ADMIN_ROLES: &[&str] = &["service_role", "supabase_admin"];

impl Auth {
    /// Refuses a caller whose verified token is not an admin role's.
    fn admin(&self, headers: &HeaderMap) -> Result<(), AuthError> {
        let claims = self.verified_claims(headers)?;
        match claims["role"].as_str() {
            Some(role) if ADMIN_ROLES.contains(&role) => Ok(()),
            _ => Err(AuthError::new(403, "not_admin", "User not allowed")),
        }
    }
}

/// The user of an admin path's `{id}`, or GoTrue's 404 (also for an id that is not a UUID).
async fn user_of_path(auth: &Auth, id: &str) -> Result<UserRow, AuthError> {
    let not_found = || AuthError::new(404, "user_not_found", "User not found");
    let id = uuid::Uuid::parse_str(id).map_err(|_| not_found())?;
    auth.store().user_by_id(id).await?.ok_or_else(not_found)
}

#[derive(serde::Deserialize)]
pub(super) struct Page {
    page: Option<String>,
    per_page: Option<String>,
}

/// `GET /admin/users?page=&per_page=`: `{users, aud}`, `X-Total-Count` and a `Link` header with
/// `next` and `last`, as GoTrue paginates.
pub(super) async fn list(
    State(auth): State<Auth>,
    headers: HeaderMap,
    Query(page): Query<Page>,
) -> Answer {
    auth.admin(&headers)?;
    let number = |text: Option<String>, default: u64| {
        text.filter(|t| !t.is_empty())
            .map(|t| {
                t.parse::<u64>().map_err(|_| {
                    AuthError::new(
                        400,
                        "validation_failed",
                        format!("`{t}` is not a page number"),
                    )
                })
            })
            .transpose()
            .map(|n| n.unwrap_or(default).max(1))
    };
    let page_number = number(page.page, 1)?;
    let per_page = number(page.per_page, 50)?.min(1000);
    let (users, total) = auth
        .store()
        .list_users((page_number - 1) * per_page, per_page)
        .await?;
    let mut response =
        axum::Json(json!({ "users": users, "aud": "authenticated" })).into_response();
    let last = total.div_ceil(per_page).max(1);
    let mut links = Vec::new();
    if page_number < last {
        links.push(format!(
            "</admin/users?page={}&per_page={per_page}>; rel=\"next\"",
            page_number + 1
        ));
    }
    links.push(format!(
        "</admin/users?page={last}&per_page={per_page}>; rel=\"last\""
    ));
    let out = response.headers_mut();
    out.insert("x-total-count", HeaderValue::from(total));
    if let Ok(value) = HeaderValue::from_str(&links.join(", ")) {
        out.insert("link", value);
    }
    Ok(response)
}

/// `POST /admin/users`: a user with `email`, an optional `password`, `email_confirm`,
/// `user_metadata` and `app_metadata`.
pub(super) async fn create(
    State(auth): State<Auth>,
    headers: HeaderMap,
    body: axum::Json<Value>,
) -> Answer {
    auth.admin(&headers)?;
    let email = email_of(&body)?;
    let hash = match body.get("password").and_then(Value::as_str) {
        Some(password) => {
            auth.check_password(password)?;
            Some(hash_password(password).await?)
        }
        None => None,
    };
    let store = auth.store();
    let user = store
        .create_user(
            &email,
            hash.as_deref(),
            &object(&body["user_metadata"]),
            body["email_confirm"].as_bool().unwrap_or(false),
        )
        .await?
        .ok_or_else(|| {
            AuthError::new(
                422,
                "email_exists",
                "A user with this email address has already been registered",
            )
        })?;
    if let Value::Object(app) = &body["app_metadata"] {
        store
            .merge_app_metadata(user.id, &Value::Object(app.clone()))
            .await?;
    }
    store
        .audit(
            user.id,
            "user_signedup",
            json!({ "provider": "email", "by": "admin" }),
        )
        .await?;
    let user = store.user_by_id(user.id).await?.unwrap_or(user);
    Ok(axum::Json(user.to_json()).into_response())
}

pub(super) async fn get_one(
    State(auth): State<Auth>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Answer {
    auth.admin(&headers)?;
    let user = user_of_path(&auth, &id).await?;
    Ok(axum::Json(user.to_json()).into_response())
}

/// `PUT /admin/users/{id}`: `email`, `password`, `email_confirm`, `user_metadata` and
/// `app_metadata` (merged), `ban_duration` (`24h`, or `none` to lift a ban).
pub(super) async fn update(
    State(auth): State<Auth>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: axum::Json<Value>,
) -> Answer {
    auth.admin(&headers)?;
    let user = user_of_path(&auth, &id).await?;
    let store = auth.store();
    if body.get("email").is_some() {
        let email = email_of(&body)?;
        if !store.set_email(user.id, &email).await? {
            return Err(AuthError::new(
                422,
                "email_exists",
                "A user with this email address has already been registered",
            ));
        }
    }
    if let Some(password) = body.get("password").and_then(Value::as_str) {
        auth.check_password(password)?;
        store
            .set_password(user.id, &hash_password(password).await?)
            .await?;
    }
    if body["email_confirm"].as_bool() == Some(true) {
        store.confirm_email(user.id).await?;
    }
    if let Value::Object(data) = &body["user_metadata"] {
        store
            .merge_metadata(user.id, &Value::Object(data.clone()))
            .await?;
    }
    if let Value::Object(app) = &body["app_metadata"] {
        store
            .merge_app_metadata(user.id, &Value::Object(app.clone()))
            .await?;
    }
    if let Some(duration) = body.get("ban_duration").and_then(Value::as_str) {
        let until = match duration {
            "none" => None,
            text => Some(humantime::parse_duration(text).map_err(|_| {
                AuthError::new(
                    400,
                    "validation_failed",
                    format!("invalid format for ban duration: {text}"),
                )
            })?),
        };
        store.ban(user.id, until).await?;
    }
    store
        .audit(user.id, "user_modified", json!({ "by": "admin" }))
        .await?;
    let user = store.user_by_id(user.id).await?.unwrap_or(user);
    Ok(axum::Json(user.to_json()).into_response())
}

/// `DELETE /admin/users/{id}`: the user and everything of it (identities, sessions, refresh
/// tokens); with `should_soft_delete`, the row stays, marked deleted, without its sessions.
pub(super) async fn delete(
    State(auth): State<Auth>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Option<axum::Json<Value>>,
) -> Answer {
    auth.admin(&headers)?;
    let user = user_of_path(&auth, &id).await?;
    let store = auth.store();
    let soft = body
        .and_then(|b| b.0["should_soft_delete"].as_bool())
        .unwrap_or(false);
    store.delete_user(user.id, soft).await?;
    store
        .audit(user.id, "user_deleted", json!({ "soft": soft }))
        .await?;
    Ok(axum::Json(user.to_json()).into_response())
}

fn object(value: &Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(map.clone()),
        _ => json!({}),
    }
}
