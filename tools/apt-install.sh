# shellcheck shell=bash
# Sourced by tools/remote-builder.sh and tools/binary-cache.sh: installs the Debian package of a
# daemon they run as their own process, and leaves no service of it running or enabled.
#
# apt_install_no_services UNITS LEFTOVERS PACKAGE...
#   UNITS      the package's systemd units, space separated (e.g. "ssh.service ssh.socket")
#   LEFTOVERS  a glob of files its install generates that must not stay (e.g. the host keys
#              "/etc/ssh/ssh_host_*"); those that existed before are kept. May be empty.
# For the install's length a policy-rc.d that refuses every start (exit 101, the interface
# invoke-rc.d and deb-systemd-invoke ask) replaces any there, and is put back after; then the
# units the package enabled are disabled (systemd and sysvinit links), so nothing starts at the
# next boot either. RTS_POLICY_RC_D names another policy-rc.d path (tests).

apt_install_no_services() {
  local units=$1 leftovers=$2
  shift 2
  local policy=${RTS_POLICY_RC_D:-/usr/sbin/policy-rc.d} before=() f
  if [ -n "$leftovers" ]; then
    # shellcheck disable=SC2206 # the glob is meant to expand
    before=($leftovers)
  fi
  (
    saved=""
    if [ -e "$policy" ]; then
      saved=$(mktemp)
      cp -p "$policy" "$saved"
    fi
    restore() {
      if [ -n "$saved" ]; then mv "$saved" "$policy"; else rm -f "$policy"; fi
    }
    trap restore EXIT
    trap 'exit 130' INT TERM HUP
    printf '#!/bin/sh\n# tools/apt-install.sh: no service starts during this install\nexit 101\n' >"$policy"
    chmod 755 "$policy"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
  ) || return
  local unit
  for unit in $units; do
    if command -v deb-systemd-helper >/dev/null; then
      deb-systemd-helper disable "$unit" >/dev/null 2>&1 || true
    fi
    if [[ $unit == *.service ]] && command -v update-rc.d >/dev/null && [ -e "/etc/init.d/${unit%.service}" ]; then
      update-rc.d "${unit%.service}" disable >/dev/null 2>&1 || true
    fi
  done
  if [ -n "$leftovers" ]; then
    for f in $leftovers; do
      [ -e "$f" ] || continue
      [[ " ${before[*]} " == *" $f "* ]] || rm -f -- "$f"
    done
  fi
}
