// The studio desk's roster: ask before cancelling a booking, and keep the roster current by re-reading
// this page every few seconds (only while nobody is using a control inside it).
(function () {
  "use strict";
  document.addEventListener("click", (event) => {
    const button = event.target.closest("button[data-confirm]");
    if (button && !window.confirm(button.dataset.confirm)) event.preventDefault();
  });

  const live = document.getElementById("roster-live");
  if (!live) return;
  const seconds = Number(live.dataset.refreshSeconds || 15);
  async function refresh() {
    if (document.hidden || live.contains(document.activeElement)) return;
    try {
      const response = await fetch(location.pathname, { credentials: "same-origin", headers: { Accept: "text/html" } });
      if (!response.ok) return;
      const page = new DOMParser().parseFromString(await response.text(), "text/html");
      const fresh = page.getElementById("roster-live");
      const held = page.getElementById("held");
      if (fresh && !live.contains(document.activeElement)) live.replaceChildren(...fresh.childNodes);
      if (held) document.getElementById("held").textContent = held.textContent;
    } catch (e) { /* offline for a moment: the next round tries again */ }
  }
  setInterval(refresh, seconds * 1000);
})();
