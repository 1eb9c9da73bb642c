//! The command line of `bench` and the context its steps share.

use super::doc::BenchReport;
use super::metrics::Table;
use super::nix::Nix;
use crate::variants::{self, Built, Variants};
use std::path::PathBuf;

/// The variant whose module the overhead probes run by default.
const DEFAULT_PROBE_VARIANT: &str = "inc";

/// `rts-shards bench`.
#[derive(Debug, clap::Args)]
#[command(
    about = "Measure the suite's performance figures on this machine, each next to its target",
    long_about = "Measure the suite's performance figures on this machine, each next to its target.\n\n\
        Steps (all by default; --steps selects some, --skip-nix drops those that need Nix):\n  \
        1 sequential: build the variants with `nix build .#packages.<system>.rts-<v>` (timed; \
        usually cached), then run every shard with 1 job (the `run` machinery). The sum of the \
        shard times is the total work W.\n  \
        2 local parallel: the same with --jobs N; wall and efficiency W/(wall x N).\n  \
        3 Nix cold: one warm-up `nix flake check` so that every check (the project checks too) \
        is built, then the shard outputs, the variants' and the standard libraries' are \
        deleted (`nix store delete`) and `nix flake check --max-jobs N` is timed with every \
        build's interval as Nix reports it: wall; the work W_cold, the sum of all those \
        intervals (standard libraries, variants, shards and the checks that read them); \
        W_cold/(wall x N); and W_nix/(wall x N) for the shards' own times alone.\n  \
        4 Nix warm no-op: the same flake check again, --runs times; its median wall as a \
        fraction of the cold wall (target <= 5%).\n  \
        5 per-shard overhead: (a) probe_empty run as a shard runs it (nix/run-shard.sh, \
        `wasmtime run -C cache=n ... --allow-precompiled --invoke probe_empty <cwasm> 0`) \
        --repeat K times, mean of the times it measures; (b) the same on the .wasm, compiled on \
        every run, and the ratio b/a (target >= 5x); (c) K fresh shard derivations of \
        probe_empty (seeds from the clock, never cached) built by one \
        `nix build --impure --expr '[ ... ]' --max-jobs N`: wall/K (target <= 50 ms). One \
        untimed run precedes (a) and (b).\n  \
        6 rerun sets: in a temporary copy of the tracked files (git init + add), append a \
        comment to README.md, tools/src/main.rs, a test module and a file only the incremental \
        collector uses, one at a time, and count the shard checks whose drvPath changes \
        (targets: README 0, tools 0; the others rerun the affected variants).\n  \
        7 critical path: the longest shard's share of W (target <= 5%) and LPT makespans for \
        8, 32 and 72 builders (plan's simulation of step 1's times) against the lower bound \
        max(longest, W/N) (target ratio <= 1.10 for 8 and 32), beside the makespan of the \
        order Nix itself starts builds in (derivation names ascending; see `plan --help`).\n  \
        8 edit to verdict: in a temporary copy of the tracked files (git init + add), after a \
        warm-up flake check there, `nix flake check --max-jobs N` is timed (a) after a line \
        appended to a collector's file, (b) after a line appended to a test module, (c) with \
        no change (--runs times). (a) and (b) are split into the time to the first shard's own \
        start and the rest (targets: first shard <= 15 s, verdict <= W/N + 20 s, W the \
        shards' own times in that run); (c) target < 1 s.\n  \
        9 evaluation cost: `nix eval --json .#checks.<system> --apply (drvPath of each)` of the \
        flake, and of `lib.shard` over the matrix with 1, 10 and 100 seeds per shard \
        (`--impure --expr`), --runs times each, no evaluation cache: seconds per shard.\n\n\
        Nix runs with the flags tools/nix-flags.sh prints: the strict stand-in for nixpkgs \
        with the sandbox on, unless RTS_SHARDS_NIXPKGS=real; `--expr` builds use \
        nix/standin.nix, or the flake's lib with RTS_SHARDS_NIXPKGS=real. Step 3 deletes the shards' store outputs (and with \
        --cold-variants the variants'); it fails if something else keeps them alive (a result \
        link, say). Nix's output is captured; the end of it is shown when a command fails.\n\n\
        The table goes to stdout line by line as figures come in, progress to stderr. \
        --filter narrows the shards of steps 1-3 and 7 (and which shard outputs step 3 \
        deletes), for a quick run on a subset.\n\n\
        The JSON document (--json) is written again after every step, atomically, so a late \
        failure keeps what was measured. `--table FILE` prints the README's performance table \
        from such a document and measures nothing; with `--check-readme README.md` it checks \
        that the README holds exactly that table between its bench-table markers, with \
        `--update-readme README.md` it writes it there.\n\n\
        Exit status: 0 when everything was measured, even if targets are missed (it is a \
        measurement, not a test); 2 when something could not be measured (a command failed, a \
        usage error). Shards that fail are reported as a warning and their times still count."
)]
pub struct Args {
    /// Parallel jobs for steps 2, 3 and 5c [default: number of CPUs]
    #[arg(long, short = 'j', value_name = "N")]
    pub jobs: Option<usize>,
    /// Repetitions K of each overhead probe (step 5)
    #[arg(long, value_name = "K", default_value_t = 20,
          value_parser = clap::value_parser!(u32).range(1..))]
    pub repeat: u32,
    /// Only shards whose name or module matches this glob (repeatable), as in `run --filter`
    #[arg(long, value_name = "GLOB")]
    pub filter: Vec<String>,
    /// Run only these steps, comma separated (figures that need a skipped step are n/a)
    #[arg(long, value_name = "N,...", value_delimiter = ',',
          default_value = "1,2,3,4,5,6,7,8,9",
          value_parser = clap::value_parser!(u8).range(1..=9))]
    pub steps: Vec<u8>,
    /// Repetitions R of the short figures: no-op flake checks (steps 4, 8c), probe builds
    /// (5c), evaluations (9); each reported as min/median/max
    #[arg(long, value_name = "R", default_value_t = 5,
          value_parser = clap::value_parser!(u32).range(1..))]
    pub runs: u32,
    /// Print the README's performance table from this bench document and measure nothing
    #[arg(long, value_name = "FILE")]
    pub table: Option<PathBuf>,
    /// With --table: instead of printing, check that this README holds the table between its
    /// bench-table markers (exit status 1, with the first difference, when not)
    #[arg(long, value_name = "README", requires = "table")]
    pub check_readme: Option<PathBuf>,
    /// With --table: write the table between this README's bench-table markers (atomically)
    #[arg(
        long,
        value_name = "README",
        requires = "table",
        conflicts_with = "check_readme"
    )]
    pub update_readme: Option<PathBuf>,
    /// No Nix: only steps 1, 2, 5a/b and 7, on variants from --built/--wasm or built with
    /// nix/build-variant.sh
    #[arg(long)]
    pub skip_nix: bool,
    /// Delete the variant outputs first and time their rebuild (instead of a cached build)
    #[arg(long, conflicts_with = "skip_nix")]
    pub cold_variants: bool,
    /// The variant whose module the overhead probes (step 5) run
    #[arg(long, value_name = "VARIANT", default_value = DEFAULT_PROBE_VARIANT)]
    pub probe_variant: String,
    /// Write the figures as JSON here (atomically)
    #[arg(long, value_name = "FILE")]
    pub json: Option<PathBuf>,
    /// With --skip-nix: directory of built variants DIR/<variant>/rts_testsuite.{wasm,cwasm}
    #[arg(long, value_name = "DIR", requires = "skip_nix")]
    pub built: Option<PathBuf>,
    /// With --skip-nix: a variant's module (repeatable), e.g. --wasm ni=x/rts_testsuite.wasm
    #[arg(long, value_name = "VARIANT=PATH", value_parser = variants::parse_wasm_pair,
          requires = "skip_nix")]
    pub wasm: Vec<(String, PathBuf)>,
    /// The wasmtime binary [default: wasmtime on PATH, else /opt/rts-shards/wasmtime/bin/wasmtime]
    #[arg(long, value_name = "PATH")]
    pub wasmtime: Option<PathBuf>,
}

