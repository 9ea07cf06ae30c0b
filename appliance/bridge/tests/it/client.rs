//! A stand-in for a participant's browser: a real webrtc peer connection on 127.0.0.1 (or
//! another local address) that sends one Opus and one VP8 track of synthetic RTP and records
//! what it receives.
//!
//! Every packet it sends carries the client's `tag` in its payload, so a receiver can tell
//! whose media reached it; and a transport-cc header extension, like a browser's, which the
//! bridge must not forward. Clients can use different payload types for the same codecs
//! (Chrome's 111/96 or Firefox's 109/120), which the bridge must map.
//!
//! Every packet also carries the moment it was sent (see [`clock_ns`]), and a client can be
//! asked to record when each one arrives: all clients of a test live in one process, so the
//! two instants are read from the same clock and their difference is the one-way delay.

use std::collections::{HashMap, VecDeque};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use bytes::Bytes;
use rtc::interceptor::{
    Attribute, Interceptor, NoopInterceptor, Packet, Slot, StreamInfo, TaggedPacket,
};
use rtc::media_stream::MediaStreamTrack;
use rtc::peer_connection::configuration::media_engine::{MIME_TYPE_OPUS, MIME_TYPE_VP8};
use rtc::rtcp::payload_feedbacks::full_intra_request::FullIntraRequest;
use rtc::rtcp::payload_feedbacks::picture_loss_indication::PictureLossIndication;
use rtc::rtcp::payload_feedbacks::receiver_estimated_maximum_bitrate::ReceiverEstimatedMaximumBitrate;
use rtc::rtcp::receiver_report::ReceiverReport;
use rtc::rtcp::reception_report::ReceptionReport;
use rtc::rtp_transceiver::rtp_sender::{
    RTCRtpCodec, RTCRtpCodecParameters, RTCRtpCodingParameters, RTCRtpEncodingParameters,
    RtpCodecKind,
};
use rtc::sansio::Protocol;
use tokio::sync::mpsc;
use vappoint_bridge::{Bridge, BridgeError, Candidate, LegEvent, Role};
use webrtc::media_stream::track_local::static_rtp::TrackLocalStaticRTP;
use webrtc::media_stream::track_local::{TrackLocal, TrackLocalEvent};
use webrtc::media_stream::track_remote::{TrackRemote, TrackRemoteEvent};
use webrtc::peer_connection::{
    MediaEngine, PeerConnection, PeerConnectionBuilder, PeerConnectionEventHandler,
    RTCIceCandidateInit, RTCPeerConnectionIceEvent, RTCPeerConnectionState, RTCSessionDescription,
    Registry, SettingEngineBuilder, register_default_interceptors,
};
use webrtc::rtp_transceiver::RtpSender;

/// The payload types a client offers for its two codecs.
#[derive(Clone, Copy, Debug)]
pub struct Codecs {
    pub opus: u8,
    pub vp8: u8,
}

pub const CHROME: Codecs = Codecs { opus: 111, vp8: 96 };
pub const FIREFOX: Codecs = Codecs {
    opus: 109,
    vp8: 120,
};

/// Where the sender's tag sits in each payload.
const AUDIO_TAG_AT: usize = 1;
const VIDEO_TAG_AT: usize = 11;

/// Where the send time ([`clock_ns`], 8 bytes big-endian) sits in each payload: right after
/// the tag, over filler bytes nothing reads. A payload too short for it goes unstamped.
const AUDIO_SENT_AT: usize = AUDIO_TAG_AT + 1;
const VIDEO_SENT_AT: usize = VIDEO_TAG_AT + 1;

/// Nanoseconds since the first call in this process, on the monotonic clock. Senders stamp
/// their packets with it and receivers compare against it, which is only meaningful because
/// both ends run in the same process.
pub fn clock_ns() -> u64 {
    static EPOCH: OnceLock<Instant> = OnceLock::new();
    EPOCH.get_or_init(Instant::now).elapsed().as_nanos() as u64
}

/// `template` with `sent` written at `at`, if it has room for it.
fn stamped(template: &[u8], at: usize, sent: u64) -> Bytes {
    let mut payload = template.to_vec();
    if let Some(slot) = payload.get_mut(at..at + 8) {
        slot.copy_from_slice(&sent.to_be_bytes());
    }
    Bytes::from(payload)
}

