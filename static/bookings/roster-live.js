/* The class roster follows the organization's live feed (static/js/live.js): a booking of this
 * class attended or promoted from the waitlist on another desk re-reads the roster. The snapshot
 * is the page itself: its roster and waitlist are fetched again and swapped in.
 */
(function () {
  "use strict";
  var config = document.getElementById("roster-live");
  if (!config) return;
  var classId = Number(config.dataset.classId);
  var loading = null;

  function swap(fresh, selector) {
    var now = document.querySelector(selector), next = fresh.querySelector(selector);
    if (now && next) now.replaceWith(next);
  }

  function reload() {
    if (loading) return loading;
    loading = fetch(location.href, {credentials: "same-origin", cache: "no-store"})
      .then(function (r) { if (!r.ok) throw new Error("roster " + r.status); return r.text(); })
      .then(function (html) {
        var fresh = new DOMParser().parseFromString(html, "text/html");
        swap(fresh, "#roster tbody");
        swap(fresh, "#waitlist");
        document.body.dataset.rosterAt = new Date().toISOString();
      })
      .catch(function () { /* the next event, reconnect or heartbeat resume tries again */ })
      .finally(function () { loading = null; });
    return loading;
  }

  LiveFeed({
    url: "/ws/org/" + encodeURIComponent(config.dataset.slug) + "/",
    statusNode: config,
    resync: reload,
    onEvent: function (event, data) {
      if (event.indexOf("booking.") === 0 && data.class_id === classId) reload();
    },
  });
})();
