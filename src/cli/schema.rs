//! `appctl schema`: the JSON Schema of appctl.yaml, for editors that work offline.

use std::process::ExitCode;

pub fn run() -> anyhow::Result<ExitCode> {
    print!("{}", crate::project::schema::json_schema_text());
    Ok(ExitCode::SUCCESS)
}
