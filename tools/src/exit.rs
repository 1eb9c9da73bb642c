//! Exit statuses, and the kind of error behind each: like nextest, a failed test, bad input and
//! a broken machine are told apart.
//!
//! 0 all passed, 1 a test failed (or a stale matrix with `--check`), 2 usage or input error,
//! 3 infrastructure failure (a full disk, a crashed Nix, a missing or mismatched `.cwasm`, a
//! shard runner that left no complete result), 130/143/129 interrupted by SIGINT/TERM/HUP.
//! A run with both failed tests and infrastructure failures exits 3: its verdict is incomplete.

use std::process::ExitCode;

pub const FAILED: u8 = 1;
pub const USAGE: u8 = 2;
pub const INFRA: u8 = 3;

/// An infrastructure failure: the machine or a tool failed, not a test and not the input.
#[derive(Debug)]
pub struct Infra(pub String);

impl std::fmt::Display for Infra {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "infrastructure failure: {}", self.0)
    }
}

impl std::error::Error for Infra {}

/// An infrastructure failure with this message.
pub fn infra(message: impl Into<String>) -> anyhow::Error {
    anyhow::Error::new(Infra(message.into()))
}

/// Whether an I/O error is the machine's fault (full disk, quota, read-only file system, I/O
/// error) rather than a bad path given by the user.
fn machine_io(e: &std::io::Error) -> bool {
    matches!(
        e.raw_os_error(),
        Some(libc::ENOSPC | libc::EDQUOT | libc::EIO | libc::EROFS)
    )
}

/// The exit status of an error: [`INFRA`] when an [`Infra`] or a machine I/O error is in its
/// chain, else [`USAGE`].
pub fn code_of(e: &anyhow::Error) -> u8 {
    let infra = e
        .chain()
        .any(|c| c.is::<Infra>() || c.downcast_ref::<std::io::Error>().is_some_and(machine_io));
    if infra { INFRA } else { USAGE }
}

/// The status of a run: 0 when all passed, else [`INFRA`] when some shard could not be run,
/// else [`FAILED`].
pub fn verdict(any_failed: bool, any_infra: bool) -> ExitCode {
    if any_infra {
        ExitCode::from(INFRA)
    } else if any_failed {
        ExitCode::from(FAILED)
    } else {
        ExitCode::SUCCESS
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use anyhow::Context;

    #[test]
    fn errors_map_by_kind() {
        assert_eq!(code_of(&anyhow::anyhow!("bad flag")), USAGE);
        let e = Err::<(), _>(infra("nix crashed"))
            .context("sweep")
            .unwrap_err();
        assert_eq!(code_of(&e), INFRA);
        assert!(format!("{e:#}").contains("infrastructure failure: nix crashed"));
        let full = std::io::Error::from_raw_os_error(libc::ENOSPC);
        let e = Err::<(), _>(full).context("cannot write x").unwrap_err();
        assert_eq!(code_of(&e), INFRA);
        let missing = std::io::Error::from_raw_os_error(libc::ENOENT);
        let e = Err::<(), _>(missing).context("cannot read x").unwrap_err();
        assert_eq!(code_of(&e), USAGE);
    }

    #[test]
    fn a_run_s_verdict() {
        assert_eq!(verdict(false, false), ExitCode::SUCCESS);
        assert_eq!(verdict(true, false), ExitCode::from(FAILED));
        assert_eq!(verdict(true, true), ExitCode::from(INFRA));
        assert_eq!(verdict(false, true), ExitCode::from(INFRA));
    }
}
