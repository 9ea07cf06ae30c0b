//! One leg of a call: a participant's peer connection to the bridge, its two outgoing tracks,
//! and the tasks that forward what it receives to the other leg.
//!
//! Per leg there are:
//! - the peer connection, bound to one leased UDP port on every bind address;
//! - two outgoing `TrackLocalStaticRTP`s (Opus, VP8), added before the offer is applied so
//!   the answer is `sendrecv` on both media sections; the other leg's media is written to them;
//! - one task per incoming track (started by `on_track`), reading its RTP and writing it,
//!   rewritten, to the other leg's outgoing track of the same kind;
//! - one task reading the browser's feedback about the outgoing video track: a keyframe
//!   request asks the other leg's browser for a keyframe; its bitrate estimate (REMB) and
//!   loss reports make the bitrate the other leg's browser is told it may send (a REMB of
//!   the bridge's; see `estimate` and [`Leg::relay_estimate`]).
//!
//! Audio and video are read by separate tasks from separate queues, so a burst of video (a
//! keyframe is dozens of packets) never delays or crowds out audio inside the bridge; that is
//! the priority audio gets here, since webrtc 0.21.1 offers no DSCP marking or send priority.
//!
//! Callbacks of [`PeerConnectionEventHandler`] run on the connection's driver task, so they
//! only `try_send` and spawn: anything that awaits another connection is done in a task of
//! its own, which keeps one leg's driver from ever waiting on the other's.

use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock, Weak};
use std::time::{Duration, Instant};

use rtc::ice::mdns::MulticastDnsMode;
use rtc::interceptor::{NackGeneratorBuilder, NackResponderBuilder, Slot};
use rtc::media_stream::MediaStreamTrack;
use rtc::peer_connection::configuration::interceptor_registry::{
    configure_rtcp_reports, configure_simulcast_extension_headers, configure_twcc_receiver_only,
};
use rtc::peer_connection::configuration::media_engine::{MIME_TYPE_OPUS, MIME_TYPE_VP8};
use rtc::rtcp::payload_feedbacks::picture_loss_indication::PictureLossIndication;
use rtc::rtcp::payload_feedbacks::receiver_estimated_maximum_bitrate::ReceiverEstimatedMaximumBitrate;
use rtc::rtp_transceiver::RTCRtpTransceiverDirection;
use rtc::rtp_transceiver::rtp_sender::{
    RTCPFeedback, RTCRtpCodec, RTCRtpCodecParameters, RTCRtpCodingParameters,
    RTCRtpEncodingParameters, RtpCodecKind, TYPE_RTCP_FB_GOOG_REMB, TYPE_RTCP_FB_NACK,
};
use tokio::sync::mpsc;
use webrtc::media_stream::track_local::static_rtp::TrackLocalStaticRTP;
use webrtc::media_stream::track_local::{TrackLocal, TrackLocalEvent};
use webrtc::media_stream::track_remote::{TrackRemote, TrackRemoteEvent};
use webrtc::peer_connection::RTCIceServer;
use webrtc::peer_connection::{
    MediaEngine, PeerConnection, PeerConnectionBuilder, PeerConnectionEventHandler,
    RTCConfigurationBuilder, RTCIceGatheringState, RTCPeerConnectionIceEvent,
    RTCPeerConnectionState, RTCSessionDescription, Registry, SettingEngineBuilder,
};
use webrtc::rtp_transceiver::RtpSender;

use crate::bridge::Inner;
use crate::candidate;
use crate::error::BridgeError;
use crate::estimate::DownlinkEstimate;
use crate::feedback::{self, FeedbackMarker};
use crate::ports::{self, PortLease};
use crate::rewrite::{StreamRewriter, map_payload_type, strip_transport_fields};
use crate::types::{Candidate, LegEvent, Role};

/// Room for the events of one leg: a handful of candidates and state changes. The handler
/// never waits for room (it runs on the driver), so a caller that stops reading loses events
/// rather than stalling the connection.
const EVENT_QUEUE: usize = 256;

