// Follows work the server does in the background (a declaration file being checked, a
// contribution statement being prepared) on every box with a data-progress-url:
//
//   <div data-progress-url="/…/progress/" data-finished="false">
//     <span data-field="status_label">…</span>        filled with the field of that name
//     <progress data-field="percent" max="100">…</progress>   takes the field as its value
//     <p class="guichet-refresh"><a href="…">Refresh</a></p>  for those without JavaScript
//   </div>
//
// Until the box is finished, the JSON at its address is read every two seconds and each
// [data-field] element inside shows the field of that name (a field that is absent or null
// leaves the element as it is); once the JSON says "finished", the page reloads to show the
// outcome. The refresh link is hidden while the reads succeed and shown again if one fails.
(function () {
  "use strict";
  if (!window.fetch) {
    return;
  }

  function show(element, value) {
    if (element instanceof HTMLProgressElement) {
      element.value = Number(value);
      element.textContent = Math.round((element.value * 100) / element.max) + " %";
    } else {
      element.textContent = String(value);
    }
  }

  function follow(box) {
    var refreshLinks = box.querySelectorAll(".guichet-refresh");
    function showRefresh(visible) {
      Array.prototype.forEach.call(refreshLinks, function (element) {
        element.hidden = !visible;
      });
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
          Array.prototype.forEach.call(box.querySelectorAll("[data-field]"), function (element) {
            var value = data[element.dataset.field];
            if (value !== null && value !== undefined) {
              show(element, value);
            }
          });
          window.setTimeout(tick, 2000);
        })
        .catch(function () {
          showRefresh(true);
        });
    }
    showRefresh(false);
    window.setTimeout(tick, 1000);
  }

  Array.prototype.forEach.call(document.querySelectorAll("[data-progress-url]"), function (box) {
    if (box.dataset.finished !== "true") {
      follow(box);
    }
  });
})();
