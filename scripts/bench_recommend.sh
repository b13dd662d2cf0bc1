#!/usr/bin/env bash
# Recommendations on the server, measured from outside (issue 15's
# targets: 10,000 attendees in one bulk request < 200 ms; one attendee
# < 1 ms on the server). Not a test: figures go to the README.
#
#   scripts/bench_recommend.sh EVENT_DIR START_AT [ROUNDS]
#
# EVENT_DIR is an imported event (baton import ...); START_AT an RFC 3339
# time during its first day (a manual clock starts there, so the
# programme is live). The twin writes every app user's bookmarks
# (`baton sim --bookmarks-out`), they are posted as attendee.plan
# signals (with share_position, so walks count), then:
#   - the bulk request for the first 10,000 ids, ROUNDS times;
#   - ROUNDS x 100 single requests on one keep-alive connection.
# Each answer's `Server-Timing` header says the time spent on the server;
# curl's time_total adds the loopback and client.
set -euo pipefail
EVENT=${1:?event directory}
START=${2:?start time, RFC 3339}
ROUNDS=${3:-5}
BATON=${BATON:-target/release/baton}
PORT=${PORT:-18099}
WORK=$(mktemp -d)
trap 'kill $SERVER 2>/dev/null || true; rm -rf "$WORK"' EXIT

"$BATON" sim "$EVENT" --seeds 1 --bookmarks-out "$WORK/plans.jsonl" >/dev/null
"$BATON" token create --data "$WORK/data" --role ingest --name bench >"$WORK/ingest.txt"
"$BATON" token create --data "$WORK/data" --role app --name bench-app >"$WORK/app.txt"
INGEST=$(awk '{print $NF}' "$WORK/ingest.txt")
APP=$(awk '{print $NF}' "$WORK/app.txt")
"$BATON" serve --event "$EVENT" --data "$WORK/data" --listen 127.0.0.1:$PORT \
  --clock manual --start-at "$START" 2>"$WORK/serve.log" &
SERVER=$!
for _ in $(seq 100); do curl -sf http://127.0.0.1:$PORT/readyz >/dev/null && break; sleep 0.1; done

# The plans, with consent to use positions, in batches of 2,000.
python3 - "$WORK/plans.jsonl" "$WORK" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
for r in rows:
    r.setdefault("data", {})["share_position"] = True
for i in range(0, len(rows), 2000):
    with open(f"{sys.argv[2]}/batch-{i // 2000:03d}.json", "w") as f:
        json.dump(rows[i:i + 2000], f)
print(f"{len(rows)} plans", file=sys.stderr)
PY
for f in "$WORK"/batch-*.json; do
  curl -sf -o /dev/null -H "authorization: Bearer $INGEST" \
    -H 'content-type: application/cloudevents-batch+json' --data-binary @"$f" \
    http://127.0.0.1:$PORT/v1/signals
done
python3 -c "import json; print(json.dumps({'attendees': ['a%d' % i for i in range(10000)]}))" >"$WORK/bulk.json"

echo "bulk of 10,000 ids (server ms, curl s):"
for _ in $(seq "$ROUNDS"); do
  curl -s -o "$WORK/bulk-out.json" -D "$WORK/h.txt" -w '%{time_total}' \
    -H "authorization: Bearer $APP" -H 'content-type: application/json' \
    --data-binary @"$WORK/bulk.json" http://127.0.0.1:$PORT/v1/recommendations >"$WORK/t.txt"
  echo "  $(grep -i server-timing "$WORK/h.txt" | tr -d '\r' | sed 's/.*dur=//') ms  $(cat "$WORK/t.txt") s"
done
echo "bulk of 10,000 ids after one new signal each time (a new position: the read and the solve again):"
for i in $(seq "$ROUNDS"); do
  curl -sf -o /dev/null -H "authorization: Bearer $INGEST" -H 'content-type: application/json' \
    --data "{\"specversion\":\"1.0\",\"id\":\"bench-$i\",\"source\":\"bench\",\"type\":\"attendee.checked_in\",\"subject\":\"bench-$i\",\"data\":{}}" \
    http://127.0.0.1:$PORT/v1/signals
  curl -s -o "$WORK/bulk-out.json" -D "$WORK/h.txt" -w '%{time_total}' \
    -H "authorization: Bearer $APP" -H 'content-type: application/json' \
    --data-binary @"$WORK/bulk.json" http://127.0.0.1:$PORT/v1/recommendations >"$WORK/t.txt"
  echo "  $(grep -i server-timing "$WORK/h.txt" | tr -d '\r' | sed 's/.*dur=//') ms  $(cat "$WORK/t.txt") s"
done
python3 - "$WORK/bulk-out.json" <<'PY'
import json, sys
v = json.load(open(sys.argv[1]))
items = v["items"]
known = sum(1 for i in items if i["known"])
sent = sum(1 for i in items if i["items"] and i["items"][0].get("instead_of"))
print(f"  {len(items)} answers, {known} known attendees, {sent} sent instead of a likely-full bookmark; "
      f"{len(v['spread']['likely_full'])} likely-full sessions in the solve ({v['spread']['method']})")
PY

echo "single requests (server ms: median, p99, max over $((ROUNDS * 100))):"
URLS=()
for i in $(seq 0 $((ROUNDS * 100 - 1))); do URLS+=("http://127.0.0.1:$PORT/v1/attendees/a$((i * 7 % 8000))/recommendations"); done
curl -s -D "$WORK/hs.txt" -H "authorization: Bearer $APP" "${URLS[@]}" >/dev/null
grep -i server-timing "$WORK/hs.txt" | tr -d '\r' | sed 's/.*dur=//' | sort -g | awk '
  { v[NR] = $1 } END { printf "  %.3f ms, %.3f ms, %.3f ms\n", v[int(NR/2)+1], v[int(NR*0.99)], v[NR] }'
