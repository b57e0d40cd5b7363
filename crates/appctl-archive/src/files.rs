//! Storage files in the archive: every object of every bucket, through the S3 protocol, checked
//! together with its metadata (`storage.objects`).
//!
//! Export: the database is authoritative. The buckets (`storage.buckets`) and object names
//! (`storage.objects`) are read in the export's snapshot; each bucket is listed on S3 and the two
//! compared: a row whose object is missing stops the export (its metadata would travel without
//! its bytes), an object without a row is reported and left out (nothing in the instance points at
//! it). Each object is then written into the archive as `files/<bucket>/<key>` (both
//! percent-encoded as one path segment each), in the snapshot's order. Objects up to
//! [`MULTIPART_BYTES`] are downloaded ahead, [`REQUESTS`] at most at once and [`PREFETCH_BYTES`]
//! at most held, so the writer does not wait one round trip per file; larger ones are streamed
//! chunk by chunk when their turn comes: memory holds a few chunks, never a whole large file.
//!
//! Import: after the whole archive is verified, [`plan_import`] compares the archive's files with
//! the target's buckets without writing (missing buckets, existing objects, conflicts; objects of
//! the archive's size are hashed, [`REQUESTS`] at once); `fail` refuses a differing existing object
//! there, before any write. [`apply`] then creates buckets and streams each file from the archive
//! (read in order by one thread) to S3: files up to [`MULTIPART_BYTES`] are each hashed, then sent
//! in one PUT while the next ones are read, at most [`REQUESTS`] uploads in flight holding at most
//! [`UPLOAD_BYTES`]; a larger file waits for those and goes alone, as a multipart upload. Every
//! written object is then read back ([`REQUESTS`] at once) and its size and sha256 compared, and
//! with `replace` the objects of the archived buckets that the archive does not hold are deleted,
//! [`REQUESTS`] at once.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context as _, bail};
use bytes::{Buf as _, Bytes};
use futures_util::{StreamExt as _, TryStreamExt as _, stream};
use object_store::aws::AmazonS3;
use object_store::{ObjectStore as _, ObjectStoreExt as _, PutPayload, WriteMultipart};
use sha2::{Digest, Sha256};
use sqlx::PgConnection;
use tokio::sync::{OwnedSemaphorePermit, Semaphore, mpsc};
use tokio::task::JoinSet;

use super::conflict::OnConflict;
use super::layout::archive_path;
use super::manifest::{FileEntry, Manifest, TableRole};
use super::progress::Counter;
use super::tarball;
use super::writer::{Item, send};
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
/// S3 requests for small files in flight at once (uploads, downloads, read-backs, hashes, deletes):
/// with thousands of small files, round trips and not bytes take the time.
pub const REQUESTS: usize = 8;
/// Bytes of small files held at once by uploads in flight on import, counted from the moment a
/// file is read from the archive. Measured with files of 7 MiB, where it binds: 32 MiB took import
/// to 72 MB resident, 16 MiB to 50 MB (the reader's chunks and the rows' buffers come on top).
/// Small files meet [`REQUESTS`] first (8 of 200 KB hold 1.6 MB); for large ones bandwidth, not
/// round trips, is what matters.
pub const UPLOAD_BYTES: usize = 16 * 1024 * 1024;
/// Bytes of small files downloaded ahead of the archive writer on export, until it has written
/// them. Export's own base is lower: with files of 7 MiB, 58 MB resident at 32 MiB (46 MB at 16,
/// which leaves only two downloads ahead and no faster than one at a time).
pub const PREFETCH_BYTES: usize = 32 * 1024 * 1024;

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

// ---------------------------------------------------------------------------------------------
// Export

