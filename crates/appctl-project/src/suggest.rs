//! "Did you mean" suggestions for misspelt names.

/// The candidate closest to `input`, when it is close enough to be a plausible typo.
pub fn did_you_mean<'a>(
    input: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let input_lower = input.to_lowercase();
    candidates
        .into_iter()
        .map(|candidate| {
            (
                strsim::jaro_winkler(&input_lower, &candidate.to_lowercase()),
                candidate,
            )
        })
        .filter(|(score, _)| *score >= 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, candidate)| candidate)
}

#[cfg(test)]
mod tests {
    use super::did_you_mean;

    #[test]
    fn suggests_close_names_only() {
        let keys = ["nullable", "primary_key", "default", "type"];
        assert_eq!(did_you_mean("nulable", keys), Some("nullable"));
        assert_eq!(did_you_mean("primary", keys), Some("primary_key"));
        assert_eq!(did_you_mean("zzz", keys), None);
    }
}
