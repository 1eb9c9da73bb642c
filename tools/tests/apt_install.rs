//! tools/apt-install.sh, which remote-builder.sh and binary-cache.sh use to install a daemon's
//! package: run with stand-ins for apt-get and deb-systemd-helper that record what they saw.

mod common;
use common::*;
use std::path::Path;

/// A POSIX sh script at `path`, executable.
fn script(path: &Path, text: &str) {
    std::fs::write(path, format!("{}\n{text}", common::sh_shebang())).unwrap();
    let mut perm = std::fs::metadata(path).unwrap().permissions();
    std::os::unix::fs::PermissionsExt::set_mode(&mut perm, 0o755);
    std::fs::set_permissions(path, perm).unwrap();
}

/// Runs `apt_install_no_services` in `dir` with the stand-ins; `install_status` is what the
/// stand-in `apt-get install` exits with.
fn install(dir: &Path, install_status: i32) -> std::process::Output {
    let bin = dir.join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    std::fs::create_dir_all(dir.join("etc/ssh")).unwrap();
    let log = dir.join("log");
    // apt-get install: asks the policy whether the service may start, as the package's
    // maintainer scripts do, and generates a host key, as openssh-server's postinst does.
    script(
        &bin.join("apt-get"),
        &format!(
            "echo \"apt-get $*\" >>{log}\n\
             [ \"$1\" = install ] || exit 0\n\
             sh \"$RTS_POLICY_RC_D\" ssh start; echo \"policy-rc.d: $?\" >>{log}\n\
             touch {keys}/ssh_host_ed25519_key\n\
             exit {install_status}\n",
            log = log.display(),
            keys = dir.join("etc/ssh").display()
        ),
    );
    script(
        &bin.join("deb-systemd-helper"),
        &format!("echo \"deb-systemd-helper $*\" >>{}\n", log.display()),
    );
    let path = format!("{}:{}", bin.display(), std::env::var("PATH").unwrap());
    std::process::Command::new("bash")
        .arg("-c")
        .arg(
            "set -euo pipefail; source \"$1\"; \
             apt_install_no_services 'ssh.service ssh.socket' \"$2/etc/ssh/ssh_host_*\" openssh-server",
        )
        .arg("bash")
        .arg(apt_install_script())
        .arg(dir)
        .env("PATH", path)
        .env("RTS_POLICY_RC_D", dir.join("policy-rc.d"))
        .output()
        .unwrap()
}

#[test]
fn a_daemon_package_is_installed_with_no_service_started_enabled_or_keyed() {
    let d = tempfile::tempdir().unwrap();
    // A host key from before stays; the one the install generates goes.
    std::fs::create_dir_all(d.path().join("etc/ssh")).unwrap();
    std::fs::write(d.path().join("etc/ssh/ssh_host_rsa_key"), b"old").unwrap();
    let o = install(d.path(), 0);
    assert_code(&o, 0);
    let log = std::fs::read_to_string(d.path().join("log")).unwrap();
    assert_eq!(
        log,
        "apt-get update -qq\n\
         apt-get install -y -qq openssh-server\n\
         policy-rc.d: 101\n\
         deb-systemd-helper disable ssh.service\n\
         deb-systemd-helper disable ssh.socket\n"
    );
    let mut keys: Vec<String> = std::fs::read_dir(d.path().join("etc/ssh"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    keys.sort();
    assert_eq!(keys, ["ssh_host_rsa_key"]);
    // No policy-rc.d was there before: none is left.
    assert!(!d.path().join("policy-rc.d").exists());
}

#[test]
fn the_policy_that_was_there_is_put_back_even_when_the_install_fails() {
    let d = tempfile::tempdir().unwrap();
    std::fs::write(d.path().join("policy-rc.d"), b"#!/bin/sh\nexit 0\n").unwrap();
    let o = install(d.path(), 100);
    assert_code(&o, 100);
    let log = std::fs::read_to_string(d.path().join("log")).unwrap();
    assert!(log.contains("policy-rc.d: 101"), "{log}");
    assert_eq!(
        std::fs::read(d.path().join("policy-rc.d")).unwrap(),
        b"#!/bin/sh\nexit 0\n"
    );
    // The units are not touched after a failed install.
    assert!(!log.contains("deb-systemd-helper"), "{log}");
}
