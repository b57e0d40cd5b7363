//! A function's package: a deterministic `tar.gz` of its `source` directory, whose sha256 is the
//! function's version.
//!
//! The same sources give the same bytes on any machine, whatever the order files were written in,
//! their mtimes, owners, umask or the place the project is checked out:
//!
//! - entries sorted by path, component by component (`a/b` before `a-b`), directories included;
//! - every mtime [`PACKAGE_MTIME`], uid/gid 0, empty user and group names, GNU headers;
//! - modes normalised: directories 0755, files 0755 when the owner may execute them (what git
//!   records) else 0644, symbolic links 0777 with a target relative to the link;
//! - gzip without a file name or mtime, OS byte "unknown", level 6, the pure-Rust backend.
//!
//! What goes in: the files of `source`, minus what `.gitignore` and `.appctlignore` files exclude
//! (those in `source` and below, and those in the directories between `appctl.yaml` and `source`;
//! never the user's global excludes, so another machine packs the same files), minus version-control
//! folders, `.appctl/`, bytecode caches and `.env` files (always), minus dependency folders (`node_modules`,
//! `.venv`, any virtualenv) unless [`PackageOptions::include_deps`]. A symbolic link must point inside
//! `source`; one that escapes is refused.

use std::cmp::Ordering;
use std::fs::{self, File};
use std::io::{self, Read, Write};
use std::os::unix::fs::PermissionsExt;
use std::path::{Component, Path, PathBuf};

use flate2::{Compression, GzBuilder};
use sha2::{Digest, Sha256};

use super::file::Function;

/// The mtime of every entry: 1980-01-01T00:00:00Z (as reproducible zip and wheel files use; 0 makes
/// some tar versions warn about an implausibly old time stamp).
pub const PACKAGE_MTIME: u64 = 315_532_800;

/// The gzip compression level. Part of the format: changing it changes every version.
const GZIP_LEVEL: u32 = 6;

/// The ignore file of appctl, read like `.gitignore` and taking precedence over it.
pub const IGNORE_FILE: &str = ".appctlignore";

/// Dependency folders: installed, not written; left out unless `--include-deps`. A directory holding
/// `pyvenv.cfg` is a virtualenv whatever its name, and counts too.
pub const DEPENDENCY_DIRS: &[&str] = &["node_modules", ".venv"];

/// Never packaged: appctl's local state (`.appctl/` holds the local stack's secrets and the packages
/// themselves, when `source` is the project directory), version control, and caches that hold
/// machine-specific bytes (Python's bytecode records the source's mtime), so including them would
/// break determinism.
pub const EXCLUDED_DIRS: &[&str] = &[
    ".appctl",
    ".git",
    ".hg",
    ".svn",
    "__pycache__",
    ".pytest_cache",
    ".mypy_cache",
    ".ruff_cache",
];

#[derive(Debug, Clone, Copy, Default)]
pub struct PackageOptions {
    /// Also pack dependency folders (`node_modules`, virtualenvs, ...).
    pub include_deps: bool,
}

impl PackageOptions {
    /// How a deploy packs `function`: as its `include_deps` says.
    pub fn of(function: &Function) -> PackageOptions {
        PackageOptions {
            include_deps: function.include_deps,
        }
    }
}

/// What a package holds, and its version.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct PackageInfo {
    pub name: String,
    /// sha256 of the `tar.gz`, in hex: the function's version.
    pub version: String,
    /// Bytes of the `tar.gz`.
    pub size: u64,
    /// Regular files and symbolic links in it.
    pub files: usize,
}

