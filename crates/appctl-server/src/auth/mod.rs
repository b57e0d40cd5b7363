//! The auth service: Supabase Auth's (GoTrue's) HTTP API as `@supabase/supabase-js` (auth-js) uses
//! it, over Supabase's `auth` tables (bootstrap creates them where missing), so a Supabase
//! project's users sign in here and ours export to Supabase.
//!
//! [`Auth::router`] answers, relative to where it is mounted (`/auth/v1` behind the gateway):
//!
//! - `GET /health`, `GET /settings`;
//! - `POST /signup` (email + password, `data` into the user's metadata): the user and its `email`
//!   identity; with `autoconfirm` (the local default) confirmed at once and answered with a
//!   session, else the user alone (confirmation mails are not sent yet);
//! - `POST /token?grant_type=password`: a session (access token + refresh token) for the right
//!   password; one error, `invalid_credentials`, for an unknown email and a wrong password, and
//!   a bcrypt comparison in both cases, so neither the answer nor its time tells them apart;
//! - `POST /token?grant_type=refresh_token`: the refresh token rotated (the old one revoked, its
//!   child issued); a revoked one presented again revokes the whole session (reuse detection);
//! - `GET /user`, `PUT /user` (password, metadata, email when `autoconfirm`);
//! - `POST /logout?scope=global|local|others`;
//! - the admin API for the service role ([`admin`]): `/admin/users` list (paginated as GoTrue),
//!   create, get, update (metadata, password, email, bans), delete (hard or soft).
//!
//! Access tokens are HS256 JWTs with the claims Supabase issues (`sub`, `role`, `aud`, `email`,
//! `phone`, `app_metadata`, `user_metadata`, `session_id`, `aal`, `amr`, `is_anonymous`, `iat`,
//! `exp`, `iss`), signed with the stack's secret: REST and the functions' gateway verify them.
//! Passwords are bcrypt (cost 10, as GoTrue writes them). Every event is a row of
//! `auth.audit_log_entries`. Errors are GoTrue's JSON (`code` = the status, `error_code`, `msg`),
//! which auth-js turns into `AuthApiError` with `error.code` and `error.message`.
//!
//! The pool logs in as `supabase_auth_admin`, which may read and write the `auth` tables only.
//!
//! Not yet: phone sign-up, anonymous sign-in, `/recover`, `/otp`, `/verify`, mails, OAuth/OIDC,
//! MFA, `/admin/generate_link`, rate limits, foreign password hashes.

mod admin;
mod store;

use std::sync::Arc;

use axum::Router;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Value, json};

use self::store::{Store, UserRow};

/// What the service needs.
#[derive(Clone)]
pub struct AuthConfig {
    /// Connections as `supabase_auth_admin`.
    pub pool: sqlx::PgPool,
    /// The HS256 secret access tokens are signed with (the stack's).
    pub jwt_secret: String,
    /// How long an access token lives, in seconds (GoTrue's `JWT_EXP`, 3600 by default).
    pub jwt_expiry_secs: i64,
    /// The `iss` claim: the service's URL as clients see it.
    pub issuer: String,
    /// Whether new users may sign up.
    pub signup_enabled: bool,
    /// Whether a new user is confirmed at once (no confirmation mail); the local stack's default.
    pub autoconfirm: bool,
    /// The shortest password accepted.
    pub min_password_length: usize,
}

/// The service, cheap to clone.
#[derive(Clone)]
pub struct Auth {
    inner: Arc<AuthConfig>,
}

/// An error as GoTrue answers it.
#[derive(Debug, Clone, PartialEq)]
pub struct AuthError {
    pub status: u16,
    pub error_code: &'static str,
    pub msg: String,
    /// `weak_password`'s reasons.
    reasons: Vec<&'static str>,
}

impl AuthError {
    fn new(status: u16, error_code: &'static str, msg: impl Into<String>) -> Self {
        AuthError {
            status,
            error_code,
            msg: msg.into(),
            reasons: Vec::new(),
        }
    }

    fn internal(e: impl std::fmt::Display) -> Self {
        eprintln!("auth: {e}");
        AuthError::new(
            500,
            "unexpected_failure",
            "Unexpected failure, please check server logs",
        )
    }

    fn invalid_credentials() -> Self {
        AuthError::new(400, "invalid_credentials", "Invalid login credentials")
    }

    fn bad_jwt(msg: impl Into<String>) -> Self {
        AuthError::new(403, "bad_jwt", msg)
    }
}

impl From<sqlx::Error> for AuthError {
    fn from(e: sqlx::Error) -> Self {
        AuthError::internal(e)
    }
}

