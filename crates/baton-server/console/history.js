// Baton console: history beside the live view. The board's sparklines
// (occupancy against capacity over the last hour, and the forecast ahead)
// and the space detail view (its history, decisions, timeline and sensor
// health). Everything comes from the server's per-minute samples, which it
// rebuilds from the journal on a restart.
"use strict";

(function (B) {
  const NS = "http://www.w3.org/2000/svg";
  const MIN = 60000;

  function svg(tag, attrs) {
    const e = document.createElementNS(NS, tag);
    for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, String(v));
    return e;
  }

  /**
   * Draws occupancy against capacity into `root` (an <svg>), replacing what
   * it held. `points` are [at, occupancy or null] (null: no sample, drawn as
   * a gap); `stale` the minutes without sensor data (shaded); the forecast a
   * dashed segment from now. Returns a sentence saying what it shows.
   */
  function chart(root, o) {
    const { w, h, from, to, cap } = o;
    const pad = o.axes ? { l: 34, r: 8, t: 8, b: 18 } : { l: 1, r: 1, t: 2, b: 2 };
    const vals = o.points.map((p) => p[1]).filter((v) => v !== null && v !== undefined);
    const fc = o.forecast && Number.isFinite(o.forecast.occupancy) ? o.forecast : null;
    const top = Math.max(cap || 0, ...vals, fc ? fc.occupancy : 0, 1) * 1.08;
    const x = (t) => pad.l + ((t - from) / Math.max(to - from, 1)) * (w - pad.l - pad.r);
    const y = (v) => h - pad.b - (Math.max(v, 0) / top) * (h - pad.t - pad.b);
    root.replaceChildren();
    root.setAttribute("viewBox", "0 0 " + w + " " + h);
    for (const at of o.stale || []) {
      root.append(svg("rect", { class: "ch-stale", x: x(at).toFixed(1), y: pad.t, width: Math.max(x(at + MIN) - x(at), 1).toFixed(1), height: h - pad.t - pad.b }));
    }
    if (cap) root.append(svg("line", { class: "ch-cap", x1: pad.l, x2: w - pad.r, y1: y(cap).toFixed(1), y2: y(cap).toFixed(1) }));
    let d = "", pen = false, last = null;
    for (const [at, v] of o.points) {
      if (v === null || v === undefined) { pen = false; continue; }
      d += (pen ? "L" : "M") + x(at).toFixed(1) + " " + y(v).toFixed(1);
      pen = true;
      last = [at, v];
    }
    if (d) root.append(svg("path", { class: "ch-line" + (cap && vals.some((v) => v > cap) ? " ch-over" : ""), d }));
    if (fc && last) {
      root.append(svg("path", { class: "ch-forecast", d: "M" + x(last[0]).toFixed(1) + " " + y(last[1]).toFixed(1) + "L" + x(fc.at).toFixed(1) + " " + y(fc.occupancy).toFixed(1) }));
    }
    if (o.now) root.append(svg("line", { class: "ch-now", x1: x(o.now).toFixed(1), x2: x(o.now).toFixed(1), y1: pad.t, y2: h - pad.b }));
    if (o.axes) {
      for (const v of [0, cap].filter((v, i, a) => v !== undefined && a.indexOf(v) === i)) {
        const t = svg("text", { class: "ch-axis", x: pad.l - 4, y: (y(v) + 4).toFixed(1), "text-anchor": "end" });
        t.textContent = String(v);
        root.append(t);
      }
      const span = to - from, step = span > 120 * MIN ? 30 * MIN : span > 30 * MIN ? 15 * MIN : 5 * MIN;
      for (let t = Math.ceil(from / step) * step; t <= to; t += step) {
        const l = svg("text", { class: "ch-axis", x: x(t).toFixed(1), y: h - 4, "text-anchor": "middle" });
        l.textContent = B.hhmm(t);
        root.append(l);
      }
    }
    const words = vals.length ? "from " + Math.min(...vals) + " to " + Math.max(...vals) + (cap ? " of " + cap : "") : "no samples yet";
    return words + (fc ? "; forecast " + Math.round(fc.occupancy) + " at " + B.hhmm(fc.at) : "");
  }

  // ------------------------------------------------------------ sparklines

  /** The board's last-hour column: one request for every space, every 20 s. */
  class Sparklines {
    constructor(board) {
      this.board = board;
      this.timer = 0;
      this.data = null;
    }

    start() {
      clearInterval(this.timer);
      this.load();
      this.timer = setInterval(() => this.load(), 20000);
    }

    async load() {
      try {
        this.data = await B.api.get("/v1/history?minutes=60");
      } catch (_) {
        return; // the next round tries again; the board itself is live
      }
      this.draw();
    }

    draw() {
      const h = this.data;
      if (!h) return;
      const from = h.now - 60 * MIN, to = h.now + 10 * MIN;
      for (const r of this.board.rows.values()) {
        const row = h.spaces[r.spec.id];
        if (!row || !r.c.spark) continue;
        const points = row.map((v, i) => [h.from + i * h.step_ms, v]);
        const d = r.data;
        if (d && !d.stale) points.push([h.now, d.occupancy]);
        const fc = d && !d.stale ? { at: h.now + 10 * MIN, occupancy: d.forecast_10m } : null;
        const words = chart(r.c.spark, { w: 90, h: 22, from, to, cap: r.spec.capacity, points, forecast: fc, now: h.now });
        r.c.spark.setAttribute("aria-label", r.spec.name + ", last hour: " + words);
        r.c.sparkTitle = words;
      }
    }
  }

  // ------------------------------------------------------------ detail view

  /** The space detail view: `#space/ID`. */
  class SpaceView {
    constructor() {
      this.id = null;
      this.timer = 0;
      document.getElementById("space-range").addEventListener("change", () => this.load());
    }

    show(id) {
      this.id = id;
      clearInterval(this.timer);
      this.load();
      this.timer = setInterval(() => this.load(), 15000);
    }

    hide() {
      clearInterval(this.timer);
      this.id = null;
    }

    /** A live update of the space: the Now panel follows the stream. */
    update(d) {
      if (this.id && d && d.id === this.id) this.renderNow(d);
    }

    async load() {
      const id = this.id;
      if (!id) return;
      const $ = (x) => document.getElementById(x);
      const minutes = Number($("space-range").value) || 60;
      const q = encodeURIComponent(id);
      let hist, decisions, audit;
      try {
        [hist, decisions, audit] = await Promise.all([
          B.api.get("/v1/spaces/" + q + "/history?minutes=" + minutes),
          B.api.get("/v1/decisions?space=" + q + "&limit=20"),
          B.api.get("/v1/audit?space=" + q + "&limit=40"),
        ]);
      } catch (e) {
        $("space-meta").textContent = e.status === 404 ? "There is no space " + id + " in this event." : "Could not load: " + (e.message || e);
        return;
      }
      if (id !== this.id) return;
      const spec = (B.state.venue.spaces || []).find((s) => s.id === id) || { name: id };
      $("h-space").textContent = spec.name;
      $("space-meta").textContent = [spec.kind, spec.zone ? "zone " + spec.zone : "", spec.capacity ? "capacity " + spec.capacity : "",
        spec.seated ? "seated" : "", spec.area_m2 ? spec.area_m2 + " m²" : ""].filter(Boolean).join(" · ");
      this.renderNow(hist.live);
      this.renderChart(hist, minutes);
      this.renderHealth(hist);
      const ul = $("space-decisions");
      ul.replaceChildren(...decisions.items.slice().reverse().map((d) => B.el("li", null,
        B.el("time", { text: B.hhmmss(d.at) }), " ", B.el("b", { text: d.policy }), " ",
        B.el("span", { class: "status status-" + d.status, text: d.status }), " — ", B.ui.reasonFirst(d))));
      $("space-decisions-empty").hidden = decisions.items.length > 0;
      const tl = $("space-timeline");
      tl.replaceChildren(...audit.items.slice().reverse().map(B.ui.timelineItem));
      $("space-timeline-empty").hidden = audit.items.length > 0;
    }

    renderNow(d) {
      if (!d) return;
      const dl = document.getElementById("space-now");
      const rows = [
        ["Occupancy", d.stale ? "no data (last " + d.occupancy + ")" : d.occupancy + " of " + d.capacity],
        ["Fill", d.stale ? "—" : Math.round((d.fill || 0) * 100) + "%"],
        ["Level of service", d.stale ? "?" : d.los],
        ["Trend", (d.trend_per_min >= 0 ? "+" : "") + (d.trend_per_min || 0).toFixed(1) + " per min"],
        ["In 10 min", d.stale ? "—" : String(Math.round(d.forecast_10m || 0))],
        ["Full in", d.minutes_to_capacity >= 0 ? Math.round(d.minutes_to_capacity) + " min" : "not filling"],
        ["Session", d.session ? B.ui.sessionName(d.session) : "none"],
        ["Turned away today", String(d.turned_away || 0)],
      ];
      if (d.closed) rows.push(["Closed", "yes"]);
      dl.replaceChildren(...rows.flatMap(([k, v]) => [B.el("dt", { text: k }), B.el("dd", { text: v })]));
    }

    renderChart(h, minutes) {
      const root = document.getElementById("space-chart");
      // A stale count is not a reading: those minutes are a gap, shaded.
      const points = h.samples.map((s) => [s.at, s.stale ? null : s.occupancy]);
      const live = h.live || {};
      if (!live.stale) points.push([h.now, live.occupancy]);
      const stale = h.samples.filter((s) => s.stale).map((s) => s.at);
      const words = chart(root, {
        w: 720, h: 220, axes: true, from: h.now - minutes * MIN, to: h.now + 10 * MIN,
        cap: live.capacity, points, stale, now: h.now,
        forecast: live.stale ? null : h.forecast,
      });
      root.setAttribute("aria-label", "Occupancy over the last " + minutes + " minutes: " + words);
      document.getElementById("space-chart-note").textContent = h.samples.length
        ? "One sample a minute since " + B.hhmm(h.samples[0].at) + "; " + words + "."
        : "No samples yet: the history fills a minute at a time.";
    }

    renderHealth(h) {
      const live = h.live || {};
      const n = h.samples.length;
      const gaps = h.samples.filter((s) => s.stale).length;
      const seen = live.last_seen;
      const rows = [
        ["Last signal", seen ? B.hhmmss(seen) + " (" + Math.max(0, Math.round((h.now - seen) / MIN)) + " min ago)" : "never"],
        ["Now", live.stale ? "no data: counts are older than the event's stale_after" : "reporting"],
        ["Confidence", Math.round((live.confidence || 0) * 100) + "% (decays since the last absolute count)"],
        ["Minutes without data", n ? gaps + " of the " + n + " sampled" : "—"],
      ];
      document.getElementById("space-health").replaceChildren(...rows.flatMap(([k, v]) => [B.el("dt", { text: k }), B.el("dd", { text: v })]));
    }
  }

  B.chart = chart;
  B.Sparklines = Sparklines;
  B.SpaceView = SpaceView;
})(window.Baton);
