//! How export and import report progress: through a reporter the caller passes in, as deploy and
//! up report through their listeners. The binary draws progress bars; tests, `--json` and
//! `--quiet` pass [`Silent`].

use std::fmt::Debug;

/// Something counted as it goes: one table's rows, or the bytes of the storage files.
pub trait Counter: Send + Sync {
    fn add(&self, amount: u64);
    fn finish(&self);
}

/// How many rows a table is known to have before it is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RowTotal {
    /// Export: the planner's estimate (`pg_class.reltuples`); `None` when never analysed.
    Estimated(Option<u64>),
    /// Import: the archive's manifest says.
    Exact(u64),
}

/// What export and import tell the person running them while they work.
pub trait ArchiveReporter: Debug + Send + Sync {
    /// A counter of the rows of `table` (`schema.name` as people read it).
    fn table_rows(&self, table: &str, total: RowTotal) -> Box<dyn Counter>;
    /// A counter of storage file bytes; `total` when known.
    fn file_bytes(&self, total: Option<u64>) -> Box<dyn Counter>;
}

/// Reports nothing.
#[derive(Debug, Clone, Copy, Default)]
pub struct Silent;

struct Uncounted;

impl Counter for Uncounted {
    fn add(&self, _: u64) {}
    fn finish(&self) {}
}

impl ArchiveReporter for Silent {
    fn table_rows(&self, _: &str, _: RowTotal) -> Box<dyn Counter> {
        Box::new(Uncounted)
    }

    fn file_bytes(&self, _: Option<u64>) -> Box<dyn Counter> {
        Box::new(Uncounted)
    }
}
