//! Storage files in the archive: every object of every bucket, through the S3 protocol, checked
//! together with its metadata (`storage.objects`).
//!
//! Export: the database is authoritative. The buckets (`storage.buckets`) and object names
//! (`storage.objects`) are read in the export's snapshot; each bucket is listed on S3 and the two
//! compared: a row whose object is missing stops the export (its metadata would travel without
//! its bytes), an object without a row is reported and left out (nothing in the instance points at
//! it). Each object is then streamed from S3 into the archive as `files/<bucket>/<key>` (both
//! percent-encoded as one path segment each), chunk by chunk: memory holds a few chunks, never a
//! whole file.
//!
//! Import: after the whole archive is verified, [`plan_import`] compares the archive's files with
//! the target's buckets without writing (missing buckets, existing objects, conflicts); `fail`
//! refuses a differing existing object there, before any write. [`apply`] then creates buckets,
//! streams each file from the archive to S3 (multipart above [`MULTIPART_BYTES`]), reads every
//! written object back and compares size and sha256, and with `replace` deletes the objects of the
//! archived buckets that the archive does not hold.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Read as _;
use std::path::Path;

use anyhow::{Context as _, bail};
use bytes::{Buf as _, Bytes};
use futures_util::StreamExt as _;
use indicatif::ProgressBar;
use object_store::aws::AmazonS3;
use object_store::{ObjectStore as _, ObjectStoreExt as _, PutPayload, WriteMultipart};
use sha2::{Digest, Sha256};
use sqlx::PgConnection;
use tokio::sync::mpsc;

use super::export::{Item, path_segment, send};
use super::import::OnConflict;
use super::manifest::{FileEntry, Manifest, TableRole};
use super::tarball;
use crate::s3::{self, S3Config};

/// Files larger than this are uploaded in parts of this size (S3's smallest part is 5 MiB).
pub const MULTIPART_BYTES: usize = 8 * 1024 * 1024;
/// Parts of one multipart upload in flight at once.
const PARTS_IN_FLIGHT: usize = 2;
/// Chunks of a file waiting between S3 and the archive (each a network read, or [`READ_BYTES`]).
const CHUNKS: usize = 8;
/// Bytes read from the archive at a time on import.
const READ_BYTES: usize = 1 << 20;
/// Names shown in an error before "and N more".
const SHOWN: usize = 10;

/// The archive entry holding an object's bytes.
pub fn archive_path(bucket: &str, key: &str) -> String {
    format!("files/{}/{}", path_segment(bucket), path_segment(key))
}

fn listed(names: &[(String, String)]) -> String {
    let mut text: Vec<String> = names
        .iter()
        .take(SHOWN)
        .map(|(bucket, key)| format!("{bucket}/{key}"))
        .collect();
    if names.len() > SHOWN {
        text.push(format!("and {} more", names.len() - SHOWN));
    }
    text.join(", ")
}

