// A contribution statement being prepared: its status is read every two seconds and the page
// reloads once it is finished (to offer the download, or say why it failed). Without
// JavaScript the page has a link to refresh it.
(function () {
  "use strict";
  var box = document.getElementById("statement-progress");
  if (!box || box.dataset.finished === "true" || !window.fetch) {
    return;
  }
  var refresh = box.querySelector(".guichet-refresh");
  if (refresh) {
    refresh.hidden = true;
  }
  function tick() {
    fetch(box.dataset.statusUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
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
