//! Content negotiation: which of the media types a path can answer the `Accept` header picks, or
//! PGRST107 (406) as PostgREST answers when it names none of them.

use crate::ApiError;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MediaType {
    /// `application/json` (also what `*/*`, `application/*` and no `Accept` get).
    Json,
    /// `application/vnd.pgrst.object+json`: the one row as an object.
    SingularJson,
    /// `text/csv`: a header row, then one line per row ([`crate::csv`]).
    Csv,
    /// `application/openapi+json`: the description at `/`.
    OpenApi,
}

impl MediaType {
    /// The `Content-Type` of an answer in this type.
    pub fn content_type(self) -> &'static str {
        match self {
            MediaType::Json => "application/json; charset=utf-8",
            MediaType::SingularJson => "application/vnd.pgrst.object+json; charset=utf-8",
            MediaType::Csv => "text/csv; charset=utf-8",
            MediaType::OpenApi => "application/openapi+json; charset=utf-8",
        }
    }

    fn named(name: &str) -> Option<MediaType> {
        Some(match name {
            "application/json" => MediaType::Json,
            "application/vnd.pgrst.object+json" | "application/vnd.pgrst.object" => {
                MediaType::SingularJson
            }
            "text/csv" => MediaType::Csv,
            "application/openapi+json" => MediaType::OpenApi,
            _ => return None,
        })
    }
}

/// The type to answer in: the first of `offered` (the path's default first) that the `Accept`
/// values name, the highest `q` first; wildcards get the default. No `Accept` gets the default.
pub fn negotiate<'a>(
    accept: impl IntoIterator<Item = &'a str>,
    offered: &[MediaType],
) -> Result<MediaType, ApiError> {
    let default = offered[0];
    let mut ranges: Vec<(String, f32)> = Vec::new();
    for value in accept {
        for item in value.split(',') {
            let mut parts = item.split(';');
            let name = parts.next().unwrap_or("").trim().to_ascii_lowercase();
            if name.is_empty() {
                continue;
            }
            let q = parts
                .filter_map(|p| p.trim().strip_prefix("q="))
                .find_map(|q| q.trim().parse::<f32>().ok())
                .unwrap_or(1.0);
            ranges.push((name, q));
        }
    }
    if ranges.is_empty() {
        return Ok(default);
    }
    // A stable sort keeps the header's order among equal weights.
    ranges.sort_by(|a, b| b.1.total_cmp(&a.1));
    for (name, q) in &ranges {
        if *q <= 0.0 {
            continue;
        }
        let found = match name.as_str() {
            "*/*" | "application/*" => Some(default),
            other => MediaType::named(other).filter(|m| offered.contains(m)),
        };
        if let Some(media) = found {
            return Ok(media);
        }
    }
    let names: Vec<&str> = ranges.iter().map(|(n, _)| n.as_str()).collect();
    Err(ApiError::new(
        406,
        "PGRST107",
        format!(
            "None of these media types are available: {}",
            names.join(", ")
        ),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    const READ: &[MediaType] = &[MediaType::Json, MediaType::SingularJson, MediaType::Csv];

    #[test]
    fn picks_the_named_or_default_type() {
        let pick = |accept: &[&str]| negotiate(accept.iter().copied(), READ);
        assert_eq!(pick(&[]).unwrap(), MediaType::Json);
        assert_eq!(pick(&["*/*"]).unwrap(), MediaType::Json);
        assert_eq!(pick(&["text/csv"]).unwrap(), MediaType::Csv);
        assert_eq!(
            pick(&["application/vnd.pgrst.object+json"]).unwrap(),
            MediaType::SingularJson
        );
        assert_eq!(
            pick(&["text/html, application/xhtml+xml, */*;q=0.8"]).unwrap(),
            MediaType::Json
        );
        assert_eq!(
            pick(&["application/json;q=0.5, text/csv"]).unwrap(),
            MediaType::Csv
        );
        let e = pick(&["text/html", "application/xml"]).unwrap_err();
        assert_eq!((e.status, e.code.as_str()), (406, "PGRST107"));
        assert_eq!(
            e.message,
            "None of these media types are available: text/html, application/xml"
        );
        assert_eq!(
            pick(&["text/csv;q=0"]).unwrap_err().code,
            "PGRST107",
            "q=0 refuses a type"
        );
        assert_eq!(
            negotiate(["text/csv"], &[MediaType::OpenApi, MediaType::Json])
                .unwrap_err()
                .code,
            "PGRST107"
        );
    }
}
