#!/usr/bin/env bash
# The journal's WAL under ingest load: serves the example on a fresh data
# directory, runs `baton load`, samples the size of journal.db-wal every
# 0.2 s, and prints the largest WAL seen, the WAL and database at the end.
#
#   scripts/wal_under_load.sh [BATON] [SIGNALS] [PORT]
set -euo pipefail
BATON=${1:-target/debug/baton}
SIGNALS=${2:-300000}
PORT=${3:-18471}
DATA=$(mktemp -d "${TMPDIR:-/tmp}/baton-wal.XXXXXX")
trap 'kill "$SERVER" 2>/dev/null || true; wait "$SERVER" 2>/dev/null || true; rm -rf "$DATA"' EXIT
TOKEN=$("$BATON" token create --data "$DATA" --role ingest --name load | awk '{print $NF}')
"$BATON" serve --event examples/rustconf-lisbon --data "$DATA" --listen "127.0.0.1:$PORT" 2>"$DATA/serve.log" &
SERVER=$!
for _ in $(seq 100); do
  curl -fs "http://127.0.0.1:$PORT/readyz" >/dev/null 2>&1 && break
  sleep 0.1
done
max=0
(
  "$BATON" load --url "http://127.0.0.1:$PORT" --token "$TOKEN" --batch 1000 --concurrency 4 --signals "$SIGNALS" >"$DATA/load.txt"
) &
LOAD=$!
while kill -0 "$LOAD" 2>/dev/null; do
  w=$(stat -c %s "$DATA/journal.db-wal" 2>/dev/null || echo 0)
  ((w > max)) && max=$w
  sleep 0.2
done
wait "$LOAD"
w=$(stat -c %s "$DATA/journal.db-wal" 2>/dev/null || echo 0)
((w > max)) && max=$w
db=$(stat -c %s "$DATA/journal.db")
grep -i "accepted\|signals/s\|rate" "$DATA/load.txt" | head -3 || true
echo "signals $SIGNALS: largest WAL $((max / 1024)) KiB, WAL at end $((w / 1024)) KiB, journal.db $((db / 1024)) KiB"
