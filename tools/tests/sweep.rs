//! Integration tests of `rts-shards sweep` under the real wasmtime. The fixture's `test_seed`
//! traps for every seed but 42: in a sweep over 41..43 the seeds 41 and 43 are the failing
//! ones to find.

mod common;
use common::*;
use std::path::Path;

/// Runs `rts-shards sweep --built built --wasmtime W` plus `args` in the fixture.
fn sweep(f: &Fixture, w: &Path, args: &[&str]) -> std::process::Output {
    let mut a = vec![
        "sweep",
        "--built",
        "built",
        "--wasmtime",
        w.to_str().unwrap(),
    ];
    a.extend_from_slice(args);
    f.run(&a)
}

#[test]
fn sweep_names_each_failing_seed_with_a_working_reproduce_command() {
    let Some(w) = wasmtime_or_skip("sweep_names_each_failing_seed") else {
        return;
    };
    let f = Fixture::new();
    f.precompile(&w);
    let o = sweep(
        &f,
        &w,
        &["ni-seed", "--seeds", "41..43", "--log-dir", "logs"],
    );
    assert_code(&o, 1);
    let out = stdout(&o);
    assert!(out.contains("FAIL ni-seed seed=41 (exit code"), "{out}");
    assert!(out.contains("FAIL ni-seed seed=43 (exit code"), "{out}");
    assert!(!out.contains("seed=42 ("), "{out}");
    assert!(out.contains("variant ni, module seed, seed 43"), "{out}");
    assert!(out.contains("swept 1 shard(s) x 3 seed(s) in "), "{out}");
    assert!(
        out.contains("1 passed, 2 failed (failing seeds: ni-seed: 41,43)"),
        "{out}"
    );
    assert!(out.trim_end().ends_with("1 passed, 2 failed"), "{out}");
    assert!(
        out.contains("wasm trap: wasm `unreachable` instruction executed"),
        "{out}"
    );
    // The reproduce lines are the script's, for this seed.
    assert!(
        out.contains("    reproduce: nix build -L .#checks.ni-seed\n"),
        "{out}"
    );
    assert!(
        out.contains("module = \"seed\"; export = \"test_seed\"; seed = 43; }'"),
        "{out}"
    );
    let commands: Vec<&str> = out
        .lines()
        .filter_map(|l| l.trim_start().strip_prefix("or:"))
        .map(str::trim)
        .collect();
    assert_eq!(commands.len(), 2, "{out}");
    for cmd in commands {
        assert!(cmd.ends_with(" 41") || cmd.ends_with(" 43"), "{cmd}");
        let st = std::process::Command::new("sh")
            .args(["-c", cmd])
            .output()
            .unwrap();
        assert!(!st.status.success(), "{cmd} should fail");
        let fixed = format!("{} 42", &cmd[..cmd.len() - 3]);
        let st = std::process::Command::new("sh")
            .args(["-c", &fixed])
            .output()
            .unwrap();
        assert!(st.status.success(), "{fixed} should pass");
    }
    // Every run's directory, by shard and seed, with its own result.
    for seed in [41, 42, 43] {
        let r: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(
                f.path()
                    .join(format!("logs/ni-seed/seed-{seed}/result.json")),
            )
            .unwrap(),
        )
        .unwrap();
        assert_eq!(r["seed"], seed);
        assert_eq!(r["status"], if seed == 42 { "pass" } else { "fail" });
    }
}

#[test]
fn sweep_of_passing_shards_exits_zero_and_filters_like_run() {
    let Some(w) = wasmtime_or_skip("sweep_of_passing_shards") else {
        return;
    };
    let f = Fixture::new();
    let o = sweep(
        &f,
        &w,
        &["--filter", "pass", "--seeds", "1..2,7", "-j", "2"],
    );
    assert_code(&o, 0);
    let out = stdout(&o);
    assert!(out.contains("swept 3 shard(s) x 3 seed(s)"), "{out}");
    assert!(out.trim_end().ends_with("9 passed, 0 failed"), "{out}");
    assert!(!out.contains("FAIL"), "{out}");
    let o = sweep(
        &f,
        &w,
        &["--filter", "pass", "--variant", "64", "--seeds", "5"],
    );
    assert_code(&o, 0);
    assert!(stdout(&o).contains("1 passed, 0 failed"), "{}", stdout(&o));
}

