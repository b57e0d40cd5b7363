//! Use cases: what a command does, over the stages, without its flags or its output. The command layer
//! (`cli`) parses arguments, calls one of these, and prints the report it returns.

pub mod deploy;
pub mod pull;
pub mod up;

/// The `application_name` a command's database session shows in `pg_stat_activity`: the command and
/// who ran it.
pub fn application_name(command: &str) -> String {
    format!("appctl {command} ({})", crate::deploy::actor())
}
