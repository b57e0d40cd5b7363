//! `manifest.json`: what an archive holds, written last so that its presence means the export finished.
//! Its JSON Schema (`schemas/archive-manifest.schema.json`) is generated from these types.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::encode::Encoding;

/// The newest archive format this build reads. It writes format 1 for an archive without storage
/// files (so older appctl versions read it) and [`FORMAT_FILES`] for one with files, which an appctl
/// that cannot restore files must refuse rather than load their metadata alone.
pub const FORMAT: u32 = 2;
/// The format of an archive that holds storage files (`buckets`, `files`).
pub const FORMAT_FILES: u32 = 2;
/// The format of an archive without storage files.
pub const FORMAT_ROWS: u32 = 1;
/// The name of the manifest entry.
pub const MANIFEST: &str = "manifest.json";
/// The largest manifest import reads (a manifest lists entries, not data).
pub const MAX_MANIFEST_BYTES: u64 = 64 * 1024 * 1024;

/// The manifest of an appctl archive.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[schemars(title = "appctl archive manifest")]
pub struct Manifest {
    /// Archive format version; an appctl that reads an older version refuses the archive.
    pub format: u32,
    /// The appctl version that wrote it.
    pub appctl_version: String,
    /// When the export started (RFC 3339, UTC).
    pub created_at: String,
    pub source: Source,
    /// The snapshot every table was read in (`pg_export_snapshot()`), so all tables agree.
    pub snapshot: String,
    /// What was left out on purpose.
    pub options: ExportedWith,
    /// Tables, in the order import loads them (referenced tables first).
    pub tables: Vec<TableEntry>,
    /// Every other entry of the archive with its size and checksum, in archive order.
    pub entries: Vec<Entry>,
    /// Format 2: the S3 buckets whose objects travel (one per appctl bucket, same name), empty ones
    /// included.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub buckets: Vec<String>,
    /// Format 2: every stored file, one per `storage.objects` row.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub files: Vec<FileEntry>,
}

/// One stored file: an S3 object and the archive entry that holds its bytes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct FileEntry {
    /// The bucket (`storage.objects.bucket_id`, also the S3 bucket's name).
    pub bucket: String,
    /// The object key (`storage.objects.name`), exactly.
    pub key: String,
    /// The archive entry: `files/<bucket>/<key>`, each percent-encoded as one path segment.
    pub path: String,
    /// Size in bytes.
    pub size: u64,
    /// SHA-256 of the bytes, lowercase hex.
    pub sha256: String,
}

/// Where the data came from. Never holds a password or key.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Source {
    /// The database URL with its password removed.
    pub database: String,
    /// `server_version` of the source, e.g. `15.8`.
    pub server_version: String,
    /// The project's Postgres schema.
    pub schema: String,
    /// The project name written into the project file.
    pub project: String,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
pub struct ExportedWith {
    /// `--tables`, when given.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tables: Vec<String>,
    /// `--exclude`, when given.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub exclude: Vec<String>,
    /// Auth users and identities were included.
    pub users: bool,
    /// Storage files were included.
    pub files: bool,
}

/// What a table is to import.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum TableRole {
    /// A table of the project's schema.
    Project,
    /// `auth.users`, `auth.identities`.
    Auth,
    /// `storage.buckets`, `storage.objects`.
    Storage,
    /// `appctl.deployments`: appended to the target's history.
    History,
}

/// One table's rows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct TableEntry {
    pub schema: String,
    pub name: String,
    pub role: TableRole,
    /// The columns in the row files (generated columns are left out: the target computes them).
    pub columns: Vec<Column>,
    /// The primary key's columns (upsert and skip use them).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub primary_key: Vec<String>,
    /// Rows in all parts.
    pub rows: u64,
    /// The row files, in order: `rows/<schema>/<table>/<n>.jsonl`, each one JSON object a line.
    pub parts: Vec<String>,
    /// Sequences owned by the table's columns (identity and serial), with their value at export.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sequences: Vec<SequenceValue>,
    /// Order-independent digest of the rows: the wrapping sum (mod 2^128) of the first 16 bytes of
    /// each row line's sha256 (newline included), 32 hex digits. `import --checksum` compares it with
    /// the rows read back from the target.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rows_digest: Option<String>,
}

impl TableEntry {
    /// `schema.name`
    pub fn label(&self) -> String {
        format!("{}.{}", self.schema, self.name)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Column {
    pub name: String,
    /// The type as Postgres spells it (`format_type`), e.g. `numeric(12,2)`, `vector(1536)`.
    #[serde(rename = "type")]
    pub pg_type: String,
    /// How its values are written in the row files (docs/archive-format.md).
    pub encoding: Encoding,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct SequenceValue {
    pub column: String,
    /// `last_value` of the sequence (a string: it is a bigint).
    pub last_value: String,
    /// Whether `last_value` was handed out already (`is_called`).
    pub is_called: bool,
}

/// One entry of the tar file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Entry {
    pub path: String,
    /// Size in bytes.
    pub size: u64,
    /// SHA-256 of the bytes, lowercase hex.
    pub sha256: String,
    /// Rows in a row file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rows: Option<u64>,
}

/// Only the version, read before anything else so a newer archive gets the right message.
#[derive(Deserialize)]
struct FormatOnly {
    format: u32,
}

/// Parses a manifest, refusing a newer format with a message that says what to do.
pub fn parse(bytes: &[u8]) -> Result<Manifest, String> {
    let format: FormatOnly = serde_json::from_slice(bytes)
        .map_err(|e| format!("manifest.json is not a valid appctl manifest: {e}"))?;
    if format.format > FORMAT {
        return Err(format!(
            "the archive has format {} but this appctl (version {}) reads format {FORMAT} at most; upgrade appctl to import it",
            format.format,
            env!("CARGO_PKG_VERSION")
        ));
    }
    if format.format == 0 {
        return Err("manifest.json has format 0, which no appctl writes".into());
    }
    serde_json::from_slice(bytes).map_err(|e| format!("manifest.json is not valid: {e}"))
}

/// The manifest's JSON Schema, as written to `schemas/archive-manifest.schema.json`.
pub fn json_schema_text() -> String {
    let schema = schemars::schema_for!(Manifest);
    let mut text = serde_json::to_string_pretty(&schema).expect("a schema serialises");
    text.push('\n');
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn newer_formats_are_refused_with_advice() {
        let error = parse(br#"{"format": 3, "anything": "else"}"#).unwrap_err();
        assert!(error.contains("format 3"), "{error}");
        assert!(error.contains("upgrade appctl"), "{error}");
        assert!(parse(b"not json").unwrap_err().contains("not a valid"));
    }

    #[test]
    fn schema_names_the_fields() {
        let text = json_schema_text();
        for field in ["format", "snapshot", "sha256", "encoding", "parts"] {
            assert!(text.contains(field), "{field}");
        }
    }
}