/// What the steps share: the settings, the table and document being filled, and what earlier
/// steps measured for later ones.
pub(super) struct Ctx {
    pub(super) args: Args,
    pub(super) root: PathBuf,
    pub(super) vs: Variants,
    pub(super) jobs: usize,
    /// Repetitions of the short figures (--runs).
    pub(super) runs: usize,
    pub(super) steps: Vec<u8>,
    pub(super) wasmtime: PathBuf,
    pub(super) nix: Option<Nix>,
    pub(super) table: Table,
    pub(super) report: BenchReport,
    /// The variants' modules (steps 1, 2 and 5).
    pub(super) built: Vec<Built>,
    /// How long step 1's variant builds took, when they were built.
    pub(super) variant_build_seconds: Option<f64>,
    /// Step 1: the total work W and each shard's time.
    pub(super) work: Option<f64>,
    pub(super) seq_times: Vec<(String, f64)>,
    /// Step 3: the cold flake check's wall, for step 4.
    pub(super) cold_wall: Option<f64>,
}

impl Ctx {
    pub(super) fn step(&self, n: u8) -> bool {
        self.steps.contains(&n)
    }

    /// Runs step `n` with Nix, if the step is selected and Nix is in use: `f` gets the context
    /// and Nix apart (Nix is taken out for the call and put back, whatever `f` returns).
    pub(super) fn with_nix(
        &mut self,
        n: u8,
        f: impl FnOnce(&mut Ctx, &Nix) -> anyhow::Result<()>,
    ) -> anyhow::Result<()> {
        // Step first: taking Nix for an unselected step would be harmless, but checking after
        // `take` and returning early would drop it for every later step.
        if !self.step(n) {
            return Ok(());
        }
        let Some(nix) = self.nix.take() else {
            return Ok(());
        };
        let r = f(self, &nix);
        self.nix = Some(nix);
        r
    }

    /// Records a warning: printed now, listed at the end and in the document.
    pub(super) fn warn(&mut self, w: String) {
        eprintln!("warning: {w}");
        self.report.warnings.push(w);
    }
}
