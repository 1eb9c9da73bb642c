//! Step 6 of `bench`: rerun sets. In a temporary copy of the tracked files, each probe file
//! gets a comment appended, and the shard checks whose drvPath changes are counted.

use super::ctx::Ctx;
use super::doc::RerunSet;
use super::local::matrix_shards;
use super::metrics::{Metric, SHARDS, Target};
use super::nix::{Nix, progress, timed};
use crate::tempdir::TempDir;
use anyhow::{Context, Result};
use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

/// Files whose change should rerun no shard, and files whose change reruns the shards of the
/// variants that use them: (path, expected number of changed shards if there is a target).
pub const RERUN_PROBES: [(&str, Option<f64>); 4] = [
    ("README.md", Some(0.0)),
    ("tools/src/main.rs", Some(0.0)),
    ("rts/testsuite/src/modules/leb128.rs", None),
    ("rts/runtime/src/gc/incremental/mod.rs", None),
];

/// The shards (among `names`) whose drvPath differs between two name -> drvPath maps; a name
/// missing from either map counts as changed.
pub fn rerun_set(
    base: &BTreeMap<String, String>,
    modified: &BTreeMap<String, String>,
    names: &[String],
) -> Vec<String> {
    let mut out: Vec<String> = names
        .iter()
        .filter(|n| match (base.get(*n), modified.get(*n)) {
            (Some(a), Some(b)) => a != b,
            _ => true,
        })
        .cloned()
        .collect();
    out.sort();
    out.dedup();
    out
}

/// Counts shard names (`<variant>-<module>`) per variant.
pub fn per_variant(names: &[String]) -> BTreeMap<String, usize> {
    let mut m = BTreeMap::new();
    for n in names {
        let v = crate::matrix::split_shard_name(n).map_or(n.as_str(), |(v, _)| v);
        *m.entry(v.to_string()).or_insert(0) += 1;
    }
    m
}

/// A one-line comment in the syntax of `path`'s language, appended to change the file.
pub fn comment_line(path: &str) -> &'static str {
    let ext = Path::new(path)
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or("");
    match ext {
        "md" | "html" => "<!-- rts-shards bench: rerun-set probe -->\n",
        "rs" | "c" | "h" | "js" => "// rts-shards bench: rerun-set probe\n",
        _ => "# rts-shards bench: rerun-set probe\n",
    }
}

/// `contents` with a comment line appended (after a newline if it does not end with one).
pub fn append_comment(contents: &[u8], path: &str) -> Vec<u8> {
    let mut v = contents.to_vec();
    if !v.is_empty() && !v.ends_with(b"\n") {
        v.push(b'\n');
    }
    v.extend_from_slice(comment_line(path).as_bytes());
    v
}

/// Copies the tracked files of `root` into `dest` and makes it a git repository with them added.
pub(super) fn tracked_copy(root: &Path, dest: &Path) -> Result<()> {
    let (_, out) = timed(
        Command::new("git")
            .arg("-C")
            .arg(root)
            .args(["ls-files", "-z"]),
        "git ls-files",
    )?;
    for rel in out.split('\0').filter(|s| !s.is_empty()) {
        let from = root.join(rel);
        let to = dest.join(rel);
        if let Some(d) = to.parent() {
            std::fs::create_dir_all(d).with_context(|| format!("cannot create {}", d.display()))?;
        }
        let meta = match std::fs::symlink_metadata(&from) {
            Ok(m) => m,
            Err(_) => continue, // deleted in the working tree
        };
        if meta.file_type().is_symlink() {
            let target = std::fs::read_link(&from)?;
            std::os::unix::fs::symlink(&target, &to)
                .with_context(|| format!("cannot link {}", to.display()))?;
        } else {
            std::fs::copy(&from, &to).with_context(|| format!("cannot copy {rel}"))?;
        }
    }
    let git = |args: &[&str]| -> Result<()> {
        timed(
            Command::new("git").arg("-C").arg(dest).args(args),
            &format!("git {}", args.join(" ")),
        )
        .map(|_| ())
    };
    git(&["init", "-q"])?;
    git(&["add", "-A"])?;
    Ok(())
}