impl IntoResponse for AuthError {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut body =
            json!({ "code": self.status, "error_code": self.error_code, "msg": self.msg });
        if !self.reasons.is_empty() {
            body["weak_password"] = json!({ "reasons": self.reasons });
        }
        (status, axum::Json(body)).into_response()
    }
}

type Answer = Result<Response, AuthError>;

impl Auth {
    pub fn new(config: AuthConfig) -> Auth {
        Auth {
            inner: Arc::new(config),
        }
    }

    /// GoTrue's paths, relative to the mount point.
    pub fn router(&self) -> Router {
        Router::new()
            .route("/health", get(health))
            .route("/settings", get(settings))
            .route("/signup", post(signup))
            .route("/token", post(token))
            .route("/user", get(get_user).put(update_user))
            .route("/logout", post(logout))
            .route("/admin/users", get(admin::list).post(admin::create))
            .route(
                "/admin/users/{id}",
                get(admin::get_one).put(admin::update).delete(admin::delete),
            )
            .fallback(|| async {
                AuthError::new(
                    404,
                    "not_found",
                    "This endpoint is not part of appctl's auth yet",
                )
            })
            .with_state(self.clone())
    }

    fn store(&self) -> Store<'_> {
        Store::new(&self.inner.pool)
    }

    /// A session for `user`: a new `auth.sessions` row (or `session_id`, on refresh) and its
    /// access token, with `refresh_token`.
    fn session_body(
        &self,
        user: &UserRow,
        session_id: uuid::Uuid,
        refresh_token: &str,
        method: &str,
    ) -> Answer {
        let now = chrono::Utc::now().timestamp();
        let expires_at = now + self.inner.jwt_expiry_secs;
        let claims = json!({
            "iss": self.inner.issuer,
            "sub": user.id.to_string(),
            "aud": "authenticated",
            "exp": expires_at,
            "iat": now,
            "email": user.email.clone().unwrap_or_default(),
            "phone": user.phone.clone().unwrap_or_default(),
            "app_metadata": user.app_metadata,
            "user_metadata": user.user_metadata,
            "role": user.role.clone().unwrap_or_else(|| "authenticated".into()),
            "aal": "aal1",
            "amr": [{ "method": method, "timestamp": now }],
            "session_id": session_id.to_string(),
            "is_anonymous": user.is_anonymous,
        });
        let access_token =
            crate::jwt::sign(claims, &self.inner.jwt_secret).map_err(AuthError::internal)?;
        Ok(axum::Json(json!({
            "access_token": access_token,
            "token_type": "bearer",
            "expires_in": self.inner.jwt_expiry_secs,
            "expires_at": expires_at,
            "refresh_token": refresh_token,
            "user": user.to_json(),
        }))
        .into_response())
    }

    /// The claims of the request's `Authorization: Bearer` token, verified with the secret.
    fn verified_claims(&self, headers: &HeaderMap) -> Result<Value, AuthError> {
        let token = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| {
                v.strip_prefix("Bearer ")
                    .or_else(|| v.strip_prefix("bearer "))
            })
            .ok_or_else(|| {
                AuthError::new(
                    401,
                    "no_authorization",
                    "This endpoint requires a Bearer token",
                )
            })?;
        crate::jwt::verify(token.trim(), &self.inner.jwt_secret).map_err(|_| {
            AuthError::bad_jwt(
                "invalid JWT: unable to parse or verify signature, token is expired or malformed",
            )
        })
    }

    /// The caller's verified claims and user; the session of the token must still exist.
    async fn caller(&self, headers: &HeaderMap) -> Result<(Value, UserRow), AuthError> {
        let claims = self.verified_claims(headers)?;
        let user_id = claims["sub"]
            .as_str()
            .and_then(|s| uuid::Uuid::parse_str(s).ok())
            .ok_or_else(|| AuthError::bad_jwt("invalid claim: missing sub claim"))?;
        if let Some(session) = claims["session_id"]
            .as_str()
            .and_then(|s| uuid::Uuid::parse_str(s).ok())
            && !self.store().session_exists(session).await?
        {
            return Err(AuthError::new(
                403,
                "session_not_found",
                "Session from session_id claim in JWT does not exist",
            ));
        }
        let user = self.store().user_by_id(user_id).await?.ok_or_else(|| {
            AuthError::new(
                403,
                "user_not_found",
                "User from sub claim in JWT does not exist",
            )
        })?;
        Ok((claims, user))
    }

    fn check_password(&self, password: &str) -> Result<(), AuthError> {
        if password.chars().count() < self.inner.min_password_length {
            let mut e = AuthError::new(
                422,
                "weak_password",
                format!(
                    "Password should be at least {} characters.",
                    self.inner.min_password_length
                ),
            );
            e.reasons = vec!["length"];
            return Err(e);
        }
        Ok(())
    }
}

