/* Import status page: poll the import's JSON every two seconds until it is finished. */
(function () {
  "use strict";
  var root = document.getElementById("podcast-import");
  var messages = document.getElementById("import-messages");
  if (!root || !messages) { return; }
  var progress = document.getElementById("import-progress");
  var state = document.getElementById("import-state");
  var counts = document.getElementById("import-counts");
  var errors = document.getElementById("import-errors");
  var errorList = document.getElementById("import-error-list");
  var show = document.getElementById("import-show");

  function render(status) {
    progress.max = Math.max(status.total, 1);
    progress.value = status.done;
    progress.textContent = status.done + " / " + status.total;
    state.textContent = messages.getAttribute("data-" + status.state) || status.state;
    counts.textContent = messages.getAttribute("data-counts")
      .replace("{done}", status.done).replace("{total}", status.total)
      .replace("{imported}", status.imported);
    errorList.textContent = "";
    status.errors.forEach(function (text) {
      var item = document.createElement("li");
      item.textContent = text;
      errorList.appendChild(item);
    });
    errors.hidden = status.errors.length === 0;
    if (status.show_url) {
      show.querySelector("a").href = status.show_url;
      show.hidden = false;
    }
  }

  function poll() {
    fetch(root.getAttribute("data-status-url"), { credentials: "same-origin" })
      .then(function (r) { return r.json(); })
      .then(function (status) {
        render(status);
        if (!status.finished) { window.setTimeout(poll, 2000); }
      })
      .catch(function () { window.setTimeout(poll, 5000); });
  }
  poll();
})();
