//! How `bench` calls Nix and other commands: timed runs with captured output, the flake flags
//! that pick nixpkgs, store queries and deletions, and parsing of their output.
//!
//! Two readings of when things ran:
//! - a shard's own timing (`shard_timing`): the `rts-shard-timing {json}` line nix/run-shard.sh
//!   prints to the build log, read by `report::times_of` (the one reader of that line);
//! - every build's interval as Nix saw it (`timed_builds`): the command runs with
//!   `--log-format internal-json`, its stderr is read as it comes and each build activity's
//!   `start` and `stop` lines (type 105, `actBuild`) are stamped with the time they arrived.
//!   Nix 2.8 sends the `stop` of a build it was asked for on the command line only when the
//!   whole command ends, so a build ends at its `stop` or at its last log line (`result` type
//!   101), whichever is first; every builder here prints a line as its last act.

use anyhow::{Context, Result, bail};
use std::collections::BTreeMap;
use std::io::BufRead;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

/// When a shard ran and what it cost, by its own clock.
pub type ShardTiming = crate::result::Times;

/// One build as Nix ran it: the derivation and its interval, in seconds from the command's start.
#[derive(Debug, Clone, PartialEq)]
pub struct BuildSpan {
    pub drv: String,
    pub start: f64,
    pub stop: f64,
}

impl BuildSpan {
    /// The derivation's name: `/nix/store/<hash>-<name>.drv` -> `<name>`.
    pub fn name(&self) -> &str {
        let base = self.drv.rsplit('/').next().unwrap_or(&self.drv);
        let base = base.strip_suffix(".drv").unwrap_or(base);
        base.split_once('-').map_or(base, |(_, n)| n)
    }

    pub fn seconds(&self) -> f64 {
        self.stop - self.start
    }
}

/// One line of Nix's stderr under `--log-format internal-json`, parsed once.
#[derive(Debug, Clone, PartialEq)]
pub enum NixLine {
    /// A build activity starts (`start`, type 105, `actBuild`): its id and derivation.
    BuildStart(u64, String),
    /// An activity (of any type) stops.
    Stop(u64),
    /// A build log line (`result` type 101): its activity (if named) and text.
    Log(Option<u64>, String),
    /// A message (`msg`), or a line that is not internal-json at all.
    Message(String),
    /// Any other internal-json line (or a malformed one).
    Other,
}

/// Parses one line of Nix's stderr (see [`NixLine`]).
pub fn parse_line(line: &str) -> NixLine {
    let Some(json) = line.strip_prefix("@nix ") else {
        return NixLine::Message(line.to_string());
    };
    let Ok(v) = serde_json::from_str::<serde_json::Value>(json) else {
        return NixLine::Other;
    };
    let id = v.get("id").and_then(|i| i.as_u64());
    let ty = v.get("type").and_then(|t| t.as_u64());
    let field0 = || v.get("fields")?.get(0)?.as_str().map(str::to_string);
    match (v.get("action").and_then(|a| a.as_str()), id, ty) {
        (Some("start"), Some(id), Some(105)) => {
            field0().map_or(NixLine::Other, |drv| NixLine::BuildStart(id, drv))
        }
        (Some("stop"), Some(id), _) => NixLine::Stop(id),
        (Some("result"), _, Some(101)) => {
            field0().map_or(NixLine::Other, |text| NixLine::Log(id, text))
        }
        (Some("msg"), _, _) => v
            .get("msg")
            .and_then(|m| m.as_str())
            .map_or(NixLine::Other, |m| NixLine::Message(m.to_string())),
        _ => NixLine::Other,
    }
}

