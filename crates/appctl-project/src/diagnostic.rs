//! Problems found in a project file, each tied to the place in the file that causes it.
//!
//! Checks produce [`Finding`]s that name a path in the document (`tables.threads.owner`); the loader
//! turns them into [`Diagnostic`]s with file:line:column through the [`SourceMap`] of the parse.

use std::fmt;
use std::path::{Path, PathBuf};

use annotate_snippets::{AnnotationKind, Group, Level, Renderer, Snippet};
use serde::Serialize;

use super::yaml::{DocPath, SourceMap, Span};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
}

/// Which part of a mapping entry a finding is about: the key (`nulable:`) or its value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    Key,
    Value,
}

/// A problem found by a check, located by its path in the document.
#[derive(Debug, Clone, PartialEq)]
pub struct Finding {
    pub severity: Severity,
    pub code: &'static str,
    pub path: DocPath,
    pub target: Target,
    pub message: String,
    pub hint: Option<String>,
}

impl Finding {
    pub fn error(code: &'static str, path: DocPath, message: impl Into<String>) -> Self {
        Finding {
            severity: Severity::Error,
            code,
            path,
            target: Target::Value,
            message: message.into(),
            hint: None,
        }
    }

    pub fn warning(code: &'static str, path: DocPath, message: impl Into<String>) -> Self {
        Finding {
            severity: Severity::Warning,
            ..Finding::error(code, path, message)
        }
    }

    pub fn at_key(mut self) -> Self {
        self.target = Target::Key;
        self
    }

    pub fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }
}

/// A place in the file: 1-based line and column (in characters), and the byte range to underline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Location {
    pub line: usize,
    pub column: usize,
    #[serde(skip)]
    pub start: usize,
    #[serde(skip)]
    pub end: usize,
}

impl Location {
    pub fn of_span(source: &str, span: Span) -> Self {
        let start = span.start.min(source.len());
        let end = span.end.clamp(start, source.len());
        let before = &source[..start];
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        // A byte order mark is invisible in editors: it is not a column.
        let column = source[line_start..start]
            .trim_start_matches('\u{feff}')
            .chars()
            .count()
            + 1;
        Location {
            line,
            column,
            start,
            end,
        }
    }
}

/// A problem with its place in the file.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Diagnostic {
    pub severity: Severity,
    pub code: &'static str,
    pub message: String,
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub location: Option<Location>,
    /// The dotted path of the offending entry, e.g. `tables.threads.columns.id.type`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
}

impl Diagnostic {
    pub fn from_finding(finding: Finding, source: &str, map: &SourceMap) -> Self {
        let span = match finding.target {
            Target::Key => map.key_span(&finding.path),
            Target::Value => map.value_span(&finding.path),
        };
        Diagnostic {
            severity: finding.severity,
            code: finding.code,
            message: finding.message,
            location: span.map(|span| Location::of_span(source, span)),
            path: (!finding.path.is_root()).then(|| finding.path.to_string()),
            hint: finding.hint,
        }
    }

    /// A problem at a raw position of the source (YAML syntax errors).
    pub fn at_span(code: &'static str, message: String, source: &str, span: Span) -> Self {
        Diagnostic {
            severity: Severity::Error,
            code,
            message,
            location: Some(Location::of_span(source, span)),
            path: None,
            hint: None,
        }
    }

