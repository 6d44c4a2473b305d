/* LiveFeed: the one client of the live WebSockets (/ws/org/<slug>/, /ws/hotel/<slug>/), used by
 * every screen. A screen's state is a snapshot it fetches itself, plus the events applied to it.
 *
 *   var feed = LiveFeed({
 *     url: "/ws/org/acme/",            // path (or full ws:// URL)
 *     onEvent: function (name, data) {},  // each event once, in sequence order
 *     resync: function () {},           // fetch the snapshot again
 *     onStatus: function (status, text) {},  // "connecting" | "live" | "stale"
 *     statusNode: element,              // optional: gets the text and class "live-status <status>"
 *   });
 *
 * Rules (docs/staff.md, "Realtime"):
 * - "Live" only while the relay's heartbeat arrives; after interval + 1.5 s without one the screen
 *   says "Reconnecting… (last update hh:mm:ss)" and the socket is reopened (backoff 0.5 s to 15 s).
 * - The snapshot is fetched again on every (re)connect, when heartbeats resume after a silence,
 *   and on a sequence gap.
 * - Events are de-duplicated by event_id; one not newer than the last sequence is dropped. The
 *   server's first message ("hello") gives the channel's sequence when the socket joined, so an
 *   event lost right after a reconnect is a gap too.
 */
(function () {
  "use strict";
  var MARGIN_MS = 1500, DEFAULT_INTERVAL_S = 2, SEEN_MAX = 500;

  function absolute(url) {
    if (/^wss?:/.test(url)) return url;
    return (location.protocol === "https:" ? "wss://" : "ws://") + location.host + url;
  }

  function clock(date) {
    function two(n) { return (n < 10 ? "0" : "") + n; }
    return two(date.getHours()) + ":" + two(date.getMinutes()) + ":" + two(date.getSeconds());
  }

  window.LiveFeed = function (options) {
    var socket = null, attempt = 0, stopped = false, reconnectTimer = null;
    var lastBeat = 0, intervalMs = DEFAULT_INTERVAL_S * 1000, lastUpdate = null;
    var status = null, lastSequence = null, seen = [], seenSet = {};

    function setStatus(next) {
      var text = next === "live" ? "Live"
        : next === "connecting" ? "Connecting…"
        : "Reconnecting… (last update " + (lastUpdate ? clock(lastUpdate) : "none yet") + ")";
      var changed = next !== status;
      status = next;
      if (options.statusNode) {
        options.statusNode.className = "live-status " + next;
        options.statusNode.textContent = text;
        options.statusNode.dataset.status = next;
      }
      if (options.onStatus && (changed || next === "stale")) options.onStatus(next, text);
    }

    function resync() { if (options.resync) options.resync(); }

    function remember(id) {
      if (!id) return true;
      if (seenSet[id]) return false;
      seenSet[id] = true;
      seen.push(id);
      if (seen.length > SEEN_MAX) delete seenSet[seen.shift()];
      return true;
    }

    function onMessage(body) {
      if (!body || !body.event || body.event === "pong") return;
      if (body.event === "hello") {  // the channel's last sequence when this socket joined
        lastSequence = body.data.sequence;
        return;
      }
      if (body.event === "heartbeat") {
        intervalMs = ((body.data && body.data.interval) || DEFAULT_INTERVAL_S) * 1000;
        var resumed = status === "stale";
        lastBeat = Date.now();
        lastUpdate = new Date();
        setStatus("live");
        if (resumed) resync();  // events may have been missed while the feed was silent
        return;
      }
      var data = body.data || {};
      if (!remember(data.event_id)) return;  // delivered twice (at least once)
      if (typeof data.sequence === "number") {
        if (lastSequence !== null && data.sequence <= lastSequence) return;  // older than what we have
        var gap = lastSequence !== null && data.sequence > lastSequence + 1;
        lastSequence = data.sequence;
        lastUpdate = new Date();
        options.onEvent(body.event, data);
        if (gap) resync();
        return;
      }
      options.onEvent(body.event, data);
    }

    function connect() {
      if (stopped) return;
      clearTimeout(reconnectTimer);
      if (status !== "stale") setStatus("connecting");
      var ws = socket = new WebSocket(absolute(typeof options.url === "function" ? options.url() : options.url));
      ws.onopen = function () {
        attempt = 0;
        lastSequence = null;  // until the server's hello: the snapshot fetched now is the new baseline
        lastBeat = Date.now();  // give the first heartbeat its interval
        resync();
      };
      ws.onmessage = function (message) {
        if (ws !== socket) return;
        try { onMessage(JSON.parse(message.data)); } catch (e) { /* not ours */ }
      };
      ws.onclose = function () {
        if (ws !== socket) return;
        socket = null;
        if (stopped) return;
        if (status === "live" || status === null) setStatus("stale");
        var delay = Math.min(15000, 500 * Math.pow(2, attempt++));
        reconnectTimer = setTimeout(connect, delay / 2 + Math.random() * delay / 2);
      };
    }

    setInterval(function () {
      if (stopped || !socket || socket.readyState !== WebSocket.OPEN) {
        if (status === "stale") setStatus("stale");  // keeps the text's time current
        return;
      }
      if (Date.now() - lastBeat > intervalMs + MARGIN_MS) {
        setStatus("stale");
        socket.close();  // a silent socket may be a dead one: open a fresh one
      }
    }, 250);

    if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", connect);
    else connect();

    return {
      status: function () { return status; },
      isOpen: function () { return !!socket && socket.readyState === WebSocket.OPEN; },
      // For tests and the operator console: drop the socket as a network failure would.
      drop: function () { if (socket) socket.close(); },
      stop: function () { stopped = true; if (socket) socket.close(); },
    };
  };
})();
