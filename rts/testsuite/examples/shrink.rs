//! `shrink`: cuts a failing random collector heap down to a small heap script that fails the
//! same check, and prints it in `gc_predefined`'s source form with the sizes before and after.
//!
//! ```text
//! cargo run -p rts-testsuite --example shrink -- --module gc_chunk_3 --seed 7 \
//!     [--scale N] --sub "copying heap 4" [--max-replays N] [--out FILE] [--fault NAME]
//! ```
//! `--fault` (builds with the `planted-faults` feature) plants a collector bug first. Exit status
//! 0 with the script on stdout (or in `--out`, written atomically); 1 when the sub-test passes or
//! cannot be shrunk; 2 for bad arguments.

use rts_testsuite::shrink::{shrink, Sizes, Target};
use std::process::ExitCode;

const USAGE: &str = "usage: shrink --module M --seed S [--scale N] --sub \"NAME\" [--max-replays N] [--out FILE] [--fault NAME]";

struct Args {
    module: String,
    seed: u64,
    scale: u32,
    sub: String,
    max_replays: usize,
    out: Option<String>,
    fault: Option<String>,
}

fn parse(mut argv: impl Iterator<Item = String>) -> Result<Args, String> {
    let (mut module, mut seed, mut sub, mut out, mut fault) = (None, None, None, None, None);
    let mut max_replays = 4000;
    let mut scale = 1;
    while let Some(a) = argv.next() {
        let mut value = || argv.next().ok_or(format!("{a} needs a value"));
        match a.as_str() {
            "--module" => module = Some(value()?),
            "--seed" => {
                let v = value()?;
                seed = Some(v.parse().map_err(|e| format!("--seed {v:?}: {e}"))?)
            }
            "--scale" => {
                let v = value()?;
                scale = v
                    .parse()
                    .ok()
                    .filter(|&n: &u32| n > 0)
                    .ok_or(format!("--scale {v:?}: expected a positive integer"))?
            }
            "--sub" => sub = Some(value()?),
            "--max-replays" => {
                let v = value()?;
                max_replays = v.parse().map_err(|e| format!("--max-replays {v:?}: {e}"))?
            }
            "--out" => out = Some(value()?),
            "--fault" => fault = Some(value()?),
            "-h" | "--help" => return Err(USAGE.into()),
            _ => return Err(format!("unknown argument {a:?}")),
        }
    }
    Ok(Args {
        module: module.ok_or("--module is required")?,
        seed: seed.ok_or("--seed is required")?,
        scale,
        sub: sub.ok_or("--sub is required")?,
        max_replays,
        out,
        fault,
    })
}

#[cfg(feature = "planted-faults")]
fn plant(name: Option<&str>) -> Result<(), String> {
    use rts_testsuite::fixtures::faults::{plant, Fault, FAULTS};
    if let Some(n) = name {
        let f = Fault::named(n).ok_or_else(|| {
            let names: Vec<&str> = FAULTS.iter().map(|f| f.1).collect();
            format!("unknown fault {n:?}; faults: {names:?}")
        })?;
        plant(Some(f));
    }
    Ok(())
}

#[cfg(not(feature = "planted-faults"))]
fn plant(name: Option<&str>) -> Result<(), String> {
    match name {
        Some(_) => Err("--fault needs a build with --features planted-faults".into()),
        None => Ok(()),
    }
}

/// Writes `text` to `path` through a temporary file beside it.
fn write_atomically(path: &str, text: &str) -> std::io::Result<()> {
    let tmp = format!("{path}.tmp{}", std::process::id());
    std::fs::write(&tmp, text)?;
    std::fs::rename(&tmp, path)
}

fn main() -> ExitCode {
    let args = match parse(std::env::args().skip(1)) {
        Ok(a) => a,
        Err(e) => {
            eprintln!("shrink: {e}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let target = match Target::find(&args.module, &args.sub, args.seed, args.scale)
        .and_then(|t| plant(args.fault.as_deref()).map(|()| t))
    {
        Ok(t) => t,
        Err(e) => {
            eprintln!("shrink: {e}");
            return ExitCode::from(2);
        }
    };
    let shrunk = match shrink(&target, args.max_replays) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("shrink: {e}");
            return ExitCode::from(1);
        }
    };
    eprintln!("shrink: fails at {}", shrunk.failure.location);
    eprintln!("shrink: original failure: {}", shrunk.failure.message);
    eprintln!(
        "shrink: shrunk failure:   {}",
        shrunk.shrunk_failure.message
    );
    eprintln!("shrink: before: {}", Sizes::of(&shrunk.original));
    eprintln!("shrink: after:  {}", Sizes::of(&shrunk.script));
    eprintln!("shrink: {} replays", shrunk.replays);
    let text = shrunk.source(&target);
    match args.out {
        Some(p) => {
            if let Err(e) = write_atomically(&p, &text) {
                eprintln!("shrink: writing {p}: {e}");
                return ExitCode::from(1);
            }
        }
        None => print!("{text}"),
    }
    ExitCode::SUCCESS
}
