//! Who a request runs as: its `Authorization: Bearer` JWT verified with the stack's HS256 secret
//! or a JSON Web Key Set (RFC 7517, for tokens issued elsewhere), or the anonymous role without
//! one. Failures answer 401 in PostgREST's shape, with the `WWW-Authenticate` header PostgREST
//! sends.

use appctl_rest::ApiError;
use axum::http::{HeaderMap, header};
use jsonwebtoken::Algorithm;
use jsonwebtoken::jwk::{AlgorithmParameters, EllipticCurve, Jwk, JwkSet, PublicKeyUse};

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

/// What tokens are verified with: the HS256 secret, and the keys of a JWKS if one is configured.
#[derive(Debug, Clone, Copy)]
pub struct Keys<'a> {
    pub secret: &'a str,
    pub jwks: Option<&'a JwkSet>,
}

/// The identity of a request. `anon_role: None` refuses requests without a token (PGRST302).
pub fn identify(
    headers: &HeaderMap,
    keys: Keys,
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
    let claims = verify(&token, keys)?;
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

/// The algorithms a JWKS key may verify: HMAC for `oct` keys, RSA PKCS#1 v1.5 and ECDSA on
/// P-256 / P-384. `none` cannot even be named (the header does not parse).
const JWKS_ALGORITHMS: [Algorithm; 8] = [
    Algorithm::HS256,
    Algorithm::HS384,
    Algorithm::HS512,
    Algorithm::RS256,
    Algorithm::RS384,
    Algorithm::RS512,
    Algorithm::ES256,
    Algorithm::ES384,
];

/// The claims of a token. Candidate keys: the JWKS keys that fit it (the key named by `kid` when
/// the token has one, else every key of the token's algorithm), and for HS256 the secret unless
/// `kid` names a JWKS key. Other algorithms (`none`, RS256 with the secret as a public key) are
/// refused; `exp` and `nbf` are checked with 30 s of leeway, as PostgREST allows; no claim is
/// required and the audience is not checked.
fn verify(token: &str, keys: Keys) -> Result<serde_json::Value, ApiError> {
    use jsonwebtoken::errors::ErrorKind;
    let header = jsonwebtoken::decode_header(token)
        .map_err(|e| ApiError::new(401, "PGRST301", "Invalid JWT").with_details(e.to_string()))?;
    let alg = header.alg;
    let mut candidates: Vec<jsonwebtoken::DecodingKey> = Vec::new();
    if let Some(jwks) = keys.jwks
        && JWKS_ALGORITHMS.contains(&alg)
    {
        let fitting = jwks.keys.iter().filter(|jwk| {
            fits(jwk, alg)
                && header
                    .kid
                    .as_ref()
                    .is_none_or(|kid| jwk.common.key_id.as_ref() == Some(kid))
        });
        // A key the crate cannot read is skipped: the others may still verify the token.
        candidates.extend(fitting.filter_map(|jwk| jsonwebtoken::DecodingKey::from_jwk(jwk).ok()));
    }
    if alg == Algorithm::HS256 && (header.kid.is_none() || candidates.is_empty()) {
        candidates.insert(
            0,
            jsonwebtoken::DecodingKey::from_secret(keys.secret.as_bytes()),
        );
    }
    if candidates.is_empty() {
        return Err(invalid(if keys.jwks.is_some() {
            "JWSError JWKSNoUsableKeys: no key matches the token's kid and algorithm"
        } else {
            "JWSError (JSONDecodeError \"Wrong algorithm\")"
        }));
    }
    let mut validation = jsonwebtoken::Validation::new(alg);
    validation.validate_aud = false;
    validation.validate_nbf = true;
    validation.leeway = 30;
    validation.required_spec_claims.clear();
    for key in &candidates {
        let e = match jsonwebtoken::decode::<serde_json::Value>(token, key, &validation) {
            Ok(data) if data.claims.is_object() => return Ok(data.claims),
            Ok(_) => {
                return Err(ApiError::new(
                    401,
                    "PGRST303",
                    "JWT claims validation or parsing failed",
                ));
            }
            Err(e) => e,
        };
        // Past the signature (expired, not yet valid, ...), this key signed it: the answer.
        return Err(match e.kind() {
            ErrorKind::InvalidSignature => continue,
            ErrorKind::ExpiredSignature => ApiError::new(401, "PGRST303", "JWT expired"),
            ErrorKind::ImmatureSignature => ApiError::new(401, "PGRST303", "JWT not yet valid"),
            ErrorKind::InvalidAlgorithm => {
                invalid("JWSError (JSONDecodeError \"Wrong algorithm\")")
            }
            _ => ApiError::new(401, "PGRST301", "Invalid JWT").with_details(e.to_string()),
        });
    }
    Err(invalid("JWSError JWSInvalidSignature"))
}

/// Whether `jwk` may verify a token signed with `alg`: its type and curve fit the algorithm, its
/// `alg` (when it names one) is that algorithm, and it is not an encryption key.
fn fits(jwk: &Jwk, alg: Algorithm) -> bool {
    if matches!(jwk.common.public_key_use, Some(PublicKeyUse::Encryption)) {
        return false;
    }
    if let Some(key_alg) = jwk.common.key_algorithm
        && key_alg.to_string() != format!("{alg:?}")
    {
        return false;
    }
    match &jwk.algorithm {
        AlgorithmParameters::OctetKey(_) => {
            matches!(alg, Algorithm::HS256 | Algorithm::HS384 | Algorithm::HS512)
        }
        AlgorithmParameters::RSA(_) => {
            matches!(alg, Algorithm::RS256 | Algorithm::RS384 | Algorithm::RS512)
        }
        AlgorithmParameters::EllipticCurve(ec) => matches!(
            (&ec.curve, alg),
            (EllipticCurve::P256, Algorithm::ES256) | (EllipticCurve::P384, Algorithm::ES384)
        ),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "a secret of at least thirty-two characters";

    fn hs() -> Keys<'static> {
        Keys {
            secret: SECRET,
            jwks: None,
        }
    }

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
        let id = identify(&HeaderMap::new(), hs(), Some("anon")).unwrap();
        assert_eq!(id.role, "anon");
        assert!(!id.authenticated);
        assert_eq!(
            identify(&HeaderMap::new(), hs(), None).unwrap_err().code,
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
        let id = identify(&headers(&good), hs(), Some("anon")).unwrap();
        assert_eq!(id.role, "authenticated");
        assert!(id.authenticated);

        let forged = sign(
            serde_json::json!({"role": "service_role"}),
            "another secret entirely, also long",
        );
        let e = identify(&headers(&forged), hs(), Some("anon")).unwrap_err();
        assert_eq!((e.status, e.code.as_str()), (401, "PGRST301"));

        let expired = sign(
            serde_json::json!({"role": "authenticated", "exp": now - 3600}),
            SECRET,
        );
        let e = identify(&headers(&expired), hs(), Some("anon")).unwrap_err();
        assert_eq!(
            (e.status, e.code.as_str(), e.message.as_str()),
            (401, "PGRST303", "JWT expired")
        );

        // {"alg":"none","typ":"JWT"} . {"role":"service_role"} . (no signature)
        let none = "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.eyJyb2xlIjoic2VydmljZV9yb2xlIn0.";
        let e = identify(&headers(none), hs(), Some("anon")).unwrap_err();
        assert_eq!(e.status, 401);

        let e = identify(&headers("not a token"), hs(), Some("anon")).unwrap_err();
        assert_eq!((e.status, e.code.as_str()), (401, "PGRST301"));
    }

    // Test-only keys, generated for these tests with `openssl genpkey` and used nowhere else, as
    // hex DER (the crate reads PEM only with a feature the workspace leaves off): an RSA key
    // (PKCS#1) and a P-256 key (PKCS#8) whose public halves are in `jwks()`, and an RSA key that
    // is not.
    const RSA_PRIVATE: &str = "308204a40201000282010100e2dbef05e1d069313e5fcef8caf2863dc1da693e955b6f314d24fd633d0c68e9\
77692a6353e657db22ed16040055eac8fbd389575f4386ac88a0de749e9938e0ed901d76b1eaaf7c97eaa4a6\
fd9761a19ddbc3c65cd6f42ed3202b390e1385d62c2db33ae1e2342db507468f4ffb51d67523b7ffdf4b52de\
4dd8d141bb8c9e4865bb168f4028c5247b39e7870969caf2eb3d15d89fc5296bba1de2538674937947d00c7a\
3fafafac872d16829bb5998aa6b8a7952faa41fa76bd5f19de9862c8355c92bc1ae15fac29eaa5563afc61bc\
47f80f77a552f479ed37409996b735b035d121bb8d0bb4f82772bd0fae49076e548f8b849f87e2f8a60e8715\
12750e3702030100010282010047d2d3f92bc63d17af24cc356ea39c26bf523411f15d9275ac73f29951c1b5\
117d91d92ebb686916631766e9fb6538414ba16c91320302076bf66a97c782c1444d525c51b1009970bbf439\
0ef9a8cceb4b3c41de72944798ef94f6ba489f9bb6f423bfe3fb920f6d0d2c71857c101897ea5c55abf7f934\
1257d9365f364ecde98b2c420b432e3a4eeca1030bf71e26560d392d58cbd976a44758169e448a8613aabe7e\
48b4e1c76d89901edc1e98e6fb4524aa29d4396f669c51121aaa32cbd94279cebce3974ab51b6a9ebcfc23aa\
78277db7a4f20f13d60b2041ecd7c9b65461448b4084c196856a6f6a000706fa2f74236f0d06b804ce5cb6da\
5f45ce676102818100fd138997b8b775c8800380a22e397211eaddd5ce2d1b5b0c1ecaa85181581bdb8a0099\
588f2c1c26a23e622d7f89eae3415fc225d91d9f8b990ecb015bdb4342ca8b211fd8df0778e29b2b59ee9c5f\
0c75fc8cfad7dc2f0fd536b0a042bc6b2b57133cd17519abc9cb03a1511aa185fdb2d9a4e31101a7d44538da\
5dd3e980d102818100e57adc2539de2fb2c13cbf64f25bac252c8d2a3a4799c5e9ae4bdc7e852b56d4f7e211\
3d692b843b7f1fbaee2816bcd3fbd255b7695c88927a0b6dbd86e73e89be6e7a7f5892b1de188a69b7776a02\
51a2039d340ca572673b58c0de335073b546dcd4d331b7d5989a8871f4e02fc03c1ae52d752171ab667daa71\
02ccb820870281806c917c1e8594d6c79bfb64acaeade03cc5884357becc14841f958b1de4223b59345bcb6d\
4d867bd12b1b1e1d2cb0aafeb125f6712c3264268c13e78cfeae12adcd9c602a7c6c399567896fd095e7a972\
fc0ecb20358874fc12d8f26ede125cdb6bf089cfc5afac9dd625098874a7448730b9e3ddb187074bae2294b3\
59dcbb7102818100b71774881b08a463e9fb8ef57acd1ba73949943495a6221b551e5fd96e64eacdd6cd3f56\
1110505bac0ce3f75a72f1cbecb2a0034b8431cf34a2e3b700e885a41f154495505512a7124b751795a6361d\
6db79678cdd23f5a1026bb134e3bd5660018f7915dacc03616ade0c6310cc842ec6e87fb5968b90978204234\
aaa40a0702818100cee9924e60628afaff7f4310fa130703bbf19a70f143a62236f04ad4026206337ed9203b\
eaee2a5bf3595c9be2de2ca2953bf5aa8d12f2c65ed404e1f91b854b38ceabae8111c47f4285bf44c38f8290\
a3071bb25279e7f53271e42291539c0e7844b3daf82e5cc533edd89900bbd6b57854313414249d129ba8e95d\
cf759fd1";
    const RSA_N: &str = "4tvvBeHQaTE-X874yvKGPcHaaT6VW28xTST9Yz0MaOl3aSpjU-ZX2yLtFgQAVerI-9OJV19DhqyIoN50npk44O2QHXax6q98l-qkpv2XYaGd28PGXNb0LtMgKzkOE4XWLC2zOuHiNC21B0aPT_tR1nUjt__fS1LeTdjRQbuMnkhluxaPQCjFJHs554cJacry6z0V2J_FKWu6HeJThnSTeUfQDHo_r6-shy0Wgpu1mYqmuKeVL6pB-na9XxnemGLINVySvBrhX6wp6qVWOvxhvEf4D3elUvR57TdAmZa3NbA10SG7jQu0-CdyvQ-uSQduVI-LhJ-H4vimDocVEnUONw";
    const OTHER_RSA_PRIVATE: &str = "308204a50201000282010100ae5970a55db94646bf057b980578a90eeae8a3e34a21737df3187f872902355e\
8a6f7bfc7828e36affa72ea44cc6ab513af40493924c629038c3f7e69d2835f862fc854c543b4a063591e6a6\
f32432b2ebbd77517ed67870983996488f2d07f04c9497ae210b17cd126df5a6a7a0b624db6524dcc3632dc9\
b23424296cdfe3d30f4d975e1fb4a9e16af59c6a4e84b5678a2125e6071818262106a9bb4e07c03b30a9c266\
ed47c87f5cb86b2bf85094d80cbb246a8c1e8714e81af030c8d83e8f97b8fe42cf7f16742fe76711bea2aaa2\
3b585d63b1ec3052e8a77e9e363860264726f577ba5a5254f3e694dfdb54be2e01c1818d9855c7f1c4baf102\
5d4d971b020301000102820100472a8cf7832540515a61a38c6f174c72a1626a9b3944243f51fe3af7f1be4c\
08961b6191b17e872dc2c2fc1fe692e59517aa493fef64ac8ad010f5dcb563977c16f39a79889c56dfe7f7f1\
1d4e7c0511d1761a0132f3da5fa353464bc1dd90b2fe9f5cb6a0184613d824f8339992d9267c4371e38701b1\
cbf5a8a0e623e1d3bd434f62d6477dbe2bda2ab8507e98993c978e8c076120066552b68d7f6da8754a4e2f7a\
c9cac9098fc6ee38e7b31232af3e11ddbbc7ab9d84742de001448e7c7639fe837ad4e3c7552a447a7e1a02a0\
2376a7c87ba034faad16f2857ef5b8031252d092c00ad5dee4050082624ee81e0d6836a1e93dc0bc61c5fb10\
abc73b5ae902818100e22864ac743d324b347763b17a65ebae01c1e216515f958f818c3550128ed2732d4bd1\
caffcf2e0a108ba6553656baa6d231e59eb18b4a0c5e807f971c888feed34fe3fe777c23c55520a3be0c0158\
67f4b63e18895c5e051e695c6da02254c773ade5d064302d53a5928944af43d707ac1121388907b0de5ce65c\
b2687173af02818100c55af59aa1de360744385b9eea23ab8f21950f724c55bed60a620f3a8a3df104a47747\
e1ea493863aa575148fb78d0fb6444c908d67ea20a8f43f262387db8d290533164ca8e2f7d5aab767c69851e\
25f61a02b47298d8cd123386aadb52cb8bf05af7ef182c36d81986ea1356264f91d6add6d0fdb7515268c50f\
814a1632550281810097a227a5ed25dee3c7a0c8ea053bf2e22f71748a2c331f4f21b80542d3be88e20a9bcc\
6504513ff82591cc8b53aca0e71b05b3844c5c2ce0d037edd43ea05d88ee8ba13d4b95a3523aba70af0ad398\
17d35ea191c7ff73569146695f633fc1821d509a46b7f6095e0d248bfece5879033ede195d139b617e25e19a\
83503dc927028181008b108128290f4fbae7135f5c27586337444ea8c7bd8a5e22acc6543cc7d4c5d4a39f79\
8373778cc88deb6157affb7e26e68ca1ac1c98b6ce020dbaea032c73e3cbd7136316680286ae314c1876b25a\
801d5e4eb1a05e9bc6452111afab443831af782a64cbffbbd5a28732c1d55ec18ade5f3893a3745d55588623\
5ad33db8d1028181008bf314d9f09af026b7df80115cb2afb5f4d8b528920723111359221fe6961072934282\
0273c09bf12ae612cf58eb862762a4c2b3c754c1376d0bdd94b5ad605f1a7226bfa6a441d0b0a447924d10e2\
019f96673b42e957f83a31dfc9167c02c6d5c091c29dbcc2a6a64039aafcfbc03c18de010c12caa0ebd43094\
afa2e245b0";
    const EC_PRIVATE: &str = "308187020100301306072a8648ce3d020106082a8648ce3d030107046d306b0201010420a8459db13febd52e\
4008c476c6274a742fa3abe27716ac28b2bae89973a992d4a14403420004f73451c7ec2d087cb8fe1074dbf9\
9172f0571457c775778fd18cf61e98519db1afbc43e8feff304299a99058275384db0ad13716d23e7a3250b2\
b3d3b3d24dec";

    fn unhex(text: &str) -> Vec<u8> {
        (0..text.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&text[i..i + 2], 16).unwrap())
            .collect()
    }

    fn jwks() -> JwkSet {
        serde_json::from_value(serde_json::json!({"keys": [
            {"kty": "RSA", "kid": "rsa-1", "use": "sig", "alg": "RS256", "n": RSA_N, "e": "AQAB"},
            {"kty": "EC", "kid": "ec-1", "crv": "P-256",
             "x": "9zRRx-wtCHy4_hB02_mRcvBXFFfHdXeP0Yz2HphRnbE",
             "y": "r7xD6P7_MEKZqZBYJ1OE2wrRNxbSPnoyULKz07PSTew"},
            // base64url of "an oct key of at least thirty-two bytes!"
            {"kty": "oct", "kid": "oct-1", "alg": "HS384",
             "k": "YW4gb2N0IGtleSBvZiBhdCBsZWFzdCB0aGlydHktdHdvIGJ5dGVzIQ"}
        ]}))
        .unwrap()
    }

    fn sign_with(
        alg: jsonwebtoken::Algorithm,
        kid: Option<&str>,
        key: &jsonwebtoken::EncodingKey,
        claims: serde_json::Value,
    ) -> String {
        let mut header = jsonwebtoken::Header::new(alg);
        header.kid = kid.map(str::to_string);
        jsonwebtoken::encode(&header, &claims, key).unwrap()
    }

    #[test]
    fn jwks_keys_verify_rs256_es256_and_oct() {
        use jsonwebtoken::{Algorithm, EncodingKey};
        let set = jwks();
        let keys = Keys {
            secret: SECRET,
            jwks: Some(&set),
        };
        let now = chrono::Utc::now().timestamp();
        let claims = serde_json::json!({"role": "authenticated", "sub": "x", "exp": now + 60});
        let rsa = EncodingKey::from_rsa_der(&unhex(RSA_PRIVATE));
        let ec = EncodingKey::from_ec_der(&unhex(EC_PRIVATE));
        let oct = EncodingKey::from_secret(b"an oct key of at least thirty-two bytes!");
        let ok = |token: &str| identify(&headers(token), keys, Some("anon")).map(|id| id.role);
        let err = |token: &str| {
            let e = identify(&headers(token), keys, Some("anon")).unwrap_err();
            (e.status, e.code, e.message)
        };

        // By kid, and without one (each key of the token's algorithm is tried).
        for kid in [Some("rsa-1"), None] {
            let token = sign_with(Algorithm::RS256, kid, &rsa, claims.clone());
            assert_eq!(ok(&token).unwrap(), "authenticated", "{kid:?}");
        }
        let token = sign_with(Algorithm::ES256, Some("ec-1"), &ec, claims.clone());
        assert_eq!(ok(&token).unwrap(), "authenticated");
        let token = sign_with(Algorithm::HS384, None, &oct, claims.clone());
        assert_eq!(ok(&token).unwrap(), "authenticated");
        // The HS256 secret still works beside the set.
        assert_eq!(ok(&sign(claims.clone(), SECRET)).unwrap(), "authenticated");

        // A key that is not in the set, with and without a kid it does not own.
        let other = EncodingKey::from_rsa_der(&unhex(OTHER_RSA_PRIVATE));
        for kid in [None, Some("rsa-1")] {
            let token = sign_with(Algorithm::RS256, kid, &other, claims.clone());
            assert_eq!(err(&token).1, "PGRST301", "{kid:?}");
        }
        // A kid the set does not have; a kid of a key of another type.
        let token = sign_with(Algorithm::RS256, Some("rsa-2"), &rsa, claims.clone());
        assert_eq!(err(&token).0, 401);
        assert_eq!(err(&token).1, "PGRST301");
        let token = sign_with(Algorithm::RS256, Some("ec-1"), &rsa, claims.clone());
        assert_eq!(err(&token).1, "PGRST301");
        // The key's own `alg` binds it: the oct key is HS384 only.
        let token = sign_with(Algorithm::HS512, Some("oct-1"), &oct, claims.clone());
        assert_eq!(err(&token).1, "PGRST301");

        // Expired, verified by the right key: PGRST303.
        let expired = serde_json::json!({"role": "authenticated", "exp": now - 3600});
        let token = sign_with(Algorithm::RS256, Some("rsa-1"), &rsa, expired);
        assert_eq!(
            err(&token),
            (401, "PGRST303".to_string(), "JWT expired".to_string())
        );

        // `alg: none` is refused with a set too.
        let none = "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.eyJyb2xlIjoic2VydmljZV9yb2xlIn0.";
        assert_eq!(err(none).1, "PGRST301");
    }

    #[test]
    fn asymmetric_tokens_without_a_set_are_refused() {
        let rsa = jsonwebtoken::EncodingKey::from_rsa_der(&unhex(RSA_PRIVATE));
        let token = sign_with(
            jsonwebtoken::Algorithm::RS256,
            None,
            &rsa,
            serde_json::json!({"role": "service_role"}),
        );
        let e = identify(&headers(&token), hs(), Some("anon")).unwrap_err();
        assert_eq!((e.status, e.code.as_str()), (401, "PGRST301"));
    }
}