/// The send time stamped at `at` in `payload`, if it is long enough to hold one.
fn stamp_of(payload: &[u8], at: usize) -> Option<u64> {
    let bytes = payload.get(at..at + 8)?;
    Some(u64::from_be_bytes(bytes.try_into().ok()?))
}

/// One stamped media packet received while recording: when its sender stamped it and when
/// it came out of this client's track, both on [`clock_ns`].
#[allow(dead_code)] // read by the benchmark only
#[derive(Clone, Copy, Debug)]
pub struct Arrival {
    pub sent_ns: u64,
    pub received_ns: u64,
}

/// What a client has received, by sender tag.
#[derive(Default)]
pub struct Received {
    /// (audio, video) packets per tag of the sending client.
    by_tag: Mutex<HashMap<u8, (u64, u64)>>,
    /// Packets whose payload type is not the one this client negotiated for their kind.
    pub bad_pt: AtomicU64,
    /// Packets that arrived with header extensions (the bridge strips them).
    pub with_extensions: AtomicU64,
    /// Keyframe requests that arrived on this client's video sender.
    pub keyframe_requests: AtomicU64,
    /// Bitrate estimates (REMB) that arrived about this client's video, in bits per second.
    pub estimates: Mutex<Vec<f32>>,
    /// Outgoing SSRCs of the bridge seen per kind (audio, video).
    ssrcs: Mutex<(Vec<u32>, Vec<u32>)>,
    /// Sequence numbers of the video packets received.
    video_seqs: Mutex<Vec<u16>>,
    /// Packets that arrived without payload (forwarded padding).
    pub padding: AtomicU64,
    /// While recording, an [`Arrival`] per stamped packet; `None` (the default) keeps nothing,
    /// so a long test does not grow a list nobody reads.
    arrivals: Mutex<Option<Vec<Arrival>>>,
}

impl Received {
    pub fn from(&self, tag: u8) -> (u64, u64) {
        self.by_tag
            .lock()
            .unwrap()
            .get(&tag)
            .copied()
            .unwrap_or_default()
    }

    pub fn total(&self) -> u64 {
        self.by_tag
            .lock()
            .unwrap()
            .values()
            .map(|(a, v)| a + v)
            .sum()
    }

    pub fn tags(&self) -> Vec<u8> {
        let mut tags: Vec<u8> = self.by_tag.lock().unwrap().keys().copied().collect();
        tags.sort();
        tags
    }

    /// Whether the video arrived with consecutive sequence numbers (in whatever order), and
    /// how many packets that was.
    pub fn video_seqs_contiguous(&self) -> (bool, usize) {
        let mut seqs = self.video_seqs.lock().unwrap().clone();
        seqs.sort();
        seqs.dedup();
        let contiguous = seqs.windows(2).all(|w| w[1] == w[0] + 1);
        (contiguous, seqs.len())
    }

    /// The highest video sequence number received, extended with the times it wrapped (as
    /// a receiver report gives it).
    pub fn highest_video_seq(&self) -> u32 {
        let seqs = self.video_seqs.lock().unwrap();
        let mut cycles = 0u32;
        let mut highest = None::<u16>;
        for &seq in seqs.iter() {
            match highest {
                Some(h) if seq < h && h - seq > 0x8000 => {
                    cycles += 1;
                    highest = Some(seq);
                }
                Some(h) if seq > h && seq - h < 0x8000 => highest = Some(seq),
                None => highest = Some(seq),
                _ => {}
            }
        }
        (cycles << 16) | u32::from(highest.unwrap_or(0))
    }

    /// The distinct SSRCs the audio and the video arrived with.
    pub fn ssrcs(&self) -> (Vec<u32>, Vec<u32>) {
        self.ssrcs.lock().unwrap().clone()
    }

    /// Starts keeping an [`Arrival`] for every stamped packet from now on (forgetting any
    /// kept before).
    #[allow(dead_code)] // used by the benchmark only
    pub fn start_recording(&self) {
        *self.arrivals.lock().unwrap() = Some(Vec::new());
    }

