/* Écouter: copy feed URLs, and the episode player (speed, skips, chapters, resume). */
(function () {
  "use strict";

  document.querySelectorAll(".copy-feed").forEach(function (button) {
    button.addEventListener("click", function () {
      var box = button.closest(".subscribe");
      var status = box && box.querySelector(".copy-status");
      var url = button.getAttribute("data-copy");
      function done(ok) {
        if (status) {
          status.textContent = box.getAttribute(ok ? "data-copied" : "data-copy-failed") || "";
        }
      }
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(url).then(function () { done(true); }, function () { done(false); });
      } else {
        var input = box && box.querySelector(".feed-url");
        if (input) { input.select(); }
        try { done(document.execCommand("copy")); } catch (e) { done(false); }
      }
    });
  });

  var root = document.getElementById("podcast-player");
  var audio = document.getElementById("podcast-audio");
  if (!root || !audio) { return; }
  var key = root.getAttribute("data-resume-key");
  var status = root.querySelector(".resume-status");
  var speed = document.getElementById("podcast-speed");
  var lastSaved = 0;

  function storage() {
    try { return window.localStorage; } catch (e) { return null; }
  }
  function format(seconds) {
    var m = Math.floor(seconds / 60), s = Math.floor(seconds % 60);
    return m + ":" + (s < 10 ? "0" : "") + s;
  }

  var store = storage();
  if (store) {
    var saved = parseFloat(store.getItem(key) || "0");
    var rate = parseFloat(store.getItem("podcast-speed") || "1");
    if (speed && rate) { speed.value = String(rate); audio.playbackRate = rate; }
    if (saved > 5) {
      var resume = function () {
        if (!isFinite(audio.duration) || saved < audio.duration - 5) {
          audio.currentTime = saved;
          if (status) {
            status.textContent = (root.getAttribute("data-resumed") || "%s").replace("%s", format(saved));
          }
        }
      };
      // The metadata may already be there (cached file) before this script runs.
      if (audio.readyState >= 1) {
        resume();
      } else {
        audio.addEventListener("loadedmetadata", function once() {
          audio.removeEventListener("loadedmetadata", once);
          resume();
        });
      }
    }
  }
  audio.addEventListener("timeupdate", function () {
    if (!store || Math.abs(audio.currentTime - lastSaved) < 5) { return; }
    lastSaved = audio.currentTime;
    store.setItem(key, String(Math.floor(audio.currentTime)));
  });
  audio.addEventListener("ended", function () { if (store) { store.removeItem(key); } });
  if (speed) {
    speed.addEventListener("change", function () {
      audio.playbackRate = parseFloat(speed.value) || 1;
      if (store) { store.setItem("podcast-speed", speed.value); }
    });
  }
  root.querySelectorAll("[data-skip]").forEach(function (button) {
    button.addEventListener("click", function () {
      audio.currentTime = Math.max(0, audio.currentTime + parseFloat(button.getAttribute("data-skip")));
    });
  });
  root.querySelectorAll(".chapter").forEach(function (button) {
    button.addEventListener("click", function () {
      audio.currentTime = parseFloat(button.getAttribute("data-start")) || 0;
      audio.play();
    });
  });
  var chapters = Array.prototype.slice.call(root.querySelectorAll(".chapter"));
  audio.addEventListener("timeupdate", function () {
    var current = null;
    chapters.forEach(function (c) {
      if (parseFloat(c.getAttribute("data-start")) <= audio.currentTime + 0.25) { current = c; }
    });
    chapters.forEach(function (c) {
      if (c === current) { c.setAttribute("aria-current", "true"); } else { c.removeAttribute("aria-current"); }
    });
  });
})();
