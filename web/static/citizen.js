// The citizen's waiting room and call: device check, place in the queue, then the call.
'use strict';

(function () {
  const root = document.getElementById('call');
  if (!root) return;
  const S = JSON.parse(root.dataset.strings || '{}');
  const ice = JSON.parse(root.dataset.ice || '[]');
  const $ = function (id) { return document.getElementById(id); };
  const remote = $('remote');
  const local = $('local');
  const countdown = new VA.Countdown($('timer'), S['call-remaining']);
  let stream = null;
  let peer = null;
  let audioOnly = false;
  let pingSent = 0;
  let pingN = 0;
  // The camera check under way: a page reloaded during a call is called in again at once,
  // and must offer its camera, not an empty connection.
  let devices = Promise.resolve();

  // During the call, the language links are hidden: following one would leave the page and
  // drop the call. They come back in the waiting room and after the call.
  function state(s) {
    root.dataset.state = s;
    document.querySelectorAll('nav.langs').forEach(function (n) { n.hidden = s === 'call'; });
  }
  function say(id, text) { $(id).textContent = text; }

  async function checkDevices() {
    const m = await VA.media();
    stream = m.stream;
    if (stream) { local.srcObject = stream; $('local-preview').srcObject = stream; }
    if (m.error === 'denied') say('device-status', S['call-camera-denied']);
    else if (m.error === 'missing') say('device-status', S['call-camera-missing']);
    else say('device-status', S['call-camera-ok']);
  }

  function ping() {
    pingN += 1;
    pingSent = performance.now();
    sock.send({ type: 'ping', n: pingN });
  }

  function endPeer() {
    if (peer) { peer.close(); peer = null; }
    remote.srcObject = null;
  }

  const sock = VA.socket(root.dataset.ws, {
    open: function () { ping(); },
    close: function () { say('net-status', S['call-reconnecting']); },
    message: async function (m) {
      switch (m.type) {
        case 'pong': {
          const ms = Math.round(performance.now() - pingSent);
          say('net-status', VA.fmt(ms < 400 ? S['call-connection-ok'] : S['call-connection-slow'], { ms: ms }));
          break;
        }
        case 'queue': {
          // The box says the time in the station's zone; the phone's clock and format may differ.
          const t = m.expected_at;
          say('queue', S['call-waiting'] + ' ' + VA.fmt(S['call-position'], { position: m.position }));
          say('estimate', VA.fmt(S['call-expected'], { time: t }) + (m.late_minutes > 0 ? ' ' + VA.fmt(S['call-officer-late'], { minutes: m.late_minutes }) : ''));
          if (root.dataset.state !== 'call') state('waiting');
          break;
        }
        case 'admitted':
          state('call');
          say('timer', S['call-connecting']);
          endPeer();
          await devices;
          peer = new VA.Peer(ice, sock.send, {}, remote);
          window.vaPeer = peer;
          await peer.start(stream);
          // A citizen who chose audio only keeps it after being called in again.
          if (audioOnly) { peer.audioOnly(true); sock.send({ type: 'audio_only', on: true }); }
          break;
        case 'answer': if (peer) await peer.answer(m.sdp); break;
        case 'candidate': if (peer) await peer.candidate(m.candidate); break;
        case 'connected': say('timer', S['call-in-call']); break;
        case 'timer': countdown.set(m.timer); break;
        case 'ending': countdown.stop(); say('timer', S['call-ending']); break;
        case 'back_to_waiting':
          countdown.stop(); endPeer(); state('waiting'); say('queue', S['call-back-to-waiting']);
          break;
        case 'ended':
          countdown.stop(); endPeer(); state('ended');
          say('ended-text', S['call-ended']);
          if (m.message) say('ended-message', S['call-ended-message'] + ' ' + m.message);
          sock.close();
          break;
        case 'error': say('net-status', m.message); break;
      }
    },
  });

  $('mute').addEventListener('click', function () {
    if (!stream) return;
    const t = stream.getAudioTracks()[0];
    if (!t) return;
    t.enabled = !t.enabled;
    this.textContent = t.enabled ? this.dataset.off : this.dataset.on;
  });
  $('camera').addEventListener('click', function () {
    if (!stream) return;
    const t = stream.getVideoTracks()[0];
    if (!t) return;
    t.enabled = !t.enabled;
    this.textContent = t.enabled ? this.dataset.off : this.dataset.on;
  });
  // Audio only, both ways: stop sending and showing video, or start again. The officer is told.
  $('audio-only').addEventListener('click', function () {
    audioOnly = !audioOnly;
    if (peer) peer.audioOnly(audioOnly, stream);
    remote.hidden = audioOnly;
    local.hidden = audioOnly;
    this.textContent = audioOnly ? this.dataset.on : this.dataset.off;
    this.setAttribute('aria-pressed', String(audioOnly));
    sock.send({ type: 'audio_only', on: audioOnly });
  });
  // Leaving ends the call for good, so it asks first.
  $('leave').addEventListener('click', function () { $('leave-confirm').hidden = false; $('leave-yes').focus(); });
  $('leave-no').addEventListener('click', function () { $('leave-confirm').hidden = true; });
  $('leave-yes').addEventListener('click', function () { $('leave-confirm').hidden = true; sock.send({ type: 'leave' }); });

  devices = checkDevices();
  setInterval(ping, 15000);
})();
