{
  description = "rts-shards: an RTS test suite as one Nix check per (variant, test module)";

  inputs = {
    nixpkgs.url = "github:NixOS/nixpkgs/nixos-25.11";
    # The suite this project was made for (nix/motoko): Motoko's RTS tests, and libtommath at the
    # revision Motoko's own flake.lock pins. Sources, not flakes.
    motoko = {
      url = "github:dfinity/motoko/9f065d7281eb84f5bc88c8201f2a2551bc89b8be";
      flake = false;
    };
    libtommath = {
      url = "github:libtom/libtommath/6ca6898bf37f583c4cc9943441cd60dd69f4b8f2";
      flake = false;
    };
  };

  outputs = {
    self,
    nixpkgs,
    motoko,
    libtommath,
    ...
  }: let
    # Systems this flake supports and the nixpkgs in use provides (the host stand-in has one).
    systems = builtins.filter (s: nixpkgs.legacyPackages ? ${s}) [
      "x86_64-linux"
      "aarch64-linux"
    ];
    perSystem = builtins.listToAttrs (
      map (system: {
        name = system;
        value = import ./nix/outputs.nix {
          inherit system motoko libtommath;
          inherit (self) lastModifiedDate;
          pkgs = nixpkgs.legacyPackages.${system};
        };
      })
      systems
    );
    pick = attr: builtins.mapAttrs (_: outputs: outputs.${attr}) perSystem;
  in {
    packages = pick "packages";
    checks = pick "checks";
    legacyPackages = pick "legacyPackages";
    lib = pick "lib";
    devShells = pick "devShells";
    formatter = pick "formatter";
    # Hydra wants jobs as <job>.<system>; shards are grouped under `shards`, and the deeper
    # nightly ones under `nightly`.
    hydraJobs = let
      jobs = pick "hydraJobs";
    in {
      shards = builtins.mapAttrs (_: j: j.shards) jobs;
      all-shards = builtins.mapAttrs (_: j: j.all-shards) jobs;
      report = builtins.mapAttrs (_: j: j.report) jobs;
      # The rts suite at its nightly scale, seeded by the source's date, and the Motoko suite
      # built exactly as upstream builds it (mo-<variant>-upstream-<shard>).
      nightly = builtins.mapAttrs (_: j: j.nightly) jobs;
    };
  };
}
