//! The platform objects a Supabase project has and a plain Postgres (Neon, RDS, self-hosted) lacks:
//! the roles `anon`, `authenticated` and `service_role` (and `authenticator`, the login the REST
//! service switches to them from), the `auth.uid()`, `auth.role()` and
//! `auth.jwt()` helpers reading the `request.jwt.claims` setting (as PostgREST sets it), the
//! `auth.users` / `auth.identities` / `auth.sessions` / `auth.refresh_tokens` /
//! `auth.audit_log_entries` / `storage.buckets` / `storage.objects` tables in Supabase's shape and
//! `supabase_auth_admin` (the auth service's login), so appctl's services, or PostgREST, Supabase
//! Auth and Supabase Storage, can run against the database.
//!
//! Everything is created only when absent: an existing role, function, schema or table is never
//! altered (on Supabase, bootstrap does nothing). Every statement is idempotent and transactional,
//! so `deploy --bootstrap` runs them in the deploy's transaction and `plan --bootstrap` in the
//! normalisation transaction that is rolled back.

use crate::quote::{ident, literal};

/// The bootstrap statements; `schema` is the project's schema, whose usage the roles are granted.
pub fn statements(schema: &str) -> Vec<String> {
    let mut sql = Vec::new();
    for (role, attributes) in [
        ("anon", "NOLOGIN NOINHERIT"),
        ("authenticated", "NOLOGIN NOINHERIT"),
        ("service_role", "NOLOGIN NOINHERIT BYPASSRLS"),
    ] {
        sql.push(format!(
            "DO $appctl$ BEGIN IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = {role_literal}) THEN CREATE ROLE {role} {attributes}; END IF; END $appctl$",
            role_literal = literal(role),
            role = ident(role),
        ));
    }
    // The login role of the REST service: no rights of its own (NOINHERIT), it only switches to an
    // API role per request. Created without a login; the stack gives it a password.
    sql.push(
        "DO $appctl$ BEGIN IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'authenticator') THEN CREATE ROLE authenticator NOLOGIN NOINHERIT; GRANT anon, authenticated, service_role TO authenticator; END IF; END $appctl$"
            .into(),
    );
    sql.push("CREATE SCHEMA IF NOT EXISTS auth".into());
    for (signature, returns, body) in [
        (
            "uid()",
            "uuid",
            "SELECT nullif(coalesce(current_setting('request.jwt.claim.sub', true), current_setting('request.jwt.claims', true)::jsonb ->> 'sub'), '')::uuid",
        ),
        (
            "role()",
            "text",
            "SELECT nullif(coalesce(current_setting('request.jwt.claim.role', true), current_setting('request.jwt.claims', true)::jsonb ->> 'role'), '')::text",
        ),
        (
            "jwt()",
            "jsonb",
            "SELECT coalesce(nullif(current_setting('request.jwt.claim', true), ''), nullif(current_setting('request.jwt.claims', true), ''))::jsonb",
        ),
    ] {
        sql.push(format!(
            "DO $appctl$ BEGIN IF to_regprocedure({check}) IS NULL THEN CREATE FUNCTION auth.{signature} RETURNS {returns} LANGUAGE sql STABLE AS $f$ {body} $f$; END IF; END $appctl$",
            check = literal(&format!("auth.{signature}")),
        ));
    }
    sql.push(AUTH_TABLES.trim().to_string());
    sql.push(AUTH_ADMIN.trim().to_string());
    sql.push("CREATE SCHEMA IF NOT EXISTS storage".into());
    sql.push(STORAGE_TABLES.trim().to_string());
    for schema in ["auth", "storage", schema] {
        sql.push(format!(
            "GRANT USAGE ON SCHEMA {} TO anon, authenticated, service_role",
            ident(schema)
        ));
    }
    sql.push(
        "GRANT EXECUTE ON FUNCTION auth.uid(), auth.role(), auth.jwt() TO anon, authenticated, service_role"
            .into(),
    );
    sql
}

