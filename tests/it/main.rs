//! The integration tests: one binary, a module per topic, over the shared support code in
//! `support/` (throwaway PostgreSQL servers, the S3 server, the engine helpers). One binary links
//! appctl and its dependencies once instead of once per topic.

mod support;

mod access;
mod adoption;
mod architecture;
mod archive;
mod archive_files;
mod buckets;
mod cli;
mod cli_database;
mod clients;
mod deploy_safety;
mod diagnostics;
mod engine;
mod fidelity;
mod functions_package;
mod functions_plan;
mod fuzz_regressions;
mod gateway;
mod generated_files;
mod inspect;
mod permissions;
mod pg_harness;
mod properties;
mod pull;
mod rest;
mod scenarios;
mod stack;
mod stack_spec;
mod template_functions;
