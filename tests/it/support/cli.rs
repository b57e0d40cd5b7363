//! The built binary, run the way every test runs it.

use std::path::Path;

/// Variables of the caller's environment that would pick a project file, an environment, a
/// database, an S3 server or an answer for appctl.
const CALLER_VARIABLES: &[&str] = &[
    "APPCTL_FILE",
    "APPCTL_ENV",
    "APPCTL_YES",
    "DATABASE_URL",
    "APPCTL_S3_ENDPOINT",
    "APPCTL_S3_REGION",
    "APPCTL_S3_ACCESS_KEY_ID",
    "APPCTL_S3_SECRET_ACCESS_KEY",
];

/// `appctl` in `dir`, with none of the caller's [`CALLER_VARIABLES`], no colour, a fixed actor, and
/// `CI` set so it never prompts.
pub fn command(dir: &Path) -> std::process::Command {
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_appctl"));
    command.current_dir(dir);
    for name in CALLER_VARIABLES {
        command.env_remove(name);
    }
    command
        .env("APPCTL_ACTOR", "test-actor")
        .env("NO_COLOR", "1")
        .env("CI", "true");
    command
}

/// [`command`] with assert_cmd's assertions.
pub fn appctl(dir: &Path) -> assert_cmd::Command {
    assert_cmd::Command::from_std(command(dir))
}

/// A finished command's exit status, stdout and stderr, for assertion messages.
pub fn describe(output: &std::process::Output) -> String {
    format!(
        "exit: {:?}\nstdout:\n{}\nstderr:\n{}",
        output.status.code(),
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}