async fn health() -> Response {
    axum::Json(json!({ "version": env!("CARGO_PKG_VERSION"), "name": "appctl-auth", "description": "appctl's auth service, Supabase Auth's API" })).into_response()
}

async fn settings(State(auth): State<Auth>) -> Response {
    axum::Json(json!({
        "external": { "email": true, "phone": false, "anonymous_users": false },
        "disable_signup": !auth.inner.signup_enabled,
        "mailer_autoconfirm": auth.inner.autoconfirm,
        "phone_autoconfirm": false,
        "sms_provider": "",
        "saml_enabled": false,
    }))
    .into_response()
}

/// A normalised email, or GoTrue's validation error. Control characters and anything but one `@`
/// between non-empty parts are refused.
fn email_of(body: &Value) -> Result<String, AuthError> {
    let invalid = || {
        AuthError::new(
            400,
            "validation_failed",
            "Unable to validate email address: invalid format",
        )
    };
    let email = body["email"]
        .as_str()
        .ok_or_else(invalid)?
        .trim()
        .to_lowercase();
    let valid = email.len() <= 255
        && !email.chars().any(|c| c.is_control() || c.is_whitespace())
        && matches!(email.split_once('@'), Some((local, domain)) if !local.is_empty() && domain.contains('.') && !domain.contains('@') && !domain.starts_with('.') && !domain.ends_with('.'));
    if valid { Ok(email) } else { Err(invalid()) }
}

fn password_of(body: &Value) -> Result<&str, AuthError> {
    body["password"]
        .as_str()
        .ok_or_else(|| AuthError::new(400, "validation_failed", "Password is required"))
}

async fn signup(State(auth): State<Auth>, body: axum::Json<Value>) -> Answer {
    if !auth.inner.signup_enabled {
        return Err(AuthError::new(
            422,
            "signup_disabled",
            "Signups not allowed for this instance",
        ));
    }
    let email = email_of(&body)?;
    let password = password_of(&body)?;
    auth.check_password(password)?;
    let metadata = match &body["data"] {
        Value::Object(map) => Value::Object(map.clone()),
        _ => json!({}),
    };
    let hash = hash_password(password).await?;
    let store = auth.store();
    let user = store
        .create_user(&email, Some(&hash), &metadata, auth.inner.autoconfirm)
        .await?
        .ok_or_else(|| AuthError::new(422, "user_already_exists", "User already registered"))?;
    store
        .audit(user.id, "user_signedup", json!({ "provider": "email" }))
        .await?;
    if !auth.inner.autoconfirm {
        return Ok(axum::Json(user.to_json()).into_response());
    }
    let (session, refresh) = store.start_session(user.id).await?;
    store
        .audit(user.id, "login", json!({ "provider": "email" }))
        .await?;
    auth.session_body(&user, session, &refresh, "password")
}

#[derive(serde::Deserialize)]
struct Grant {
    grant_type: Option<String>,
}

async fn token(
    State(auth): State<Auth>,
    Query(grant): Query<Grant>,
    body: axum::Json<Value>,
) -> Answer {
    match grant.grant_type.as_deref() {
        Some("password") => password_grant(&auth, &body).await,
        Some("refresh_token") => refresh_grant(&auth, &body).await,
        other => Err(AuthError::new(
            400,
            "validation_failed",
            format!("unsupported_grant_type: {}", other.unwrap_or("none")),
        )),
    }
}

async fn password_grant(auth: &Auth, body: &Value) -> Answer {
    let password = password_of(body)?;
    let email = email_of(body).map_err(|_| AuthError::invalid_credentials())?;
    let store = auth.store();
    let user = store.user_by_email(&email).await?;
    // The same bcrypt work whether or not the user exists: the answer's time tells nothing.
    let stored = match user.as_ref().and_then(|u| u.encrypted_password.clone()) {
        Some(hash) => hash,
        None => dummy_hash().await?,
    };
    let matches = verify_password(password, &stored).await?;
    let Some(user) = user.filter(|_| matches) else {
        return Err(AuthError::invalid_credentials());
    };
    if user.email_confirmed_at.is_none() {
        return Err(AuthError::new(
            400,
            "email_not_confirmed",
            "Email not confirmed",
        ));
    }
    if user.banned {
        return Err(AuthError::new(400, "user_banned", "User is banned"));
    }
    let (session, refresh) = store.start_session(user.id).await?;
    store.signed_in(user.id).await?;
    store
        .audit(user.id, "login", json!({ "provider": "email" }))
        .await?;
    let user = store.user_by_id(user.id).await?.unwrap_or(user);
    auth.session_body(&user, session, &refresh, "password")
}

