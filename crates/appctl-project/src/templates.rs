//! Project templates for `appctl init`, embedded in the binary from `templates/projects/`.

use std::path::{Path, PathBuf};

use include_dir::{Dir, include_dir};

use crate::schema::SCHEMA_URL;

static PROJECTS: Dir = include_dir!("$CARGO_MANIFEST_DIR/../../templates/projects");

/// A template `appctl init` offers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Template {
    pub name: &'static str,
    pub description: &'static str,
}

pub const TEMPLATES: &[Template] = &[
    Template {
        name: "blank",
        description: "an empty project: add tables as you go",
    },
    Template {
        name: "ai-chat",
        description: "an AI chat backend: threads, messages with embeddings, RAG documents, uploads, chat and ingest functions",
    },
];

pub fn find(name: &str) -> Option<&'static Template> {
    TEMPLATES.iter().find(|t| t.name == name)
}

/// Lines `init` makes sure `.gitignore` has: local secrets and state never reach git.
pub const GITIGNORE_LINES: &[&str] = &[".appctl/", ".env"];

/// One file of a rendered template, relative to the project directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplateFile {
    pub path: PathBuf,
    pub contents: Vec<u8>,
}

/// The files of `template` for a project called `project`, placeholders filled in.
pub fn render(template: &Template, project: &str) -> Vec<TemplateFile> {
    let dir = PROJECTS
        .get_dir(template.name)
        .unwrap_or_else(|| panic!("template `{}` is embedded", template.name));
    let mut files = Vec::new();
    collect(dir, Path::new(template.name), project, &mut files);
    files.sort_by(|a, b| a.path.cmp(&b.path));
    files
}

fn collect(dir: &Dir, root: &Path, project: &str, files: &mut Vec<TemplateFile>) {
    for file in dir.files() {
        let relative = file
            .path()
            .strip_prefix(root)
            .expect("template files are under their template")
            .to_path_buf();
        let contents = match file.contents_utf8() {
            Some(text) => text
                .replace("{{project}}", project)
                .replace("{{schema_url}}", SCHEMA_URL)
                .into_bytes(),
            None => file.contents().to_vec(),
        };
        files.push(TemplateFile {
            path: relative,
            contents,
        });
    }
    for sub in dir.dirs() {
        collect(sub, root, project, files);
    }
}

/// A project name derived from a directory name: `My App!` → `my-app`.
pub fn project_name_from_dir(dir: &Path) -> String {
    let base = dir
        .canonicalize()
        .ok()
        .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
        .unwrap_or_default();
    let mut name = String::new();
    for c in base.to_lowercase().chars() {
        if c.is_ascii_lowercase() || c.is_ascii_digit() {
            name.push(c);
        } else if !name.ends_with('-') && !name.is_empty() {
            name.push('-');
        }
    }
    let mut name = name.trim_end_matches('-').to_string();
    if !name.starts_with(|c: char| c.is_ascii_lowercase()) {
        name.insert_str(0, "app-");
    }
    name.truncate(40);
    name.trim_end_matches('-').to_string()
}

/// Whether `name` is a valid project name (the same rule as the schema's).
pub fn is_valid_project_name(name: &str) -> bool {
    (1..=40).contains(&name.len())
        && name.starts_with(|c: char| c.is_ascii_lowercase())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

#[derive(Debug, thiserror::Error)]
pub enum ScaffoldError {
    #[error("{} already exist(s): {}", .0.len(), .0.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(", "))]
    WouldOverwrite(Vec<PathBuf>),
    #[error("cannot write {}: {source}", path.display())]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// Writes the template into `dir`. Refuses, writing nothing, when a file exists and `force` is off;
/// `.gitignore` is never replaced, only given the lines it lacks. Returns the paths written.
pub fn scaffold(
    dir: &Path,
    template: &Template,
    project: &str,
    force: bool,
) -> Result<Vec<PathBuf>, ScaffoldError> {
    let files = render(template, project);
    if !force {
        let existing: Vec<PathBuf> = files
            .iter()
            .map(|f| dir.join(&f.path))
            .filter(|p| p.exists())
            .collect();
        if !existing.is_empty() {
            return Err(ScaffoldError::WouldOverwrite(existing));
        }
    }
    let mut written = Vec::new();
    for file in &files {
        let path = dir.join(&file.path);
        write(&path, &file.contents)?;
        written.push(path);
    }
    let gitignore = dir.join(".gitignore");
    let current = std::fs::read_to_string(&gitignore).unwrap_or_default();
    let missing: Vec<&str> = GITIGNORE_LINES
        .iter()
        .copied()
        .filter(|line| !current.lines().any(|l| l.trim() == *line))
        .collect();
    if !missing.is_empty() {
        let mut text = current.clone();
        if !text.is_empty() && !text.ends_with('\n') {
            text.push('\n');
        }
        for line in missing {
            text.push_str(line);
            text.push('\n');
        }
        write(&gitignore, text.as_bytes())?;
        written.push(gitignore);
    }
    Ok(written)
}

fn write(path: &Path, contents: &[u8]) -> Result<(), ScaffoldError> {
    let fail = |source| ScaffoldError::Write {
        path: path.to_path_buf(),
        source,
    };
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(fail)?;
    }
    std::fs::write(path, contents).map_err(fail)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn derives_project_names() {
        let dir = tempfile::Builder::new()
            .prefix("My App!")
            .tempdir()
            .unwrap();
        let name = project_name_from_dir(dir.path());
        assert!(name.starts_with("my-app"), "{name}");
        assert!(is_valid_project_name(&name));
    }

    #[test]
    fn every_template_is_embedded() {
        for template in TEMPLATES {
            let files = render(template, "demo");
            assert!(files.iter().any(|f| f.path == Path::new("appctl.yaml")));
        }
    }
}
