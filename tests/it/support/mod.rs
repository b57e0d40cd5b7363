//! Helpers shared by the integration tests (`crate::support` in each test module).
#![allow(dead_code)]

pub mod cli;
pub mod engine;
pub mod pg;
pub mod s3;