/// What an export takes from storage.
#[derive(Debug, Clone, Default)]
pub struct ExportFiles {
    /// Every bucket of `storage.buckets` (its S3 bucket has the same name).
    pub buckets: Vec<String>,
    /// (bucket, key, size on S3) of every `storage.objects` row, each with its object on S3, in
    /// the snapshot's order (bucket, then key).
    pub objects: Vec<(String, String, u64)>,
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
    let Some(storage) = storage else {
        bail!(
            "the instance has {} bucket(s) ({}) holding {} file(s), but no S3 storage is named: select an environment with a `storage:` section (--env NAME), or pass --s3-endpoint URL (or set APPCTL_S3_ENDPOINT, with the keys in APPCTL_S3_ACCESS_KEY_ID and APPCTL_S3_SECRET_ACCESS_KEY), or pass --no-files to leave the files and their metadata (storage.objects) out",
            buckets.len(),
            buckets.join(", "),
            rows_found.len()
        );
    };
    let mut rows: BTreeMap<&str, BTreeMap<&str, Option<u64>>> = BTreeMap::new();
    for (bucket, key, size) in &rows_found {
        s3::object_path(bucket, key)?;
        rows.entry(bucket.as_str())
            .or_default()
            .insert(key.as_str(), size.as_deref().and_then(|s| s.parse().ok()));
    }
    let mut objects = Vec::with_capacity(rows_found.len());
    let mut missing = Vec::new();
    let mut orphans = Vec::new();
    let mut size_mismatches = Vec::new();
    for bucket in &buckets {
        s3::check_bucket_name(bucket)?;
        let on_s3 = list_bucket(storage, bucket).await?;
        let named = rows.remove(bucket.as_str()).unwrap_or_default();
        // Keys in byte order, which is the rows' order (COLLATE "C").
        for (key, row_size) in &named {
            match on_s3.get(*key) {
                None => missing.push((bucket.clone(), key.to_string())),
                Some(&size) => {
                    if let Some(row_size) = *row_size
                        && row_size != size
                    {
                        size_mismatches.push((bucket.clone(), key.to_string(), row_size, size));
                    }
                    objects.push((bucket.clone(), key.to_string(), size));
                }
            }
        }
        for key in on_s3.keys() {
            if !named.contains_key(key.as_str()) {
                orphans.push((bucket.clone(), key.clone()));
            }
        }
    }
    // storage.objects' foreign key keeps this empty; without it, such rows could not be imported.
    let bucketless: Vec<(String, String)> = rows
        .iter()
        .flat_map(|(bucket, keys)| keys.keys().map(|key| (bucket.to_string(), key.to_string())))
        .collect();
    if !bucketless.is_empty() {
        bail!(
            "{} row(s) of storage.objects name a bucket that storage.buckets does not hold: {}; add the buckets or delete the rows, or export with --no-files",
            bucketless.len(),
            listed(&bucketless)
        );
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

/// Hands a file's bytes to the archive writer: as they arrive from S3 (a large object), or from
/// memory (a small object downloaded ahead).
pub struct ChunkReader {
    /// `None` when every byte is in `current` already.
    receiver: Option<mpsc::Receiver<std::io::Result<Bytes>>>,
    current: Bytes,
    /// A downloaded object's share of [`PREFETCH_BYTES`], given back once the writer is done.
    _held: Option<OwnedSemaphorePermit>,
}

impl std::io::Read for ChunkReader {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        // Each turn takes one chunk; it ends when the sender is done.
        while self.current.is_empty() {
            let Some(receiver) = self.receiver.as_mut() else {
                return Ok(0);
            };
            match receiver.blocking_recv() {
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

/// A spawned task, cancelled when dropped: an export that stops leaves no download running.
struct Task<T>(tokio::task::JoinHandle<T>);

impl<T> Drop for Task<T> {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// A small object downloaded ahead of the writer.
enum Download {
    Whole {
        bytes: Vec<u8>,
        held: OwnedSemaphorePermit,
    },
    /// It grew past its listed size since the listing: streamed like a large one, not held.
    Open(object_store::GetResult),
}

/// Downloads a small object whole, within the `held` share of [`PREFETCH_BYTES`] (its listed size).
async fn download(
    store: AmazonS3,
    location: object_store::path::Path,
    label: String,
    endpoint: String,
    listed: u64,
    held: OwnedSemaphorePermit,
) -> anyhow::Result<Download> {
    let got = store
        .get(&location)
        .await
        .with_context(|| format!("cannot read {label} from {endpoint}"))?;
    let size = got.meta.size;
    if size > listed {
        return Ok(Download::Open(got));
    }
    let mut bytes = Vec::with_capacity(usize::try_from(size)?);
    let mut stream = got.into_stream();
    // Bounded by the object's size.
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.with_context(|| format!("cannot read {label}"))?;
        if (bytes.len() + chunk.len()) as u64 > size {
            bail!("{label} changed while it was exported (more than {size} bytes)");
        }
        bytes.extend_from_slice(&chunk);
    }
    if bytes.len() as u64 != size {
        bail!(
            "{label} changed while it was exported ({} bytes instead of {size})",
            bytes.len()
        );
    }
    Ok(Download::Whole { bytes, held })
}

/// Sends every object of `files` to the archive writer, in order. Returns the files written (their
/// sha256 is filled in from the writer's entries afterwards).
pub(super) async fn send_files(
    storage: &S3Config,
    files: &ExportFiles,
    sender: &mpsc::Sender<Item>,
    bar: &dyn Counter,
) -> anyhow::Result<Vec<FileEntry>> {
    let mut stores: BTreeMap<&str, AmazonS3> = BTreeMap::new();
    for (bucket, _, _) in &files.objects {
        if !stores.contains_key(bucket.as_str()) {
            stores.insert(bucket.as_str(), storage.bucket(bucket)?);
        }
    }
    let budget = Arc::new(Semaphore::new(PREFETCH_BYTES));
    // The next objects in the archive's order, with their download when they are small.
    let mut ahead: VecDeque<(usize, Option<Task<anyhow::Result<Download>>>)> = VecDeque::new();
    let mut next = 0;
    let mut written = Vec::with_capacity(files.objects.len());
    // Bounded: each turn writes one object.
    loop {
        // Start downloads ahead while within the bounds. Shares of the budget are taken in the
        // archive's order, so the object the writer needs next never waits for bytes held by
        // later ones (they are released as the writer takes each object).
        while ahead.len() < REQUESTS
            && let Some((bucket, key, listed)) = files.objects.get(next)
        {
            let task = if *listed > MULTIPART_BYTES as u64 {
                // Large: streamed when its turn comes.
                None
            } else {
                let share = u32::try_from(*listed)?;
                let held = if ahead.is_empty() {
                    Arc::clone(&budget).acquire_many_owned(share).await?
                } else {
                    match Arc::clone(&budget).try_acquire_many_owned(share) {
                        Ok(held) => held,
                        Err(_) => break,
                    }
                };
                let location = s3::object_path(bucket, key)?;
                let label = format!("file `{key}` of bucket `{bucket}`");
                let store = stores[bucket.as_str()].clone();
                let endpoint = storage.endpoint.clone();
                Some(Task(tokio::spawn(download(
                    store, location, label, endpoint, *listed, held,
                ))))
            };
            ahead.push_back((next, task));
            next += 1;
        }
        let Some((index, task)) = ahead.pop_front() else {
            break;
        };
        let (bucket, key, _) = &files.objects[index];
        let label = format!("file `{key}` of bucket `{bucket}`");
        let path = archive_path(bucket, key);
        let downloaded = match task {
            Some(mut task) => (&mut task.0)
                .await
                .with_context(|| format!("the download of {label} stopped"))??,
            None => {
                let location = s3::object_path(bucket, key)?;
                let got = stores[bucket.as_str()]
                    .get(&location)
                    .await
                    .with_context(|| format!("cannot read {label} from {}", storage.endpoint))?;
                Download::Open(got)
            }
        };
        let size = match downloaded {
            Download::Whole { bytes, held } => {
                let size = bytes.len() as u64;
                bar.add(size);
                let reader = ChunkReader {
                    receiver: None,
                    current: bytes.into(),
                    _held: Some(held),
                };
                send(
                    sender,
                    Item::Stream {
                        path: path.clone(),
                        size,
                        reader: Box::new(reader),
                    },
                )
                .await?;
                size
            }
            Download::Open(got) => stream_object(got, &label, &path, sender, bar).await?,
        };
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

/// Streams one object to the archive writer as it is read, a few chunks at a time; returns its
/// size.
async fn stream_object(
    got: object_store::GetResult,
    label: &str,
    path: &str,
    sender: &mpsc::Sender<Item>,
    bar: &dyn Counter,
) -> anyhow::Result<u64> {
    let size = got.meta.size;
    let (chunks, receiver) = mpsc::channel(CHUNKS);
    send(
        sender,
        Item::Stream {
            path: path.to_string(),
            size,
            reader: Box::new(ChunkReader {
                receiver: Some(receiver),
                current: Bytes::new(),
                _held: None,
            }),
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
        bar.add(chunk.len() as u64);
        if sent > size {
            bail!("{label} changed while it was exported (more than {size} bytes)");
        }
        if chunks.send(Ok(chunk)).await.is_err() {
            return Err(super::writer::WriterStopped.into());
        }
    }
    drop(chunks);
    if sent != size {
        bail!("{label} changed while it was exported ({sent} bytes instead of {size})");
    }
    Ok(size)
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

/// What an import did on S3 (`appctl import --json` prints it as it is).
#[derive(Debug, Clone, Default, serde::Serialize)]
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
    let mut stores: BTreeMap<&str, AmazonS3> = BTreeMap::new();
    // Each archived file, in the manifest's order by bucket, with the size of the target's object.
    let mut found: Vec<(&FileEntry, Option<u64>)> = Vec::new();
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
        stores.insert(bucket.as_str(), storage.bucket(bucket)?);
        let mut archived = BTreeSet::new();
        for file in manifest.files.iter().filter(|f| &f.bucket == bucket) {
            archived.insert(file.key.as_str());
            s3::object_path(bucket, &file.key)?;
            found.push((file, existing.get(&file.key).copied()));
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
    // An object of the archived file's size is read and hashed to tell "same" from "different",
    // several at once (in order: the answers are a few bytes each).
    let stores = &stores;
    let same: Vec<Option<bool>> = stream::iter(found.iter().map(|&(file, existing)| async move {
        match existing {
            Some(size) if size == file.size => {
                let (_, sha256) =
                    object_sha256(&stores[file.bucket.as_str()], &file.bucket, &file.key).await?;
                Ok(Some(sha256 == file.sha256))
            }
            Some(_) => Ok(Some(false)),
            None => anyhow::Ok(None),
        }
    }))
    .buffered(REQUESTS)
    .try_collect()
    .await?;
    let mut conflicts = Vec::new();
    for ((file, _), same) in found.into_iter().zip(same) {
        let action = match same {
            None => Action::Upload,
            Some(true) => Action::Unchanged,
            Some(false) => match mode {
                OnConflict::Fail => {
                    conflicts.push((file.bucket.clone(), file.key.clone()));
                    continue;
                }
                OnConflict::Skip => Action::Skip,
                OnConflict::Upsert | OnConflict::Replace => Action::Overwrite,
            },
        };
        plan.files.push((file.clone(), action));
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
async fn object_sha256(store: &AmazonS3, bucket: &str, key: &str) -> anyhow::Result<(u64, String)> {
    let location = s3::object_path(bucket, key)?;
    let failed = || format!("cannot read file `{key}` of bucket `{bucket}` from S3");
    let got = store.get(&location).await.with_context(failed)?;
    let mut stream = got.into_stream();
    let mut hasher = Sha256::new();
    let mut size = 0u64;
    // Bounded by the object's size.
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.with_context(failed)?;
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

/// The uploads of small files in flight: at most [`REQUESTS`], holding at most [`UPLOAD_BYTES`]
/// (counted from the moment a file starts being read from the archive). The archive is read only
/// while there is room, so the reader thread cannot get ahead of them.
#[derive(Default)]
struct Uploads {
    /// Each upload ends with its file's index in the writes and the bytes it held.
    tasks: JoinSet<anyhow::Result<(usize, usize)>>,
    held: usize,
    /// Indexes of the files written, in the order they finished.
    finished: Vec<usize>,
}

impl Uploads {
    /// Waits until a file of `size` bytes fits within the bounds, then counts it as held.
    async fn reserve(&mut self, size: usize) -> anyhow::Result<()> {
        // Uploads that ended already: a failure is reported now, not after the whole archive.
        while let Some(joined) = self.tasks.try_join_next() {
            self.ended(joined)?;
        }
        // Bounded: each turn waits for one of at most REQUESTS uploads to end.
        while !self.tasks.is_empty()
            && (self.tasks.len() >= REQUESTS || self.held + size > UPLOAD_BYTES)
        {
            self.wait_one().await?;
        }
        self.held += size;
        Ok(())
    }

    /// Uploads a file whose bytes were read (and counted by [`Uploads::reserve`]).
    fn spawn(
        &mut self,
        index: usize,
        held: usize,
        store: AmazonS3,
        location: object_store::path::Path,
        bytes: Vec<u8>,
        label: String,
    ) {
        self.tasks.spawn(async move {
            store
                .put(&location, PutPayload::from(bytes))
                .await
                .with_context(|| format!("cannot upload {label}"))?;
            Ok((index, held))
        });
    }

    async fn wait_one(&mut self) -> anyhow::Result<()> {
        if let Some(joined) = self.tasks.join_next().await {
            self.ended(joined)?;
        }
        Ok(())
    }

    fn ended(
        &mut self,
        joined: Result<anyhow::Result<(usize, usize)>, tokio::task::JoinError>,
    ) -> anyhow::Result<()> {
        let (index, held) = joined.context("an upload stopped unexpectedly")??;
        self.held = self.held.saturating_sub(held);
        self.finished.push(index);
        Ok(())
    }

    /// Waits for every upload in flight.
    async fn finish(&mut self) -> anyhow::Result<()> {
        // Bounded: at most REQUESTS uploads.
        while !self.tasks.is_empty() {
            self.wait_one().await?;
        }
        Ok(())
    }
}

/// Writes the plan: creates buckets, uploads files from the archive at `path`, reads each written
/// object back, deletes what `replace` removes. The archive was verified, but each file is hashed
/// again as it is uploaded (it must not have changed since) and an upload whose bytes differ is
/// abandoned.
pub async fn apply(
    path: &Path,
    storage: &S3Config,
    plan: &ImportPlan,
    bar: &dyn Counter,
) -> anyhow::Result<FilesReport> {
    let mut report = FilesReport {
        skipped: plan.count(Action::Skip),
        unchanged: plan.count(Action::Unchanged),
        ..FilesReport::default()
    };
    report.buckets_created = create_buckets(storage, &plan.create).await?;
    let writes: Vec<&(FileEntry, Action)> = plan
        .files
        .iter()
        .filter(|(_, a)| matches!(a, Action::Upload | Action::Overwrite))
        .collect();
    let stores = bucket_stores(storage, &writes, &plan.delete)?;

    for index in upload_files(path, &writes, &stores, bar).await? {
        let (file, action) = writes[index];
        report.bytes += file.size;
        match action {
            Action::Overwrite => report.overwritten += 1,
            _ => report.uploaded += 1,
        }
    }
    report.verified = read_back(&writes, &stores).await?;
    // Only after every file is in place and checked: `replace`'s deletes.
    report.deleted = delete_objects(&plan.delete, &stores).await?;
    Ok(report)
}

/// Creates the buckets the target lacks; returns how many.
async fn create_buckets(storage: &S3Config, buckets: &[String]) -> anyhow::Result<usize> {
    for bucket in buckets {
        storage
            .create_bucket(bucket)
            .await
            .with_context(|| format!("cannot create bucket `{bucket}`"))?;
    }
    Ok(buckets.len())
}

/// A client for each bucket that is written to or deleted from.
fn bucket_stores(
    storage: &S3Config,
    writes: &[&(FileEntry, Action)],
    delete: &[(String, String)],
) -> anyhow::Result<BTreeMap<String, AmazonS3>> {
    let mut stores: BTreeMap<String, AmazonS3> = BTreeMap::new();
    let buckets = writes.iter().map(|(f, _)| &f.bucket);
    for bucket in buckets.chain(delete.iter().map(|(bucket, _)| bucket)) {
        if !stores.contains_key(bucket) {
            stores.insert(bucket.clone(), storage.bucket(bucket)?);
        }
    }
    Ok(stores)
}

/// Streams the files of `writes` from the archive at `path` to S3; returns their indexes in
/// `writes`, in the order their uploads finished.
async fn upload_files(
    path: &Path,
    writes: &[&(FileEntry, Action)],
    stores: &BTreeMap<String, AmazonS3>,
    bar: &dyn Counter,
) -> anyhow::Result<Vec<usize>> {
    let wanted: BTreeMap<String, usize> = writes
        .iter()
        .enumerate()
        .map(|(i, (f, _))| (f.path.clone(), i))
        .collect();
    let (sender, mut receiver) = mpsc::channel::<anyhow::Result<Piece>>(CHUNKS);
    let reader = spawn_archive_reader(path.to_path_buf(), wanted, sender);
    let mut uploader = Uploader {
        writes,
        stores,
        bar,
        uploads: Uploads::default(),
        current: None,
        started: BTreeSet::new(),
    };
    let result = uploader.receive_all(&mut receiver).await;
    // Closing the channel lets the reader thread stop at its next piece (it may be waiting to send
    // one), so the join cannot hang when the uploads failed.
    drop(receiver);
    let _ = reader.join();
    result?;
    Ok(uploader.uploads.finished)
}

/// Reads the `wanted` entries of the archive on a thread of its own (tar reads block) and sends
/// each as pieces, in the archive's order; a failure is sent as the last piece.
fn spawn_archive_reader(
    archive: PathBuf,
    wanted: BTreeMap<String, usize>,
    sender: mpsc::Sender<anyhow::Result<Piece>>,
) -> std::thread::JoinHandle<()> {
    std::thread::spawn(move || {
        if let Err(error) = read_archive(&archive, &wanted, &sender) {
            let _ = sender.blocking_send(Err(error));
        }
    })
}

/// The reader thread's work; it stops early, without an error, when the receiver is gone.
fn read_archive(
    archive: &Path,
    wanted: &BTreeMap<String, usize>,
    sender: &mpsc::Sender<anyhow::Result<Piece>>,
) -> anyhow::Result<()> {
    if wanted.is_empty() {
        return Ok(());
    }
    let mut tar = tarball::open(archive)?;
    for entry in tar.entries()? {
        let mut entry = entry?;
        let name = String::from_utf8_lossy(&entry.path_bytes()).into_owned();
        let Some(&index) = wanted.get(&name) else {
            continue;
        };
        let size = entry.size();
        if !send_entry(&mut entry, size, index, sender)? {
            return Ok(());
        }
    }
    Ok(())
}

/// Sends one archive entry as `Start`, its data in chunks, and `End`. `false` when the receiver is
/// gone.
fn send_entry(
    entry: &mut impl std::io::Read,
    size: u64,
    index: usize,
    sender: &mpsc::Sender<anyhow::Result<Piece>>,
) -> anyhow::Result<bool> {
    if sender.blocking_send(Ok(Piece::Start(index))).is_err() {
        return Ok(false);
    }
    // Bounded by the entry's size. Each chunk is filled (the decompressor hands out
    // far less than READ_BYTES at a time): a multipart upload keeps its chunks until a
    // part is sent, so a mostly empty allocation per chunk would multiply its memory.
    // And each is allocated at the size it will hold: a READ_BYTES allocation shrunk
    // to a small file's bytes, thousands of times, left glibc's heap fragmented
    // (import's peak reached 94 MB at 6000 small files; 40 MB this way).
    let mut left = size;
    loop {
        let want = usize::try_from(left).map_or(READ_BYTES, |l| l.min(READ_BYTES));
        if want == 0 {
            break;
        }
        let Some(chunk) = read_chunk(entry, want)? else {
            break;
        };
        left -= chunk.len() as u64;
        if sender.blocking_send(Ok(Piece::Data(chunk.into()))).is_err() {
            return Ok(false);
        }
    }
    Ok(sender.blocking_send(Ok(Piece::End)).is_ok())
}

/// Reads up to `want` bytes into one chunk, filling it as far as the entry goes; `None` at its
/// end.
fn read_chunk(entry: &mut impl std::io::Read, want: usize) -> std::io::Result<Option<Vec<u8>>> {
    let mut chunk = vec![0u8; want];
    let mut filled = 0;
    while filled < want {
        let n = entry.read(&mut chunk[filled..])?;
        if n == 0 {
            break;
        }
        filled += n;
    }
    if filled == 0 {
        return Ok(None);
    }
    if filled < want {
        chunk.truncate(filled);
        chunk.shrink_to_fit();
    }
    Ok(Some(chunk))
}

/// The file whose pieces are arriving.
struct Current {
    /// Its index in the writes.
    index: usize,
    upload: Upload,
    hasher: Sha256,
    /// Bytes received so far.
    size: u64,
}

/// Takes the reader thread's pieces and uploads each file they make up.
struct Uploader<'a> {
    writes: &'a [&'a (FileEntry, Action)],
    stores: &'a BTreeMap<String, AmazonS3>,
    bar: &'a dyn Counter,
    uploads: Uploads,
    current: Option<Current>,
    /// Indexes of the files started: one that appears twice means the archive changed.
    started: BTreeSet<usize>,
}

impl Uploader<'_> {
    /// Handles every piece until the reader is done, then waits for the uploads in flight.
    async fn receive_all(
        &mut self,
        receiver: &mut mpsc::Receiver<anyhow::Result<Piece>>,
    ) -> anyhow::Result<()> {
        while let Some(piece) = receiver.recv().await {
            match piece? {
                Piece::Start(index) => self.start(index).await?,
                Piece::Data(chunk) => self.data(chunk).await?,
                Piece::End => self.end().await?,
            }
        }
        self.uploads.finish().await?;
        if self.started.len() != self.writes.len() {
            bail!(
                "the archive changed since it was verified: {} of {} files were found",
                self.started.len(),
                self.writes.len()
            );
        }
        Ok(())
    }

    async fn start(&mut self, index: usize) -> anyhow::Result<()> {
        let (file, _) = self.writes[index];
        if !self.started.insert(index) {
            bail!(
                "the archive changed since it was verified: `{}` appears twice",
                file.path
            );
        }
        let store = &self.stores[&file.bucket];
        let upload = if file.size as usize > MULTIPART_BYTES {
            // Large files go alone: their parts in flight are the memory bound then.
            self.uploads.finish().await?;
            let location = s3::object_path(&file.bucket, &file.key)?;
            let parts = store.put_multipart(&location).await.with_context(|| {
                format!(
                    "cannot start uploading `{}` to bucket `{}`",
                    file.key, file.bucket
                )
            })?;
            Upload::Parts(WriteMultipart::new_with_chunk_size(parts, MULTIPART_BYTES))
        } else {
            // Waiting here holds the next piece back, and so the reader thread.
            self.uploads.reserve(file.size as usize).await?;
            Upload::Small(Vec::with_capacity(file.size as usize))
        };
        self.current = Some(Current {
            index,
            upload,
            hasher: Sha256::new(),
            size: 0,
        });
        Ok(())
    }

    async fn data(&mut self, chunk: Bytes) -> anyhow::Result<()> {
        let Some(current) = self.current.as_mut() else {
            bail!("the archive reader sent data outside a file");
        };
        current.hasher.update(&chunk);
        current.size += chunk.len() as u64;
        self.bar.add(chunk.len() as u64);
        match &mut current.upload {
            Upload::Small(buffer) => {
                // The buffer must stay within what was reserved for it.
                let (file, _) = self.writes[current.index];
                if current.size > file.size {
                    bail!(
                        "file `{}` of bucket `{}` changed in the archive since it was verified",
                        file.key,
                        file.bucket
                    );
                }
                buffer.extend_from_slice(&chunk);
            }
            Upload::Parts(parts) => {
                parts.wait_for_capacity(PARTS_IN_FLIGHT).await?;
                parts.put(chunk);
            }
        }
        Ok(())
    }

    async fn end(&mut self) -> anyhow::Result<()> {
        let Some(Current {
            index,
            upload,
            hasher,
            size,
        }) = self.current.take()
        else {
            bail!("the archive reader ended a file it did not start");
        };
        let (file, _) = self.writes[index];
        let label = format!("file `{}` of bucket `{}`", file.key, file.bucket);
        let same = size == file.size && hex::encode(hasher.finalize()) == file.sha256;
        match upload {
            Upload::Small(buffer) => {
                if !same {
                    bail!("{label} changed in the archive since it was verified");
                }
                let location = s3::object_path(&file.bucket, &file.key)?;
                let store = self.stores[&file.bucket].clone();
                self.uploads
                    .spawn(index, size as usize, store, location, buffer, label);
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
                self.uploads.finished.push(index);
            }
        }
        Ok(())
    }
}

/// Reads back what was written: size and sha256 computed from S3's bytes, several at once. Returns
/// how many were checked.
async fn read_back(
    writes: &[&(FileEntry, Action)],
    stores: &BTreeMap<String, AmazonS3>,
) -> anyhow::Result<usize> {
    let mut checks = stream::iter(writes.iter().map(|(file, _)| async move {
        let (size, sha256) =
            object_sha256(&stores[&file.bucket], &file.bucket, &file.key).await?;
        if size != file.size || sha256 != file.sha256 {
            bail!(
                "file `{}` of bucket `{}` reads back from S3 with {size} bytes and sha256 {sha256}, the archive's are {} and {}",
                file.key,
                file.bucket,
                file.size,
                file.sha256
            );
        }
        anyhow::Ok(())
    }))
    .buffer_unordered(REQUESTS);
    let mut verified = 0;
    // Bounded by the files written.
    while let Some(checked) = checks.next().await {
        checked?;
        verified += 1;
    }
    Ok(verified)
}

/// `replace`'s deletes, several at once. Returns how many objects were deleted.
async fn delete_objects(
    delete: &[(String, String)],
    stores: &BTreeMap<String, AmazonS3>,
) -> anyhow::Result<usize> {
    let mut deletes = stream::iter(delete.iter().map(|(bucket, key)| async move {
        stores[bucket]
            .delete(&s3::object_path(bucket, key)?)
            .await
            .with_context(|| format!("cannot delete `{key}` from bucket `{bucket}`"))
    }))
    .buffer_unordered(REQUESTS);
    let mut deleted = 0;
    // Bounded by the objects to delete.
    while let Some(result) = deletes.next().await {
        result?;
        deleted += 1;
    }
    Ok(deleted)
}
