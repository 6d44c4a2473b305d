/* One WebSocket per page to /ws/hotel/<slug>/, shared by the clock button and the board.
 * Reconnects with exponential backoff (0.5 s doubling to 15 s, with jitter); after every
 * (re)connect it calls the onReconnect handlers so each widget re-fetches its state: events sent
 * while the socket was down are not replayed, the snapshot is the truth.
 * A screen with no signed-in user passes its display key as ?key=.
 */
(function () {
  "use strict";
  var config = JSON.parse(document.getElementById("hotel-config").textContent);
  var listeners = [], reconnectHandlers = [], statusHandlers = [];
  var socket = null, attempt = 0, everOpened = false, pingTimer = null, stopped = false;

  function url() {
    var scheme = location.protocol === "https:" ? "wss" : "ws";
    var u = scheme + "://" + location.host + "/ws/hotel/" + encodeURIComponent(config.slug) + "/";
    return config.displayKey ? u + "?key=" + encodeURIComponent(config.displayKey) : u;
  }

  function setStatus(status) {
    statusHandlers.forEach(function (fn) { fn(status); });
  }

  function connect() {
    if (stopped) return;
    setStatus(everOpened ? "reconnecting" : "connecting");
    socket = new WebSocket(url());
    socket.onopen = function () {
      attempt = 0;
      everOpened = true;
      setStatus("live");
      clearInterval(pingTimer);
      pingTimer = setInterval(function () {
        if (socket && socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify({type: "ping"}));
      }, 25000);
      // Also on the first open: anything between the page's first fetch and the subscription counts.
      reconnectHandlers.forEach(function (fn) { fn(); });
    };
    socket.onmessage = function (message) {
      var body;
      try { body = JSON.parse(message.data); } catch (e) { return; }
      if (!body || body.event === "pong") return;
      listeners.forEach(function (fn) { fn(body.event, body.data); });
    };
    socket.onclose = function () {
      clearInterval(pingTimer);
      socket = null;
      if (stopped) return;
      setStatus("offline");
      var delay = Math.min(15000, 500 * Math.pow(2, attempt++));
      setTimeout(connect, delay / 2 + Math.random() * delay / 2);
    };
  }

  window.HotelLive = {
    config: config,
    on: function (fn) { listeners.push(fn); },
    onReconnect: function (fn) { reconnectHandlers.push(fn); },
    onStatus: function (fn) { statusHandlers.push(fn); },
    // For tests and the operator console: drop the socket as a network failure would.
    drop: function () { if (socket) socket.close(); },
    isOpen: function () { return !!socket && socket.readyState === WebSocket.OPEN; },
    apiHeaders: function (extra) {
      var headers = Object.assign({"Accept": "application/json"}, extra || {});
      if (config.displayKey) headers["Authorization"] = "Device " + config.displayKey;
      return headers;
    },
  };
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", connect);
  else connect();
})();
