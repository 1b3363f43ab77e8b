/* Montage: draw the waveform peaks and the storyboard on a timeline; select, trim and cut. */
(function () {
  "use strict";
  var timeline = document.getElementById("timeline");
  if (!timeline) { return; }
  var canvas = document.getElementById("waveform");
  var strip = document.getElementById("storyboard-strip");
  var form = document.getElementById("montage-form");
  var startInput = document.getElementById("trim_start");
  var endInput = document.getElementById("trim_end");
  var cutList = document.getElementById("cut-list");
  var cutTemplate = document.getElementById("cut-template");
  var selectionText = document.getElementById("selection-text");
  var duration = parseFloat(timeline.dataset.duration) || 0;
  var peaks = [];
  var selection = null; // [start, end] in seconds
  var dragFrom = null;

  function fit(c) {
    var ratio = window.devicePixelRatio || 1;
    c.width = Math.round(c.clientWidth * ratio);
    c.height = Math.round(c.clientHeight * ratio);
    return ratio;
  }
  function secondsAt(event) {
    var rect = canvas.getBoundingClientRect();
    var x = Math.min(Math.max(event.clientX - rect.left, 0), rect.width);
    return Math.round((x / rect.width) * duration * 10) / 10;
  }
  function cuts() {
    var result = [];
    cutList.querySelectorAll("li").forEach(function (li) {
      var a = parseFloat(li.querySelector('[name="cut_start"]').value);
      var b = parseFloat(li.querySelector('[name="cut_end"]').value);
      if (!isNaN(a) && !isNaN(b) && b > a) { result.push([a, b]); }
    });
    return result;
  }
  function draw() {
    var ratio = fit(canvas);
    var ctx = canvas.getContext("2d");
    var w = canvas.width, h = canvas.height, mid = h / 2;
    ctx.clearRect(0, 0, w, h);
    function x(t) { return (t / duration) * w; }
    var start = parseFloat(startInput.value) || 0;
    var end = parseFloat(endInput.value) || duration;
    // Removed parts: greyed out (also shown as numbers in the form, never by colour alone).
    ctx.fillStyle = "#d9d9d9";
    ctx.fillRect(0, 0, x(start), h);
    ctx.fillRect(x(end), 0, w - x(end), h);
    cuts().forEach(function (c) { ctx.fillRect(x(c[0]), 0, x(c[1]) - x(c[0]), h); });
    ctx.fillStyle = "#1f5f3a";
    for (var px = 0; px < w; px++) {
      var from = Math.floor((px / w) * peaks.length), to = Math.max(from + 1, Math.floor(((px + 1) / w) * peaks.length));
      var peak = 0;
      for (var i = from; i < to && i < peaks.length; i++) { peak = Math.max(peak, peaks[i]); }
      var bar = Math.max(1 * ratio, peak * (h - 4));
      ctx.fillRect(px, mid - bar / 2, 1, bar);
    }
    if (selection) {
      ctx.fillStyle = "rgba(11, 87, 208, 0.25)";
      ctx.fillRect(x(selection[0]), 0, x(selection[1]) - x(selection[0]), h);
      ctx.strokeStyle = "#0b57d0";
      ctx.lineWidth = 2 * ratio;
      ctx.strokeRect(x(selection[0]), 1, x(selection[1]) - x(selection[0]), h - 2);
    }
  }
  function drawStoryboard() {
    if (!strip) { return; }
    var info = JSON.parse(timeline.dataset.storyboard || "{}");
    var image = new Image();
    image.onload = function () {
      fit(strip);
      var ctx = strip.getContext("2d");
      var slots = Math.max(1, Math.floor(strip.width / (strip.height * 16 / 9)));
      var slotWidth = strip.width / slots;
      for (var s = 0; s < slots; s++) {
        var t = ((s + 0.5) / slots) * duration;
        var index = Math.min(info.count - 1, Math.floor(t / info.interval_s));
        var sx = (index % info.columns) * info.thumb_width, sy = Math.floor(index / info.columns) * info.thumb_height;
        ctx.drawImage(image, sx, sy, info.thumb_width, info.thumb_height, s * slotWidth, 0, slotWidth, strip.height);
      }
    };
    image.src = timeline.dataset.storyboardUrl;
  }
  function describe() {
    // The sentence comes translated from the page (data-template).
    selectionText.textContent = selection
      ? selectionText.dataset.template.replace("{start}", selection[0]).replace("{end}", selection[1])
      : "";
  }
  function addCut(a, b) {
    var item = cutTemplate.content.firstElementChild.cloneNode(true);
    item.querySelector('[name="cut_start"]').value = a;
    item.querySelector('[name="cut_end"]').value = b;
    cutList.appendChild(item);
    draw();
  }

  canvas.addEventListener("pointerdown", function (e) { dragFrom = secondsAt(e); selection = [dragFrom, dragFrom]; canvas.setPointerCapture(e.pointerId); draw(); });
  canvas.addEventListener("pointermove", function (e) {
    if (dragFrom === null) { return; }
    var t = secondsAt(e);
    selection = [Math.min(dragFrom, t), Math.max(dragFrom, t)];
    draw();
  });
  canvas.addEventListener("pointerup", function () { dragFrom = null; describe(); });
  document.getElementById("set-start").addEventListener("click", function () { if (selection) { startInput.value = selection[0]; draw(); } });
  document.getElementById("set-end").addEventListener("click", function () { if (selection) { endInput.value = selection[1]; draw(); } });
  document.getElementById("add-cut").addEventListener("click", function () {
    if (selection && selection[1] > selection[0]) { addCut(selection[0], selection[1]); selection = null; describe(); }
  });
  cutList.addEventListener("click", function (e) {
    if (e.target.classList.contains("remove-cut")) { e.target.closest("li").remove(); draw(); }
  });
  form.addEventListener("input", draw);
  window.addEventListener("resize", function () { draw(); drawStoryboard(); });

  fetch(timeline.dataset.waveformUrl, { credentials: "same-origin" })
    .then(function (r) { return r.json(); })
    .then(function (doc) { peaks = doc.data || []; draw(); });
  drawStoryboard();
})();
