//! The stack's tokens: HS256 JWTs signed with its secret, as Supabase's services issue and accept
//! them. Every service that signs or checks a token goes through here.

use anyhow::Context as _;

/// Signs the long-lived key of a Postgres role (`anon`, `service_role`), as Supabase does for its
/// local stack: PostgREST, Auth and Storage accept it because it is signed with the stack's secret.
pub fn sign_role_key(role: &str, jwt_secret: &str) -> anyhow::Result<String> {
    let issued = chrono::Utc::now().timestamp();
    sign(
        serde_json::json!({
            "iss": "appctl",
            "role": role,
            "iat": issued,
            "exp": issued + 10 * 365 * 24 * 3600,
        }),
        jwt_secret,
    )
}

/// A short-lived token of one user (`role: authenticated`, `sub: <id>`), as Auth would issue it:
/// what `functions invoke --as user:<id>` sends.
pub fn sign_user_token(user_id: &str, jwt_secret: &str) -> anyhow::Result<String> {
    let issued = chrono::Utc::now().timestamp();
    sign(
        serde_json::json!({
            "iss": "appctl",
            "role": "authenticated",
            "aud": "authenticated",
            "sub": user_id,
            "iat": issued,
            "exp": issued + 3600,
        }),
        jwt_secret,
    )
}

/// An HS256 JWT of `claims`, signed with the stack's secret.
pub fn sign(claims: serde_json::Value, jwt_secret: &str) -> anyhow::Result<String> {
    jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
        &claims,
        &jsonwebtoken::EncodingKey::from_secret(jwt_secret.as_bytes()),
    )
    .context("cannot sign a token")
}

/// The claims of `token` when it is signed with `jwt_secret` and not expired. The audience is not
/// checked and no claim is required: role keys carry no `aud`, and what a claim means is the
/// caller's to decide.
pub fn verify(token: &str, jwt_secret: &str) -> anyhow::Result<serde_json::Value> {
    let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::HS256);
    validation.validate_aud = false;
    validation.required_spec_claims.clear();
    let data = jsonwebtoken::decode::<serde_json::Value>(
        token,
        &jsonwebtoken::DecodingKey::from_secret(jwt_secret.as_bytes()),
        &validation,
    )
    .context("the token is not valid")?;
    Ok(data.claims)
}
