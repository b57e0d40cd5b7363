//! Checks of meaning, after the file has the right shape: names, types, references between tables and
//! columns, permissions, variables, cron expressions, sizes and durations.
//!
//! Pure over the parsed file (plus a view of the file system for function sources and of the variables
//! that are set), so every rule is unit-testable; each finding names the path it is about.

mod access;
mod buckets;
mod environments;
mod functions;
mod permissions;
mod tables;

use std::collections::{HashMap, HashSet};
use std::path::Path;

use crate::column_type::{ColumnType, TypeError, builtin_spellings};
use crate::diagnostic::Finding;
use crate::file::{
    Bucket, Column, FORMAT_VERSION, Function, Identity, Permissions, ProjectFile,
    ReferentialAction, RoleRule, Runtime, Size, Table,
};
use crate::suggest::did_you_mean;
use crate::values::{MAX_IDENTIFIER_BYTES, parse_index_column, parse_size};
use crate::vars::{self, VarError, Variables};
use crate::yaml::DocPath;

use permissions::Subject;

/// What the checks may look at besides the file.
pub struct Context<'a> {
    /// The directory of the project file; function sources are relative to it.
    pub project_dir: &'a Path,
    pub variables: &'a Variables,
    /// The environment selected with `--env`: only its `${VAR}`s must be set.
    pub environment: Option<&'a str>,
}

/// Runs every check and returns what it found.
pub fn check(file: &ProjectFile, context: &Context) -> Vec<Finding> {
    let mut checker = Checker {
        file,
        context,
        findings: Vec::new(),
    };
    checker.run();
    checker.findings
}

struct Checker<'a> {
    file: &'a ProjectFile,
    context: &'a Context<'a>,
    findings: Vec<Finding>,
}

fn root() -> DocPath {
    DocPath::root()
}

impl Checker<'_> {
    fn push(&mut self, finding: Finding) {
        self.findings.push(finding);
    }

    fn run(&mut self) {
        self.check_version();
        self.check_identifier(&root().key("schema"), &self.file.schema, "schema");
        if let Some((message, hint)) = crate::values::platform_schema_problem(&self.file.schema) {
            self.push(Finding::error("schema", root().key("schema"), message).hint(hint));
        }
        self.check_extensions();
        self.check_enums();
        let mut relation_names: HashMap<String, DocPath> = HashMap::new();
        for (name, table) in &self.file.tables {
            self.check_table(name, table, &mut relation_names);
            self.check_table_access(name, table);
        }
        for (name, bucket) in &self.file.buckets {
            self.check_bucket(name, bucket);
        }
        for (name, function) in &self.file.functions {
            self.check_function(name, function);
        }
        self.check_environments();
        self.check_stack();
        self.check_api();
    }

    fn check_version(&mut self) {
        let version = self.file.version;
        if version == FORMAT_VERSION {
            return;
        }
        let finding = Finding::error(
            "version",
            root().key("version"),
            format!(
                "format version {version} is not supported; this appctl reads version {FORMAT_VERSION}"
            ),
        );
        self.push(if version > FORMAT_VERSION {
            finding.hint("upgrade appctl to read this file")
        } else {
            finding.hint("write `version: 1`")
        });
    }

    /// A Postgres name: 1 to 63 bytes, no control characters. Anything else is quoted when rendered.
    fn check_identifier(&mut self, path: &DocPath, name: &str, what: &str) -> bool {
        self.check_identifier_at(path.clone(), false, name, what)
    }

    fn check_key_identifier(&mut self, path: &DocPath, name: &str, what: &str) -> bool {
        self.check_identifier_at(path.clone(), true, name, what)
    }

    fn check_identifier_at(&mut self, path: DocPath, key: bool, name: &str, what: &str) -> bool {
        let problem = if name.is_empty() {
            Some((
                format!("{what} name is empty"),
                "give it a name".to_string(),
            ))
        } else if name.len() > MAX_IDENTIFIER_BYTES {
            Some((
                format!(
                    "{what} name `{name}` is {} bytes long; Postgres names are at most {MAX_IDENTIFIER_BYTES}",
                    name.len()
                ),
                "Postgres would silently cut it; shorten it".to_string(),
            ))
        } else if name.chars().any(char::is_control) {
            Some((
                format!("{what} name {name:?} contains a control character"),
                "use printable characters only".to_string(),
            ))
        } else {
            None
        };
        match problem {
            None => true,
            Some((message, hint)) => {
                let finding = Finding::error("identifier", path, message).hint(hint);
                self.push(if key { finding.at_key() } else { finding });
                false
            }
        }
    }

    /// SQL expressions are checked by the database at deploy time; here only what is surely wrong.
    fn check_sql(&mut self, path: &DocPath, sql: &str) {
        if sql.trim().is_empty() {
            self.push(
                Finding::error("sql", path.clone(), "the SQL expression is empty")
                    .hint("write an expression, or remove the entry"),
            );
        } else if sql.contains(';') && !sql.contains('\'') {
            self.push(
                Finding::error("sql", path.clone(), "an expression cannot contain `;`")
                    .hint("write a single expression, without a statement separator"),
            );
        }
    }

    /// Checks the `${VAR}` references in `text`; `required` ones must be set now.
    fn check_variables(&mut self, path: &DocPath, text: &str, required: bool) {
        match vars::references(text) {
            Err(error) => self.push(
                Finding::error("variable", path.clone(), error.to_string())
                    .hint("write `${NAME}`, or `$$` for a literal `$`"),
            ),
            Ok(references) if required => {
                for reference in references {
                    if reference.fallback.is_none()
                        && !self.context.variables.is_set(&reference.name)
                    {
                        let name = reference.name;
                        self.push(
                            Finding::error("variable", path.clone(), VarError::Missing { name: name.clone() }.to_string())
                                .hint(format!("set `{name}` in the environment or in `.env` beside appctl.yaml (see .env.example)")),
                        );
                    }
                }
            }
            Ok(_) => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::buckets::is_mime_type;
    use super::environments::url_has_password;
    use super::functions::cron_field_problem;

    #[test]
    fn names_the_cron_field_out_of_range() {
        assert_eq!(cron_field_problem("*/10 * * * *"), None);
        assert_eq!(cron_field_problem("0 3 * * 1-5"), None);
        assert_eq!(
            cron_field_problem("0 25 * * *").as_deref(),
            Some("hour 25 is out of the range 0..23")
        );
        assert_eq!(
            cron_field_problem("0 0 0 * *").as_deref(),
            Some("day of month 0 is out of the range 1..31")
        );
        assert_eq!(
            cron_field_problem("*/0 * * * *").as_deref(),
            Some("the minute step is 0")
        );
        assert_eq!(
            cron_field_problem("0 0 * 1-13 *").as_deref(),
            Some("month 13 is out of the range 1..12")
        );
    }

    #[test]
    fn knows_mime_types_and_passwords() {
        assert!(is_mime_type("image/png"));
        assert!(is_mime_type("image/*"));
        assert!(!is_mime_type("png"));
        assert!(url_has_password("postgres://u:p@h/db"));
        assert!(!url_has_password("postgres://u@h/db"));
    }
}
