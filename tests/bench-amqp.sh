#!/usr/bin/env bash
# tests/bench-amqp.sh BUILDDIR [N]
#
# Copyright 2026 The Pulse Inspector authors
# SPDX-License-Identifier: GPL-3.0-or-later
#
# pulse-listen straight to RabbitMQ against pulse-listen over SSE through
# pulse-events, in one run, on the same broker and the same publisher:
#   direct  pulse-listen --amqp amqp://guest@HOST:PORT/ (prefetch 200, acks
#           as the batches are taken)
#   sse     pulse-listen --server http://pulse-events; pulse-events --amqp
#           the same broker (no acks)
# A private RabbitMQ node (tests/rabbitmq-node) is started and stopped. Each
# leg: the client subscribes (its "Live" line), then tests/bench-amqp-publish
# publishes N (default 50,000) real-shaped ~1 KB task-completed messages as
# fast as the broker takes them, and the leg ends when the client has printed
# all N (--count N). Printed: messages/s from the first publish to the last
# message printed, the client's CPU (and pulse-events' during the SSE leg:
# what the SSE path costs on the client's side in all, which the machine's
# load moves less than the wall time), and direct / SSE. The legs alternate,
# best of BENCH_RUNS (default 3) each, so a busy moment of a shared machine
# does not fall on one of them only.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
builddir=$(cd "${1:?usage: bench-amqp.sh BUILDDIR [N]}" && pwd)
n=${2:-50000}
runs=${BENCH_RUNS:-3}

listen_bin="$builddir/src/cli/pulse-listen"
events_bin="$builddir/src/server/pulse-events"
publish_bin="$builddir/tests/bench-amqp-publish"
for bin in "$listen_bin" "$events_bin" "$publish_bin"; do
  [ -x "$bin" ] || { echo "bench-amqp: $bin is not built (ninja -C $builddir)" >&2; exit 1; }
done

exchange=exchange/taskcluster-queue/v1/task-completed
work=$(mktemp -d)
node_dir="$work/node"
events_pid=
cleanup() {
  [ -n "$events_pid" ] && { kill "$events_pid" 2>/dev/null || true; wait "$events_pid" 2>/dev/null || true; }
  "$here/rabbitmq-node" stop "$node_dir" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

url=$("$here/rabbitmq-node" start "$node_dir")   # amqp://guest:guest@127.0.0.1:PORT/
port=${url##*:}
port=${port%%/*}
direct_url="amqp://guest@127.0.0.1:$port/"
# The exchange exists before anyone binds to it.
"$publish_bin" "$url" "$exchange" 0 >/dev/null

"$events_bin" --listen 127.0.0.1:0 --amqp "$url" --queue-length $((n * 2)) \
  >"$work/events.out" 2>"$work/events.err" &
events_pid=$!
for _ in $(seq 1 300); do
  grep -q '^Listening on ' "$work/events.out" 2>/dev/null && break
  sleep 0.1
done
sse_url=$(awk '/^Listening on /{print $3}' "$work/events.out")
[ -n "$sse_url" ] || { echo "bench-amqp: pulse-events did not start" >&2; cat "$work/events.err" >&2; exit 1; }

now() { date +%s.%N; }
# pulse-events' CPU so far, in seconds (user + system).
events_cpu() {
  awk -v hz="$(getconf CLK_TCK)" '{ print ($14 + $15) / hz }' "/proc/$events_pid/stat"
}

# One leg: prints "SECONDS CPU PRINTED SERVER_CPU".
run_leg() { # direct|sse
  local err="$work/$1.err" out="$work/$1.out" time="$work/$1.time" pid t0 t1 printed c0 c1
  local args
  if [ "$1" = direct ]; then
    args=(--amqp "$direct_url" --queue-length "$n")
  else
    args=(--server "$sse_url")
  fi
  : >"$err"
  (
    TIMEFORMAT='%U %S'
    { time PULSE_PASSWORD=guest "$listen_bin" "${args[@]}" --bind "$exchange=#" --count "$n" \
        --timeout 600 2>"$err" | wc -l >"$out"; } 2>"$time"
  ) &
  pid=$!
  for _ in $(seq 1 600); do
    grep -q 'Live' "$err" 2>/dev/null && break
    sleep 0.05
  done
  grep -q 'Live' "$err" || { echo "bench-amqp: the $1 client did not go live" >&2; cat "$err" >&2; exit 1; }
  t0=$(now)
  c0=$(events_cpu)
  "$publish_bin" "$url" "$exchange" "$n" >"$work/publish.out"
  wait "$pid"
  t1=$(now)
  c1=$(events_cpu)
  printed=$(cat "$out")
  read -r user sys <"$time"
  awk -v a="$t0" -v b="$t1" -v u="$user" -v s="$sys" -v p="$printed" -v c="$(awk -v x="$c0" -v y="$c1" 'BEGIN{print y-x}')" \
    'BEGIN { printf "%.3f %.2f %d %.2f\n", b - a, u + s, p, c }'
}

declare -A best_s=() best_cpu=() best_server=()
for _ in $(seq 1 "$runs"); do
  for leg in direct sse; do
    read -r s cpu printed server < <(run_leg "$leg")
    [ "$printed" -ge "$n" ] || echo "bench-amqp: the $leg client printed $printed of $n lines" >&2
    if [ -z "${best_s[$leg]:-}" ] || awk -v a="$s" -v b="${best_s[$leg]}" 'BEGIN{exit !(a<b)}'; then
      best_s[$leg]=$s
      best_cpu[$leg]=$cpu
      best_server[$leg]=$server
    fi
  done
done

bytes=$(awk '/^BYTES /{print $2}' "$work/publish.out")
printf 'Stream: %d messages, %.1f MB of payloads, two CC routes each, RabbitMQ %s\n' \
  "$n" "$(awk -v b="$bytes" 'BEGIN{print b/1e6}')" \
  "$("$here/rabbitmq-node" ctl "$node_dir" version 2>/dev/null | head -1)"
printf 'Machine: %s, %s cores, load average %s\n' "$(uname -m)" "$(nproc)" "$(cut -d' ' -f1-3 /proc/loadavg)"
echo "Best of $runs runs each (first publish to last message printed):"
for leg in direct sse; do
  name="pulse-listen --amqp (direct)"
  [ "$leg" = sse ] && name="pulse-listen over SSE (pulse-events --amqp)"
  awk -v name="$name" -v s="${best_s[$leg]}" -v cpu="${best_cpu[$leg]}" -v n="$n" -v srv="${best_server[$leg]}" -v leg="$leg" \
    'BEGIN { printf "%-46s %6.2f s %9.0f msg/s %6.2f s client CPU", name, s, n / s, cpu;
             if (leg == "sse") printf " + %.2f s pulse-events CPU", srv; printf "\n" }'
done
awk -v a="${best_s[direct]}" -v b="${best_s[sse]}" \
  'BEGIN { printf "direct / SSE: %.2fx the messages per second\n", b / a }'
