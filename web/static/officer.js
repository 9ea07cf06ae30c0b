// The officer's live waiting list and call: admit, countdown, extend, notes, end.
'use strict';

(function () {
  const root = document.getElementById('console');
  if (!root) return;
  const ice = JSON.parse(root.dataset.ice || '[]');
  const csrf = root.dataset.csrf;
  // Every word the script shows comes from the server, in the page's language.
  const S = JSON.parse(root.dataset.strings || '{}');
  const tr = function (name, args) { return VA.fmt(S[name] || '', args); };
  const $ = function (id) { return document.getElementById(id); };
  // One minute before the end: a tone and a line, so the officer can extend or wrap up.
  const countdown = new VA.Countdown($('timer'), S.time_left || '{ $time }', function () {
    VA.beep();
    say(tr('one_minute'));
  });
  const statusText = function (s) { return S['status_' + s] || s; };
  const category = function (c) { return S['category_' + c] || c; };
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
    b.textContent = '● ' + (unseen.length === 1 ? tr('arrived_one', { name: unseen[0] })
      : tr('arrived_many', { count: unseen.length }));
    document.title = unseen.length ? '● (' + unseen.length + ') ' + title : title;
  }
  // Tones played for arrivals so far, on the page for tests (a citizen coming back to a
  // call is no arrival).
  root.dataset.arrivalTones = '0';
  function arrived(name) {
    VA.beep();
    root.dataset.arrivalTones = String(Number(root.dataset.arrivalTones) + 1);
    unseen.push(name);
    badge();
    if (window.Notification && Notification.permission === 'granted') {
      try { new Notification(tr('notify', { name: name }), { tag: 'vappoint-arrival' }); } catch (_) { /* none on this system */ }
    }
  }
  function seen() { unseen = []; badge(); }
  $('arrivals').addEventListener('click', seen);
  function soundButton() {
    const on = VA.soundOn();
    $('sound').textContent = tr(on ? 'sound_on' : 'sound_off');
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
    $('stage-reason').textContent = category(e.reason_category) + (e.reason ? ': ' + e.reason : '');
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
    if (!e.documents.length) { const li = document.createElement('li'); li.textContent = tr('no_documents'); list.appendChild(li); }
    $('citizen-audio').hidden = !e.audio_only;
  }
  function state(s) { root.dataset.state = s; }

  function cell(row, text) { const td = document.createElement('td'); td.textContent = text; row.appendChild(td); return td; }

  function render() {
    const body = $('queue').querySelector('tbody');
    body.textContent = '';
    entries.forEach(function (e) {
      const row = document.createElement('tr');
      row.dataset.appointment = e.appointment;
      row.dataset.status = e.status;
      cell(row, e.time);
      const who = cell(row, e.name + ' ');
      const ref = document.createElement('a');
      ref.href = '/officer/appointments/' + e.appointment;
      ref.textContent = e.reference;
      ref.target = '_blank';
      who.appendChild(ref);
      cell(row, category(e.reason_category) + (e.reason ? ': ' + e.reason : ''));
      const docs = cell(row, '');
      e.documents.forEach(function (d) {
        const a = document.createElement('a');
        a.href = '/officer/documents/' + d.id;
        a.textContent = d.file_name;
        docs.appendChild(a);
        docs.appendChild(document.createTextNode(' '));
      });
      const st = e.status === 'waiting' && e.waiting_seconds != null
        ? tr('status_waiting_for', { minutes: Math.floor(e.waiting_seconds / 60) }) : statusText(e.status);
      const sc = cell(row, st);
      sc.className = 'tag ' + (e.status === 'waiting' ? 'waiting' : '');
      const act = cell(row, '');
      if (e.status === 'waiting' && current === null) {
        const b = document.createElement('button');
        b.type = 'button';
        b.className = 'admit';
        b.textContent = tr('admit');
        b.addEventListener('click', function () { admit(e.appointment, e.name); });
        act.appendChild(b);
      }
      body.appendChild(row);
    });
    if (current !== null) stageInfo();
    const next = entries.find(function (e) { return e.status === 'waiting'; });
    $('next').textContent = current === null && next ? tr('next', { name: next.name, time: next.time }) : '';
  }

  async function admit(appointment, name) {
    enter(appointment, name);
    sock.send({ type: 'admit', appointment: appointment });
    await connect(appointment);
    say(tr('calling', { name: name }));
  }

  function enter(appointment, name) {
    current = appointment;
    seen();
    $('stage-title').textContent = name;
    $('citizen-audio').hidden = true;
    state('call');
    render();
  }

  // Camera (once) and a new peer connection to the box for this call, replacing any old one.
  async function connect(appointment) {
    if (!stream) {
      const m = await VA.media();
      stream = m.stream;
      $('local').srcObject = stream;
      if (m.error) say(tr(m.error === 'denied' ? 'camera_denied' : 'camera_missing'));
    }
    if (peer) peer.close();
    peer = new VA.Peer(ice, sock.send, { appointment: appointment }, $('remote'));
    window.vaPeer = peer;
    await peer.start(stream);
  }

  // The station says this officer's call is live (the page was reloaded, or its socket came
  // back): take it up again, unless this page is still connected to it.
  async function resume(appointment) {
    if (current === appointment && peer && ['failed', 'closed'].indexOf(peer.pc.connectionState) < 0) return;
    const e = entries.find(function (x) { return x.appointment === appointment; });
    enter(appointment, e ? e.name : '');
    await connect(appointment);
    say(tr('resumed'));
  }

  // The console's session ended (logout, expiry, a new password, removal): nothing of the
  // citizens stays on the screen, and the page says how to go on.
  function signedOut() {
    countdown.stop();
    if (peer) { peer.close(); peer = null; }
    $('remote').srcObject = null;
    current = null;
    entries = [];
    unseen = [];
    badge();
    render();
    say('');
    state('signed_out');
    $('signed-out').hidden = false;
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
    open: function () { say(tr('connected')); },
    close: function () { say(tr('lost')); },
    end: signedOut,
    message: async function (m) {
      switch (m.type) {
        case 'waiting': entries = m.entries; render(); break;
        case 'admitted': await resume(m.appointment); break;
        case 'citizen_away': {
          const e = entries.find(function (x) { return x.appointment === m.appointment; });
          if (m.appointment === current) say(tr('citizen_away', { name: e ? e.name : '' }));
          break;
        }
        case 'reconnected': {
          const e = entries.find(function (x) { return x.appointment === m.appointment; });
          if (m.appointment === current) say(tr('citizen_reconnected', { name: e ? e.name : '' }));
          break;
        }
        case 'arrived': {
          // Someone in a call is not waiting: no tone for them.
          const e = entries.find(function (x) { return x.appointment === m.appointment; });
          if (m.appointment === current || (e && (e.status === 'in_call' || e.status === 'admitted'))) break;
          say(tr('name_waiting', { name: m.name }));
          arrived(m.name);
          const row = document.querySelector('tr[data-appointment="' + m.appointment + '"]');
          if (row) row.classList.add('arrived');
          break;
        }
        case 'audio_only': if (m.appointment === current) $('citizen-audio').hidden = !m.on; break;
        case 'answer': if (peer && m.appointment === current) await peer.answer(m.sdp); break;
        case 'candidate': if (peer && m.appointment === current) await peer.candidate(m.candidate); break;
        case 'connected': say(tr('in_call')); break;
        case 'timer': if (m.appointment === current) countdown.set(m.timer); break;
        case 'ending': say(tr('ending', { seconds: m.grace_seconds })); break;
        case 'ended': if (m.appointment === current) finish(tr('ended_' + (m.by === 'timer' || m.by === 'citizen' ? m.by : 'officer'))); break;
        case 'error': {
          // The station's refusals by their code, in the page's language.
          const text = S['error_' + m.code] || m.message;
          say(text);
          if (m.code !== 'no_call' && current !== null && !peer) finish(text);
          break;
        }
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
    this.textContent = tr(t.enabled ? 'mute' : 'unmute');
  });
  $('send-back').addEventListener('click', function () {
    if (current === null) return;
    sock.send({ type: 'send_back', appointment: current });
    finish(tr('sent_back'));
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
    $('note-status').textContent = r.type === 'opaqueredirect' || r.ok ? tr('saved') : tr('not_saved');
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