/// A progress bar counting file bytes (drawn only where the caller's bars are).
pub fn bytes_bar(total: Option<u64>) -> ProgressBar {
    let bar = match total {
        Some(total) => ProgressBar::new(total),
        None => ProgressBar::no_length(),
    };
    bar.set_style(
        indicatif::ProgressStyle::with_template("{prefix:>24} {wide_bar} {bytes} {elapsed}")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    bar.set_prefix("files");
    bar
}

// ---------------------------------------------------------------------------------------------
// Export

/// What an export takes from storage.
#[derive(Debug, Clone, Default)]
pub struct ExportFiles {
    /// Every bucket of `storage.buckets` (its S3 bucket has the same name).
    pub buckets: Vec<String>,
    /// (bucket, key) of every `storage.objects` row, each with its object on S3.
    pub objects: Vec<(String, String)>,
    /// Objects on S3 that no `storage.objects` row names: reported, not exported.
    pub orphans: Vec<(String, String)>,
    /// Objects whose row's `metadata.size` differs from S3's size: (bucket, key, row's, S3's).
    /// Reported; the bytes travel as S3 has them, the row as the database has it.
    pub size_mismatches: Vec<(String, String, u64, u64)>,
}

/// Reads the buckets and object names in the export's snapshot (`conn` is in it) and checks them
/// against S3. `None` when the instance has no buckets: nothing to export, no storage needed.
pub async fn plan_export(
    conn: &mut PgConnection,
    storage: Option<&S3Config>,
) -> anyhow::Result<Option<ExportFiles>> {
    let has_buckets: bool = sqlx::query_scalar("SELECT to_regclass('storage.buckets') IS NOT NULL")
        .fetch_one(&mut *conn)
        .await?;
    if !has_buckets {
        return Ok(None);
    }
    let buckets: Vec<String> =
        sqlx::query_scalar("SELECT id FROM storage.buckets ORDER BY id COLLATE \"C\"")
            .fetch_all(&mut *conn)
            .await
            .context("cannot read storage.buckets")?;
    if buckets.is_empty() {
        return Ok(None);
    }
    let has_objects: bool = sqlx::query_scalar("SELECT to_regclass('storage.objects') IS NOT NULL")
        .fetch_one(&mut *conn)
        .await?;
    let mut rows_found: Vec<(String, String, Option<String>)> = Vec::new();
    if has_objects {
        let unnamed: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM storage.objects WHERE bucket_id IS NULL OR name IS NULL",
        )
        .fetch_one(&mut *conn)
        .await?;
        if unnamed > 0 {
            bail!(
                "{unnamed} row(s) of storage.objects have no bucket_id or no name, so no file can belong to them; fix or delete them, or export with --no-files"
            );
        }
        // to_jsonb(o): works whether or not the table has Supabase's `metadata` column.
        rows_found = sqlx::query_as(
            "SELECT bucket_id, name, to_jsonb(o) -> 'metadata' ->> 'size' FROM storage.objects o ORDER BY bucket_id COLLATE \"C\", name COLLATE \"C\"",
        )
        .fetch_all(&mut *conn)
        .await
        .context("cannot read storage.objects")?;
    }
    let objects: Vec<(String, String)> = rows_found
        .iter()
        .map(|(bucket, key, _)| (bucket.clone(), key.clone()))
        .collect();
    let Some(storage) = storage else {
        bail!(
            "the instance has {} bucket(s) ({}) holding {} file(s), but no S3 storage is named: select an environment with a `storage:` section (--env NAME), or pass --s3-endpoint URL (or set APPCTL_S3_ENDPOINT, with the keys in APPCTL_S3_ACCESS_KEY_ID and APPCTL_S3_SECRET_ACCESS_KEY), or pass --no-files to leave the files and their metadata (storage.objects) out",
            buckets.len(),
            buckets.join(", "),
            objects.len()
        );
    };
    let mut rows: BTreeMap<&str, BTreeMap<&str, Option<u64>>> = BTreeMap::new();
    for (bucket, key, size) in &rows_found {
        s3::object_path(bucket, key)?;
        rows.entry(bucket.as_str())
            .or_default()
            .insert(key.as_str(), size.as_deref().and_then(|s| s.parse().ok()));
    }
    let mut missing = Vec::new();
    let mut orphans = Vec::new();
    let mut size_mismatches = Vec::new();
    for bucket in &buckets {
        s3::check_bucket_name(bucket)?;
        let on_s3 = list_bucket(storage, bucket).await?;
        let named = rows.remove(bucket.as_str()).unwrap_or_default();
        for (key, row_size) in &named {
            match on_s3.get(*key) {
                None => missing.push((bucket.clone(), key.to_string())),
                Some(&size) => {
                    if let Some(row_size) = *row_size
                        && row_size != size
                    {
                        size_mismatches.push((bucket.clone(), key.to_string(), row_size, size));
                    }
                }
            }
        }
        for key in on_s3.keys() {
            if !named.contains_key(key.as_str()) {
                orphans.push((bucket.clone(), key.clone()));
            }
        }
    }
    if !missing.is_empty() {
        bail!(
            "{} file(s) named in storage.objects are not in S3 storage at {}: {}; the archive would hold their metadata without their bytes. Restore them, delete their rows, or export with --no-files",
            missing.len(),
            storage.endpoint,
            listed(&missing)
        );
    }
    Ok(Some(ExportFiles {
        buckets,
        objects,
        orphans,
        size_mismatches,
    }))
}

