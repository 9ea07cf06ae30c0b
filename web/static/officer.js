// The officer's live waiting list and call: admit, countdown, extend, notes, end.
'use strict';

(function () {
  const root = document.getElementById('console');
  if (!root) return;
  const ice = JSON.parse(root.dataset.ice || '[]');
  const csrf = root.dataset.csrf;
  const $ = function (id) { return document.getElementById(id); };
  // One minute before the end: a tone and a line, so the officer can extend or wrap up.
  const countdown = new VA.Countdown($('timer'), 'Time left: { $time }', function () {
    VA.beep();
    say('One minute left. Add time with +2 or +5 min, or wrap up.');
  });
  const statusText = { waiting: 'Waiting', away: 'Checked in, not connected', late: 'Late', no_show: 'No-show',
    expected: 'Expected', in_call: 'In call', admitted: 'Calling in…', done: 'Done', ended_early: 'Ended early',
    cancelled: 'Cancelled' };
  const categories = { complaint: 'Complaint', fir_follow_up: 'Follow-up on an FIR', lost_article: 'Lost article',
    domestic_violence: 'Domestic violence', cyber_fraud: 'Cyber fraud', other: 'Other' };
  let entries = [];
  let current = null; // appointment id in the call
  let stream = null;
  let peer = null;

  function say(text) { $('status').textContent = text; }

  // Arrivals: a tone (once sound is turned on: browsers keep a page silent until it is
  // clicked), a desktop notification when allowed, and a badge that stays until the officer
  // marks it seen, so an arrival is not missed while the officer looks elsewhere.
  let unseen = [];
  const title = document.title;
  function badge() {
    const b = $('arrivals');
    b.hidden = unseen.length === 0;
    b.textContent = unseen.length === 1 ? '● ' + unseen[0] + ' is waiting: mark as seen'
      : '● ' + unseen.length + ' citizens arrived: mark as seen';
    document.title = unseen.length ? '● (' + unseen.length + ') ' + title : title;
  }
  function arrived(name) {
    VA.beep();
    unseen.push(name);
    badge();
    if (window.Notification && Notification.permission === 'granted') {
      try { new Notification(name + ' is waiting', { tag: 'vappoint-arrival' }); } catch (_) { /* none on this system */ }
    }
  }
  function seen() { unseen = []; badge(); }
  $('arrivals').addEventListener('click', seen);
  function soundButton() {
    const on = VA.soundOn();
    $('sound').textContent = on ? 'Sound alerts on' : 'Turn on sound alerts';
    $('sound').setAttribute('aria-pressed', String(on));
  }
  $('sound').addEventListener('click', async function () {
    await VA.enableSound();
    VA.beep();
    soundButton();
    if (window.Notification && Notification.permission === 'default') {
      try { await Notification.requestPermission(); } catch (_) { /* refused or unsupported */ }
    }
  });
  // Any click on the page also lets the tone play from then on.
  document.addEventListener('click', function () { VA.enableSound().then(soundButton); }, { once: true });

  // The citizen's reason and documents beside the video during the call.
  function stageInfo() {
    const e = entries.find(function (x) { return x.appointment === current; });
    if (!e) return;
    $('stage-reason').textContent = (categories[e.reason_category] || e.reason_category) + (e.reason ? ': ' + e.reason : '');
    const list = $('stage-docs');
    list.textContent = '';
    e.documents.forEach(function (d) {
      const li = document.createElement('li');
      const a = document.createElement('a');
      a.href = '/officer/documents/' + d.id;
      a.target = '_blank';
      a.textContent = d.file_name;
      li.appendChild(a);
      list.appendChild(li);
    });
    if (!e.documents.length) { const li = document.createElement('li'); li.textContent = 'None'; list.appendChild(li); }
    $('citizen-audio').hidden = !e.audio_only;
  }
  function state(s) { root.dataset.state = s; }

  function cell(tr, text) { const td = document.createElement('td'); td.textContent = text; tr.appendChild(td); return td; }

  function render() {
    const body = $('queue').querySelector('tbody');
    body.textContent = '';
    entries.forEach(function (e) {
      const tr = document.createElement('tr');
      tr.dataset.appointment = e.appointment;
      tr.dataset.status = e.status;
      cell(tr, e.time);
      const who = cell(tr, e.name + ' ');
      const ref = document.createElement('a');
      ref.href = '/officer/appointments/' + e.appointment;
      ref.textContent = e.reference;
      ref.target = '_blank';
      who.appendChild(ref);
      cell(tr, (categories[e.reason_category] || e.reason_category) + (e.reason ? ': ' + e.reason : ''));
      const docs = cell(tr, '');
      e.documents.forEach(function (d) {
        const a = document.createElement('a');
        a.href = '/officer/documents/' + d.id;
        a.textContent = d.file_name;
        docs.appendChild(a);
        docs.appendChild(document.createTextNode(' '));
      });
      let st = statusText[e.status] || e.status;
      if (e.status === 'waiting' && e.waiting_seconds != null) st += ' (' + Math.floor(e.waiting_seconds / 60) + ' min)';
      const sc = cell(tr, st);
      sc.className = 'tag ' + (e.status === 'waiting' ? 'waiting' : '');
      const act = cell(tr, '');
      if (e.status === 'waiting' && current === null) {
        const b = document.createElement('button');
        b.type = 'button';
        b.className = 'admit';
        b.textContent = 'Admit';
        b.addEventListener('click', function () { admit(e.appointment, e.name); });
        act.appendChild(b);
      }
      body.appendChild(tr);
    });
    if (current !== null) stageInfo();
    const next = entries.find(function (e) { return e.status === 'waiting'; });
    $('next').textContent = current === null && next ? 'Next waiting: ' + next.name + ' (' + next.time + ')' : '';
  }

  async function admit(appointment, name) {
    current = appointment;
    seen();
    $('stage-title').textContent = name;
    $('citizen-audio').hidden = true;
    state('call');
    render();
    sock.send({ type: 'admit', appointment: appointment });
    if (!stream) {
      const m = await VA.media();
      stream = m.stream;
      $('local').srcObject = stream;
      if (m.error) say(m.error === 'denied' ? 'The browser did not allow the camera or microphone.' : 'No camera found: audio only.');
    }
    peer = new VA.Peer(ice, sock.send, { appointment: appointment }, $('remote'));
    window.vaPeer = peer;
    await peer.start(stream);
    say('Calling ' + name + ' in…');
  }

  function finish(text) {
    countdown.stop();
    if (peer) { peer.close(); peer = null; }
    $('remote').srcObject = null;
    current = null;
    state('list');
    say(text);
    render();
  }

  const sock = VA.socket('/ws/officer', {
    open: function () { say('Connected. Citizens appear here when they join.'); },
    close: function () { say('Connection to the station lost. Reconnecting…'); },
    message: async function (m) {
      switch (m.type) {
        case 'waiting': entries = m.entries; render(); break;
        case 'arrived': {
          say(m.name + ' is waiting.');
          arrived(m.name);
          const row = document.querySelector('tr[data-appointment="' + m.appointment + '"]');
          if (row) row.classList.add('arrived');
          break;
        }
        case 'audio_only': if (m.appointment === current) $('citizen-audio').hidden = !m.on; break;
        case 'answer': if (peer && m.appointment === current) await peer.answer(m.sdp); break;
        case 'candidate': if (peer && m.appointment === current) await peer.candidate(m.candidate); break;
        case 'connected': say('In call.'); break;
        case 'timer': if (m.appointment === current) countdown.set(m.timer); break;
        case 'ending': say('Time is up: the call closes in ' + m.grace_seconds + ' s unless you add time.'); break;
        case 'ended': if (m.appointment === current) finish('Call ended (' + m.by + ').'); break;
        case 'error': say(m.message); if (m.code !== 'no_call' && current !== null && !peer) finish(m.message); break;
      }
    },
  });

  document.querySelectorAll('[data-adjust]').forEach(function (b) {
    b.addEventListener('click', function () {
      if (current !== null) sock.send({ type: 'adjust', appointment: current, minutes: Number(b.dataset.adjust) });
    });
  });
  $('mute').addEventListener('click', function () {
    const t = stream && stream.getAudioTracks()[0];
    if (!t) return;
    t.enabled = !t.enabled;
    this.textContent = t.enabled ? 'Mute' : 'Unmute';
  });
  $('send-back').addEventListener('click', function () {
    if (current === null) return;
    sock.send({ type: 'send_back', appointment: current });
    finish('Sent back to the waiting room.');
  });

  function post(path, fields) {
    const body = new URLSearchParams(Object.assign({ csrf: csrf }, fields));
    return fetch(path, { method: 'POST', body: body, credentials: 'same-origin', redirect: 'manual' });
  }
  $('notes-form').addEventListener('submit', async function (e) {
    e.preventDefault();
    const text = $('note').value.trim();
    if (!text || current === null) return;
    const r = await post('/officer/appointments/' + current + '/notes', { body: text });
    $('note-status').textContent = r.type === 'opaqueredirect' || r.ok ? 'Saved.' : 'Not saved: try again.';
    if (r.type === 'opaqueredirect' || r.ok) $('note').value = '';
  });
  $('end-form').addEventListener('submit', async function (e) {
    e.preventDefault();
    if (current === null) return;
    const outcome = $('outcome').value;
    if (outcome) await post('/officer/appointments/' + current + '/outcome', { outcome: outcome });
    sock.send({ type: 'end', appointment: current, message: $('end-message').value });
    $('end-message').value = '';
  });
})();
