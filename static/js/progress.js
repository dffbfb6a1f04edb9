// Follow a background job: update the progress bar, reload the page when it ends.
(function () {
  "use strict";
  var box = document.querySelector("[data-status-url]");
  if (!box || !window.fetch) return;
  var bar = document.getElementById("document-progress");
  var text = document.getElementById("document-progress-text");
  var label = document.getElementById("document-status");
  function poll() {
    fetch(box.getAttribute("data-status-url"), { credentials: "same-origin" })
      .then(function (response) { return response.json(); })
      .then(function (data) {
        bar.value = data.percent;
        bar.textContent = data.percent + "%";
        if (data.total) text.textContent = data.done + " / " + data.total;
        if (label) label.textContent = data.status_label;
        if (data.status === "done" || data.status === "failed") {
          window.location.reload();
        } else {
          window.setTimeout(poll, 1000);
        }
      })
      .catch(function () { window.setTimeout(poll, 3000); });
  }
  window.setTimeout(poll, 500);
})();
