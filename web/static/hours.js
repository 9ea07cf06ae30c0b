// Hours page: updates the slot preview as the hours change, by asking the server for the
// same page the "Preview" button shows and taking its preview section. Without script the
// button does the same with a page load.
(function () {
  "use strict";
  var form = document.getElementById("hours-form");
  var preview = document.getElementById("preview");
  if (!form || !preview || !window.fetch || !window.DOMParser) return;
  var timer = null;
  var asked = 0;
  function refresh() {
    var body = new URLSearchParams(new FormData(form));
    body.set("preview", "1");
    var mine = ++asked;
    fetch(form.action, { method: "POST", body: body, credentials: "same-origin" })
      .then(function (r) { return r.text(); })
      .then(function (html) {
        if (mine !== asked) return; // a newer answer is on its way
        var fresh = new DOMParser().parseFromString(html, "text/html").getElementById("preview");
        if (fresh) preview.innerHTML = fresh.innerHTML;
      })
      .catch(function () { /* the Preview button still works */ });
  }
  function later() {
    clearTimeout(timer);
    timer = setTimeout(refresh, 300);
  }
  form.addEventListener("change", later);
  form.addEventListener("input", later);
})();
