//! The corpus of malformed project files in `tests/corpus/invalid/`: each file says, in comment lines at
//! its top, exactly which diagnostics it must produce (line:column, code, message and optionally hint).
//! Valid files in `tests/corpus/valid/` must produce no diagnostic at all. See tests/corpus/README.md.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

use appctl::project::check_source;
use appctl::project::diagnostic::{Diagnostic, Report, Severity};
use appctl::project::validate::Context;
use appctl::project::vars::Variables;

/// The only variables the corpus sees: never the process environment, so results do not depend on
/// the machine. The values are distinctive so a test can prove no message ever shows one.
const VARIABLES: &[(&str, &str)] = &[
    ("OPENAI_API_KEY", "sk-corpus-openai-value-0001"),
    ("PROD_DATABASE_URL", "postgres://u:corpus-db-pass-0002@h/db"),
    ("PROD_S3_KEY", "corpus-s3-key-value-0003"),
    ("PROD_S3_SECRET", "corpus-s3-secret-value-0004"),
    ("IMAGE_TAG", "corpus-image-tag-0005"),
];

fn variables() -> Variables {
    Variables::from_pairs(VARIABLES.iter().copied())
}

fn corpus_dir(kind: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/corpus")
        .join(kind)
}

/// Every `.yaml` file of a corpus directory, sorted by name.
fn corpus_files(kind: &str) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = fs::read_dir(corpus_dir(kind))
        .unwrap_or_else(|e| panic!("cannot read tests/corpus/{kind}: {e}"))
        .map(|entry| entry.expect("directory entry").path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "yaml"))
        .collect();
    files.sort();
    files
}

/// What the header comments of a corpus file ask for.
#[derive(Debug, Default)]
struct Expectations {
    /// `L:C code: message` for errors, `L:C warning code: message` for warnings.
    diagnostics: Vec<String>,
    /// The hint asserted for the diagnostic of the same index, when given.
    hints: Vec<Option<String>>,
    /// `# env: NAME`: the environment selected, as with `--env NAME`.
    environment: Option<String>,
    /// `# given: PATH`: files to create (with their directories) beside the project file.
    given: Vec<String>,
}

fn expectations(text: &str) -> Expectations {
    let mut expect = Expectations::default();
    for line in text.lines().take_while(|line| line.starts_with('#')) {
        if let Some(rest) = line.strip_prefix("# expect: ") {
            expect.diagnostics.push(rest.to_string());
            expect.hints.push(None);
        } else if let Some(rest) = line.strip_prefix("# expect-warning: ") {
            let (position, rest) = rest.split_once(' ').expect("`L:C code: message`");
            expect
                .diagnostics
                .push(format!("{position} warning {rest}"));
            expect.hints.push(None);
        } else if let Some(rest) = line.strip_prefix("# hint: ") {
            let last = expect
                .hints
                .last_mut()
                .expect("`# hint:` follows the `# expect:` it belongs to");
            *last = Some(rest.to_string());
        } else if let Some(rest) = line.strip_prefix("# env: ") {
            expect.environment = Some(rest.to_string());
        } else if let Some(rest) = line.strip_prefix("# given: ") {
            expect.given.push(rest.to_string());
        }
    }
    expect
}

fn describe(d: &Diagnostic) -> String {
    let (line, column) = d.location.map_or((0, 0), |l| (l.line, l.column));
    let severity = match d.severity {
        Severity::Error => "",
        Severity::Warning => "warning ",
    };
    format!("{line}:{column} {severity}{}: {}", d.code, d.message)
}

/// Checks `text` as if it were `appctl.yaml` in a fresh directory holding the `given` files.
fn check(name: &str, text: &str, expect: &Expectations) -> Report {
    let dir = tempfile::tempdir().expect("temporary directory");
    for given in &expect.given {
        let path = dir.path().join(given);
        fs::create_dir_all(path.parent().expect("a file in a directory")).expect("create dir");
        fs::write(&path, "").expect("create given file");
    }
    let variables = variables();
    let context = Context {
        project_dir: dir.path(),
        variables: &variables,
        environment: expect.environment.as_deref(),
    };
    let (_, _, report) = check_source(Path::new(name), text, &context);
    report
}

