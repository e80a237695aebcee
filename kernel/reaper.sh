# Watchdog for one QEMU (kernel/vm.ts): sh kernel/reaper.sh <temp dir> <qemu command> [args…]
#
# KernelVm spawns it in a session of its own (so a terminal's Ctrl-C, which goes to the whole
# foreground process group, never reaches QEMU: only gemcheck decides when QEMU stops) with a
# pipe from node on its stdin. It waits for the line `go` (node's program socket listens),
# starts QEMU with its stdout/stderr (the console) and /dev/null as its stdin, then:
# - when the pipe reaches EOF (node exited or died, SIGKILL included: the kernel closes the
#   pipe whatever killed it), QEMU is SIGKILLed;
# - once QEMU is gone, whatever ended it, the temp dir is removed and the reaper exits with
#   QEMU's status (128+n: killed by signal n).
# EOF before `go` (node died while setting up) removes the temp dir and exits 125.
# KernelVm kills the whole process group (reaper, watcher, QEMU) itself when it drops a guest.
set -u
dir=$1
shift
exec 3<&0 </dev/null
IFS= read -r line <&3 || line=
if [ "$line" != go ]; then
  rm -rf -- "$dir"
  exit 125
fi
# QEMU's stderr is node's; the reaper's own goes to /dev/null from now on: once node is gone
# a write there (sh reports "Killed" for QEMU) would be SIGPIPE, and the temp dir would stay
exec 4>&2 2>/dev/null
"$@" 2>&4 3<&- 4>&- &
qemu=$!
exec 4>&-
# the watcher: a subshell (no child process of its own) blocked reading node's pipe
(
  while read -r _; do :; done <&3
  kill -KILL "$qemu"
) >/dev/null 2>&1 &
watcher=$!
exec 3<&-
wait "$qemu"
status=$?
kill -KILL "$watcher" 2>/dev/null
rm -rf -- "$dir"
exit "$status"
