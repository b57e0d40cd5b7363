//! Who a request runs as: its `Authorization: Bearer` JWT verified with the stack's HS256 secret,
//! or the anonymous role without one. Failures answer 401 in PostgREST's shape, with the
//! `WWW-Authenticate` header PostgREST sends.

use appctl_rest::ApiError;
use axum::http::{HeaderMap, header};

/// The role and claims a request runs with.
#[derive(Debug, Clone, PartialEq)]
pub struct Identity {
    pub role: String,
    /// What `request.jwt.claims` is set to: the token's claims, or `{"role": <anon>}`.
    pub claims: serde_json::Value,
    /// Whether the request runs as a role other than the anonymous one (42501 is 403 then, 401
    /// otherwise). As in PostgREST, a token whose role is the anonymous role (the anon key) counts
    /// as anonymous: a supabase-js client without a session sees 401.
    pub authenticated: bool,
}

/// The identity of a request. `anon_role: None` refuses requests without a token (PGRST302).
pub fn identify(
    headers: &HeaderMap,
    secret: &str,
    anon_role: Option<&str>,
) -> Result<Identity, ApiError> {
    let token = match headers.get(header::AUTHORIZATION) {
        None => None,
        Some(value) => {
            let value = value
                .to_str()
                .map_err(|_| invalid("JWSError JWSInvalidSignature"))?;
            let (scheme, token) = value.trim().split_once(' ').unwrap_or((value, ""));
            if !scheme.eq_ignore_ascii_case("bearer") {
                // PostgREST ignores other schemes (Basic auth in front of it): anonymous.
                None
            } else {
                Some(token.trim().to_string())
            }
        }
    };
    let Some(token) = token.filter(|t| !t.is_empty()) else {
        return match anon_role {
            Some(role) => Ok(Identity {
                role: role.to_string(),
                claims: serde_json::json!({ "role": role }),
                authenticated: false,
            }),
            None => Err(ApiError::new(
                401,
                "PGRST302",
                "Anonymous access is disabled",
            )),
        };
    };
    let claims = verify(&token, secret)?;
    let role = match claims.get("role") {
        Some(serde_json::Value::String(role)) if !role.is_empty() => role.clone(),
        Some(serde_json::Value::String(_)) | None => match anon_role {
            Some(role) => role.to_string(),
            None => {
                return Err(ApiError::new(
                    401,
                    "PGRST302",
                    "Anonymous access is disabled",
                ));
            }
        },
        Some(_) => {
            return Err(
                ApiError::new(401, "PGRST303", "JWT claims validation or parsing failed")
                    .with_details("the role claim is not a string"),
            );
        }
    };
    Ok(Identity {
        authenticated: anon_role != Some(role.as_str()),
        role,
        claims,
    })
}

fn invalid(details: &str) -> ApiError {
    ApiError::new(401, "PGRST301", "JWT cryptographic operation failed").with_details(details)
}

/// The claims of an HS256 token signed with `secret`. Other algorithms (`none`, RS256 with the
/// secret as a public key) are refused; `exp` and `nbf` are checked with 30 s of leeway, as
/// PostgREST allows; no claim is required and the audience is not checked.
fn verify(token: &str, secret: &str) -> Result<serde_json::Value, ApiError> {
    use jsonwebtoken::errors::ErrorKind;
    let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::HS256);
    validation.validate_aud = false;
    validation.validate_nbf = true;
    validation.leeway = 30;
    validation.required_spec_claims.clear();
    match jsonwebtoken::decode::<serde_json::Value>(
        token,
        &jsonwebtoken::DecodingKey::from_secret(secret.as_bytes()),
        &validation,
    ) {
        Ok(data) if data.claims.is_object() => Ok(data.claims),
        Ok(_) => Err(ApiError::new(
            401,
            "PGRST303",
            "JWT claims validation or parsing failed",
        )),
        Err(e) => Err(match e.kind() {
            ErrorKind::ExpiredSignature => ApiError::new(401, "PGRST303", "JWT expired"),
            ErrorKind::ImmatureSignature => ApiError::new(401, "PGRST303", "JWT not yet valid"),
            ErrorKind::InvalidSignature => invalid("JWSError JWSInvalidSignature"),
            ErrorKind::InvalidAlgorithm => {
                invalid("JWSError (JSONDecodeError \"Wrong algorithm\")")
            }
            _ => ApiError::new(401, "PGRST301", "Invalid JWT").with_details(e.to_string()),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "a secret of at least thirty-two characters";

    fn headers(token: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(
            header::AUTHORIZATION,
            format!("Bearer {token}").parse().unwrap(),
        );
        h
    }

    fn sign(claims: serde_json::Value, secret: &str) -> String {
        jsonwebtoken::encode(
            &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
            &claims,
            &jsonwebtoken::EncodingKey::from_secret(secret.as_bytes()),
        )
        .unwrap()
    }

    #[test]
    fn no_token_is_anon_or_refused() {
        let id = identify(&HeaderMap::new(), SECRET, Some("anon")).unwrap();
        assert_eq!(id.role, "anon");
        assert!(!id.authenticated);
        assert_eq!(
            identify(&HeaderMap::new(), SECRET, None).unwrap_err().code,
            "PGRST302"
        );
    }

    #[test]
    fn tokens_are_checked() {
        let now = chrono::Utc::now().timestamp();
        let good = sign(
            serde_json::json!({"role": "authenticated", "sub": "x", "exp": now + 60}),
            SECRET,
        );
        let id = identify(&headers(&good), SECRET, Some("anon")).unwrap();
        assert_eq!(id.role, "authenticated");
        assert!(id.authenticated);

        let forged = sign(
            serde_json::json!({"role": "service_role"}),
            "another secret entirely, also long",
        );
        let e = identify(&headers(&forged), SECRET, Some("anon")).unwrap_err();
        assert_eq!((e.status, e.code.as_str()), (401, "PGRST301"));

        let expired = sign(
            serde_json::json!({"role": "authenticated", "exp": now - 3600}),
            SECRET,
        );
        let e = identify(&headers(&expired), SECRET, Some("anon")).unwrap_err();
        assert_eq!(
            (e.status, e.code.as_str(), e.message.as_str()),
            (401, "PGRST303", "JWT expired")
        );

        // {"alg":"none","typ":"JWT"} . {"role":"service_role"} . (no signature)
        let none = "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.eyJyb2xlIjoic2VydmljZV9yb2xlIn0.";
        let e = identify(&headers(none), SECRET, Some("anon")).unwrap_err();
        assert_eq!(e.status, 401);

        let e = identify(&headers("not a token"), SECRET, Some("anon")).unwrap_err();
        assert_eq!((e.status, e.code.as_str()), (401, "PGRST301"));
    }
}
