//! The names appctl derives for the objects a file does not name (constraints, indexes, policies),
//! the way Postgres itself names them, so a schema written by hand and one written by appctl agree.

use sha2::{Digest as _, Sha256};

use appctl_project::values::MAX_IDENTIFIER_BYTES;

/// `<parts joined by _>_<suffix>`, as Postgres names constraints and indexes. Names over 63 bytes are
/// cut and given a hash of the full name, so they stay unique and never get truncated by Postgres.
pub fn object_name(parts: &[&str], suffix: &str) -> String {
    let full = format!("{}_{suffix}", parts.join("_"));
    if full.len() <= MAX_IDENTIFIER_BYTES {
        return full;
    }
    let hash = hex::encode(&Sha256::digest(full.as_bytes())[..4]);
    let keep = MAX_IDENTIFIER_BYTES - hash.len() - suffix.len() - 2;
    let mut cut = keep;
    while !full.is_char_boundary(cut) {
        cut -= 1;
    }
    format!("{}_{hash}_{suffix}", &full[..cut])
}
