// The lobby kiosk: a badge scanner types the badge + Enter into #badge; or a person picks their
// name and types their PIN. The page was opened with ?key=<kiosk device key>, which authorises
// every clock (POST to data-clock with Authorization: Device <key>).
(function () {
  "use strict";
  const root = document.getElementById("kiosk");
  const key = new URLSearchParams(location.search).get("key") || "";
  const badge = document.getElementById("badge");
  const pinForm = document.getElementById("pin-form");
  const pin = document.getElementById("pin");
  const result = document.getElementById("kiosk-result");
  let staffId = null;

  function show(kind, message) {
    result.className = "kiosk-result " + kind;
    result.textContent = message;
  }

  async function clock(body) {
    let response;
    try {
      response = await fetch(root.dataset.clock, {
        method: "POST", headers: { "Content-Type": "application/json", Authorization: "Device " + key },
        body: JSON.stringify(body),
      });
    } catch (e) {
      show("refused", "The server did not answer. Try again.");
      return;
    }
    const data = await response.json().catch(() => ({ detail: response.statusText }));
    if (response.ok) show(data.is_on_duty ? "in" : "out", data.name + (data.is_on_duty ? " clocked in" : " clocked out"));
    else show("refused", data.detail || "Refused.");
    staffId = null;
    pinForm.hidden = true;
    pin.value = "";
    badge.focus();
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
})();