fn check_corpus_file(path: &Path) -> Result<Report, String> {
    let name = path.file_name().unwrap().to_string_lossy().to_string();
    let text = fs::read_to_string(path).map_err(|e| format!("{name}: {e}"))?;
    let expect = expectations(&text);
    let report = check(&name, &text, &expect);
    let actual: Vec<String> = report.diagnostics.iter().map(describe).collect();
    let mut problems = Vec::new();
    if actual != expect.diagnostics {
        problems.push(format!(
            "expected:\n{}\nactual:\n{}",
            expect
                .diagnostics
                .iter()
                .map(|d| format!("  # expect: {d}\n"))
                .collect::<String>(),
            report
                .diagnostics
                .iter()
                .map(|d| format!(
                    "  # expect: {}\n  # hint: {}\n",
                    describe(d),
                    d.hint.as_deref().unwrap_or("-")
                ))
                .collect::<String>()
        ));
    } else {
        for (d, hint) in report.diagnostics.iter().zip(&expect.hints) {
            if let Some(hint) = hint
                && d.hint.as_deref() != Some(hint.as_str())
            {
                problems.push(format!(
                    "hint of `{}`:\n  expected: {hint}\n  actual:   {}",
                    describe(d),
                    d.hint.as_deref().unwrap_or("(none)")
                ));
            }
        }
    }
    if problems.is_empty() {
        Ok(report)
    } else {
        Err(format!("{name}: {}", problems.join("\n")))
    }
}

/// `APPCTL_BLESS=1 cargo test --test it diagnostics`: rewrites the `# expect:` and `# hint:` lines of every
/// invalid corpus file from what the loader reports now. Review the diff: the point of the corpus is
/// that each position and message was checked by a person.
fn bless(path: &Path) {
    let text = fs::read_to_string(path).unwrap();
    let name = path.file_name().unwrap().to_string_lossy().to_string();
    let header_len = text
        .lines()
        .take_while(|line| line.starts_with('#'))
        .count();
    let kept: Vec<&str> = text
        .lines()
        .take(header_len)
        .filter(|line| {
            !line.starts_with("# expect: ")
                && !line.starts_with("# expect-warning: ")
                && !line.starts_with("# hint: ")
        })
        .collect();
    let body: String = text.split_inclusive('\n').skip(header_len).collect();
    let expect = expectations(&text);
    let compose = |report: &Report| {
        let mut out: String = kept.iter().map(|line| format!("{line}\n")).collect();
        for d in &report.diagnostics {
            let described = describe(d);
            match described.split_once(" warning ") {
                Some((position, rest)) => {
                    out.push_str(&format!("# expect-warning: {position} {rest}\n"))
                }
                None => out.push_str(&format!("# expect: {described}\n")),
            }
            if let Some(hint) = &d.hint {
                out.push_str(&format!("# hint: {hint}\n"));
            }
        }
        out.push_str(&body);
        out
    };
    // The new header may be longer or shorter; its length depends only on the diagnostics, so a second
    // pass over the new text gives the right line numbers.
    let draft = compose(&check(&name, &text, &expect));
    let blessed = compose(&check(&name, &draft, &expect));
    fs::write(path, blessed).unwrap();
}

#[test]
fn invalid_corpus_reports_exactly_the_expected_diagnostics() {
    let files = corpus_files("invalid");
    if std::env::var_os("APPCTL_BLESS").is_some() {
        files.iter().for_each(|path| bless(path));
    }
    let failures: Vec<String> = files
        .iter()
        .filter_map(|path| check_corpus_file(path).err())
        .collect();
    assert!(
        failures.is_empty(),
        "{} of {} corpus files differ:\n\n{}",
        failures.len(),
        files.len(),
        failures.join("\n\n")
    );
}

#[test]
fn invalid_corpus_is_well_formed() {
    let files = corpus_files("invalid");
    assert!(
        files.len() >= 40,
        "the corpus has {} files, fewer than 40",
        files.len()
    );
    let mut numbers = BTreeSet::new();
    for path in &files {
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        let (number, rest) = name.split_once('-').unwrap_or(("", ""));
        assert!(
            number.len() == 2 && number.chars().all(|c| c.is_ascii_digit()) && !rest.is_empty(),
            "{name}: corpus files are named NN-short-name.yaml"
        );
        assert!(
            numbers.insert(number.to_string()),
            "{name}: number {number} is used twice"
        );
        let text = fs::read_to_string(path).unwrap();
        let expect = expectations(&text);
        assert!(
            !expect.diagnostics.is_empty(),
            "{name}: an invalid file expects at least one diagnostic"
        );
        // Each file is about one thing: an error that is expected, not only warnings.
        assert!(
            expect.diagnostics.iter().any(|d| !d.contains(" warning ")),
            "{name}: expects no error"
        );
    }
}

