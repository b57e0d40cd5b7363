//! The container: a tar stream, zstd-compressed unless the file name ends in `.tar`. Writing checksums
//! every entry as it goes; reading detects zstd by its magic number.

use std::fs::File;
use std::io::{self, BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use sha2::{Digest, Sha256};

use super::manifest::Entry;

/// zstd level 1: on JSON Lines about twice as fast as level 3 at a similar ratio (and far faster
/// than pg_dump's gzip -6), with a smaller window, so less memory.
pub const ZSTD_LEVEL: i32 = 1;

enum Sink {
    Zstd(zstd::Encoder<'static, BufWriter<File>>),
    Plain(BufWriter<File>),
}

impl Write for Sink {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Sink::Zstd(w) => w.write(buf),
            Sink::Plain(w) => w.write(buf),
        }
    }
    fn flush(&mut self) -> io::Result<()> {
        match self {
            Sink::Zstd(w) => w.flush(),
            Sink::Plain(w) => w.flush(),
        }
    }
}

/// Writes entries to `<path>.partial`, renamed to `path` by [`Writer::finish`]: an export that stops
/// half-way never leaves a file with the archive's name.
pub struct Writer {
    builder: tar::Builder<Sink>,
    partial: PathBuf,
    path: PathBuf,
    entries: Vec<Entry>,
    mtime: u64,
}

impl Writer {
    pub fn create(path: &Path) -> io::Result<Writer> {
        let mut partial = path.as_os_str().to_owned();
        partial.push(".partial");
        let partial = PathBuf::from(partial);
        let file = BufWriter::with_capacity(1 << 20, File::create(&partial)?);
        let compressed = !path.to_string_lossy().ends_with(".tar");
        let sink = if compressed {
            let mut encoder = zstd::Encoder::new(file, ZSTD_LEVEL)?;
            // A checksum per frame too: zstd itself notices corruption of the compressed bytes.
            encoder.include_checksum(true)?;
            Sink::Zstd(encoder)
        } else {
            Sink::Plain(file)
        };
        let mtime = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        Ok(Writer {
            builder: tar::Builder::new(sink),
            partial,
            path: path.to_path_buf(),
            entries: Vec::new(),
            mtime,
        })
    }

    fn header(&self, size: u64) -> tar::Header {
        let mut header = tar::Header::new_gnu();
        header.set_size(size);
        header.set_mode(0o644);
        header.set_mtime(self.mtime);
        header.set_entry_type(tar::EntryType::Regular);
        header
    }

    /// Adds an entry held in memory; `rows` for a row file.
    pub fn add_bytes(&mut self, path: &str, bytes: &[u8], rows: Option<u64>) -> io::Result<()> {
        let mut header = self.header(bytes.len() as u64);
        self.builder.append_data(&mut header, path, bytes)?;
        self.entries.push(Entry {
            path: path.to_string(),
            size: bytes.len() as u64,
            sha256: hex::encode(Sha256::digest(bytes)),
            rows,
        });
        Ok(())
    }

    /// Adds an entry streamed from `reader`, which must yield exactly `size` bytes.
    pub fn add_reader(&mut self, path: &str, size: u64, reader: impl Read) -> io::Result<()> {
        let mut hashing = HashingReader {
            inner: reader.take(size),
            hasher: Sha256::new(),
            count: 0,
        };
        let mut header = self.header(size);
        self.builder.append_data(&mut header, path, &mut hashing)?;
        if hashing.count != size {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                format!(
                    "{path} changed while it was read ({} bytes instead of {size})",
                    hashing.count
                ),
            ));
        }
        self.entries.push(Entry {
            path: path.to_string(),
            size,
            sha256: hex::encode(hashing.hasher.finalize()),
            rows: None,
        });
        Ok(())
    }

    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    /// Appends the last entry (the manifest, not listed in itself), completes the stream, syncs and
    /// renames. Returns the archive's size.
    pub fn finish(self, manifest_path: &str, manifest: &[u8]) -> io::Result<u64> {
        let partial = self.partial.clone();
        let result = self.finish_inner(manifest_path, manifest);
        if result.is_err() {
            let _ = std::fs::remove_file(partial);
        }
        result
    }

    fn finish_inner(mut self, manifest_path: &str, manifest: &[u8]) -> io::Result<u64> {
        let mut header = self.header(manifest.len() as u64);
        self.builder
            .append_data(&mut header, manifest_path, manifest)?;
        let sink = self.builder.into_inner()?;
        let mut file = match sink {
            Sink::Zstd(encoder) => encoder.finish()?,
            Sink::Plain(file) => file,
        };
        file.flush()?;
        let file = file.into_inner().map_err(|e| e.into_error())?;
        file.sync_all()?;
        let size = file.metadata()?.len();
        std::fs::rename(&self.partial, &self.path)?;
        Ok(size)
    }

    /// Removes the partial file after a failure.
    pub fn abandon(self) {
        let partial = self.partial.clone();
        drop(self);
        let _ = std::fs::remove_file(partial);
    }
}

