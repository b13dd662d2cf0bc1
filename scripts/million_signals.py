#!/usr/bin/env python3
"""Writes N space.occupancy CloudEvents for the example event, one per line,
for measuring `baton replay` throughput (README, "Figures"):

    python3 scripts/million_signals.py 1000000 > /tmp/1m.jsonl
    time baton replay examples/rustconf-lisbon /tmp/1m.jsonl --out /dev/null

Each hall and room fills and empties over a few hundred readings, so the
example's policies fire at a rate near the scripted day's.
"""
import sys
from datetime import datetime, timedelta, timezone

n = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
spaces = [("hall-a", 800), ("hall-b", 450), ("hall-c", 300), ("room-1", 120),
          ("room-2", 80), ("room-3", 60), ("room-4", 150), ("room-5", 100),
          ("foyer-north", 900), ("foyer-south", 750), ("corridor-north", 220),
          ("corridor-south", 260), ("courtyard", 900), ("corridor-central", 300)]
t0 = datetime(2026, 6, 12, 8, 0, tzinfo=timezone.utc)
out = sys.stdout
x = 0x9E3779B97F4A7C15
for i in range(n):
    x ^= (x << 13) & 0xFFFFFFFFFFFFFFFF
    x ^= x >> 7
    x ^= (x << 17) & 0xFFFFFFFFFFFFFFFF
    sid, cap = spaces[i % len(spaces)]
    phase = (i // len(spaces)) % 400
    fill = 0.3 + abs(phase - 200) / 200 * 0.7
    count = min(cap, int(cap * fill) + x % 5)
    t = t0 + timedelta(milliseconds=20 * i)
    stamp = t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond // 1000:03d}Z"
    out.write('{"specversion":"1.0","id":"m%d","source":"cam-%s","type":"space.occupancy",'
              '"subject":"%s","time":"%s","data":{"count":%d}}\n' % (i, sid, sid, stamp, count))
