/* Replay player: resume where the learner stopped, clickable chapters, audio-only option.
   Progress is PUT to the API every ~10 s while playing, and on pause, seek, end and leaving. */
(function () {
  "use strict";
  var root = document.getElementById("replay-player");
  if (!root) { return; }
  var video = document.getElementById("replay-video");
  var audio = document.getElementById("replay-audio");
  var media = video || audio;
  var url = root.getAttribute("data-progress-url");
  var csrf = root.getAttribute("data-csrf");
  var resume = parseFloat(root.getAttribute("data-resume") || "0") || 0;
  var lastSent = -1;
  var timer = null;

  function send(ended, leaving) {
    if (!url || !media) { return; }
    var position = media.currentTime || 0;
    if (!ended && Math.abs(position - lastSent) < 0.5) { return; }
    lastSent = position;
    var body = { position_s: position, ended: !!ended };
    if (isFinite(media.duration) && media.duration > 0) { body.duration_s = media.duration; }
    try {
      fetch(url, {
        method: "PUT",
        credentials: "same-origin",
        keepalive: !!leaving,
        headers: { "Content-Type": "application/json", "X-CSRFToken": csrf },
        body: JSON.stringify(body)
      }).catch(function () { /* offline: the next save will catch up */ });
    } catch (e) { /* keepalive unsupported: ignore */ }
  }

  function seekTo(seconds) {
    if (!media) { return; }
    if (media.readyState >= 1) {
      media.currentTime = seconds;
    } else {
      media.addEventListener("loadedmetadata", function once() {
        media.removeEventListener("loadedmetadata", once);
        media.currentTime = seconds;
      });
      media.load();
    }
  }

  function bind(element) {
    element.addEventListener("play", function () {
      if (timer) { clearInterval(timer); }
      timer = setInterval(function () { send(false, false); }, 10000);
    });
    element.addEventListener("pause", function () {
      if (timer) { clearInterval(timer); timer = null; }
      if (element === media) { send(false, false); }
    });
    element.addEventListener("seeked", function () { if (element === media) { send(false, false); } });
    element.addEventListener("ended", function () { if (element === media) { send(true, false); } });
  }

  if (video) { bind(video); }
  if (audio) { bind(audio); }

  if (media && resume > 0) {
    var applyResume = function () {
      var duration = media.duration;
      // Near the very end, start over rather than resume on the last frame.
      if (!isFinite(duration) || resume < duration - 5) { media.currentTime = resume; }
      lastSent = resume;
    };
    if (media.readyState >= 1) { applyResume(); }
    else { media.addEventListener("loadedmetadata", applyResume, { once: true }); }
  }

  document.querySelectorAll(".chapter[data-start]").forEach(function (button) {
    button.addEventListener("click", function () {
      seekTo(parseFloat(button.getAttribute("data-start")) || 0);
      var playing = media.play();
      if (playing && playing.catch) { playing.catch(function () {}); }
      media.focus();
    });
  });

  var toggle = document.getElementById("audio-toggle");
  if (toggle && video && audio) {
    toggle.addEventListener("click", function () {
      var from = media;
      var to = media === video ? audio : video;
      var position = from.currentTime || 0;
      var wasPlaying = !from.paused;
      from.pause();
      from.hidden = true;
      to.hidden = false;
      media = to;
      seekTo(position);
      if (wasPlaying) { var p = to.play(); if (p && p.catch) { p.catch(function () {}); } }
      var audioOnly = media === audio;
      toggle.setAttribute("aria-pressed", audioOnly ? "true" : "false");
      // Both labels come translated from the page.
      toggle.textContent = toggle.getAttribute(audioOnly ? "data-video-label" : "data-audio-label");
    });
  }

  window.addEventListener("pagehide", function () { send(false, true); });
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "hidden") { send(false, true); }
  });
})();
