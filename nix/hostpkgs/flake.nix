{
  description = "A strict stand-in for nixpkgs, made of this machine's tools (tools/setup.sh installs them)";

  # Each attribute is its own store path whose bin/ holds only the programs that the nixpkgs
  # attribute of that name provides (./programs.nix), as links to host files. Builds run with the
  # Nix sandbox on and only those host files (./sandbox-paths.nix) mounted, so a program that a
  # derivation does not declare is missing here as it is on NixOS.
  outputs = _: let
    system = "x86_64-linux";
    table = import ./programs.nix;
    # Written by tools/setup.sh: the version of each attribute on this machine, so that a changed
    # host tool changes the store paths built from it.
    host =
      if builtins.pathExists ./host.json
      then builtins.fromJSON (builtins.readFile ./host.json)
      else throw "nix/hostpkgs/host.json is missing: run tools/setup.sh (it records this machine's tool versions)";
    # The stand-in's own builder: the host bash, with coreutils' mkdir, ln and cp by absolute
    # path (all three are files the sandbox mounts for the bash and coreutils attributes).
    hostBuild = name: env: script:
      builtins.derivation ({
          inherit name system;
          builder = "/usr/bin/bash";
          args = ["-c" script];
        }
        // env);
    linkFarm = attr: let
      entry = table.${attr};
      version = host.versions.${attr};
    in
      hostBuild "${builtins.replaceStrings ["."] ["-"] attr}-${version}" {
        # bin/<program> for each program; other paths (a library folder) from `links`.
        links = builtins.concatStringsSep "\n" (
          builtins.attrValues (builtins.mapAttrs (n: t: "bin/${n} ${t}") entry.programs)
          ++ builtins.attrValues (builtins.mapAttrs (n: t: "${n} ${t}") (entry.links or {}))
        );
      } ''
        set -eu
        /usr/bin/mkdir -p "$out"
        while read -r name target; do
          [ -n "$name" ] || continue
          if [ ! -e "$target" ]; then
            echo "stand-in ${attr}: $target is not on this machine (tools/setup.sh installs it)" >&2
            exit 1
          fi
          case $name in */*) /usr/bin/mkdir -p "$out/''${name%/*}" ;; esac
          /usr/bin/ln -s "$target" "$out/$name"
        done <<<"$links"
      '';
    # An optional attribute (statix) is left out where setup could not build it, as if this
    # package set did not have it.
    present = builtins.filter (attr: !(table.${attr}.optional or false) || host.versions ? ${attr}) (builtins.attrNames table);
    pkgs = builtins.listToAttrs (map (attr: {
        name = attr;
        value = linkFarm attr;
      })
      present);
    # The upstream version, as nixpkgs has it (Debian's carries a packaging suffix).
    rustcVersion = builtins.head (builtins.match "([0-9]+[.][0-9]+[.][0-9]+).*" host.versions.rustc);
  in {
    legacyPackages.${system} =
      removeAttrs pkgs [
        "stdenv.cc"
        "rustc.llvmPackages.lld"
        "llvmPackages.clang-unwrapped"
        "llvmPackages.clang-unwrapped.lib"
        "llvmPackages.llvm"
        "pkgsCross.wasi32.wasilibc"
      ]
      // {
        stdenv.cc = pkgs."stdenv.cc";
        llvmPackages = {
          clang-unwrapped = pkgs."llvmPackages.clang-unwrapped" // {lib = pkgs."llvmPackages.clang-unwrapped.lib";};
          llvm = pkgs."llvmPackages.llvm";
        };
        pkgsCross.wasi32.wasilibc = pkgs."pkgsCross.wasi32.wasilibc";
        rustc =
          pkgs.rustc
          // {
            version = rustcVersion;
            llvmPackages.lld = pkgs."rustc.llvmPackages.lld";
            # As in nixpkgs: the Rust source tarball, rustc-<version>-src.tar.gz with library/ and
            # vendor/ (tools/setup.sh packs it from Debian's rust-web-src; only those two parts).
            src = hostBuild "rustc-${rustcVersion}-src.tar.gz" {inherit (host) rustSrcHash;} ''
              /usr/bin/cp /opt/rts-shards/rustc-src.tar.gz "$out"
            '';
          };
      };
    # For --option extra-sandbox-paths: every host file a stand-in attribute links to, and the
    # libraries and data those programs load.
    sandboxPaths = import ./sandbox-paths.nix (map (attr: table.${attr}) present);
  };
}
