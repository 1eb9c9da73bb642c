//! Finding the wasmtime binary and its version.

use crate::process;
use anyhow::{Result, bail};
use std::path::{Path, PathBuf};

/// Where `wasmtime` is looked for when it is not on PATH.
pub const FALLBACK: &str = "/opt/rts-shards/wasmtime/bin/wasmtime";

/// Resolves the wasmtime binary: the given path, else `wasmtime` on PATH, else the fallback.
pub fn resolve(given: Option<&Path>) -> Result<PathBuf> {
    if let Some(p) = given {
        if p.components().count() == 1 && !p.exists() {
            if let Some(found) = find_on_path(p.as_os_str()) {
                return Ok(found);
            }
        }
        if !p.is_file() {
            bail!("wasmtime binary {} does not exist", p.display());
        }
        return Ok(std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf()));
    }
    if let Some(found) = find_on_path("wasmtime".as_ref()) {
        return Ok(found);
    }
    let fallback = PathBuf::from(FALLBACK);
    if fallback.is_file() {
        return Ok(fallback);
    }
    bail!(
        "wasmtime not found on PATH nor at {FALLBACK} (run tools/setup.sh, or pass --wasmtime PATH)"
    )
}

fn find_on_path(name: &std::ffi::OsStr) -> Option<PathBuf> {
    let paths = std::env::var_os("PATH")?;
    std::env::split_paths(&paths)
        .map(|d| d.join(name))
        .find(|p| p.is_file())
        .map(|p| std::fs::canonicalize(&p).unwrap_or(p))
}

/// `wasmtime --version`, trimmed (e.g. `wasmtime 48.0.8 (...)`).
pub fn version(wasmtime: &Path) -> Result<String> {
    Ok(process::output_of(wasmtime, &["--version"])?
        .trim()
        .to_string())
}