/// Every object of a bucket on S3 with its size; an empty map when the bucket does not exist.
async fn list_bucket(storage: &S3Config, bucket: &str) -> anyhow::Result<BTreeMap<String, u64>> {
    let mut found = BTreeMap::new();
    if !storage.bucket_exists(bucket).await? {
        return Ok(found);
    }
    let store = storage.bucket(bucket)?;
    let mut listing = store.list(None);
    // Bounded by the bucket's objects.
    while let Some(meta) = listing.next().await {
        let meta =
            meta.with_context(|| format!("cannot list bucket `{bucket}` at {}", storage.endpoint))?;
        found.insert(meta.location.as_ref().to_string(), meta.size);
    }
    Ok(found)
}

/// Streams a file's bytes into the archive writer as it reads them from S3.
pub struct ChunkReader {
    receiver: mpsc::Receiver<std::io::Result<Bytes>>,
    current: Bytes,
}

impl std::io::Read for ChunkReader {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        // Each turn takes one chunk; it ends when the sender is done.
        while self.current.is_empty() {
            match self.receiver.blocking_recv() {
                Some(Ok(chunk)) => self.current = chunk,
                Some(Err(error)) => return Err(error),
                None => return Ok(0),
            }
        }
        let n = buf.len().min(self.current.len());
        buf[..n].copy_from_slice(&self.current[..n]);
        self.current.advance(n);
        Ok(n)
    }
}

/// Sends every object of `files` to the archive writer, in order. Returns the files written (their
/// sha256 is filled in from the writer's entries afterwards).
pub(super) async fn send_files(
    storage: &S3Config,
    files: &ExportFiles,
    sender: &mpsc::Sender<Item>,
    bar: &ProgressBar,
) -> anyhow::Result<Vec<FileEntry>> {
    let mut stores: BTreeMap<&str, AmazonS3> = BTreeMap::new();
    let mut written = Vec::with_capacity(files.objects.len());
    for (bucket, key) in &files.objects {
        let store = match stores.get(bucket.as_str()) {
            Some(store) => store,
            None => {
                let store = storage.bucket(bucket)?;
                stores.entry(bucket.as_str()).or_insert(store)
            }
        };
        let label = format!("file `{key}` of bucket `{bucket}`");
        let location = s3::object_path(bucket, key)?;
        let got = store
            .get(&location)
            .await
            .with_context(|| format!("cannot read {label} from {}", storage.endpoint))?;
        let size = got.meta.size;
        let path = archive_path(bucket, key);
        let (chunks, receiver) = mpsc::channel(CHUNKS);
        send(
            sender,
            Item::Stream {
                path: path.clone(),
                size,
                reader: ChunkReader {
                    receiver,
                    current: Bytes::new(),
                },
            },
        )
        .await?;
        let mut stream = got.into_stream();
        let mut sent = 0u64;
        // Bounded by the object's size.
        while let Some(chunk) = stream.next().await {
            let chunk = match chunk {
                Ok(chunk) => chunk,
                Err(error) => {
                    let _ = chunks
                        .send(Err(std::io::Error::other("the download stopped")))
                        .await;
                    return Err(error).with_context(|| format!("cannot read {label}"));
                }
            };
            sent += chunk.len() as u64;
            bar.inc(chunk.len() as u64);
            if sent > size {
                bail!("{label} changed while it was exported (more than {size} bytes)");
            }
            if chunks.send(Ok(chunk)).await.is_err() {
                return Err(super::export::WriterStopped.into());
            }
        }
        drop(chunks);
        if sent != size {
            bail!("{label} changed while it was exported ({sent} bytes instead of {size})");
        }
        written.push(FileEntry {
            bucket: bucket.clone(),
            key: key.clone(),
            path,
            size,
            sha256: String::new(),
        });
    }
    Ok(written)
}

// ---------------------------------------------------------------------------------------------
// Import

/// What happens to one archived file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// The target has no such object: written.
    Upload,
    /// The target's object differs and `upsert`/`replace` overwrite it.
    Overwrite,
    /// The target's object differs and `skip` keeps it.
    Skip,
    /// The target's object has the same size and sha256: left as it is (in every mode).
    Unchanged,
}

/// What an import will do on S3; made without writing anything.
#[derive(Debug, Clone, Default)]
pub struct ImportPlan {
    /// Buckets that do not exist on the target and are created.
    pub create: Vec<String>,
    pub files: Vec<(FileEntry, Action)>,
    /// `replace`: objects of the archived buckets that the archive does not hold, deleted.
    pub delete: Vec<(String, String)>,
}

