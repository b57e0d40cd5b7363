//! Storage buckets: sizes and MIME types.

use super::*;

impl Checker<'_> {
    pub(super) fn check_bucket(&mut self, name: &str, bucket: &Bucket) {
        let path = root().key("buckets").key(name);
        let valid = (1..=63).contains(&name.len())
            && name.chars().all(|c| {
                c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '-' | '_' | '.')
            })
            && name
                .chars()
                .next()
                .is_some_and(|c| c.is_ascii_alphanumeric());
        if !valid {
            self.push(
                Finding::error("bucket-name", path.clone(), format!("`{name}` is not a valid bucket name"))
                    .at_key()
                    .hint("use 1 to 63 lowercase letters, digits, `-`, `_` or `.`, starting with a letter or digit"),
            );
        }
        if let Some(size) = &bucket.max_file_size {
            self.check_size(&path.key("max_file_size"), size);
        }
        for (i, mime) in bucket.allowed_mime_types.iter().enumerate() {
            if !is_mime_type(mime) {
                self.push(
                    Finding::error(
                        "mime-type",
                        path.key("allowed_mime_types").index(i),
                        format!("`{mime}` is not a MIME type"),
                    )
                    .hint(if matches!(mime.as_str(), "*" | "*/*") {
                        "every type is accepted when `allowed_mime_types` is left out".to_string()
                    } else {
                        "write `type/subtype` without parameters, e.g. `image/png` or `image/*`"
                            .to_string()
                    }),
                );
            }
        }
        self.check_permissions(
            &path.key("permissions"),
            &bucket.permissions,
            Subject::Bucket,
        );
    }

    pub(super) fn check_size(&mut self, path: &DocPath, size: &Size) {
        let bytes = match size {
            Size::Bytes(bytes) => Some(*bytes),
            Size::Text(text) => parse_size(text),
        };
        match bytes {
            Some(0) => self.push(
                Finding::error("size", path.clone(), "a size of 0 bytes allows nothing")
                    .hint("write a size such as `10MiB`, or remove the limit"),
            ),
            Some(_) => {}
            None => {
                let text = match size {
                    Size::Text(text) => text.as_str(),
                    Size::Bytes(_) => "",
                };
                self.push(
                    Finding::error("size", path.clone(), format!("`{text}` is not a size"))
                        .hint("write a size such as `10MiB`, `512KB`, `1GiB` or a number of bytes"),
                )
            }
        }
    }
}

pub(super) fn is_mime_type(text: &str) -> bool {
    let token = |s: &str| {
        !s.is_empty()
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || "!#$&^_.+-".contains(c))
    };
    match text.split_once('/') {
        Some((kind, sub)) => token(kind) && (sub == "*" || token(sub)),
        None => false,
    }
}