    /// Stops recording and returns what was kept since [`Received::start_recording`].
    #[allow(dead_code)] // used by the benchmark only
    pub fn stop_recording(&self) -> Vec<Arrival> {
        self.arrivals.lock().unwrap().take().unwrap_or_default()
    }
}

pub struct Client {
    pub tag: u8,
    pub codecs: Codecs,
    pc: Arc<dyn PeerConnection>,
    audio: Arc<TrackLocalStaticRTP>,
    video: Arc<TrackLocalStaticRTP>,
    audio_sender: Arc<dyn RtpSender>,
    video_sender: Arc<dyn RtpSender>,
    audio_ssrc: u32,
    video_ssrc: u32,
    pub received: Arc<Received>,
    state: Arc<ClientState>,
    local_candidates: Mutex<Option<mpsc::UnboundedReceiver<RTCIceCandidateInit>>>,
    stop: Arc<AtomicBool>,
    /// Audio and video packets handed to the tracks by [`Client::start_sending`] (the
    /// padding-only probes left out, as they carry no stamp).
    sent: Arc<AtomicU64>,
}

/// What the client's callbacks and tasks record.
#[derive(Default)]
pub struct ClientState {
    pub connected: AtomicBool,
    /// Events the bridge sent about this client's leg (candidates left out).
    bridge_events: Mutex<Vec<LegEvent>>,
    /// Candidates the bridge sent.
    bridge_candidates: Mutex<Vec<Candidate>>,
    remote_video: Mutex<Option<Arc<dyn TrackRemote>>>,
    candidates_accepted: AtomicU64,
    candidates_refused: AtomicU64,
}

struct Handler {
    codecs: Codecs,
    received: Arc<Received>,
    state: Arc<ClientState>,
    candidates: mpsc::UnboundedSender<RTCIceCandidateInit>,
}

#[async_trait::async_trait]
impl PeerConnectionEventHandler for Handler {
    async fn on_ice_candidate(&self, event: RTCPeerConnectionIceEvent) {
        if let Ok(init) = event.candidate.to_json() {
            let _ = self.candidates.send(init);
        }
    }

    async fn on_connection_state_change(&self, state: RTCPeerConnectionState) {
        if state == RTCPeerConnectionState::Connected {
            self.state.connected.store(true, Ordering::SeqCst);
        }
    }

    async fn on_track(&self, track: Arc<dyn TrackRemote>) {
        let received = Arc::clone(&self.received);
        let state = Arc::clone(&self.state);
        let codecs = self.codecs;
        tokio::spawn(async move {
            let kind = track.kind().await;
            if kind == RtpCodecKind::Video {
                *state.remote_video.lock().unwrap() = Some(Arc::clone(&track));
            }
            while let Some(event) = track.poll().await {
                let TrackRemoteEvent::OnRtpPacket(packet) = event else {
                    continue;
                };
                // Read first, so the bookkeeping below is not counted as delay.
                let received_ns = clock_ns();
                let (expected_pt, tag_at, sent_at) = match kind {
                    RtpCodecKind::Video => (codecs.vp8, VIDEO_TAG_AT, VIDEO_SENT_AT),
                    _ => (codecs.opus, AUDIO_TAG_AT, AUDIO_SENT_AT),
                };
                if packet.header.payload_type != expected_pt {
                    received.bad_pt.fetch_add(1, Ordering::SeqCst);
                }
                if packet.header.extension || !packet.header.extensions.is_empty() {
                    received.with_extensions.fetch_add(1, Ordering::SeqCst);
                }
                {
                    let mut ssrcs = received.ssrcs.lock().unwrap();
                    let list = match kind {
                        RtpCodecKind::Video => &mut ssrcs.1,
                        _ => &mut ssrcs.0,
                    };
                    if !list.contains(&packet.header.ssrc) {
                        list.push(packet.header.ssrc);
                    }
                }
                if kind == RtpCodecKind::Video {
                    received
                        .video_seqs
                        .lock()
                        .unwrap()
                        .push(packet.header.sequence_number);
                }
                let Some(&tag) = packet.payload.get(tag_at) else {
                    received.padding.fetch_add(1, Ordering::SeqCst);
                    continue;
                };
                if let Some(sent_ns) = stamp_of(&packet.payload, sent_at)
                    && let Some(arrivals) = received.arrivals.lock().unwrap().as_mut()
                {
                    arrivals.push(Arrival {
                        sent_ns,
                        received_ns,
                    });
                }
                let mut by_tag = received.by_tag.lock().unwrap();
                let entry = by_tag.entry(tag).or_default();
                match kind {
                    RtpCodecKind::Video => entry.1 += 1,
                    _ => entry.0 += 1,
                }
            }
        });
    }
}

