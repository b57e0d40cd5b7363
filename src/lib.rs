//! appctl: one declarative file for a backend's tables, permissions, buckets and functions.
//!
//! Data flows one way, one crate per stage (see docs/architecture.md): the project file is loaded and
//! checked (`appctl-project`), lowered to an engine-neutral state, diffed, planned and rendered to SQL
//! (`appctl-schema`), inspected from and applied to a live Postgres (`appctl-pg`), moved between
//! instances (`appctl-archive`), and run as a stack (`appctl-stack`, with the services of
//! `appctl-server`). This crate is the binary: the command layer ([`cli`]) over use cases ([`ops`]).
//! The stages are re-exported under the names they had before the split, so tests and the command
//! layer name one path per module.

pub mod cli;
pub mod ops;
pub mod output;

pub use appctl_archive as archive;
pub use appctl_archive::s3;
pub use appctl_pg::{bookkeeping, deploy, inspect, normalize, tls};
pub use appctl_project as project;
pub use appctl_project::templates;
pub use appctl_schema::{
    access, bootstrap, diff, functions, lower, model, names, permissions, plan, plan_output, pull,
    quote, render,
};
pub use appctl_server::{gateway, jwt, rest};
pub use appctl_stack as stack;
