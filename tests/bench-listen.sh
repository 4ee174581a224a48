#!/usr/bin/env bash
# tests/bench-listen.sh BUILDDIR [N]
#
# Copyright 2026 The Pulse Inspector authors
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Streams N (default 200,000) real-shaped ~1.1 KB task-completed messages from
# tests/bench-sse-server as fast as the socket takes them, and times three
# clients on the same stream, in one run:
#   pulse-listen   SSE parse + decode + JSON Lines out (to /dev/null)
#   curl -sN       the raw-transfer limit (no parsing at all)
#   node           npm `eventsource` 4.x + JSON.parse per message
# Prints messages/s and MB/s (stream bytes / wall time) for each. The Node
# package is installed with npm into BUILDDIR/bench-node on first use.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
builddir=$(cd "${1:?usage: bench-listen.sh BUILDDIR [N]}" && pwd)
n=${2:-200000}

server_bin="$builddir/tests/bench-sse-server"
listen_bin="$builddir/src/cli/pulse-listen"
for bin in "$server_bin" "$listen_bin"; do
  [ -x "$bin" ] || { echo "bench-listen: $bin is not built (ninja -C $builddir)" >&2; exit 1; }
done

work=$(mktemp -d)
server_pid=
cleanup() {
  if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

"$server_bin" "$n" >"$work/server.out" &
server_pid=$!
for _ in $(seq 1 600); do
  grep -q '^URL ' "$work/server.out" 2>/dev/null && break
  sleep 0.1
done
base=$(awk '/^URL /{print $2}' "$work/server.out")
bytes=$(awk '/^BYTES /{print $2}' "$work/server.out")
[ -n "$base" ] || { echo "bench-listen: the server did not start" >&2; exit 1; }
connect="$base/connect/?bindings=%7B%22bindings%22%3A%5B%5D%7D"

# Node reference client (npm registry; installed once per build directory).
node_dir="$builddir/bench-node"
have_node=no
if command -v node >/dev/null && command -v npm >/dev/null; then
  mkdir -p "$node_dir"
  cp "$here/bench-node/package.json" "$here/bench-node/client.mjs" "$node_dir/"
  if [ ! -d "$node_dir/node_modules/eventsource" ]; then
    (cd "$node_dir" && npm install --no-audit --no-fund --loglevel=error >&2) || true
  fi
  [ -d "$node_dir/node_modules/eventsource" ] && have_node=yes
fi

now() { date +%s.%N; }

report() { # name seconds
  awk -v name="$1" -v s="$2" -v n="$n" -v b="$bytes" \
    'BEGIN { printf "%-34s %8.2f s %12.0f msg/s %9.1f MB/s\n", name, s, n / s, b / s / 1e6 }'
}

printf 'Stream: %d messages, %.1f MB (%.0f bytes per event), %s\n' \
  "$n" "$(awk -v b="$bytes" 'BEGIN{print b/1e6}')" "$(awk -v b="$bytes" -v n="$n" 'BEGIN{print b/n}')" "$base"
printf 'Machine: %s, %s cores\n' "$(uname -m)" "$(nproc)"

# Best of $runs for each client: the first run of anything pays for cold
# caches, and the machine may be shared.
runs=${BENCH_RUNS:-3}
best() { # command...: prints the shortest wall time of $runs runs
  local best_s= t0 t1 s
  for _ in $(seq 1 "$runs"); do
    t0=$(now)
    "$@" >/dev/null
    t1=$(now)
    s=$(awk -v a="$t0" -v b="$t1" 'BEGIN{print b-a}')
    if [ -z "$best_s" ] || awk -v a="$s" -v b="$best_s" 'BEGIN{exit !(a<b)}'; then best_s=$s; fi
  done
  echo "$best_s"
}

run_listen() {
  "$listen_bin" --server "$base" --bind 'exchange/taskcluster-queue/v1/task-completed=#' \
    --count "$n" 2>"$work/listen.err"
}
run_curl() { curl -sN "$connect"; }
run_node() { (cd "$node_dir" && node client.mjs "$connect" "$n"); }

listen_s=$(best run_listen)
curl_s=$(best run_curl)
node_s=
if [ "$have_node" = yes ]; then
  node_s=$(best run_node)
fi

echo "Best of $runs runs each:"
report "pulse-listen (parse+decode+print)" "$listen_s"
report "curl -sN (raw transfer)" "$curl_s"
if [ -n "$node_s" ]; then
  report "node eventsource + JSON.parse" "$node_s"
  awk -v a="$listen_s" -v b="$node_s" 'BEGIN { printf "pulse-listen / node: %.2fx\n", b / a }'
else
  echo "node eventsource + JSON.parse: skipped (node/npm or the eventsource package unavailable)"
fi
