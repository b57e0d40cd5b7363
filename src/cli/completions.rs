//! `appctl completions SHELL`: completion scripts, generated from the same command definition.

use std::process::ExitCode;

use clap::{Args, CommandFactory};
use clap_complete::Shell;

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// bash, zsh, fish, powershell or elvish
    pub shell: Shell,
}

pub fn run(args: CompletionsArgs) -> anyhow::Result<ExitCode> {
    print!("{}", render(args.shell));
    Ok(ExitCode::SUCCESS)
}

/// The completion script for `shell`, as checked in under `completions/`.
pub fn render(shell: Shell) -> String {
    let mut command = super::Cli::command();
    let mut buffer = Vec::new();
    clap_complete::generate(shell, &mut command, "appctl", &mut buffer);
    String::from_utf8(buffer).expect("completion scripts are UTF-8")
}
