# Everything the flake exports, for one system.
{
  pkgs,
  system,
  # Motoko's and libtommath's sources (flake inputs), for the second suite (./motoko).
  motoko,
  libtommath,
  # The date of the flake's source (`self.lastModifiedDate`, YYYYMMDDHHMMSS): the nightly jobs'
  # seed, so that every day's source explores new seeds and a rerun of one day reproduces it.
  lastModifiedDate ? "19700101000000",
  contentAddressed ? false,
}: let
  toolchain = import ./toolchain.nix pkgs;
  # The suites, described by data (./suites.json): their variants and shard matrix files.
  suites = builtins.mapAttrs (_: s: {
    nightlyScale = s.nightly_scale or 1;
    variantsFile = ../. + "/${s.variants}";
    matrixFile = ../. + "/${s.matrix}";
    variants = builtins.fromJSON (builtins.readFile (../. + "/${s.variants}"));
    matrix = builtins.fromJSON (builtins.readFile (../. + "/${s.matrix}"));
  }) (builtins.fromJSON (builtins.readFile ./suites.json));
  inherit (suites.rts) variants matrix;
  variantNames = builtins.attrNames variants;
  call = f: import f {inherit system toolchain;};

  # Sources are filtered so that each build sees only what it uses: a change to README.md or
  # tools/ rebuilds no variant and reruns no shard.
  notTarget = path: type: !(type == "directory" && baseNameOf path == "target");
  # rts/tools holds the developers' import-graph script, which no build uses.
  rtsSrc = builtins.path {
    name = "rts-src";
    path = ../rts;
    filter = path: type: notTarget path type && path != toString ../rts/tools;
  };
  # The CLI's cargo package only: the scripts beside it (setup, test, ...) run no build.
  toolsSrc = builtins.path {
    name = "tools-src";
    path = ../tools;
    filter = path: type:
      notTarget path type
      && (dirOf path != toString ../tools || builtins.elem (baseNameOf path) ["Cargo.toml" "Cargo.lock" "src" "tests"]);
  };
  nixSrc = builtins.path {
    name = "nix-src";
    path = ../.;
    filter = path: type:
      if type == "directory"
      then !builtins.elem (baseNameOf path) ["target" ".git" "rts" "tools"]
      else builtins.match ".*\\.nix" path != null;
  };

  vendor = call ./cargo-vendor.nix;
  cargoRun = call ./cargo-run.nix;
  rustSrc = call ./rust-src.nix;
  rtsVendor = vendor "rts" [../rts/Cargo.lock];
  toolsVendor = vendor "tools" [../tools/Cargo.lock];

  # One standard library per wasm target, shared by the variants of that target.
  wasmBuild = import ./wasm-build.nix {inherit system toolchain rustSrc;};
  mkSysroot = import ./sysroot.nix {inherit toolchain rustSrc wasmBuild;};
  sysroots = builtins.listToAttrs (map (target: {
    name = target;
    value = mkSysroot target;
  }) (map (name: variants.${name}.target) variantNames));

  rtsPackages = builtins.listToAttrs (map (name: {
      name = "rts-${name}";
      value = import ./variant.nix {
        inherit wasmBuild rtsSrc rtsVendor name contentAddressed;
        variant = variants.${name};
        sysroot = sysroots.${variants.${name}.target};
      };
    })
    variantNames);

  rtsShards = cargoRun {
    name = "rts-shards";
    src = toolsSrc;
    vendorDir = toolsVendor;
    script = ''
      cargo build --release --locked --bin rts-shards
      mkdir -p "$out/bin"
      cp "$CARGO_TARGET_DIR/release/rts-shards" "$out/bin/"
    '';
  };

  # The second suite: Motoko's own RTS tests, sharded by the same engine.
  motokoSuite = import ./motoko {
    inherit system toolchain wasmBuild rustSrc vendor motoko libtommath;
    inherit (suites.motoko) variants;
  };
  motokoMatrix = suites.motoko.matrix;

  # The built modules of each suite's variants.
  rtsBuilds =
    builtins.mapAttrs (name: _: let
      p = rtsPackages."rts-${name}";
    in {
      wasm = "${p}/rts_testsuite.wasm";
      cwasm = "${p}/rts_testsuite.cwasm";
    })
    variants;
  allVariants = variants // motokoSuite.variants;
  allBuilds = rtsBuilds // motokoSuite.builds;

  # One shard engine for both suites: every variant of either, and the module it runs.
  # Motoko's suite as upstream builds it (nix/motoko: the `-upstream` variants) runs by the same
  # engine, outside the default checks.
  mkShard = import ./shard.nix {
    inherit system toolchain;
    variants = allVariants // motokoSuite.upstream.variants;
    modules = builtins.mapAttrs (_: b: b.cwasm) (allBuilds // motokoSuite.upstream.builds);
    suiteOf =
      builtins.foldl' (acc: suite: acc // builtins.mapAttrs (_: _: suite) suites.${suite}.variants) {} (builtins.attrNames suites)
      // builtins.mapAttrs (_: _: "motoko") motokoSuite.upstream.variants;
  };
  # The shards of a matrix, each with the matrix's seed unless `over` says otherwise.
  shardsWith = over: m:
    builtins.listToAttrs (map (s: {
        inherit (s) name;
        value = mkShard ({inherit (s) variant module seed;} // over);
      })
      m.shards);
  shardsOf = shardsWith {};
  # The rts suite deeper: every shard at the suite's nightly scale (nix/suites.json), seeded
  # with the source's date (e.g. 20261130). New derivations; the default checks stay cached.
  nightlyShards =
    shardsWith {
      seed = builtins.fromJSON (builtins.substring 0 8 lastModifiedDate);
      scale = suites.rts.nightlyScale;
    }
    matrix;
  rtsShardChecks = shardsOf matrix;
  motokoShards = shardsOf motokoMatrix;
  # Every Motoko shard built exactly as upstream builds its tests (no ./motoko/speedups): the
  # same units fail or pass there, and any difference the speed-ups made would show.
  motokoUpstreamShards = builtins.listToAttrs (map (s: let
      variant = "${s.variant}-upstream";
    in {
      name = "${variant}-${s.module}";
      value = mkShard {
        inherit variant;
        inherit (s) module seed;
      };
    })
    motokoMatrix.shards);
  shards = rtsShardChecks // motokoShards;

  shardsFresh = import ./shards-fresh.nix {inherit system toolchain rtsShards;};

  # Checks of the project itself, beside the shards.
  projectChecks = {
    shards-fresh = shardsFresh {
      name = "shards-fresh";
      inherit (suites.rts) variantsFile matrixFile;
      builds = rtsBuilds;
    };
    motoko-shards-fresh = shardsFresh {
      name = "motoko-shards-fresh";
      inherit (suites.motoko) variantsFile matrixFile;
      inherit (motokoSuite) builds;
    };
    motoko-split-coverage = import ./motoko/coverage.nix {
      inherit system toolchain motoko;
      inherit (motokoSuite) variants;
      matrix = motokoMatrix;
      shards = motokoShards;
    };
    tools-test = cargoRun {
      name = "tools-test";
      src = toolsSrc;
      vendorDir = toolsVendor;
      script = ''
        export RTS_SHARDS_RUN_SHARD=${./run-shard.sh} RTS_SHARDS_VARIANTS_FILE=${./variants.json} RTS_SHARDS_SUITES_FILE=${./suites.json}
        export RTS_SHARDS_HYDRA_AGGREGATE=${./hydra-aggregate.sh} RTS_SHARDS_APT_INSTALL=${../tools/apt-install.sh}
        RTS_SHARDS_REQUIRE_WASMTIME=1 cargo test --locked
        touch "$out"
      '';
    };
    tools-clippy = cargoRun {
      name = "tools-clippy";
      src = toolsSrc;
      vendorDir = toolsVendor;
      script = ''
        cargo clippy --locked --all-targets -- -D warnings
        touch "$out"
      '';
    };
    nix-lint = import ./nix-lint.nix {inherit system toolchain nixSrc;};
    cwasm-portable = import ./cwasm-portable.nix {
      inherit system toolchain;
      variants = allVariants;
      builds = allBuilds;
    };
  };
in {
  packages = rtsPackages // motokoSuite.packages // motokoSuite.upstream.packages // {rts-shards = rtsShards;};
  checks = shards // projectChecks;
  # `nix build .#checks.<variant>-<module>` looks under legacyPackages.<system>.
  legacyPackages.checks = shards // projectChecks;
  hydraJobs = {
    inherit shards;
    all-shards = call ./hydra-aggregate.nix "all-shards" (builtins.attrValues shards);
    report = import ./shard-report.nix {inherit system toolchain rtsShards;} shards;
    nightly = let
      jobs = nightlyShards // motokoUpstreamShards;
    in
      jobs // {all = call ./hydra-aggregate.nix "nightly-all" (builtins.attrValues jobs);};
  };
  devShells.default = call ./dev-shell.nix;
  formatter = call ./formatter.nix;
  # Any shard with any seed (or memory cap, or timeout), leaving the default checks untouched:
  #   nix build --impure --expr '(builtins.getFlake (toString ./.)).lib.x86_64-linux.shard
  #     { variant = "inc"; module = "leb128"; seed = 7; }'
  lib = {
    shard = mkShard;
    # The same outputs with content-addressed variant builds (early cutoff), opt-in because it
    # needs `--extra-experimental-features ca-derivations`.
    contentAddressed = import ./outputs.nix {
      inherit pkgs system motoko libtommath lastModifiedDate;
      contentAddressed = true;
    };
  };
}
