//! The test harness shared by every module: the test context, failure reporting, seeded
//! randomness, sub-test tables, the coverage recorder, and the entry point that wasm exports and
//! native `#[test]`s both go through.
//!
//! This is the bottom layer of the crate: it imports nothing else of it. A test module is a
//! [`Module`] whose table of [`SubTest`]s is the one place its sub-test names are written; the
//! coverage manifest (`crate::manifest`) reads those tables through what [`coverage`] records.
//!
//! A failure prints one line `FAIL variant=V module=M seed=S [sub=T]: message` and then traps (on
//! wasm) or panics (natively). Panics from the runtime itself (assertions) are reported with the
//! same prefix by the wasm panic handler, from the context recorded in `CURRENT`.

use core::cell::Cell;
use core::fmt;
use core::sync::atomic::{AtomicBool, Ordering};

/// Which build this is: `ni`, `inc` or `64` on wasm; `native` or `native-inc` on the host.
pub const VARIANT: &str = if cfg!(target_arch = "wasm64") {
    "64"
} else if cfg!(target_family = "wasm") {
    if cfg!(feature = "incremental") {
        "inc"
    } else {
        "ni"
    }
} else if cfg!(feature = "incremental") {
    "native-inc"
} else {
    "native"
};

/// A top-level sub-test: its name (in reports and in the coverage manifest) and its body.
pub type SubTest = (&'static str, fn(&Ctx));

/// A test module: its name, its family and its table of sub-tests.
#[derive(Clone, Copy)]
pub struct Module {
    /// The name after `test_` in the export.
    pub name: &'static str,
    /// The unsplit module it is a shard of (its own name if not split).
    pub family: &'static str,
    /// Its sub-tests, in the order they run.
    pub tests: &'static [SubTest],
}

impl Module {
    /// Runs every sub-test of the table, in order.
    pub fn run(&self, ctx: &Ctx) {
        for &(name, body) in self.tests {
            ctx.sub(name, body);
        }
    }
}

/// The test running now, for reports from the panic handler. Wasm is single-threaded; natively
/// each `#[test]` thread has its own.
pub struct Current {
    module: Cell<&'static str>,
    sub: Cell<&'static str>,
    seed: Cell<u64>,
}

#[cfg(target_family = "wasm")]
// SAFETY: wasm modules built here are single-threaded; no two threads can reach the cells.
unsafe impl Sync for Current {}

impl Current {
    const fn new() -> Self {
        Current {
            module: Cell::new(""),
            sub: Cell::new(""),
            seed: Cell::new(0),
        }
    }

    /// Writes the `FAIL variant=... module=... seed=...` prefix of a report.
    pub fn write_prefix(&self, out: &mut dyn fmt::Write) -> fmt::Result {
        write!(
            out,
            "FAIL variant={} module={} seed={}",
            VARIANT,
            self.module.get(),
            self.seed.get()
        )?;
        if !self.sub.get().is_empty() {
            write!(out, " sub={}", self.sub.get())?;
        }
        Ok(())
    }
}

#[cfg(target_family = "wasm")]
/// The test running now.
pub static CURRENT: Current = Current::new();

#[cfg(not(target_family = "wasm"))]
std::thread_local! {
    static CURRENT_TLS: Current = const { Current::new() };
}

fn with_current<R>(f: impl FnOnce(&Current) -> R) -> R {
    #[cfg(target_family = "wasm")]
    {
        f(&CURRENT)
    }
    #[cfg(not(target_family = "wasm"))]
    {
        CURRENT_TLS.with(f)
    }
}

/// Writes the report prefix for the running test (used by the wasm panic handler).
pub fn write_current_prefix(out: &mut dyn fmt::Write) -> fmt::Result {
    with_current(|c| c.write_prefix(out))
}

/// What a test body gets: the seed, the depth and the means to fail.
pub struct Ctx {
    /// The module under test.
    pub module: &'static str,
    /// The seed from the export's argument.
    pub seed: u64,
    /// How deep this run goes: the factor [`Ctx::scaled`] applies to random work (1 in the
    /// default checks; `scaled_<module>(seed, scale)` and `RTS_SCALE` choose more).
    pub scale: u32,
}

impl Ctx {
    /// The count of random cases at this run's depth: `n` (the default, chosen for what it
    /// covers) times [`Ctx::scale`]. Fixed cases (known vectors, exhaustive ranges, boundaries)
    /// do not go through it.
    pub fn scaled(&self, n: usize) -> usize {
        n.saturating_mul(self.scale as usize)
    }

    /// [`Ctx::scaled`] for counts of things numbered by `u64` (random stream labels, seeds).
    pub fn scaled_u64(&self, n: u64) -> u64 {
        n.saturating_mul(u64::from(self.scale))
    }

    /// Fails the test with a message naming variant, module, seed and sub-test.
    #[cold]
    #[track_caller]
    pub fn fail(&self, args: fmt::Arguments<'_>) -> ! {
        let mut prefix = alloc::string::String::new();
        let _ = write_current_prefix(&mut prefix);
        FAILING.store(true, Ordering::Relaxed);
        panic!("{prefix}: {args}");
    }

    /// Runs a named sub-test; failures inside it name it. A top-level sub-test is recorded for
    /// the coverage manifest when recording is on (natively), and skipped in list-only mode.
    pub fn sub(&self, name: &'static str, body: impl FnOnce(&Ctx)) {
        let outer = with_current(|c| c.sub.replace(name));
        if !outer.is_empty() || coverage::reach(name) {
            body(self);
        }
        with_current(|c| c.sub.set(outer));
    }

    /// The name of the innermost sub-test running now (empty outside sub-tests).
    pub fn sub_name(&self) -> &'static str {
        with_current(|c| c.sub.get())
    }

    /// A random generator for this test, derived from the seed and a stream of labels, so that
    /// independent parts (heap `k` of chunk `c`, say) draw independent, reproducible numbers.
    pub fn rng(&self, stream: &[u64]) -> Rng {
        Rng::derive(self.seed, stream)
    }
}

