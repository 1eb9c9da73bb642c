//! What several commands share on their command line: the default `--jobs`, the check that
//! every output file can be written before the first one is, argument parsers for durations
//! and sizes, and the shell spelling of a command line.

use anyhow::{Result, bail};
use std::path::{Path, PathBuf};

/// The longest `--timeout` accepted: one week, in seconds.
pub const MAX_TIMEOUT_SECONDS: f64 = 7.0 * 24.0 * 3600.0;

/// The shortest `--timeout` accepted, in seconds.
pub const MIN_TIMEOUT_SECONDS: f64 = 0.001;

/// The most shards run at once: each is a process group with a wasmtime in it.
pub const MAX_JOBS: usize = 1024;

/// `--jobs`: the given number (1 to [`MAX_JOBS`]), else the number of CPUs.
pub fn jobs(given: Option<usize>) -> Result<usize> {
    match given {
        Some(0) => bail!("--jobs must be at least 1"),
        Some(n) if n > MAX_JOBS => bail!("--jobs must be at most {MAX_JOBS}, got {n}"),
        Some(n) => Ok(n),
        None => Ok(std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1)),
    }
}

/// Checks that each output file can be written: its directory exists, is a directory and is
/// writable (a file of the name its temporary file will have is created and removed), the file
/// itself is not a directory, no two outputs are one file and no output is one of `inputs`.
/// Called before anything is written (or run), so a bad path leaves no output half-written.
pub fn check_outputs<'a>(
    paths: impl IntoIterator<Item = &'a PathBuf>,
    inputs: &[&Path],
) -> Result<()> {
    let mut seen: Vec<(PathBuf, &Path)> = Vec::new();
    for p in paths {
        check_output(p)?;
        let id = identity(p);
        if let Some((_, first)) = seen.iter().find(|(other, _)| *other == id) {
            bail!(
                "{} and {} are the same file: give each output a file of its own",
                first.display(),
                p.display()
            );
        }
        if let Some(input) = inputs.iter().find(|i| identity(i) == id) {
            bail!(
                "cannot write {}: it is {}, an input of this command",
                p.display(),
                input.display()
            );
        }
        seen.push((id, p));
    }
    Ok(())
}

/// What a path names once links and `..` are resolved: the file itself when it exists, else
/// its directory's real path and its name.
fn identity(p: &Path) -> PathBuf {
    if let Ok(real) = std::fs::canonicalize(p) {
        return real;
    }
    let dir = match p.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    match (std::fs::canonicalize(dir), p.file_name()) {
        (Ok(d), Some(name)) => d.join(name),
        _ => p.to_path_buf(),
    }
}

/// The longest file name the file system of `dir` takes (`pathconf(_PC_NAME_MAX)`).
fn name_max(dir: &Path) -> Option<usize> {
    use std::os::unix::ffi::OsStrExt;
    let c = std::ffi::CString::new(dir.as_os_str().as_bytes()).ok()?;
    // SAFETY: `c` is a valid NUL-terminated string that outlives the call.
    let n = unsafe { libc::pathconf(c.as_ptr(), libc::_PC_NAME_MAX) };
    usize::try_from(n).ok().filter(|n| *n > 0)
}

fn check_output(p: &Path) -> Result<()> {
    let dir = match p.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    if !dir.is_dir() {
        bail!(
            "cannot write {}: directory {} does not exist",
            p.display(),
            dir.display()
        );
    }
    if p.is_dir() {
        bail!("cannot write {}: it is a directory", p.display());
    }
    if let Some(max) = name_max(dir) {
        let len = p.file_name().map_or(0, |n| n.len());
        if len > max {
            bail!(
                "cannot write {}: its name is {len} bytes, the file system takes at most {max}",
                p.display()
            );
        }
    }
    // The temporary file `atomic` will write, created and removed at once: the one sure test
    // that the directory is writable.
    let probe = crate::atomic::temp_path(p)?;
    match std::fs::File::create(&probe) {
        Ok(_) => {
            let _ = std::fs::remove_file(&probe);
            Ok(())
        }
        Err(e) => bail!("cannot write {}: {e}", p.display()),
    }
}