struct HashingReader<R> {
    inner: R,
    hasher: Sha256,
    count: u64,
}

impl<R: Read> Read for HashingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hasher.update(&buf[..n]);
        self.count += n as u64;
        Ok(n)
    }
}

/// An archive being read.
pub type Archive = tar::Archive<Box<dyn Read>>;

const ZSTD_MAGIC: [u8; 4] = [0x28, 0xb5, 0x2f, 0xfd];

/// Opens an archive for reading: zstd when it starts with zstd's magic number, plain tar otherwise.
pub fn open(path: &Path) -> io::Result<Archive> {
    open_reader(File::open(path)?)
}

/// The sha256 of an archive file's own bytes (compressed, as stored), taken as it is read.
#[derive(Clone, Default)]
pub struct FileDigest(Arc<Mutex<Sha256>>);

impl FileDigest {
    /// The digest of every byte read so far, as hex.
    pub fn hex(&self) -> String {
        let hasher = self.0.lock().map(|h| h.clone()).unwrap_or_default();
        hex::encode(hasher.finalize())
    }
}

/// Like [`open`]; a compressed archive also has its file's bytes hashed as they are read (after
/// [`drain`], the digest covers the whole file): far cheaper than hashing every entry again. `None`
/// for an uncompressed archive, whose file is as large as its entries.
pub fn open_hashed(path: &Path) -> io::Result<(Archive, Option<FileDigest>)> {
    let mut magic = [0u8; 4];
    let n = read_up_to(&mut File::open(path)?, &mut magic)?;
    if n < 4 || magic != ZSTD_MAGIC {
        return Ok((open(path)?, None));
    }
    let digest = FileDigest::default();
    let file = HashingFile {
        inner: File::open(path)?,
        digest: digest.clone(),
    };
    Ok((open_reader(file)?, Some(digest)))
}

/// Reads what is left of an archive after its last entry (tar's end blocks, zstd's last frame and
/// its checksum), so that a [`FileDigest`] covers the whole file.
pub fn drain(archive: Archive) -> io::Result<()> {
    io::copy(&mut archive.into_inner(), &mut io::sink())?;
    Ok(())
}

struct HashingFile {
    inner: File,
    digest: FileDigest,
}

impl Read for HashingFile {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        if let Ok(mut hasher) = self.digest.0.lock() {
            hasher.update(&buf[..n]);
        }
        Ok(n)
    }
}

fn open_reader(file: impl Read + 'static) -> io::Result<Archive> {
    let mut file = BufReader::with_capacity(1 << 20, file);
    let mut magic = [0u8; 4];
    let n = read_up_to(&mut file, &mut magic)?;
    let head = io::Cursor::new(magic[..n].to_vec());
    let chained = head.chain(file);
    let reader: Box<dyn Read> = if n == 4 && magic == ZSTD_MAGIC {
        Box::new(zstd::Decoder::new(chained)?)
    } else {
        Box::new(chained)
    };
    Ok(tar::Archive::new(reader))
}

fn read_up_to(reader: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match reader.read(&mut buf[filled..])? {
            0 => break,
            n => filled += n,
        }
    }
    Ok(filled)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(path: &Path) {
        let mut writer = Writer::create(path).unwrap();
        writer
            .add_bytes("rows/a.jsonl", b"{\"a\":1}\n", Some(1))
            .unwrap();
        writer.add_bytes("big", &vec![7u8; 3 << 20], None).unwrap();
        writer.finish("manifest.json", b"{}").unwrap();
    }

    #[test]
    fn a_compressed_archive_s_digest_covers_its_whole_file() {
        let dir = tempfile::tempdir().unwrap();
        let compressed = dir.path().join("a.tar.zst");
        write(&compressed);
        let (mut archive, digest) = open_hashed(&compressed).unwrap();
        // Only the first entry is read; draining reads the rest of the file.
        let first = archive.entries().unwrap().next().unwrap().unwrap();
        assert_eq!(&*first.path_bytes(), b"rows/a.jsonl");
        drop(first);
        drain(archive).unwrap();
        let expected = hex::encode(Sha256::digest(std::fs::read(&compressed).unwrap()));
        assert_eq!(digest.unwrap().hex(), expected);

        let plain = dir.path().join("a.tar");
        write(&plain);
        let (archive, digest) = open_hashed(&plain).unwrap();
        assert!(digest.is_none());
        drain(archive).unwrap();
    }
}
