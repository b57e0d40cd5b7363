//! Where things go inside an archive: every entry's path is made here, each name percent-encoded
//! into one path segment so no name can escape its directory.

/// A name as one path segment of the archive: bytes other than letters, digits, `_`, `-` and `.`
/// percent-encoded (so `a/b` cannot escape its directory and `..` cannot either).
pub fn path_segment(name: &str) -> String {
    let mut out = String::new();
    for b in name.bytes() {
        if b.is_ascii_alphanumeric()
            || b == b'_'
            || b == b'-'
            || (b == b'.' && name != ".." && name != ".")
        {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The archive entry holding an object's bytes.
pub fn archive_path(bucket: &str, key: &str) -> String {
    format!("files/{}/{}", path_segment(bucket), path_segment(key))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_cannot_escape_their_directory() {
        assert_eq!(path_segment("messages"), "messages");
        assert_eq!(path_segment("a/b"), "a%2Fb");
        assert_eq!(path_segment(".."), "%2E%2E");
        assert_eq!(path_segment("dot.ted"), "dot.ted");
        assert_eq!(path_segment("日"), "%E6%97%A5");
    }

    #[test]
    fn keys_become_one_safe_segment() {
        assert_eq!(
            archive_path("uploads", "docs/été 2024/../a b.pdf"),
            "files/uploads/docs%2F%C3%A9t%C3%A9%202024%2F..%2Fa%20b.pdf"
        );
        assert_eq!(archive_path("uploads", ".."), "files/uploads/%2E%2E");
    }
}
