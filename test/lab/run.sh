#!/usr/bin/env bash
# The NAT lab's one shell entry point: builds the lab, runs a case, tears it down, and leaves
# no namespace behind even when the case fails or this script is interrupted.
#
#   sudo test/lab/run.sh CASE [--a P] [--b P] [--hairpin] [--delay MS] [--hop-delay MS] [--loss PCT]
#     CASE: behave hairpin ping punch matrix birthday up   (see test/lab/cli.ts, docs/lab.md)
#           test     run the lab's Deno tests (test/lab/)
#           sweep    only delete namespaces left by killed runs
#
# Every namespace of this run is named pk-<this shell's PID>-...; on EXIT, INT and TERM the
# cleanup stops the case's process and every process inside those namespaces by PID and
# deletes the namespaces by name. At start, namespaces of earlier runs whose PID is dead are
# swept away.
set -uo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
DENO="${DENO:-deno}"
export PK_LAB_PREFIX="pk-$$-"
child=""

remove_ns() { # NAME: kill what runs inside by PID, then delete it by name
  local pid
  for pid in $(ip netns pids "$1" 2>/dev/null | head -n 1000); do kill -KILL "$pid" 2>/dev/null; done
  ip netns del "$1" 2>/dev/null || true
}

lab_namespaces() { ip netns list 2>/dev/null | awk '{print $1}' | head -n 10000; }

sweep() { # namespaces pk-<pid>-... whose pid is no longer alive
  local ns pid
  for ns in $(lab_namespaces | grep -E '^pk-[0-9]+-'); do
    pid="${ns#pk-}"; pid="${pid%%-*}"
    [ -d "/proc/$pid" ] || { echo "sweep: removing stale $ns" >&2; remove_ns "$ns"; }
  done
}

cleanup() {
  trap - EXIT INT TERM
  if [ -n "$child" ] && kill -0 "$child" 2>/dev/null; then
    kill -TERM "$child" 2>/dev/null
    for _ in $(seq 1 30); do kill -0 "$child" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$child" 2>/dev/null
    wait "$child" 2>/dev/null
  fi
  local ns
  for ns in $(lab_namespaces | grep -F -- "$PK_LAB_PREFIX" | grep "^$PK_LAB_PREFIX"); do
    remove_ns "$ns"
  done
}
trap cleanup EXIT
trap 'cleanup; exit 130' INT
trap 'cleanup; exit 143' TERM

usage() { sed -n '2,13p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2; }

[ $# -ge 1 ] || { usage; exit 2; }
[ "$(id -u)" = 0 ] || { echo "run.sh: the NAT lab needs root" >&2; exit 2; }
for tool in ip nft "$DENO"; do
  command -v "$tool" >/dev/null || { echo "run.sh: $tool not found" >&2; exit 2; }
done

sweep
case_name="$1"; shift
case "$case_name" in
  sweep) exit 0 ;;
  test) "$DENO" test -A "$here/" "$@" & child=$! ;;
  -h|--help|help) usage; exit 0 ;;
  *) "$DENO" run -A "$here/cli.ts" "$case_name" "$@" & child=$! ;;
esac
wait "$child"
status=$?
exit "$status"
