//! The project file: finding it, reading it with source positions, and checking it.
//!
//! Loading runs in stages, each reporting everything it finds before the next one starts:
//! YAML syntax (yaml) → shape against the generated JSON Schema (schema) → meaning (validate).

pub mod column_type;
pub mod diagnostic;
pub mod file;
pub mod package;
pub mod schema;
pub mod ssh_destination;
pub mod suggest;
pub mod templates;
pub mod validate;
pub mod values;
pub mod vars;
pub mod yaml;

use std::path::{Path, PathBuf};

use diagnostic::{Diagnostic, Report};
use file::ProjectFile;
use vars::Variables;
use yaml::SourceMap;

/// The file appctl looks for in the current directory and its parents.
pub const FILE_NAME: &str = "appctl.yaml";

/// A project file that passed every check.
#[derive(Debug, Clone)]
pub struct Project {
    pub path: PathBuf,
    pub source: String,
    pub file: ProjectFile,
    pub source_map: SourceMap,
    /// Warnings found while checking it.
    pub report: Report,
}

impl Project {
    /// The directory the file is in: function sources and `.env` are relative to it.
    pub fn dir(&self) -> &Path {
        parent_dir(&self.path)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("no {FILE_NAME} in {} or any parent directory", .0.display())]
    NotFound(PathBuf),
    #[error("cannot read {}: {source}", path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot read {}: {source}", path.display())]
    DotEnv {
        path: PathBuf,
        source: dotenvy::Error,
    },
    #[error("{} has {} error(s)", .0.file.display(), .0.error_count())]
    Invalid(Box<Report>),
}

/// What the checks need besides the text.
#[derive(Debug, Clone, Default)]
pub struct LoadOptions {
    /// The environment selected with `--env`: only its `${VAR}`s must be set.
    pub environment: Option<String>,
    /// Variable values; read from the environment and `.env` when `None`.
    pub variables: Option<Variables>,
}

/// `explicit` when given (`-f`), else `appctl.yaml` in `start` or the nearest parent that has one.
pub fn locate(explicit: Option<&Path>, start: &Path) -> Result<PathBuf, LoadError> {
    if let Some(path) = explicit {
        return Ok(path.to_path_buf());
    }
    let found = start
        .ancestors()
        .map(|dir| dir.join(FILE_NAME))
        .find(|candidate| candidate.is_file())
        .ok_or_else(|| LoadError::NotFound(start.to_path_buf()))?;
    // Shown in diagnostics: `appctl.yaml:3:5` reads better than an absolute path.
    Ok(found
        .strip_prefix(start)
        .map(Path::to_path_buf)
        .unwrap_or(found))
}

/// The directory of a file path; `.` for a bare file name.
fn parent_dir(path: &Path) -> &Path {
    match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    }
}

