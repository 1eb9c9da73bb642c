//! The process layer: runs one child in its own process group with its output in a file,
//! reaps it with `wait4` (for its peak resident memory), kills its group at a deadline or when
//! this process is asked to stop (Ctrl-C, SIGTERM, SIGHUP), and the handler that says so.

use anyhow::{Context, Result};
use std::ffi::OsString;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicI32, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// The signal that asked this process to stop (0: none yet).
static STOP_SIGNAL: AtomicI32 = AtomicI32::new(0);

/// The signals handled alike: Ctrl-C, and what CI cancellation, `timeout` and a closed
/// terminal send.
pub const STOP_SIGNALS: [libc::c_int; 3] = [libc::SIGINT, libc::SIGTERM, libc::SIGHUP];

extern "C" fn on_stop_signal(sig: libc::c_int) {
    // Only an atomic store: async-signal-safe. The first signal is the one reported.
    let _ = STOP_SIGNAL.compare_exchange(0, sig, Ordering::SeqCst, Ordering::SeqCst);
}

/// Installs a handler for SIGINT, SIGTERM and SIGHUP that only records the signal; children
/// run in their own process groups, so a terminal's SIGINT reaches this process alone, and the
/// workers stop their children (their whole groups) themselves (see `interrupted`).
pub fn install_interrupt_handler() {
    let handler: extern "C" fn(libc::c_int) = on_stop_signal;
    for sig in STOP_SIGNALS {
        // SAFETY: the handler only stores to an atomic; sigaction is given valid pointers.
        unsafe {
            let mut action: libc::sigaction = std::mem::zeroed();
            action.sa_sigaction = handler as libc::sighandler_t;
            action.sa_flags = libc::SA_RESTART;
            libc::sigemptyset(&mut action.sa_mask);
            libc::sigaction(sig, &action, std::ptr::null_mut());
        }
    }
}

/// Whether SIGINT, SIGTERM or SIGHUP arrived since the handler was installed.
pub fn interrupted() -> bool {
    STOP_SIGNAL.load(Ordering::SeqCst) != 0
}

/// The exit status after a stop signal, as a shell reports it: 128 + the signal (130 for
/// SIGINT, 143 for SIGTERM, 129 for SIGHUP); `None` when none arrived.
pub fn interrupted_status() -> Option<u8> {
    match STOP_SIGNAL.load(Ordering::SeqCst) {
        0 => None,
        sig => Some(128 + sig as u8),
    }
}

/// The name of the stop signal that arrived, for messages.
pub fn interrupted_by() -> &'static str {
    match STOP_SIGNAL.load(Ordering::SeqCst) {
        libc::SIGTERM => "SIGTERM",
        libc::SIGHUP => "SIGHUP",
        _ => "Ctrl-C",
    }
}

/// Seconds since the Unix epoch.
pub fn unix_now() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0)
}

/// One child to run.
#[derive(Debug, Clone)]
pub struct Spec {
    pub program: PathBuf,
    pub args: Vec<OsString>,
    /// Variables set (`Some`) or removed (`None`) on top of this process's environment.
    pub env: Vec<(String, Option<OsString>)>,
    /// Where stdout and stderr go (one file, in order).
    pub output: PathBuf,
    /// Killed (its whole process group) after this long.
    pub deadline: Option<Duration>,
}

/// How a child ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum End {
    /// Exited with this code.
    Exited(i32),
    /// Ended by this signal (not sent by us).
    Signaled(i32),
    /// Killed at its deadline.
    Deadline,
    /// Stopped because of Ctrl-C.
    Interrupted,
}

/// What happened to one child.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub end: End,
    pub wall_seconds: f64,
    /// Peak resident memory of the child and its descendants, KiB.
    pub peak_memory_kib: Option<u64>,
    pub started_at_unix: f64,
    pub finished_at_unix: f64,
}

/// How long a child asked to stop (SIGTERM to its group) gets before SIGKILL.
const GRACE: Duration = Duration::from_secs(3);

/// Runs one child to its end; see the module doc.
pub fn execute(spec: &Spec) -> Result<Outcome> {
    let out = std::fs::File::create(&spec.output)
        .with_context(|| format!("cannot create {}", spec.output.display()))?;
    let err = out
        .try_clone()
        .with_context(|| format!("cannot open {}", spec.output.display()))?;
    let mut cmd = Command::new(&spec.program);
    cmd.args(&spec.args)
        .stdin(Stdio::null())
        .stdout(out)
        .stderr(err)
        .process_group(0);
    for (k, v) in &spec.env {
        match v {
            Some(v) => cmd.env(k, v),
            None => cmd.env_remove(k),
        };
    }
    let started_at_unix = unix_now();
    let start = Instant::now();
    let child = cmd
        .spawn()
        .with_context(|| format!("cannot start {}", spec.program.display()))?;
    let pid = child.id() as libc::pid_t;
    // The child is reaped below with wait4 (for its rusage), never through `child`.
    drop(child);
    let mut reaper = Reaper::new(pid);
    let mut stop: Option<(End, Instant)> = None;
    let mut sleep = Duration::from_millis(1);
    while !reaper.poll()? {
        if stop.is_none() {
            let why = if interrupted() {
                Some(End::Interrupted)
            } else if spec.deadline.is_some_and(|d| start.elapsed() >= d) {
                Some(End::Deadline)
            } else {
                None
            };
            if let Some(why) = why {
                signal_group(pid, libc::SIGTERM);
                stop = Some((why, Instant::now()));
            }
        } else if let Some((_, since)) = stop {
            if since.elapsed() >= GRACE {
                signal_group(pid, libc::SIGKILL);
            }
        }
        std::thread::sleep(sleep);
        sleep = (sleep * 2).min(Duration::from_millis(25));
    }
    let end = match stop {
        Some((why, _)) => why,
        None => reaper.end(),
    };
    Ok(Outcome {
        end,
        wall_seconds: start.elapsed().as_secs_f64(),
        peak_memory_kib: reaper.peak_kib(),
        started_at_unix,
        finished_at_unix: unix_now(),
    })
}

