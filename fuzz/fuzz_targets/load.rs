//! Feeds arbitrary bytes to the project-file loader: `check_source` must never panic, and neither must
//! rendering its report, which slices the source by the byte ranges the loader found.
#![no_main]

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use appctl_project::{check_source, validate, vars::Variables};
use libfuzzer_sys::fuzz_target;

struct Fixture {
    /// Kept alive for the whole run; removed when the process exits normally.
    _dir: tempfile::TempDir,
    project_dir: PathBuf,
    variables: Variables,
}

fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let dir = tempfile::tempdir().expect("temp dir");
        let project_dir = dir.path().to_path_buf();
        // The functions of the templates, so that `source:`/`entrypoint:` checks pass for seeds too.
        for (source, entrypoint) in [
            ("functions/chat", "index.js"),
            ("functions/ingest", "main.py"),
            ("functions/hello", "index.js"),
        ] {
            let source = project_dir.join(source);
            std::fs::create_dir_all(&source).expect("function dir");
            std::fs::write(source.join(entrypoint), "").expect("entrypoint");
        }
        let variables = Variables::from_pairs([
            ("OPENAI_API_KEY", "sk-test"),
            ("DATABASE_URL", "postgres://u:p@localhost:5432/db"),
            ("PROD_DATABASE_URL", "postgres://u:p@db.example:5432/prod"),
            ("PROD_S3_ENDPOINT", "https://s3.example"),
            ("PROD_S3_KEY", "key"),
            ("PROD_S3_SECRET", "secret"),
            ("EMPTY", ""),
            ("UNICODE", "héllo ✓"),
        ]);
        Fixture {
            _dir: dir,
            project_dir,
            variables,
        }
    })
}

fuzz_target!(|data: &[u8]| {
    let fixture = fixture();
    let source = String::from_utf8_lossy(data);
    // The first byte picks the environment, so environment-scoped checks are reached too.
    let environment = match data.first().map(|b| b % 3) {
        Some(1) => Some("production"),
        Some(2) => Some("staging"),
        _ => None,
    };
    let context = validate::Context {
        project_dir: &fixture.project_dir,
        variables: &fixture.variables,
        environment,
    };
    let path = Path::new("appctl.yaml");
    let (_file, _source_map, report) = check_source(path, &source, &context);
    let _ = report.render(false);
    let _ = report.render(true);
    let _ = report.render_short();
    let _ = report.to_json().to_string();
});
