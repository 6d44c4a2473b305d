/* The navbar clock button: green "Clock In" off duty, red "Clock Out" on duty.
 * A click toggles through POST /api/staff/<slug>/clock/; every other tab or device of the same
 * person follows through the hotel's live events, and re-reads /me/ after a reconnect.
 */
(function () {
  "use strict";
  var button = document.getElementById("clock-button");
  if (!button || !window.HotelLive) return;
  var config = HotelLive.config;

  function csrfToken() {
    var match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    return match ? decodeURIComponent(match[1]) : "";
  }

  function render(onDuty) {
    button.dataset.onDuty = onDuty ? "true" : "false";
    button.setAttribute("aria-pressed", onDuty ? "true" : "false");
    button.textContent = onDuty ? "Clock Out" : "Clock In";
    button.classList.toggle("red", onDuty);
    button.classList.toggle("green", !onDuty);
    document.dispatchEvent(new CustomEvent("staff:clock", {detail: {onDuty: onDuty}}));
  }

  // One element per kind of note, created where it belongs on first use.
  function noteElement(tag, id, role, place) {
    var note = document.getElementById(id);
    if (!note) {
      note = document.createElement(tag);
      note.id = id;
      note.className = id;
      note.setAttribute("role", role);
      place(note);
    }
    return note;
  }

  function showError(text) {
    var note = noteElement("span", "clock-error", "status", function (el) { button.insertAdjacentElement("afterend", el); });
    note.textContent = text;
    setTimeout(function () { note.textContent = ""; }, 6000);
  }

  // A clock-in outside one's shift is recorded, and the person is told (the board shows it too).
  function showShiftWarning(text) {
    var main = document.querySelector("main");
    var box = noteElement("p", "shift-warning", "alert", function (el) { main.insertBefore(el, main.firstChild); });
    box.textContent = "⚠ " + text + " Your manager sees this on the board; tell them why if you need to.";
  }

  button.addEventListener("click", function () {
    button.disabled = true;
    fetch("/api/staff/" + encodeURIComponent(config.slug) + "/clock/", {
      method: "POST",
      credentials: "same-origin",
      headers: {"Content-Type": "application/json", "Accept": "application/json", "X-CSRFToken": csrfToken()},
      body: JSON.stringify({method: "web"}),
    }).then(function (response) {
      return response.json().then(function (body) { return {ok: response.ok, body: body}; });
    }).then(function (result) {
      if (result.ok) {
        render(result.body.is_on_duty);
        if (result.body.shift_warning) showShiftWarning(result.body.shift_warning);
      }
      else showError(result.body.detail || "Could not clock.");
    }).catch(function () {
      showError("Network error: not clocked. Try again.");
    }).finally(function () {
      button.disabled = false;
    });
  });

  HotelLive.on(function (event, data) {
    if (event === "clock-status-updated" && data && data.staff_id === config.staffId) render(data.is_on_duty);
  });

  function refresh() {
    fetch("/api/staff/" + encodeURIComponent(config.slug) + "/me/", {credentials: "same-origin", headers: {"Accept": "application/json"}})
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (me) { if (me) render(me.is_on_duty); });
  }
  HotelLive.onReconnect(refresh);
  // A page restored from the back/forward cache may show a stale state.
  window.addEventListener("pageshow", function (e) { if (e.persisted) refresh(); });
})();
