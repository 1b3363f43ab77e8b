/* Upload page: resumable upload with tus-js-client (pause, resume, survives reloads). */
(function () {
  "use strict";
  var form = document.getElementById("upload-form");
  if (!form || !window.tus) { return; }
  var fileInput = document.getElementById("upload-file");
  var titleInput = document.getElementById("upload-title");
  var targetInput = document.getElementById("upload-target");
  var startButton = document.getElementById("upload-start");
  var pauseButton = document.getElementById("upload-pause");
  var resumeButton = document.getElementById("upload-resume");
  var box = document.getElementById("upload-progress-box");
  var bar = document.getElementById("upload-progress");
  var statusText = document.getElementById("upload-status");
  var errorText = document.getElementById("upload-error");
  var messages = document.getElementById("upload-messages").dataset;
  var csrf = document.querySelector('meta[name="csrf-token"]').content;
  var maxSize = parseInt(form.dataset.maxSize, 10);
  var lang = document.documentElement.lang || undefined;
  var upload = null;
  var lastAnnounced = -10;

  function fill(template, values) {
    return template.replace(/\{(\w+)\}/g, function (_, key) { return values[key]; });
  }
  function number(value, digits) {
    return value.toLocaleString(lang, { minimumFractionDigits: digits, maximumFractionDigits: digits });
  }
  // The units and their order ("1,5 Mo", "1.5 MB") come translated from the page; binary
  // multiples, like the sizes the server shows (the `filesize` filter).
  var KB = 1024, MB = KB * 1024, GB = MB * 1024;
  function human(bytes) {
    if (bytes >= GB) { return fill(messages.gigabytes, { size: number(bytes / GB, 2) }); }
    if (bytes >= MB) { return fill(messages.megabytes, { size: number(bytes / MB, 1) }); }
    return fill(messages.kilobytes, { size: number(Math.round(bytes / KB), 0) });
  }
  function showError(message) {
    errorText.textContent = message;
    errorText.hidden = false;
  }
  function setProgress(sent, total) {
    var percent = total ? Math.floor((sent / total) * 100) : 0;
    bar.value = percent;
    bar.textContent = fill(messages.percent, { percent: percent });
    // Announce every 5 % only: screen readers must not be flooded.
    if (percent - lastAnnounced >= 5 || percent === 100) {
      lastAnnounced = percent;
      statusText.textContent = fill(messages.sending, { percent: percent, sent: human(sent), total: human(total) });
    }
  }
  function serverMessage(error) {
    var response = error && error.originalResponse;
    if (response) {
      try { return JSON.parse(response.getBody()).message || error.message; } catch (e) { return error.message; }
    }
    return error ? error.message : "";
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    errorText.hidden = true;
    var file = fileInput.files[0];
    if (!file) { fileInput.focus(); return; }
    if (file.size > maxSize) { showError(messages.tooBig); return; }
    upload = new window.tus.Upload(file, {
      endpoint: form.dataset.endpoint,
      chunkSize: 16 * 1024 * 1024,
      retryDelays: [0, 1000, 3000, 5000, 10000, 20000, 60000],
      removeFingerprintOnSuccess: true,
      headers: { "X-CSRFToken": csrf },
      metadata: {
        filename: file.name,
        filetype: file.type || "",
        title: titleInput.value || "",
        target: targetInput.value || ""
      },
      onProgress: setProgress,
      onShouldRetry: function (error) {
        var status = error.originalResponse ? error.originalResponse.getStatus() : 0;
        statusText.textContent = messages.retry;
        // Refusals (size, type, rights) will not change by retrying; 409/423/5xx and network errors may.
        return !(status >= 400 && status < 500 && status !== 409 && status !== 423);
      },
      onError: function (error) {
        startButton.disabled = false;
        pauseButton.hidden = true;
        resumeButton.hidden = true;
        showError(fill(messages.error, { message: serverMessage(error) }));
      },
      onSuccess: function () {
        statusText.textContent = messages.done;
        var id = upload.url.replace(/\/+$/, "").split("/").pop();
        window.location.assign(form.dataset.doneUrl.replace("UPLOAD_ID", id));
      }
    });
    startButton.disabled = true;
    pauseButton.hidden = false;
    box.hidden = false;
    upload.findPreviousUploads().then(function (previous) {
      if (previous.length) {
        upload.resumeFromPreviousUpload(previous[0]);
        statusText.textContent = fill(messages.resumed, { percent: 0 });
      }
      upload.start();
    });
  });

  pauseButton.addEventListener("click", function () {
    if (!upload) { return; }
    upload.abort();
    pauseButton.hidden = true;
    resumeButton.hidden = false;
    statusText.textContent = messages.paused;
    resumeButton.focus();
  });
  resumeButton.addEventListener("click", function () {
    if (!upload) { return; }
    upload.start();
    resumeButton.hidden = true;
    pauseButton.hidden = false;
    pauseButton.focus();
  });
})();