impl ImportPlan {
    pub fn count(&self, action: Action) -> usize {
        self.files.iter().filter(|(_, a)| *a == action).count()
    }

    /// Bytes to upload (new and overwritten files).
    pub fn upload_bytes(&self) -> u64 {
        self.files
            .iter()
            .filter(|(_, a)| matches!(a, Action::Upload | Action::Overwrite))
            .map(|(f, _)| f.size)
            .sum()
    }
}

/// What an import did on S3.
#[derive(Debug, Clone, Default)]
pub struct FilesReport {
    pub buckets_created: usize,
    pub uploaded: usize,
    pub overwritten: usize,
    pub skipped: usize,
    pub unchanged: usize,
    pub deleted: usize,
    /// Bytes written.
    pub bytes: u64,
    /// Objects read back after writing, size and sha256 equal to the archive's.
    pub verified: usize,
}

/// Decides what happens to the archive's files, before any write: `--no-files` leaves
/// `storage.objects` out of `manifest.tables` (its rows would name files that are not restored);
/// an archive with files and no storage named is refused; otherwise the target's buckets are read.
pub async fn prepare_import(
    manifest: &mut Manifest,
    storage: Option<&S3Config>,
    no_files: bool,
    mode: OnConflict,
) -> anyhow::Result<Option<ImportPlan>> {
    if no_files {
        manifest
            .tables
            .retain(|t| !(t.role == TableRole::Storage && t.name == "objects"));
        return Ok(None);
    }
    if manifest.files.is_empty() && manifest.buckets.is_empty() {
        return Ok(None);
    }
    let Some(storage) = storage else {
        bail!(
            "the archive holds {} file(s) in {} bucket(s), but no S3 storage is named for the target: select an environment with a `storage:` section (--env NAME), or pass --s3-endpoint URL (or set APPCTL_S3_ENDPOINT, with the keys in APPCTL_S3_ACCESS_KEY_ID and APPCTL_S3_SECRET_ACCESS_KEY), or pass --no-files to import the rows without the files and their metadata (storage.objects); nothing was written",
            manifest.files.len(),
            manifest.buckets.len()
        );
    };
    plan_import(storage, manifest, mode).await.map(Some)
}

/// Compares the archive's files with the target's buckets; reads, never writes.
pub async fn plan_import(
    storage: &S3Config,
    manifest: &Manifest,
    mode: OnConflict,
) -> anyhow::Result<ImportPlan> {
    let mut plan = ImportPlan::default();
    let mut conflicts = Vec::new();
    for bucket in &manifest.buckets {
        s3::check_bucket_name(bucket)?;
        let exists = storage.bucket_exists(bucket).await?;
        if !exists {
            plan.create.push(bucket.clone());
        }
        let existing = if exists {
            list_bucket(storage, bucket).await?
        } else {
            BTreeMap::new()
        };
        let store = storage.bucket(bucket)?;
        let mut archived = BTreeSet::new();
        for file in manifest.files.iter().filter(|f| &f.bucket == bucket) {
            archived.insert(file.key.as_str());
            let location = s3::object_path(bucket, &file.key)?;
            let same = match existing.get(&file.key) {
                Some(&size) if size == file.size => {
                    Some(object_sha256(&store, &location).await?.1 == file.sha256)
                }
                Some(_) => Some(false),
                None => None,
            };
            let action = match same {
                None => Action::Upload,
                Some(true) => Action::Unchanged,
                Some(false) => match mode {
                    OnConflict::Fail => {
                        conflicts.push((bucket.clone(), file.key.clone()));
                        continue;
                    }
                    OnConflict::Skip => Action::Skip,
                    OnConflict::Upsert | OnConflict::Replace => Action::Overwrite,
                },
            };
            plan.files.push((file.clone(), action));
        }
        if mode == OnConflict::Replace {
            plan.delete.extend(
                existing
                    .keys()
                    .filter(|k| !archived.contains(k.as_str()))
                    .map(|k| (bucket.clone(), k.clone())),
            );
        }
    }
    if !conflicts.is_empty() {
        bail!(
            "{} file(s) of the archive exist in the target's storage with other bytes: {}; nothing was written. Choose --on-conflict skip (keep the target's), upsert (overwrite them) or replace (overwrite, and delete the objects the archive does not hold)",
            conflicts.len(),
            listed(&conflicts)
        );
    }
    Ok(plan)
}