async fn refresh_grant(auth: &Auth, body: &Value) -> Answer {
    let token = body["refresh_token"]
        .as_str()
        .ok_or_else(|| AuthError::new(400, "validation_failed", "refresh_token required"))?;
    let store = auth.store();
    match store.rotate(token).await? {
        store::Rotation::Rotated {
            user_id,
            session_id,
            token,
        } => {
            let user = store
                .user_by_id(user_id)
                .await?
                .ok_or_else(|| AuthError::new(400, "user_not_found", "User not found"))?;
            store.audit(user.id, "token_refreshed", json!({})).await?;
            auth.session_body(&user, session_id, &token, "password")
        }
        store::Rotation::Reused { user_id } => {
            store
                .audit(
                    user_id,
                    "token_revoked",
                    json!({ "reason": "refresh token reused" }),
                )
                .await?;
            Err(AuthError::new(
                400,
                "refresh_token_already_used",
                "Invalid Refresh Token: Already Used",
            ))
        }
        store::Rotation::Unknown => Err(AuthError::new(
            400,
            "refresh_token_not_found",
            "Invalid Refresh Token: Refresh Token Not Found",
        )),
    }
}

async fn get_user(State(auth): State<Auth>, headers: HeaderMap) -> Answer {
    let (_, user) = auth.caller(&headers).await?;
    Ok(axum::Json(user.to_json()).into_response())
}

async fn update_user(
    State(auth): State<Auth>,
    headers: HeaderMap,
    body: axum::Json<Value>,
) -> Answer {
    let (_, user) = auth.caller(&headers).await?;
    let store = auth.store();
    if let Some(password) = body.get("password").and_then(Value::as_str) {
        auth.check_password(password)?;
        let hash = hash_password(password).await?;
        store.set_password(user.id, &hash).await?;
    }
    if let Value::Object(data) = &body["data"] {
        store
            .merge_metadata(user.id, &Value::Object(data.clone()))
            .await?;
    }
    if body.get("email").is_some() {
        let email = email_of(&body)?;
        if Some(&email) != user.email.as_ref() {
            if !auth.inner.autoconfirm {
                return Err(AuthError::new(
                    422,
                    "email_provider_disabled",
                    "Changing the email needs a confirmation mail, which appctl does not send yet",
                ));
            }
            if !store.set_email(user.id, &email).await? {
                return Err(AuthError::new(
                    422,
                    "email_exists",
                    "A user with this email address has already been registered",
                ));
            }
        }
    }
    store.audit(user.id, "user_modified", json!({})).await?;
    let user = store.user_by_id(user.id).await?.unwrap_or(user);
    Ok(axum::Json(user.to_json()).into_response())
}

#[derive(serde::Deserialize)]
struct Scope {
    scope: Option<String>,
}

async fn logout(
    State(auth): State<Auth>,
    headers: HeaderMap,
    Query(scope): Query<Scope>,
) -> Answer {
    let (claims, user) = auth.caller(&headers).await?;
    let session = claims["session_id"]
        .as_str()
        .and_then(|s| uuid::Uuid::parse_str(s).ok());
    let scope = match scope.scope.as_deref() {
        None | Some("global") => store::LogoutScope::Global,
        Some("local") => store::LogoutScope::Local,
        Some("others") => store::LogoutScope::Others,
        Some(other) => {
            return Err(AuthError::new(
                400,
                "validation_failed",
                format!("unsupported logout scope {other:?}"),
            ));
        }
    };
    auth.store().end_sessions(user.id, session, scope).await?;
    auth.store().audit(user.id, "logout", json!({})).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// A bcrypt hash at the same cost, compared against when the user does not exist.
async fn dummy_hash() -> Result<String, AuthError> {
    static DUMMY: tokio::sync::OnceCell<String> = tokio::sync::OnceCell::const_new();
    DUMMY
        .get_or_try_init(|| hash_password("appctl: no such user"))
        .await
        .cloned()
}

/// bcrypt at GoTrue's cost, off the async threads: it takes tens of milliseconds on purpose.
async fn hash_password(password: &str) -> Result<String, AuthError> {
    let password = password.to_string();
    tokio::task::spawn_blocking(move || bcrypt::hash(password, 10))
        .await
        .map_err(AuthError::internal)?
        .map_err(AuthError::internal)
}

async fn verify_password(password: &str, hash: &str) -> Result<bool, AuthError> {
    let (password, hash) = (password.to_string(), hash.to_string());
    tokio::task::spawn_blocking(move || bcrypt::verify(password, &hash).unwrap_or(false))
        .await
        .map_err(AuthError::internal)
}
