//! `pull`: writing a live instance's functions back to disk.

/// Unpacks each pulled function's deployed package into `dir/functions/<name>/`. A package whose
/// sha256 is not its version is refused; an existing non-empty directory is left alone unless
/// `force`. Returns (function, files written).
pub fn write_function_sources(
    file: &crate::project::file::ProjectFile,
    records: &std::collections::BTreeMap<String, crate::model::Function>,
    packages: &std::collections::BTreeMap<String, Vec<u8>>,
    dir: &std::path::Path,
    force: bool,
) -> anyhow::Result<Vec<(String, usize)>> {
    use anyhow::{Context as _, bail};
    use sha2::Digest as _;
    let mut written = Vec::new();
    for (name, function) in &file.functions {
        let Some(version) = records.get(name).and_then(|r| r.version.as_ref()) else {
            continue;
        };
        let Some(package) = packages.get(version) else {
            continue;
        };
        if hex::encode(sha2::Sha256::digest(package)) != *version {
            bail!(
                "the stored package of function `{name}` does not hash to its version {version}; \
                 it was altered in appctl.function_packages"
            );
        }
        let target = dir.join(&function.source);
        if target.read_dir().is_ok_and(|mut d| d.next().is_some()) && !force {
            bail!(
                "{} exists and is not empty; pass --force to write function `{name}`'s deployed \
                 sources over it",
                target.display()
            );
        }
        std::fs::create_dir_all(&target)
            .with_context(|| format!("cannot create {}", target.display()))?;
        let mut archive = tar::Archive::new(flate2::read::GzDecoder::new(package.as_slice()));
        let mut files = 0;
        for entry in archive
            .entries()
            .with_context(|| format!("the package {version} of function `{name}` is unreadable"))?
        {
            let mut entry = entry?;
            if entry.header().entry_type().is_file() {
                files += 1;
            }
            // unpack_in refuses paths that leave `target`.
            entry.unpack_in(&target).with_context(|| {
                format!("cannot unpack function `{name}` into {}", target.display())
            })?;
        }
        written.push((name.clone(), files));
    }
    Ok(written)
}
