//! The archive writer: one thread owns the tar stream and writes the items the readers (row files,
//! function sources, storage files) send it, in the order they arrive.

use std::io::Read;
use std::path::PathBuf;

use anyhow::Context as _;
use tokio::sync::mpsc;

use super::tarball::Writer;

/// One entry for the archive.
pub enum Item {
    Bytes {
        path: String,
        bytes: Vec<u8>,
        rows: Option<u64>,
    },
    File {
        path: String,
        disk: PathBuf,
    },
    /// A storage file streamed from S3 as it is written.
    Stream {
        path: String,
        size: u64,
        reader: Box<dyn Read + Send>,
    },
}

/// The writer thread stopped; its own error says why.
#[derive(Debug, thiserror::Error)]
#[error("the archive writer stopped (see the error below)")]
pub struct WriterStopped;

pub async fn send(sender: &mpsc::Sender<Item>, item: Item) -> anyhow::Result<()> {
    sender.send(item).await.map_err(|_| WriterStopped.into())
}

pub fn write_items(writer: &mut Writer, mut receiver: mpsc::Receiver<Item>) -> anyhow::Result<()> {
    while let Some(item) = receiver.blocking_recv() {
        match item {
            Item::Bytes { path, bytes, rows } => writer.add_bytes(&path, &bytes, rows)?,
            Item::File { path, disk } => {
                let file = std::fs::File::open(&disk)
                    .with_context(|| format!("cannot open {}", disk.display()))?;
                let size = file.metadata()?.len();
                writer
                    .add_reader(&path, size, std::io::BufReader::new(file))
                    .with_context(|| format!("cannot add {}", disk.display()))?;
            }
            Item::Stream { path, size, reader } => writer.add_reader(&path, size, reader)?,
        }
    }
    Ok(())
}
