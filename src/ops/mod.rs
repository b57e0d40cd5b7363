//! Use cases: what a command does, over the stages, without its flags or its output. The command layer
//! (`cli`) parses arguments, calls one of these, and prints the report it returns.

pub mod pull;
