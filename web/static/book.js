// The booking form, when JavaScript runs: documents are checked (kind, size, count) before
// anything is sent, and a large upload shows its progress. Without JavaScript the form posts
// as it is and the station answers with the same form and the same messages.
'use strict';

(function () {
  const form = document.getElementById('book-form');
  if (!form || !window.FormData || !window.XMLHttpRequest) return;
  const input = document.getElementById('documents');
  const problem = document.getElementById('documents-error');
  const bar = document.getElementById('upload-progress');
  const maxFiles = Number(form.dataset.maxFiles);
  const maxBytes = Number(form.dataset.maxBytes);
  const kinds = ['application/pdf', 'image/jpeg', 'image/png'];
  const fill = function (text, name) { return text.replace('{ $file }', name); };

  function check() {
    const files = Array.from(input.files || []);
    let msg = '';
    if (files.length > maxFiles) msg = form.dataset.msgTooMany;
    for (const f of files) {
      if (msg) break;
      // An unknown type (some phones give none) is left to the station, which reads the bytes.
      if (f.type && kinds.indexOf(f.type) < 0) msg = fill(form.dataset.msgUnsupported, f.name);
      else if (f.size > maxBytes) msg = fill(form.dataset.msgTooLarge, f.name);
    }
    problem.textContent = msg;
    input.setCustomValidity(msg);
    if (msg) input.setAttribute('aria-invalid', 'true'); else input.removeAttribute('aria-invalid');
    return !msg;
  }

  input.addEventListener('change', check);
  form.addEventListener('submit', function (e) {
    if (!check()) { e.preventDefault(); input.focus(); return; }
    const files = Array.from(input.files || []);
    if (!files.length) return; // nothing large to watch: an ordinary post
    e.preventDefault();
    const button = form.querySelector('button[type=submit]');
    button.disabled = true;
    bar.hidden = false;
    const xhr = new XMLHttpRequest();
    xhr.open('POST', form.action);
    xhr.upload.onprogress = function (ev) {
      if (ev.lengthComputable) bar.value = Math.round((ev.loaded / ev.total) * 100);
    };
    // The station's answer is a whole page (the confirmation, or the form with a message):
    // show it as the browser would have.
    xhr.onload = function () {
      document.open();
      document.write(xhr.responseText);
      document.close();
      history.replaceState(null, '', form.action);
    };
    xhr.onerror = function () { button.disabled = false; bar.hidden = true; form.submit(); };
    xhr.send(new FormData(form));
  });
})();
