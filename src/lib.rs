//! appctl: one declarative file for a backend's tables, permissions, buckets and functions.
//!
//! Data flows one way (see DESIGN.md): the project file is loaded and checked ([`project`]), lowered to
//! an engine-neutral state ([`model`]), diffed against what is inspected from a live instance, planned,
//! rendered to SQL and applied. The binary is a thin shell over this library ([`cli`]), so tests call
//! the same code the command runs.

pub mod access;
pub mod archive;
pub mod bookkeeping;
pub mod bootstrap;
pub mod cli;
pub mod deploy;
pub mod diff;
pub mod functions;
pub mod gateway;
pub mod inspect;
pub mod jwt;
pub mod lower;
pub mod model;
pub mod names;
pub mod normalize;
pub mod ops;
pub mod output;
pub mod permissions;
pub mod plan;
pub mod plan_output;
pub mod project;
pub mod pull;
pub mod quote;
pub mod render;
pub mod s3;
pub mod stack;
pub mod templates;
pub mod tls;