/// How often a browser's encoder is asked for a keyframe at most. A viewer on a lossy link
/// can send a PLI per lost frame; every keyframe costs the sender several times a normal
/// frame's bitrate, so requests closer together than this are absorbed (the keyframe already
/// asked for answers them too).
const KEYFRAME_REQUEST_INTERVAL: Duration = Duration::from_millis(250);

/// How many of its last packets each outgoing stream keeps for retransmission when the viewer
/// reports them lost (a power of two). A retransmission helps only while the viewer's jitter
/// buffer still waits for it: Janus keeps RTT + 100 ms of packets (200 ms to 1 s), libwebrtc
/// max(1 s, 3 x RTT). 128 video packets are about a second at 1 Mbit/s (a phone's camera on
/// 4G sends less), half a second at 2.5 Mbit/s. Each kept packet costs about 1.5 KB: the
/// library's 1,024 held 1.5 MB per leg once a call had run 20 s, most of a call's memory.
const NACK_HISTORY: u16 = 128;

/// How many times a leg tries another port when the peer connection cannot bind the one the
/// pool found free (another program took it in between).
const BIND_ATTEMPTS: usize = 3;

/// The Opus the bridge accepts: the browsers' default (48 kHz, stereo signalling, in-band FEC).
fn opus() -> RTCRtpCodec {
    RTCRtpCodec {
        mime_type: MIME_TYPE_OPUS.to_owned(),
        clock_rate: 48000,
        channels: 2,
        sdp_fmtp_line: "minptime=10;useinbandfec=1".to_owned(),
        rtcp_feedback: vec![],
    }
}

/// VP8: every browser can encode and decode it, so it never needs transcoding.
fn vp8() -> RTCRtpCodec {
    RTCRtpCodec {
        mime_type: MIME_TYPE_VP8.to_owned(),
        clock_rate: 90000,
        channels: 0,
        sdp_fmtp_line: String::new(),
        rtcp_feedback: vec![],
    }
}

/// What a leg needs from the bridge to be built.
pub(crate) struct LegParams<'a> {
    pub call: i64,
    pub role: Role,
    pub id: u64,
    pub offer_sdp: &'a str,
    /// STUN/TURN servers for this leg: TURN credentials are made per call and expire.
    pub ice_servers: Vec<RTCIceServer>,
}

/// An outgoing track of a leg and how to write to it.
pub(crate) struct Outbound {
    track: Arc<TrackLocalStaticRTP>,
    ssrc: u32,
    /// The codecs negotiated for this media section (the same payload types serve both
    /// directions of a section). Empty when the browser did not offer this kind at all.
    codecs: Vec<RTCRtpCodecParameters>,
    rewriter: Mutex<StreamRewriter>,
    /// RTP bytes written so far: the rate a loss report is about.
    sent_bytes: AtomicU64,
}

/// The incoming video of a leg, the target of keyframe requests.
#[derive(Clone)]
struct RemoteVideo {
    track: Arc<dyn TrackRemote>,
    ssrc: u32,
}

/// One participant's connection.
pub(crate) struct Leg {
    pub(crate) id: u64,
    pub(crate) call: i64,
    pub(crate) role: Role,
    pc: Arc<dyn PeerConnection>,
    audio: Outbound,
    video: Outbound,
    /// Which incoming kinds already have a forwarding task: a second track of the same kind
    /// (a browser adding screen sharing, say) would fight the first for the one outgoing SSRC.
    forwarding: Mutex<[bool; 2]>,
    remote_video: Mutex<Option<RemoteVideo>>,
    last_keyframe_request: Mutex<Option<Instant>>,
    /// What this leg's browser reports about the video it receives.
    downlink: Mutex<DownlinkEstimate>,
    events: mpsc::Sender<LegEvent>,
    /// ICE and DTLS are up (and have not failed since): only then can media be written to
    /// this leg. Before, every packet would be refused by SRTP, one log line each.
    connected: AtomicBool,
    closed_sent: AtomicBool,
    closing: AtomicBool,
    /// Released after the peer connection is closed, so the port is free only once its
    /// socket is.
    port: Mutex<Option<PortLease>>,
    /// The bridge's count of legs not yet freed, decremented when this one is.
    live: Arc<AtomicUsize>,
}