    pub fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

/// Every diagnostic of one file, ready to print.
#[derive(Debug, Clone)]
pub struct Report {
    pub file: PathBuf,
    pub source: String,
    pub diagnostics: Vec<Diagnostic>,
}

impl Report {
    pub fn new(file: &Path, source: &str) -> Self {
        Report {
            file: file.to_path_buf(),
            source: source.to_string(),
            diagnostics: Vec::new(),
        }
    }

    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_error)
    }

    pub fn error_count(&self) -> usize {
        self.diagnostics.iter().filter(|d| d.is_error()).count()
    }

    pub fn warning_count(&self) -> usize {
        self.diagnostics.len() - self.error_count()
    }

    /// Sorts by position so the output reads top to bottom; findings without a place come first.
    pub fn sort(&mut self) {
        self.diagnostics
            .sort_by_key(|d| d.location.map(|l| (l.line, l.column)).unwrap_or((0, 0)));
    }

    /// Rustc-style text: the message, `--> file:line:column`, the offending line with a caret, the hint.
    pub fn render(&self, styled: bool) -> String {
        if let Some(masked) = self.with_secrets_masked() {
            return masked.render(styled);
        }
        let renderer = if styled {
            Renderer::styled()
        } else {
            Renderer::plain()
        };
        let path = self.file.display().to_string();
        let mut out = String::new();
        for diagnostic in &self.diagnostics {
            let level = match diagnostic.severity {
                Severity::Error => Level::ERROR,
                Severity::Warning => Level::WARNING,
            };
            let title = level.primary_title(&diagnostic.message);
            let mut group = match diagnostic.location {
                Some(location) => {
                    let label = diagnostic.path.as_deref().unwrap_or("");
                    let (excerpt, span) = excerpt(&self.source, location);
                    Group::with_title(title).element(
                        Snippet::source(excerpt)
                            .line_start(location.line)
                            .path(path.as_str())
                            .annotation(AnnotationKind::Primary.span(span).label(label)),
                    )
                }
                None => {
                    Group::with_title(title).element(annotate_snippets::Origin::path(path.as_str()))
                }
            };
            if let Some(hint) = &diagnostic.hint {
                group = group.element(Level::HELP.message(hint.as_str()));
            }
            out.push_str(&renderer.render(&[group]));
            out.push_str("\n\n");
        }
        out
    }

    /// This report with every secret written in the file (what a `secret` warning is about) replaced by
    /// `*`s in the text shown under diagnostics, so `appctl validate` does not copy it into terminals and CI
    /// logs; `None` when there is nothing (left) to mask. Each byte becomes one `*`, so every position in
    /// the text stays where it was and the text stays UTF-8.
    fn with_secrets_masked(&self) -> Option<Report> {
        let mut bytes = self.source.clone().into_bytes();
        let mut changed = false;
        for d in self.diagnostics.iter().filter(|d| d.code == "secret") {
            let Some(location) = d.location else { continue };
            let boundary = |mut i: usize| {
                i = i.min(self.source.len());
                while !self.source.is_char_boundary(i) {
                    i -= 1;
                }
                i
            };
            let (mut start, mut end) = (boundary(location.start), boundary(location.end));
            let text = &self.source[start..end.max(start)];
            // Keep the quotes: they say what kind of value was there.
            if text.len() >= 2
                && (text.starts_with('"') || text.starts_with('\''))
                && text.ends_with(&text[..1])
            {
                start += 1;
                end -= 1;
            }
            for byte in bytes.get_mut(start..end).unwrap_or_default() {
                changed |= *byte != b'*';
                *byte = b'*';
            }
        }
        let source = String::from_utf8(bytes).ok().filter(|_| changed)?;
        Some(Report {
            source,
            ..self.clone()
        })
    }

    /// One line per diagnostic: `file:line:column: severity: message`, as compilers print.
    pub fn render_short(&self) -> String {
        let mut out = String::new();
        for d in &self.diagnostics {
            out.push_str(&format!("{}\n", ShortDiagnostic(&self.file, d)));
        }
        out
    }

    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "file": self.file.display().to_string(),
            "valid": !self.has_errors(),
            "errors": self.error_count(),
            "warnings": self.warning_count(),
            "diagnostics": self.diagnostics,
        })
    }
}

/// The lines of `source` that hold the location, and the location's range within them. Only those
/// lines go to the renderer: rendering stays proportional to the number of diagnostics, not to
/// diagnostics × file size. Ranges are widened to whole characters (a caret on an empty span before a
/// multibyte character must not cut it).
fn excerpt(source: &str, location: Location) -> (&str, std::ops::Range<usize>) {
    let len = source.len();
    let mut start = location.start.min(len);
    while !source.is_char_boundary(start) {
        start -= 1;
    }
    let mut end = location.end.max(start + 1).min(len);
    while end < len && !source.is_char_boundary(end) {
        end += 1;
    }
    let first = source[..start].rfind('\n').map_or(0, |i| i + 1);
    let last = source[end..].find('\n').map_or(len, |i| end + i);
    (&source[first..last], start - first..end - first)
}

struct ShortDiagnostic<'a>(&'a Path, &'a Diagnostic);

impl fmt::Display for ShortDiagnostic<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ShortDiagnostic(file, d) = self;
        let severity = match d.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        match d.location {
            Some(l) => write!(f, "{}:{}:{}: ", file.display(), l.line, l.column)?,
            None => write!(f, "{}: ", file.display())?,
        }
        write!(f, "{severity}: {}", d.message)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rendering_masks_secrets_written_in_the_file() {
        let source = "url: \"postgres://u:hunter2@h/db\"\nkey: s3cr3t\n";
        let mut report = Report::new(Path::new("appctl.yaml"), source);
        for (start, end) in [(5, 32), (38, 44)] {
            report.diagnostics.push(Diagnostic {
                severity: Severity::Warning,
                code: "secret",
                message: "a secret".into(),
                location: Some(Location::of_span(source, Span { start, end })),
                path: None,
                hint: None,
            });
        }
        let rendered = report.render(false);
        assert!(!rendered.contains("hunter2"), "{rendered}");
        assert!(!rendered.contains("s3cr3t"), "{rendered}");
        assert!(
            rendered.contains("url: \"*************************\""),
            "{rendered}"
        );
        assert!(rendered.contains("key: ******"), "{rendered}");
        assert_eq!(report.source, source, "the report keeps the text as it is");
    }
}
