//! Postgres: connecting ([`deploy::connect`], with URL redaction), reading a live schema into the
//! model ([`inspect`]), bringing a desired state to the catalog's spelling through the server
//! ([`normalize`]), and applying a plan under a lock ([`deploy`]). The bookkeeping schema `appctl.*`
//! is read through [`bookkeeping`].

mod banks;
pub mod bookkeeping;
pub mod connect;
pub mod deploy;
pub mod inspect;
pub mod live_plan;
pub mod lock;
pub mod normalize;
pub mod tls;

/// The connection every function here takes, for crates that do not depend on sqlx.
pub use sqlx::PgConnection;
