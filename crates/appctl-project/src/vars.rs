//! `${VAR}` references: the way a project file names a secret without holding it.
//!
//! Values come from the process environment, then from the `.env` file beside the project file.
//! They are resolved at run time, only where a value is needed, and are never printed: errors name the
//! variable, not its value. `${VAR:-fallback}` gives a fallback, `$$` is a literal `$`.

use std::collections::HashMap;
use std::fmt;
use std::path::Path;

/// A `${NAME}` or `${NAME:-fallback}` inside a string.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VarRef {
    pub name: String,
    pub fallback: Option<String>,
    /// Byte range of the whole reference in the string.
    pub start: usize,
    pub end: usize,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VarError {
    /// `${` without a closing `}`.
    Unclosed { at: usize },
    /// A name that is not `[A-Za-z_][A-Za-z0-9_]*`.
    BadName { name: String, at: usize },
    /// A variable that is set nowhere and has no fallback.
    Missing { name: String },
}

impl std::error::Error for VarError {}

impl fmt::Display for VarError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            VarError::Unclosed { .. } => f.write_str("`${` is not closed by `}`"),
            VarError::BadName { name, .. } => write!(
                f,
                "`{name}` is not a variable name (letters, digits and `_`, not starting with a digit)"
            ),
            VarError::Missing { name } => write!(f, "variable `{name}` is not set"),
        }
    }
}

/// Finds every reference in `text`.
pub fn references(text: &str) -> Result<Vec<VarRef>, VarError> {
    let mut found = Vec::new();
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] != b'$' {
            i += 1;
            continue;
        }
        match bytes.get(i + 1) {
            Some(b'$') => i += 2,
            Some(b'{') => {
                let close = text[i..]
                    .find('}')
                    .map(|offset| i + offset)
                    .ok_or(VarError::Unclosed { at: i })?;
                let inner = &text[i + 2..close];
                let (name, fallback) = match inner.split_once(":-") {
                    Some((name, fallback)) => (name, Some(fallback.to_string())),
                    None => (inner, None),
                };
                if !is_var_name(name) {
                    return Err(VarError::BadName {
                        name: name.to_string(),
                        at: i,
                    });
                }
                found.push(VarRef {
                    name: name.to_string(),
                    fallback,
                    start: i,
                    end: close + 1,
                });
                i = close + 1;
            }
            _ => i += 1,
        }
    }
    Ok(found)
}

fn is_var_name(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Where variable values come from. Debug output never shows a value.
#[derive(Clone, Default)]
pub struct Variables {
    values: HashMap<String, String>,
}

impl fmt::Debug for Variables {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut names: Vec<&String> = self.values.keys().collect();
        names.sort();
        f.debug_struct("Variables").field("names", &names).finish()
    }
}

impl Variables {
    /// The process environment, with `.env` in `project_dir` filling in what the environment lacks.
    pub fn from_env(project_dir: &Path) -> Result<Self, dotenvy::Error> {
        let mut values: HashMap<String, String> = std::env::vars().collect();
        let dotenv = project_dir.join(".env");
        if dotenv.is_file() {
            for item in dotenvy::from_path_iter(&dotenv)? {
                let (name, value) = item?;
                values.entry(name).or_insert(value);
            }
        }
        Ok(Variables { values })
    }

    pub fn from_pairs<I, K, V>(pairs: I) -> Self
    where
        I: IntoIterator<Item = (K, V)>,
        K: Into<String>,
        V: Into<String>,
    {
        Variables {
            values: pairs
                .into_iter()
                .map(|(k, v)| (k.into(), v.into()))
                .collect(),
        }
    }

    /// These variables plus `pairs` (which win).
    pub fn with<I, K, V>(mut self, pairs: I) -> Self
    where
        I: IntoIterator<Item = (K, V)>,
        K: Into<String>,
        V: Into<String>,
    {
        self.values
            .extend(pairs.into_iter().map(|(k, v)| (k.into(), v.into())));
        self
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.values.get(name).map(String::as_str)
    }

    pub fn is_set(&self, name: &str) -> bool {
        self.values.contains_key(name)
    }

    /// Replaces every reference in `text` with its value.
    pub fn interpolate(&self, text: &str) -> Result<String, VarError> {
        let refs = references(text)?;
        let mut out = String::with_capacity(text.len());
        let mut last = 0;
        for r in refs {
            out.push_str(&unescape(&text[last..r.start]));
            match (self.values.get(&r.name), &r.fallback) {
                (Some(value), _) => out.push_str(value),
                (None, Some(fallback)) => out.push_str(fallback),
                (None, None) => return Err(VarError::Missing { name: r.name }),
            }
            last = r.end;
        }
        out.push_str(&unescape(&text[last..]));
        Ok(out)
    }
}

fn unescape(text: &str) -> String {
    text.replace("$$", "$")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_references_and_fallbacks() {
        let refs = references("postgres://${USER}:${PASS:-x}@h/$$db").unwrap();
        let names: Vec<_> = refs.iter().map(|r| r.name.as_str()).collect();
        assert_eq!(names, ["USER", "PASS"]);
        assert_eq!(refs[1].fallback.as_deref(), Some("x"));
    }

    #[test]
    fn rejects_malformed_references() {
        assert_eq!(references("a ${B"), Err(VarError::Unclosed { at: 2 }));
        assert!(matches!(references("${1X}"), Err(VarError::BadName { .. })));
    }

    #[test]
    fn interpolates_without_leaking_values_in_errors() {
        let vars = Variables::from_pairs([("KEY", "s3cret")]);
        assert_eq!(vars.interpolate("k=${KEY} $$5").unwrap(), "k=s3cret $5");
        let error = vars.interpolate("${KEY}${OTHER}").unwrap_err();
        assert_eq!(error.to_string(), "variable `OTHER` is not set");
        assert!(!format!("{vars:?}").contains("s3cret"));
    }
}