/// Pairs stamped build events into spans (sorted by start). A build ends at its stop or at its
/// last log line (`last_log`, by activity id), whichever is first; without either, at `end`.
pub fn build_spans(
    events: &[(f64, u64, Option<String>)],
    last_log: &BTreeMap<u64, f64>,
    end: f64,
) -> Vec<BuildSpan> {
    let mut open: BTreeMap<u64, (String, f64)> = BTreeMap::new();
    let mut spans = Vec::new();
    let stop_of = |id: &u64, t: f64| last_log.get(id).map_or(t, |&l| l.min(t));
    for (t, id, drv) in events {
        match drv {
            Some(d) => {
                open.insert(*id, (d.clone(), *t));
            }
            None => {
                if let Some((drv, start)) = open.remove(id) {
                    spans.push(BuildSpan {
                        drv,
                        start,
                        stop: stop_of(id, *t),
                    });
                }
            }
        }
    }
    spans.extend(open.into_iter().map(|(id, (drv, start))| BuildSpan {
        drv,
        start,
        stop: stop_of(&id, end),
    }));
    spans.sort_by(|a, b| a.start.total_cmp(&b.start).then(a.drv.cmp(&b.drv)));
    spans
}

/// The last `n` lines of `text`.
pub fn last_lines(text: &str, n: usize) -> String {
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}

/// Runs a command to completion with stdout and stderr captured; returns its wall time and
/// stdout. A failure is an error quoting the end of its stderr.
pub fn timed(cmd: &mut Command, what: &str) -> Result<(f64, String)> {
    let start = Instant::now();
    let out = cmd
        .stdin(Stdio::null())
        .output()
        .with_context(|| format!("cannot run {what}"))?;
    let wall = start.elapsed().as_secs_f64();
    if !out.status.success() {
        bail!(
            "{what} failed ({}):\n{}",
            out.status,
            last_lines(&String::from_utf8_lossy(&out.stderr), 30)
        );
    }
    Ok((wall, String::from_utf8_lossy(&out.stdout).into_owned()))
}

/// Runs a Nix command that has `--log-format internal-json`, stamping each build's start and
/// stop as its line arrives; returns the wall time and the builds. A failure is an error quoting
/// the end of the messages.
pub fn timed_builds(cmd: &mut Command, what: &str) -> Result<(f64, Vec<BuildSpan>)> {
    let start = Instant::now();
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .with_context(|| format!("cannot run {what}"))?;
    let stderr = child.stderr.take().context("no stderr pipe")?;
    let mut events = Vec::new();
    let mut messages: Vec<String> = Vec::new();
    let mut json_lines = 0usize;
    let mut last_log = BTreeMap::new();
    for line in std::io::BufReader::new(stderr).lines() {
        let line = line.unwrap_or_default();
        let t = start.elapsed().as_secs_f64();
        json_lines += usize::from(line.starts_with("@nix "));
        let msg = match parse_line(&line) {
            NixLine::BuildStart(id, drv) => {
                events.push((t, id, Some(drv)));
                continue;
            }
            NixLine::Stop(id) => {
                events.push((t, id, None));
                continue;
            }
            NixLine::Log(id, text) => {
                if let Some(id) = id {
                    last_log.insert(id, t);
                }
                text
            }
            NixLine::Message(text) => text,
            NixLine::Other => continue,
        };
        messages.push(msg);
        if messages.len() > 200 {
            messages.drain(..100);
        }
    }
    let status = child
        .wait()
        .with_context(|| format!("cannot wait for {what}"))?;
    let wall = start.elapsed().as_secs_f64();
    if !status.success() {
        bail!(
            "{what} failed ({status}):\n{}",
            last_lines(&messages.join("\n"), 30)
        );
    }
    // Without internal-json there are no build events, and every figure built on them would be
    // zero instead of missing.
    if json_lines == 0 {
        bail!(
            "{what} printed no internal-json (a later --log-format or --print-build-logs \
             replaces it); its messages:\n{}",
            last_lines(&messages.join("\n"), 30)
        );
    }
    Ok((wall, build_spans(&events, &last_log, wall)))
}

pub fn progress(msg: &str) {
    eprintln!("bench: {msg}");
}

