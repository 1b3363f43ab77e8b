/* Job page: poll the job's state every 2 s and update the progress bar and its text. */
(function () {
  "use strict";
  var panel = document.getElementById("job");
  if (!panel || panel.dataset.finished === "true") { return; }
  var bar = document.getElementById("job-progress");
  var stepLabel = document.getElementById("job-step");
  var text = document.getElementById("job-text");
  var errorText = document.getElementById("job-error");
  var lastText = "";

  function fill(template, values) {
    return template.replace(/\{(\w+)\}/g, function (_, key) { return values[key]; });
  }
  // Sentences and units come translated from the page's data-* attributes.
  function duration(seconds) {
    seconds = Math.max(0, Math.round(seconds));
    if (seconds < 60) { return fill(text.dataset.seconds, { n: seconds }); }
    var minutes = Math.round(seconds / 60);
    return minutes < 60 ? fill(text.dataset.minutes, { n: minutes })
                        : fill(text.dataset.hours, { h: Math.floor(minutes / 60), m: minutes % 60 });
  }
  function say(message) {
    if (message !== lastText) { text.textContent = message; lastText = message; }
  }
  function poll() {
    fetch(panel.dataset.statusUrl, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.json() : Promise.reject(response.status); })
      .then(function (job) {
        bar.value = job.percent;
        bar.textContent = fill(bar.dataset.text, { percent: job.percent });
        stepLabel.textContent = job.step_label;
        if (job.state === "queued") {
          say(text.dataset.queued);
        } else if (job.state === "running") {
          // The spoken text changes at most every 10 %, the bar at every poll.
          var rounded = Math.floor(job.percent / 10) * 10;
          say(job.eta_s != null
            ? fill(text.dataset.running, { step: job.step_label, percent: rounded, eta: duration(job.eta_s) })
            : fill(text.dataset.runningNoEta, { step: job.step_label, percent: rounded }));
        }
        if (job.finished) {
          say(job.state === "succeeded" ? text.dataset.succeeded : text.dataset.failed);
          if (job.error) { errorText.textContent = job.error; errorText.hidden = false; }
          // Reload once to show the player, the files and the buttons for the new state.
          window.setTimeout(function () { window.location.reload(); }, 1500);
          return;
        }
        window.setTimeout(poll, 2000);
      })
      .catch(function () { window.setTimeout(poll, 5000); });
  }
  window.setTimeout(poll, 1000);
})();
