//! `alejandra [--check] [--quiet] PATH...`: formats Nix files in place with the alejandra
//! library, or with `--check` only reports them. Directories are searched for `*.nix` files.
//! Exit status as nixpkgs' alejandra: 0 when nothing needed formatting (or it was formatted),
//! 2 when `--check` found files to format, 1 on errors (unreadable or unparsable files).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

fn nix_files(path: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    if path.is_dir() {
        let mut entries: Vec<_> = std::fs::read_dir(path)?.collect::<Result<_, _>>()?;
        entries.sort_by_key(|e| e.file_name());
        for e in entries {
            let p = e.path();
            if p.is_dir() && p.file_name().is_some_and(|n| n == "target" || n == ".git") {
                continue;
            }
            if p.is_dir() || p.extension().is_some_and(|x| x == "nix") {
                nix_files(&p, out)?;
            }
        }
    } else {
        out.push(path.to_path_buf());
    }
    Ok(())
}

fn main() -> ExitCode {
    let mut check = false;
    let mut quiet = false;
    let mut paths = Vec::new();
    for arg in std::env::args_os().skip(1) {
        match arg.to_str() {
            Some("-c" | "--check") => check = true,
            Some("-q" | "--quiet") => quiet = true,
            Some("-h" | "--help") => {
                println!("usage: alejandra [--check] [--quiet] PATH...");
                return ExitCode::SUCCESS;
            }
            Some(s) if s.starts_with('-') => {
                eprintln!("alejandra: unknown option {s}");
                return ExitCode::from(1);
            }
            _ => paths.push(PathBuf::from(arg)),
        }
    }
    if paths.is_empty() {
        paths.push(PathBuf::from("."));
    }
    let mut files = Vec::new();
    for p in &paths {
        if let Err(e) = nix_files(p, &mut files) {
            eprintln!("alejandra: {}: {e}", p.display());
            return ExitCode::from(1);
        }
    }
    let (mut errors, mut changed) = (0, 0);
    for file in &files {
        let shown = file.display().to_string();
        let before = match std::fs::read_to_string(file) {
            Ok(s) => s,
            Err(e) => {
                eprintln!("alejandra: {shown}: {e}");
                errors += 1;
                continue;
            }
        };
        match alejandra::format::in_memory(shown.clone(), before) {
            (alejandra::format::Status::Error(e), _) => {
                eprintln!("alejandra: {shown}: {e}");
                errors += 1;
            }
            (alejandra::format::Status::Changed(false), _) => {}
            (alejandra::format::Status::Changed(true), after) => {
                changed += 1;
                if check {
                    eprintln!("Requires formatting: {shown}");
                } else {
                    let tmp = file.with_extension("nix.alejandra-tmp");
                    if let Err(e) =
                        std::fs::write(&tmp, after).and_then(|()| std::fs::rename(&tmp, file))
                    {
                        let _ = std::fs::remove_file(&tmp);
                        eprintln!("alejandra: {shown}: {e}");
                        errors += 1;
                    } else if !quiet {
                        eprintln!("Formatted: {shown}");
                    }
                }
            }
        }
    }
    if !quiet {
        eprintln!(
            "{} file(s) checked, {changed} need(ed) formatting, {errors} error(s)",
            files.len()
        );
    }
    if errors > 0 {
        ExitCode::from(1)
    } else if check && changed > 0 {
        ExitCode::from(2)
    } else {
        ExitCode::SUCCESS
    }
}
