// Markdown preview without leaving the page: the "Aperçu" button posts the text to the server,
// which renders and sanitises it exactly as the published page will. Without JS the same
// button submits the form and the server re-renders the page with the preview.
(function () {
  "use strict";
  function csrfToken(form) {
    var field = form.querySelector('input[name="csrf_token"]');
    return field ? field.value : "";
  }
  document.querySelectorAll("[data-preview-url]").forEach(function (editor) {
    var button = editor.querySelector("[data-preview-button]");
    var pane = editor.querySelector("[data-preview-pane]");
    var content = editor.querySelector("[data-preview-content]");
    var textarea = editor.querySelector("textarea");
    var form = editor.closest("form");
    if (!button || !pane || !content || !textarea || !form) { return; }
    button.addEventListener("click", function (event) {
      event.preventDefault();
      var body = new FormData();
      body.append("body", textarea.value);
      button.disabled = true;
      fetch(editor.getAttribute("data-preview-url"), {
        method: "POST",
        body: body,
        credentials: "same-origin",
        headers: { "X-CSRFToken": csrfToken(form), "Accept": "application/json" }
      }).then(function (response) {
        if (!response.ok) { throw new Error(response.status); }
        return response.json();
      }).then(function (data) {
        content.innerHTML = data.html; // already sanitised server-side (nh3)
        pane.hidden = false;
      }).catch(function () {
        form.requestSubmit(button); // fall back to the server-rendered preview
      }).finally(function () {
        button.disabled = false;
      });
    });
  });
})();