#[derive(Debug, thiserror::Error)]
pub enum PackageError {
    #[error(
        "function `{function}`: source directory `{path}` does not exist; create it or fix `functions.{function}.source` in appctl.yaml (it is relative to appctl.yaml)"
    )]
    SourceMissing { function: String, path: String },
    #[error(
        "function `{function}`: source directory `{path}` is excluded by a .gitignore or .appctlignore between appctl.yaml and it; remove that rule"
    )]
    SourceIgnored { function: String, path: String },
    #[error(
        "function `{function}`: entrypoint `{entrypoint}` is not a file in `{source_dir}`; create it or fix `functions.{function}.entrypoint` (it is relative to the source directory)"
    )]
    EntrypointMissing {
        function: String,
        entrypoint: String,
        source_dir: String,
    },
    #[error(
        "function `{function}`: entrypoint `{entrypoint}` is outside the source directory `{source_dir}`; move the file into it"
    )]
    EntrypointOutside {
        function: String,
        entrypoint: String,
        source_dir: String,
    },
    #[error(
        "function `{function}`: entrypoint `{entrypoint}` would not be in the package: a .gitignore or .appctlignore rule excludes it, or it is in a dependency or cache folder; remove the rule or move the file"
    )]
    EntrypointExcluded {
        function: String,
        entrypoint: String,
    },
    #[error(
        "function `{function}`: `{path}` is a symbolic link to `{target}`, outside the source directory; copy what it points at into the source directory, or exclude the link in {IGNORE_FILE}"
    )]
    SymlinkEscapes {
        function: String,
        path: String,
        target: String,
    },
    #[error(
        "function `{function}`: `{path}` is a symbolic link to `{target}`, which does not exist; remove it or exclude it in {IGNORE_FILE}"
    )]
    SymlinkDangling {
        function: String,
        path: String,
        target: String,
    },
    #[error(
        "function `{function}`: `{path}` is not a regular file, directory or symbolic link (a socket, pipe or device); exclude it in {IGNORE_FILE}"
    )]
    SpecialFile { function: String, path: String },
    #[error(
        "function `{function}`: the name of `{path}` is not UTF-8; rename it (packages are read on other machines)"
    )]
    NotUtf8 { function: String, path: String },
    #[error(
        "function `{function}`: `{path}` changed while it was packed; run the command again when nothing is writing to the source directory"
    )]
    Changed { function: String, path: String },
    #[error(
        "function `{function}`: the output directory `{out_dir}` is inside its source directory `{source_dir}`, so the package would pack itself; write it elsewhere with -o"
    )]
    OutputInSource {
        function: String,
        out_dir: String,
        source_dir: String,
    },
    #[error("function `{function}`: {message}; fix the rule or the file")]
    Walk { function: String, message: String },
    #[error("function `{function}`: cannot read `{path}`: {source}")]
    Read {
        function: String,
        path: String,
        source: io::Error,
    },
    #[error("function `{function}`: cannot write the package to `{path}`: {source}")]
    Write {
        function: String,
        path: String,
        source: io::Error,
    },
}

/// One entry of the archive, before it is written.
#[derive(Debug)]
enum Kind {
    Dir,
    File { executable: bool, size: u64 },
    Symlink { target: String },
}

#[derive(Debug)]
struct Entry {
    /// Relative to the source directory, `/`-separated, never empty.
    path: String,
    /// Where it is on disk.
    disk: PathBuf,
    kind: Kind,
}

/// Where a function's files are: the names used in messages and the canonical directories.
struct Source<'a> {
    function: &'a str,
    /// `source` as written, for messages.
    display: String,
    root: PathBuf,
    project_dir: PathBuf,
}

impl Source<'_> {
    /// `source/<relative>` as the user sees it.
    fn show(&self, relative: &str) -> String {
        if relative.is_empty() {
            self.display.clone()
        } else {
            format!("{}/{relative}", self.display.trim_end_matches('/'))
        }
    }

    fn read_error(&self, relative: &str, source: io::Error) -> PackageError {
        PackageError::Read {
            function: self.function.to_string(),
            path: self.show(relative),
            source,
        }
    }
}

/// Computes the function's version without writing the package anywhere.
pub fn version(
    name: &str,
    function: &Function,
    project_dir: &Path,
    options: PackageOptions,
) -> Result<PackageInfo, PackageError> {
    pack(name, function, project_dir, options, io::sink()).map(|(info, _)| info)
}