/// Every code the loader can report is exercised by at least one corpus file (`internal` cannot be
/// reached by a file: it means the schema and the serde model disagree).
#[test]
fn invalid_corpus_covers_every_diagnostic_code() {
    const CODES: &[&str] = &[
        "yaml-syntax",
        "empty",
        "missing-key",
        "unknown-key",
        "type",
        "unknown-value",
        "project-name",
        "range",
        "version",
        "identifier",
        "duplicate",
        "empty-enum",
        "no-columns",
        "primary-key",
        "foreign-key",
        "index",
        "reference",
        "owner",
        "rename",
        "column-type",
        "extension",
        "identity",
        "generated",
        "sql",
        "permissions",
        "role",
        "bucket-name",
        "mime-type",
        "size",
        "duration",
        "function-name",
        "function-source",
        "env-name",
        "cron",
        "variable",
        "environment",
        "secret",
        "port",
    ];
    let mut seen = BTreeSet::new();
    for path in corpus_files("invalid") {
        let text = fs::read_to_string(&path).unwrap();
        for d in expectations(&text).diagnostics {
            let code = d
                .split_whitespace()
                .find(|word| word.ends_with(':'))
                .map(|word| word.trim_end_matches(':').to_string());
            seen.extend(code);
        }
    }
    let missing: Vec<&str> = CODES
        .iter()
        .copied()
        .filter(|code| !seen.contains(*code))
        .collect();
    assert!(missing.is_empty(), "no corpus file expects: {missing:?}");
}

/// A variable's value never appears in a message or hint, nor in any rendering of the report.
#[test]
fn no_diagnostic_shows_a_variable_value() {
    for path in corpus_files("invalid")
        .into_iter()
        .chain(corpus_files("valid"))
    {
        let text = fs::read_to_string(&path).unwrap();
        let expect = expectations(&text);
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        let report = check(&name, &text, &expect);
        let rendered = format!(
            "{}\n{}\n{}",
            report.render(false),
            report.render_short(),
            report.to_json()
        );
        for (variable, value) in VARIABLES {
            assert!(
                !rendered.contains(value),
                "{name}: the value of {variable} is shown:\n{rendered}"
            );
        }
    }
}

#[test]
fn valid_corpus_has_no_diagnostics() {
    let files = corpus_files("valid");
    assert!(
        files.len() >= 3,
        "the valid corpus has {} files",
        files.len()
    );
    for path in files {
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        let text = fs::read_to_string(&path).unwrap();
        let expect = expectations(&text);
        assert!(
            expect.diagnostics.is_empty(),
            "{name}: a valid file expects nothing"
        );
        let report = check(&name, &text, &expect);
        assert!(
            report.diagnostics.is_empty(),
            "{name}:\n{}",
            report.render(false)
        );
    }
}

/// Checks one corpus file as the test above does and returns its report.
fn report_of(kind: &str, file: &str) -> Report {
    let path = corpus_dir(kind).join(file);
    let text = fs::read_to_string(&path).unwrap();
    check(file, &text, &expectations(&text))
}

#[test]
fn rendering_shows_the_line_a_caret_the_path_and_the_hint() {
    let report = report_of("invalid", "14-unknown-key-column.yaml");
    assert_eq!(
        report.render(false),
        "error: unknown key `nulable` in `tables.t.columns.id`
  --> 14-unknown-key-column.yaml:11:9
   |
11 |         nulable: true
   |         ^^^^^^^ tables.t.columns.id.nulable
   |
   = help: did you mean `nullable`?

"
    );
    assert_eq!(
        report.render_short(),
        "14-unknown-key-column.yaml:11:9: error: unknown key `nulable` in `tables.t.columns.id`\n"
    );
}

