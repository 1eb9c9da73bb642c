//! Atomic file writes: every output file of `rts-shards` is written to a temporary file in the
//! same directory and then renamed over the destination, so a reader (or a crashed run) never
//! sees a partially written file.

use anyhow::{Context, Result};
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

static COUNTER: AtomicU64 = AtomicU64::new(0);

/// The longest part of the destination's name kept in a temporary name, in bytes: with the
/// `.`, `.tmp-<pid>-<n>` around it a temporary name stays within the 255 bytes of a file name,
/// so every name the file system takes can be written.
const TEMP_NAME_KEEPS: usize = 200;

/// The temporary sibling used while writing `path`.
pub fn temp_path(path: &Path) -> Result<PathBuf> {
    use std::os::unix::ffi::OsStrExt;
    let name = path
        .file_name()
        .with_context(|| format!("{} has no file name", path.display()))?
        .as_bytes();
    let kept = String::from_utf8_lossy(&name[..name.len().min(TEMP_NAME_KEEPS)]);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let tmp = format!(".{kept}.tmp-{}-{n}", std::process::id());
    Ok(match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir.join(tmp),
        _ => PathBuf::from(tmp),
    })
}

/// Writes `contents` to `path` atomically (temp file in the same directory, fsync, rename).
/// On any error the temporary file is removed and `path` is left untouched.
/// Commands check their outputs' directories first (`cli::check_outputs`).
pub fn write_atomic(path: &Path, contents: &[u8]) -> Result<()> {
    let tmp = temp_path(path)?;
    let result = (|| -> Result<()> {
        let mut file = fs::File::create(&tmp)
            .with_context(|| format!("cannot create temporary file {}", tmp.display()))?;
        file.write_all(contents)
            .with_context(|| format!("cannot write {}", tmp.display()))?;
        file.sync_all()
            .with_context(|| format!("cannot sync {}", tmp.display()))?;
        drop(file);
        fs::rename(&tmp, path)
            .with_context(|| format!("cannot rename {} to {}", tmp.display(), path.display()))?;
        Ok(())
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}

/// Serializes `value` as pretty JSON (2-space indent) with a trailing newline and writes it
/// atomically.
pub fn write_json_atomic<T: serde::Serialize>(path: &Path, value: &T) -> Result<()> {
    write_atomic(path, to_pretty_json(value)?.as_bytes())
}

/// Pretty JSON with 2-space indentation and a trailing newline: the one format of every JSON
/// file this tool writes.
pub fn to_pretty_json<T: serde::Serialize>(value: &T) -> Result<String> {
    let mut s = serde_json::to_string_pretty(value).context("cannot serialize JSON")?;
    s.push('\n');
    Ok(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_and_replaces() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("out.json");
        write_atomic(&p, b"one").unwrap();
        assert_eq!(fs::read(&p).unwrap(), b"one");
        write_atomic(&p, b"two").unwrap();
        assert_eq!(fs::read(&p).unwrap(), b"two");
        // No temporary files left behind.
        let names: Vec<_> = fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(names.len(), 1);
    }

    #[test]
    fn the_longest_file_name_can_be_written() {
        let dir = tempfile::tempdir().unwrap();
        for len in [243, 255] {
            let p = dir.path().join("x".repeat(len));
            write_atomic(&p, b"long").unwrap();
            assert_eq!(fs::read(&p).unwrap(), b"long");
        }
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 2);
    }

    #[test]
    fn missing_directory_is_an_error_and_leaves_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("nope").join("out.json");
        let err = write_atomic(&p, b"x").unwrap_err();
        assert!(
            format!("{err:#}").contains("cannot create temporary file"),
            "{err:#}"
        );
        assert!(!p.exists());
    }

    #[test]
    fn rename_failure_removes_temp() {
        let dir = tempfile::tempdir().unwrap();
        // Destination is a non-empty directory: rename fails.
        let p = dir.path().join("target");
        fs::create_dir(&p).unwrap();
        fs::write(p.join("f"), b"x").unwrap();
        assert!(write_atomic(&p, b"x").is_err());
        let names: Vec<_> = fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(names.len(), 1);
    }

    #[test]
    fn pretty_json_has_two_space_indent_and_newline() {
        let s = to_pretty_json(&serde_json::json!({"a": [1]})).unwrap();
        assert_eq!(s, "{\n  \"a\": [\n    1\n  ]\n}\n");
    }
}
