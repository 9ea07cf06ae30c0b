// Shared by the citizen's and the officer's call pages: the signalling WebSocket, the camera,
// and one peer connection to the station's bridge. No framework, no download beyond this file.
'use strict';

const VA = {};

// Fills "{ $name }" placeholders of a translated string.
VA.fmt = function (s, args) {
  return (s || '').replace(/\{ *\$(\w+) *\}/g, function (_, k) { return args && k in args ? args[k] : ''; });
};

// A WebSocket that reconnects after a drop (phones lose signal) and queues nothing: callers
// resend what matters when `onopen` runs again. A close with a code from 4000 to 4999 is the
// station ending this socket for good (the console's session ended): `end` is told, and it
// does not reconnect.
VA.socket = function (path, handlers) {
  let ws = null;
  let delay = 500;
  let closed = false;
  function open() {
    ws = new WebSocket((location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + path);
    ws.onopen = function () { delay = 500; if (handlers.open) handlers.open(); };
    ws.onmessage = function (e) {
      let msg;
      try { msg = JSON.parse(e.data); } catch (_) { return; }
      handlers.message(msg);
    };
    ws.onclose = function (e) {
      if (e.code >= 4000 && e.code < 5000) {
        closed = true;
        if (handlers.end) handlers.end(e.code, e.reason);
        return;
      }
      if (handlers.close) handlers.close();
      if (!closed) { setTimeout(open, delay); delay = Math.min(delay * 2, 10000); }
    };
  }
  open();
  return {
    send: function (msg) { if (ws && ws.readyState === 1) ws.send(JSON.stringify(msg)); },
    close: function () { closed = true; if (ws) ws.close(); },
  };
};

// About 360p at up to 24 frames: enough to see a face and a document over 4G.
VA.constraints = {
  audio: { echoCancellation: true, noiseSuppression: true, autoGainControl: true },
  video: { width: { ideal: 640 }, height: { ideal: 360 }, frameRate: { ideal: 24, max: 30 }, facingMode: 'user' },
};

// Camera and microphone; falls back to audio only. Resolves to { stream, error } where error
// is null, 'denied' or 'missing'.
VA.media = async function () {
  try {
    return { stream: await navigator.mediaDevices.getUserMedia(VA.constraints), error: null };
  } catch (e) {
    const denied = e && (e.name === 'NotAllowedError' || e.name === 'SecurityError');
    try {
      const audio = await navigator.mediaDevices.getUserMedia({ audio: VA.constraints.audio });
      return { stream: audio, error: denied ? 'denied' : 'missing' };
    } catch (_) {
      return { stream: null, error: denied ? 'denied' : 'missing' };
    }
  }
};

// One peer connection to the box. `send` delivers signalling messages; `extra` is merged into
// each (the officer's page adds the appointment id).
VA.Peer = function (iceServers, send, extra, remoteVideo) {
  this.pc = new RTCPeerConnection({ iceServers: iceServers, bundlePolicy: 'max-bundle' });
  this.send = send;
  this.extra = extra || {};
  const self = this;
  this.pc.onicecandidate = function (e) {
    if (e.candidate) self.send(Object.assign({ type: 'candidate', candidate: e.candidate.toJSON() }, self.extra));
  };
  this.pc.ontrack = function (e) {
    if (!remoteVideo.srcObject) remoteVideo.srcObject = new MediaStream();
    remoteVideo.srcObject.addTrack(e.track);
  };
};

VA.Peer.prototype.start = async function (stream) {
  const audio = stream && stream.getAudioTracks()[0];
  const video = stream && stream.getVideoTracks()[0];
  // Audio first and with high priority: a call without picture still works, one without sound does not.
  if (audio) {
    this.pc.addTransceiver(audio, { direction: 'sendrecv', streams: [stream], sendEncodings: [{ priority: 'high', networkPriority: 'high' }] });
  } else {
    this.pc.addTransceiver('audio', { direction: 'recvonly' });
  }
  if (video) {
    this.pc.addTransceiver(video, { direction: 'sendrecv', streams: [stream], sendEncodings: [{ maxBitrate: 500000, maxFramerate: 24 }] });
  } else {
    this.pc.addTransceiver('video', { direction: 'recvonly' });
  }
  const offer = await this.pc.createOffer();
  await this.pc.setLocalDescription(offer);
  this.send(Object.assign({ type: 'offer', sdp: offer.sdp }, this.extra));
};

VA.Peer.prototype.answer = function (sdp) {
  return this.pc.setRemoteDescription({ type: 'answer', sdp: sdp });
};

VA.Peer.prototype.candidate = function (c) {
  return this.pc.addIceCandidate(c).catch(function () {});
};

// Stops sending video (weak link or the person's choice), or with `on` false sends the
// camera of `stream` again; sound goes on either way. The video sender is found by its
// transceiver, since its track is null while audio only.
VA.Peer.prototype.audioOnly = function (on, stream) {
  const video = stream && stream.getVideoTracks()[0];
  this.pc.getTransceivers().forEach(function (t) {
    if (!t.sender || t.receiver.track.kind !== 'video') return;
    if (on) { t.sender.replaceTrack(null); }
    else if (video) { video.enabled = true; t.sender.replaceTrack(video); }
  });
};

// Whether video is being sent now (for the page and for tests).
VA.Peer.prototype.sendingVideo = function () {
  return this.pc.getSenders().some(function (s) { return s.track && s.track.kind === 'video'; });
};

// Closes the connection; the camera stays on for the next call.
VA.Peer.prototype.close = function () {
  this.pc.close();
};

// Frames decoded and packets received so far (for people checking the link, and for tests).
VA.Peer.prototype.stats = async function () {
  const out = { framesDecoded: 0, audioPackets: 0, videoPackets: 0 };
  (await this.pc.getStats()).forEach(function (r) {
    if (r.type === 'inbound-rtp' && r.kind === 'video') { out.framesDecoded += r.framesDecoded || 0; out.videoPackets += r.packetsReceived || 0; }
    if (r.type === 'inbound-rtp' && r.kind === 'audio') { out.audioPackets += r.packetsReceived || 0; }
  });
  return out;
};

// Shows the time left, using the box's clock (the offset to this device's clock is measured
// from `now_ms`), and marks the last minute.
VA.Countdown = function (el, label, onWarn) {
  this.el = el;
  this.label = label;
  this.onWarn = onWarn || null;
  this.warned = false;
  this.timer = null;
  this.interval = null;
};

VA.Countdown.prototype.set = function (timer) {
  this.timer = timer;
  this.offset = timer.now_ms - Date.now();
  // An extension moves the warning into the future again: warn again then.
  this.warned = timer.now_ms >= timer.warning_at_ms && this.warned;
  const self = this;
  if (!this.interval) this.interval = setInterval(function () { self.render(); }, 500);
  this.render();
};

VA.Countdown.prototype.render = function () {
  if (!this.timer) return;
  const now = Date.now() + this.offset;
  const left = Math.max(0, Math.round((this.timer.ends_at_ms - now) / 1000));
  const text = Math.floor(left / 60) + ':' + String(left % 60).padStart(2, '0');
  this.el.textContent = VA.fmt(this.label, { time: text });
  const warn = now >= this.timer.warning_at_ms;
  this.el.classList.toggle('warn', warn);
  if (warn && !this.warned) {
    this.warned = true;
    if (this.onWarn) this.onWarn();
  }
  this.el.dataset.seconds = String(left);
};

VA.Countdown.prototype.stop = function () {
  clearInterval(this.interval);
  this.interval = null;
  this.timer = null;
  // No stale time left on the page once the call is over or paused.
  delete this.el.dataset.seconds;
};

// One audio context for the page. Browsers start it suspended until the person interacts
// with the page; `VA.enableSound` (a click on "Turn on sound") resumes it, and from then on
// tones play without a click each time.
VA.audio = null;
VA.enableSound = function () {
  try {
    if (!VA.audio) VA.audio = new (window.AudioContext || window.webkitAudioContext)();
    return VA.audio.resume().then(function () { return VA.audio.state === 'running'; });
  } catch (_) {
    return Promise.resolve(false);
  }
};
VA.soundOn = function () { return !!VA.audio && VA.audio.state === 'running'; };

// A short tone, made here rather than downloaded.
VA.beep = function () {
  try {
    if (!VA.audio) VA.audio = new (window.AudioContext || window.webkitAudioContext)();
    const ctx = VA.audio;
    if (ctx.state === 'suspended') ctx.resume().catch(function () {});
    const osc = ctx.createOscillator();
    osc.frequency.value = 660;
    osc.connect(ctx.destination);
    osc.start();
    osc.stop(ctx.currentTime + 0.25);
  } catch (_) { /* no sound available: the visual signal remains */ }
};

window.VA = VA;
