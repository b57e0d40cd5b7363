//! Checking an archive without a database: every entry is read and hashed, then compared with the
//! manifest (written last, so an archive whose writing stopped has none). Import runs this first and
//! writes nothing unless it passes.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::Path;

use sha2::{Digest, Sha256};

use super::manifest::{self, Manifest};
use super::tarball;

/// Entries whose bytes verification keeps (small, needed before loading): the project file.
pub const PROJECT_FILE: &str = "project/appctl.yaml";
const MAX_KEPT_BYTES: u64 = 16 * 1024 * 1024;

/// A verified archive.
#[derive(Debug, Clone)]
pub struct Verified {
    pub manifest: Manifest,
    /// The archived project file.
    pub project_file: String,
    /// Bytes of all entries, uncompressed.
    pub bytes: u64,
    /// The sha256 of a compressed archive's file itself (as stored): import's second read compares
    /// it to prove that the file did not change since it was verified. `None` when uncompressed
    /// (import then hashes each row file again).
    pub file_sha256: Option<String>,
}

/// Why an archive is refused: every problem found, each naming its entry.
#[derive(Debug, thiserror::Error)]
#[error("{archive} is not a valid appctl archive; nothing was written:\n{}", .problems.iter().map(|p| format!("  - {p}")).collect::<Vec<_>>().join("\n"))]
pub struct VerifyError {
    pub archive: String,
    pub problems: Vec<String>,
}

struct Seen {
    size: u64,
    sha256: String,
}

/// Reads the whole archive at `path` and checks it against its manifest.
pub fn verify(path: &Path) -> Result<Verified, VerifyError> {
    let fail = |problems: Vec<String>| VerifyError {
        archive: path.display().to_string(),
        problems,
    };
    let mut seen: BTreeMap<String, Seen> = BTreeMap::new();
    let mut order: Vec<String> = Vec::new();
    let mut manifest_bytes: Option<Vec<u8>> = None;
    let mut project_file: Option<Vec<u8>> = None;
    let mut problems = Vec::new();
    let mut file_sha256 = None;
    let read = (|| -> std::io::Result<()> {
        let (mut archive, digest) = tarball::open_hashed(path)?;
        let mut buf = vec![0u8; 1 << 16];
        for entry in archive.entries()? {
            let mut entry = entry?;
            let name = String::from_utf8_lossy(&entry.path_bytes()).into_owned();
            if !entry.header().entry_type().is_file() {
                problems.push(format!("entry `{name}` is not a regular file"));
                continue;
            }
            if name == manifest::MANIFEST {
                if entry.size() > manifest::MAX_MANIFEST_BYTES {
                    problems.push(format!(
                        "{name} is larger than {} bytes",
                        manifest::MAX_MANIFEST_BYTES
                    ));
                    continue;
                }
                let mut bytes = Vec::new();
                entry.read_to_end(&mut bytes)?;
                manifest_bytes = Some(bytes);
                continue;
            }
            let keep = name == PROJECT_FILE && entry.size() <= MAX_KEPT_BYTES;
            let mut kept = Vec::new();
            let mut hasher = Sha256::new();
            let mut size = 0u64;
            // Bounded by the entry's size.
            loop {
                let n = entry.read(&mut buf)?;
                if n == 0 {
                    break;
                }
                hasher.update(&buf[..n]);
                if keep {
                    kept.extend_from_slice(&buf[..n]);
                }
                size += n as u64;
            }
            if keep {
                project_file = Some(kept);
            }
            if seen.contains_key(&name) {
                problems.push(format!("entry `{name}` appears twice"));
            }
            order.push(name.clone());
            seen.insert(
                name,
                Seen {
                    size,
                    sha256: hex::encode(hasher.finalize()),
                },
            );
        }
        tarball::drain(archive)?;
        file_sha256 = digest.map(|d| d.hex());
        Ok(())
    })();
    if let Err(error) = read {
        problems.push(format!(
            "the archive is truncated or corrupt (read failed after {} entries: {error}); export it again",
            order.len()
        ));
        return Err(fail(problems));
    }
    let Some(manifest_bytes) = manifest_bytes else {
        problems.push(format!(
            "no {} (written last): the export did not finish, the file is truncated, or it is not an appctl archive",
            manifest::MANIFEST
        ));
        return Err(fail(problems));
    };
    let manifest = match manifest::parse(&manifest_bytes) {
        Ok(manifest) => manifest,
        Err(message) => {
            problems.push(message);
            return Err(fail(problems));
        }
    };
    problems.extend(compare(&manifest, &seen));
    if !problems.is_empty() {
        return Err(fail(problems));
    }
    let Some(project_file) = project_file.and_then(|b| String::from_utf8(b).ok()) else {
        return Err(fail(vec![format!(
            "{PROJECT_FILE} is missing or not UTF-8"
        )]));
    };
    Ok(Verified {
        bytes: seen.values().map(|s| s.size).sum(),
        manifest,
        project_file,
        file_sha256,
    })
}