/// Marks inbound PLI/FIR and REMB for the application, so the client can see keyframe
/// requests and bitrate estimates arriving on its video sender (the way a browser's encoder
/// would be asked, or capped).
#[derive(Default)]
struct KeyframeRequests {
    reads: VecDeque<TaggedPacket>,
    writes: VecDeque<TaggedPacket>,
}

fn is_keyframe_request(p: &dyn rtc::rtcp::Packet) -> bool {
    p.as_any().is::<PictureLossIndication>() || p.as_any().is::<FullIntraRequest>()
}

fn is_for_the_sender(p: &dyn rtc::rtcp::Packet) -> bool {
    is_keyframe_request(p) || p.as_any().is::<ReceiverEstimatedMaximumBitrate>()
}

impl Protocol<TaggedPacket, TaggedPacket, ()> for KeyframeRequests {
    type Rout = TaggedPacket;
    type Wout = TaggedPacket;
    type Eout = ();
    type Error = rtc::shared::error::Error;
    type Time = Instant;

    fn handle_read(&mut self, mut msg: TaggedPacket) -> Result<(), Self::Error> {
        if let Packet::Rtcp(packets) = &msg.message.packet {
            let requests: Vec<Box<dyn rtc::rtcp::Packet>> = packets
                .iter()
                .filter(|p| is_for_the_sender(p.as_ref()))
                .cloned()
                .collect();
            if requests.is_empty() {
                return Ok(());
            }
            msg.message.packet = Packet::Rtcp(requests);
            msg.message.add(Attribute::DeliverToApplication);
        }
        self.reads.push_back(msg);
        Ok(())
    }

    fn poll_read(&mut self) -> Option<TaggedPacket> {
        self.reads.pop_front()
    }

    fn handle_write(&mut self, msg: TaggedPacket) -> Result<(), Self::Error> {
        self.writes.push_back(msg);
        Ok(())
    }

    fn poll_write(&mut self) -> Option<TaggedPacket> {
        self.writes.pop_front()
    }
}

impl Interceptor for KeyframeRequests {
    fn bind_local_stream(&mut self, _: &StreamInfo) {}
    fn unbind_local_stream(&mut self, _: &StreamInfo) {}
    fn bind_remote_stream(&mut self, _: &StreamInfo) {}
    fn unbind_remote_stream(&mut self, _: &StreamInfo) {}
}

fn opus() -> RTCRtpCodec {
    RTCRtpCodec {
        mime_type: MIME_TYPE_OPUS.to_owned(),
        clock_rate: 48000,
        channels: 2,
        sdp_fmtp_line: "minptime=10;useinbandfec=1".to_owned(),
        rtcp_feedback: vec![],
    }
}

fn vp8() -> RTCRtpCodec {
    RTCRtpCodec {
        mime_type: MIME_TYPE_VP8.to_owned(),
        clock_rate: 90000,
        channels: 0,
        sdp_fmtp_line: String::new(),
        rtcp_feedback: vec![],
    }
}

fn track(tag: u8, kind: RtpCodecKind, ssrc: u32) -> Arc<TrackLocalStaticRTP> {
    let (name, codec) = match kind {
        RtpCodecKind::Video => ("video", vp8()),
        _ => ("audio", opus()),
    };
    Arc::new(TrackLocalStaticRTP::new(MediaStreamTrack::new(
        format!("client-{tag}"),
        format!("client-{tag}-{name}"),
        name.to_owned(),
        kind,
        vec![RTCRtpEncodingParameters {
            rtp_coding_parameters: RTCRtpCodingParameters {
                ssrc: Some(ssrc),
                ..Default::default()
            },
            codec,
            ..Default::default()
        }],
    )))
}