/// Set when a failure came through [`Ctx::fail`], whose message already has the prefix.
pub static FAILING: AtomicBool = AtomicBool::new(false);

/// Runs `body` as module `module` under `seed` at depth `scale`: the single code path of wasm
/// exports, native tests and probes (native tests also hold the run to the coverage manifest,
/// one layer up). A scale of 0 fails the run: no depth means no test.
pub fn run_module(module: &'static str, seed: u64, scale: u32, body: impl FnOnce(&Ctx)) {
    with_current(|c| {
        c.module.set(module);
        c.sub.set("");
        c.seed.set(seed);
    });
    let ctx = Ctx {
        module,
        seed,
        scale,
    };
    if scale == 0 {
        ctx.fail(format_args!("scale must be at least 1, got 0"));
    }
    body(&ctx);
}

/// The depth of native runs: `RTS_SCALE` (default 1), as `scaled_<module>(seed, scale)` gives it
/// on wasm.
#[cfg(not(target_family = "wasm"))]
pub fn native_scale() -> u32 {
    match std::env::var("RTS_SCALE") {
        Err(_) => 1,
        Ok(s) => s
            .parse()
            .unwrap_or_else(|_| panic!("RTS_SCALE must be a positive integer, got '{s}'")),
    }
}

/// Recording which top-level sub-tests a module reaches, for the coverage manifest
/// (`crate::manifest`). Natively, recording is per thread; on wasm it is always off.
pub mod coverage {
    #[cfg(not(target_family = "wasm"))]
    use alloc::vec::Vec;
    #[cfg(not(target_family = "wasm"))]
    use core::cell::RefCell;

    #[cfg(not(target_family = "wasm"))]
    struct Recording {
        list_only: bool,
        reached: Vec<&'static str>,
    }

    #[cfg(not(target_family = "wasm"))]
    std::thread_local! {
        static RECORDING: RefCell<Option<Recording>> = const { RefCell::new(None) };
    }

    /// Notes that top-level sub-test `name` was reached; returns whether to run its body.
    #[cfg(not(target_family = "wasm"))]
    pub fn reach(name: &'static str) -> bool {
        RECORDING.with(|r| match r.borrow_mut().as_mut() {
            Some(rec) => {
                rec.reached.push(name);
                !rec.list_only
            }
            None => true,
        })
    }

    /// Notes that top-level sub-test `name` was reached; returns whether to run its body.
    #[cfg(target_family = "wasm")]
    pub fn reach(_name: &'static str) -> bool {
        true
    }

    /// Runs `f` while recording; returns the top-level sub-tests reached, in order. In
    /// `list_only` mode the sub-tests' bodies are skipped, so listing a module is instant.
    #[cfg(not(target_family = "wasm"))]
    pub fn record(list_only: bool, f: impl FnOnce()) -> Vec<&'static str> {
        RECORDING.with(|r| {
            *r.borrow_mut() = Some(Recording {
                list_only,
                reached: Vec::new(),
            })
        });
        f();
        RECORDING.with(|r| {
            r.borrow_mut()
                .take()
                .map(|rec| rec.reached)
                .unwrap_or_default()
        })
    }

    /// The top-level sub-tests that `module` reaches under `seed` (bodies skipped if
    /// `list_only`).
    #[cfg(not(target_family = "wasm"))]
    pub fn reached_by(module: &super::Module, seed: u64, list_only: bool) -> Vec<&'static str> {
        record(list_only, || {
            super::run_module(module.name, seed, 1, |ctx| module.run(ctx))
        })
    }
}

/// A failure caught natively by [`catch`]: where it was raised and what it said.
#[cfg(not(target_family = "wasm"))]
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Failure {
    /// `file:line:column` of the failing check ([`Ctx::fail`] reports its caller's) or panic:
    /// the *kind of check* that failed, whatever the values in the message.
    pub location: alloc::string::String,
    /// The panic message (with the `FAIL ...` prefix for failures through [`Ctx::fail`]).
    pub message: alloc::string::String,
}

