# The flake's outputs for the current system, built from the host stand-in for nixpkgs, for
# `nix build --impure --expr`, where `--override-input` is not available. For example, a shard
# with another seed (the default checks keep their hashes):
#   nix build -L --impure --expr '(import ./nix/standin.nix).lib.shard { variant = "inc"; module = "leb128"; seed = 7; }'
let
  inherit (builtins) currentSystem;
  hostpkgs = (import ./hostpkgs/flake.nix).outputs {};
in
  import ./outputs.nix {
    system = currentSystem;
    pkgs = hostpkgs.legacyPackages.${currentSystem};
    # The source inputs of the Motoko suite come with the flake (and its offline overrides);
    # here only the shards of rts/ can be built.
    motoko = throw "nix/standin.nix builds the rts/ suite only; use the flake for the Motoko suite";
    libtommath = throw "nix/standin.nix builds the rts/ suite only; use the flake for the Motoko suite";
  }