impl Client {
    /// A client that is not connected yet, on 127.0.0.1.
    pub async fn new(tag: u8, codecs: Codecs) -> Client {
        Client::new_on(tag, codecs, IpAddr::V4(Ipv4Addr::LOCALHOST)).await
    }

    /// A client that is not connected yet, on `ip` (a server that gathers no loopback
    /// candidates, as Janus, needs its clients on another address).
    pub async fn new_on(tag: u8, codecs: Codecs, ip: IpAddr) -> Client {
        Client::build(tag, codecs, ip, true).await
    }

    /// A client on 127.0.0.1 that sends no receiver reports of its own, so a test can send
    /// the ones it needs (`send_loss_report`) without the real ones in between.
    pub async fn without_receiver_reports(tag: u8, codecs: Codecs) -> Client {
        Client::build(tag, codecs, IpAddr::V4(Ipv4Addr::LOCALHOST), false).await
    }

    async fn build(tag: u8, codecs: Codecs, ip: IpAddr, receiver_reports: bool) -> Client {
        let mut media_engine = MediaEngine::default();
        media_engine
            .register_codec(
                RTCRtpCodecParameters {
                    rtp_codec: opus(),
                    payload_type: codecs.opus,
                },
                RtpCodecKind::Audio,
            )
            .unwrap();
        media_engine
            .register_codec(
                RTCRtpCodecParameters {
                    rtp_codec: vp8(),
                    payload_type: codecs.vp8,
                },
                RtpCodecKind::Video,
            )
            .unwrap();
        let mut registry = register_default_interceptors(Registry::new(), &mut media_engine)
            .unwrap()
            .with(Slot::from(14_000), KeyframeRequests::default());
        if !receiver_reports {
            registry = registry.with(Slot::ReceiverReport, NoopInterceptor::new());
        }
        let (candidates_tx, candidates_rx) = mpsc::unbounded_channel();
        let received = Arc::new(Received::default());
        let state = Arc::new(ClientState::default());
        let pc = PeerConnectionBuilder::new()
            .with_media_engine(media_engine)
            .with_interceptor_registry(registry)
            .with_setting_engine(
                SettingEngineBuilder::new()
                    .with_multicast_dns_mode(rtc::ice::mdns::MulticastDnsMode::Disabled)
                    .build(),
            )
            .with_handler(Arc::new(Handler {
                codecs,
                received: Arc::clone(&received),
                state: Arc::clone(&state),
                candidates: candidates_tx,
            }))
            .with_udp_addrs(vec![SocketAddr::new(ip, 0).to_string()])
            .build()
            .await
            .unwrap();
        let pc: Arc<dyn PeerConnection> = Arc::new(pc);

        let audio_ssrc = 0x1000_0000 | u32::from(tag);
        let video_ssrc = 0x2000_0000 | u32::from(tag);
        let audio = track(tag, RtpCodecKind::Audio, audio_ssrc);
        let video = track(tag, RtpCodecKind::Video, video_ssrc);
        let audio_sender = pc.add_track(Arc::clone(&audio) as _).await.unwrap();
        let video_sender = pc.add_track(Arc::clone(&video) as _).await.unwrap();

        // Keyframe requests about what this client sends arrive on its video track.
        let poll_video = Arc::clone(&video);
        let poll_received = Arc::clone(&received);
        tokio::spawn(async move {
            while let Some(event) = poll_video.poll().await {
                if let TrackLocalEvent::OnRtcpPacket(packets) = event {
                    let n = packets
                        .iter()
                        .filter(|p| is_keyframe_request(p.as_ref()))
                        .count();
                    poll_received
                        .keyframe_requests
                        .fetch_add(n as u64, Ordering::SeqCst);
                    poll_received
                        .estimates
                        .lock()
                        .unwrap()
                        .extend(packets.iter().filter_map(|p| {
                            p.as_any()
                                .downcast_ref::<ReceiverEstimatedMaximumBitrate>()
                                .filter(|remb| remb.ssrcs.contains(&video_ssrc))
                                .map(|remb| remb.bitrate)
                        }));
                }
            }
        });

        Client {
            tag,
            codecs,
            pc,
            audio,
            video,
            audio_sender,
            video_sender,
            audio_ssrc,
            video_ssrc,
            received,
            state,
            local_candidates: Mutex::new(Some(candidates_rx)),
            stop: Arc::new(AtomicBool::new(false)),
            sent: Arc::new(AtomicU64::new(0)),
        }
    }

