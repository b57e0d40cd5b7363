//! `up --watch`: the stack kept in step with the project's files.

use std::path::PathBuf;
use std::time::{Duration, SystemTime};

use crate::project::Project;
use crate::stack::up::{self, UpListener, UpOptions, UpReport};

/// What a watch tells the person running it.
pub trait WatchReporter: UpListener {
    fn watching(&mut self);
    /// The changed project file did not load; the stack was left as it was.
    fn reload_failed(&mut self, error: &anyhow::Error);
    fn applied(&mut self, report: &UpReport);
    fn failed(&mut self, error: &anyhow::Error);
}

/// When a function's files, appctl.yaml or .env change, `up` runs again, which replaces only the
/// containers whose spec changed (a function whose files changed) and applies only the schema
/// change. Polls twice a second: the same on bind mounts and network file systems as on a local
/// disk. Runs until the process is interrupted; the stack stays up.
pub fn watch(
    mut project: Project,
    mut reload: impl FnMut() -> anyhow::Result<Project>,
    options: &UpOptions,
    reporter: &mut dyn WatchReporter,
    runtime: &tokio::runtime::Runtime,
) {
    reporter.watching();
    let mut last = fingerprint(&project);
    loop {
        std::thread::sleep(Duration::from_millis(500));
        let now = fingerprint(&project);
        if now == last {
            continue;
        }
        last = now;
        match reload() {
            Ok(reloaded) => project = reloaded,
            Err(error) => {
                reporter.reload_failed(&error);
                continue;
            }
        }
        last = fingerprint(&project);
        match runtime.block_on(up::up(&project, options, reporter)) {
            Ok(report) => reporter.applied(&report),
            Err(error) => reporter.failed(&error),
        }
    }
}

/// Path, size and modification time of each file a watch follows.
pub type Fingerprint = Vec<(PathBuf, u64, Option<SystemTime>)>;

/// Paths, sizes and modification times of everything `--watch` follows.
pub fn fingerprint(project: &Project) -> Fingerprint {
    let mut roots = vec![project.path.clone(), project.dir().join(".env")];
    roots.extend(
        project
            .file
            .functions
            .values()
            .map(|f| project.dir().join(&f.source)),
    );
    let mut seen = Vec::new();
    let mut stack = roots;
    // Bounded: a function directory with more than 100,000 entries is not watched past that.
    while let Some(path) = stack.pop() {
        if seen.len() > 100_000 {
            break;
        }
        let Ok(meta) = std::fs::symlink_metadata(&path) else {
            continue;
        };
        if meta.is_dir()
            && let Ok(entries) = std::fs::read_dir(&path)
        {
            stack.extend(
                entries
                    .flatten()
                    .map(|e| e.path())
                    .filter(|p| !p.ends_with(".git")),
            );
        }
        seen.push((path, meta.len(), meta.modified().ok()));
    }
    seen.sort();
    seen
}
