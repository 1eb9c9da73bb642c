# The builder of every derivation here: runs its arguments with bash (a script file, or -c and a
# script), then exits without racing Nix.
#
# Nix takes the end of the builder's output (EOF on the log pipe) as the end of the build and
# kills the builder's process group. The kernel closes a process's descriptors before it becomes
# a zombie, so a builder that closes the pipe itself can be killed while exiting, and a good
# build then fails "due to signal 9 (Killed)" (NixOS/nix#2176; about one build in a hundred
# here). So the builder hands its descriptors to a short-lived child: by the time the child closes
# them, the builder has exited and its status is kept.
"$BASH" "$@"
status=$?
sleep 0.01 &
exit "$status"