/// Writes `<out_dir>/<name>.tar.gz` (through a temporary file renamed into place, so a reader never
/// sees half a package) and returns what it holds.
pub fn write(
    name: &str,
    function: &Function,
    project_dir: &Path,
    options: PackageOptions,
    out_dir: &Path,
) -> Result<(PackageInfo, PathBuf), PackageError> {
    let write_error = |path: &Path, source: io::Error| PackageError::Write {
        function: name.to_string(),
        path: path.display().to_string(),
        source,
    };
    // A package written into its own sources would be packed by the next run (and its half-written
    // temporary file by this one): refused, unless under a folder that is never packed.
    let source = locate(name, function, project_dir)?;
    if let Some(out) = resolve(out_dir)
        && let Ok(inside) = out.strip_prefix(&source.root)
        && !inside
            .components()
            .any(|c| EXCLUDED_DIRS.contains(&c.as_os_str().to_str().unwrap_or("")))
    {
        return Err(PackageError::OutputInSource {
            function: name.to_string(),
            out_dir: out_dir.display().to_string(),
            source_dir: source.display,
        });
    }
    fs::create_dir_all(out_dir).map_err(|e| write_error(out_dir, e))?;
    let target = out_dir.join(format!("{name}.tar.gz"));
    let temporary = out_dir.join(format!(".{name}.tar.gz.{}.tmp", std::process::id()));
    let file = File::create(&temporary).map_err(|e| write_error(&temporary, e))?;
    let result = pack(
        name,
        function,
        project_dir,
        options,
        io::BufWriter::new(file),
    )
    .and_then(|(info, writer)| {
        let file = writer
            .into_inner()
            .map_err(|e| write_error(&temporary, e.into_error()))?;
        file.sync_all().map_err(|e| write_error(&temporary, e))?;
        fs::rename(&temporary, &target).map_err(|e| write_error(&target, e))?;
        Ok(info)
    });
    if result.is_err() {
        let _ = fs::remove_file(&temporary);
    }
    result.map(|info| (info, target))
}

/// `path` with its longest existing ancestor canonicalised and the rest appended: where a directory
/// not created yet will be.
fn resolve(path: &Path) -> Option<PathBuf> {
    let absolute = if path.is_absolute() {
        path.to_path_buf()
    } else {
        std::env::current_dir().ok()?.join(path)
    };
    for ancestor in absolute.ancestors() {
        if let Ok(existing) = ancestor.canonicalize() {
            let rest = absolute.strip_prefix(ancestor).ok()?;
            return Some(existing.join(rest));
        }
    }
    None
}

/// Packs the function into `out`; returns what was packed and `out`.
pub fn pack<W: Write>(
    name: &str,
    function: &Function,
    project_dir: &Path,
    options: PackageOptions,
    out: W,
) -> Result<(PackageInfo, W), PackageError> {
    let source = locate(name, function, project_dir)?;
    let entries = collect(&source, options)?;
    check_entrypoint(&source, function, &entries)?;

    let write_error = |source: io::Error| PackageError::Write {
        function: name.to_string(),
        path: "the output".into(),
        source,
    };
    let digesting = Digesting {
        inner: out,
        hasher: Sha256::new(),
        written: 0,
    };
    // No file name, mtime 0, OS 255 (unknown): nothing about this machine or moment.
    let gzip = GzBuilder::new()
        .operating_system(255)
        .write(digesting, Compression::new(GZIP_LEVEL));
    let mut tar = tar::Builder::new(gzip);
    let mut files = 0;
    for entry in &entries {
        let mut header = tar::Header::new_gnu();
        header.set_uid(0);
        header.set_gid(0);
        header.set_mtime(PACKAGE_MTIME);
        match &entry.kind {
            Kind::Dir => {
                header.set_entry_type(tar::EntryType::Directory);
                header.set_mode(0o755);
                header.set_size(0);
                tar.append_data(&mut header, format!("{}/", entry.path), io::empty())
                    .map_err(write_error)?;
            }
            Kind::File { executable, size } => {
                header.set_entry_type(tar::EntryType::Regular);
                header.set_mode(if *executable { 0o755 } else { 0o644 });
                header.set_size(*size);
                let file =
                    File::open(&entry.disk).map_err(|e| source.read_error(&entry.path, e))?;
                let mut reader = Exact {
                    inner: file.take(*size),
                    remaining: *size,
                };
                tar.append_data(&mut header, &entry.path, &mut reader)
                    .map_err(|e| {
                        if e.kind() == io::ErrorKind::UnexpectedEof {
                            PackageError::Changed {
                                function: name.to_string(),
                                path: source.show(&entry.path),
                            }
                        } else {
                            source.read_error(&entry.path, e)
                        }
                    })?;
                files += 1;
            }
            Kind::Symlink { target } => {
                header.set_entry_type(tar::EntryType::Symlink);
                header.set_mode(0o777);
                header.set_size(0);
                tar.append_link(&mut header, &entry.path, target)
                    .map_err(write_error)?;
                files += 1;
            }
        }
    }
    let gzip = tar.into_inner().map_err(write_error)?;
    let digesting = gzip.finish().map_err(write_error)?;
    let info = PackageInfo {
        name: name.to_string(),
        version: hex::encode(digesting.hasher.finalize()),
        size: digesting.written,
        files,
    };
    Ok((info, digesting.inner))
}

