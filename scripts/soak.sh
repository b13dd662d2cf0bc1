#!/usr/bin/env bash
# Soak bench: memory under sustained ingest, and restart time afterwards.
#
#   scripts/soak.sh [SIGNALS] [EVENT]     (default 10,000,000; examples/rustconf-lisbon)
#
# Starts `baton serve` (release) on a fresh data directory, drives SIGNALS
# unique readings through the HTTP ingest at full speed with `baton load`
# (batches of 1,000, 4 connections), samples the server's RSS and journal
# position every second into soak.csv, then stops it with SIGTERM and
# times a restart from its snapshot. Prints RSS after the first million
# signals, the plateau (median of the last third of the load), the maximum,
# RSS after 30 s idle, and the restart time. A bench, not a test: it checks
# nothing, it measures.
set -euo pipefail
cd "$(dirname "$0")/.."
signals="${1:-10000000}"
event="${2:-examples/rustconf-lisbon}"
cargo build --release -q -p baton-cli
bin=target/release/baton
work="$(mktemp -d)"
data="$work/data"
port="${BATON_SOAK_PORT:-18090}"
token="$("$bin" token create --data "$data" --role admin | awk '{print $NF}')"
serve() {
  "$bin" serve --event "$event" --data "$data" --listen "127.0.0.1:$port" >>"$work/serve.log" 2>&1 &
  pid=$!
}
ready() {
  for _ in $(seq 600); do
    curl -fs -H "Authorization: Bearer $token" "http://127.0.0.1:$port/readyz" >/dev/null && return 0
    sleep 0.05
  done
  echo "soak.sh: the server did not come up" >&2
  return 1
}
rss_kb() { awk '/^VmRSS/ {print $2}' "/proc/$1/status" 2>/dev/null || echo 0; }
position() {
  curl -fs -H "Authorization: Bearer $token" "http://127.0.0.1:$port/readyz" | awk '{print $3}'
}
serve
trap 'kill -TERM $pid 2>/dev/null || true; wait $pid 2>/dev/null || true' EXIT
ready
echo "t_s,position,rss_kb" >"$work/soak.csv"
(
  t=0
  while kill -0 "$pid" 2>/dev/null; do
    echo "$t,$(position || echo 0),$(rss_kb "$pid")" >>"$work/soak.csv"
    sleep 1
    t=$((t + 1))
  done
) &
sampler=$!
start=$(date +%s.%N)
"$bin" load --url "http://127.0.0.1:$port" --token "$token" --batch 1000 --concurrency 4 \
  --signals "$signals" | tee "$work/load.txt"
end=$(date +%s.%N)
sleep 30
idle_rss=$(rss_kb "$pid")
kill -TERM "$pid"
wait "$pid" || true
kill "$sampler" 2>/dev/null || true
t0=$(date +%s.%N)
serve
ready
t1=$(date +%s.%N)
restart_rss=$(rss_kb "$pid")
python3 - "$work/soak.csv" "$idle_rss" "$t0" "$t1" "$start" "$end" "$restart_rss" <<'PY'
import csv, sys, statistics
rows = [(int(r["t_s"]), int(r["position"] or 0), int(r["rss_kb"] or 0))
        for r in csv.DictReader(open(sys.argv[1])) if r["position"].isdigit()]
idle, t0, t1, start, end, rrss = int(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4]), float(sys.argv[5]), float(sys.argv[6]), int(sys.argv[7])
first = next((r for r in rows if r[1] >= 1_000_000), rows[-1])
# While signals arrive: the idle tail after the load would flatter the plateau.
# (Ticks still move the position when idle: busy is a gain of 1,000 a second.)
busy = [b for a, b in zip(rows, rows[1:]) if b[1] - a[1] >= 1_000] or rows
tail = busy[len(busy) * 2 // 3:] or busy
mb = lambda kb: kb / 1024
print(f"samples: {len(rows)}; last position {rows[-1][1]:,}; load {end - start:.1f} s")
print(f"RSS after the first million signals: {mb(first[2]):.0f} MB (at position {first[1]:,})")
print(f"plateau (median of the last third of the load): {mb(statistics.median(r[2] for r in tail)):.0f} MB")
print(f"max: {mb(max(r[2] for r in rows)):.0f} MB")
print(f"after 30 s idle: {mb(idle):.0f} MB")
print(f"restart to ready: {t1 - t0:.2f} s (RSS then {mb(rrss):.0f} MB)")
PY
grep -E "restored position|replayed" "$work/serve.log" | tail -1 || true
echo "CSV: $work/soak.csv"