/// How to call Nix: the repository, the system and the flags that pick nixpkgs.
pub struct Nix {
    pub root: PathBuf,
    pub system: String,
    pub real: bool,
    /// Options for every command (`tools/nix-flags.sh --opts`): with the stand-in, the sandbox
    /// and the host files it may see.
    opts: Vec<String>,
    /// Options for flake commands (`tools/nix-flags.sh`): `opts` and the nixpkgs override.
    flake: Vec<String>,
}

impl Nix {
    /// Reads the flags from `tools/nix-flags.sh` of `root` (the one definition of them), for the
    /// stand-in unless `real`. The override names `root`'s stand-in, which serves any copy of
    /// the checkout too.
    pub fn new(root: PathBuf, system: String, real: bool) -> Result<Nix> {
        let flags = |extra: &[&str]| -> Result<Vec<String>> {
            let script = root.join("tools").join("nix-flags.sh");
            let mut cmd = Command::new("bash");
            cmd.arg(&script)
                .args(extra)
                .env("RTS_SHARDS_NIXPKGS", if real { "real" } else { "host" });
            let (_, out) = timed(&mut cmd, "tools/nix-flags.sh")?;
            Ok(out.lines().map(str::to_string).collect())
        };
        let opts = flags(&["--opts"])?;
        let flake = flags(&[])?;
        Ok(Nix {
            root,
            system,
            real,
            opts,
            flake,
        })
    }

    /// `nix <args>` in `dir`, with the options, and the flake flags when `flake` is set.
    pub fn cmd(&self, dir: &Path, args: &[&str], flake: bool) -> Command {
        let mut c = Command::new("nix");
        c.current_dir(dir).args(args);
        c.args(if flake { &self.flake } else { &self.opts });
        c
    }

    /// `nix eval --json .#<attr> --apply 'x: builtins.mapAttrs (n: d: d.<field>) x'` in `dir`.
    pub fn eval_map(
        &self,
        dir: &Path,
        attr: &str,
        field: &str,
    ) -> Result<BTreeMap<String, String>> {
        let installable = format!(".#{attr}");
        let apply = format!("x: builtins.mapAttrs (n: d: d.{field}) x");
        let (_, out) = timed(
            &mut self.cmd(
                dir,
                &["eval", "--json", &installable, "--apply", &apply],
                true,
            ),
            &format!("nix eval {installable} ({field})"),
        )?;
        string_map(&out)
    }

    /// `nix flake check --max-jobs N` in the repository; its wall time.
    pub fn flake_check(&self, jobs: usize) -> Result<f64> {
        let n = jobs.to_string();
        Ok(timed(
            &mut self.cmd(&self.root, &["flake", "check", "--max-jobs", &n], true),
            "nix flake check",
        )?
        .0)
    }

    /// `nix flake check --max-jobs N` in `dir`, with every build's interval as Nix saw it.
    pub fn flake_check_builds(&self, dir: &Path, jobs: usize) -> Result<(f64, Vec<BuildSpan>)> {
        let n = jobs.to_string();
        let mut cmd = self.cmd(dir, &["flake", "check", "--max-jobs", &n], true);
        // Last: Nix applies logging options in order, and the flake flags' --print-build-logs
        // would otherwise put back the default format.
        cmd.args(["--log-format", "internal-json"]);
        timed_builds(&mut cmd, "nix flake check")
    }

    /// A shard output's timing: the `rts-shard-timing` line of its build log.
    pub fn shard_timing(&self, out_path: &str) -> Result<ShardTiming> {
        crate::report::times_of(Path::new(out_path))
    }

    /// The GC roots that keep `path` alive (`nix-store --query --roots`), e.g. a result link.
    pub fn roots(&self, path: &str) -> Result<Vec<String>> {
        if !Path::new(path).exists() {
            return Ok(Vec::new());
        }
        let (_, out) = timed(
            Command::new("nix-store").args(["--query", "--roots", path]),
            "nix-store --query --roots",
        )?;
        Ok(gc_roots(&out))
    }

