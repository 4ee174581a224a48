#!/usr/bin/env bash
# tests/bench-listen.sh BUILDDIR [N]
#
# Copyright 2026 The Pulse Inspector authors
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Streams N (default 200,000) real-shaped ~1.1 KB task-completed messages from
# tests/bench-sse-server as fast as the socket takes them, and times these
# clients on the same stream, in one run:
#   pulse-listen   SSE parse + decode + JSON Lines out (to /dev/null)
#   curl -sN       the raw-transfer limit (no parsing at all)
#   node           npm `eventsource` 4.x + JSON.parse per message
# and pulse-listen on the same messages from tests/bench-ws-server over the
# Taskcluster web-server protocols (libsoup's server WebSocket):
#   --root-url URL          plain WebSocket, /subscription/raw
#   --root-url URL/graphql  GraphQL (graphql-ws) on /subscription, after the
#                           refused /subscription/raw upgrade, as on a
#                           deployment without the plain protocol
# Prints messages/s and MB/s (each stream's bytes / wall time) for each, and
# the WebSocket legs' time against SSE's (issue 14's target: within 1.5x).
# The runs of the clients alternate, so that a busy moment of a shared
# machine does not fall on one client only. The Node package is installed
# with npm into BUILDDIR/bench-node on first use.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
builddir=$(cd "${1:?usage: bench-listen.sh BUILDDIR [N]}" && pwd)
n=${2:-200000}

server_bin="$builddir/tests/bench-sse-server"
ws_server_bin="$builddir/tests/bench-ws-server"
listen_bin="$builddir/src/cli/pulse-listen"
for bin in "$server_bin" "$ws_server_bin" "$listen_bin"; do
  [ -x "$bin" ] || { echo "bench-listen: $bin is not built (ninja -C $builddir)" >&2; exit 1; }
done

work=$(mktemp -d)
server_pid=
ws_server_pid=
cleanup() {
  for pid in $server_pid $ws_server_pid; do
    kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true
  done
  rm -rf "$work"
}
trap cleanup EXIT

"$server_bin" "$n" >"$work/server.out" &
server_pid=$!
# PI_BENCH_WS_FRAMES=libsoup: the WebSocket server hands every data frame to
# libsoup (one write() each, ~0.9 s of its CPU on the client's cores)
# instead of writing them itself; see tests/bench-ws-server.c.
ws_server_args=()
[ "${PI_BENCH_WS_FRAMES:-}" = libsoup ] && ws_server_args=(--libsoup-frames)
"$ws_server_bin" "$n" "${ws_server_args[@]}" >"$work/ws-server.out" &
ws_server_pid=$!
for _ in $(seq 1 600); do
  grep -q '^URL ' "$work/server.out" 2>/dev/null && grep -q '^URL ' "$work/ws-server.out" 2>/dev/null && break
  sleep 0.1
done
base=$(awk '/^URL /{print $2}' "$work/server.out")
bytes=$(awk '/^BYTES /{print $2}' "$work/server.out")
ws_base=$(awk '/^URL /{print $2}' "$work/ws-server.out")
ws_bytes=$(awk '/^BYTES_RAW /{print $2}' "$work/ws-server.out")
graphql_bytes=$(awk '/^BYTES_GRAPHQL /{print $2}' "$work/ws-server.out")
[ -n "$base" ] && [ -n "$ws_base" ] || { echo "bench-listen: a server did not start" >&2; exit 1; }
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

report() { # name client [bytes]
  awk -v name="$1" -v s="${best_s[$2]}" -v cpu="${best_cpu[$2]}" -v n="$n" -v b="${3:-$bytes}" \
    'BEGIN { printf "%-40s %6.2f s %10.0f msg/s %8.1f MB/s %6.2f s CPU\n", name, s, n / s, b / s / 1e6, cpu }'
}

printf 'Stream: %d messages, %.1f MB (%.0f bytes per event), %s\n' \
  "$n" "$(awk -v b="$bytes" 'BEGIN{print b/1e6}')" "$(awk -v b="$bytes" -v n="$n" 'BEGIN{print b/n}')" "$base"
