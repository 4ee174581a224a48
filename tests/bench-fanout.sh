#!/usr/bin/env bash
# tests/bench-fanout.sh BUILDDIR [BENCH-FANOUT ARGS...]
#
# Copyright 2026 The Pulse Inspector authors
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Issue 15's fan-out targets, both brokers in one run: starts a private
# RabbitMQ node (tests/rabbitmq-node), then tests/bench-fanout --targets
# measures the embedded exchange at 20,000 messages/s and RabbitMQ at
# 5,000 messages/s, and searches the highest rate RabbitMQ holds with p99
# under 100 ms and nothing lost. Further arguments go to bench-fanout
# (e.g. --duration 5 --step 2000); with --search or --idle among them only
# that runs, on RabbitMQ. The node is stopped at the end.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
builddir=$(cd "${1:?usage: bench-fanout.sh BUILDDIR [ARGS...]}" && pwd)
shift

bench_bin="$builddir/tests/bench-fanout"
events_bin="$builddir/src/server/pulse-events"
for bin in "$bench_bin" "$events_bin"; do
  [ -x "$bin" ] || { echo "bench-fanout: $bin is not built (ninja -C $builddir)" >&2; exit 1; }
done

work=$(mktemp -d)
node_dir="$work/node"
cleanup() {
  "$here/rabbitmq-node" stop "$node_dir" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

url=$("$here/rabbitmq-node" start "$node_dir")
echo "RabbitMQ: $("$here/rabbitmq-node" ctl "$node_dir" version 2>/dev/null || echo '?'), cores: $(nproc), load average: $(cut -d' ' -f1-3 /proc/loadavg)"
mode=--targets
for arg in "$@"; do
  case $arg in --search|--idle|--idle=*) mode= ;; esac
done
"$bench_bin" --server "$events_bin" --amqp "$url" $mode "$@"
