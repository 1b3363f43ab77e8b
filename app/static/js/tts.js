/* "Écouter ce guide": chapter buttons seek the player; editors see the generation progress. */
(function () {
  "use strict";

  document.addEventListener("click", function (event) {
    var button = event.target.closest(".tts-seek");
    if (!button) { return; }
    var player = document.getElementById(button.dataset.player);
    if (!player) { return; }
    player.currentTime = parseFloat(button.dataset.start) || 0;
    player.play();
  });

  function follow(panel) {
    var bar = panel.querySelector("progress");
    var text = panel.querySelector(".tts-state");
    var errorText = panel.querySelector(".tts-error");
    if (!bar || !text) { return; }
    var lastText = "";
    function say(message) {
      if (message !== lastText) { text.textContent = message; lastText = message; }
    }
    function poll() {
      fetch(panel.dataset.statusUrl, { headers: { Accept: "application/json" }, credentials: "same-origin" })
        .then(function (response) { return response.ok ? response.json() : Promise.reject(response.status); })
        .then(function (job) {
          bar.value = job.percent;
          // Sentences come translated from the page's data-* attributes.
          bar.textContent = (bar.dataset.text || "{percent}").replace("{percent}", job.percent);
          if (job.state === "queued") {
            say(text.dataset.queued);
          } else if (job.state === "running") {
            // The announced text changes every 10 % only; the bar moves at every poll.
            var rounded = Math.floor(job.percent / 10) * 10;
            say(text.dataset.running.replace("{step}", job.step_label).replace("{percent}", rounded));
          }
          if (job.finished) {
            say(text.dataset[job.state] || text.dataset.failed);
            if (job.error && job.state === "failed") { errorText.textContent = job.error; errorText.hidden = false; }
            // Reload once to show the new player and files.
            if (job.state === "succeeded") { window.setTimeout(function () { window.location.reload(); }, 1500); }
            return;
          }
          window.setTimeout(poll, 2000);
        })
        .catch(function () { window.setTimeout(poll, 5000); });
    }
    window.setTimeout(poll, 1000);
  }

  document.querySelectorAll(".tts-editor[data-status-url]").forEach(function (panel) {
    if (panel.dataset.finished !== "true") { follow(panel); }
  });
}());
