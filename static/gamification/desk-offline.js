// The desk without a network. Online, it keeps the door manifest (GET /api/v1/gym/door-manifest,
// refreshed by cursor) and the page's files in the browser. Offline, a scan is decided here by the
// server's rules (active member, subscription, anti-passback) and queued in IndexedDB with its own
// event id and time; so is a courtesy pass (the signed-in user's role, a reason; a member of the
// manifest or a new guest by name). Back online, the queue is pushed through the engine's offline
// batch endpoint (entries) and the gym's courtesy queue endpoint (passes), and whatever the server
// refuses is shown as a conflict for the receptionist.
(function () {
  "use strict";

  function idb(name) {
    return new Promise((resolve, reject) => {
      const request = indexedDB.open(name, 1);
      request.onupgradeneeded = () => {
        request.result.createObjectStore("state");
        request.result.createObjectStore("queue", { keyPath: "event_id" });
      };
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    });
  }

  function run(db, store, mode, work) {
    return new Promise((resolve, reject) => {
      const transaction = db.transaction(store, mode);
      const request = work(transaction.objectStore(store));
      transaction.oncomplete = () => resolve(request ? request.result : undefined);
      transaction.onerror = () => reject(transaction.error);
    });
  }

  async function hmacHex(keyHex, text, digits) {
    const bytes = new Uint8Array(keyHex.match(/../g).map((h) => parseInt(h, 16)));
    const key = await crypto.subtle.importKey("raw", bytes, { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
    const signature = new Uint8Array(await crypto.subtle.sign("HMAC", key, new TextEncoder().encode(text)));
    return Array.from(signature, (b) => b.toString(16).padStart(2, "0")).join("").slice(0, digits);
  }

  window.DeskOffline = function ({ slug, tz, csrf, canCourtesy, cacheName, serviceWorker, scope, onChange }) {
    const dayFmt = new Intl.DateTimeFormat("en-CA", { timeZone: tz, year: "numeric", month: "2-digit", day: "2-digit" });
    const timeFmt = new Intl.DateTimeFormat("en-GB", { timeZone: tz, hour: "2-digit", minute: "2-digit" });
    const localDay = (when) => dayFmt.format(new Date(when));
    let state = { cursor: null, rules: null, members: {}, localEntries: {}, lastSync: null, conflicts: [] };
    let queued = 0;
    let pushing = false;
    let retryDelay = 2000;
    let retryTimer = null;
    const dbReady = idb("gym-desk-" + slug);

    async function save() {
      const db = await dbReady;
      await run(db, "state", "readwrite", (store) => store.put(state, "desk"));
    }

    async function countQueue() {
      const db = await dbReady;
      queued = await run(db, "queue", "readonly", (store) => store.count());
      onChange();
    }

    async function request(method, path, body) {
      const response = await fetch(path, {
        method, credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRFToken": csrf, "X-Organization": slug, Accept: "application/json" },
        body: body ? JSON.stringify(body) : undefined,
      });
      if (!response.ok) throw new Error("HTTP " + response.status);
      return response.json();
    }

    async function refresh() {
      const since = state.cursor === null ? "" : "?since=" + state.cursor;
      let data;
      try { data = await request("GET", "/api/v1/gym/door-manifest" + since); } catch (e) {
        if (state.cursor !== null && /HTTP 400/.test(String(e))) { state.cursor = null; return refresh(); }
        return false;
      }
      if (data.full) state.members = {};
      data.members.forEach((m) => { state.members[m.id] = m; });
      data.removed.forEach((id) => { delete state.members[id]; });
      state.cursor = data.cursor;
      state.rules = data.rules;
      state.lastSync = new Date().toISOString();
      await save();
      onChange();
      return true;
    }

    function isOffline() {
      return !navigator.onLine;
    }

    async function memberFor(body) {
      if (!state.rules) return null;
      if (body.user_id != null) return state.members[body.user_id] || null;
      const id = await hmacHex(state.rules.identifier.key, body.qr, state.rules.identifier.hex_digits);
      return Object.values(state.members).find((m) => m.qr === id) || null;
    }

    function summary(member, doorState) {
      return { id: member.id, name: member.name, access_type: member.access_type, door_state: doorState,
               expires_at: member.expires_at, offline: true };
    }

    // The server's door rules (gamification.plugins), applied to the manifest.
    function verdict(member, accessMethod, at) {
      const rules = state.rules;
      let doorState = member.access_type;
      if (member.access_type === "member") {
        doorState = member.subscription_status !== "active" ? member.subscription_status
          : !member.expires_at || localDay(member.expires_at) <= localDay(at) ? "expired" : "active";
      }
      const refuse = (code, detail, extra) => ({ ok: false, data: { code, detail, member: summary(member, doorState), offline: true, ...extra } });
      if (!member.active) return refuse("attendee_inactive", member.name + " is not active and cannot check in.");
      if (doorState === "expired") return refuse("subscription_expired", member.name + "'s subscription expired.");
      if (member.access_type === "member" && doorState !== "active") {
        return refuse("subscription_inactive", member.name + "'s subscription is " + doorState + ".");
      }
      const window = rules.anti_passback_seconds[accessMethod] * 1000;
      const last = Math.max(Date.parse(member.last_entry_at || 0) || 0, Date.parse(state.localEntries[member.id] || 0) || 0);
      if (last && at.getTime() < last + window) {
        const next = new Date(last + window);
        return refuse("anti_passback", member.name + " entered less than " + window / 3600000 + " h ago; next entry allowed at " + timeFmt.format(next) + ".",
                      { next_allowed_at: next.toISOString() });
      }
      return { ok: true, data: { result: "allowed", offline: true, visit: { access_type: member.access_type, checked_in_at: at.toISOString() },
                                 member: summary(member, doorState) } };
    }

    // Decide a desk entry ({qr} or {user_id}) here and queue it; answers like the gym API would.
    async function decide(body) {
      const member = await memberFor(body);
      if (!member) {
        return { ok: false, data: body.qr ? { code: "unknown_qr", detail: "Unknown or replaced QR code (as of the last sync)." }
                                          : { code: "member_not_found", detail: "No such member in the last sync." } };
      }
      const accessMethod = body.qr ? "qr" : "manual";
      const at = new Date();
      const answer = verdict(member, accessMethod, at);
      if (!answer.ok) return answer;
      const hours = state.rules.visit_hours;
      const item = {
        event_id: crypto.randomUUID(), action: "check_in", attendee_id: member.id, name: member.name,
        at: at.toISOString(), method: body.qr ? "qr_code" : "manual",
        expected_checkout_at: new Date(at.getTime() + hours * 3600000).toISOString(),
      };
      state.localEntries[member.id] = item.at;
      await enqueue(item);
      return answer;
    }

    // Decide a courtesy pass ({user_id, reason} or {guest_name, reason}) here and queue it. The
    // server checks it again when the queue is pushed, with the user who pushes it as the granter.
    // A pass counts for no anti-passback window (nor streak), so it leaves localEntries alone.
    async function decideCourtesy(body) {
      const refuse = (code, detail, member) => ({ ok: false, data: { code, detail, member, offline: true } });
      if (!canCourtesy) return refuse("permission_denied", "Your role may not grant courtesy passes.");
      const reason = (body.reason || "").trim();
      if (!reason) return refuse("reason_required", "Type why this person gets a courtesy pass.");
      let member = null;
      let name = (body.guest_name || "").trim();
      if (body.user_id != null) {
        member = state.members[body.user_id];
        if (!member) return refuse("member_not_found", "No such member in the last sync.");
        if (!member.active) return refuse("attendee_inactive", member.name + " is not active and cannot check in.", summary(member, member.access_type));
        name = member.name;
      } else if (!name) {
        return refuse("name_required", "Type the guest's name.");
      }
      const at = new Date().toISOString();
      await enqueue({ event_id: crypto.randomUUID(), kind: "courtesy", at, reason, name,
                      ...(member ? { user_id: member.id } : { guest_name: name }) });
      return { ok: true, data: { result: "allowed", offline: true, visit: { access_type: "courtesy", checked_in_at: at },
                                 member: { id: member ? member.id : null, name, access_type: "courtesy", guest: !member, offline: true } } };
    }

    async function enqueue(item) {
      const db = await dbReady;
      await run(db, "queue", "readwrite", (store) => store.put(item));
      await save();
      await countQueue();
    }

    // Where each kind of queued item goes, and what of it is sent (the name is the desk's label).
    const ROUTES = [
      { path: "/api/v1/check-ins/bulk/", takes: (item) => item.kind !== "courtesy", body: ({ name, ...item }) => item },
      { path: "/api/v1/gym/checkin/courtesy/queue", takes: (item) => item.kind === "courtesy",
        body: ({ name, kind, ...item }) => item },
    ];

    // Push the queue in time order; drop what the server answered, keep it on a network failure.
    // Entries and courtesy passes go in two requests: the server judges each item at its own time,
    // and a pass counts for no anti-passback window, so neither request's order matters to the other.
    async function push() {
      if (pushing || isOffline()) return;
      pushing = true;
      try {
        const db = await dbReady;
        const items = (await run(db, "queue", "readonly", (store) => store.getAll())).sort((a, b) => a.at.localeCompare(b.at));
        for (const route of ROUTES) {
          const group = items.filter(route.takes);
          if (!group.length) continue;
          const answer = await request("POST", route.path, { items: group.map(route.body) });
          answer.results.forEach((result, index) => {
            const item = group[index];
            if (result.status === "refused" || result.status === "invalid") {
              state.conflicts.unshift({ event_id: item.event_id, name: item.name, at: item.at, code: result.code, detail: result.detail });
            }
          });
          await run(db, "queue", "readwrite", (store) => { group.forEach((item) => store.delete(item.event_id)); });
          await save();
        }
        if (items.length) {
          state.localEntries = {};
          await save();
        }
        await refresh();
        retryDelay = 2000;
      } catch (e) {
        // The network went again, or the server failed: the queue stays; try again soon, then less often.
        clearTimeout(retryTimer);
        retryTimer = setTimeout(push, retryDelay);
        retryDelay = Math.min(retryDelay * 2, 60000);
      } finally {
        pushing = false;
        await countQueue();
      }
    }

    function search(query) {
      const words = query.toLowerCase().split(/\s+/).filter(Boolean);
      return Object.values(state.members)
        .filter((m) => words.every((w) => m.name.toLowerCase().includes(w)))
        .slice(0, 20)
        .map((m) => ({ id: m.id, name: m.name, access_type: m.access_type, door_state: verdict(m, "manual", new Date()).data.member.door_state }));
    }

    async function dismissConflict(eventId) {
      state.conflicts = state.conflicts.filter((c) => c.event_id !== eventId);
      await save();
      onChange();
    }

    async function cachePage() {
      if (!("serviceWorker" in navigator) || !window.caches) return;
      await navigator.serviceWorker.register(serviceWorker, { scope });
      const files = [location.pathname];
      document.querySelectorAll("script[src]").forEach((el) => files.push(el.src));
      document.querySelectorAll("link[rel=stylesheet]").forEach((el) => files.push(el.href));
      const cache = await caches.open(cacheName);
      await cache.addAll(files);
    }

    async function start() {
      const db = await dbReady;
      const saved = await run(db, "state", "readonly", (store) => store.get("desk"));
      if (saved) state = { ...state, ...saved };
      await countQueue();
      if (!isOffline()) {
        await Promise.all([cachePage().catch(() => {}), push()]);
      }
      onChange();
      window.addEventListener("online", push);
      window.addEventListener("offline", onChange);
      setInterval(() => { if (!isOffline()) push(); }, 60000);
    }

    const api = {
      decide, decideCourtesy, push, search, dismissConflict, isOffline,
      get queued() { return queued; },
      get lastSync() { return state.lastSync ? timeFmt.format(new Date(state.lastSync)) : "never"; },
      get conflicts() { return state.conflicts; },
      get ready() { return state.rules !== null; },
    };
    api.started = start();
    return api;
  };
})();