impl Drop for Leg {
    fn drop(&mut self) {
        self.live.fetch_sub(1, Ordering::Relaxed);
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // Nothing done under these locks can leave the data half-updated, so a panic elsewhere
    // (poisoning) is no reason to stop forwarding.
    m.lock().unwrap_or_else(|e| e.into_inner())
}

fn kind_index(kind: RtpCodecKind) -> Option<usize> {
    match kind {
        RtpCodecKind::Audio => Some(0),
        RtpCodecKind::Video => Some(1),
        _ => None,
    }
}

/// A random SSRC, never 0 (some stacks treat 0 as "unset").
fn random_ssrc(not: u32) -> u32 {
    loop {
        let ssrc: u32 = rand::random();
        if ssrc != 0 && ssrc != not {
            return ssrc;
        }
    }
}

impl Leg {
    /// Builds the peer connection for `params` from the browser's offer and answers it.
    /// Returns the leg, the SDP answer and the receiver of the leg's events.
    pub(crate) async fn open(
        bridge: &Arc<Inner>,
        params: LegParams<'_>,
    ) -> Result<(Arc<Leg>, String, mpsc::Receiver<LegEvent>), BridgeError> {
        let offer = RTCSessionDescription::offer(params.offer_sdp.to_owned())
            .map_err(|e| BridgeError::BadSdp(e.to_string()))?;
        if bridge.ips.is_empty() {
            return Err(BridgeError::NoBindAddress);
        }
        let (events, events_rx) = mpsc::channel(EVENT_QUEUE);
        let handler = Arc::new(LegHandler {
            bridge: Arc::downgrade(bridge),
            leg: OnceLock::new(),
            events: events.clone(),
            mid: OnceLock::new(),
            public_ip: bridge.public_ip,
            public_sent: AtomicBool::new(false),
        });

        let (pc, lease) =
            build_peer_connection(bridge, &params.ice_servers, Arc::clone(&handler)).await?;
        match negotiate(&pc, &params, offer, &handler).await {
            Ok((answer, audio, video)) => {
                let leg = Arc::new(Leg {
                    id: params.id,
                    call: params.call,
                    role: params.role,
                    pc,
                    audio,
                    video,
                    forwarding: Mutex::new([false; 2]),
                    remote_video: Mutex::new(None),
                    last_keyframe_request: Mutex::new(None),
                    downlink: Mutex::new(DownlinkEstimate::default()),
                    events,
                    connected: AtomicBool::new(false),
                    closed_sent: AtomicBool::new(false),
                    closing: AtomicBool::new(false),
                    port: Mutex::new(Some(lease)),
                    live: Arc::clone(&bridge.live_legs),
                });
                bridge.live_legs.fetch_add(1, Ordering::Relaxed);
                // Set before the answer leaves: nothing can connect (and so no track can
                // open) until the browser has it.
                let _ = handler.leg.set(Arc::downgrade(&leg));
                tokio::spawn(watch_video_feedback(
                    Arc::downgrade(bridge),
                    Arc::clone(&leg),
                ));
                Ok((leg, answer, events_rx))
            }
            Err(e) => {
                let _ = pc.close().await;
                drop(lease);
                Err(e)
            }
        }
    }

    fn outbound(&self, kind: RtpCodecKind) -> Option<&Outbound> {
        match kind {
            RtpCodecKind::Audio => Some(&self.audio),
            RtpCodecKind::Video => Some(&self.video),
            _ => None,
        }
    }