#[test]
fn rendering_a_syntax_error_and_a_file_without_a_place() {
    let report = report_of("invalid", "02-yaml-duplicate-key.yaml");
    assert_eq!(
        report.render(false),
        "error: duplicate key `threads`
 --> 02-yaml-duplicate-key.yaml:9:3
  |
9 |   threads:
  |   ^^^^^^^
  |
  = help: `threads` is already defined on line 7; keep one

"
    );
    let report = report_of("invalid", "10-empty-file.yaml");
    assert_eq!(
        report.render(false),
        "error: the project file is empty
 --> 10-empty-file.yaml
  = help: start with `version: 1` and `project: NAME`, or run `appctl init`

"
    );
}

/// The caret sits under the token on screen: wide (CJK) characters before it take two columns there,
/// while the reported column counts characters.
#[test]
fn rendering_aligns_the_caret_after_wide_characters() {
    let report = report_of("invalid", "74-flow-mapping-multibyte.yaml");
    let rendered = report.render(false);
    let source_line = rendered
        .lines()
        .find(|line| line.starts_with("9 |"))
        .expect("the offending line");
    let caret_line = rendered
        .lines()
        .find(|line| line.contains('^'))
        .expect("a caret line");
    // `    columns: { "名前": { type: text, comment: "日本語", ` is 51 characters (column 52), and the
    // five CJK characters take two columns each: 56 columns on screen.
    let before = &source_line[..source_line.find("nulable").unwrap()];
    assert_eq!(before.chars().count() - "9 | ".len(), 51);
    assert_eq!(
        caret_line.find('^').unwrap(),
        "  | ".len() + 56,
        "{rendered}"
    );
    assert!(caret_line.ends_with("^^^^^^^ tables.t.columns.名前.nulable"));
}

#[test]
fn json_report_shape() {
    let report = report_of("invalid", "64-secret-in-file.yaml");
    assert_eq!(
        report.to_json(),
        serde_json::json!({
            "file": "64-secret-in-file.yaml",
            "valid": false,
            "errors": 1,
            "warnings": 2,
            "diagnostics": [
                {
                    "severity": "warning",
                    "code": "secret",
                    "message": "`database_url` holds a secret written in the file",
                    "line": 12,
                    "column": 19,
                    "path": "environments.production.database_url",
                    "hint": "write `${VAR}` and keep the value in the environment or .env, which git ignores"
                },
                {
                    "severity": "warning",
                    "code": "secret",
                    "message": "`access_key` holds a secret written in the file",
                    "line": 15,
                    "column": 19,
                    "path": "environments.production.storage.access_key",
                    "hint": "write `${VAR}` and keep the value in the environment or .env, which git ignores"
                },
                {
                    "severity": "error",
                    "code": "variable",
                    "message": "`${` is not closed by `}`",
                    "line": 17,
                    "column": 18,
                    "path": "environments.production.docker_host",
                    "hint": "write `${NAME}`, or `$$` for a literal `$`"
                }
            ]
        })
    );
    // Without a place there is no line, column or path; a syntax error has a place but no path.
    let empty = report_of("invalid", "10-empty-file.yaml").to_json();
    assert_eq!(
        empty["diagnostics"][0],
        serde_json::json!({
            "severity": "error",
            "code": "empty",
            "message": "the project file is empty",
            "hint": "start with `version: 1` and `project: NAME`, or run `appctl init`"
        })
    );
    let syntax = report_of("invalid", "02-yaml-duplicate-key.yaml").to_json();
    let keys: Vec<&str> = syntax["diagnostics"][0]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys,
        ["severity", "code", "message", "line", "column", "hint"]
    );
    let valid = report_of("valid", "03-minimal.yaml").to_json();
    assert_eq!(
        valid,
        serde_json::json!({
            "file": "03-minimal.yaml", "valid": true, "errors": 0, "warnings": 0, "diagnostics": []
        })
    );
}

/// A secret written in the file is a warning, and the rendering that warns about it does not copy it
/// into the terminal or a CI log.
#[test]
fn rendering_masks_secrets_written_in_the_file() {
    let report = report_of("invalid", "64-secret-in-file.yaml");
    let rendered = report.render(false);
    assert!(!rendered.contains("hunter2"), "{rendered}");
    assert!(!rendered.contains("AKIAEXAMPLE"), "{rendered}");
    assert!(
        rendered.contains("12 |     database_url: \"*****************************************\"\n"),
        "{rendered}"
    );
    assert!(
        rendered.contains("15 |       access_key: ***********\n"),
        "{rendered}"
    );
}
