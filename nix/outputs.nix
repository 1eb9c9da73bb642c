# Everything the flake exports, for one system.
{
  pkgs,
  system,
}:
let
  toolchain = import ./toolchain.nix pkgs;
  variants = builtins.fromJSON (builtins.readFile ./variants.json);
  matrix = builtins.fromJSON (builtins.readFile ./shards.json);

  # Only rts/ goes into the variant builds (no target/ directories), so a change anywhere else
  # keeps every variant and shard cached.
  rtsSrc = builtins.path {
    name = "rts-src";
    path = ../rts;
    filter = path: type: !(type == "directory" && baseNameOf path == "target");
  };

  rtsPackages = builtins.listToAttrs (
    map (name: {
      name = "rts-${name}";
      value = import ./variant.nix {
        inherit system toolchain rtsSrc name;
        variant = variants.${name};
      };
    }) (builtins.attrNames variants)
  );

  mkShard = import ./shard.nix {
    inherit system toolchain variants rtsPackages;
  };

  shards = builtins.listToAttrs (
    map (s: {
      inherit (s) name;
      value = mkShard { inherit (s) variant module seed; };
    }) matrix.shards
  );
in
{
  packages = rtsPackages;
  checks = shards;
  # `nix build .#checks.<variant>-<module>` looks under legacyPackages.<system>.
  legacyPackages.checks = shards;
  # Any shard with any seed, leaving the default checks untouched:
  #   nix build --impure --expr '(builtins.getFlake (toString ./.)).lib.x86_64-linux.shard
  #     { variant = "inc"; module = "leb128"; seed = 7; }'
  lib.shard = mkShard;
}