fn locate<'a>(
    name: &'a str,
    function: &Function,
    project_dir: &Path,
) -> Result<Source<'a>, PackageError> {
    let missing = || PackageError::SourceMissing {
        function: name.to_string(),
        path: function.source.clone(),
    };
    let root = project_dir
        .join(&function.source)
        .canonicalize()
        .map_err(|_| missing())?;
    if !root.is_dir() {
        return Err(missing());
    }
    let project_dir = project_dir.canonicalize().map_err(|e| PackageError::Read {
        function: name.to_string(),
        path: project_dir.display().to_string(),
        source: e,
    })?;
    Ok(Source {
        function: name,
        display: function.source.trim_end_matches('/').to_string(),
        root,
        project_dir,
    })
}

/// The entries of the package, sorted.
fn collect(source: &Source<'_>, options: PackageOptions) -> Result<Vec<Entry>, PackageError> {
    // Walk from appctl.yaml's directory down to the source, so the ignore files on the way apply with
    // git's precedence, and none above the project (a home directory's .gitignore) does.
    let walk_root = if source.root.starts_with(&source.project_dir) {
        source.project_dir.clone()
    } else {
        source.root.clone()
    };
    let root = source.root.clone();
    let mut builder = ignore::WalkBuilder::new(&walk_root);
    builder
        .standard_filters(false)
        .git_ignore(true)
        .require_git(false)
        .parents(false)
        .follow_links(false)
        .add_custom_ignore_filename(IGNORE_FILE)
        .filter_entry(move |entry| {
            let path = entry.path();
            if path == root {
                return true;
            }
            if root.starts_with(path) {
                // A directory on the way down to the source.
                return entry.file_type().is_some_and(|t| t.is_dir());
            }
            if !path.starts_with(&root) {
                return false;
            }
            let is_dir = entry.file_type().is_some_and(|t| t.is_dir());
            !(is_dir && (is_excluded_dir(path) || is_dependency_dir(path)))
                && !is_excluded_file(path, is_dir)
        });
    let mut entries = Vec::new();
    let mut saw_root = false;
    for item in builder.build() {
        let item = item.map_err(|e| PackageError::Walk {
            function: source.function.to_string(),
            message: e.to_string(),
        })?;
        let path = item.path();
        if path == source.root {
            saw_root = true;
            continue;
        }
        if !path.starts_with(&source.root) {
            continue;
        }
        entries.push(entry(source, path)?);
    }
    if !saw_root {
        return Err(PackageError::SourceIgnored {
            function: source.function.to_string(),
            path: source.display.clone(),
        });
    }
    if options.include_deps {
        let parents: Vec<PathBuf> = std::iter::once(source.root.clone())
            .chain(
                entries
                    .iter()
                    .filter(|e| matches!(e.kind, Kind::Dir))
                    .map(|e| e.disk.clone()),
            )
            .collect();
        for parent in parents {
            let children = fs::read_dir(&parent)
                .map_err(|e| source.read_error(&relative(source, &parent), e))?;
            let mut dependency_dirs = Vec::new();
            for child in children {
                let child = child.map_err(|e| source.read_error(&relative(source, &parent), e))?;
                let is_dir = child.file_type().is_ok_and(|t| t.is_dir());
                if is_dir && is_dependency_dir(&child.path()) {
                    dependency_dirs.push(child.path());
                }
            }
            for dir in dependency_dirs {
                entries.push(entry(source, &dir)?);
                let mut walk = ignore::WalkBuilder::new(&dir);
                walk.standard_filters(false)
                    .follow_links(false)
                    .filter_entry(|e| {
                        let is_dir = e.file_type().is_some_and(|t| t.is_dir());
                        !(is_dir && is_excluded_dir(e.path()))
                    });
                for item in walk.build() {
                    let item = item.map_err(|e| PackageError::Walk {
                        function: source.function.to_string(),
                        message: e.to_string(),
                    })?;
                    if item.depth() > 0 {
                        entries.push(entry(source, item.path())?);
                    }
                }
            }
        }
    }
    entries.sort_by(|a, b| compare_paths(&a.path, &b.path));
    entries.dedup_by(|a, b| a.path == b.path);
    Ok(entries)
}