/// Supabase Auth's tables, as its migrations leave them (the columns clients read).
const AUTH_TABLES: &str = "
CREATE TABLE IF NOT EXISTS auth.users (
    instance_id uuid,
    id uuid NOT NULL PRIMARY KEY,
    aud varchar(255),
    role varchar(255),
    email varchar(255),
    encrypted_password varchar(255),
    email_confirmed_at timestamptz,
    invited_at timestamptz,
    confirmation_token varchar(255),
    confirmation_sent_at timestamptz,
    recovery_token varchar(255),
    recovery_sent_at timestamptz,
    email_change_token_new varchar(255),
    email_change varchar(255),
    email_change_sent_at timestamptz,
    last_sign_in_at timestamptz,
    raw_app_meta_data jsonb,
    raw_user_meta_data jsonb,
    is_super_admin boolean,
    created_at timestamptz,
    updated_at timestamptz,
    phone text UNIQUE DEFAULT NULL,
    phone_confirmed_at timestamptz,
    banned_until timestamptz,
    deleted_at timestamptz,
    is_anonymous boolean NOT NULL DEFAULT false
);
CREATE TABLE IF NOT EXISTS auth.identities (
    provider_id text NOT NULL,
    user_id uuid NOT NULL REFERENCES auth.users (id) ON DELETE CASCADE,
    identity_data jsonb NOT NULL,
    provider text NOT NULL,
    last_sign_in_at timestamptz,
    created_at timestamptz,
    updated_at timestamptz,
    email text GENERATED ALWAYS AS (lower(identity_data ->> 'email')) STORED,
    id uuid NOT NULL DEFAULT gen_random_uuid() PRIMARY KEY,
    UNIQUE (provider_id, provider)
);
CREATE TABLE IF NOT EXISTS auth.sessions (
    id uuid NOT NULL PRIMARY KEY,
    user_id uuid NOT NULL REFERENCES auth.users (id) ON DELETE CASCADE,
    created_at timestamptz,
    updated_at timestamptz,
    factor_id uuid,
    aal text,
    not_after timestamptz,
    refreshed_at timestamp,
    user_agent text,
    ip inet,
    tag text
);
CREATE TABLE IF NOT EXISTS auth.refresh_tokens (
    instance_id uuid,
    id bigserial PRIMARY KEY,
    token varchar(255) UNIQUE,
    user_id varchar(255),
    revoked boolean,
    created_at timestamptz,
    updated_at timestamptz,
    parent varchar(255),
    session_id uuid REFERENCES auth.sessions (id) ON DELETE CASCADE
);
CREATE INDEX IF NOT EXISTS refresh_tokens_session_id_revoked_idx ON auth.refresh_tokens (session_id, revoked);
CREATE TABLE IF NOT EXISTS auth.audit_log_entries (
    instance_id uuid,
    id uuid NOT NULL PRIMARY KEY,
    payload json,
    created_at timestamptz,
    ip_address varchar(64) NOT NULL DEFAULT ''
)";

/// The login of the auth service (Supabase's name for it): it owns nothing, and may read and write
/// the `auth` tables only. Created without a login, as `authenticator`; the stack gives it one.
const AUTH_ADMIN: &str = "
DO $appctl$ BEGIN
IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'supabase_auth_admin') THEN
    CREATE ROLE supabase_auth_admin NOLOGIN NOINHERIT;
    GRANT USAGE ON SCHEMA auth TO supabase_auth_admin;
    GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA auth TO supabase_auth_admin;
    GRANT USAGE ON ALL SEQUENCES IN SCHEMA auth TO supabase_auth_admin;
END IF;
END $appctl$";

/// Supabase Storage's tables (bucket rows and file metadata). Created with RLS on and the grants
/// Supabase gives, only when absent: bucket permissions are policies on `storage.objects`.
const STORAGE_TABLES: &str = "
DO $appctl$ BEGIN
IF to_regclass('storage.buckets') IS NULL THEN
    CREATE TABLE storage.buckets (
        id text NOT NULL PRIMARY KEY,
        name text NOT NULL UNIQUE,
        owner uuid,
        owner_id text,
        created_at timestamptz DEFAULT now(),
        updated_at timestamptz DEFAULT now(),
        public boolean DEFAULT false,
        avif_autodetection boolean DEFAULT false,
        file_size_limit bigint,
        allowed_mime_types text[]
    );
    GRANT SELECT ON storage.buckets TO anon, authenticated;
    GRANT ALL ON storage.buckets TO service_role;
END IF;
IF to_regclass('storage.objects') IS NULL THEN
    CREATE TABLE storage.objects (
        id uuid NOT NULL DEFAULT gen_random_uuid() PRIMARY KEY,
        bucket_id text REFERENCES storage.buckets (id),
        name text,
        owner uuid,
        owner_id text,
        created_at timestamptz DEFAULT now(),
        updated_at timestamptz DEFAULT now(),
        last_accessed_at timestamptz DEFAULT now(),
        metadata jsonb,
        path_tokens text[] GENERATED ALWAYS AS (string_to_array(name, '/')) STORED,
        version text,
        user_metadata jsonb,
        UNIQUE (bucket_id, name)
    );
    ALTER TABLE storage.objects ENABLE ROW LEVEL SECURITY;
    GRANT ALL ON storage.objects TO anon, authenticated, service_role;
END IF;
END $appctl$";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn never_replaces_what_exists() {
        let sql = statements("public").join(";\n");
        assert!(!sql.contains("CREATE OR REPLACE"));
        assert!(!sql.contains("DROP "));
        assert!(sql.contains("IF NOT EXISTS"));
    }
}
