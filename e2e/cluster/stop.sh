#!/usr/bin/env bash
# Stops a control plane started by e2e/cluster/start.sh and removes its directory.
#   e2e/cluster/stop.sh [--keep] DIR    (--keep: leave DIR, e.g. to read logs/)
# Only the processes whose pids start.sh recorded in DIR/*.pid are signalled (each in its own session, so their
# children go too); it is safe to run twice.
set -uo pipefail
keep=0
[ "${1:-}" = --keep ] && { keep=1; shift; }
dir="${1:?usage: stop.sh [--keep] DIR}"
[ -d "$dir" ] || exit 0

for name in kube-controller-manager kube-apiserver etcd; do
  f="$dir/$name.pid"
  [ -f "$f" ] || continue
  pid="$(cat "$f")"
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null
    for _ in $(seq 1 40); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
    kill -0 "$pid" 2>/dev/null && { kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null; }
  fi
  rm -f "$f"
done
[ "$keep" = 1 ] || rm -rf "$dir"