    /// Offers to the bridge as `role` of `call`, applies the answer, and trickles candidates
    /// both ways from now on. Does not wait for the connection.
    pub async fn join(&self, bridge: &Bridge, call: i64, role: Role) -> Result<(), BridgeError> {
        let offer = self.offer().await;
        let (answer, events) = bridge.connect(call, role, &offer, &[]).await?;
        self.accept(answer, events).await;
        self.trickle_to(bridge, call, role);
        Ok(())
    }

    /// Creates and applies the client's offer; candidates start being gathered.
    pub async fn offer(&self) -> String {
        let offer = self.pc.create_offer(None).await.unwrap();
        self.pc.set_local_description(offer).await.unwrap();
        self.pc.local_description().await.unwrap().sdp
    }

    /// Applies another party's offer (Janus's, in the benchmark) and answers it; candidates
    /// start being gathered.
    #[allow(dead_code)] // used by the benchmark only
    pub async fn answer(&self, offer: String) -> String {
        self.pc
            .set_remote_description(RTCSessionDescription::offer(offer).unwrap())
            .await
            .unwrap();
        let answer = self.pc.create_answer(None).await.unwrap();
        self.pc.set_local_description(answer).await.unwrap();
        self.pc.local_description().await.unwrap().sdp
    }

    /// Applies the bridge's answer, and from now on applies the candidates the bridge sends
    /// and records its other events.
    pub async fn accept(&self, answer: String, mut events: mpsc::Receiver<LegEvent>) {
        self.pc
            .set_remote_description(RTCSessionDescription::answer(answer).unwrap())
            .await
            .unwrap();
        let pc = Arc::clone(&self.pc);
        let state = Arc::clone(&self.state);
        tokio::spawn(async move {
            while let Some(event) = events.recv().await {
                match event {
                    LegEvent::Candidate(c) => {
                        state.bridge_candidates.lock().unwrap().push(c.clone());
                        let init = RTCIceCandidateInit {
                            candidate: c.candidate,
                            sdp_mid: c.sdp_mid,
                            sdp_mline_index: c.sdp_mline_index,
                            ..Default::default()
                        };
                        if let Err(e) = pc.add_ice_candidate(init).await {
                            panic!("client rejected the bridge's candidate: {e}");
                        }
                    }
                    other => state.bridge_events.lock().unwrap().push(other),
                }
            }
        });
    }

    /// Sends the client's candidates (those gathered so far, and later ones) to the bridge,
    /// counting the ones it refuses.
    pub fn trickle_to(&self, bridge: &Bridge, call: i64, role: Role) {
        let mut local = self.take_local_candidates();
        let bridge = bridge.clone();
        let state = Arc::clone(&self.state);
        tokio::spawn(async move {
            while let Some(c) = local.recv().await {
                let c = Candidate {
                    candidate: c.candidate,
                    sdp_mid: c.sdp_mid,
                    sdp_mline_index: c.sdp_mline_index,
                };
                match bridge.add_candidate(call, role, c).await {
                    Ok(()) => state.candidates_accepted.fetch_add(1, Ordering::SeqCst),
                    Err(_) => state.candidates_refused.fetch_add(1, Ordering::SeqCst),
                };
            }
        });
    }

    /// The candidates gathered so far (waiting for the first one); they are not trickled
    /// by [`Client::trickle_to`] afterwards.
    pub async fn gathered_candidates(&self) -> Vec<Candidate> {
        let mut local = self.local_candidates.lock().unwrap().take().unwrap();
        let mut out = Vec::new();
        let first = tokio::time::timeout(crate::DEADLINE, local.recv()).await;
        let mut next = first.ok().flatten();
        while let Some(c) = next {
            out.push(Candidate {
                candidate: c.candidate,
                sdp_mid: c.sdp_mid,
                sdp_mline_index: c.sdp_mline_index,
            });
            next = local.try_recv().ok();
        }
        *self.local_candidates.lock().unwrap() = Some(local);
        out
    }