#[cfg(not(target_family = "wasm"))]
std::thread_local! {
    /// While [`catch`] runs on this thread: the failure seen (the panic hook stays silent).
    static CAUGHT: core::cell::RefCell<Option<Option<Failure>>> = const { core::cell::RefCell::new(None) };
}

/// Runs `f`, catching a failure or panic instead of unwinding further (and without printing it):
/// the base of recording and replaying failing runs natively.
#[cfg(not(target_family = "wasm"))]
pub fn catch<R>(f: impl FnOnce() -> R) -> Result<R, Failure> {
    static HOOK: std::sync::Once = std::sync::Once::new();
    HOOK.call_once(|| {
        let earlier = std::panic::take_hook();
        std::panic::set_hook(alloc::boxed::Box::new(move |info| {
            let quiet = CAUGHT.with(|c| match c.borrow_mut().as_mut() {
                Some(slot) => {
                    let payload = info.payload();
                    let message = payload
                        .downcast_ref::<alloc::string::String>()
                        .cloned()
                        .or_else(|| payload.downcast_ref::<&str>().map(|s| (*s).into()))
                        .unwrap_or_default();
                    let location = info
                        .location()
                        .map(|l| alloc::format!("{}:{}:{}", l.file(), l.line(), l.column()))
                        .unwrap_or_default();
                    *slot = Some(Failure { location, message });
                    true
                }
                None => false,
            });
            if !quiet {
                earlier(info)
            }
        }));
    });
    let outer = CAUGHT.with(|c| c.replace(Some(None)));
    let out = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f));
    let seen = CAUGHT.with(|c| c.replace(outer)).flatten();
    FAILING.store(false, Ordering::Relaxed);
    out.map_err(|_| {
        seen.unwrap_or_else(|| Failure {
            location: alloc::string::String::new(),
            message: "panicked without a message".into(),
        })
    })
}

/// Fails the test unless `cond` holds.
macro_rules! check {
    ($ctx:expr, $cond:expr, $($fmt:tt)+) => {
        if !$cond {
            $ctx.fail(format_args!($($fmt)+))
        }
    };
}

/// Fails the test unless `actual == expected`, printing both.
macro_rules! check_eq {
    ($ctx:expr, $actual:expr, $expected:expr, $($fmt:tt)+) => {{
        let (actual, expected) = (&$actual, &$expected);
        if actual != expected {
            $ctx.fail(format_args!(
                "{}: expected {:?}, actual {:?}",
                format_args!($($fmt)+),
                expected,
                actual
            ))
        }
    }};
}

/// A sub-test table from the functions that run the sub-tests, each named after its function:
/// `tests![a, b]` is `&[("a", a), ("b", b)]`, so every name is written once.
macro_rules! tests {
    ($($f:ident),* $(,)?) => {
        &[$((stringify!($f), $f)),*]
    };
}

pub(crate) use {check, check_eq, tests};

/// A seeded pseudo-random generator (PCG via `oorandom`) with the helpers tests need.
#[derive(Clone)]
pub struct Rng(oorandom::Rand64);

/// SplitMix64 finalizer: spreads the bits of a seed so nearby seeds give unrelated streams.
const fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

impl Rng {
    /// A generator for `seed` and the labels in `stream`.
    pub fn derive(seed: u64, stream: &[u64]) -> Self {
        let mut h = mix(seed);
        for &s in stream {
            h = mix(h ^ mix(s));
        }
        let lo = mix(h ^ 0x5151);
        Rng(oorandom::Rand64::new(
            (u128::from(h) << 64) | u128::from(lo),
        ))
    }

    /// A uniformly random `u64`.
    pub fn u64(&mut self) -> u64 {
        self.0.rand_u64()
    }

    /// A uniformly random number in `0..n`; `n` must be positive.
    pub fn below(&mut self, n: u64) -> u64 {
        debug_assert!(n > 0);
        self.0.rand_range(0..n)
    }

    /// A uniformly random index in `0..n`; `n` must be positive.
    pub fn index(&mut self, n: usize) -> usize {
        self.below(n as u64) as usize
    }

    /// True with probability `percent / 100`.
    pub fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }

    /// A number whose magnitude is spread over all bit lengths (small values as likely as huge
    /// ones), which finds edge cases faster than a uniform draw.
    pub fn u64_any_width(&mut self) -> u64 {
        let bits = self.below(65) as u32;
        match bits {
            0 => 0,
            64 => self.u64(),
            b => self.u64() & ((1u64 << b) - 1),
        }
    }

    /// `len` random bytes.
    pub fn bytes(&mut self, len: usize) -> alloc::vec::Vec<u8> {
        (0..len).map(|_| self.u64() as u8).collect()
    }
}
