//! The one rule for names: a module, variant, export or shard name becomes a path (the shard's
//! directory), a Nix attribute and derivation name, and a JSON string, so each is checked here
//! wherever it enters (wasm exports, the matrix, the variants, timings and result files) before
//! it is used.
//!
//! - module: `[A-Za-z0-9_]+` (the part of `test_<module>` after the prefix);
//! - export: `[A-Za-z0-9_]+`;
//! - variant: `[A-Za-z0-9_-]+`, neither starting nor ending with '-' (`mo-64`);
//! - shard: `<variant>-<module>`: a module has no '-', so the last '-' splits.
//!
//! Each is at most [`MAX_LEN`] bytes, so a shard name stays a valid file and Nix store name.

use anyhow::{Result, bail};

/// The longest module, export or variant name, in bytes.
pub const MAX_LEN: usize = 96;

fn word_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

fn check(kind: &str, name: &str, ok: bool, rule: &str) -> Result<()> {
    if name.is_empty() || name.len() > MAX_LEN || !ok {
        bail!("invalid {kind} name {name:?}: {rule}, 1 to {MAX_LEN} bytes");
    }
    Ok(())
}

/// A test module name: `[A-Za-z0-9_]+`.
pub fn check_module(name: &str) -> Result<()> {
    check(
        "module",
        name,
        name.chars().all(word_char),
        "only [A-Za-z0-9_]",
    )
}

/// An export name: `[A-Za-z0-9_]+`.
pub fn check_export(name: &str) -> Result<()> {
    check(
        "export",
        name,
        name.chars().all(word_char),
        "only [A-Za-z0-9_]",
    )
}

/// A variant name: `[A-Za-z0-9_-]+`, neither starting nor ending with '-'.
pub fn check_variant(name: &str) -> Result<()> {
    check(
        "variant",
        name,
        name.chars().all(|c| word_char(c) || c == '-')
            && !name.starts_with('-')
            && !name.ends_with('-'),
        "only [A-Za-z0-9_-], neither starting nor ending with '-'",
    )
}

/// A shard name, `<variant>-<module>`; returns the variant and the module.
pub fn check_shard_name(name: &str) -> Result<(&str, &str)> {
    let Some((variant, module)) = name.rsplit_once('-') else {
        bail!("invalid shard name {name:?}: expected <variant>-<module>");
    };
    check_variant(variant)
        .and_then(|_| check_module(module))
        .map_err(|e| {
            anyhow::anyhow!("invalid shard name {name:?}: expected <variant>-<module> ({e})")
        })?;
    Ok((variant, module))
}

/// The names of one shard (or of its result): each valid, and `name` is `<variant>-<module>`.
pub fn check_shard(name: &str, variant: &str, module: &str, export: &str) -> Result<()> {
    check_variant(variant)?;
    check_module(module)?;
    check_export(export)?;
    if name != format!("{variant}-{module}") {
        bail!("invalid shard name {name:?}: not <variant>-<module> ({variant}-{module})");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modules_are_words() {
        for ok in ["a", "gc_chunk_3", "A9", &"m".repeat(MAX_LEN)] {
            assert!(check_module(ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            "v/../../x",
            "..",
            "a-b",
            "a b",
            "a\"b",
            "é",
            "a\n",
            &"m".repeat(MAX_LEN + 1),
        ] {
            let e = check_module(bad).unwrap_err().to_string();
            assert!(e.contains("invalid module name"), "{e}");
        }
    }

    #[test]
    fn variants_may_have_inner_dashes() {
        for ok in ["ni", "mo-64", "a_b"] {
            assert!(check_variant(ok).is_ok(), "{ok}");
        }
        for bad in ["", "-a", "a-", "a/b", "..", "a.b"] {
            assert!(check_variant(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn shard_names_split_at_the_last_dash() {
        assert_eq!(check_shard_name("mo-64-gc").unwrap(), ("mo-64", "gc"));
        for bad in ["ni", "ni-", "-a", "ni-../x", "ni-v/../../x", "n i-a"] {
            let e = check_shard_name(bad).unwrap_err().to_string();
            assert!(e.contains("invalid shard name"), "{e}");
        }
        assert!(check_shard("ni-a", "ni", "a", "test_a").is_ok());
        assert!(check_shard("ni-b", "ni", "a", "test_a").is_err());
        assert!(check_shard("ni-a", "ni", "a", "test_a/..").is_err());
    }
}
