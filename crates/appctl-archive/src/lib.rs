//! Export and import: every row, user, file and function of an instance in one archive, and back.
//!
//! The format is documented in docs/archive-format.md: a tar stream (zstd-compressed by default) of
//! JSON Lines row files, the project file as inspected, schema SQL, function sources, and
//! `manifest.json` last, listing every entry with its size and sha256.
//!
//! - [`encode`]: Postgres values ⇄ JSON, both ways (pure).
//! - [`binary`]: import's fast path, rows as binary `COPY` data where every value allows it (pure).
//! - [`manifest`]: the manifest's model, format version and JSON Schema (pure).
//! - [`verify`](mod@verify): checking an archive against its manifest, no database needed.
//! - [`catalog`]: which tables travel, their columns, keys, sequences and order.
//! - [`tarball`]: the tar + zstd container.
//! - [`export`](mod@export), [`import`](mod@import): the two commands' logic.
//! - [`files`]: storage files through S3, beside the rows (small hooks in export and import).
//! - [`layout`]: every entry's path; [`writer`]: the thread that writes entries as they arrive;
//!   [`session`]: the settings every connection starts with; [`conflict`]: import's choice for
//!   rows the target has.

pub mod binary;
pub mod catalog;
pub mod conflict;
pub mod encode;
pub mod export;
pub mod files;
pub mod import;
pub mod layout;
pub mod manifest;
pub mod progress;
pub mod s3;
pub mod session;
pub mod tarball;
pub mod verify;
pub mod writer;

pub use export::{ExportOptions, ExportReport, export};
pub use import::{ImportOptions, ImportReport, OnConflict, import};
pub use verify::{Verified, VerifyError, verify};