    /// Applies a candidate from the browser. An empty one (end of candidates) is accepted
    /// and ignored: webrtc 0.21.1 has nothing to do with it.
    pub(crate) async fn add_candidate(&self, c: Candidate) -> Result<(), BridgeError> {
        if c.candidate.trim().is_empty() {
            return Ok(());
        }
        self.pc
            .add_ice_candidate(candidate::to_rtc(c))
            .await
            .map_err(|e| BridgeError::BadCandidate(e.to_string()))
    }

    /// Writes a packet that arrived on the other leg (as `kind`, under that leg's negotiated
    /// `from_codecs`) to this leg's outgoing track. `false` if it could not be forwarded.
    async fn forward(
        &self,
        kind: RtpCodecKind,
        from_codecs: &[RTCRtpCodecParameters],
        mut packet: rtc::rtp::Packet,
    ) -> bool {
        let Some(out) = self.outbound(kind) else {
            return false;
        };
        let Some(pt) = map_payload_type(packet.header.payload_type, from_codecs, &out.codecs)
        else {
            tracing::trace!(
                call = self.call,
                pt = packet.header.payload_type,
                "dropping packet: payload type has no counterpart on the other leg"
            );
            return false;
        };
        strip_transport_fields(&mut packet.header);
        lock(&out.rewriter).rewrite(&mut packet.header, out.ssrc, pt, Instant::now());
        let size =
            rtc::shared::marshal::MarshalSize::marshal_size(&packet.header) + packet.payload.len();
        let written = out.track.write_rtp(packet).await.is_ok();
        if written {
            out.sent_bytes.fetch_add(size as u64, Ordering::Relaxed);
        }
        written
    }

    /// Asks this leg's browser for a video keyframe (a PLI on its incoming video), at most
    /// once per [`KEYFRAME_REQUEST_INTERVAL`]. `true` if a PLI was sent.
    async fn request_keyframe(&self) -> bool {
        let Some(target) = lock(&self.remote_video).clone() else {
            return false;
        };
        {
            let mut last = lock(&self.last_keyframe_request);
            let now = Instant::now();
            if last.is_some_and(|t| now.duration_since(t) < KEYFRAME_REQUEST_INTERVAL) {
                return false;
            }
            *last = Some(now);
        }
        let pli = PictureLossIndication {
            sender_ssrc: self.video.ssrc,
            media_ssrc: target.ssrc,
        };
        target.track.write_rtcp(vec![Box::new(pli)]).await.is_ok()
    }

    /// Tells this leg's browser that the viewer of its video can receive `bitrate` bits per
    /// second (a REMB about its incoming video). Without it the sender only learns of its
    /// own uplink, from the bridge's transport-cc feedback, and keeps sending what a viewer
    /// on a slower downlink then loses in a queue; with it the sender's encoder aims below
    /// that. `true` if it was sent.
    async fn relay_estimate(&self, bitrate: f32) -> bool {
        let Some(target) = lock(&self.remote_video).clone() else {
            return false;
        };
        let remb = ReceiverEstimatedMaximumBitrate {
            sender_ssrc: self.video.ssrc,
            bitrate,
            ssrcs: vec![target.ssrc],
        };
        target.track.write_rtcp(vec![Box::new(remb)]).await.is_ok()
    }

    pub(crate) fn is_connected(&self) -> bool {
        self.connected.load(Ordering::Acquire)
    }

    fn send_closed(&self) {
        if !self.closed_sent.swap(true, Ordering::AcqRel) {
            let _ = self.events.try_send(LegEvent::Closed);
        }
    }

    /// Closes the peer connection (once) and gives its port back. The forwarding tasks end
    /// on their own: closing ends every track's event stream.
    pub(crate) async fn close(&self) {
        if self.closing.swap(true, Ordering::AcqRel) {
            return;
        }
        self.connected.store(false, Ordering::Release);
        self.send_closed();
        if let Err(e) = self.pc.close().await {
            tracing::debug!(call = self.call, role = ?self.role, error = %e, "closing leg");
        }
        lock(&self.port).take();
    }

