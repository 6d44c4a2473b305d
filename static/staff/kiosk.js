// The lobby kiosk: a badge scanner types the badge + Enter into #badge; or a person picks their
// name and types their PIN. The page was opened with ?key=<kiosk device key>, which authorises
// every request (Authorization: Device <key>).
//
// Without a network it works the gym desk's way (static/gamification/desk-offline.js): the page
// comes from the service worker's cache, the kiosk manifest (staff.kiosk_offline) is kept in
// IndexedDB, a badge (HMAC-SHA256 under the manifest's key) or a PIN (PBKDF2 against the PIN's
// pbkdf2_sha256 hash) is checked here, the press toggles from the last known duty state, and the
// clock is queued with its own event id and time. Back online the queue is pushed in time order;
// whatever the server refuses is listed for a manager.
(function () {
  "use strict";
  const root = document.getElementById("kiosk");
  const key = new URLSearchParams(location.search).get("key") || "";
  const badge = document.getElementById("badge");
  const pinForm = document.getElementById("pin-form");
  const pin = document.getElementById("pin");
  const result = document.getElementById("kiosk-result");
  const status = document.getElementById("kiosk-status");
  const conflictList = document.getElementById("kiosk-conflicts");
  const timeFmt = new Intl.DateTimeFormat("en-GB", { timeZone: root.dataset.tz, hour: "2-digit", minute: "2-digit" });
  const hhmm = (when) => timeFmt.format(new Date(when));
  let staffId = null;
  let state = { manifest: null, lastSync: null, duty: {}, failures: {}, conflicts: [] };
  let queued = 0;
  let pushing = false;

  // --- storage (IndexedDB: the state, and the queue keyed by event id) ---------------------------
  const dbReady = new Promise((resolve, reject) => {
    const request = indexedDB.open("staff-kiosk-" + root.dataset.slug, 1);
    request.onupgradeneeded = () => {
      request.result.createObjectStore("state");
      request.result.createObjectStore("queue", { keyPath: "event_id" });
    };
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });

  async function run(store, mode, work) {
    const db = await dbReady;
    return new Promise((resolve, reject) => {
      const transaction = db.transaction(store, mode);
      const request = work(transaction.objectStore(store));
      transaction.oncomplete = () => resolve(request ? request.result : undefined);
      transaction.onerror = () => reject(transaction.error);
    });
  }

  const save = () => run("state", "readwrite", (store) => store.put(state, "kiosk"));

  async function render() {
    queued = await run("queue", "readonly", (store) => store.count());
    const last = state.lastSync ? hhmm(state.lastSync) : "never";
    status.textContent = navigator.onLine ? (queued ? queued + " queued — sending" : "Online — last sync " + last)
                                          : "Offline — " + queued + " queued — last sync " + last;
    const items = conflictList.querySelector("ul");
    items.replaceChildren(...state.conflicts.map((c) => {
      const li = document.createElement("li");
      li.textContent = c.name + ": " + (c.action === "clock_in" ? "clock in" : "clock out") + " at " + hhmm(c.at) + " — " + c.detail;
      return li;
    }));
    conflictList.hidden = state.conflicts.length === 0;
  }

  function show(kind, message) {
    result.className = "kiosk-result " + kind;
    result.textContent = message;
  }

  function done() {
    staffId = null;
    pinForm.hidden = true;
    pin.value = "";
    badge.focus();
  }

  // --- the server ---------------------------------------------------------------------------------
  async function send(url, body) {
    const response = await fetch(url, {
      method: body ? "POST" : "GET", body: body ? JSON.stringify(body) : undefined,
      headers: { "Content-Type": "application/json", Accept: "application/json", Authorization: "Device " + key },
    });
    const data = await response.json().catch(() => ({ detail: response.statusText }));
    return { response, data };
  }

  async function refresh() {
    const { response, data } = await send(root.dataset.manifest);
    if (!response.ok) return;
    state = { ...state, manifest: data, lastSync: new Date().toISOString(), duty: {}, failures: {} };
    await save();
  }

  // Push the queue in time order; drop what the server answered, keep it on a network failure.
  async function push() {
    if (pushing || !navigator.onLine) return;
    pushing = true;
    try {
      const items = (await run("queue", "readonly", (store) => store.getAll())).sort((a, b) => a.at.localeCompare(b.at));
      if (items.length) {
        const { response, data } = await send(root.dataset.push, { items: items.map(({ name, ...item }) => item) });
        if (!response.ok) throw new Error("HTTP " + response.status);
        data.results.forEach((answer, index) => {
          if (answer.status === "refused" || answer.status === "invalid") {
            const item = items[index];
            state.conflicts.unshift({ event_id: item.event_id, name: item.name, action: item.action, at: item.at, detail: answer.detail });
          }
        });
        await run("queue", "readwrite", (store) => { items.forEach((item) => store.delete(item.event_id)); });
      }
      await refresh();
    } catch (e) {
      setTimeout(push, 15000);  // the network went again, or the server failed: the queue stays
    } finally {
      pushing = false;
      await render();
    }
  }

  // --- deciding offline ---------------------------------------------------------------------------
  const hex = (bytes) => Array.from(new Uint8Array(bytes), (b) => b.toString(16).padStart(2, "0")).join("");

  async function badgeHash(text) {
    const raw = new Uint8Array(state.manifest.badge.key.match(/../g).map((h) => parseInt(h, 16)));
    const hmacKey = await crypto.subtle.importKey("raw", raw, { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
    return hex(await crypto.subtle.sign("HMAC", hmacKey, new TextEncoder().encode(text)));
  }

  async function pinMatches(stored, typed) {
    const [, iterations, salt, digest] = stored.split("$");
    const material = await crypto.subtle.importKey("raw", new TextEncoder().encode(typed), "PBKDF2", false, ["deriveBits"]);
    const bits = await crypto.subtle.deriveBits(
      { name: "PBKDF2", hash: "SHA-256", salt: new TextEncoder().encode(salt), iterations: Number(iterations) }, material, 256);
    return btoa(String.fromCharCode(...new Uint8Array(bits))) === digest;
  }

  async function personFor(body) {
    const people = state.manifest.staff;
    if (body.badge) {
      const hash = await badgeHash(body.badge.trim());
      const person = people.find((p) => p.badge === hash);
      if (!person) throw new Error("Unknown badge (as of the last sync). Ask a manager to register it.");
      return person;
    }
    const person = people.find((p) => p.id === body.staff_id);
    if (!person || !person.has_pin) throw new Error("No PIN for you in the last sync.");
    if (!person.pin_hash) throw new Error("Your PIN needs the network. Use your badge.");
    const lock = state.failures[person.id] || { count: 0, until: person.locked_until };
    if (lock.until && new Date(lock.until) > new Date()) throw new Error("Too many wrong PINs; use your badge.");
    if (!(await pinMatches(person.pin_hash, body.pin))) {
      lock.count += 1;
      if (lock.count >= state.manifest.pin.max_failures) {
        lock.count = 0;
        lock.until = new Date(Date.now() + state.manifest.pin.lock_minutes * 60000).toISOString();
      }
      state.failures[person.id] = lock;
      await save();
      throw new Error("Wrong PIN.");
    }
    delete state.failures[person.id];
    return person;
  }

  async function clockOffline(body) {
    if (!state.manifest) return show("refused", "The kiosk has not synced yet. Try again when the network is back.");
    let person;
    try { person = await personFor(body); } catch (e) { return show("refused", e.message); }
    const onDuty = person.id in state.duty ? state.duty[person.id] : person.on_duty;
    const item = { event_id: crypto.randomUUID(), staff_id: person.id, action: onDuty ? "clock_out" : "clock_in",
                   at: new Date().toISOString(), name: person.name };
    await run("queue", "readwrite", (store) => store.put(item));
    state.duty[person.id] = !onDuty;
    await save();
    await render();
    show(onDuty ? "out" : "in", person.name + (onDuty ? " clocked out" : " clocked in"));
  }

  async function clock(body) {
    try {
      if (!navigator.onLine) return await clockOffline(body);
      let answer;
      try {
        answer = await send(root.dataset.clock, body);
      } catch (e) {
        return await clockOffline(body);  // the network is gone though the browser has not noticed
      }
      const { response, data } = answer;
      if (response.ok) show(data.is_on_duty ? "in" : "out", data.name + (data.is_on_duty ? " clocked in" : " clocked out"));
      else show("refused", data.detail || "Refused.");
      if (response.ok) refresh().then(render).catch(() => {});
    } finally {
      done();
    }
  }

  badge.addEventListener("keydown", (event) => {
    if (event.key !== "Enter" || !badge.value.trim()) return;
    event.preventDefault();
    const value = badge.value.trim();
    badge.value = "";
    clock({ badge: value });
  });

  document.getElementById("people").addEventListener("click", (event) => {
    const button = event.target.closest("button[data-id]");
    if (!button) return;
    staffId = Number(button.dataset.id);
    document.getElementById("pin-name").textContent = button.textContent;
    pinForm.hidden = false;
    pin.focus();
  });

  pinForm.addEventListener("submit", (event) => {
    event.preventDefault();
    if (staffId !== null && pin.value) clock({ staff_id: staffId, pin: pin.value });
  });

  // --- start: the saved state, then (online) the page into the cache, the queue out, a fresh manifest
  async function cachePage() {
    if (!("serviceWorker" in navigator) || !window.caches) return;
    await navigator.serviceWorker.register(root.dataset.sw, { scope: root.dataset.scope });
    const files = [location.href];
    document.querySelectorAll("script[src]").forEach((el) => files.push(el.src));
    document.querySelectorAll("link[rel=stylesheet]").forEach((el) => files.push(el.href));
    await (await caches.open(root.dataset.cache)).addAll(files);
  }

  (async function start() {
    const saved = await run("state", "readonly", (store) => store.get("kiosk"));
    if (saved) state = { ...state, ...saved };
    if (navigator.onLine) await Promise.all([cachePage().catch(() => {}), push()]);
    await render();
    root.dataset.offlineReady = state.manifest ? "1" : "0";
    window.addEventListener("online", push);
    window.addEventListener("offline", render);
    setInterval(() => { if (navigator.onLine) push(); }, 60000);
  })();
})();