/// Reads and checks the file; every problem is in the report, errors make it `Err`.
pub fn load(path: &Path, options: &LoadOptions) -> Result<Project, LoadError> {
    let source = std::fs::read_to_string(path).map_err(|source| LoadError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    let dir = parent_dir(path);
    let variables = match &options.variables {
        Some(variables) => variables.clone(),
        None => Variables::from_env(dir).map_err(|source| LoadError::DotEnv {
            path: dir.join(".env"),
            source,
        })?,
    };
    let context = validate::Context {
        project_dir: dir,
        variables: &variables,
        environment: options.environment.as_deref(),
    };
    let (file, source_map, report) = check_source(path, &source, &context);
    match file {
        Some(file) if !report.has_errors() => Ok(Project {
            path: path.to_path_buf(),
            source,
            file,
            source_map,
            report,
        }),
        _ => Err(LoadError::Invalid(Box::new(report))),
    }
}

/// Checks a project file's text. Never panics, whatever the text: this is what the fuzzer drives.
pub fn check_source(
    path: &Path,
    source: &str,
    context: &validate::Context,
) -> (Option<ProjectFile>, SourceMap, Report) {
    let mut report = Report::new(path, source);
    // Most files have nothing to report: read them without the source map, and read them again
    // with it only to place diagnostics.
    let document = match yaml::parse_value(source) {
        Ok(document) => document,
        Err(_) => match yaml::parse(source) {
            Ok((document, _)) => document,
            Err(errors) => {
                for error in errors {
                    let mut diagnostic =
                        Diagnostic::at_span("yaml-syntax", error.message, source, error.span);
                    if let Some(hint) = error.hint {
                        diagnostic = diagnostic.with_hint(hint);
                    }
                    report.diagnostics.push(diagnostic);
                }
                return (None, SourceMap::default(), report);
            }
        },
    };
    let locate = || yaml::parse(source).map(|(_, map)| map).unwrap_or_default();
    let structural = schema::check(&document);
    if !structural.is_empty() {
        let source_map = locate();
        report.diagnostics.extend(
            structural
                .into_iter()
                .map(|f| Diagnostic::from_finding(f, source, &source_map)),
        );
        report.sort();
        return (None, source_map, report);
    }
    let file: ProjectFile = match serde_json::from_value(document) {
        Ok(file) => file,
        Err(error) => {
            // The schema is generated from the same types, so this means the two disagree: a bug.
            let source_map = locate();
            report.diagnostics.push(Diagnostic::from_finding(
                diagnostic::Finding::error(
                    "internal",
                    yaml::DocPath::root(),
                    format!("the file matches the schema but could not be read: {error}"),
                )
                .hint("this is a bug in appctl; please report it with the file"),
                source,
                &source_map,
            ));
            return (None, source_map, report);
        }
    };
    let findings = validate::check(&file, context);
    let source_map = if findings.is_empty() {
        SourceMap::default()
    } else {
        locate()
    };
    report.diagnostics.extend(
        findings
            .into_iter()
            .map(|f| Diagnostic::from_finding(f, source, &source_map)),
    );
    report.sort();
    (Some(file), source_map, report)
}

/// The schema a project file most likely declares: the value of a top-level `schema:` line, else
/// `public`. Only a guess, for reading the database before the file is loaded
/// ([`plan_while_loading`]); a wrong guess costs one more inspection, never a wrong plan.
pub fn guess_schema(path: Option<&std::path::Path>) -> String {
    let declared = path
        .and_then(|path| std::fs::read_to_string(path).ok())
        .and_then(|source| {
            source.lines().find_map(|line| {
                let value = line.strip_prefix("schema:")?;
                let value = value.split(" #").next().unwrap_or(value).trim();
                let value = value
                    .strip_prefix('"')
                    .and_then(|v| v.strip_suffix('"'))
                    .or_else(|| value.strip_prefix('\'').and_then(|v| v.strip_suffix('\'')))
                    .unwrap_or(value);
                (!value.is_empty()).then(|| value.to_string())
            })
        });
    declared.unwrap_or_else(|| "public".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn guesses_the_schema_from_a_top_level_line() {
        let dir = tempfile::tempdir().unwrap();
        let guess = |text: &str| {
            let path = dir.path().join("appctl.yaml");
            std::fs::write(&path, text).unwrap();
            guess_schema(Some(&path))
        };
        assert_eq!(guess("version: 1\nproject: p\n"), "public");
        assert_eq!(guess("version: 1\nschema: app # ours\n"), "app");
        assert_eq!(guess("schema: \"my app\"\n"), "my app");
        assert_eq!(guess("schema: 'x'\n"), "x");
        // Not top level: a column called schema.
        assert_eq!(
            guess("tables:\n  t:\n    columns:\n      schema: { type: text }\n"),
            "public"
        );
        assert_eq!(guess_schema(None), "public");
        assert_eq!(
            guess_schema(Some(&dir.path().join("missing.yaml"))),
            "public"
        );
    }
}
