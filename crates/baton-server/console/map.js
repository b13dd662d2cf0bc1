// Baton console: the venue map. Where the venue gives spaces an `outline`
// (metres on the site plan, y north), the map draws the floor plan: each
// outline filled by its level of service, labelled with name and count, on
// a page-filling canvas that zooms (wheel, +/−, keys) and pans (drag,
// arrows). Spaces with only a `position` are drawn as markers on the same
// plan; a venue with neither falls back to the node graph (one column per
// zone). Labels keep their size on screen at any zoom; a space too small
// to hold its label has it just below (or above), and a label that would overlap
// another waits for a closer zoom.
"use strict";

(function (B) {
  const NS = "http://www.w3.org/2000/svg";
  const LABEL_PX = 13;
  const MIN_ZOOM = 0.5, MAX_ZOOM = 40;

  function svg(tag, attrs) {
    const e = document.createElementNS(NS, tag);
    for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, String(v));
    return e;
  }

  /** The area-weighted centroid of a polygon (its vertex mean if degenerate). */
  function centroid(pts) {
    let a = 0, cx = 0, cy = 0;
    for (let i = 0; i < pts.length; i++) {
      const [x0, y0] = pts[i], [x1, y1] = pts[(i + 1) % pts.length];
      const f = x0 * y1 - x1 * y0;
      a += f; cx += (x0 + x1) * f; cy += (y0 + y1) * f;
    }
    if (Math.abs(a) < 1e-9) {
      return [pts.reduce((s, p) => s + p[0], 0) / pts.length, pts.reduce((s, p) => s + p[1], 0) / pts.length];
    }
    return [cx / (3 * a), cy / (3 * a)];
  }

  const hasOutline = (s) => Array.isArray(s.outline) && s.outline.length >= 3;

  class VenueMap {
    constructor(root, note, board) {
      this.root = root;
      this.note = note;
      this.board = board;
      this.nodes = new Map(); // id -> {g, shape, title, name, count, w, h}
      this.view = null;       // {x, y, w, h} in plan units
      this.home = null;
      this.plan = false;
      this.frame = 0;
      board.onPaint = (r, d) => this.paint(r.spec, d);
      this.wire();
    }

    setVenue(venue) {
      this.nodes.clear();
      this.root.replaceChildren();
      this.layer = svg("g", { class: "viewport" });
      this.root.append(this.layer);
      const spaces = venue.spaces;
      const outlined = spaces.filter(hasOutline);
      this.plan = outlined.length > 0;
      if (this.plan) this.drawPlan(venue, outlined);
      else this.drawGraph(venue);
      for (const r of this.board.rows.values()) if (r.data) this.paint(r.spec, r.data);
      this.fit();
    }

    // ------------------------------------------------------------ floor plan

    drawPlan(venue, outlined) {
      const spaces = venue.spaces;
      // Markers (a position, no outline) count with their radius.
      const markerR = (s) => Math.max(Math.sqrt(Math.max(s.area_m2 || 0, 1) / Math.PI), 2);
      const pts = outlined.flatMap((s) => s.outline).concat(spaces.filter((s) => !hasOutline(s) && Array.isArray(s.position))
        .flatMap((s) => { const r = markerR(s), [x, y] = s.position; return [[x - r, y - r], [x + r, y + r]]; }));
      const xs = pts.map((p) => p[0]), ys = pts.map((p) => p[1]);
      const minX = Math.min(...xs), maxX = Math.max(...xs), minY = Math.min(...ys), maxY = Math.max(...ys);
      const m = Math.max(maxX - minX, maxY - minY, 1) * 0.04;
      // Plan units are metres; y is flipped so north is up.
      this.flipY = maxY + minY;
      // Room above and below the outermost spaces for their labels.
      this.home = { x: minX - m, y: minY - 3 * m, w: maxX - minX + 2 * m, h: maxY - minY + 6 * m };
      const Y = (y) => this.flipY - y;
      const unplaced = [];
      for (const s of spaces) {
        const g = svg("g", { class: "space los-none", tabindex: "0", role: "link", "data-space": s.id });
        const title = svg("title");
        title.textContent = s.name;
        let shape, c, w, h;
        if (hasOutline(s)) {
          shape = svg("polygon", { points: s.outline.map((p) => p[0] + "," + Y(p[1])).join(" ") });
          c = centroid(s.outline);
          const sx = s.outline.map((p) => p[0]), sy = s.outline.map((p) => p[1]);
          w = Math.max(...sx) - Math.min(...sx); h = Math.max(...sy) - Math.min(...sy);
        } else if (Array.isArray(s.position)) {
          const r = markerR(s);
          shape = svg("circle", { class: "marker", cx: s.position[0], cy: Y(s.position[1]), r: r.toFixed(1) });
          c = s.position; w = h = 2 * r;
        } else {
          unplaced.push(s.name);
          continue;
        }
        const bottom = hasOutline(s) ? Y(Math.min(...s.outline.map((p) => p[1]))) : Y(c[1]) + h / 2;
        const name = svg("text", { class: "map-name", x: c[0].toFixed(2), y: Y(c[1]).toFixed(2) });
        name.textContent = s.name;
        const count = svg("text", { class: "map-count", x: c[0].toFixed(2), y: Y(c[1]).toFixed(2) });
        count.textContent = "—";
        g.append(title, shape, name, count);
        g.addEventListener("click", () => { if (!this.dragged) location.hash = "space/" + encodeURIComponent(s.id); });
        g.addEventListener("keydown", (ev) => { if (ev.key === "Enter") location.hash = "space/" + encodeURIComponent(s.id); });
        this.layer.append(g);
        const box = hasOutline(s)
          ? [Math.min(...s.outline.map((p) => p[0])), Y(Math.max(...s.outline.map((p) => p[1]))), w, h]
          : [c[0] - w / 2, Y(c[1]) - h / 2, w, h];
        this.nodes.set(s.id, { g, title, name, count, w, h, box, cx: c[0], cy: Y(c[1]), bottom, spec: s, shown: "" });
      }
      const extra = unplaced.length ? " Not on the plan (no outline or position): " + unplaced.join(", ") + "." : "";
      this.note.textContent = "Floor plan from the venue's outlines; colour is the level of service. Scroll or +/− to zoom, drag or arrow keys to pan, 0 to fit; select a space for its history." + extra;
    }

    // ------------------------------------------------------------ node graph (fallback)

    drawGraph(venue) {
      const spaces = venue.spaces;
      const placed = spaces.every((s) => Array.isArray(s.position));
      const pos = new Map();
      let W = 1000, H = 600;
      if (placed) {
        const xs = spaces.map((s) => s.position[0]), ys = spaces.map((s) => s.position[1]);
        const minX = Math.min(...xs), maxX = Math.max(...xs), minY = Math.min(...ys), maxY = Math.max(...ys);
        const scale = 900 / Math.max(maxX - minX, maxY - minY, 1);
        W = (maxX - minX) * scale + 100; H = (maxY - minY) * scale + 100;
        for (const s of spaces) pos.set(s.id, [50 + (s.position[0] - minX) * scale, H - 50 - (s.position[1] - minY) * scale]);
        this.note.textContent = "Spaces drawn at the venue's coordinates (it has no outlines); size follows capacity, colour and letter the level of service.";
      } else {
        const zones = this.board.zones;
        const colW = 130, rowH = 60;
        const perCol = Math.max(...zones.map((z) => spaces.filter((s) => s.zone === z).length), 1);
        W = zones.length * colW + 40; H = Math.min(perCol, 200) * rowH + 60;
        zones.forEach((z, zi) => {
          spaces.filter((s) => s.zone === z).forEach((s, i) => pos.set(s.id, [40 + zi * colW + Math.floor(i / 200) * 10, 50 + (i % 200) * rowH]));
          const t = svg("text", { x: 40 + zi * colW, y: 20, class: "zone-label" });
          t.textContent = z;
          this.layer.append(t);
        });
        this.note.textContent = "This venue has no coordinates: spaces are laid out one column per zone.";
      }
      this.flipY = null;
      this.home = { x: 0, y: 0, w: W, h: H };
      const maxCap = Math.max(...spaces.map((s) => s.capacity), 1);
      for (const l of venue.links || []) {
        const a = pos.get(l.from), b = pos.get(l.to);
        if (a && b) this.layer.append(svg("line", { class: "link", x1: a[0], y1: a[1], x2: b[0], y2: b[1] }));
      }
      for (const s of spaces) {
        const p = pos.get(s.id);
        if (!p) continue;
        const rad = placed ? 8 + 22 * Math.sqrt(s.capacity / maxCap) : 14;
        const g = svg("g", { class: "node los-none", tabindex: "0", role: "link", "data-space": s.id });
        const title = svg("title");
        title.textContent = s.name;
        const circle = svg("circle", { cx: p[0].toFixed(1), cy: p[1].toFixed(1), r: rad.toFixed(1) });
        const letter = svg("text", { x: p[0].toFixed(1), y: (p[1] + 5).toFixed(1), class: "letter" });
        letter.textContent = "·";
        const label = svg("text", { x: p[0].toFixed(1), y: (p[1] + rad + 14).toFixed(1), class: "label" });
        label.textContent = s.name;
        g.append(title, circle, letter, label);
        g.addEventListener("click", () => { if (!this.dragged) location.hash = "space/" + encodeURIComponent(s.id); });
        this.layer.append(g);
        this.nodes.set(s.id, { g, title, letter, spec: s, shown: "" });
      }
    }

    // ------------------------------------------------------------ live state

    paint(spec, d) {
      const n = this.nodes.get(spec.id);
      if (!n) return;
      const los = d.stale ? "stale" : (d.los || "A");
      const desc = spec.name + ": " + (d.stale ? "no data" : d.occupancy + " of " + d.capacity + ", level " + los);
      if (n.shown === desc) return;
      n.shown = desc;
      n.g.setAttribute("class", (this.plan ? "space" : "node") + " los-" + los);
      n.g.setAttribute("aria-label", desc);
      n.title.textContent = desc;
      if (n.count) n.count.textContent = d.stale ? "no data" : d.occupancy + "/" + d.capacity + " · " + los;
      if (n.letter) n.letter.textContent = d.stale ? "?" : los;
    }

    // ------------------------------------------------------------ zoom and pan

    /** The view was shown: the canvas may have a size now. */
    shown() { this.apply(); }

    fit() {
      if (!this.home) return;
      this.view = Object.assign({}, this.home);
      this.schedule();
    }

    zoom(factor, cx, cy) {
      const v = this.view;
      if (!v) return;
      const scale = this.home.w / (v.w / factor);
      if (scale < MIN_ZOOM || scale > MAX_ZOOM) return;
      const px = cx === undefined ? v.x + v.w / 2 : cx, py = cy === undefined ? v.y + v.h / 2 : cy;
      this.view = { x: px - (px - v.x) / factor, y: py - (py - v.y) / factor, w: v.w / factor, h: v.h / factor };
      this.schedule();
    }

    pan(dx, dy) {
      if (!this.view) return;
      this.view.x += dx; this.view.y += dy;
      this.schedule();
    }

    /** One layout a frame however many wheel or drag events arrive: the
     * label placement checks every pair of labels. */
    schedule() {
      if (this.frame) return;
      this.frame = requestAnimationFrame(() => { this.frame = 0; this.apply(); });
    }

    /** Plan units per screen pixel, as the canvas is drawn now. */
    unitsPerPx() {
      const r = this.root.getBoundingClientRect();
      if (!r.width || !r.height || !this.view) return null;
      return Math.max(this.view.w / r.width, this.view.h / r.height);
    }

    apply() {
      const v = this.view;
      if (!v) return;
      this.root.setAttribute("viewBox", [v.x, v.y, v.w, v.h].map((x) => x.toFixed(2)).join(" "));
      this.root.dataset.zoom = (this.home.w / v.w).toFixed(3);
      const u = this.unitsPerPx();
      if (!u || !this.plan) return;
      // Labels: a fixed size on screen. Largest spaces first: a label sits
      // inside its space when it fits, else just below it in dark text;
      // one that would overlap a label already placed is left out (zoom in).
      const size = LABEL_PX * u;
      const taken = [];
      const hits = (b, t) => b[0] < t[0] + t[2] && t[0] < b[0] + b[2] && b[1] < t[1] + t[3] && t[1] < b[1] + b[3];
      const all = [...this.nodes.values()].filter((n) => n.box);
      // A label below its space must not cover another space either.
      const free = (b, own) => !taken.some((t) => hits(b, t)) && all.every((o) => o === own || !hits(b, o.box));
      const nodes = [...this.nodes.values()].filter((n) => n.name).sort((a, b) => b.w * b.h - a.w * a.h);
      for (const n of nodes) {
        const chars = Math.max(n.spec.name.length, (n.count.textContent || "").length);
        const lw = chars * size * 0.58, lh = 2.4 * size;
        const inside = n.w >= lw && n.h >= lh;
        // Inside; else below the space, else above it.
        const tops = inside ? [n.cy - lh / 2] : [n.bottom + 0.15 * size, n.box[1] - lh - 0.15 * size];
        let top = tops[0], shown = false;
        for (const t of tops) {
          const box = [n.cx - lw / 2, t, lw, lh];
          if (inside ? !taken.some((x) => hits(box, x)) : free(box, n)) {
            top = t; shown = true; taken.push(box);
            break;
          }
        }
        n.name.setAttribute("font-size", size.toFixed(3));
        n.count.setAttribute("font-size", (size * 0.9).toFixed(3));
        n.name.setAttribute("y", (top + 1.0 * size).toFixed(3));
        n.count.setAttribute("y", (top + 2.1 * size).toFixed(3));
        for (const t of [n.name, n.count]) {
          t.classList.toggle("hidden-label", !shown);
          t.classList.toggle("outside", !inside);
        }
      }
    }

    wire() {
      const root = this.root;
      root.setAttribute("tabindex", "0");
      root.addEventListener("wheel", (ev) => {
        ev.preventDefault();
        const p = this.toPlan(ev.clientX, ev.clientY);
        this.zoom(ev.deltaY < 0 ? 1.2 : 1 / 1.2, p[0], p[1]);
      }, { passive: false });
      let drag = null;
      root.addEventListener("pointerdown", (ev) => {
        drag = { x: ev.clientX, y: ev.clientY, moved: 0 };
        this.dragged = false;
      });
      root.addEventListener("pointermove", (ev) => {
        if (!drag) return;
        const u = this.unitsPerPx() || 1;
        const dx = ev.clientX - drag.x, dy = ev.clientY - drag.y;
        drag.moved += Math.abs(dx) + Math.abs(dy);
        if (drag.moved > 4) {
          if (!this.dragged) root.setPointerCapture(ev.pointerId);
          this.dragged = true;
          this.pan(-dx * u, -dy * u);
        }
        drag.x = ev.clientX; drag.y = ev.clientY;
      });
      const end = () => { drag = null; setTimeout(() => { this.dragged = false; }, 0); };
      root.addEventListener("pointerup", end);
      root.addEventListener("pointercancel", end);
      root.addEventListener("keydown", (ev) => {
        const v = this.view;
        if (!v) return;
        const step = v.w / 10;
        const k = { "+": () => this.zoom(1.25), "=": () => this.zoom(1.25), "-": () => this.zoom(0.8), "0": () => this.fit(),
          ArrowLeft: () => this.pan(-step, 0), ArrowRight: () => this.pan(step, 0), ArrowUp: () => this.pan(0, -step), ArrowDown: () => this.pan(0, step) }[ev.key];
        if (k) { k(); ev.preventDefault(); ev.stopPropagation(); }
      });
      for (const [id, f] of [["map-in", () => this.zoom(1.25)], ["map-out", () => this.zoom(0.8)], ["map-fit", () => this.fit()]]) {
        const b = document.getElementById(id);
        if (b) b.addEventListener("click", f);
      }
      window.addEventListener("resize", () => this.schedule());
    }

    toPlan(clientX, clientY) {
      const r = this.root.getBoundingClientRect(), v = this.view;
      const u = this.unitsPerPx() || 1;
      // preserveAspectRatio xMidYMid meet: the view is centred in the canvas.
      const ox = (r.width * u - v.w) / 2, oy = (r.height * u - v.h) / 2;
      return [v.x - ox + (clientX - r.left) * u, v.y - oy + (clientY - r.top) * u];
    }
  }

  B.VenueMap = VenueMap;
})(window.Baton);
