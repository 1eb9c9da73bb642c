{
  description = "rts-shards: an RTS test suite as one Nix check per (variant, test module)";

  inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-25.11";

  outputs = {nixpkgs, ...}: let
    # Systems this flake supports and the nixpkgs in use provides (the host stand-in has one).
    systems = builtins.filter (s: nixpkgs.legacyPackages ? ${s}) [
      "x86_64-linux"
      "aarch64-linux"
    ];
    perSystem = builtins.listToAttrs (
      map (system: {
        name = system;
        value = import ./nix/outputs.nix {
          inherit system;
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
    # Hydra wants jobs as <job>.<system>; shards are grouped under `shards`.
    hydraJobs = let
      jobs = pick "hydraJobs";
    in {
      shards = builtins.mapAttrs (_: j: j.shards) jobs;
      all-shards = builtins.mapAttrs (_: j: j.all-shards) jobs;
      report = builtins.mapAttrs (_: j: j.report) jobs;
    };
  };
}
