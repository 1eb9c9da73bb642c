# `nix fmt`: alejandra itself (pkgs/by-name/al/alejandra, `meta.mainProgram = "alejandra"`; the
# stand-in's attribute is named alejandra-<version>, which Nix reads as program `alejandra`).
{toolchain, ...}: toolchain.alejandra
