// Progress bars for batches being built: poll each one's status and reload when it is done.
// Without this file the page reloads itself every few seconds (a <noscript> refresh).
(function () {
  "use strict";
  var rows = Array.prototype.slice.call(
    document.querySelectorAll(".batch[data-status='building']")
  );
  if (!rows.length || !window.fetch) { return; }
  var INTERVAL = 500;

  function poll(row) {
    fetch(row.getAttribute("data-status-url"), {
      credentials: "same-origin",
      headers: { "Accept": "application/json" },
      cache: "no-store"
    })
      .then(function (response) {
        if (!response.ok) { throw new Error(String(response.status)); }
        return response.json();
      })
      .then(function (data) {
        var bar = row.querySelector("[data-role=progress]");
        var text = row.querySelector("[data-role=progress-text]");
        if (bar) {
          bar.max = Math.max(1, data.total);
          bar.value = data.done;
          bar.textContent = data.percent + "%";
        }
        if (text) {
          text.textContent = (text.getAttribute("data-template") || "{done} / {total}")
            .replace("{done}", data.done).replace("{total}", data.total);
        }
        if (data.status !== "building") {
          if (bar) { bar.value = bar.max; }
          window.location.reload();
          return;
        }
        window.setTimeout(function () { poll(row); }, INTERVAL);
      })
      .catch(function () {
        window.setTimeout(function () { poll(row); }, INTERVAL * 5);
      });
  }

  rows.forEach(poll);
})();
