# Vendors the crates.io packages of some Cargo.lock files: one fixed-output download per crate,
# checked against the lock file's checksum, then unpacked into one directory that cargo can use
# as a replacement for crates.io. The lock files are read at evaluation time from the source tree,
# so there is no import-from-derivation.
{
  system,
  toolchain,
}: name: lockFiles: let
  registry = "registry+https://github.com/rust-lang/crates.io-index";
  packages = builtins.concatMap (f: (builtins.fromTOML (builtins.readFile f)).package or []) lockFiles;
  fromRegistry = builtins.filter (p: (p.source or "") == registry) packages;
  # One entry per name and version, even when several lock files list it.
  crates = builtins.attrValues (
    builtins.listToAttrs (
      map (p: {
        name = "${p.name}-${p.version}";
        value = p;
      })
      fromRegistry
    )
  );
  # Nix's built-in fetcher (what <nix/fetchurl.nix> uses), so this needs nothing from nixpkgs.
  fetchCrate = p: let
    url = "https://static.crates.io/crates/${p.name}/${p.name}-${p.version}.crate";
  in
    builtins.derivation {
      name = "${p.name}-${p.version}.crate";
      builder = "builtin:fetchurl";
      system = "builtin";
      inherit url;
      urls = [url];
      outputHashMode = "flat";
      outputHashAlgo = "sha256";
      outputHash = p.checksum;
      executable = false;
      unpack = false;
      preferLocalBuild = true;
    };
in
  builtins.derivation {
    name = "${name}-vendor";
    inherit system;
    builder = toolchain.bash;
    PATH = toolchain.unpackPath;
    args = [./builder.sh ./vendor-crates.sh];
    # Lines of "<dir name> <sha256> <.crate path>".
    crates = builtins.concatStringsSep "\n" (
      map (p: "${p.name}-${p.version} ${p.checksum} ${fetchCrate p}") crates
    );
  }
