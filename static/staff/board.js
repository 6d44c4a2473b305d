/* The big-screen board. State = the snapshot from GET /api/staff/<slug>/board/, then every
 * clock-status-updated event applied to it. After a reconnect, a sequence gap or a silence of the
 * relay's heartbeat the snapshot is fetched again, so a missed change cannot stay wrong.
 */
(function () {
  "use strict";
  var config = HotelLive.config;
  var RECENT = 20;
  var state = null;  // {people: {staff_id: person}, onDuty: {staff_id: sinceIso}, departments: [...], recent: [...]}
  var timeFmt = new Intl.DateTimeFormat([], {hour: "2-digit", minute: "2-digit", hourCycle: "h23", timeZone: config.timeZone});
  var clockFmt = new Intl.DateTimeFormat([], {hour: "2-digit", minute: "2-digit", second: "2-digit", hourCycle: "h23", timeZone: config.timeZone});

  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function duration(sinceIso) {
    var minutes = Math.max(0, Math.floor((Date.now() - Date.parse(sinceIso)) / 60000));
    var h = Math.floor(minutes / 60), m = minutes % 60;
    return h ? h + " h " + (m < 10 ? "0" : "") + m + " min" : m + " min";
  }

  var loading = false, stale = false;

  function load() {
    if (loading) { stale = true; return; }
    loading = true;
    stale = false;
    return fetch("/api/staff/" + encodeURIComponent(config.slug) + "/board/", {
      credentials: "same-origin", headers: HotelLive.apiHeaders(), cache: "no-store",
    }).then(function (r) {
      if (!r.ok) throw new Error("snapshot " + r.status);
      return r.json();
    }).then(function (snapshot) {
      var people = {}, onDuty = {};
      snapshot.on_duty.forEach(function (p) { people[p.staff_id] = p; onDuty[p.staff_id] = p.since; });
      snapshot.recent.forEach(function (e) { if (!people[e.staff_id]) people[e.staff_id] = e; });
      state = {people: people, onDuty: onDuty, departments: snapshot.departments, recent: snapshot.recent};
      render();
      document.body.dataset.snapshotAt = snapshot.at;
    }).catch(function () { setTimeout(load, 3000); }).finally(function () {
      loading = false;
      if (stale) load();  // an event arrived while the snapshot was in flight
    });
  }

  function department(name) {
    var key = name || "Other";
    var found = state.departments.filter(function (d) { return d.department === key; })[0];
    if (!found) { found = {department: key, on_duty: 0, total: 0}; state.departments.push(found); }
    return found;
  }

  function apply(data) {
    if (!state || loading) { stale = loading; return; }
    var known = state.people[data.staff_id];
    var person = Object.assign({}, known || {}, data);
    var wasOn = Object.prototype.hasOwnProperty.call(state.onDuty, data.staff_id);
    state.people[data.staff_id] = person;
    if (!known || known.department === undefined) {
      // Someone the board has not seen yet: the snapshot knows their department.
      load();
      return;
    }
    if (data.is_on_duty && !wasOn) {
      state.onDuty[data.staff_id] = data.clock_time;
      department(person.department).on_duty++;
      delete person.shift_warning;
      setTimeout(load, 1000);  // the snapshot says whether this clock-in was outside the person's shift
    }
    if (!data.is_on_duty && wasOn) { delete state.onDuty[data.staff_id]; department(person.department).on_duty--; }
    state.recent.unshift(person);
    state.recent = state.recent.slice(0, RECENT);
    render();
  }

  function render() {
    var ids = Object.keys(state.onDuty).sort(function (a, b) { return Date.parse(state.onDuty[a]) - Date.parse(state.onDuty[b]); });
    var roster = document.getElementById("on-duty");
    roster.replaceChildren.apply(roster, ids.map(function (id) {
      var p = state.people[id], since = state.onDuty[id];
      var li = el("li", "person");
      li.dataset.staffId = id;
      li.appendChild(el("span", "person-name", (p.first_name + " " + p.last_name).trim()));
      li.appendChild(el("span", "person-dept", p.department || ""));
      var when = el("span", "person-since", "since " + timeFmt.format(new Date(since)));
      when.appendChild(el("span", "person-for", " · " + duration(since)));
      li.appendChild(when);
      if (p.shift_warning) {
        li.classList.add("off-shift");
        li.appendChild(el("span", "person-flag", "⚠ outside shift"));
        li.title = p.shift_warning;
      }
      return li;
    }));
    document.getElementById("nobody").hidden = ids.length > 0;
    document.getElementById("total-on-duty").textContent = String(ids.length);
    var tbody = document.getElementById("departments");
    tbody.replaceChildren.apply(tbody, state.departments.filter(function (d) { return d.total > 0 || d.on_duty > 0; })
      .sort(function (a, b) { return a.department.localeCompare(b.department); })
      .map(function (d) {
        var tr = el("tr");
        tr.dataset.department = d.department;
        tr.appendChild(el("td", "", d.department));
        tr.appendChild(el("td", "count", d.on_duty + " / " + d.total));
        return tr;
      }));
    var recent = document.getElementById("recent");
    recent.replaceChildren.apply(recent, state.recent.map(function (e) {
      var li = el("li", e.action === "clock_in" ? "in" : "out");
      li.appendChild(el("span", "when", timeFmt.format(new Date(e.clock_time))));
      li.appendChild(el("span", "who", (e.first_name + " " + e.last_name).trim()));
      li.appendChild(el("span", "what", e.action === "clock_in" ? "in" : (e.auto_closed ? "out (auto)" : "out")));
      return li;
    }));
  }

  HotelLive.on(function (event, data) { if (event === "clock-status-updated") apply(data); });
  HotelLive.onReconnect(load);
  HotelLive.onStatus(function (status, text) {
    var node = document.getElementById("connection");
    node.className = "connection " + status;
    node.dataset.status = status;
    node.textContent = text;
  });
  setInterval(function () {
    document.getElementById("board-time").textContent = clockFmt.format(new Date());
    if (state) document.querySelectorAll("#on-duty .person").forEach(function (li) {
      li.querySelector(".person-for").textContent = " · " + duration(state.onDuty[li.dataset.staffId]);
    });
  }, 1000);
  load();
})();