    /// The client's own candidates as it gathers them, for a caller that carries them to the
    /// bridge itself (over the station's signalling socket, say).
    pub fn take_local_candidates(&self) -> mpsc::UnboundedReceiver<RTCIceCandidateInit> {
        self.local_candidates
            .lock()
            .unwrap()
            .take()
            .expect("the candidates are taken once")
    }

    /// How many of this client's candidates the bridge took and refused.
    pub fn candidates_sent(&self) -> (u64, u64) {
        (
            self.state.candidates_accepted.load(Ordering::SeqCst),
            self.state.candidates_refused.load(Ordering::SeqCst),
        )
    }

    pub fn connected(&self) -> bool {
        self.state.connected.load(Ordering::SeqCst)
    }

    /// Audio and video packets sent so far (probes not counted).
    #[allow(dead_code)] // used by the benchmark only
    pub fn sent(&self) -> u64 {
        self.sent.load(Ordering::SeqCst)
    }

    /// Whether the bridge has sent `event` about this client's leg.
    pub fn saw(&self, event: &LegEvent) -> bool {
        self.state.bridge_events.lock().unwrap().contains(event)
    }

    pub fn bridge_candidates(&self) -> Vec<Candidate> {
        self.state.bridge_candidates.lock().unwrap().clone()
    }

    /// The id the answer negotiated for the transport-cc extension of `sender`, if any.
    async fn transport_cc_id(sender: &Arc<dyn RtpSender>) -> Option<u8> {
        let params = sender.get_parameters().await.ok()?;
        params
            .rtp_parameters
            .header_extensions
            .iter()
            .find(|e| e.uri == rtc::sdp::extmap::TRANSPORT_CC_URI)
            .map(|e| e.id as u8)
    }

    /// Sends one audio and one video packet every 20 ms (about 40 kbit/s of audio, and
    /// `video_bytes` × 400 bit/s of video) until [`Client::stop_sending`] or `limit`; and,
    /// every tenth time, a padding-only video packet like a browser's bandwidth probe. Each
    /// audio and video packet is stamped with [`clock_ns`] as it is built.
    pub async fn start_sending(&self, video_bytes: usize, limit: Duration) {
        let audio_cc = Self::transport_cc_id(&self.audio_sender).await;
        let video_cc = Self::transport_cc_id(&self.video_sender).await;
        let (audio, video) = (Arc::clone(&self.audio), Arc::clone(&self.video));
        let (audio_ssrc, video_ssrc, tag, codecs) =
            (self.audio_ssrc, self.video_ssrc, self.tag, self.codecs);
        let stop = Arc::clone(&self.stop);
        stop.store(false, Ordering::SeqCst);
        let sent = Arc::clone(&self.sent);

        let mut audio_payload = vec![0xFCu8; 100];
        audio_payload[AUDIO_TAG_AT] = tag;
        // A VP8 payload descriptor (S bit, partition 0) and the start of a key frame:
        // frame tag (key frame, shown), start code, 640x480.
        let mut video_payload = vec![
            0x10, 0x10, 0x02, 0x00, 0x9d, 0x01, 0x2a, 0x80, 0x02, 0xe0, 0x01, tag,
        ];
        video_payload.resize(video_bytes.max(VIDEO_TAG_AT + 1), 0x55);

        tokio::spawn(async move {
            let started = Instant::now();
            let mut tick = tokio::time::interval(Duration::from_millis(20));
            let mut n: u32 = 0;
            // Each client starts its numbering elsewhere, as browsers pick random bases
            // (wrapping: tags above 65 would overflow).
            let mut video_seq: u16 = u16::from(tag).wrapping_mul(1000);
            while !stop.load(Ordering::SeqCst) && started.elapsed() < limit {
                tick.tick().await;
                let seq = n as u16;
                let sent_ns = clock_ns();
                sent.fetch_add(2, Ordering::SeqCst);
                let mut a = rtc::rtp::Packet {
                    header: rtc::rtp::Header {
                        version: 2,
                        payload_type: codecs.opus,
                        sequence_number: seq,
                        timestamp: n.wrapping_mul(960),
                        ssrc: audio_ssrc,
                        ..Default::default()
                    },
                    payload: stamped(&audio_payload, AUDIO_SENT_AT, sent_ns),
                };
                let mut v = rtc::rtp::Packet {
                    header: rtc::rtp::Header {
                        version: 2,
                        payload_type: codecs.vp8,
                        sequence_number: video_seq,
                        timestamp: n.wrapping_mul(3000),
                        ssrc: video_ssrc,
                        marker: true,
                        ..Default::default()
                    },
                    payload: stamped(&video_payload, VIDEO_SENT_AT, sent_ns),
                };
                // Like a browser: a transport-wide sequence number on every packet.
                let twcc = Bytes::copy_from_slice(&((2 * n) as u16).to_be_bytes());
                if let Some(id) = audio_cc {
                    a.header.set_extension(id, twcc.clone()).unwrap();
                }
                if let Some(id) = video_cc {
                    v.header.set_extension(id, twcc).unwrap();
                }
                if audio.write_rtp(a).await.is_err() || video.write_rtp(v).await.is_err() {
                    break;
                }
                video_seq = video_seq.wrapping_add(1);
                if n % 10 == 9 {
                    let probe = rtc::rtp::Packet {
                        header: rtc::rtp::Header {
                            version: 2,
                            padding: true,
                            payload_type: codecs.vp8,
                            sequence_number: video_seq,
                            timestamp: n.wrapping_mul(3000),
                            ssrc: video_ssrc,
                            ..Default::default()
                        },
                        payload: Bytes::new(),
                    };
                    if video.write_rtp(probe).await.is_err() {
                        break;
                    }
                    video_seq = video_seq.wrapping_add(1);
                }
                n += 1;
            }
        });
    }