    pub(crate) fn port(&self) -> Option<u16> {
        lock(&self.port).as_ref().map(PortLease::port)
    }
}

/// Leases a port and builds a peer connection bound to it on every bind address, trying
/// another port if the bind fails after all.
async fn build_peer_connection(
    bridge: &Arc<Inner>,
    ice_servers: &[RTCIceServer],
    handler: Arc<LegHandler>,
) -> Result<(Arc<dyn PeerConnection>, PortLease), BridgeError> {
    let mut last_error = None;
    for _ in 0..BIND_ATTEMPTS {
        let lease = bridge
            .ports
            .lease(|port| ports::bindable(&bridge.ips, port))
            .ok_or(BridgeError::NoFreePort {
                first: bridge.ports.first(),
                last: bridge.ports.last(),
            })?;
        let addrs: Vec<SocketAddr> = bridge
            .ips
            .iter()
            .map(|ip| SocketAddr::new(*ip, lease.port()))
            .collect();
        match peer_connection(addrs, ice_servers, Arc::clone(&handler) as _).await {
            Ok(pc) => return Ok((pc, lease)),
            Err(e) => {
                tracing::warn!(port = lease.port(), error = %e, "building the peer connection failed");
                last_error = Some(e);
            }
        }
    }
    Err(last_error.map_or(
        BridgeError::NoFreePort {
            first: bridge.ports.first(),
            last: bridge.ports.last(),
        },
        BridgeError::WebRtc,
    ))
}

async fn peer_connection(
    addrs: Vec<SocketAddr>,
    ice_servers: &[RTCIceServer],
    handler: Arc<dyn PeerConnectionEventHandler>,
) -> Result<Arc<dyn PeerConnection>, webrtc::error::Error> {
    let mut media_engine = MediaEngine::default();
    media_engine.register_codec(
        RTCRtpCodecParameters {
            rtp_codec: opus(),
            payload_type: 111,
        },
        RtpCodecKind::Audio,
    )?;
    media_engine.register_codec(
        RTCRtpCodecParameters {
            rtp_codec: vp8(),
            payload_type: 96,
        },
        RtpCodecKind::Video,
    )?;
    // NACK (generator and responder), transport-cc feedback to the browsers' senders, and
    // sender/receiver reports, each per hop: the bridge terminates RTCP on both legs. This is
    // the library's `register_default_interceptors` with a shorter retransmission history.
    // goog-remb on top: the bridge sends no transport-wide sequence numbers, so a browser
    // viewing estimates its downlink itself and reports it by REMB, which
    // `watch_video_feedback` weighs with the loss it reports for the sender of that video.
    for (typ, parameter) in [
        (TYPE_RTCP_FB_NACK, ""),
        (TYPE_RTCP_FB_NACK, "pli"),
        (TYPE_RTCP_FB_GOOG_REMB, ""),
    ] {
        media_engine.register_feedback(
            RTCPFeedback {
                typ: typ.to_owned(),
                parameter: parameter.to_owned(),
            },
            RtpCodecKind::Video,
        );
    }
    let registry = Registry::new()
        .with(
            Slot::NackResponder,
            NackResponderBuilder::new().with_size(NACK_HISTORY).build(),
        )
        .with(Slot::NackGenerator, NackGeneratorBuilder::new().build());
    configure_simulcast_extension_headers(&mut media_engine)?;
    let registry = configure_twcc_receiver_only(registry, &mut media_engine)?;
    let registry = configure_rtcp_reports(registry)
        .with(Slot::from(feedback::SLOT), FeedbackMarker::default());
    // mDNS off: the bridge never needs it, and with it on, building a connection fails in a
    // network namespace that has only loopback ("No such device" joining the multicast group).
    let setting_engine = SettingEngineBuilder::new()
        .with_multicast_dns_mode(MulticastDnsMode::Disabled)
        .build();
    let configuration = RTCConfigurationBuilder::new()
        .with_ice_servers(ice_servers.to_vec())
        .build();
    let pc = PeerConnectionBuilder::new()
        .with_configuration(configuration)
        .with_media_engine(media_engine)
        .with_interceptor_registry(registry)
        .with_setting_engine(setting_engine)
        .with_handler(handler)
        .with_udp_addrs(addrs)
        .build()
        .await?;
    Ok(Arc::new(pc))
}

/// Adds the outgoing tracks, applies the offer and answers it.
async fn negotiate(
    pc: &Arc<dyn PeerConnection>,
    params: &LegParams<'_>,
    offer: RTCSessionDescription,
    handler: &LegHandler,
) -> Result<(String, Outbound, Outbound), BridgeError> {
    // One stream id for both tracks: the page shows `event.streams[0]` and expects the
    // other participant's audio and video in it together.
    let stream_id = format!(
        "vappoint-{}-{}",
        params.call,
        role_name(params.role.other())
    );
    let audio_ssrc = random_ssrc(0);
    let video_ssrc = random_ssrc(audio_ssrc);
    let audio_track = outgoing_track(&stream_id, params.id, RtpCodecKind::Audio, audio_ssrc);
    let video_track = outgoing_track(&stream_id, params.id, RtpCodecKind::Video, video_ssrc);
    // Before the offer is applied, so the answer re-uses these transceivers for the offered
    // sections and comes out sendrecv instead of recvonly.
    let audio_sender = pc.add_track(Arc::clone(&audio_track) as _).await?;
    let video_sender = pc.add_track(Arc::clone(&video_track) as _).await?;

    pc.set_remote_description(offer)
        .await
        .map_err(|e| BridgeError::BadSdp(e.to_string()))?;
    let answer = pc.create_answer(None).await?;
    if let Some(mid) = candidate::first_mid(&answer.sdp) {
        let _ = handler.mid.set(mid);
    }
    pc.set_local_description(answer.clone()).await?;
    let answer_sdp = pc.local_description().await.map_or(answer.sdp, |d| d.sdp);

    let audio = Outbound {
        codecs: negotiated_codecs(pc, &audio_sender).await?,
        track: audio_track,
        ssrc: audio_ssrc,
        rewriter: Mutex::new(StreamRewriter::new(48000)),
        sent_bytes: AtomicU64::new(0),
    };
    let video = Outbound {
        codecs: negotiated_codecs(pc, &video_sender).await?,
        track: video_track,
        ssrc: video_ssrc,
        rewriter: Mutex::new(StreamRewriter::new(90000)),
        sent_bytes: AtomicU64::new(0),
    };
    Ok((answer_sdp, audio, video))
}

fn role_name(role: Role) -> &'static str {
    match role {
        Role::Officer => "officer",
        Role::Citizen => "citizen",
    }
}