/// Component by component: a directory's entries follow it directly.
fn compare_paths(a: &str, b: &str) -> Ordering {
    a.split('/').cmp(b.split('/'))
}

fn file_name(path: &Path) -> &str {
    path.file_name().and_then(|n| n.to_str()).unwrap_or("")
}

fn is_excluded_dir(path: &Path) -> bool {
    EXCLUDED_DIRS.contains(&file_name(path))
}

fn is_dependency_dir(path: &Path) -> bool {
    DEPENDENCY_DIRS.contains(&file_name(path)) || path.join("pyvenv.cfg").is_file()
}

/// `.env` files hold secrets (secrets belong in `env:` of appctl.yaml, resolved at run time);
/// `.env.example`, `.env.sample` and `.env.template` are documentation and stay.
fn is_excluded_file(path: &Path, is_dir: bool) -> bool {
    if is_dir {
        return false;
    }
    let name = file_name(path);
    name == ".DS_Store"
        || ((name == ".env" || name.starts_with(".env."))
            && ![".example", ".sample", ".template"]
                .iter()
                .any(|suffix| name.ends_with(suffix)))
}

fn relative(source: &Source<'_>, path: &Path) -> String {
    path.strip_prefix(&source.root)
        .map(|p| p.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// Describes one path under the source directory.
fn entry(source: &Source<'_>, path: &Path) -> Result<Entry, PackageError> {
    let relative_path = path.strip_prefix(&source.root).unwrap_or(path);
    let mut parts = Vec::new();
    for component in relative_path.components() {
        match component.as_os_str().to_str() {
            Some(part) => parts.push(part),
            None => {
                return Err(PackageError::NotUtf8 {
                    function: source.function.to_string(),
                    path: source.show(&relative_path.to_string_lossy()),
                });
            }
        }
    }
    let relative_text = parts.join("/");
    let metadata = fs::symlink_metadata(path).map_err(|e| source.read_error(&relative_text, e))?;
    let file_type = metadata.file_type();
    let kind = if file_type.is_dir() {
        Kind::Dir
    } else if file_type.is_file() {
        Kind::File {
            executable: metadata.permissions().mode() & 0o100 != 0,
            size: metadata.len(),
        }
    } else if file_type.is_symlink() {
        let written = fs::read_link(path).map_err(|e| source.read_error(&relative_text, e))?;
        let target = match path.canonicalize() {
            Ok(target) => target,
            Err(_) => {
                return Err(PackageError::SymlinkDangling {
                    function: source.function.to_string(),
                    path: source.show(&relative_text),
                    target: written.display().to_string(),
                });
            }
        };
        if !target.starts_with(&source.root) {
            return Err(PackageError::SymlinkEscapes {
                function: source.function.to_string(),
                path: source.show(&relative_text),
                target: written.display().to_string(),
            });
        }
        // Relative to the link's directory, whatever was written (an absolute target names this
        // machine's paths).
        let parent = path
            .parent()
            .and_then(|p| p.canonicalize().ok())
            .unwrap_or_else(|| source.root.clone());
        Kind::Symlink {
            target: relative_link(&parent, &target),
        }
    } else {
        return Err(PackageError::SpecialFile {
            function: source.function.to_string(),
            path: source.show(&relative_text),
        });
    };
    Ok(Entry {
        path: relative_text,
        disk: path.to_path_buf(),
        kind,
    })
}

/// `to` as seen from the directory `from` (both canonical): `../lib/x.js`.
fn relative_link(from: &Path, to: &Path) -> String {
    let from: Vec<Component> = from.components().collect();
    let to: Vec<Component> = to.components().collect();
    let common = from.iter().zip(&to).take_while(|(a, b)| a == b).count();
    let mut parts: Vec<String> =
        std::iter::repeat_n("..".to_string(), from.len() - common).collect();
    parts.extend(
        to[common..]
            .iter()
            .map(|c| c.as_os_str().to_string_lossy().into_owned()),
    );
    if parts.is_empty() {
        ".".into()
    } else {
        parts.join("/")
    }
}

fn check_entrypoint(
    source: &Source<'_>,
    function: &Function,
    entries: &[Entry],
) -> Result<(), PackageError> {
    let on_disk = source.root.join(&function.entrypoint);
    let canonical = match on_disk.canonicalize() {
        Ok(path) if path.is_file() => path,
        _ => {
            return Err(PackageError::EntrypointMissing {
                function: source.function.to_string(),
                entrypoint: function.entrypoint.clone(),
                source_dir: source.display.clone(),
            });
        }
    };
    if !canonical.starts_with(&source.root) {
        return Err(PackageError::EntrypointOutside {
            function: source.function.to_string(),
            entrypoint: function.entrypoint.clone(),
            source_dir: source.display.clone(),
        });
    }
    let wanted: Vec<&str> = Path::new(&function.entrypoint)
        .components()
        .filter_map(|c| match c {
            Component::Normal(part) => part.to_str(),
            _ => None,
        })
        .collect();
    let wanted = wanted.join("/");
    if !entries
        .iter()
        .any(|e| e.path == wanted && !matches!(e.kind, Kind::Dir))
    {
        return Err(PackageError::EntrypointExcluded {
            function: source.function.to_string(),
            entrypoint: function.entrypoint.clone(),
        });
    }
    Ok(())
}

/// Counts and hashes what passes through.
struct Digesting<W> {
    inner: W,
    hasher: Sha256,
    written: u64,
}

impl<W: Write> Write for Digesting<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hasher.update(&buf[..n]);
        self.written += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// Gives exactly the size the header announced: a file that shrank while it was read is an error,
/// one that grew is cut (and its header stays true), so the archive is never corrupt.
struct Exact<R> {
    inner: io::Take<R>,
    remaining: u64,
}

impl<R: Read> Read for Exact<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        if n == 0 && self.remaining > 0 && !buf.is_empty() {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "file shrank while it was read",
            ));
        }
        self.remaining -= n as u64;
        Ok(n)
    }
}

