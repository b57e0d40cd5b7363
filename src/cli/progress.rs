//! Progress bars on stderr for export and import: the archive reports through
//! [`ArchiveReporter`], and this draws what it reports.

use std::io::IsTerminal as _;
use std::sync::Arc;

use indicatif::{MultiProgress, ProgressBar, ProgressStyle};

use crate::archive::progress::{ArchiveReporter, Counter, RowTotal, Silent};
use crate::output::Output;

/// Bars when a person watches stderr; nothing with `--quiet`, `--json` or no terminal.
pub fn archive_reporter(output: &Output) -> Arc<dyn ArchiveReporter> {
    if !output.quiet && !output.json && std::io::stderr().is_terminal() {
        Arc::new(Bars(MultiProgress::new()))
    } else {
        Arc::new(Silent)
    }
}

#[derive(Debug)]
struct Bars(MultiProgress);

struct Bar(ProgressBar);

impl Counter for Bar {
    fn add(&self, amount: u64) {
        self.0.inc(amount);
    }

    fn finish(&self) {
        self.0.finish();
    }
}

fn styled(bar: ProgressBar, template: &str, prefix: String) -> ProgressBar {
    bar.set_style(
        ProgressStyle::with_template(template).unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    bar.set_prefix(prefix);
    bar
}

impl ArchiveReporter for Bars {
    fn table_rows(&self, table: &str, total: RowTotal) -> Box<dyn Counter> {
        let bar = match total {
            RowTotal::Estimated(Some(rows)) => styled(
                ProgressBar::new(rows),
                "{prefix:>24} {wide_bar} {human_pos} rows {elapsed}",
                table.to_string(),
            ),
            RowTotal::Estimated(None) => styled(
                ProgressBar::no_length(),
                "{prefix:>24} {wide_bar} {human_pos} rows {elapsed}",
                table.to_string(),
            ),
            RowTotal::Exact(rows) => styled(
                ProgressBar::new(rows),
                "{prefix:>24} {wide_bar} {human_pos}/{human_len} rows",
                table.to_string(),
            ),
        };
        Box::new(Bar(self.0.add(bar)))
    }

    fn file_bytes(&self, total: Option<u64>) -> Box<dyn Counter> {
        let bar = match total {
            Some(total) => ProgressBar::new(total),
            None => ProgressBar::no_length(),
        };
        let bar = styled(
            bar,
            "{prefix:>24} {wide_bar} {bytes} {elapsed}",
            "files".to_string(),
        );
        Box::new(Bar(self.0.add(bar)))
    }
}
