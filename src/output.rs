//! How appctl talks to people and machines: colour and prompts only on a terminal, `NO_COLOR` and `CI`
//! honoured, `--json` for machines, `--quiet` for scripts.

use std::io::IsTerminal;

/// Output settings derived once from the global flags and the environment.
#[derive(Debug, Clone, Copy)]
pub struct Output {
    pub color: bool,
    pub json: bool,
    pub quiet: bool,
    pub verbose: u8,
    /// A person can answer prompts: stdin and stderr are terminals and `CI` is not set.
    pub interactive: bool,
}

impl Output {
    pub fn from_env(no_color: bool, json: bool, quiet: bool, verbose: u8) -> Self {
        let env_set = |name: &str| std::env::var_os(name).is_some_and(|v| !v.is_empty());
        let in_ci = env_set("CI");
        let color = !no_color && !env_set("NO_COLOR") && std::io::stderr().is_terminal();
        let interactive =
            !in_ci && std::io::stdin().is_terminal() && std::io::stderr().is_terminal();
        Output {
            color,
            json,
            quiet,
            verbose,
            interactive,
        }
    }

    /// A progress or status line for people, on stderr; silent with `--quiet` or `--json`.
    pub fn status(&self, message: impl AsRef<str>) {
        if !self.quiet && !self.json {
            eprintln!("{}", message.as_ref());
        }
    }

    /// Extra detail shown with `-v`.
    pub fn detail(&self, message: impl AsRef<str>) {
        if self.verbose > 0 && !self.json {
            eprintln!("{}", message.as_ref());
        }
    }
}

/// One table's row count in `--json` output (`export`, `import --verify-only`).
#[derive(Debug, serde::Serialize)]
pub struct TableRows {
    pub table: String,
    pub rows: u64,
}

impl TableRows {
    pub fn of(table: &crate::archive::manifest::TableEntry) -> Self {
        TableRows {
            table: table.label(),
            rows: table.rows,
        }
    }
}