/// Reads an object and returns its size and sha256, streaming.
async fn object_sha256(
    store: &AmazonS3,
    location: &object_store::path::Path,
) -> anyhow::Result<(u64, String)> {
    let got = store
        .get(location)
        .await
        .with_context(|| format!("cannot read `{location}` back"))?;
    let mut stream = got.into_stream();
    let mut hasher = Sha256::new();
    let mut size = 0u64;
    // Bounded by the object's size.
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.with_context(|| format!("cannot read `{location}` back"))?;
        size += chunk.len() as u64;
        hasher.update(&chunk);
    }
    Ok((size, hex::encode(hasher.finalize())))
}

enum Piece {
    Start(usize),
    Data(Bytes),
    End,
}

enum Upload {
    Small(Vec<u8>),
    Parts(WriteMultipart),
}

/// Writes the plan: creates buckets, uploads files from the archive at `path`, reads each written
/// object back, deletes what `replace` removes. The archive was verified, but each file is hashed
/// again as it is uploaded (it must not have changed since) and an upload whose bytes differ is
/// abandoned.
pub async fn apply(
    path: &Path,
    storage: &S3Config,
    plan: &ImportPlan,
    bar: &ProgressBar,
) -> anyhow::Result<FilesReport> {
    let mut report = FilesReport {
        skipped: plan.count(Action::Skip),
        unchanged: plan.count(Action::Unchanged),
        ..FilesReport::default()
    };
    for bucket in &plan.create {
        storage
            .create_bucket(bucket)
            .await
            .with_context(|| format!("cannot create bucket `{bucket}`"))?;
        report.buckets_created += 1;
    }
    let writes: Vec<&(FileEntry, Action)> = plan
        .files
        .iter()
        .filter(|(_, a)| matches!(a, Action::Upload | Action::Overwrite))
        .collect();
    let wanted: BTreeMap<String, usize> = writes
        .iter()
        .enumerate()
        .map(|(i, (f, _))| (f.path.clone(), i))
        .collect();
    let mut stores: BTreeMap<String, AmazonS3> = BTreeMap::new();
    for (file, _) in &writes {
        if !stores.contains_key(&file.bucket) {
            stores.insert(file.bucket.clone(), storage.bucket(&file.bucket)?);
        }
    }

    let (sender, mut receiver) = mpsc::channel::<anyhow::Result<Piece>>(CHUNKS);
    let archive = path.to_path_buf();
    let wanted_in_thread = wanted.clone();
    let reader = std::thread::spawn(move || {
        let result = (|| -> anyhow::Result<()> {
            if wanted_in_thread.is_empty() {
                return Ok(());
            }
            let mut tar = tarball::open(&archive)?;
            for entry in tar.entries()? {
                let mut entry = entry?;
                let name = String::from_utf8_lossy(&entry.path_bytes()).into_owned();
                let Some(&index) = wanted_in_thread.get(&name) else {
                    continue;
                };
                if sender.blocking_send(Ok(Piece::Start(index))).is_err() {
                    return Ok(());
                }
                // Bounded by the entry's size. Each chunk is filled (the decompressor hands out
                // far less than READ_BYTES at a time): a multipart upload keeps its chunks until a
                // part is sent, so a mostly empty allocation per chunk would multiply its memory.
                loop {
                    let mut chunk = vec![0u8; READ_BYTES];
                    let mut filled = 0;
                    while filled < READ_BYTES {
                        let n = entry.read(&mut chunk[filled..])?;
                        if n == 0 {
                            break;
                        }
                        filled += n;
                    }
                    if filled == 0 {
                        break;
                    }
                    chunk.truncate(filled);
                    chunk.shrink_to_fit();
                    if sender.blocking_send(Ok(Piece::Data(chunk.into()))).is_err() {
                        return Ok(());
                    }
                }
                if sender.blocking_send(Ok(Piece::End)).is_err() {
                    return Ok(());
                }
            }
            Ok(())
        })();
        if let Err(error) = result {
            let _ = sender.blocking_send(Err(error));
        }
    });

    let result = async {
        let mut current: Option<(usize, Upload, Sha256, u64)> = None;
        let mut done = BTreeSet::new();
        while let Some(piece) = receiver.recv().await {
            match piece? {
                Piece::Start(index) => {
                    let (file, _) = writes[index];
                    let store = &stores[&file.bucket];
                    let upload = if file.size as usize > MULTIPART_BYTES {
                        let location = s3::object_path(&file.bucket, &file.key)?;
                        let parts = store.put_multipart(&location).await.with_context(|| {
                            format!(
                                "cannot start uploading `{}` to bucket `{}`",
                                file.key, file.bucket
                            )
                        })?;
                        Upload::Parts(WriteMultipart::new_with_chunk_size(parts, MULTIPART_BYTES))
                    } else {
                        Upload::Small(Vec::with_capacity(file.size as usize))
                    };
                    current = Some((index, upload, Sha256::new(), 0));
                }
                Piece::Data(chunk) => {
                    let Some((_, upload, hasher, size)) = current.as_mut() else {
                        bail!("the archive reader sent data outside a file");
                    };
                    hasher.update(&chunk);
                    *size += chunk.len() as u64;
                    bar.inc(chunk.len() as u64);
                    match upload {
                        Upload::Small(buffer) => buffer.extend_from_slice(&chunk),
                        Upload::Parts(parts) => {
                            parts.wait_for_capacity(PARTS_IN_FLIGHT).await?;
                            parts.put(chunk);
                        }
                    }
                }
                Piece::End => {
                    let Some((index, upload, hasher, size)) = current.take() else {
                        bail!("the archive reader ended a file it did not start");
                    };
                    let (file, action) = writes[index];
                    let label = format!("file `{}` of bucket `{}`", file.key, file.bucket);
                    let same = size == file.size && hex::encode(hasher.finalize()) == file.sha256;
                    match upload {
                        Upload::Small(buffer) => {
                            if !same {
                                bail!("{label} changed in the archive since it was verified");
                            }
                            let location = s3::object_path(&file.bucket, &file.key)?;
                            stores[&file.bucket]
                                .put(&location, PutPayload::from(buffer))
                                .await
                                .with_context(|| format!("cannot upload {label}"))?;
                        }
                        Upload::Parts(parts) => {
                            if !same {
                                let _ = parts.abort().await;
                                bail!("{label} changed in the archive since it was verified");
                            }
                            parts
                                .finish()
                                .await
                                .with_context(|| format!("cannot upload {label}"))?;
                        }
                    }
                    report.bytes += size;
                    match action {
                        Action::Overwrite => report.overwritten += 1,
                        _ => report.uploaded += 1,
                    }
                    done.insert(index);
                }
            }
        }
        if done.len() != writes.len() {
            bail!(
                "the archive changed since it was verified: {} of {} files were found",
                done.len(),
                writes.len()
            );
        }
        anyhow::Ok(())
    }
    .await;
    drop(receiver);
    let _ = reader.join();
    result?;

    // Read back what was written: size and sha256 computed from S3's bytes.
    for (file, _) in &writes {
        let location = s3::object_path(&file.bucket, &file.key)?;
        let (size, sha256) = object_sha256(&stores[&file.bucket], &location).await?;
        if size != file.size || sha256 != file.sha256 {
            bail!(
                "file `{}` of bucket `{}` reads back from S3 with {size} bytes and sha256 {sha256}, the archive's are {} and {}",
                file.key,
                file.bucket,
                file.size,
                file.sha256
            );
        }
        report.verified += 1;
    }
    for (bucket, key) in &plan.delete {
        let store = match stores.get(bucket) {
            Some(store) => store,
            None => {
                let store = storage.bucket(bucket)?;
                stores.entry(bucket.clone()).or_insert(store)
            }
        };
        store
            .delete(&s3::object_path(bucket, key)?)
            .await
            .with_context(|| format!("cannot delete `{key}` from bucket `{bucket}`"))?;
        report.deleted += 1;
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_become_one_safe_segment() {
        assert_eq!(
            archive_path("uploads", "docs/été 2024/../a b.pdf"),
            "files/uploads/docs%2F%C3%A9t%C3%A9%202024%2F..%2Fa%20b.pdf"
        );
        assert_eq!(archive_path("uploads", ".."), "files/uploads/%2E%2E");
    }
}
