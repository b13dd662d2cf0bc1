// Baton console: sign-in, the live stream, and every section but the board.
// Plain DOM code: each section keeps its own small state and redraws only
// itself; the board (board.js) is the one place that must scale.
"use strict";

(function (B) {
  const { api, el } = B;
  const $ = (id) => document.getElementById(id);

  const S = {
    me: null,            // {role, name, csrf}
    venue: null,
    control: { paused: false, emergency: false, now: 0, clock: "wall", overrides: [] },
    policies: new Map(), // id -> policy
    decisions: new Map(), // id -> decision (pending, escalated, suggested)
    selected: null,      // selected pending decision id
    alerts: [],
    signs: [],
    timeline: { loaded: false, items: [] },
    board: null,
    stream: null,
    alertsTimer: 0,
  };
  B.state = S;
  // What the other sections (history.js, map.js, staff.js) share with this one.
  B.ui = {
    reasonFirst: (d) => reasonFirst(d), timelineItem: (i) => timelineItem(i),
    sessionName: (id) => sessionName(id), spaceName: (id) => spaceName(id),
    button: (...a) => button(...a), confirmDialog: (o) => confirmDialog(o), toast: (t) => toast(t),
    canOperate: () => canOperate(), showError: (e) => showError(e),
  };

  const canOperate = () => S.me && (S.me.role === "operator" || S.me.role === "admin");
  const isAdmin = () => S.me && S.me.role === "admin";

  // ---------------------------------------------------------------- roles

  /** Disables a control the caller's role may not use, and says why. */
  function gate(btn) {
    const what = btn.dataset.act;
    if (!what) return btn;
    let why = null;
    if (!canOperate()) why = "viewers cannot " + what;
    else if (btn.dataset.admin && !isAdmin()) why = "only admins can " + what;
    if (why) {
      btn.disabled = true;
      btn.title = why;
      btn.setAttribute("aria-describedby", "viewer-why");
      btn.dataset.why = why;
    } else {
      btn.disabled = false;
      btn.removeAttribute("title");
      btn.removeAttribute("aria-describedby");
    }
    return btn;
  }
  function gateAll(root) { root.querySelectorAll("[data-act]").forEach(gate); }

  function button(text, act, onclick, cls) {
    return gate(el("button", { type: "button", class: cls || "", dataset: act ? { act } : null, onclick, text }));
  }

  // ---------------------------------------------------------------- dialogs

  /**
   * One confirmation for every change. `build(body)` fills the dialog;
   * `run()` makes the call; an error keeps the dialog open and shows it.
   */
  function confirmDialog({ title, build, ok, danger, run }) {
    const d = $("confirm");
    $("confirm-title").textContent = title;
    const body = $("confirm-body");
    body.replaceChildren();
    $("confirm-error").textContent = "";
    if (build) build(body);
    const okBtn = $("confirm-ok");
    okBtn.textContent = ok || "Confirm";
    okBtn.className = danger ? "danger" : "primary";
    okBtn.disabled = false;
    const form = $("confirm-form");
    form.onsubmit = async (ev) => {
      ev.preventDefault();
      okBtn.disabled = true;
      try {
        await run(body);
        d.close();
      } catch (e) {
        $("confirm-error").textContent = e.message || String(e);
        okBtn.disabled = false;
      }
    };
    $("confirm-cancel").onclick = () => d.close();
    d.showModal();
    const first = body.querySelector("input, textarea, select");
    (first || okBtn).focus();
  }

  function toast(text) {
    const t = el("p", { class: "toast", role: "status", text });
    document.body.append(t);
    setTimeout(() => t.remove(), 2500);
  }

  // ---------------------------------------------------------------- sign in

  async function init() {
    wireStatic();
    // Only ask for the session when the sign-in marker says there may be
    // one: a first visit goes straight to the form, with no 401 logged.
    if (!document.cookie.split(";").some((c) => c.trim() === "baton_signed_in=1")) return showSignin();
    try {
      S.me = await api.get("/v1/session");
    } catch (e) {
      return showSignin();
    }
    api.setCsrf(S.me.csrf);
    await start();
  }

  function showSignin(msg) {
    $("app").hidden = true;
    $("signin").hidden = false;
    $("signin-error").textContent = msg || "";
    $("token").focus();
  }

  async function signin(ev) {
    ev.preventDefault();
    const token = $("token").value.trim();
    try {
      const r = await api.post("/v1/session", { token });
      $("token").value = "";
      S.me = { role: r.role, name: r.name, csrf: r.csrf };
      api.setCsrf(r.csrf);
      await start();
    } catch (e) {
      $("signin-error").textContent = e.status === 401 ? "That token is not valid." :
        e.status === 403 ? "This token may not read (ingest tokens cannot sign in)." : e.message;
    }
  }

  async function signout() {
    try { await api.del("/v1/session"); } catch (_) { /* signed out anyway */ }
    if (S.stream) S.stream.close();
    location.hash = "";
    location.reload();
  }

  // ---------------------------------------------------------------- start

  async function start() {
    $("signin").hidden = true;
    $("app").hidden = false;
    $("who").textContent = S.me.name + " (" + S.me.role + ")";
    $("viewer-why").hidden = canOperate();
    document.body.dataset.role = S.me.role;
    gateAll(document);
    if (!S.staffView) {
      S.staffView = new B.StaffView();
      S.spaceView = new B.SpaceView();
      S.publicView = new B.PublicView();
    }
    // A staff token sees its own tasks and nothing else: no board, no stream.
    if (S.me.role === "staff") {
      document.title = "Baton — my tasks";
      $("conn").textContent = "";
      route();
      return;
    }
    S.venue = await api.get("/v1/venue");
    B.offset = S.venue.event.utc_offset_s || 0;
    $("event-name").textContent = S.venue.event.name;
    document.title = "Baton — " + S.venue.event.name;
    fillSelects();
    // Signing in again in the same page (a restarted server ended the
    // session) keeps the board: a second one would add its rows beside the first.
    if (!S.board) {
      S.board = new B.Board($("board"));
      S.map = new B.VenueMap($("map"), $("map-note"), S.board);
      S.sparklines = new B.Sparklines(S.board);
    }
    S.board.setVenue(S.venue);
    S.map.setVenue(S.venue);
    S.sparklines.start();
    B.board = S.board;
    B.streamStats = () => S.stream && { received: S.stream.received, resyncs: S.stream.resyncs };
    await reload();
    route();
  }

  /** Reads every list again (at start and on `resync`), then streams from there. */
  async function reload() {
    const [spaces, decisions, control, policies] = await Promise.all([
      api.get("/v1/spaces"), api.get("/v1/decisions?limit=500"), api.get("/v1/control"), api.get("/v1/policies"),
    ]);
    setControl(control);
    S.board.setNow(control.now);
    for (const s of spaces.items) S.board.update(s);
    setPolicies(policies);
    S.decisions.clear();
    for (const d of decisions.items) keepDecision(d);
    renderQueue();
    await Promise.all([loadAlerts(), loadSigns(), loadSituations()]);
    if (S.timeline.loaded) loadTimeline();
    const from = Math.min(spaces.position, decisions.position, control.position);
    openStream(from);
  }

  function openStream(from) {
    if (!S.stream) {
      S.stream = new B.Stream({
        onEvent,
        onResync: () => { reload().catch(showError); },
        onState: (s) => {
          const c = $("conn");
          c.textContent = s === "live" ? "live" : s === "reconnecting" ? "reconnecting…" : "offline, retrying…";
          c.className = "conn conn-" + s;
        },
        onReconnect: () => {
          api.get("/v1/session").then(() => S.stream.open()).catch((e) => {
            if (e.status === 401) showSignin("Your session ended; sign in again.");
            else S.stream.open();
          });
        },
      });
    }
    S.stream.open(from);
  }

  function showError(e) { toast(e.message || String(e)); }

  // ---------------------------------------------------------------- stream

  function onEvent(topic, d) {
    if (topic === "tasks" || topic === "staff") S.staffView.changed();
    switch (topic) {
      case "spaces": S.board.update(d); S.spaceView.update(d); break;
      case "control":
        setControl(d);
        S.board.setNow(d.now);
        scheduleAlerts();
        break;
      case "decisions":
        if (d.kind === "decision") keepDecision(d);
        else if (d.kind === "decision_update") {
          const x = S.decisions.get(d.decision);
          if (x) { x.status = d.status; x.updated = d; }
          if (d.decision === S.selected && !isPending(x)) S.selected = null;
        }
        scheduleQueue();
        scheduleAlerts();
        break;
      case "overrides":
        api.get("/v1/overrides").then((o) => { S.control.overrides = o.items; renderOverrides(); }).catch(() => {});
        break;
      case "situations":
        // The stream sends every level; the desk shows medium and above.
        S.situations = (Array.isArray(d) ? d : []).filter((g) => g.level !== "low");
        renderSituations();
        return;
      default: break;
    }
    if (topic !== "spaces" && topic !== "control") timelineLive(d);
  }

  let queueFrame = 0;
  function scheduleQueue() {
    if (!queueFrame) queueFrame = requestAnimationFrame(() => { queueFrame = 0; renderQueue(); });
  }
  function scheduleAlerts() {
    if (S.alertsTimer) return;
    S.alertsTimer = setTimeout(() => { S.alertsTimer = 0; loadAlerts(); }, 300);
  }

  // ---------------------------------------------------------------- control

  function setControl(c) {
    const prev = S.control;
    S.control = Object.assign({}, prev, c);
    $("banner-paused").hidden = !S.control.paused;
    $("banner-emergency").hidden = !S.control.emergency;
    const p = $("btn-pause");
    p.textContent = S.control.paused ? "Resume automation" : "Pause automation";
    p.setAttribute("aria-pressed", S.control.paused ? "true" : "false");
    p.dataset.act = S.control.paused ? "resume automation" : "pause automation";
    const e = $("btn-emergency");
    e.textContent = S.control.emergency ? "Lift emergency hold" : "Emergency hold";
    e.setAttribute("aria-pressed", S.control.emergency ? "true" : "false");
    e.dataset.act = S.control.emergency ? "lift the hold" : "start an emergency hold";
    gate(p); gate(e);
    $("clock").textContent = B.day(S.control.now) + " " + B.hhmm(S.control.now) + (S.control.clock === "manual" ? " (manual clock)" : "");
    $("f-clock").hidden = S.control.clock !== "manual";
    if (c.modes) for (const [id, m] of Object.entries(c.modes)) {
      const p = S.policies.get(id);
      if (p && p.mode !== m) { p.mode = m; renderPolicies(); }
    }
    if (c.overrides) renderOverrides();
  }

  function togglePause() {
    const paused = S.control.paused;
    confirmDialog({
      title: paused ? "Resume automation?" : "Pause automation?",
      build: (b) => b.append(el("p", { text: paused ?
        "Automation carries out decisions again, and signs are reconciled to what automation wants now." :
        "Decisions are still made and shown but not carried out; messages produced while paused are never sent later. Your manual actions still go out." })),
      ok: paused ? "Resume" : "Pause",
      run: async () => {
        await api.post(paused ? "/v1/control/resume" : "/v1/control/pause");
        setControl(await api.get("/v1/control"));
      },
    });
  }

  function toggleEmergency() {
    const on = !S.control.emergency;
    confirmDialog({
      title: on ? "Start the emergency hold?" : "Lift the emergency hold?",
      danger: on,
      build: (b) => b.append(el("p", { text: on ?
        "Pending attendee-facing actions are cancelled and every sign shows the event's emergency content." :
        "Signs go back to normal content and automation resumes its usual behaviour." })),
      ok: on ? "Start emergency hold" : "Lift the hold",
      run: async () => {
        await api.post("/v1/control/emergency", { on });
        setControl(await api.get("/v1/control"));
      },
    });
  }

  // ---------------------------------------------------------------- queue

  const isPending = (d) => d && (d.status === "pending" || d.status === "escalated");

  function keepDecision(d) {
    if (isPending(d) || d.status === "suggested") S.decisions.set(d.id, d);
    // Keep the map small: drop settled decisions beyond the newest few hundred.
    if (S.decisions.size > 600) {
      for (const [id, x] of S.decisions) {
        if (!isPending(x)) { S.decisions.delete(id); if (S.decisions.size <= 500) break; }
      }
    }
  }

  function expiry(d) {
    if (d.status === "escalated") return null;
    if (d.expires) return d.expires;
    const p = S.policies.get(d.policy);
    return p && p.approval_timeout_ms > 0 ? d.at + p.approval_timeout_ms : null;
  }

  /** A parameter or context value as a person reads it: one value, not a
   * wrapper; ratios as percentages; minutes, seconds and densities with a
   * unit; at most two decimals. */
  function human(key, v) {
    if (v && typeof v === "object") {
      const vals = Object.values(v);
      if (vals.length === 1 && typeof vals[0] !== "object") v = vals[0];
    }
    if (typeof v === "number") {
      if (/fill|share|ratio|confidence/.test(key) && !Number.isInteger(v)) return Math.round(v * 100) + "%";
      if (/minutes|_min$/.test(key)) return (Math.round(v * 10) / 10) + " min";
      if (/per_m2|density/.test(key)) return (Math.round(v * 100) / 100) + " people/m²";
      if (/(^|_)s$|wait_s|walk_s/.test(key)) return Math.round(v) + " s";
      if (!Number.isInteger(v)) return String(Math.round(v * 100) / 100);
    }
    return B.param(v);
  }

  function isEmpty(v) {
    if (v === null || v === undefined || v === "") return true;
    if (typeof v === "object") { const vals = Object.values(v); return vals.length === 1 && (vals[0] === null || vals[0] === ""); }
    return false;
  }

  function sessionName(id) {
    const s = S.venue && S.venue.sessions.find((x) => x.id === id);
    return s ? s.title : id;
  }

  /** The decision in one sentence: where, what the policy is for, the values. */
  function reasonFirst(d) {
    const x = d.explanation || {};
    const p = S.policies.get(d.policy);
    const sc = d.scope || {};
    const where = sc.space ? spaceName(sc.space) : sc.session ? sessionName(sc.session) : sc.zone || "";
    const first = p && p.description ? p.description.split(/(?<=\.)\s/)[0] : "Policy " + d.policy + " fired.";
    const vals = Object.entries(x.values || {})
      .map(([k, v]) => k.replace(/^(space|session|signal|staff)\./, "").replace(/_/g, " ") + " " + human(k, v));
    return (where ? where + ": " : "") + first + (vals.length ? " Now: " + vals.join(", ") + "." : "");
  }

  /** Actions as a person reads them: a redirect's dozen notifications as one
   * line per destination, identical signs as one line, the rest one each. */
  function actionLines(actions) {
    const out = [];
    const kinds = new Map();
    for (const a of actions || []) {
      if (!kinds.has(a.kind)) kinds.set(a.kind, []);
      kinds.get(a.kind).push(a);
    }
    const n = (v) => Number(human("", v)) || 0;
    for (const [kind, as] of kinds) {
      const live = as.filter((a) => !a.suppressed);
      const off = as.length - live.length;
      const tail = off ? el("em", { class: "suppressed", text: " (" + off + " not carried out)" }) : null;
      if (kind === "notify" && as.length > 1) {
        const dest = new Map();
        let people = 0;
        for (const a of live) {
          const p = a.params || {};
          const count = n(p.count);
          people += count;
          const to = !isEmpty(p.to_space) ? spaceName(human("", p.to_space)) : !isEmpty(p.to_session) ? sessionName(human("", p.to_session)) : "—";
          dest.set(to, (dest.get(to) || 0) + count);
        }
        const list = [...dest].sort((a, b) => b[1] - a[1]).map(([k, c]) => k + " (" + c + ")").join(", ");
        out.push(el("li", null, el("b", { text: "notify" }), " " + people + " people in " + live.length + " groups → " + list, tail));
      } else if (kind === "sign" && as.length > 1 && new Set(live.map((a) => human("", (a.params || {}).content))).size === 1) {
        const content = live.length ? human("", live[0].params.content) : "";
        out.push(el("li", null, el("b", { text: "sign" }), " " + live.length + " signs → “" + content + "”",
          el("span", { class: "muted", text: " (" + live.map((a) => a.resource.replace(/^sign:/, "")).join(", ") + ")" }), tail));
      } else {
        for (const a of as) out.push(actionLine(a));
      }
    }
    return out;
  }

  /** When the last action that would go out stops being valid (journal ms). */
  function validUntil(d) {
    const v = (d.actions || []).filter((a) => !a.suppressed).map((a) => a.valid_until);
    return v.length ? Math.max(...v) : null;
  }

  function actionLine(a) {
    const params = Object.entries(a.params || {})
      .filter(([k, v]) => k !== "recipients" && !isEmpty(v))
      .map(([k, v]) => k.replace(/_/g, " ") + ": " + human(k, v)).join("; ");
    return el("li", null, el("b", { text: a.kind.replace("_", " ") }), " → ", el("code", { text: a.resource }),
      params ? el("span", { class: "params", text: " — " + params }) : null,
      a.suppressed ? el("em", { class: "suppressed", text: " (not carried out: " + a.suppressed + ")" }) :
        S.control.now && a.valid_until < S.control.now ? el("em", { class: "suppressed", text: " (expired at " + B.hhmm(a.valid_until) + ": will not go out)" }) :
          el("span", { class: "muted", text: " (valid until " + B.hhmm(a.valid_until) + ")" }));
  }

  /** The full explanation: what, why, alternatives, when it expires. */
  function explain(d) {
    const x = d.explanation || {};
    const box = el("div", { class: "explain" });
    box.append(el("p", { class: "reason", text: reasonFirst(d) }),
      el("h4", { text: "What it would do" }), el("ul", { class: "actions" }, ...actionLines(d.actions)));
    const why = el("div");
    why.append(el("h4", { text: "Why" }),
      el("p", null, "Policy ", el("code", { text: d.policy }), d.policy_version ? " (version " + d.policy_version.slice(0, 8) + ")" : "",
        x.condition ? el("span", null, " fired because ", el("code", { text: x.condition })) : null,
        x.trigger ? " on " + x.trigger.type + (x.trigger.subject ? " about " + x.trigger.subject : "") + " at position " + x.trigger.seq : "",
        x.held_since ? ", holding since " + B.hhmmss(x.held_since) : ""));
    const vals = Object.entries(x.values || {});
    if (vals.length) {
      why.append(el("table", { class: "values" },
        el("caption", { class: "sr-only", text: "values the condition read" }),
        el("tbody", null, ...vals.map(([k, v]) => el("tr", null, el("th", { scope: "row", text: k }), el("td", { text: human(k, v) }))))));
    }
    box.append(why);
    const alts = x.alternatives || [];
    box.append(el("h4", { text: "Alternatives considered" }));
    if (alts.length) {
      box.append(el("table", { class: "alts" },
        el("thead", null, el("tr", null, ...["option", "cost", "chosen", "detail"].map((h) => el("th", { scope: "col", text: h })))),
        el("tbody", null, ...alts.map((a) => el("tr", null, el("td", { text: a.option }), el("td", { class: "num", text: a.cost }),
          el("td", { class: "num", text: a.chosen }), el("td", { text: a.detail }))))));
    } else box.append(el("p", { class: "muted", text: "None: the policy names its targets directly." }));
    for (const [k, label] of [["conflicts", "Conflicts"], ["constraints", "Governance"], ["notes", "Notes"]]) {
      if ((x[k] || []).length) box.append(el("h4", { text: label }), el("ul", null, ...x[k].map((t) => el("li", { text: t }))));
    }
    if (x.solver) box.append(el("p", { class: "muted", text: "Solver: " + x.solver }));
    return box;
  }

  function renderQueue() {
    const pending = [...S.decisions.values()].filter(isPending).sort((a, b) => b.priority - a.priority || a.at - b.at);
    const list = $("pending");
    const hadFocus = list.contains(document.activeElement);
    list.replaceChildren();
    $("pending-empty").hidden = pending.length > 0;
    $("queue-count").textContent = pending.length ? String(pending.length) : "";
    // When the selected decision leaves the queue (approved, rejected,
    // expired), the one that took its place in the list is selected next.
    if (S.selected && !pending.some((d) => d.id === S.selected)) {
      const at = Math.min(S.selectedAt || 0, pending.length - 1);
      S.selected = at >= 0 ? pending[at].id : null;
    }
    if (!S.selected && pending.length) S.selected = pending[0].id;
    S.selectedAt = Math.max(0, pending.findIndex((d) => d.id === S.selected));
    for (const d of pending) {
      const exp = expiry(d);
      const li = el("li", {
        role: "option", tabindex: d.id === S.selected ? "0" : "-1", "aria-selected": d.id === S.selected ? "true" : "false",
        "data-decision": d.id, class: "decision " + d.status,
        onclick: () => select(d.id),
      },
        el("span", { class: "pol", text: d.policy }),
        el("span", { class: "scope", text: " " + (d.scope && (d.scope.space || d.scope.session || d.scope.zone) || "") }),
        el("span", { class: "age", text: " raised " + B.hhmm(d.at) + (S.control.now ? " (" + B.minutes(Math.max(0, S.control.now - d.at)) + " ago)" : "") }),
        el("span", { class: "when", text: d.status === "escalated" ?
          " escalated — approvable until " + (validUntil(d) ? B.hhmm(validUntil(d)) : "?") :
          exp ? " expires " + B.hhmm(exp) : " no timeout" }));
      list.append(li);
      // A re-render (any decision event) keeps the keyboard where it was.
      if (hadFocus && d.id === S.selected) li.focus();
    }
    renderDetail();
    const sug = [...S.decisions.values()].filter((d) => d.status === "suggested").sort((a, b) => b.at - a.at).slice(0, 20);
    $("suggested").replaceChildren(...sug.map((d) => el("li", null,
      el("details", null, el("summary", null, B.hhmm(d.at) + " " + d.policy + " " + (d.scope && d.scope.space || "")), explain(d)))));
  }

  function select(id) {
    S.selected = id;
    S.selectedAt = Math.max(0, [...$("pending").children].findIndex((li) => li.dataset.decision === id));
    for (const li of $("pending").children) {
      const on = li.dataset.decision === id;
      li.setAttribute("aria-selected", on ? "true" : "false");
      li.tabIndex = on ? 0 : -1;
      if (on) li.focus();
    }
    renderDetail();
  }

  /**
   * After a dialog closes, the keyboard goes back to the selected decision
   * when the element it came from is gone (the queue re-rendered meanwhile).
   */
  function refocus() {
    const a = document.activeElement;
    if (a && a !== document.body) return;
    if ($("view-queue").hidden) return;
    const li = [...$("pending").children].find((x) => x.dataset.decision === S.selected);
    if (li) li.focus();
  }

  function renderDetail() {
    const box = $("decision-detail");
    box.replaceChildren();
    const d = S.decisions.get(S.selected);
    if (!d || !isPending(d)) return;
    const exp = expiry(d);
    const valid = validUntil(d);
    const now = S.control.now;
    const dead = valid !== null && now && valid < now;
    box.append(el("h3", null, "Decision ", el("code", { text: d.id }), " — " + d.policy),
      el("p", { class: "expiry" }, d.status === "escalated" ?
        "Nobody answered in time: escalated to the duty manager. " :
        exp ? "Approval expires at " + B.hhmmss(exp) + (now ? " (in " + B.minutes(Math.max(0, exp - now)) + ")" : "") + ". " :
          "This approval does not time out. ",
        valid === null ? "" : dead ? el("strong", { text: "Its actions can no longer take effect." }) :
          "Its actions can take effect until " + B.hhmmss(valid) + (now ? " (" + B.minutes(Math.max(0, valid - now)) + " left)" : "") + "."),
      dead ? el("div", { class: "buttons" }, button("Reject", "reject", () => reject(d), "danger reject")) :
        el("div", { class: "buttons" },
          button("Approve", "approve", () => approve(d), "primary approve"),
          button("Edit, then approve", "approve", () => editApprove(d), "edit"),
          button("Reject", "reject", () => reject(d), "danger reject")),
      explain(d));
  }

  function approve(d) {
    confirmDialog({
      title: "Approve " + d.policy + "?",
      build: (b) => b.append(el("p", { text: reasonFirst(d) }), el("p", { text: "These actions go out now, those still valid:" }), el("ul", null, ...actionLines(d.actions))),
      ok: "Approve",
      run: async () => { await api.post("/v1/decisions/" + d.id + "/approve"); toast("Approved " + d.id); },
    });
  }

  function reject(d) {
    confirmDialog({
      title: "Reject " + d.policy + "?",
      danger: true,
      build: (b) => b.append(el("label", null, "Why (kept in the audit log)", el("textarea", { name: "comment", rows: "3", required: true }))),
      ok: "Reject",
      run: async (b) => {
        const comment = b.querySelector("textarea").value.trim();
        if (!comment) throw new Error("Say why, for the audit log.");
        await api.post("/v1/decisions/" + d.id + "/reject", { comment });
        toast("Rejected " + d.id);
      },
    });
  }

  function editApprove(d) {
    confirmDialog({
      title: "Edit, then approve " + d.policy,
      build: (b) => {
        for (const a of d.actions) {
          const fs = el("fieldset", { "data-index": a.index }, el("legend", null, a.kind.replace("_", " ") + " → " + a.resource));
          fs.append(el("label", null, el("input", { type: "checkbox", name: "drop" }), " leave this action out"));
          for (const [k, v] of Object.entries(a.params || {})) {
            if (typeof v === "object" && v !== null && !("String" in v)) continue; // lists stay as planned
            fs.append(el("label", null, k, el("input", { name: "p:" + k, value: B.param(v), "data-orig": B.param(v), "data-num": typeof v === "number" ? "1" : null })));
          }
          b.append(fs);
        }
      },
      ok: "Approve with these changes",
      run: async (b) => {
        const actions = [];
        for (const fs of b.querySelectorAll("fieldset")) {
          const edit = { index: Number(fs.dataset.index), params: {}, drop: fs.querySelector("[name=drop]").checked };
          for (const i of fs.querySelectorAll("input[name^='p:']")) {
            if (i.value !== i.dataset.orig) edit.params[i.name.slice(2)] = i.dataset.num ? Number(i.value) : i.value;
          }
          if (edit.drop || Object.keys(edit.params).length) actions.push(edit);
        }
        await api.post("/v1/decisions/" + d.id + "/approve", actions.length ? { actions } : {});
        toast("Approved " + d.id + (actions.length ? " with changes" : ""));
      },
    });
  }

  // ---------------------------------------------------------------- situations

  async function loadSituations() {
    try { S.situations = (await api.get("/v1/situations")).items; } catch (_) { return; }
    renderSituations();
  }

  /** Every active situation, one card per space: what, since when, and
   * whether a decision is about it; a pending decision opens in the queue. */
  function renderSituations() {
    const groups = S.situations || [];
    $("situations-empty").hidden = groups.length > 0;
    $("situations").replaceChildren(...groups.map((g) => el("li", { class: "situation level-" + g.level, "data-space": g.space || "" },
      el("h4", null, g.name + " ", el("span", { class: "sev", text: g.level }),
        el("span", { class: "muted", text: " since " + B.hhmm(g.since) + (S.control.now ? " (" + B.minutes(Math.max(0, S.control.now - g.since)) + ")" : "") })),
      el("ul", null, ...g.items.map((i) => el("li", { "data-kind": i.kind },
        i.text,
        i.kind === "decision" ? el("button", { type: "button", class: "link", text: " open",
          onclick: () => { S.selected = i.decision; renderQueue(); } }) : null))))));
  }

  // ---------------------------------------------------------------- alerts

  async function loadAlerts() {
    try { S.alerts = (await api.get("/v1/alerts")).items; } catch (_) { return; }
    const ul = $("alerts");
    ul.replaceChildren();
    $("alerts-empty").hidden = S.alerts.length > 0;
    const sorted = S.alerts.slice().sort((a, b) => (a.acked_by ? 1 : 0) - (b.acked_by ? 1 : 0) || b.last - a.last);
    for (const a of sorted) {
      const first = a.first || {};
      const alert = (first.actions || []).find((x) => x.kind === "alert");
      const msg = alert ? B.param(alert.params.message) : first.policy || "";
      const sev = alert ? B.param(alert.params.severity) : "";
      const name = spaceName(a.space);
      ul.append(el("li", { class: "card alert sev-" + (sev || "none") + (a.acked_by ? " acked" : "") + (a.escalated && !a.acked_by ? " escalated" : ""), "data-alert": a.id },
        el("h4", null, name + " ", el("span", { class: "count", text: a.count + (a.count === 1 ? " alert" : " alerts") }),
          sev ? el("span", { class: "sev", text: " " + sev }) : null),
        el("p", { text: msg }),
        el("p", { class: "muted", text: "since " + B.hhmm(a.opened) + ", last " + B.hhmm(a.last) }),
        a.escalated && !a.acked_by ? el("p", { class: "escalation", text: "Escalated: nobody acknowledged it in time." }) : null,
        a.acked_by ? el("p", { class: "muted", text: "Acknowledged by " + a.acked_by }) :
          button("Acknowledge", "acknowledge", async (ev) => {
            ev.target.disabled = true;
            try { await api.post("/v1/alerts/" + encodeURIComponent(a.id) + "/ack"); loadAlerts(); } catch (e) { showError(e); ev.target.disabled = false; }
          })));
    }
  }

  function spaceName(id) {
    const s = S.venue && S.venue.spaces.find((x) => x.id === id);
    return s ? s.name : id;
  }

  // ---------------------------------------------------------------- policies

  function setPolicies(p) {
    S.policies.clear();
    for (const x of p.items) S.policies.set(x.id, x);
    $("policy-version").textContent = (p.version || "").slice(0, 12);
    renderPolicies();
  }

  function renderPolicies() {
    const tb = $("policies");
    tb.replaceChildren();
    for (const p of S.policies.values()) {
      const sel = el("select", { "aria-label": "mode of " + p.id, "data-act": "change modes", "data-policy": p.id },
        ...["auto", "approve", "suggest", "off"].map((m) => el("option", { value: m, text: m, selected: m === p.mode })));
      gate(sel);
      sel.addEventListener("change", () => {
        const mode = sel.value;
        sel.value = p.mode;
        confirmDialog({
          title: "Set " + p.id + " to " + mode + "?",
          build: (b) => b.append(el("p", { text: {
            auto: "Its decisions are carried out at once (unless automation is paused).",
            approve: "Its decisions wait for an operator.",
            suggest: "Its decisions are shown only.",
            off: "It is not evaluated at all." }[mode] })),
          ok: "Set " + mode,
          run: async () => {
            await api.post("/v1/policies/" + encodeURIComponent(p.id) + "/mode", { mode });
            p.mode = mode; renderPolicies();
          },
        });
      });
      tb.append(el("tr", { class: "mode-" + p.mode },
        el("th", { scope: "row" }, el("code", { text: p.id })),
        el("td", { class: "num", text: p.priority }),
        el("td", null, sel),
        el("td", null, el("p", { text: p.description }), el("code", { class: "cond", text: p.condition }),
          p.eval_errors ? el("p", { class: "warn", role: "status",
            text: "Its condition failed " + p.eval_errors + " time(s) at run time (e.g. a division by zero): it did not fire then." }) : null)));
    }
  }

  // ---------------------------------------------------------------- actions and overrides

  function fillSelects() {
    const v = S.venue;
    const opt = (value, text) => el("option", { value, text });
    const zones = [...new Set(v.spaces.map((s) => s.zone))].sort();
    for (const s of document.querySelectorAll("select.zones")) s.replaceChildren(...zones.map((z) => opt(z, z)));
    $("board-zone").append(...zones.map((z) => opt(z, z)));
    const spaces = v.spaces.slice().sort((a, b) => a.name.localeCompare(b.name));
    for (const s of document.querySelectorAll("select.spaces")) s.replaceChildren(...spaces.map((x) => opt(x.id, x.name)));
    for (const s of document.querySelectorAll("select.spaces-opt")) s.append(...spaces.map((x) => opt(x.id, x.name)));
    for (const s of document.querySelectorAll("select.sessions")) s.replaceChildren(...v.sessions.map((x) => opt(x.id, B.hhmm(x.start) + " " + x.title)));
    for (const s of document.querySelectorAll("select.signs")) s.replaceChildren(...v.signs.map((x) => opt(x.id, x.id + " (" + spaceName(x.space) + ")")));
    const res = [...v.signs.map((x) => "sign:" + x.id), ...v.spaces.map((x) => "space:" + x.id), ...v.sessions.map((x) => "session:" + x.id)];
    $("resources").replaceChildren(...res.map((r) => el("option", { value: r })));
    $("space-ids").replaceChildren(...v.spaces.map((x) => el("option", { value: x.id })));
    const open = document.querySelector("#f-open select");
    const overflow = v.spaces.find((s) => /overflow/i.test(s.id));
    if (open && overflow) open.value = overflow.id;
  }

  async function loadSigns() {
    try { S.signs = (await api.get("/v1/signs")).items; } catch (_) { S.signs = []; }
  }

  function manual(kind, ids, params, minutes) {
    return api.post("/v1/actions", { kind, target: { ids }, params, valid_for: (minutes || 10) * 60000 });
  }

  /** Each manual-action form: one confirmation, then the call. */
  function wireForms() {
    const on = (id, title, describe, run) => {
      $(id).addEventListener("submit", (ev) => {
        ev.preventDefault();
        const f = Object.fromEntries(new FormData(ev.target).entries());
        f._checked = (n) => ev.target.elements[n] && ev.target.elements[n].checked;
        confirmDialog({ title, build: (b) => b.append(el("p", { text: describe(f) })), ok: "Send", run: async () => { await run(f); toast(title.replace("?", "") + ": sent"); } });
      });
    };
    on("f-broadcast", "Broadcast to the zone?", (f) => "“" + f.message + "” to attendees in zone " + f.zone + (f._checked("signs") ? " and on its signs." : "."), async (f) => {
      await manual("notify", ["attendees:zone:" + f.zone], { message: f.message, title: "Message from the organisers" });
      if (f._checked("signs")) {
        const ids = S.venue.signs.filter((s) => { const sp = S.venue.spaces.find((x) => x.id === s.space); return sp && sp.zone === f.zone; }).map((s) => s.id);
        if (ids.length) await manual("sign", ids, { content: f.message });
      }
    });
    on("f-sign", "Set the sign?", (f) => f.sign + " shows “" + f.content + "”" + (Number(f.minutes) > 0 ? ", locked for " + f.minutes + " min." : "."), async (f) => {
      await manual("sign", [f.sign], { content: f.content });
      if (Number(f.minutes) > 0) await api.post("/v1/overrides", { resource: "sign:" + f.sign, value: f.content, minutes: Number(f.minutes) });
    });
    on("f-session", "Change the session?", (f) => f.session + (Number(f.minutes) > 0 ? " starts " + f.minutes + " min late" : "") + (f.space ? " and moves to " + spaceName(f.space) : "") + ".", async (f) => {
      const params = { minutes: Number(f.minutes) || 0 };
      if (f.space) params.space = f.space;
      await manual("delay_session", ["session:" + f.session], params, 30);
    });
    on("f-dispatch", "Dispatch staff?", (f) => f.count + " × " + f.role + " to " + spaceName(f.space) + ".", (f) =>
      manual("dispatch", ["space:" + f.space], { role: f.role, count: Number(f.count) || 1, note: f.note || "Sent by the desk" }));
    on("f-open", "Open the room?", (f) => "Open " + spaceName(f.space) + ": " + f.reason, (f) =>
      manual("open_space", ["space:" + f.space], { reason: f.reason }, 30));
    on("f-override", "Lock the resource?", (f) => "Automation leaves " + f.resource + " alone for " + f.minutes + " min" + (f.value ? " (value “" + f.value + "”)." : "."), async (f) => {
      await api.post("/v1/overrides", { resource: f.resource, value: f.value || null, minutes: Number(f.minutes) });
    });
    on("f-clock", "Advance the clock?", (f) => "Journal time moves " + f.seconds + " s forward; timers due in between fire.", async (f) => {
      await api.post("/v1/clock/advance", { seconds: Number(f.seconds) });
    });
  }

  function renderOverrides() {
    const list = S.control.overrides || [];
    const ul = $("overrides");
    ul.replaceChildren();
    $("overrides-empty").hidden = list.length > 0;
    for (const o of list) {
      ul.append(el("li", { class: "card override", "data-resource": o.resource },
        el("h4", null, el("span", { class: "lock", "aria-hidden": "true", text: "🔒 " }), el("code", { text: o.resource })),
        o.value ? el("p", { text: "Value: " + o.value }) : null,
        el("p", { class: "until", text: "Locked until " + B.hhmm(o.until) + (S.control.now ? " (" + B.minutes(Math.max(0, o.until - S.control.now)) + " left)" : "") }),
        el("p", { class: "muted", text: "by " + o.actor }),
        button("Release", "release overrides", () => confirmDialog({
          title: "Release " + o.resource + "?", build: (b) => b.append(el("p", { text: "Automation may change it again at once." })), ok: "Release",
          run: () => api.del("/v1/overrides/" + encodeURIComponent(o.resource)),
        }))));
    }
  }

  // ---------------------------------------------------------------- timeline

  function summary(o) {
    switch (o.kind) {
      case "decision": return o.policy + " → " + o.status + (o.scope && o.scope.space ? " in " + o.scope.space : "") + ": " +
        (o.actions || []).map((a) => a.kind + " " + a.resource).join(", ");
      case "decision_update": return "decision " + o.decision + " " + o.status + " by " + o.actor + (o.reason ? ": " + o.reason : "");
      case "execute": return "decision " + o.decision + ": carrying out " + o.actions.length + " action(s)";
      case "action_outcome": return "decision " + o.decision + " action " + o.action + " " + o.outcome + " via " + o.connector;
      case "task": return "task " + o.task + " " + o.state + (o.staff ? " (" + o.staff + ")" : "") + " at " + o.space + (o.reason ? ": " + o.reason : "");
      case "command_refused": return "command refused: " + o.reason;
      case "override_ended": return "override on " + o.resource + " ended: " + o.reason;
      case "signal_rejected": return "signal " + o.id + " rejected: " + o.reason;
      default: return JSON.stringify(o);
    }
  }

  function passes(item) {
    const o = item.output;
    const kind = $("tl-kind").value, space = $("tl-space").value.trim(), pol = $("tl-policy").value.trim(), text = $("tl-text").value.trim().toLowerCase();
    if (kind && o.kind !== kind) return false;
    if (space && !(o.scope && o.scope.space === space) && o.space !== space) return false;
    if (pol && o.policy !== pol) return false;
    if (text && !summary(o).toLowerCase().includes(text)) return false;
    return true;
  }

  function timelineItem(item) {
    const o = item.output;
    const head = el("span", null, el("time", { text: B.hhmmss(item.at) }), " ", el("span", { class: "k k-" + o.kind, text: o.kind.replace("_", " ") }), " ", summary(o));
    if (o.kind !== "decision") return el("li", { "data-kind": o.kind, class: o.kind === "action_outcome" ? "outcome-" + o.outcome : "" }, head);
    const det = el("details", { "data-decision": o.id }, el("summary", null, head));
    det.addEventListener("toggle", () => { if (det.open && !det.dataset.loaded) fullDecision(det, o); });
    return el("li", { "data-kind": o.kind }, det);
  }

  /** A decision opened in the timeline: its explanation and each action's fate. */
  async function fullDecision(det, o) {
    det.dataset.loaded = "1";
    let d = o;
    try { d = await api.get("/v1/decisions/" + o.id); } catch (_) { /* older than the in-memory window */ }
    const audit = await api.get("/v1/audit?decision=" + encodeURIComponent(o.id) + "&limit=1000").catch(() => ({ items: [] }));
    const fates = new Map();
    for (const it of audit.items) {
      const x = it.output;
      if (x.kind === "action_outcome") fates.set(x.action, x);
    }
    const status = d.status || o.status;
    const fateList = el("ul", { class: "fates" }, ...(d.actions || []).map((a) => {
      const f = fates.get(a.index);
      const state = a.suppressed ? "not carried out: " + a.suppressed : f ? f.outcome + " via " + f.connector :
        ["executed", "approved", "manual"].includes(status) ? "in delivery" : "not sent (" + status + ")";
      return el("li", { class: f ? "fate-" + f.outcome : "" }, el("b", { text: a.kind + " " }), el("code", { text: a.resource }), " — " + state,
        f && f.outcome === "dead" ? button("Retry", "retry dead letters", () => retry(o.id + "." + a.index)) : null);
    }));
    const hist = (d.history || []).filter((h) => h.kind === "decision_update").map((h) => el("li", { text: B.hhmmss(h.at) + " " + h.status + " by " + h.actor + (h.reason ? ": " + h.reason : "") }));
    det.append(el("div", { class: "full" }, el("h4", { text: "Fate of each action" }), fateList,
      hist.length ? el("h4", { text: "History" }) : null, hist.length ? el("ul", null, ...hist) : null, explain(d)));
  }

  const TL_PAGE = 300;

  /** The newest page of the timeline; `older` appends the page before the
   * oldest entry shown (the read model's audit, back to what it holds). */
  async function loadTimeline(older) {
    S.timeline.loaded = true;
    const q = new URLSearchParams({ limit: String(TL_PAGE) });
    const space = $("tl-space").value.trim(), pol = $("tl-policy").value.trim();
    if (space) q.set("space", space);
    if (pol) q.set("policy", pol);
    if (older && S.timeline.oldest) q.set("before", String(S.timeline.oldest));
    const r = await api.get("/v1/audit?" + q);
    const ol = $("timeline");
    const items = r.items.filter(passes).reverse().map(timelineItem);
    if (older) ol.append(...items); else ol.replaceChildren(...items);
    S.timeline.paged = !!older;
    const positions = r.items.map((i) => i.position).filter((p) => p > 0);
    if (positions.length) S.timeline.oldest = Math.min(...positions);
    else if (!older) S.timeline.oldest = null;
    $("tl-older").hidden = r.items.length < TL_PAGE;
    if (!older) loadDeadLetters();
  }

  function timelineLive(o) {
    if (!S.timeline.loaded || !o || !o.kind) return;
    const item = { at: o.at || S.control.now, output: o };
    if (!passes(item)) return;
    const ol = $("timeline");
    ol.prepend(timelineItem(item));
    // Older pages someone asked for stay; otherwise the live list is bounded.
    while (!S.timeline.paged && ol.children.length > 500) ol.lastChild.remove();
    if (o.kind === "action_outcome" && o.outcome === "dead") loadDeadLetters();
  }

  async function loadDeadLetters() {
    let items = [];
    try { items = (await api.get("/v1/deadletters")).items; } catch (_) { return; }
    const ul = $("deadletters");
    $("deadletters-empty").hidden = items.length > 0;
    ul.replaceChildren(...items.map((d) => el("li", { class: "card dead" },
      el("h4", null, el("code", { text: d.key }), " → " + d.resource),
      el("p", { text: "via " + d.connector + ", " + d.attempts + " attempts; " + (d.last_error || "") }),
      button("Retry", "retry dead letters", () => retry(d.key)))));
  }

  function retry(key) {
    confirmDialog({
      title: "Retry " + key + "?", build: (b) => b.append(el("p", { text: "It goes back in the delivery queue with a fresh attempt count." })), ok: "Retry",
      run: async () => { await api.post("/v1/deadletters/" + encodeURIComponent(key) + "/retry"); loadDeadLetters(); },
    });
  }

  // ---------------------------------------------------------------- connectors

  async function loadConnectors() {
    let items = [], refused = {};
    try {
      const v = await api.get("/v1/connectors");
      items = v.items; refused = v.ingest_refused || {};
    } catch (e) { return showError(e); }
    const sources = Object.keys(refused);
    $("ingest-refused").replaceChildren(...(sources.length ? sources.map((src) => el("tr", null,
      el("th", { scope: "row", text: src }), el("td", { class: "num", text: refused[src].count }),
      el("td", { text: refused[src].last_error }),
      el("td", { text: new Date(refused[src].last_at).toLocaleTimeString() })))
      : [el("tr", null, el("td", { colspan: "4", text: "none" }))]));
    $("connectors").replaceChildren(...items.map((c) => el("tr", { class: "breaker-" + c.breaker },
      el("th", { scope: "row", text: c.name }), el("td", null, el("span", { class: "breaker", text: c.breaker })),
      el("td", { class: "num", text: c.delivered }), el("td", { class: "num", text: c.failed_attempts }), el("td", { class: "num", text: c.dead }),
      el("td", { class: "num", text: c.expired }), el("td", { class: "num", text: c.in_flight }), el("td", { class: "num", text: c.queue_depth }),
      el("td", null, (c.recent_failures || []).length ? el("ul", null, ...c.recent_failures.slice(-5).map((f) => el("li", { text: f }))) : "none"))));
  }

  // ---------------------------------------------------------------- simulation

  // The API: POST /v1/simulations {a, b, seeds} starts one run at a time
  // (operators and admins); GET /v1/simulations/{id} reports progress, then
  // the KPI table (A, B and the paired A − B), SVG charts and the summary.
  const SIM = { polling: null, shown: null };

  function wireSimulation() {
    const f = $("f-sim");
    for (const side of ["a", "b"]) {
      f.elements[side].addEventListener("change", () => {
        const t = f.elements[side + "_text"];
        t.hidden = f.elements[side].value !== "custom";
        if (!t.hidden) t.focus();
      });
    }
    f.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      if (!canOperate()) return;
      const pick = (side) => f.elements[side].value === "custom" ? f.elements[side + "_text"].value : f.elements[side].value;
      const body = { a: pick("a"), b: pick("b"), seeds: Number(f.elements.seeds.value) || 10 };
      for (const x of f.querySelectorAll("[aria-invalid]")) x.removeAttribute("aria-invalid");
      const status = $("sim-status");
      status.className = "";
      status.textContent = "Starting…";
      $("sim-result").replaceChildren();
      $("btn-sim").disabled = true;
      try {
        const r = await api.post("/v1/simulations", body);
        pollSimulation(r.id);
      } catch (e) {
        $("btn-sim").disabled = false;
        status.className = "error";
        status.textContent = e.status === 404 ? "Simulations are not available on this server." :
          e.status === 409 ? "A simulation is already running; wait for it to finish." :
            e.status === 403 ? "Viewers cannot run simulations." : "The simulation could not start: " + e.message;
        // A 400 names the field at fault: policy set A or B, or the seeds.
        const field = e.problem && e.problem.field;
        const bad = field === "seeds" ? f.elements.seeds :
          field === "a" || field === "b" ? (f.elements[field].value === "custom" ? f.elements[field + "_text"] : f.elements[field]) : null;
        if (bad) { bad.setAttribute("aria-invalid", "true"); bad.focus(); }
        if (e.status === 409) loadSimulations(); // show the run in progress
      }
    });
  }

  /** On opening the view: the reason a viewer cannot run, and the latest run, resumed if it is still going. */
  async function loadSimulations() {
    const why = $("btn-sim").dataset.why;
    $("sim-why").hidden = !why || canOperate();
    $("sim-why").textContent = why ? "Run is disabled: " + why + "; operators and admins can." : "";
    if (SIM.polling) return;
    let items = [];
    try { items = (await api.get("/v1/simulations")).items || []; } catch (_) { return; }
    const last = items[0];
    if (!last || last.id === SIM.shown) return;
    pollSimulation(last.id);
  }

  async function pollSimulation(id) {
    if (SIM.polling === id) return;
    SIM.polling = id;
    const status = $("sim-status"), bar = $("sim-progress");
    status.className = "";
    bar.hidden = false;
    $("btn-sim").disabled = true;
    try {
      for (;;) {
        let s;
        try { s = await api.get("/v1/simulations/" + encodeURIComponent(id)); } catch (e) {
          status.className = "error";
          status.textContent = e.status === 404 ? "The simulation " + id + " is no longer kept on the server." : e.message;
          return;
        }
        if (SIM.polling !== id) return;
        const total = s.total || 0, done = Math.min(s.done || 0, total);
        bar.max = Math.max(1, total); bar.value = done;
        bar.setAttribute("aria-valuetext", done + " of " + total + " runs");
        if (s.state === "running") {
          status.textContent = "Running " + s.id + " (started by " + s.started_by + "): " + done + " of " + total + " runs done";
          await new Promise((r) => setTimeout(r, 1000));
          continue;
        }
        SIM.shown = id;
        if (s.state === "done") {
          status.textContent = "Done: " + s.id + ", " + total + " runs, started by " + s.started_by + ".";
          renderSimulation(s);
        } else {
          status.className = "error";
          status.textContent = "The simulation failed: " + (s.error || "unknown error");
          $("sim-result").replaceChildren();
        }
        return;
      }
    } finally {
      if (SIM.polling === id) {
        SIM.polling = null;
        bar.hidden = true;
        gate($("btn-sim"));
      }
    }
  }

  /** A mean with its 95% interval; a KPI undefined on these runs is "n/a". */
  function estimate(x) {
    const n = (v) => typeof v === "number" && isFinite(v) ? v.toFixed(2) : null;
    if (!x || n(x.mean) === null) return "n/a";
    const lo = n(x.lo), hi = n(x.hi);
    return n(x.mean) + (lo === null || hi === null ? "" : " [" + lo + ", " + hi + "]");
  }

  function renderSimulation(s) {
    const out = $("sim-result");
    const cases = (s.summary && s.summary.cases) || [];
    const name = (i, fallback) => (cases[i] && cases[i].name) || fallback;
    const [na, nb] = [name(0, "A"), name(1, "B")];
    const seeds = (s.summary && s.summary.seeds) || [];
    const sig = (r) => !r.significant ? "no" : r.favours ? "yes, favours " + r.favours : "yes";
    const cell = (r, side, x) => el("td", { class: "num" + (r.favours && r.favours === (side === "a" ? na : nb) ? " favoured" : "") }, estimate(x));
    out.replaceChildren(el("table", { class: "plain-table sim", id: "sim-table" },
      el("caption", { text: "Outcome KPIs of " + na + " (A) and " + nb + " (B): mean and 95% interval over " + (seeds.length || "the") + " seeds; A − B paired by seed. A significant difference's interval excludes zero." }),
      el("thead", null, el("tr", null,
        el("th", { scope: "col", text: "KPI" }), el("th", { scope: "col", text: "Unit" }),
        el("th", { scope: "col", text: "A: " + na }), el("th", { scope: "col", text: "B: " + nb }),
        el("th", { scope: "col", text: "A − B" }), el("th", { scope: "col", text: "Significant" }))),
      el("tbody", null, ...(s.table || []).map((r) => el("tr", { class: r.significant ? "sig" : "", dataset: { kpi: r.key } },
        el("th", { scope: "row", text: r.kpi }), el("td", { text: r.unit }),
        cell(r, "a", r.a), cell(r, "b", r.b), el("td", { class: "num", text: estimate(r.diff) }),
        el("td", { class: "verdict", text: sig(r) }))))));
    // Server-made SVG goes in as an image: a data: URL in <img> never runs script.
    for (const c of s.charts || []) {
      if (!c || typeof c.svg !== "string") continue;
      const title = String(c.title || "chart");
      out.append(el("figure", { class: "chart" },
        el("img", { src: "data:image/svg+xml;charset=utf-8," + encodeURIComponent(c.svg), alt: "Chart: " + title }),
        el("figcaption", { text: title })));
    }
  }

  // ---------------------------------------------------------------- routing and keys

  const VIEWS = ["board", "map", "queue", "policies", "actions", "timeline", "connectors", "simulation", "staff", "public"];
  /** Views reached by a link, not a tab: `#space/ID`. */
  const SUBVIEWS = ["space"];
  let connTimer = 0;

  function route() {
    const [head, ...rest] = location.hash.slice(1).split("/");
    const arg = rest.length ? decodeURIComponent(rest.join("/")) : null;
    let v = VIEWS.includes(head) || (SUBVIEWS.includes(head) && arg) ? head : "board";
    // A staff member's console is their task list.
    if (S.me && S.me.role === "staff") v = "staff";
    for (const name of VIEWS.concat(SUBVIEWS)) $("view-" + name).hidden = name !== v;
    const tab = v === "space" ? "board" : v;
    for (const a of document.querySelectorAll("nav.tabs a")) {
      if (a.getAttribute("href") === "#" + tab) a.setAttribute("aria-current", "page"); else a.removeAttribute("aria-current");
    }
    clearInterval(connTimer);
    if (v === "space") S.spaceView.show(arg); else S.spaceView.hide();
    if (v === "staff") S.staffView.show(); else S.staffView.hide();
    if (v === "public") S.publicView.show(); else S.publicView.hide();
    if (v === "map") S.map.shown();
    if (v === "timeline" && !S.timeline.loaded) loadTimeline().catch(showError);
    if (v === "timeline") loadDeadLetters();
    if (v === "connectors") { loadConnectors(); connTimer = setInterval(loadConnectors, 5000); }
    if (v === "actions") renderOverrides();
    if (v === "simulation") loadSimulations();
  }

  /** Shows a view now, not at the next `hashchange`: a hidden element cannot take the focus. */
  function showView(v) {
    if (location.hash === "#" + v) return;
    location.hash = v;
    route();
  }

  function keys(ev) {
    if (ev.ctrlKey || ev.metaKey || ev.altKey) return;
    const t = ev.target;
    if (t && (t.tagName === "INPUT" || t.tagName === "TEXTAREA" || t.tagName === "SELECT") ) return;
    if (document.querySelector("dialog[open]")) return;
    const pending = [...$("pending").children].map((li) => li.dataset.decision);
    const i = pending.indexOf(S.selected);
    const d = S.decisions.get(S.selected);
    const viewKey = Number(ev.key);
    if (viewKey >= 1 && viewKey <= VIEWS.length) { location.hash = VIEWS[viewKey - 1]; return; }
    switch (ev.key) {
      case "?": $("help").showModal(); break;
      case "/": location.hash = "board"; $("board-find").focus(); ev.preventDefault(); break;
      case "j": if (pending.length) { showView("queue"); select(pending[Math.min(pending.length - 1, i + 1)]); } break;
      case "k": if (pending.length) { showView("queue"); select(pending[Math.max(0, i - 1)]); } break;
      case "a": if (d && canOperate()) approve(d); break;
      case "e": if (d && canOperate()) editApprove(d); break;
      case "r": if (d && canOperate()) reject(d); break;
      default: return;
    }
  }

  function wireStatic() {
    $("signin-form").addEventListener("submit", signin);
    $("btn-signout").addEventListener("click", signout);
    $("btn-pause").addEventListener("click", togglePause);
    $("btn-emergency").addEventListener("click", toggleEmergency);
    $("btn-help").addEventListener("click", () => $("help").showModal());
    $("confirm").addEventListener("close", refocus);
    window.addEventListener("hashchange", route);
    document.addEventListener("keydown", keys);
    const bf = () => S.board && S.board.setFilter({
      text: $("board-find").value.trim(), zone: $("board-zone").value, hot: $("board-hot").checked,
      sort: $("board-sort").value, group: $("board-group").checked,
    });
    for (const id of ["board-find", "board-zone", "board-hot", "board-sort", "board-group"]) $(id).addEventListener("input", bf);
    $("board-filters").addEventListener("submit", (ev) => ev.preventDefault());
    $("tl-filters").addEventListener("submit", (ev) => { ev.preventDefault(); loadTimeline().catch(showError); });
    $("tl-older").addEventListener("click", () => loadTimeline(true).catch(showError));
    wireForms();
    wireSimulation();
  }

  document.addEventListener("DOMContentLoaded", () => { init().catch((e) => showSignin(e.message)); });
})(window.Baton);
