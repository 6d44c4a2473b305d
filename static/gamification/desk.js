// Front desk: keyboard only. A keyboard-wedge scanner types GYM_QR_<token> + Enter into #scan.
// Anything else typed there searches members; Enter checks the selected one in, F2 grants a
// courtesy pass (allowed roles only) to the selected member, or to a new guest named as typed when
// nobody is found (Shift+F2: a new guest always). The side panel follows the organization's WebSocket.
(function () {
  "use strict";
  const root = document.getElementById("desk");
  const slug = root.dataset.slug;
  const tz = root.dataset.tz;
  const canCourtesy = root.dataset.canCourtesy === "1";
  const csrf = root.dataset.csrf;
  const QR_PREFIX = "GYM_QR_";
  const scan = document.getElementById("scan");
  const results = document.getElementById("results");
  const courtesyBox = document.getElementById("courtesy");
  const reason = document.getElementById("reason");
  const resultBox = document.getElementById("result");
  const hint = document.getElementById("results-hint");
  const historyBox = document.getElementById("history");
  const renewForm = document.getElementById("renew");
  const renewUntil = document.getElementById("renew-until");
  let renewFor = null;
  const api = "/api/v1/gym/";
  let found = [];
  let selected = -1;
  let courtesyFor = null;
  let searchTimer = null;
  let busy = false;
  // Offline mode (desk-offline.js): decides entries from the door manifest and queues them.
  const offline = DeskOffline({
    slug, tz, csrf, canCourtesy, cacheName: root.dataset.cache, serviceWorker: root.dataset.sw, scope: root.dataset.scope,
    onChange: () => showOffline(),
  });

  const timeFmt = new Intl.DateTimeFormat("en-GB", { timeZone: tz, hour: "2-digit", minute: "2-digit" });
  const dateFmt = new Intl.DateTimeFormat("en-GB", { timeZone: tz, day: "2-digit", month: "short", year: "numeric" });
  const fmtTime = (iso) => (iso ? timeFmt.format(new Date(iso)) : "");
  const fmtDate = (iso) => (iso ? dateFmt.format(new Date(iso)) : "—");
  const text = (el, value) => { el.textContent = value == null ? "" : String(value); };

  async function call(method, path, body) {
    const response = await fetch(path.startsWith("/") ? path : api + path, {
      method,
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf, "X-Organization": slug, Accept: "application/json" },
      body: body ? JSON.stringify(body) : undefined,
    });
    let data = {};
    try { data = await response.json(); } catch (e) { data = { code: "error", detail: response.statusText }; }
    return { ok: response.ok, status: response.status, data };
  }

  // --- focus: the scan field owns the keyboard unless the courtesy reason is open, or the person
  // moved on purpose (Tab to the navbar, the renew form): then focus stays where they put it. -----
  function focusField() {
    const target = courtesyFor ? reason : scan;
    const active = document.activeElement;
    if (active && active !== document.body && active !== scan && active !== reason) return;
    if (active !== target) target.focus();
  }
  document.addEventListener("focusout", () => setTimeout(focusField, 0));
  document.addEventListener("click", () => setTimeout(focusField, 0));
  window.addEventListener("focus", focusField);

  // --- result panel --------------------------------------------------------------------------
  const REASONS = {
    subscription_inactive: "Subscription not active",
    subscription_expired: "Subscription expired",
    anti_passback: "Already entered recently",
    unknown_qr: "Unknown or replaced card",
    unknown_footprint: "Unknown fingerprint",
    invalid_qr: "Not a gym card",
    attendee_inactive: "Member suspended",
    member_not_found: "No such member",
    permission_denied: "Not allowed",
    reason_required: "Give a reason",
    name_required: "Give the guest's name",
  };

  function showResult(kind, data) {
    resultBox.className = "result " + kind;
    const member = data.member || {};
    const verdict = resultBox.querySelector(".verdict");
    const who = resultBox.querySelector(".who");
    const facts = resultBox.querySelector(".facts");
    const why = resultBox.querySelector(".why");
    if (kind === "refused") {
      text(verdict, "✖ " + (REASONS[data.code] || "Refused"));
      const saysWhen = /next entry allowed/i.test(data.detail || "");
      text(why, (data.detail || "") + (data.next_allowed_at && !saysWhen ? " Next entry allowed at " + fmtTime(data.next_allowed_at) + "." : ""));
    } else {
      const access = data.visit ? data.visit.access_type : "";
      text(verdict, access === "courtesy" ? "✔ Courtesy pass" : "✔ Welcome");
      text(why, "");
    }
    text(who, member.name || "");
    if (data.offline && data.visit && data.visit.access_type === "courtesy") {
      text(facts, ["Courtesy pass", member.guest ? "new guest" : "", "Decided offline"].filter(Boolean).join(" · "));
    } else if (member.id) {
      const parts = [];
      if (member.access_type === "staff") parts.push("Staff");
      else {
        const state = member.door_state || "—";
        const ended = state === "expired";
        parts.push("Subscription " + state + (member.expires_at ? (ended ? " on " : " · expires ") + fmtDate(member.expires_at) : ""));
      }
      if (member.offline) parts.push("Decided offline");
      else if (member.access_type !== "staff") parts.push("Streak " + (member.current_streak || 0) + " day" + (member.current_streak === 1 ? "" : "s") + " (best " + (member.longest_streak || 0) + ")");
      text(facts, parts.join(" · "));
    } else {
      text(facts, "");
    }
    resultBox.dataset.code = kind === "refused" ? data.code || "" : "allowed";
    // From an "expired" refusal, the next step is a renewal (then the entry), right here.
    renewFor = kind === "refused" && data.code === "subscription_expired" && member.id ? member : null;
    renewForm.hidden = !renewFor;
    if (renewFor) {
      const until = new Date();
      until.setMonth(until.getMonth() + 1);
      renewUntil.value = until.toISOString().slice(0, 10);
    }
  }

  function resetResult() {
    if (resultBox.classList.contains("idle")) return;
    resultBox.className = "result idle";
    text(resultBox.querySelector(".verdict"), "Ready");
    ["who", "facts", "why"].forEach((name) => text(resultBox.querySelector("." + name), ""));
    resultBox.dataset.code = "";
    renewFor = null;
    renewForm.hidden = true;
  }

  renewForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (!renewFor || !renewUntil.value) return;
    const member = renewFor;
    const expiresAt = renewUntil.value + "T23:59:00";
    const { ok, data } = await call("PUT", "members/" + member.id + "/subscription", { subscription_status: "active", expires_at: expiresAt });
    if (!ok) { showResult("refused", data); return; }
    renewForm.hidden = true;
    scan.focus();
    entry("checkin", { user_id: member.id });
  });

  async function entry(path, body) {
    if (busy) return;
    busy = true;
    try {
      if (offline.isOffline()) { await offlineEntry(path, body); return; }
      const { ok, data } = await call("POST", path, body);
      if (ok) showResult(data.visit && data.visit.access_type === "courtesy" ? "courtesy-ok" : "allowed", data);
      else showResult("refused", data);
      refreshPanel();
    } catch (e) {
      await offlineEntry(path, body);
    } finally {
      busy = false;
    }
  }

  async function offlineEntry(path, body) {
    if (!offline.ready) {
      showResult("refused", { code: "network", detail: "The server did not answer and this desk has no member list yet. Try again." });
      return;
    }
    const courtesy = path === "checkin/courtesy";
    const { ok, data } = courtesy ? await offline.decideCourtesy(body) : await offline.decide(body);
    showResult(ok ? (courtesy ? "courtesy-ok" : "allowed") : "refused", data);
  }

  // "Offline — N queued — last sync hh:mm", and the entries the server did not accept.
  function showOffline() {
    root.dataset.offlineReady = offline.ready ? "1" : "0";  // a member list is at hand for offline entries
    const status = document.getElementById("offline-status");
    const queued = offline.queued;
    if (offline.isOffline()) {
      text(status, "Offline — " + queued + " queued — last sync " + offline.lastSync);
    } else if (queued) {
      text(status, "Sending " + queued + " queued — last sync " + offline.lastSync);
    } else {
      text(status, "");
    }
    status.hidden = !status.textContent;
    const box = document.getElementById("conflicts");
    const rows = offline.conflicts.map((c) => {
      const li = document.createElement("li");
      li.dataset.code = c.code || "";
      const what = document.createElement("span");
      text(what, fmtTime(c.at) + " " + c.name + " — " + (REASONS[c.code] || c.code) + ": " + (c.detail || ""));
      const ok = document.createElement("button");
      ok.type = "button";
      ok.className = "btn";
      text(ok, "Seen");
      ok.addEventListener("click", () => offline.dismissConflict(c.event_id));
      li.append(what, ok);
      return li;
    });
    document.getElementById("conflict-rows").replaceChildren(...rows);
    box.hidden = rows.length === 0;
    if (!offline.isOffline() && !queued) refreshPanel();
  }

  // --- search --------------------------------------------------------------------------------
  function renderResults() {
    results.replaceChildren();
    found.forEach((m, i) => {
      const li = document.createElement("li");
      if (i === selected) li.className = "selected";
      li.dataset.id = m.id;
      li.id = "result-" + i;
      li.setAttribute("role", "option");
      li.setAttribute("aria-selected", i === selected ? "true" : "false");
      li.addEventListener("click", () => { selected = i; renderResults(); });
      const name = document.createElement("span");
      text(name, m.name + (m.access_type === "staff" ? " (staff)" : ""));
      const meta = document.createElement("span");
      meta.className = "meta";
      text(meta, [m.email, m.phone, m.access_type === "staff" ? "" : m.door_state].filter(Boolean).join(" · "));
      li.append(name, meta);
      results.append(li);
    });
    scan.setAttribute("aria-expanded", found.length ? "true" : "false");
    if (selected >= 0) scan.setAttribute("aria-activedescendant", "result-" + selected);
    else scan.removeAttribute("aria-activedescendant");
  }

  async function search(query) {
    let ok = true, data = null;
    if (offline.isOffline()) data = { results: offline.search(query) };
    else {
      try { ({ ok, data } = await call("GET", "members?q=" + encodeURIComponent(query))); } catch (e) { data = { results: offline.search(query) }; }
    }
    if (!ok || scan.value.trim() !== query) return;
    found = data.results;
    selected = found.length ? 0 : -1;
    renderResults();
    text(hint, found.length
      ? found.length + (found.length === 1 ? " member" : " members") + " found · Enter checks in " + found[0].name
      : "No member found for “" + query + "”. Try part of the name, the email or the phone."
        + (canCourtesy ? " F2 gives “" + query + "” a courtesy pass as a new guest." : ""));
  }

  function clearSearch(message) {
    found = [];
    selected = -1;
    renderResults();
    text(hint, message || "");
    historyBox.hidden = true;
  }

  async function showHistory(member) {
    const { ok, data } = await call("GET", "/api/v1/history/member/" + member.id + "/");
    text(document.getElementById("history-name"), member.name);
    const rows = document.getElementById("history-rows");
    if (!ok) { rows.replaceChildren(row([data.detail || "Could not load the visits."])); historyBox.hidden = false; return; }
    const sessions = data.sessions.slice(0, 10);
    rows.replaceChildren(...(sessions.length ? sessions.map((v) => row([
      fmtDate(v.checked_in_at) + " " + fmtTime(v.checked_in_at),
      v.checked_out_at ? "until " + fmtTime(v.checked_out_at) : "in the gym now",
      v.method,
    ])) : [row(["No visits in the last 90 days."])]));
    historyBox.hidden = false;
  }

  scan.addEventListener("input", () => {
    clearTimeout(searchTimer);
    resetResult();  // the last verdict belongs to the last person, not to this search
    const value = scan.value.trim();
    if (value.startsWith(QR_PREFIX)) { clearSearch(); return; }
    if (value.length < 2) { clearSearch(value.length ? "Type at least 2 letters to search." : ""); return; }
    searchTimer = setTimeout(() => search(value), 150);
  });

  scan.addEventListener("keydown", (event) => {
    const value = scan.value.trim();
    if (event.key === "Enter") {
      event.preventDefault();
      if (value.startsWith(QR_PREFIX)) {
        scan.value = "";
        clearSearch();
        entry("checkin", { qr: value });
      } else if (selected >= 0 && found[selected]) {
        const member = found[selected];
        scan.value = "";
        clearSearch();
        entry("checkin", { user_id: member.id });
      }
    } else if (event.key === "ArrowDown" && found.length) {
      event.preventDefault();
      selected = (selected + 1) % found.length;
      renderResults();
    } else if (event.key === "ArrowUp" && found.length) {
      event.preventDefault();
      selected = (selected - 1 + found.length) % found.length;
      renderResults();
    } else if (event.key === "F4") {
      event.preventDefault();
      if (selected >= 0 && found[selected]) showHistory(found[selected]);
    } else if (event.key === "F2") {
      event.preventDefault();
      if (!canCourtesy) { showResult("refused", { code: "permission_denied", detail: "Your role may not grant courtesy passes." }); return; }
      if (!event.shiftKey && selected >= 0 && found[selected]) openCourtesy(found[selected]);
      else if (value.length >= 2 && !value.startsWith(QR_PREFIX)) openCourtesy({ guest: true, name: value });
    } else if (event.key === "Escape") {
      scan.value = "";
      clearSearch();
    }
  });

  // --- courtesy ------------------------------------------------------------------------------
  // For a member ({id, name}) or a new guest ({guest: true, name}: created with the pass).
  function openCourtesy(member) {
    courtesyFor = member;
    text(document.getElementById("courtesy-name"), (member.guest ? "new guest " : "") + member.name);
    courtesyBox.hidden = false;
    reason.value = "";
    reason.focus();
  }

  function closeCourtesy() {
    courtesyFor = null;
    courtesyBox.hidden = true;
    scan.focus();
  }

  reason.addEventListener("keydown", (event) => {
    if (event.key === "Escape") { event.preventDefault(); closeCourtesy(); return; }
    if (event.key !== "Enter") return;
    event.preventDefault();
    const value = reason.value.trim();
    if (value.startsWith(QR_PREFIX)) { closeCourtesy(); entry("checkin", { qr: value }); return; }  // a scan wins
    if (!value) { showResult("refused", { code: "reason_required", detail: "Type why this person gets a courtesy pass." }); return; }
    const member = courtesyFor;
    closeCourtesy();
    scan.value = "";
    clearSearch();
    entry("checkin/courtesy", member.guest ? { guest_name: member.name, reason: value } : { user_id: member.id, reason: value });
  });

  // --- side panel: occupancy, today's visits and refusals, live ------------------------------
  let panelTimer = null;
  function refreshPanel() {
    clearTimeout(panelTimer);
    panelTimer = setTimeout(loadPanel, 100);
  }

  function row(cells, cls) {
    const tr = document.createElement("tr");
    if (cls) tr.className = cls;
    cells.forEach((cell) => {
      const td = document.createElement("td");
      if (cell instanceof Node) td.append(cell); else text(td, cell);
      tr.append(td);
    });
    return tr;
  }

  function tag(value) {
    const span = document.createElement("span");
    span.className = "tag t-" + value;
    text(span, value);
    return span;
  }

  async function loadPanel() {
    if (offline.isOffline()) return;
    let ok, data;
    try { ({ ok, data } = await call("GET", "desk")); } catch (e) { return; }
    if (!ok) return;
    text(document.getElementById("occupancy"), data.occupancy.total);
    const visits = document.getElementById("visits");
    visits.replaceChildren(...data.visits.map((v) => row([fmtTime(v.checked_in_at), v.name, tag(v.access_type), v.access_method])));
    text(document.getElementById("visit-count"), "(" + data.visits.length + ")");
    const refusals = document.getElementById("refusals");
    refusals.replaceChildren(...data.refusals.map((r) => row([fmtTime(r.attempted_at), r.name || "unknown", REASONS[r.code] || r.code])));
  }

  // The live feed (static/js/live.js): heartbeat, reconnect, dedupe and gap checks; the panel is
  // the snapshot it re-fetches.
  function connect() {
    const label = document.getElementById("live-text");
    LiveFeed({
      url: "/ws/org/" + slug + "/",
      resync: loadPanel,
      onStatus: (status, message) => {
        document.getElementById("live-dot").className = status === "live" ? "dot on" : "dot";
        label.dataset.status = status;
        text(label, message.charAt(0).toLowerCase() + message.slice(1));  // the desk's lower-case labels
      },
      onEvent: (event, data) => {
        if (event === "occupancy.changed") text(document.getElementById("occupancy"), data.total);
        if (event === "check_in.recorded" || event === "check_out.recorded" || event === "gym.refused") refreshPanel();
      },
    });
  }

  loadPanel();
  connect();
  focusField();

})();
