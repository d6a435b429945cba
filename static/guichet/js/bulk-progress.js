// The progress of a declaration file, read every two seconds while it is processed; the page
// reloads once it is finished (to show the totals and anomalies). Without JavaScript the page
// has a link to refresh it.
(function () {
  "use strict";
  var box = document.getElementById("bulk-progress");
  if (!box || box.dataset.finished === "true" || !window.fetch) {
    return;
  }
  var bar = document.getElementById("bulk-progress-bar");
  var refresh = box.querySelector(".guichet-refresh");
  if (refresh) {
    refresh.hidden = true;
  }
  function show(field, value) {
    var element = box.querySelector('[data-field="' + field + '"]');
    if (element && value !== null && value !== undefined) {
      element.textContent = String(value);
    }
  }
  function tick() {
    fetch(box.dataset.progressUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (!response.ok) {
          throw new Error(String(response.status));
        }
        return response.json();
      })
      .then(function (data) {
        if (data.finished) {
          window.location.reload();
          return;
        }
        bar.value = data.percent;
        bar.textContent = data.percent + " %";
        ["status_label", "lines_done", "lines_total", "percent", "errors", "warnings"].forEach(function (field) {
          show(field, data[field]);
        });
        window.setTimeout(tick, 2000);
      })
      .catch(function () {
        if (refresh) {
          refresh.hidden = false;
        }
      });
  }
  window.setTimeout(tick, 1000);
})();
