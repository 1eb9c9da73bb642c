# The host paths a sandboxed build through the stand-in may see: the files the attributes of
# ./programs.nix (the entries given) link to, the shared libraries they load (/usr/lib, with the
# /lib and /lib64 links of a merged-/usr Debian and the loader's cache), and the Rust source
# tarball. Nothing else of /usr/bin, /bin, /opt or /etc is visible. Returns one space-separated
# string.
#
# No path may lie inside a listed directory: Nix makes the mount point of a file by writing an
# empty file at its place in the sandbox, and inside a directory that is already bind-mounted that
# place is the host's own file (lld's wasm-ld under /usr/lib would be truncated). Programs under
# /usr/lib are visible through /usr/lib anyway.
entries: let
  dirs = ["/usr/lib" "/lib" "/lib64"];
  inside = p: builtins.any (d: builtins.substring 0 (builtins.stringLength d + 1) p == "${d}/") dirs;
  targets = builtins.filter (p: !inside p) (builtins.concatMap (e: builtins.attrValues (e.programs // (e.links or {}))) entries);
  unique = builtins.foldl' (acc: p:
    if builtins.elem p acc
    then acc
    else acc ++ [p]) [];
in
  builtins.concatStringsSep " " (unique targets
    ++ dirs
    ++ [
      "/etc/ld.so.cache"
      "/opt/rts-shards/rustc-src.tar.gz"
    ])