#[test]
fn sweep_stops_on_the_first_failure_when_asked() {
    let Some(w) = wasmtime_or_skip("sweep_stops_on_the_first_failure") else {
        return;
    };
    let f = Fixture::new();
    let o = sweep(
        &f,
        &w,
        &[
            "inc-seed",
            "--seeds",
            "42,43,44,45",
            "-j",
            "1",
            "--stop-on-failure",
        ],
    );
    assert_code(&o, 1);
    let out = stdout(&o);
    assert!(out.contains("FAIL inc-seed seed=43"), "{out}");
    assert!(!out.contains("seed=44 ("), "{out}");
    assert!(
        out.contains("1 passed, 1 failed, 2 not run (--stop-on-failure)"),
        "{out}"
    );
}

#[test]
fn sweep_input_errors_exit_2() {
    let Some(w) = wasmtime_or_skip("sweep_input_errors") else {
        return;
    };
    let f = Fixture::new();
    for (args, expected) in [
        (vec!["ni-seed", "--seeds", "5..1"], "empty seed range"),
        (vec!["ni-seed", "--seeds", "x"], "expected a seed"),
        (vec!["ni-nope", "--seeds", "1"], "no shard named ni-nope"),
        (vec!["ni-*", "--seeds", "1"], "is not a shard name"),
        (
            vec!["--filter", "zzz", "--seeds", "1"],
            "no shards to sweep",
        ),
        (vec!["ni-seed"], "--seeds"),
        (
            vec!["ni-seed", "--seeds", "1", "--nix"],
            "are for local sweeps",
        ),
    ] {
        let o = sweep(&f, &w, &args);
        assert_code(&o, 2);
        assert!(stderr(&o).contains(expected), "{args:?}: {}", stderr(&o));
        assert!(!stderr(&o).contains("panicked"), "{}", stderr(&o));
    }
}

#[test]
fn sigterm_stops_a_nix_sweep_and_its_nix_build() {
    let f = Fixture::new();
    let o = f.run(&["matrix", "--built", "built"]);
    assert_code(&o, 0);
    // Stand-ins: tools/nix-flags.sh (no flags: the locked nixpkgs) and a `nix` whose build
    // runs until stopped, with a child of its own.
    std::fs::create_dir_all(f.path().join("tools")).unwrap();
    std::fs::write(f.path().join("tools/nix-flags.sh"), "exit 0\n").unwrap();
    let bin = f.path().join("bin");
    std::fs::create_dir(&bin).unwrap();
    let pid_file = f.path().join("build.pid");
    let nix = bin.join("nix");
    std::fs::write(
        &nix,
        format!(
            "{}\ncase $1 in\n  eval) echo '[{{\"drv\": \"/nix/store/x.drv\", \"out\": \"/nix/store/x-out\"}}]' ;;\n  \
             build) sleep 300 & echo $! >{pid}.tmp; mv {pid}.tmp {pid}; wait ;;\nesac\n",
            sh_shebang(),
            pid = pid_file.display()
        ),
    )
    .unwrap();
    let mut perm = std::fs::metadata(&nix).unwrap().permissions();
    std::os::unix::fs::PermissionsExt::set_mode(&mut perm, 0o755);
    std::fs::set_permissions(&nix, perm).unwrap();
    let path = format!("{}:{}", bin.display(), std::env::var("PATH").unwrap());
    // Output to a file, not a pipe: a nix left running would hold a pipe open.
    let err_file = f.path().join("stderr");
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_rts-shards"))
        .args(["sweep", "ni-pass", "--seeds", "1", "--nix"])
        .current_dir(f.path())
        .env("PATH", path)
        .stdout(std::process::Stdio::null())
        .stderr(std::fs::File::create(&err_file).unwrap())
        .spawn()
        .unwrap();
    let start = std::time::Instant::now();
    while !pid_file.exists() {
        assert!(
            start.elapsed().as_secs() < 30,
            "the nix build never started"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let sleeper: i32 = std::fs::read_to_string(&pid_file)
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    // SAFETY: kill has no memory effects; the pid is our child's.
    unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
    let status = child.wait().unwrap();
    let err = std::fs::read_to_string(&err_file).unwrap();
    assert_eq!(status.code(), Some(143), "{err}");
    assert!(err.contains("interrupted (SIGTERM)"), "{err}");
    let gone = (0..100).any(|_| {
        std::thread::sleep(std::time::Duration::from_millis(20));
        // SAFETY: signal 0 only checks that the process exists.
        unsafe { libc::kill(sleeper, 0) != 0 }
    });
    assert!(gone, "the nix build's child {sleeper} survived");
}