    /// `nix store delete` of the paths that exist, together with the store paths that refer to
    /// them (e.g. the Hydra aggregate `all-shards`, which Nix would otherwise keep them alive
    /// for); returns those extra referrers. A path reachable from a GC root is an error.
    pub fn delete(&self, paths: &[String]) -> Result<Vec<String>> {
        let existing: Vec<&str> = paths
            .iter()
            .filter(|p| Path::new(p).exists())
            .map(String::as_str)
            .collect();
        if existing.is_empty() {
            return Ok(Vec::new());
        }
        let mut q = Command::new("nix-store");
        q.args(["--query", "--referrers-closure"]).args(&existing);
        let (_, out) = timed(&mut q, "nix-store --query --referrers-closure")?;
        let closure: Vec<String> = out.lines().map(str::to_string).collect();
        let extra = extra_referrers(&existing, &closure);
        let mut args = vec!["store", "delete"];
        args.extend(existing.iter().copied());
        args.extend(extra.iter().map(String::as_str));
        timed(
            &mut self.cmd(&self.root, &args, false),
            "nix store delete (is a result link or another process keeping the paths alive? \
             see nix-store --query --roots PATH)",
        )?;
        Ok(extra)
    }
}

/// The roots in `nix-store --query --roots` output (`<root> -> <path>` lines); running
/// processes (`/proc/...`) count, as they keep a path alive too.
pub fn gc_roots(out: &str) -> Vec<String> {
    out.lines()
        .filter_map(|l| l.split(" -> ").next())
        .map(str::trim)
        .filter(|r| !r.is_empty())
        .map(str::to_string)
        .collect()
}

/// The paths of a referrers closure that are not among the paths asked for, sorted.
pub fn extra_referrers(asked: &[&str], closure: &[String]) -> Vec<String> {
    let mut v: Vec<String> = closure
        .iter()
        .map(|p| p.trim())
        .filter(|p| !p.is_empty() && !asked.contains(p))
        .map(str::to_string)
        .collect();
    v.sort();
    v.dedup();
    v
}

pub fn nix_version() -> Result<String> {
    let (_, out) = timed(
        Command::new("nix").arg("--version"),
        "nix --version (is Nix installed? use --skip-nix otherwise)",
    )?;
    Ok(out.trim().to_string())
}

pub fn nix_system() -> Result<String> {
    let (_, out) = timed(
        Command::new("nix").args([
            "eval",
            "--impure",
            "--raw",
            "--expr",
            "builtins.currentSystem",
        ]),
        "nix eval builtins.currentSystem",
    )?;
    Ok(out.trim().to_string())
}

pub fn unix_nanos() -> u128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0)
}

/// Out paths of `nix build --json` output (not necessarily in the order of the installables).
pub fn build_json_out_paths(text: &str) -> Result<Vec<String>> {
    let v: serde_json::Value =
        serde_json::from_str(text).context("malformed `nix build --json` output")?;
    let arr = v
        .as_array()
        .context("`nix build --json` output is not an array")?;
    arr.iter()
        .map(|e| {
            e.get("outputs")
                .and_then(|o| o.get("out"))
                .and_then(|o| o.as_str())
                .map(str::to_string)
                .context("`nix build --json` entry without outputs.out")
        })
        .collect()
}

/// The store path among `paths` whose name (after the hash) is `name`.
pub fn store_path_named<'a>(paths: &'a [String], name: &str) -> Option<&'a String> {
    paths.iter().find(|p| {
        Path::new(p)
            .file_name()
            .and_then(|f| f.to_str())
            .and_then(|f| f.split_once('-'))
            .is_some_and(|(_, n)| n == name)
    })
}

/// A `nix eval --json` name -> string map.
pub fn string_map(text: &str) -> Result<BTreeMap<String, String>> {
    serde_json::from_str(text).context("malformed `nix eval --json` output (expected name -> path)")
}

/// The Nix expression of the flake's `lib.shard` for `--impure --expr` in the repository.
pub fn shard_lib_expr(real_nixpkgs: bool) -> &'static str {
    if real_nixpkgs {
        "(builtins.getFlake (toString ./.)).lib.${builtins.currentSystem}.shard"
    } else {
        "(import ./nix/standin.nix).lib.shard"
    }
}

