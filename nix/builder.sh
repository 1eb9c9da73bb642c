# The builder of every derivation here: runs its arguments (a script file, or -c and a script) in a
# subshell of this bash, then exits without racing Nix.
#
# Nix takes the end of the builder's output (EOF on the log pipe) as the end of the build and
# kills the builder's process group. The kernel closes a process's descriptors before it becomes
# a zombie, so a builder that closes the pipe itself can be killed while exiting, and a good
# build then fails "due to signal 9 (Killed)" (NixOS/nix#2176; about one build in a hundred
# here). So the builder hands its descriptors to a short-lived child: by the time the child closes
# them, the builder has exited and its status is kept.
#
# A subshell, not "$BASH script": Nix starts the builder as plain `bash`, and with no bash on PATH
# (a derivation need not declare one) $BASH is not this bash.
if [ "$1" = -c ]; then
  (eval "$2")
else
  (
    script=$1
    shift
    # shellcheck disable=SC1090 # the script is the derivation's
    source "$script"
  )
fi
status=$?
sleep 0.01 &
exit "$status"
