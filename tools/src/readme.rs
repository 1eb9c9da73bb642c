//! The blocks of README.md that are generated from committed data, and `rts-shards readme`.
//!
//! A block is the text between a line `<!-- NAME:begin -->` and a line `<!-- NAME:end -->`.
//! Each generator prints its block (`rts-shards bench --table`, `tools/bench-motoko.sh --table`,
//! `rts-shards plan ...`); this module is the one checker and writer of every block: the README
//! must hold exactly that text, or a test fails with the first line that differs.

use anyhow::{Context, Result, bail};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// The marker lines of block `name`.
pub fn markers(name: &str) -> (String, String) {
    (
        format!("<!-- {name}:begin -->"),
        format!("<!-- {name}:end -->"),
    )
}

/// The text of block `name` (after its begin line, up to its end line).
pub fn section<'a>(readme: &'a str, name: &str) -> Result<&'a str> {
    let (begin, end) = markers(name);
    let b = readme
        .find(&begin)
        .with_context(|| format!("no {begin} line"))?;
    let start = b + begin.len();
    let start = start + usize::from(readme[start..].starts_with('\n'));
    let len = readme[start..]
        .find(&end)
        .with_context(|| format!("no {end} line after {begin}"))?;
    if readme[start + len + end.len()..].contains(&begin) {
        bail!("more than one {begin} line");
    }
    Ok(&readme[start..start + len])
}

/// `None` when `section` is `text` exactly; otherwise the first line that differs, as (line
/// number in the block, README's line, the generated line).
pub fn compare(section: &str, text: &str) -> Option<(usize, String, String)> {
    if section == text {
        return None;
    }
    let (a, b): (Vec<&str>, Vec<&str>) = (section.lines().collect(), text.lines().collect());
    let i = (0..a.len().max(b.len()))
        .find(|&i| a.get(i) != b.get(i))
        .unwrap_or(a.len().min(b.len()));
    let at = |v: &[&str]| v.get(i).map_or("(end)".to_string(), |l| l.to_string());
    Some((i + 1, at(&a), at(&b)))
}

/// `readme` with block `name` replaced by `text`.
pub fn replace(readme: &str, name: &str, text: &str) -> Result<String> {
    let old = section(readme, name)?;
    let start = old.as_ptr() as usize - readme.as_ptr() as usize;
    Ok(format!(
        "{}{text}{}",
        &readme[..start],
        &readme[start + old.len()..]
    ))
}

/// Whether the README at `path` holds `text` as block `name`; when not, prints the first
/// difference and `regenerate`, the command that writes the block.
pub fn check(path: &Path, name: &str, text: &str, regenerate: &str) -> Result<bool> {
    let readme =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let section = section(&readme, name).with_context(|| format!("in {}", path.display()))?;
    match compare(section, text) {
        None => Ok(true),
        Some((line, have, want)) => {
            eprintln!(
                "{}: block {name} disagrees with its data at line {line}:\n  README:    \
                 {have}\n  generated: {want}\nregenerate it: {regenerate}",
                path.display()
            );
            Ok(false)
        }
    }
}

/// Writes `text` as block `name` of the README at `path` (atomically).
pub fn update(path: &Path, name: &str, text: &str) -> Result<()> {
    let readme =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let new = replace(&readme, name, text).with_context(|| format!("in {}", path.display()))?;
    crate::atomic::write_atomic(path, new.as_bytes())
}

/// `rts-shards readme`.
#[derive(Debug, clap::Args)]
#[command(
    about = "Check or write a generated block of a README from its generator's output on stdin",
    long_about = "Check or write a generated block of a README from its generator's output on stdin.\n\n\
        A block is the text between the lines <!-- BLOCK:begin --> and <!-- BLOCK:end -->. \
        --check exits 0 when the README holds exactly the text read from stdin there, 1 with \
        the first line that differs; --update writes it there (atomically). For example: \
        `tools/bench-motoko.sh --table | rts-shards readme motoko-bench README.md --check`.\n\n\
        Exit status: 0 as said, 1 the block differs, 2 a missing file or block."
)]
#[command(group(clap::ArgGroup::new("mode").required(true).args(["check", "update"])))]
pub struct Args {
    /// The block's name, e.g. bench-table
    #[arg(value_name = "BLOCK")]
    pub block: String,
    /// The README
    #[arg(value_name = "README")]
    pub readme: PathBuf,
    /// Check that the block holds stdin's text
    #[arg(long)]
    pub check: bool,
    /// Write stdin's text into the block
    #[arg(long)]
    pub update: bool,
    /// The command that generates the block, named when the check fails
    #[arg(
        long,
        value_name = "COMMAND",
        default_value = "the generator named in the block"
    )]
    pub regenerate: String,
}

/// Runs `rts-shards readme`.
pub fn command(args: Args) -> Result<ExitCode> {
    let mut text = String::new();
    std::io::stdin()
        .read_to_string(&mut text)
        .context("cannot read the block's text from stdin")?;
    if args.update {
        update(&args.readme, &args.block, &text)?;
        eprintln!("wrote block {} of {}", args.block, args.readme.display());
        return Ok(ExitCode::SUCCESS);
    }
    Ok(
        if check(&args.readme, &args.block, &text, &args.regenerate)? {
            ExitCode::SUCCESS
        } else {
            ExitCode::from(1)
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_are_found_compared_and_replaced() {
        let (b, e) = markers("t");
        let r = format!("# x\n{b}\nline 1\nline 2\n{e}\nrest\n");
        assert_eq!(section(&r, "t").unwrap(), "line 1\nline 2\n");
        assert!(section(&r, "other").is_err());
        assert_eq!(compare("line 1\nline 2\n", "line 1\nline 2\n"), None);
        assert_eq!(
            compare("line 1\nline 2\n", "line 1\nline 3\n"),
            Some((2, "line 2".into(), "line 3".into()))
        );
        assert_eq!(
            compare("a\n", "a\nb\n"),
            Some((2, "(end)".into(), "b".into()))
        );
        // A missing trailing newline is a difference too.
        assert!(compare("a", "a\n").is_some());
        assert!(section("no markers", "t").is_err());
        assert!(section(&format!("{b}\nx"), "t").is_err());
        assert!(section(&format!("{b}\n{e}\n{b}\n{e}"), "t").is_err());
        assert_eq!(section(&format!("{b}\n{e}"), "t").unwrap(), "");
        let updated = replace(&r, "t", "new\n").unwrap();
        assert_eq!(updated, format!("# x\n{b}\nnew\n{e}\nrest\n"));
        assert_eq!(section(&updated, "t").unwrap(), "new\n");
        assert!(replace("none", "t", "x").is_err());
        // Two blocks side by side are independent.
        let (b2, e2) = markers("u");
        let two = format!("{b}\n1\n{e}\n{b2}\n2\n{e2}\n");
        assert_eq!(section(&two, "u").unwrap(), "2\n");
        assert_eq!(
            replace(&two, "u", "3\n").unwrap(),
            format!("{b}\n1\n{e}\n{b2}\n3\n{e2}\n")
        );
    }
}