/// Waits for `child`, started in a process group of its own, and stops that group (SIGTERM,
/// then SIGKILL after a grace period) when this process is asked to stop: `None` then.
pub fn wait_or_stop(child: &mut std::process::Child) -> Result<Option<std::process::ExitStatus>> {
    let pid = child.id() as libc::pid_t;
    let mut stopping: Option<Instant> = None;
    loop {
        if let Some(status) = child.try_wait().context("cannot wait for a child")? {
            return Ok(if stopping.is_some() {
                None
            } else {
                Some(status)
            });
        }
        match stopping {
            None if interrupted() => {
                signal_group(pid, libc::SIGTERM);
                stopping = Some(Instant::now());
            }
            Some(since) if since.elapsed() >= GRACE => signal_group(pid, libc::SIGKILL),
            _ => {}
        }
        std::thread::sleep(Duration::from_millis(25));
    }
}

/// Sends `sig` to the process group led by `pid` (and what is left of it).
fn signal_group(pid: libc::pid_t, sig: libc::c_int) {
    // SAFETY: kill has no memory effects; the group is our child's (not yet reaped).
    unsafe {
        libc::kill(-pid, sig);
    }
}

/// Reaps one child with wait4.
struct Reaper {
    pid: libc::pid_t,
    status: libc::c_int,
    usage: libc::rusage,
}

impl Reaper {
    fn new(pid: libc::pid_t) -> Reaper {
        Reaper {
            pid,
            status: 0,
            // SAFETY: rusage is plain old data; zeroed is a valid value.
            usage: unsafe { std::mem::zeroed() },
        }
    }

    /// Whether the child has ended (and is now reaped).
    fn poll(&mut self) -> Result<bool> {
        loop {
            // SAFETY: pid is our own unreaped child; status and usage are valid out-pointers.
            let r =
                unsafe { libc::wait4(self.pid, &mut self.status, libc::WNOHANG, &mut self.usage) };
            if r == self.pid {
                return Ok(true);
            }
            if r == 0 {
                return Ok(false);
            }
            let e = std::io::Error::last_os_error();
            if e.kind() != std::io::ErrorKind::Interrupted {
                return Err(e).context("wait4 failed");
            }
        }
    }

    fn end(&self) -> End {
        if libc::WIFEXITED(self.status) {
            End::Exited(libc::WEXITSTATUS(self.status))
        } else {
            End::Signaled(libc::WTERMSIG(self.status))
        }
    }

    /// Linux reports ru_maxrss in KiB.
    fn peak_kib(&self) -> Option<u64> {
        let k = self.usage.ru_maxrss;
        (k > 0).then_some(k as u64)
    }
}

/// Runs `program args` with stdout captured, stdin closed, stderr shown; fails on a non-zero
/// exit.
pub fn output_of(program: &Path, args: &[&str]) -> Result<String> {
    let out = Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .with_context(|| format!("cannot run {}", program.display()))?;
    if !out.status.success() {
        anyhow::bail!(
            "{} {} failed ({}): {}",
            program.display(),
            args.join(" "),
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sh(script: &str, output: &Path, deadline: Option<Duration>) -> Outcome {
        execute(&Spec {
            program: "sh".into(),
            args: vec!["-c".into(), script.into()],
            env: vec![("RTS_T".into(), Some("v".into()))],
            output: output.to_path_buf(),
            deadline,
        })
        .unwrap()
    }

    #[test]
    fn measures_exit_codes_signals_and_deadlines() {
        let d = tempfile::tempdir().unwrap();
        let o = d.path().join("o");
        let r = sh("echo hi $RTS_T; echo err >&2; exit 3", &o, None);
        assert_eq!(r.end, End::Exited(3));
        assert_eq!(std::fs::read_to_string(&o).unwrap(), "hi v\nerr\n");
        assert!(r.peak_memory_kib.unwrap() > 0);
        assert!(r.finished_at_unix >= r.started_at_unix);
        assert_eq!(sh("true", &o, None).end, End::Exited(0));
        // The deadline kills the whole group: the grandchild `sleep` too.
        let start = Instant::now();
        let pid_file = d.path().join("pid");
        let r = sh(
            &format!("sleep 10 & echo $! > {}; wait", pid_file.display()),
            &o,
            Some(Duration::from_millis(200)),
        );
        assert_eq!(r.end, End::Deadline);
        assert!(start.elapsed() < Duration::from_secs(5));
        let pid: libc::pid_t = std::fs::read_to_string(&pid_file)
            .unwrap()
            .trim()
            .parse()
            .unwrap();
        let gone = (0..100).any(|_| {
            std::thread::sleep(Duration::from_millis(20));
            // SAFETY: signal 0 only checks that the process exists.
            unsafe { libc::kill(pid, 0) != 0 }
        });
        assert!(gone, "the grandchild {pid} survived");
        assert_eq!(sh("kill -9 $$", &o, None).end, End::Signaled(9));
        let bad = Spec {
            program: "/nonexistent/x".into(),
            args: vec![],
            env: vec![],
            output: o.clone(),
            deadline: None,
        };
        assert!(execute(&bad).is_err());
    }
}