/// Step 6: the rerun set of each probe file.
fn rerun_sets(nix: &Nix, root: &Path) -> Result<Vec<(RerunSet, Option<f64>)>> {
    let copy = TempDir::new("bench-rerun")?;
    let dir = copy.path();
    progress(&format!("copying the tracked files to {}", dir.display()));
    tracked_copy(root, dir)?;
    let names: Vec<String> = matrix_shards(dir, &[])?
        .into_iter()
        .map(|s| s.name)
        .collect();
    let attr = format!("checks.{}", nix.system);
    let base = nix.eval_map(dir, &attr, "drvPath")?;
    let mut out = Vec::new();
    for (file, target) in RERUN_PROBES {
        progress(&format!("rerun set of a change to {file}"));
        let p = dir.join(file);
        let original = std::fs::read(&p).with_context(|| format!("cannot read {file}"))?;
        std::fs::write(&p, append_comment(&original, file))?;
        let git_add = || {
            timed(
                Command::new("git").arg("-C").arg(dir).args(["add", file]),
                "git add",
            )
        };
        git_add()?;
        let modified = nix.eval_map(dir, &attr, "drvPath");
        std::fs::write(&p, &original)?;
        git_add()?;
        let changed = rerun_set(&base, &modified?, &names);
        out.push((
            RerunSet {
                file: file.to_string(),
                changed: changed.len(),
                total: names.len(),
                per_variant: per_variant(&changed),
            },
            target,
        ));
    }
    Ok(out)
}

/// Step 6: the rerun set of each probe file, each next to its target.
pub(super) fn run(c: &mut Ctx) -> Result<()> {
    let Some(nix) = c.nix.as_ref().filter(|_| c.step(6)) else {
        return Ok(());
    };
    for (set, target) in rerun_sets(nix, &c.root)? {
        let variants = if set.per_variant.is_empty() {
            "none".to_string()
        } else {
            set.per_variant
                .keys()
                .cloned()
                .collect::<Vec<_>>()
                .join(" ")
        };
        c.table.push(Metric::new(
            6,
            &format!("rerun.{}", set.file),
            &format!("rerun set: {} [{variants}]", set.file),
            Some(set.changed as f64),
            SHARDS,
            target.map(Target::equal),
        ));
        c.report.rerun_sets.push(set);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::nix::tests::{map, names};
    use super::*;

    #[test]
    fn rerun_set_diffs_two_maps() {
        let base = map(&[
            ("ni-a", "/d/1"),
            ("ni-b", "/d/2"),
            ("inc-a", "/d/3"),
            ("tools-test", "/d/4"),
        ]);
        let same = base.clone();
        let all = names(&["ni-a", "ni-b", "inc-a"]);
        assert!(rerun_set(&base, &same, &all).is_empty());
        let mut m = base.clone();
        m.insert("inc-a".into(), "/d/9".into());
        m.insert("tools-test".into(), "/d/8".into()); // not a shard: not counted
        assert_eq!(rerun_set(&base, &m, &all), ["inc-a"]);
        m.remove("ni-b");
        assert_eq!(rerun_set(&base, &m, &all), ["inc-a", "ni-b"]);
        let changed = rerun_set(&base, &m, &all);
        let pv = per_variant(&changed);
        assert_eq!(pv.get("inc"), Some(&1));
        assert_eq!(pv.get("ni"), Some(&1));
        assert_eq!(per_variant(&names(&["64-x", "64-y"])).get("64"), Some(&2));
    }

    #[test]
    fn comments_per_language() {
        assert_eq!(
            append_comment(b"# t\n", "README.md"),
            b"# t\n<!-- rts-shards bench: rerun-set probe -->\n"
        );
        assert_eq!(
            append_comment(b"fn f() {}", "a/b.rs"),
            b"fn f() {}\n// rts-shards bench: rerun-set probe\n"
        );
        assert!(comment_line("x.nix").starts_with('#'));
        assert!(comment_line("x.sh").starts_with('#'));
    }
}
