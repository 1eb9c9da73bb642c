//! A temporary directory removed (with its contents) when dropped, unless kept; dropping also
//! happens on the way out after Ctrl-C, so no temporary folder is left behind.

use anyhow::{Context, Result};
use std::path::{Path, PathBuf};

/// See the module doc.
#[derive(Debug)]
pub struct TempDir {
    path: PathBuf,
    keep: bool,
}

impl TempDir {
    /// Creates `<tmp>/rts-shards-<tag>-<pid>-<nanos>`.
    pub fn new(tag: &str) -> Result<TempDir> {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0);
        let path =
            std::env::temp_dir().join(format!("rts-shards-{tag}-{}-{nanos}", std::process::id()));
        std::fs::create_dir_all(&path)
            .with_context(|| format!("cannot create {}", path.display()))?;
        Ok(TempDir { path, keep: false })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Leaves the directory in place when dropped.
    pub fn keep(&mut self) {
        self.keep = true;
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        if !self.keep {
            let _ = std::fs::remove_dir_all(&self.path);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn removed_unless_kept() {
        let t = TempDir::new("test").unwrap();
        let p = t.path().to_path_buf();
        std::fs::write(p.join("f"), b"x").unwrap();
        drop(t);
        assert!(!p.exists());
        let mut t = TempDir::new("test").unwrap();
        let p = t.path().to_path_buf();
        t.keep();
        drop(t);
        assert!(p.is_dir());
        std::fs::remove_dir_all(p).unwrap();
    }
}