/// Writes each output atomically, going on after a failure: every error is printed, and the
/// result says whether all were written. The callers keep their exit status (the tests'
/// verdict) when a write fails, so one bad output never hides the others or the verdict.
pub fn write_outputs(outputs: Vec<(&Path, Result<Vec<u8>>)>) -> bool {
    let mut ok = true;
    for (path, contents) in outputs {
        if let Err(e) = contents.and_then(|c| crate::atomic::write_atomic(path, &c)) {
            eprintln!("rts-shards: error: cannot write {}: {e:#}", path.display());
            ok = false;
        }
    }
    ok
}

/// Parses a number of seconds: positive, finite, between 1 ms and one week.
pub fn parse_seconds(s: &str) -> Result<f64, String> {
    match s.trim().parse::<f64>() {
        Ok(v) if v.is_finite() && (MIN_TIMEOUT_SECONDS..=MAX_TIMEOUT_SECONDS).contains(&v) => Ok(v),
        _ => Err(format!(
            "expected a positive number of seconds between {MIN_TIMEOUT_SECONDS} and \
             {MAX_TIMEOUT_SECONDS} (one week), got {s:?}"
        )),
    }
}

/// Parses a byte size: `1048576`, `512K`, `512M`, `1.5G`, `2GiB`, `1T` (powers of 1024).
pub fn parse_size(s: &str) -> Result<u64, String> {
    let t = s.trim();
    let err = || format!("expected a size like 536870912, 512M or 2G, got {s:?}");
    let upper = t.to_ascii_uppercase();
    let body = upper
        .strip_suffix("IB")
        .or_else(|| upper.strip_suffix('B'))
        .unwrap_or(&upper);
    let (num, mult) = match body.chars().last() {
        Some('K') => (&body[..body.len() - 1], 1u64 << 10),
        Some('M') => (&body[..body.len() - 1], 1 << 20),
        Some('G') => (&body[..body.len() - 1], 1 << 30),
        Some('T') => (&body[..body.len() - 1], 1 << 40),
        Some(c) if c.is_ascii_digit() => (body, 1),
        _ => return Err(err()),
    };
    if num.is_empty() || num.starts_with('-') || num.starts_with('+') {
        return Err(err());
    }
    if let Ok(n) = num.parse::<u64>() {
        return n.checked_mul(mult).filter(|v| *v > 0).ok_or_else(err);
    }
    match num.parse::<f64>() {
        Ok(f) if f.is_finite() && f > 0.0 && f * (mult as f64) < u64::MAX as f64 => {
            let v = (f * mult as f64).round() as u64;
            if v == 0 { Err(err()) } else { Ok(v) }
        }
        _ => Err(err()),
    }
}

/// Quotes a word for a POSIX shell when needed (as `quote` in nix/run-shard.sh does).
pub fn shell_quote(s: &str) -> String {
    if !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "_-./=:,+@%".contains(c))
    {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}

/// Words as one copy-pasteable shell line.
pub fn shell_line<I, S>(words: I) -> String
where
    I: IntoIterator<Item = S>,
    S: AsRef<str>,
{
    words
        .into_iter()
        .map(|w| shell_quote(w.as_ref()))
        .collect::<Vec<_>>()
        .join(" ")
}

