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
  let pingSent = 0;
  let pingN = 0;

  function state(s) { root.dataset.state = s; }
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
          const t = new Date(m.expected_at_ms).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
          say('queue', S['call-waiting'] + ' ' + VA.fmt(S['call-position'], { position: m.position }));
          say('estimate', VA.fmt(S['call-expected'], { time: t }) + (m.late_minutes > 0 ? ' ' + VA.fmt(S['call-officer-late'], { minutes: m.late_minutes }) : ''));
          if (root.dataset.state !== 'call') state('waiting');
          break;
        }
        case 'admitted':
          state('call');
          say('timer', S['call-connecting']);
          endPeer();
          peer = new VA.Peer(ice, sock.send, {}, remote);
          window.vaPeer = peer;
          await peer.start(stream);
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
  $('audio-only').addEventListener('click', function () {
    if (peer) peer.audioOnly();
    remote.hidden = true;
    local.hidden = true;
  });
  $('leave').addEventListener('click', function () { sock.send({ type: 'leave' }); });

  checkDevices();
  setInterval(ping, 15000);
})();