/// Every difference between the manifest and the entries found.
fn compare(manifest: &Manifest, seen: &BTreeMap<String, Seen>) -> Vec<String> {
    let mut problems = Vec::new();
    let mut listed = BTreeMap::new();
    for entry in &manifest.entries {
        listed.insert(entry.path.as_str(), entry);
        match seen.get(&entry.path) {
            None => problems.push(format!("entry `{}` is missing", entry.path)),
            Some(found) if found.size != entry.size => problems.push(format!(
                "entry `{}` has {} bytes but the manifest says {} (truncated or altered)",
                entry.path, found.size, entry.size
            )),
            Some(found) if found.sha256 != entry.sha256 => problems.push(format!(
                "entry `{}` is altered: its sha256 is {} but the manifest says {}",
                entry.path, found.sha256, entry.sha256
            )),
            Some(_) => {}
        }
    }
    for path in seen.keys() {
        if !listed.contains_key(path.as_str()) {
            problems.push(format!("entry `{path}` is not listed in the manifest"));
        }
    }
    if !listed.contains_key(PROJECT_FILE) {
        problems.push(format!("the manifest does not list {PROJECT_FILE}"));
    }
    problems.extend(compare_files(manifest, &listed));
    for table in &manifest.tables {
        let mut rows = 0;
        for part in &table.parts {
            match listed.get(part.as_str()) {
                Some(entry) => rows += entry.rows.unwrap_or(0),
                None => problems.push(format!(
                    "table {} names the row file `{part}`, which the manifest does not list",
                    table.label()
                )),
            }
        }
        if rows != table.rows {
            problems.push(format!(
                "table {} has {} rows in its row files but the manifest says {}",
                table.label(),
                rows,
                table.rows
            ));
        }
    }
    problems
}