printf 'WebSocket: %.1f MB plain, %.1f MB GraphQL (%.0f and %.0f bytes per frame), %s\n' \
  "$(awk -v b="$ws_bytes" 'BEGIN{print b/1e6}')" "$(awk -v b="$graphql_bytes" 'BEGIN{print b/1e6}')" \
  "$(awk -v b="$ws_bytes" -v n="$n" 'BEGIN{print b/n}')" "$(awk -v b="$graphql_bytes" -v n="$n" 'BEGIN{print b/n}')" \
  "$ws_base"
printf 'WebSocket data frames written by: %s\n' "${PI_BENCH_WS_FRAMES:-the server itself, in 256 KB writes}"
printf 'Machine: %s, %s cores, load average %s\n' "$(uname -m)" "$(nproc)" "$(cut -d' ' -f1-3 /proc/loadavg)"

run_listen() {
  "$listen_bin" --server "$base" --bind 'exchange/taskcluster-queue/v1/task-completed=#' \
    --count "$n" 2>"$work/listen.err"
}
run_ws() {
  "$listen_bin" --root-url "$ws_base" --bind 'exchange/taskcluster-queue/v1/task-completed=#' \
    --count "$n" 2>"$work/ws.err"
}
run_graphql() {
  "$listen_bin" --root-url "$ws_base/graphql" --bind 'exchange/taskcluster-queue/v1/task-completed=#' \
    --count "$n" 2>"$work/graphql.err"
}
run_curl() { curl -sN "$connect"; }
run_node() { (cd "$node_dir" && node client.mjs "$connect" "$n"); }

clients=(listen ws graphql curl)
[ "$have_node" = yes ] && clients+=(node)

# Best of $runs for each client: the first run of anything pays for cold
# caches, and the machine may be shared. Each round runs every client once.
# The client's CPU time (user + system, all its threads) of the best run is
# kept too: on a shared machine it varies less than the wall time.
runs=${BENCH_RUNS:-3}
declare -A best_s=() best_cpu=()
TIMEFORMAT='%R %U %S'
for _ in $(seq 1 "$runs"); do
  for client in "${clients[@]}"; do
    { time "run_$client" >/dev/null; } 2>"$work/time"
    read -r s user sys <"$work/time"
    if [ -z "${best_s[$client]:-}" ] || awk -v a="$s" -v b="${best_s[$client]}" 'BEGIN{exit !(a<b)}'; then
      best_s[$client]=$s
      best_cpu[$client]=$(awk -v u="$user" -v k="$sys" 'BEGIN{print u+k}')
    fi
  done
done

echo "Best of $runs runs each:"
report "pulse-listen SSE (parse+decode+print)" listen
report "pulse-listen WebSocket /subscription/raw" ws "$ws_bytes"
report "pulse-listen GraphQL (graphql-ws)" graphql "$graphql_bytes"
report "curl -sN (raw transfer)" curl
if [ "$have_node" = yes ]; then
  report "node eventsource + JSON.parse" node
  awk -v a="${best_s[listen]}" -v b="${best_s[node]}" 'BEGIN { printf "pulse-listen / node: %.2fx\n", b / a }'
else
  echo "node eventsource + JSON.parse: skipped (node/npm or the eventsource package unavailable)"
fi
awk -v sse="${best_s[listen]}" -v ws="${best_s[ws]}" -v gql="${best_s[graphql]}" \
    -v sse_cpu="${best_cpu[listen]}" -v ws_cpu="${best_cpu[ws]}" -v gql_cpu="${best_cpu[graphql]}" 'BEGIN {
  printf "WebSocket time / SSE time: %.2fx; GraphQL / SSE: %.2fx (target: 1.5x or less)\n", ws / sse, gql / sse
  printf "CPU time: WebSocket / SSE %.2fx; GraphQL / SSE %.2fx\n", ws_cpu / sse_cpu, gql_cpu / sse_cpu
}'