fn outgoing_track(
    stream_id: &str,
    leg_id: u64,
    kind: RtpCodecKind,
    ssrc: u32,
) -> Arc<TrackLocalStaticRTP> {
    let (name, codec) = match kind {
        RtpCodecKind::Video => ("video", vp8()),
        _ => ("audio", opus()),
    };
    // The track id must not collide with the id of a track the browser sends on the same
    // connection: webrtc routes RTCP by track id and looks at remote tracks first.
    Arc::new(TrackLocalStaticRTP::new(MediaStreamTrack::new(
        stream_id.to_owned(),
        format!("vappoint-bridge-{leg_id}-{name}"),
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

/// The codecs the answer settled on for `sender`'s media section, or none when that section
/// does not send (the browser offered no such media, or rejected it).
async fn negotiated_codecs(
    pc: &Arc<dyn PeerConnection>,
    sender: &Arc<dyn RtpSender>,
) -> Result<Vec<RTCRtpCodecParameters>, BridgeError> {
    let mut sends = false;
    for transceiver in pc.get_transceivers().await {
        let Ok(Some(s)) = transceiver.sender().await else {
            continue;
        };
        if s.id() == sender.id() {
            sends = matches!(
                transceiver.current_direction().await?,
                RTCRtpTransceiverDirection::Sendrecv | RTCRtpTransceiverDirection::Sendonly
            );
        }
    }
    if !sends {
        return Ok(Vec::new());
    }
    Ok(sender.get_parameters().await?.rtp_parameters.codecs)
}

/// Reads one incoming track of `leg` and forwards its RTP to the other leg of the call.
async fn forward_track(bridge: Weak<Inner>, leg: Arc<Leg>, track: Arc<dyn TrackRemote>) {
    let kind = track.kind().await;
    let Some(index) = kind_index(kind) else {
        return;
    };
    if std::mem::replace(&mut lock(&leg.forwarding)[index], true) {
        tracing::warn!(call = leg.call, role = ?leg.role, %kind, "ignoring a second incoming track of the same kind");
        return;
    }
    if kind == RtpCodecKind::Video
        && let Some(ssrc) = track.ssrcs().await.first().copied()
    {
        *lock(&leg.remote_video) = Some(RemoteVideo {
            track: Arc::clone(&track),
            ssrc,
        });
    }
    let from_codecs = leg
        .outbound(kind)
        .map(|o| o.codecs.clone())
        .unwrap_or_default();
    while let Some(event) = track.poll().await {
        let packet = match event {
            TrackRemoteEvent::OnRtpPacket(packet) => packet,
            TrackRemoteEvent::OnEnded => break,
            _ => continue,
        };
        // Padding-only packets (the browser's bandwidth probes, sent on the media SSRC as no
        // RTX is negotiated) are forwarded too, with an empty payload: dropping them would
        // leave holes in the outgoing sequence numbers, which the viewer would take for loss
        // and answer with NACKs nobody can serve, and then a keyframe request.
        let Some(bridge) = bridge.upgrade() else {
            break;
        };
        let Some((peer, counters)) = bridge.peer_of(&leg) else {
            continue;
        };
        drop(bridge);
        if peer.forward(kind, &from_codecs, packet).await {
            counters.count_forwarded(leg.role);
        }
    }
    if kind == RtpCodecKind::Video {
        *lock(&leg.remote_video) = None;
    }
    lock(&leg.forwarding)[index] = false;
}

/// Reads the feedback the browser of `leg` sends about the video it receives and passes it
/// on to the browser that produces that video: keyframe requests as a PLI; its bitrate
/// estimate and loss reports, through `leg.downlink`, as a REMB of the bridge's.
async fn watch_video_feedback(bridge: Weak<Inner>, leg: Arc<Leg>) {
    while let Some(event) = leg.video.track.poll().await {
        let TrackLocalEvent::OnRtcpPacket(packets) = event else {
            continue;
        };
        let keyframe = packets
            .iter()
            .any(|p| feedback::is_keyframe_request(p.as_ref()));
        // The last of each in a compound packet is the newest.
        let remb = packets
            .iter()
            .filter_map(|p| feedback::estimated_bitrate(p.as_ref()))
            .next_back();
        let totals = packets
            .iter()
            .filter_map(|p| feedback::video_totals(p.as_ref()))
            .next_back();
        if !keyframe && remb.is_none() && totals.is_none() {
            continue;
        }
        let target = (remb.is_some() || totals.is_some()).then(|| {
            let mut downlink = lock(&leg.downlink);
            if let Some(bitrate) = remb {
                downlink.on_remb(bitrate);
            }
            if let Some((lost, highest_seq)) = totals {
                let sent = leg.video.sent_bytes.load(Ordering::Relaxed);
                downlink.on_report(lost, highest_seq, sent, Instant::now());
            }
            let target = downlink.target();
            tracing::debug!(call = leg.call, viewer = ?leg.role, ?remb, ?totals, target, "downlink estimate");
            target
        });
        let Some(bridge) = bridge.upgrade() else {
            break;
        };
        let Some((peer, counters)) = bridge.peer_of(&leg) else {
            continue;
        };
        drop(bridge);
        if keyframe && peer.request_keyframe().await {
            counters.count_keyframe_request();
        }
        if let Some(bitrate) = target
            && peer.relay_estimate(bitrate).await
        {
            counters.count_estimate_relayed();
        }
    }
}

/// The peer connection's callbacks for one leg.
struct LegHandler {
    bridge: Weak<Inner>,
    /// Set once the leg exists, right after negotiation and before the answer is returned.
    leg: OnceLock<Weak<Leg>>,
    events: mpsc::Sender<LegEvent>,
    /// The answer's first MID, for the candidates handed to the browser.
    mid: OnceLock<String>,
    public_ip: Option<IpAddr>,
    public_sent: AtomicBool,
}

impl LegHandler {
    fn leg(&self) -> Option<Arc<Leg>> {
        self.leg.get().and_then(Weak::upgrade)
    }

    fn emit(&self, event: LegEvent) {
        if let Err(e) = self.events.try_send(event) {
            tracing::debug!(error = %e, "leg event dropped");
        }
    }

    fn emit_candidate(&self, c: &webrtc::peer_connection::RTCIceCandidate) {
        if let Some(c) = candidate::from_rtc(c, self.mid.get().map(String::as_str)) {
            self.emit(LegEvent::Candidate(c));
        }
    }
}

#[async_trait::async_trait]
impl PeerConnectionEventHandler for LegHandler {
    async fn on_ice_candidate(&self, event: RTCPeerConnectionIceEvent) {
        self.emit_candidate(&event.candidate);
        // Every bind address of a leg has the same port, so one public candidate covers them
        // all; it goes out right after the first host candidate of its address family.
        if let Some(public_ip) = self.public_ip
            && let Some(public) = candidate::public_candidate(&event.candidate, public_ip)
            && !self.public_sent.swap(true, Ordering::AcqRel)
        {
            self.emit_candidate(&public);
        }
    }

    async fn on_ice_gathering_state_change(&self, state: RTCIceGatheringState) {
        if state == RTCIceGatheringState::Complete {
            self.emit(LegEvent::GatheringComplete);
        }
    }

    async fn on_connection_state_change(&self, state: RTCPeerConnectionState) {
        let leg = self.leg();
        if let Some(leg) = &leg {
            match state {
                RTCPeerConnectionState::Connected => leg.connected.store(true, Ordering::Release),
                RTCPeerConnectionState::Failed | RTCPeerConnectionState::Closed => {
                    leg.connected.store(false, Ordering::Release)
                }
                _ => {}
            }
        }
        match state {
            RTCPeerConnectionState::Connected => {
                self.emit(LegEvent::Connected);
                // A participant who joins (or comes back) while the other is already
                // sending would otherwise wait for the next periodic keyframe, if any:
                // ask for one now.
                if let (Some(leg), Some(bridge)) = (leg, self.bridge.upgrade())
                    && let Some((peer, _)) = bridge.peer_of(&leg)
                {
                    tokio::spawn(async move {
                        peer.request_keyframe().await;
                    });
                }
            }
            RTCPeerConnectionState::Failed => self.emit(LegEvent::Failed),
            RTCPeerConnectionState::Closed => match leg {
                Some(leg) => leg.send_closed(),
                None => self.emit(LegEvent::Closed),
            },
            _ => {}
        }
    }

    async fn on_track(&self, track: Arc<dyn TrackRemote>) {
        match self.leg() {
            Some(leg) => {
                tokio::spawn(forward_track(self.bridge.clone(), leg, track));
            }
            None => tracing::warn!("track opened on a leg that is gone"),
        }
    }
}
