// Baton console: the board (map.js draws the venue map from its rows).
//
// Built for 1,000 spaces at 100 updates a second: stream events only land
// in a Map (the newest state per space wins), and one requestAnimationFrame
// callback applies them. Each row remembers what it shows, so a flush
// touches only the cells whose text or class changed; nothing is rebuilt.
// Re-sorting moves rows, so it runs at most every SORT_MS and only when
// the order actually changed.
"use strict";

(function (B) {
  const SORT_MS = 1500;
  const LOS = ["A", "B", "C", "D", "E", "F"];
  const LOS_TEXT = {
    A: "free flow", B: "minor conflicts", C: "some restriction",
    D: "restricted", E: "severely restricted", F: "breakdown",
  };

  function hotScore(d) {
    if (!d) return -1;
    if (d.stale) return 70;
    const los = Math.max(0, LOS.indexOf(d.los));
    const ttc = d.minutes_to_capacity;
    const filling = ttc >= 0 && ttc < 30 ? 30 - ttc : 0;
    return los * 20 + (d.fill || 0) * 40 + filling;
  }

  function isHot(d) {
    if (!d) return false;
    return d.stale || ["D", "E", "F"].includes(d.los) ||
      (d.minutes_to_capacity >= 0 && d.minutes_to_capacity < 15);
  }

  /** The session's forecast and room move, after its title: "~312, 90% full · move tentative to hall-a". */
  function sessionNote(d) {
    let t = "";
    if (d.session_expected >= 0) {
      t += " · ~" + d.session_expected;
      if (d.session_p_full >= 0.5) t += ", " + Math.round(d.session_p_full * 100) + "% likely full";
    }
    const m = d.session_move;
    if (m && m.stage !== "dropped") t += " · move " + m.stage + " " + m.from + " → " + m.to;
    return t;
  }

  function trend(d) {
    const t = d.trend_per_min || 0;
    const cap = Math.max(1, d.capacity || 1);
    const rel = t / cap; // share of capacity per minute
    let arrow = "→", word = "steady";
    if (rel > 0.03) { arrow = "↑"; word = "rising fast"; }
    else if (rel > 0.005) { arrow = "↗"; word = "rising"; }
    else if (rel < -0.03) { arrow = "↓"; word = "falling fast"; }
    else if (rel < -0.005) { arrow = "↘"; word = "falling"; }
    const n = Math.round(t);
    return { text: arrow + " " + (n > 0 ? "+" : "") + n + "/min", label: word + ", " + n + " people per minute", cls: "trend " + word.replace(" ", "-") };
  }

  /**
   * Puts `rows` into `tb` in this order, moving as few rows as it can:
   * rows on the longest run already in order stay, the rest move. Moving
   * every row would restyle and re-lay out the whole board on each sort.
   */
  function reorder(tb, rows) {
    const pos = new Map();
    let i = 0;
    for (const tr of tb.children) if (tr.dataset.space) pos.set(tr, i++);
    const seq = rows.map((r) => (pos.has(r.tr) ? pos.get(r.tr) : -1));
    const keep = longestIncreasing(seq);
    let next = null;
    for (let k = rows.length - 1; k >= 0; k--) {
      const tr = rows[k].tr;
      if (!keep.has(k)) tb.insertBefore(tr, next);
      next = tr;
    }
  }

  /** Indices of one longest strictly increasing subsequence (values < 0 never count). */
  function longestIncreasing(seq) {
    const tails = [], tailIdx = [], prev = new Array(seq.length).fill(-1);
    for (let k = 0; k < seq.length; k++) {
      const v = seq[k];
      if (v < 0) continue;
      let lo = 0, hi = tails.length;
      while (lo < hi) { const mid = (lo + hi) >> 1; if (tails[mid] < v) lo = mid + 1; else hi = mid; }
      tails[lo] = v; tailIdx[lo] = k;
      prev[k] = lo > 0 ? tailIdx[lo - 1] : -1;
    }
    const keep = new Set();
    let k = tails.length ? tailIdx[tails.length - 1] : -1;
    while (k >= 0) { keep.add(k); k = prev[k]; }
    return keep;
  }

  class Board {
    constructor(table) {
      this.table = table;
      /** Called with (row, state) when a space's state is drawn: the map follows. */
      this.onPaint = null;
      this.rows = new Map();      // id -> row
      this.pending = new Map();   // id -> newest space state not yet drawn
      this.frame = 0;
      this.now = 0;
      this.sessions = new Map();
      this.zones = [];
      this.tbodies = new Map();
      this.filter = { text: "", zone: "", hot: false, sort: "hot", group: true };
      this.lastSort = 0;
      this.orderKey = "";
      this.sortTimer = 0;
      this.stats = { flushes: 0, applied: 0, cells: 0 };
    }

    /** Builds every row once, from the venue. */
    setVenue(venue) {
      for (const tb of this.tbodies.values()) tb.remove();
      this.rows.clear();
      this.tbodies.clear();
      for (const s of venue.sessions || []) this.sessions.set(s.id, s);
      const zones = [...new Set(venue.spaces.map((s) => s.zone))].sort();
      this.zones = zones;
      for (const z of zones) {
        const tb = B.el("tbody", { class: "zone", "data-zone": z, role: "rowgroup" });
        const head = B.el("tr", { class: "zone-head", role: "row" },
          B.el("th", { scope: "rowgroup", colspan: "10", role: "rowheader", text: "Zone " + z }));
        tb.append(head);
        this.tbodies.set(z, tb);
        this.table.append(tb);
      }
      for (const s of venue.spaces) this.rows.set(s.id, this.makeRow(s));
      for (const r of this.rows.values()) this.tbodies.get(r.spec.zone).append(r.tr);
      // Rows shown per zone: a zone whose rows a filter hides all loses its
      // header too, instead of leaving an empty heading.
      this.shownInZone = new Map(zones.map((z) => [z, 0]));
      for (const r of this.rows.values()) this.shownInZone.set(r.spec.zone, this.shownInZone.get(r.spec.zone) + 1);
      this.sort(true);
    }

    makeRow(spec) {
      const c = {};
      const tr = B.el("tr", { "data-space": spec.id, role: "row" });
      const name = B.el("th", { scope: "row", role: "rowheader" },
        B.el("a", { class: "name", href: "#space/" + encodeURIComponent(spec.id), title: "history, decisions and sensor health", text: spec.name }),
        B.el("span", { class: "kind", text: " " + spec.kind }));
      c.occText = B.el("span", { class: "occ-text", text: "—" });
      c.bar = B.el("span", { class: "bar-fill" });
      const occ = B.el("td", { class: "occ" }, c.occText, B.el("span", { class: "bar", "aria-hidden": "true" }, c.bar));
      c.spark = document.createElementNS("http://www.w3.org/2000/svg", "svg");
      c.spark.setAttribute("class", "spark");
      c.spark.setAttribute("role", "img");
      const spark = B.el("td", { class: "spark-cell" }, c.spark);
      c.fill = B.el("td", { class: "num" });
      c.los = B.el("span", { class: "los" });
      const los = B.el("td", null, c.los);
      c.trend = B.el("td", { class: "trend" });
      c.fc = B.el("td", { class: "num" });
      c.ttc = B.el("td", { class: "num" });
      c.session = B.el("td", { class: "session" });
      c.data = B.el("td", { class: "data" });
      for (const td of [occ, spark, c.fill, los, c.trend, c.fc, c.ttc, c.session, c.data]) td.setAttribute("role", "cell");
      tr.append(name, occ, spark, c.fill, los, c.trend, c.fc, c.ttc, c.session, c.data);
      c.occ = occ;
      return { spec, tr, c, shown: {}, data: null, hidden: false };
    }

    /** Sets a cell's text only when it changed. */
    put(row, key, el, text, attr) {
      if (row.shown[key] === text) return;
      row.shown[key] = text;
      if (attr) el.setAttribute(attr, text);
      else el.textContent = text;
      this.stats.cells++;
    }

    /** Queues a space's new state; drawn at the next frame. */
    update(space) {
      if (!space || !space.id) return;
      this.pending.set(space.id, space);
      if (!this.frame) this.frame = requestAnimationFrame(() => this.flush());
    }

    /** Journal time moved on: stale spaces say for how long. */
    setNow(now) {
      this.now = now;
      for (const r of this.rows.values()) if (r.data && r.data.stale) this.apply(r, r.data);
    }

    flush() {
      this.frame = 0;
      this.stats.flushes++;
      for (const [id, d] of this.pending) {
        const r = this.rows.get(id);
        if (r) { this.apply(r, d); this.stats.applied++; }
      }
      this.pending.clear();
      this.sort(false);
    }

    apply(r, d) {
      const before = r.data;
      r.data = d;
      const c = r.c;
      const cap = d.capacity || r.spec.capacity || 0;
      if (d.stale) {
        const seen = d.last_seen;
        const mins = seen === null || seen === undefined ? null :
          Math.max(0, Math.floor(((this.now || 0) > seen ? this.now - seen : (d.minutes_since_seen || 0) * 60000) / 60000));
        const text = mins === null ? "no data yet" : "no data for " + mins + " min";
        this.put(r, "occ", c.occText, text);
        this.put(r, "fill", c.fill, "—");
        this.put(r, "fc", c.fc, "—");
        this.put(r, "ttc", c.ttc, "—");
        this.put(r, "trend", c.trend, "");
        this.put(r, "data", c.data, mins === null ? "no sensor yet" : "last " + d.occupancy + " at " + B.hhmm(seen));
        this.put(r, "losc", c.los, "los los-stale", "class");
        this.put(r, "los", c.los, "?");
        this.put(r, "lost", c.los, "no data: level of service unknown", "title");
        this.put(r, "rowc", r.tr, "stale", "class");
        this.put(r, "bar", c.bar, "0", "data-w");
        c.bar.style.width = "0";
      } else {
        const fill = d.fill || 0;
        this.put(r, "occ", c.occText, d.occupancy + " / " + cap);
        this.put(r, "fill", c.fill, Math.round(fill * 100) + "%");
        const fc = Math.round(d.forecast_10m || 0);
        this.put(r, "fc", c.fc, String(fc));
        const ttc = d.minutes_to_capacity;
        this.put(r, "ttc", c.ttc, ttc >= 0 ? (ttc < 1 ? "now" : ttc > 120 ? "> 2 h" : Math.round(ttc) + " min") : "—");
        const t = trend(d);
        this.put(r, "trend", c.trend, t.text);
        this.put(r, "trendl", c.trend, t.label, "aria-label");
        this.put(r, "data", c.data, d.closed ? "closed" : (d.confidence < 0.6 ? "low confidence " + Math.round(d.confidence * 100) + "%" : "live"));
        const los = d.los || "A";
        this.put(r, "losc", c.los, "los los-" + los, "class");
        this.put(r, "los", c.los, los);
        this.put(r, "lost", c.los, "level of service " + los + ": " + (LOS_TEXT[los] || ""), "title");
        this.put(r, "rowc", r.tr, ["E", "F"].includes(los) ? "hot" : "", "class");
        const w = Math.min(100, Math.round(fill * 100)) + "%";
        if (r.shown.bar !== w) { r.shown.bar = w; c.bar.style.width = w; }
      }
      const ses = d.session ? (this.sessions.get(d.session) || { title: d.session }).title : "";
      this.put(r, "session", c.session, ses + sessionNote(d));
      if (this.onPaint) this.onPaint(r, d);
      if (!before || isHot(before) !== isHot(d) || this.filter.text) this.filterRow(r);
    }

    // ------------------------------------------------------------ filter and sort

    setFilter(f) {
      Object.assign(this.filter, f);
      for (const r of this.rows.values()) this.filterRow(r);
      this.sort(true);
    }

    filterRow(r) {
      const f = this.filter;
      let show = true;
      if (f.zone && r.spec.zone !== f.zone) show = false;
      if (show && f.hot && !isHot(r.data)) show = false;
      if (show && f.text) {
        const t = f.text.toLowerCase();
        const ses = r.shown.session || "";
        show = (r.spec.name + " " + r.spec.id + " " + r.spec.zone + " " + ses).toLowerCase().includes(t);
      }
      if (r.hidden === !show) return;
      r.hidden = !show;
      r.tr.hidden = !show;
      const z = r.spec.zone;
      const n = (this.shownInZone.get(z) || 0) + (show ? 1 : -1);
      this.shownInZone.set(z, n);
      const tb = this.tbodies.get(z);
      if (tb) tb.hidden = n <= 0;
    }

    key(r) {
      const d = r.data;
      switch (this.filter.sort) {
        case "fill": return -(d && !d.stale ? d.fill : -1);
        case "ttc": {
          const t = d && !d.stale ? d.minutes_to_capacity : -1;
          return t >= 0 ? t : 1e9;
        }
        case "name": return 0;
        default: return -hotScore(d);
      }
    }

    /** Reorders rows (and zones) when the order changed; throttled. */
    sort(force) {
      const now = performance.now();
      if (!force && now - this.lastSort < SORT_MS) {
        if (!this.sortTimer) this.sortTimer = setTimeout(() => { this.sortTimer = 0; this.sort(true); }, SORT_MS);
        return;
      }
      this.lastSort = now;
      const rows = [...this.rows.values()];
      const byName = (a, b) => a.spec.name.localeCompare(b.spec.name);
      rows.sort((a, b) => (this.key(a) - this.key(b)) || byName(a, b));
      let zones = this.zones.slice();
      if (this.filter.sort !== "name") {
        const first = new Map();
        rows.forEach((r, i) => { if (!first.has(r.spec.zone)) first.set(r.spec.zone, i); });
        zones.sort((a, b) => first.get(a) - first.get(b));
      }
      const key = this.filter.group + "|" + zones.join(",") + "|" + rows.map((r) => r.spec.id).join(",");
      if (key === this.orderKey) return;
      this.orderKey = key;
      this.table.classList.toggle("ungrouped", !this.filter.group);
      if (this.filter.group) {
        zones.forEach((z, i) => {
          const tb = this.tbodies.get(z);
          if (this.table.tBodies[i] !== tb) this.table.append(tb);
        });
        const byZone = new Map(zones.map((z) => [z, []]));
        for (const r of rows) byZone.get(r.spec.zone).push(r);
        for (const [z, list] of byZone) reorder(this.tbodies.get(z), list);
      } else {
        const tb = this.tbodies.get(zones[0]);
        reorder(tb, rows);
      }
      this.stats.sorts = (this.stats.sorts || 0) + 1;
    }
  }

  B.Board = Board;
  B.isHot = isHot;
})(window.Baton);
