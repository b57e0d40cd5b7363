//! The PostgREST-compatible query core of appctl's REST service, pure: no I/O, no async runtime,
//! no database driver (tests/it/architecture.rs holds it to that).
//!
//! - [`schema`]: the schema cache as plain data, and the SQL that fills it (run by the server).
//! - [`parse`]: the query string and `Prefer` / `Range` headers as values.
//! - [`build`]: SQL (with bind parameters) for reads, inserts, upserts, updates, deletes and RPC.
//! - [`error`]: errors as values in PostgREST's JSON shape, with its HTTP statuses.
//! - [`media`], [`csv`]: `Accept` negotiation (PGRST107) and CSV answers.
//! - [`openapi`]: the OpenAPI 2.0 description PostgREST answers at `GET /`.
//!
//! What is supported against PostgREST, and why it is built this way: README.md beside this crate.

pub mod build;
pub mod csv;
pub mod error;
pub mod media;
pub mod openapi;
pub mod parse;
pub mod schema;

pub use error::{ApiError, Result};
pub use schema::SchemaCache;
