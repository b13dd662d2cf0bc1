// Baton console: talking to the server. Plain browser JavaScript, no
// libraries; every other file reads `window.Baton`.
//
// The session cookie is HttpOnly: the page never sees it. Changes carry
// the CSRF token in `X-CSRF-Token`. The one SSE stream is resumed from the
// last event id after a drop (the browser's own reconnect sends
// `Last-Event-ID`; a reconnect we make ourselves passes it as a query
// parameter, because `EventSource` cannot set headers).
"use strict";

window.Baton = window.Baton || {};

(function (B) {
  let csrf = null;

  /** An HTTP error with the server's problem+json detail. */
  class ApiError extends Error {
    constructor(status, problem) {
      super((problem && (problem.detail || problem.title)) || ("HTTP " + status));
      this.status = status;
      this.problem = problem;
    }
  }

  async function call(method, path, body) {
    const headers = { "accept": "application/json" };
    const init = { method, headers, credentials: "same-origin" };
    if (body !== undefined) {
      headers["content-type"] = "application/json";
      init.body = typeof body === "string" ? body : JSON.stringify(body);
    }
    if (method !== "GET" && csrf) headers["x-csrf-token"] = csrf;
    const r = await fetch(path, init);
    const text = await r.text();
    let json = null;
    try { json = text ? JSON.parse(text) : null; } catch (_) { json = null; }
    if (!r.ok) throw new ApiError(r.status, json);
    return json;
  }

  B.ApiError = ApiError;
  B.api = {
    get: (p) => call("GET", p),
    post: (p, b) => call("POST", p, b === undefined ? {} : b),
    put: (p, b) => call("PUT", p, b),
    del: (p) => call("DELETE", p),
    setCsrf: (t) => { csrf = t; },
  };

  /**
   * The live stream. `onEvent(topic, data, id)` runs for each event;
   * `onResync()` when the server says we missed events; `onState(s)` with
   * "live", "reconnecting" or "offline".
   */
  class Stream {
    constructor(handlers) {
      this.h = handlers;
      this.last = null;
      this.es = null;
      this.retry = 500;
      this.timer = null;
      this.received = 0;
      this.resyncs = 0;
    }

    open(fromPosition) {
      if (fromPosition !== undefined && fromPosition !== null) this.last = String(fromPosition);
      this.close();
      const url = "/v1/stream" + (this.last ? "?last_event_id=" + encodeURIComponent(this.last) : "");
      const es = new EventSource(url);
      this.es = es;
      const topics = ["spaces", "decisions", "actions", "tasks", "commands", "overrides", "signals", "control", "situations"];
      for (const t of topics) {
        es.addEventListener(t, (ev) => {
          if (ev.lastEventId) this.last = ev.lastEventId;
          this.received++;
          let data = null;
          try { data = JSON.parse(ev.data); } catch (_) { return; }
          this.h.onEvent(t, data, ev.lastEventId);
        });
      }
      es.addEventListener("resync", () => { this.resyncs++; this.h.onResync(); });
      es.onopen = () => { this.retry = 500; this.h.onState("live"); };
      es.onerror = () => {
        if (es.readyState === EventSource.CLOSED) {
          // The browser gave up (e.g. a 401 or 503 while the server restarted):
          // reconnect ourselves, from where we were.
          this.h.onState("offline");
          clearTimeout(this.timer);
          this.timer = setTimeout(() => this.h.onReconnect(), this.retry);
          this.retry = Math.min(this.retry * 2, 10000);
        } else {
          this.h.onState("reconnecting");
        }
      };
    }

    close() {
      clearTimeout(this.timer);
      if (this.es) this.es.close();
      this.es = null;
    }
  }
  B.Stream = Stream;

  // ---------------------------------------------------------------- formatting

  /** Journal time as local wall time in the event's zone (offset in seconds). */
  B.offset = 0;
  B.hhmm = function (ms) {
    if (ms === null || ms === undefined) return "—";
    const d = new Date(ms + B.offset * 1000);
    return String(d.getUTCHours()).padStart(2, "0") + ":" + String(d.getUTCMinutes()).padStart(2, "0");
  };
  B.hhmmss = function (ms) {
    if (ms === null || ms === undefined) return "—";
    const d = new Date(ms + B.offset * 1000);
    return B.hhmm(ms) + ":" + String(d.getUTCSeconds()).padStart(2, "0");
  };
  /** "Fri 12 Jun" in the event's time zone: the day an event runs on is
   * not always today's (a rehearsal, a replay, the demo). */
  B.day = function (ms) {
    if (ms === null || ms === undefined) return "";
    const d = new Date(ms + B.offset * 1000);
    const wd = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"][d.getUTCDay()];
    const mo = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"][d.getUTCMonth()];
    return wd + " " + d.getUTCDate() + " " + mo + " " + d.getUTCFullYear();
  };
  B.minutes = function (ms) {
    const m = Math.round(ms / 60000);
    return m + " min";
  };

  /** Builds an element: el("li", {class: "x", text: "y"}, child, ...). */
  B.el = function (tag, attrs, ...children) {
    const e = document.createElement(tag);
    if (attrs) {
      for (const [k, v] of Object.entries(attrs)) {
        if (v === null || v === undefined || v === false) continue;
        if (k === "text") e.textContent = v;
        else if (k === "class") e.className = v;
        else if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
        else if (k === "dataset") Object.assign(e.dataset, v);
        else e.setAttribute(k, v === true ? "" : v);
      }
    }
    for (const c of children) {
      if (c === null || c === undefined || c === false) continue;
      e.append(c instanceof Node ? c : String(c));
    }
    return e;
  };

  /** A parameter value from the engine (`{"String": "x"}` or a bare value) as text. */
  B.param = function (v) {
    if (v === null || v === undefined) return "";
    if (typeof v !== "object") return String(v);
    const vals = Object.values(v);
    if (vals.length === 1 && typeof vals[0] !== "object") return String(vals[0]);
    return JSON.stringify(v);
  };
})(window.Baton);