/// A function's package as deployed: `bytes` is the tar.gz whose sha256 is `version`.
#[derive(Clone)]
pub struct FunctionPackage {
    pub name: String,
    pub version: String,
    pub bytes: Vec<u8>,
}

impl std::fmt::Debug for FunctionPackage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "FunctionPackage({}, {} bytes)",
            self.name,
            self.bytes.len()
        )
    }
}

/// Every declared function's package (made in memory), as a deploy stores and runs it.
pub fn packages(project: &crate::Project) -> Result<Vec<FunctionPackage>, PackageError> {
    project
        .file
        .functions
        .iter()
        .map(|(name, function)| {
            let (info, bytes) = pack(
                name,
                function,
                project.dir(),
                PackageOptions::of(function),
                Vec::new(),
            )?;
            Ok(FunctionPackage {
                name: name.clone(),
                version: info.version,
                bytes,
            })
        })
        .collect()
}

/// True when a package holds a dependency folder (`node_modules`, `.venv`, a virtualenv), so it
/// was made with `include_deps`.
pub fn packed_with_deps(package: &[u8]) -> bool {
    let mut archive = tar::Archive::new(flate2::read::GzDecoder::new(package));
    let Ok(entries) = archive.entries() else {
        return false;
    };
    entries.filter_map(Result::ok).any(|entry| {
        entry.path().is_ok_and(|path| {
            path.components().any(|c| {
                let name = c.as_os_str().to_string_lossy();
                DEPENDENCY_DIRS.contains(&name.as_ref()) || name == "pyvenv.cfg"
            })
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_sort_component_by_component() {
        let mut paths = vec!["a-b", "a/b", "a", "b", "a/a/z", "A"];
        paths.sort_by(|a, b| compare_paths(a, b));
        assert_eq!(paths, ["A", "a", "a/a/z", "a/b", "a-b", "b"]);
    }

    #[test]
    fn links_are_made_relative() {
        assert_eq!(
            relative_link(Path::new("/s/lib"), Path::new("/s/lib/x.js")),
            "x.js"
        );
        assert_eq!(
            relative_link(Path::new("/s/a/b"), Path::new("/s/c/d")),
            "../../c/d"
        );
    }

    #[test]
    fn env_files_are_left_out_but_their_examples_stay() {
        assert!(is_excluded_file(Path::new("x/.env"), false));
        assert!(is_excluded_file(Path::new("x/.env.production"), false));
        assert!(!is_excluded_file(Path::new("x/.env.example"), false));
        assert!(!is_excluded_file(Path::new("x/env.js"), false));
        assert!(!is_excluded_file(Path::new("x/.env"), true));
    }
}