/// The Nix expression building `seeds.len()` probe shards (step 5c).
pub fn probe_expr(real_nixpkgs: bool, variant: &str, seeds: &[u64]) -> String {
    let shard = shard_lib_expr(real_nixpkgs);
    let items: Vec<String> = seeds
        .iter()
        .map(|s| {
            format!(
                "(shard {{ variant = \"{variant}\"; module = \"bench\"; export = \"probe_empty\"; seed = {s}; }})"
            )
        })
        .collect();
    format!("let shard = {shard}; in [ {} ]", items.join(" "))
}

/// The warning about the referrers `Nix::delete` deleted beside the paths it was asked to.
pub fn extra_note(extra: &[String]) -> Option<String> {
    (!extra.is_empty()).then(|| {
        format!(
            "also deleted {} unrooted store path(s) referring to them: {}",
            extra.len(),
            extra.join(" ")
        )
    })
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;

    pub(in crate::bench) fn map(v: &[(&str, &str)]) -> BTreeMap<String, String> {
        v.iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect()
    }

    pub(in crate::bench) fn names(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn nix_outputs_and_probe_expression() {
        let out = r#"[{"drvPath":"/nix/store/a.drv","outputs":{"out":"/nix/store/a-rts-ni"}},
                      {"drvPath":"/nix/store/b.drv","outputs":{"out":"/nix/store/b-rts-inc"}}]"#;
        assert_eq!(
            build_json_out_paths(out).unwrap(),
            ["/nix/store/a-rts-ni", "/nix/store/b-rts-inc"]
        );
        let paths = build_json_out_paths(out).unwrap();
        assert_eq!(
            store_path_named(&paths, "rts-inc").map(String::as_str),
            Some("/nix/store/b-rts-inc")
        );
        assert_eq!(store_path_named(&paths, "rts-64"), None);
        assert!(build_json_out_paths("{}").is_err());
        assert!(build_json_out_paths(r#"[{"outputs":{}}]"#).is_err());
        assert_eq!(
            string_map(r#"{"ni-a":"/d/1"}"#).unwrap(),
            map(&[("ni-a", "/d/1")])
        );
        assert!(string_map("[1]").is_err());
        let closure = names(&["/s/a", "/s/all-shards", "/s/b", ""]);
        assert_eq!(
            extra_referrers(&["/s/a", "/s/b"], &closure),
            ["/s/all-shards"]
        );
        assert!(extra_referrers(&["/s/a"], &names(&["/s/a"])).is_empty());
        assert_eq!(
            gc_roots("/tmp/ci/result -> /nix/store/x-shard\n/proc/12/maps -> /nix/store/x\n"),
            ["/tmp/ci/result", "/proc/12/maps"]
        );
        assert!(gc_roots("").is_empty());
        let e = probe_expr(false, "inc", &[5, 6]);
        assert_eq!(
            e,
            "let shard = (import ./nix/standin.nix).lib.shard; in [ \
             (shard { variant = \"inc\"; module = \"bench\"; export = \"probe_empty\"; seed = 5; }) \
             (shard { variant = \"inc\"; module = \"bench\"; export = \"probe_empty\"; seed = 6; }) ]"
        );
        assert!(probe_expr(true, "64", &[1]).contains("builtins.getFlake"));
    }

    #[test]
    fn build_events_of_internal_json() {
        let start = r#"@nix {"action":"start","fields":["/nix/store/3123-shard-inc-crc32.drv","",1,1],"id":12,"level":3,"text":"building","type":105}"#;
        assert_eq!(
            parse_line(start),
            NixLine::BuildStart(12, "/nix/store/3123-shard-inc-crc32.drv".to_string())
        );
        assert_eq!(
            parse_line(r#"@nix {"action":"stop","id":12}"#),
            NixLine::Stop(12)
        );
        // Other activities and malformed lines are neither builds nor messages.
        assert_eq!(
            parse_line(r#"@nix {"action":"start","id":9,"level":0,"text":"","type":104}"#),
            NixLine::Other
        );
        assert_eq!(parse_line("@nix {bad"), NixLine::Other);
        assert_eq!(
            parse_line(r#"@nix {"action":"result","fields":["line"],"id":7,"type":101}"#),
            NixLine::Log(Some(7), "line".to_string())
        );
        let events = vec![
            (
                0.5,
                12,
                Some("/nix/store/a-shard-inc-crc32.drv".to_string()),
            ),
            (0.1, 13, Some("/nix/store/b-rts-inc.drv".to_string())),
            (0.2, 99, None), // another activity's stop
            (2.0, 13, None),
            (3.0, 12, None),
            (3.5, 14, Some("/nix/store/c-shard-ni-x.drv".to_string())),
        ];
        let spans = build_spans(&events, &BTreeMap::new(), 4.0);
        assert_eq!(spans.len(), 3);
        assert_eq!(spans[0].name(), "rts-inc");
        assert_eq!(spans[0].seconds(), 1.9);
        assert_eq!(spans[1].name(), "shard-inc-crc32");
        assert_eq!((spans[1].start, spans[1].stop), (0.5, 3.0));
        // Never stopped: ends with the command.
        assert_eq!((spans[2].start, spans[2].stop), (3.5, 4.0));
        assert_eq!(
            parse_line(r#"@nix {"action":"msg","level":0,"msg":"error: x"}"#),
            NixLine::Message("error: x".to_string())
        );
        assert_eq!(parse_line("raw"), NixLine::Message("raw".to_string()));
    }

    #[test]
    fn builds_are_stamped_as_their_lines_arrive() {
        // A stand-in for Nix: one build that starts, 0.3 s later stops, then a message.
        let script = r#"
            echo '@nix {"action":"start","fields":["/nix/store/h-shard-ni-a.drv"],"id":7,"type":105}' >&2
            sleep 0.3
            echo '@nix {"action":"stop","id":7}' >&2
            echo '@nix {"action":"msg","level":0,"msg":"done"}' >&2
            exit "$1"
        "#;
        let mut ok = Command::new("sh");
        ok.args(["-c", script, "sh", "0"]);
        let (wall, spans) = timed_builds(&mut ok, "fake nix").unwrap();
        assert_eq!(spans.len(), 1);
        assert_eq!(spans[0].name(), "shard-ni-a");
        assert!(spans[0].seconds() >= 0.25, "{:?}", spans[0]);
        assert!(spans[0].stop <= wall);
        let mut failing = Command::new("sh");
        failing.args(["-c", script, "sh", "3"]);
        let e = format!("{:#}", timed_builds(&mut failing, "fake nix").unwrap_err());
        assert!(e.contains("fake nix failed") && e.ends_with("done"), "{e}");
        // Nix 2.8 stops a build asked for on the command line only when the command ends: the
        // build's last log line ends it.
        let late = r#"
            echo '@nix {"action":"start","fields":["/nix/store/h-shard-ni-a.drv"],"id":7,"type":105}' >&2
            echo '@nix {"action":"result","fields":["last line"],"id":7,"type":101}' >&2
            sleep 0.4
            echo '@nix {"action":"stop","id":7}' >&2
        "#;
        let mut cmd = Command::new("sh");
        cmd.args(["-c", late]);
        let (wall, spans) = timed_builds(&mut cmd, "fake nix").unwrap();
        assert_eq!(spans.len(), 1);
        assert!(spans[0].seconds() < 0.2 && wall >= 0.35, "{spans:?} {wall}");
        // Plain output (the log format overridden) is an error, not zero builds.
        let mut plain = Command::new("sh");
        plain.args([
            "-c",
            "echo \"building '/nix/store/h-shard-ni-a.drv'...\" >&2",
        ]);
        let e = format!("{:#}", timed_builds(&mut plain, "fake nix").unwrap_err());
        assert!(e.contains("printed no internal-json"), "{e}");
    }
}
