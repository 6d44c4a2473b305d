/* One live feed per page to /ws/hotel/<slug>/, shared by the clock button, the board and the staff
 * page. The feed logic (heartbeat, reconnect, dedupe, sequence gaps) is static/js/live.js; here
 * each widget registers what it applies (`on`) and how it re-fetches its state (`onReconnect`,
 * called on every (re)connect, sequence gap and heartbeat resume: the snapshot is the truth).
 * A screen with no signed-in user passes its display key as ?key=.
 */
(function () {
  "use strict";
  var config = JSON.parse(document.getElementById("hotel-config").textContent);
  var listeners = [], reconnectHandlers = [], statusHandlers = [];

  function url() {
    var u = "/ws/hotel/" + encodeURIComponent(config.slug) + "/";
    return config.displayKey ? u + "?key=" + encodeURIComponent(config.displayKey) : u;
  }

  var feed = LiveFeed({
    url: url,
    onEvent: function (event, data) { listeners.forEach(function (fn) { fn(event, data); }); },
    resync: function () { reconnectHandlers.forEach(function (fn) { fn(); }); },
    onStatus: function (status, text) { statusHandlers.forEach(function (fn) { fn(status, text); }); },
    statusNode: document.getElementById("live-status"),  // next to the clock button
  });

  window.HotelLive = {
    config: config,
    on: function (fn) { listeners.push(fn); },
    onReconnect: function (fn) { reconnectHandlers.push(fn); },
    // fn(status, text): status is "connecting", "live" or "stale"; text is what to show.
    onStatus: function (fn) { statusHandlers.push(fn); },
    drop: feed.drop,
    isOpen: feed.isOpen,
    status: feed.status,
    apiHeaders: function (extra) {
      var headers = Object.assign({"Accept": "application/json"}, extra || {});
      if (config.displayKey) headers["Authorization"] = "Device " + config.displayKey;
      return headers;
    },
  };
})();
