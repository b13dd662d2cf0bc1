// Baton console: what the public sees. The room-status feed exactly as
// attendees' apps and the venue's screens read it (GET /v1/public/rooms,
// no personal data), with the door volunteer's FULL as a button an
// operator can set or clear (POST /v1/spaces/{id}/full): it wins over the
// sensors until cleared.
"use strict";

(function (B) {
  const { api, el } = B;
  const $ = (id) => document.getElementById(id);

  const STATE_TEXT = {
    open: "open", filling: "filling", full: "FULL", closed: "closed", unknown: "unknown (no recent data)",
  };

  function talk(t, withFill) {
    if (!t) return "—";
    let s = B.hhmm(t.starts) + " " + t.title;
    if (withFill && typeof t.expected_fill === "number") s += " (expected " + Math.round(t.expected_fill * 100) + "% full)";
    return s;
  }

  class PublicView {
    constructor() {
      this.timer = 0;
    }

    show() {
      clearInterval(this.timer);
      this.load();
      // The feed changes at most once a second; a desk glance every 5 s.
      this.timer = setInterval(() => this.load(), 5000);
    }

    hide() {
      clearInterval(this.timer);
    }

    async load() {
      try {
        const r = await api.get("/v1/public/rooms");
        $("public-note").textContent = r.items.length + " rooms · as the public saw them at " + B.hhmmss(r.now) +
          " · also at /roomstatus/v1/listrooms in FOSDEM's shape";
        $("public-rows").replaceChildren(...r.items.map((room) => this.row(room)));
      } catch (e) {
        $("public-note").textContent = "Could not load the public feed: " + (e.message || e);
      }
    }

    row(room) {
      const marked = room.marked_full;
      const btn = el("button", {
        type: "button", "data-act": marked ? "clear a door's FULL" : "mark a room FULL",
        "data-room": room.id, text: marked ? "Clear FULL" : "Mark FULL",
        onclick: (ev) => this.mark(room, !marked, ev.currentTarget),
      });
      if (!B.ui.canOperate()) { btn.disabled = true; btn.title = "viewers cannot change the door's sign"; }
      return el("tr", { "data-room": room.id, "data-state": room.state },
        el("th", { scope: "row", text: room.name }),
        el("td", {}, el("span", { class: "room-state room-" + room.state, text: STATE_TEXT[room.state] || room.state })),
        el("td", { text: room.seats_free === null ? "—" : String(room.seats_free) + " of " + room.places }),
        el("td", { text: talk(room.current, false) }),
        el("td", { text: talk(room.next, true) }),
        el("td", {}, btn));
    }

    async mark(room, full, btn) {
      btn.disabled = true;
      try {
        await api.post("/v1/spaces/" + encodeURIComponent(room.id) + "/full", { full });
        B.ui.toast(room.name + (full ? " marked FULL at the door." : ": FULL cleared, the sensors speak again."));
        // The feed is rebuilt at most once a second.
        setTimeout(() => this.load(), 1100);
      } catch (e) {
        B.ui.showError(e);
        btn.disabled = false;
      }
    }
  }

  B.PublicView = PublicView;
})(window.Baton);