/// This process's command line, as `rts-shards <args>` (recorded in timings and bench files).
pub fn this_command() -> String {
    shell_line(std::iter::once("rts-shards".to_string()).chain(std::env::args().skip(1)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes() {
        assert_eq!(parse_size("1024"), Ok(1024));
        assert_eq!(parse_size("512M"), Ok(512 << 20));
        assert_eq!(parse_size("512m"), Ok(512 << 20));
        assert_eq!(parse_size("2GiB"), Ok(2 << 30));
        assert_eq!(parse_size("64KB"), Ok(64 << 10));
        assert_eq!(parse_size("1.5G"), Ok(3 << 29));
        assert_eq!(parse_size("1T"), Ok(1 << 40));
        for bad in ["", "M", "-1", "0", "12X", "abc", "1.2.3G", "99999999999T"] {
            assert!(parse_size(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn seconds_are_bounded() {
        assert_eq!(parse_seconds("2.5"), Ok(2.5));
        assert_eq!(parse_seconds("604800"), Ok(604800.0));
        for bad in [
            "0", "x", "inf", "NaN", "-1", "1e20", "604801", "1e-9", "", "-0",
        ] {
            let e = parse_seconds(bad).unwrap_err();
            assert!(e.contains("one week"), "{bad}: {e}");
        }
    }

    #[test]
    fn quoting() {
        assert_eq!(shell_quote("/a/b.cwasm"), "/a/b.cwasm");
        assert_eq!(shell_quote("memory64=y"), "memory64=y");
        assert_eq!(shell_quote("a b"), "'a b'");
        assert_eq!(shell_quote("it's"), r"'it'\''s'");
        assert_eq!(shell_quote(""), "''");
        assert_eq!(shell_line(["a", "b c"]), "a 'b c'");
    }

    #[test]
    fn jobs_default_and_zero() {
        assert!(jobs(None).unwrap() >= 1);
        assert_eq!(jobs(Some(3)).unwrap(), 3);
        assert!(jobs(Some(0)).is_err());
        assert_eq!(jobs(Some(MAX_JOBS)).unwrap(), MAX_JOBS);
        assert!(jobs(Some(MAX_JOBS + 1)).is_err());
        assert!(jobs(Some(usize::MAX)).is_err());
    }

    #[test]
    fn outputs_are_checked_before_writing() {
        let d = tempfile::tempdir().unwrap();
        let ok = d.path().join("a.xml");
        let missing = d.path().join("missing").join("x.svg");
        assert!(check_outputs([&ok], &[]).is_ok());
        let e = check_outputs([&ok, &missing], &[]).unwrap_err().to_string();
        assert!(e.contains("does not exist"), "{e}");
        let dir = d.path().to_path_buf();
        let e = check_outputs([&dir], &[]).unwrap_err().to_string();
        assert!(e.contains("is a directory"), "{e}");
        // Nothing is left behind by the probe.
        assert_eq!(std::fs::read_dir(d.path()).unwrap().count(), 0);
    }

    #[test]
    fn two_outputs_in_one_file_or_an_output_over_an_input_are_refused() {
        let d = tempfile::tempdir().unwrap();
        let a = d.path().join("a.json");
        let sub = d.path().join("sub");
        std::fs::create_dir(&sub).unwrap();
        // The same file by another spelling.
        let again = sub.join("../a.json");
        let e = check_outputs([&a, &again], &[]).unwrap_err().to_string();
        assert!(e.contains("are the same file"), "{e}");
        let input = d.path().join("variants.json");
        std::fs::write(&input, b"{}").unwrap();
        let link = d.path().join("link.json");
        std::os::unix::fs::symlink(&input, &link).unwrap();
        for out in [&input, &link] {
            let e = check_outputs([&a, out], &[&input]).unwrap_err().to_string();
            assert!(e.contains("an input of this command"), "{e}");
        }
        assert!(check_outputs([&a, &sub.join("a.json")], &[&input]).is_ok());
        // A name of 255 bytes is writable; 256 is not, and that is said before anything runs.
        assert!(check_outputs([&d.path().join("x".repeat(255))], &[]).is_ok());
        let e = check_outputs([&d.path().join("x".repeat(256))], &[])
            .unwrap_err()
            .to_string();
        assert!(e.contains("the file system takes at most 255"), "{e}");
        // Nothing is left behind: sub, variants.json and link.json only.
        assert_eq!(std::fs::read_dir(d.path()).unwrap().count(), 3);
    }

    #[test]
    fn one_failed_output_does_not_stop_the_others() {
        let d = tempfile::tempdir().unwrap();
        let blocked = d.path().join("blocked.xml");
        std::fs::create_dir(&blocked).unwrap();
        std::fs::write(blocked.join("f"), b"").unwrap();
        let (a, b) = (d.path().join("a.json"), d.path().join("b.svg"));
        let ok = write_outputs(vec![
            (a.as_path(), Ok(b"a".to_vec())),
            (blocked.as_path(), Ok(b"x".to_vec())),
            (b.as_path(), Err(anyhow::anyhow!("cannot render"))),
            (d.path().join("c").as_path(), Ok(b"c".to_vec())),
        ]);
        assert!(!ok);
        assert_eq!(std::fs::read(&a).unwrap(), b"a");
        assert!(!b.exists());
        assert_eq!(std::fs::read(d.path().join("c")).unwrap(), b"c");
    }
}
