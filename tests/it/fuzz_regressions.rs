//! Inputs the fuzzer (fuzz/fuzz_targets/load.rs) found to crash or hang the loader, minimized, in
//! tests/fuzz-regressions/. Each must load and render without panicking, as any input must.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::Path;
use std::time::{Duration, Instant};

use appctl::project::{check_source, validate, vars::Variables};

/// Far more than any of these inputs needs once fixed; they are all small.
const SLOW: Duration = Duration::from_secs(5);

fn check_and_render(source: &str, project_dir: &Path, environment: Option<&str>) {
    let variables = Variables::from_pairs([
        ("OPENAI_API_KEY", "sk-test"),
        ("PROD_DATABASE_URL", "postgres://u:p@db.example:5432/prod"),
        ("EMPTY", ""),
    ]);
    let context = validate::Context {
        project_dir,
        variables: &variables,
        environment,
    };
    let (_file, _map, report) = check_source(Path::new("appctl.yaml"), source, &context);
    let _ = report.render(false);
    let _ = report.render(true);
    let _ = report.render_short();
    let _ = report.to_json().to_string();
}

#[test]
fn every_fuzz_regression_loads_without_panicking() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fuzz-regressions");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("tests/fuzz-regressions")
        .map(|entry| entry.expect("dir entry").path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "yaml"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no .yaml file in {}", dir.display());

    let project_dir = tempfile::tempdir().expect("temp dir");
    let mut failures = Vec::new();
    for file in &files {
        let bytes = std::fs::read(file).expect("read regression input");
        // The fuzzer feeds bytes: invalid UTF-8 becomes U+FFFD, as it does there.
        let source = String::from_utf8_lossy(&bytes);
        let name = file.file_name().unwrap().to_string_lossy().into_owned();
        for environment in [None, Some("production")] {
            let started = Instant::now();
            let outcome = catch_unwind(AssertUnwindSafe(|| {
                check_and_render(&source, project_dir.path(), environment)
            }));
            let took = started.elapsed();
            match outcome {
                Err(panic) => {
                    let message = panic
                        .downcast_ref::<String>()
                        .map(String::as_str)
                        .or_else(|| panic.downcast_ref::<&str>().copied())
                        .unwrap_or("(non-string panic)");
                    failures.push(format!("{name} (env {environment:?}): panicked: {message}"));
                }
                Ok(()) if took > SLOW => {
                    failures.push(format!("{name} (env {environment:?}): took {took:?}"))
                }
                Ok(()) => {}
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} input(s) failed:\n{}",
        failures.len(),
        files.len(),
        failures.join("\n")
    );
}
