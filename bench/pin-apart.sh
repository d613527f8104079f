#!/bin/bash
# Runs a command (a bench) while pinning the bench's JVMs to CPU 0 and its own redis-servers to CPU 1, so that Redis
# does not compete with the worker for a core, as on a Redis host of its own. A redis-server on port 6379 (a shared
# instance) is left alone. Needs taskset (util-linux) and 2 or more cores.
#   bench/pin-apart.sh ./mvnw -q -Pbench package -Dbench.main=... -Dbench.args="..."
set -u
pin() {
  while true; do
    for p in $(pgrep -f "ThroughputBench|plexus-classworlds"); do taskset -a -p -c 0 "$p" >/dev/null 2>&1; done
    for p in $(pgrep -x redis-server); do
      if ! tr '\0' ' ' < "/proc/$p/cmdline" | grep -q ":6379"; then taskset -a -p -c 1 "$p" >/dev/null 2>&1; fi
    done
    sleep 0.5
  done
}
pin &
pinner=$!
trap 'kill $pinner 2>/dev/null' EXIT
"$@"
