// Baton console: staff and tasks. For the desk, every open task (who has it,
// where, how far it got) with reassignment, and who is where. For a staff
// member signed in with their own token, just their tasks, with one large
// button for the next step: made for a phone on the floor.
"use strict";

(function (B) {
  const { api, el } = B;
  const $ = (id) => document.getElementById(id);

  const NEXT = {
    assigned: [["acknowledged", "Acknowledge", "primary"], ["declined", "Can't go", ""]],
    acknowledged: [["arrived", "I'm there", "primary"], ["declined", "Can't go", ""]],
    arrived: [["done", "Done", "primary"]],
  };
  const STAGE_TEXT = {
    assigned: "assigned, not acknowledged", acknowledged: "on the way", arrived: "there",
    waiting: "waiting for someone free",
  };

  function ago(ms, now) {
    const m = Math.max(0, Math.round((now - ms) / 60000));
    return m < 1 ? "just now" : m + " min ago";
  }

  class StaffView {
    constructor() {
      this.timer = 0;
      this.soon = 0;
      this.visible = false;
      this.staff = [];
    }

    own() { return B.state.me && B.state.me.role === "staff"; }

    show() {
      this.visible = true;
      $("my-tasks").hidden = !this.own();
      $("desk-tasks").hidden = this.own();
      clearInterval(this.timer);
      this.load();
      // A phone has no stream: it asks every few seconds while shown.
      this.timer = setInterval(() => this.load(), this.own() ? 5000 : 15000);
    }

    hide() {
      this.visible = false;
      clearInterval(this.timer);
    }

    /** A task or staff event on the stream: reload soon, once. */
    changed() {
      if (!this.visible || this.soon) return;
      this.soon = setTimeout(() => { this.soon = 0; this.load(); }, 300);
    }

    async load() {
      try {
        if (this.own()) await this.loadMine();
        else await this.loadDesk();
      } catch (e) {
        $("staff-note").textContent = "Could not load: " + (e.message || e);
      }
    }

    // ------------------------------------------------------------ a staff member's own

    async loadMine() {
      const r = await api.get("/v1/me/tasks");
      const me = r.me || {};
      $("h-staff").textContent = "My tasks";
      if (r.event) $("event-name").textContent = r.event;
      $("staff-note").textContent = (me.name || me.id) + " · " + (me.roles || []).join(", ") +
        (me.space ? " · last seen at " + me.space : "") + " · updated " + B.hhmmss(r.now);
      const ul = $("my-task-list");
      ul.replaceChildren(...r.items.map((t) => this.myTask(t, r.now)));
      $("my-tasks-empty").hidden = r.items.length > 0;
    }

    myTask(t, now) {
      const buttons = (NEXT[t.stage] || []).map(([state, text, cls]) => el("button", {
        type: "button", class: cls, "data-state": state, text,
        onclick: (ev) => this.step(t, state, ev.currentTarget),
      }));
      return el("li", { "data-task": t.id, "data-stage": t.stage },
        el("div", { class: "task-head" },
          el("span", { class: "stage stage-" + t.stage, text: STAGE_TEXT[t.stage] || t.stage }),
          el("b", { text: t.space_name || t.space })),
        el("p", { text: (t.note || "No note") + " (" + t.role + ")" }),
        el("p", { class: "muted", text: "Since " + B.hhmm(t.since) + " (" + ago(t.since, now) + "); worth doing until " + B.hhmm(t.valid_until) + "." }),
        el("div", { class: "task-actions" }, ...buttons));
    }

    async step(t, state, btn) {
      btn.disabled = true;
      try {
        await api.post("/v1/me/tasks/" + encodeURIComponent(t.id), { state });
        B.ui.toast(state === "declined" ? "Declined: the desk finds someone else." : "Sent: " + state + ".");
      } catch (e) {
        B.ui.showError(e);
      }
      await this.load();
    }

    // ------------------------------------------------------------ the desk

    async loadDesk() {
      const [tasks, staff] = await Promise.all([api.get("/v1/tasks"), api.get("/v1/staff")]);
      this.staff = staff.items;
      const now = B.state.control.now || 0;
      const open = tasks.items;
      $("h-staff").textContent = "Staff and tasks";
      $("staff-note").textContent = open.length + " open task(s); " +
        this.staff.filter((s) => s.status !== "off").length + " of " + this.staff.length + " staff on duty.";
      $("task-list").replaceChildren(...open.map((t) => this.deskTask(t, now)));
      $("tasks-empty").hidden = open.length > 0;
      const byTask = new Map(open.map((t) => [t.id, t]));
      $("staff-rows").replaceChildren(...this.staff.map((p) => el("tr", { "data-staff": p.id },
        el("th", { scope: "row", text: p.name || p.id }),
        el("td", { text: (p.roles || []).join(", ") }),
        el("td", { text: p.status || "" }),
        el("td", { text: p.space ? B.ui.spaceName(p.space) : "not reported" }),
        el("td", { text: (p.tasks || []).map((x) => {
          const t = byTask.get(x.id);
          return (t ? B.ui.spaceName(t.space) + " (" + (STAGE_TEXT[t.stage] || t.stage) + ")" : x.id);
        }).join("; ") || "—" }))));
    }

    deskTask(t, now) {
      const who = t.staff ? (t.staff_name || t.staff) : "nobody yet";
      return el("li", { "data-task": t.id, "data-stage": t.stage },
        el("div", { class: "task-head" },
          el("span", { class: "stage stage-" + t.stage, text: STAGE_TEXT[t.stage] || t.stage }),
          el("b", { text: t.role + " to " + (t.space_name || t.space) }),
          el("span", { text: "— " + who })),
        el("p", { class: "muted", text: (t.note ? t.note + ". " : "") + "Since " + B.hhmm(t.since) + " (" + ago(t.since, now) +
          "), asked " + t.asked + ", from " + t.policy + "." }),
        el("div", { class: "task-actions" }, B.ui.button("Reassign…", "reassign tasks", () => this.reassign(t))));
    }

    reassign(t) {
      const fit = this.staff.filter((p) => p.id !== t.staff && (p.roles || []).includes(t.role));
      const rest = this.staff.filter((p) => p.id !== t.staff && !(p.roles || []).includes(t.role));
      let select;
      B.ui.confirmDialog({
        title: "Reassign the task?",
        build: (b) => {
          select = el("select", { id: "reassign-to" },
            el("option", { value: "", text: "the best other " + t.role + " free" }),
            el("optgroup", { label: t.role + "s" }, ...fit.map((p) => el("option", { value: p.id, text: (p.name || p.id) + " (" + p.status + ")" }))),
            el("optgroup", { label: "everyone else" }, ...rest.map((p) => el("option", { value: p.id, text: (p.name || p.id) + " (" + (p.roles || []).join(", ") + ")" }))));
          b.append(el("p", { text: t.role + " to " + (t.space_name || t.space) + ", now with " + (t.staff_name || t.staff || "nobody") + "." }),
            el("label", { for: "reassign-to", text: "Give it to" }), select);
        },
        ok: "Reassign",
        run: async () => {
          await api.post("/v1/tasks/" + encodeURIComponent(t.id) + "/reassign", select.value ? { to: select.value } : {});
          await this.load();
        },
      });
    }
  }

  B.StaffView = StaffView;
})(window.Baton);