/// The stored files against the entries that hold them: each one listed with the same size and
/// sha256, in a listed bucket, once.
fn compare_files(manifest: &Manifest, listed: &BTreeMap<&str, &manifest::Entry>) -> Vec<String> {
    let mut problems = Vec::new();
    let buckets: std::collections::BTreeSet<&str> =
        manifest.buckets.iter().map(String::as_str).collect();
    let mut seen = std::collections::BTreeSet::new();
    for file in &manifest.files {
        let label = format!("file `{}` of bucket `{}`", file.key, file.bucket);
        let expected = super::layout::archive_path(&file.bucket, &file.key);
        if file.path != expected {
            problems.push(format!(
                "{label} is held by the entry `{}`, not `{expected}`",
                file.path
            ));
        }
        match listed.get(file.path.as_str()) {
            None => problems.push(format!(
                "{label} is held by the entry `{}`, which the manifest does not list",
                file.path
            )),
            Some(entry) if entry.size != file.size || entry.sha256 != file.sha256 => {
                problems.push(format!(
                    "{label}: its size or sha256 differs from its entry `{}`",
                    file.path
                ))
            }
            Some(_) => {}
        }
        if !buckets.contains(file.bucket.as_str()) {
            problems.push(format!("{label}: the bucket is not listed in `buckets`"));
        }
        if !seen.insert((file.bucket.as_str(), file.key.as_str())) {
            problems.push(format!("{label} appears twice"));
        }
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::manifest::{Entry, ExportedWith, Source};

    fn manifest(entries: Vec<Entry>) -> Manifest {
        Manifest {
            format: manifest::FORMAT,
            appctl_version: "0".into(),
            created_at: "now".into(),
            source: Source {
                database: "db".into(),
                server_version: "15".into(),
                schema: "public".into(),
                project: "p".into(),
            },
            snapshot: "s".into(),
            options: ExportedWith::default(),
            tables: Vec::new(),
            entries,
            buckets: Vec::new(),
            files: Vec::new(),
        }
    }

    #[test]
    fn files_must_match_their_entries_and_buckets() {
        use crate::manifest::FileEntry;
        let entry = Entry {
            path: "files/up/a%2Fb".into(),
            size: 3,
            sha256: "abc".into(),
            rows: None,
        };
        let file = |bucket: &str, key: &str, path: &str, size| FileEntry {
            bucket: bucket.into(),
            key: key.into(),
            path: path.into(),
            size,
            sha256: "abc".into(),
        };
        let mut manifest = manifest(vec![entry.clone()]);
        manifest.buckets = vec!["up".into()];
        manifest.files = vec![file("up", "a/b", "files/up/a%2Fb", 3)];
        let listed: BTreeMap<&str, &Entry> = [(entry.path.as_str(), &entry)].into();
        assert!(compare_files(&manifest, &listed).is_empty());
        manifest.files = vec![
            file("up", "a/b", "files/up/a%2Fb", 4),
            file("up", "a/b", "files/up/a%2Fb", 3),
            file("other", "x", "files/other/x", 3),
            file("up", "c", "files/up/a%2Fb", 3),
        ];
        let problems = compare_files(&manifest, &listed);
        assert!(
            problems[0].contains("size or sha256 differs"),
            "{problems:?}"
        );
        assert!(problems[1].contains("appears twice"), "{problems:?}");
        assert!(
            problems
                .iter()
                .any(|p| p.contains("not listed in `buckets`")),
            "{problems:?}"
        );
        assert!(
            problems.iter().any(|p| p.contains("not `files/up/c`")),
            "{problems:?}"
        );
        assert!(
            problems
                .iter()
                .any(|p| p.contains("`files/other/x`, which the manifest does not list")),
            "{problems:?}"
        );
    }

    #[test]
    fn names_every_missing_altered_and_unlisted_entry() {
        let entry = |path: &str, size, sha: &str| Entry {
            path: path.into(),
            size,
            sha256: sha.into(),
            rows: None,
        };
        let manifest = manifest(vec![
            entry(PROJECT_FILE, 1, "a"),
            entry("rows/x", 2, "b"),
            entry("rows/y", 3, "c"),
        ]);
        let mut seen = BTreeMap::new();
        seen.insert(
            PROJECT_FILE.to_string(),
            Seen {
                size: 1,
                sha256: "a".into(),
            },
        );
        seen.insert(
            "rows/x".to_string(),
            Seen {
                size: 2,
                sha256: "z".into(),
            },
        );
        seen.insert(
            "extra".to_string(),
            Seen {
                size: 2,
                sha256: "z".into(),
            },
        );
        let problems = compare(&manifest, &seen);
        assert_eq!(problems.len(), 3, "{problems:?}");
        assert!(problems[0].contains("`rows/x` is altered"));
        assert!(problems[1].contains("`rows/y` is missing"));
        assert!(problems[2].contains("`extra` is not listed"));
    }
}