    pub fn stop_sending(&self) {
        self.stop.store(true, Ordering::SeqCst);
    }

    /// Asks the sender of the video this client receives for a keyframe.
    /// The video this client receives and its SSRC, which feedback about it names.
    async fn received_video(&self) -> (Arc<dyn TrackRemote>, u32) {
        let track = self
            .state
            .remote_video
            .lock()
            .unwrap()
            .clone()
            .expect("video received before sending feedback about it");
        let ssrc = track.ssrcs().await[0];
        (track, ssrc)
    }

    pub async fn send_pli(&self) {
        let (track, media_ssrc) = self.received_video().await;
        track
            .write_rtcp(vec![Box::new(PictureLossIndication {
                sender_ssrc: self.video_ssrc,
                media_ssrc,
            })])
            .await
            .unwrap();
    }

    /// Tells the bridge, as a browser's receive-side estimator would, that this client can
    /// receive `bitrate` bits per second of the video it gets.
    pub async fn send_remb(&self, bitrate: f32) {
        let (track, media_ssrc) = self.received_video().await;
        track
            .write_rtcp(vec![Box::new(ReceiverEstimatedMaximumBitrate {
                sender_ssrc: self.video_ssrc,
                bitrate,
                ssrcs: vec![media_ssrc],
            })])
            .await
            .unwrap();
    }

    /// Reports to the bridge, as a browser on a lossy downlink would, that `lost` packets of
    /// the video it receives have been lost in all, and that the highest sequence number it
    /// has seen is `highest_seq` (extended).
    pub async fn send_loss_report(&self, lost: u32, highest_seq: u32) {
        let (track, media_ssrc) = self.received_video().await;
        track
            .write_rtcp(vec![Box::new(ReceiverReport {
                ssrc: self.video_ssrc,
                reports: vec![ReceptionReport {
                    ssrc: media_ssrc,
                    fraction_lost: 100,
                    total_lost: lost,
                    last_sequence_number: highest_seq,
                    ..Default::default()
                }],
                ..Default::default()
            })])
            .await
            .unwrap();
    }

    pub async fn close(&self) {
        self.stop_sending();
        let _ = self.pc.close().await;
    }
}
