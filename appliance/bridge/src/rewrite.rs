//! The per-packet rewriting of forwarded RTP: SSRC, payload type, sequence numbers and
//! timestamps, header extensions. Pure functions and state, no I/O.
//!
//! A browser's packet cannot be written to the other leg as it came:
//! - its SSRC is the browser's, but the outgoing track has its own (the sender rejects others);
//! - its payload type is the one negotiated on the incoming leg, and the other browser may
//!   have offered the same codec under another number (Chrome VP8 = 96, Firefox VP8 = 120); a
//!   payload type the outgoing leg did not negotiate is rejected by the sender without an
//!   error reaching the caller;
//! - its header extensions (transport-cc sequence numbers, MID, RID) belong to the incoming
//!   transport, their ids were negotiated on that leg only, and the sender rejects ids it did
//!   not negotiate;
//! - when a participant reconnects, a new incoming stream (new SSRC, random sequence and
//!   timestamp bases) replaces the old one on the same outgoing SSRC, and the viewer's jitter
//!   buffer must see a continuous stream, not a jump.

use std::time::Instant;

use rtc::rtp::header::Header;
use rtc::rtp_transceiver::rtp_sender::RTCRtpCodecParameters;

/// Whether two negotiated codecs are the same codec (payload types aside). Channels 0 and 1
/// both mean mono/not applicable in SDP, so they compare equal.
fn same_codec(a: &RTCRtpCodecParameters, b: &RTCRtpCodecParameters) -> bool {
    let (a, b) = (&a.rtp_codec, &b.rtp_codec);
    a.mime_type.eq_ignore_ascii_case(&b.mime_type)
        && a.clock_rate == b.clock_rate
        && a.channels.max(1) == b.channels.max(1)
}

/// The payload type to use on the outgoing leg for a packet that arrived with `incoming_pt`:
/// find the codec that number stands for on the incoming leg, then that codec's number on the
/// outgoing leg. `None` if either leg did not negotiate it (the packet cannot be forwarded).
pub(crate) fn map_payload_type(
    incoming_pt: u8,
    incoming_codecs: &[RTCRtpCodecParameters],
    outgoing_codecs: &[RTCRtpCodecParameters],
) -> Option<u8> {
    let codec = incoming_codecs
        .iter()
        .find(|c| c.payload_type == incoming_pt)?;
    outgoing_codecs
        .iter()
        .find(|c| same_codec(c, codec))
        .map(|c| c.payload_type)
}

/// Removes every header extension (see the module comment for why none can be forwarded) and
/// the padding flag (the payload handed over is already without padding).
pub(crate) fn strip_transport_fields(header: &mut Header) {
    header.extension = false;
    header.extension_profile = 0;
    header.extensions.clear();
    header.extensions_padding = 0;
    header.padding = false;
}

/// Continuity of one outgoing stream across changes of its source.
///
/// Each outgoing track keeps one SSRC for the life of its leg. While the source stays the
/// same, sequence numbers and timestamps are shifted by a constant (so the receiver's loss
/// detection, NACKs and jitter estimate see exactly what the sender produced). When a new
/// source appears (the other participant reconnected), the shift is recomputed so the first
/// packet of the new source follows the last one sent: sequence number + 1, timestamp advanced
/// by the wall-clock time in between (at least one tick), as if the old source had paused.
#[derive(Debug)]
pub(crate) struct StreamRewriter {
    clock_rate: u32,
    state: Option<RewriteState>,
}

#[derive(Debug, Clone, Copy)]
struct RewriteState {
    source_ssrc: u32,
    seq_delta: u16,
    ts_delta: u32,
    /// Highest (in RTP wrap-around order) sequence number and timestamp sent, and when.
    last_seq: u16,
    last_ts: u32,
    last_at: Instant,
}

impl StreamRewriter {
    pub(crate) fn new(clock_rate: u32) -> StreamRewriter {
        StreamRewriter {
            clock_rate: clock_rate.max(1),
            state: None,
        }
    }

    /// Rewrites `header` (from source `header.ssrc`, seen at `now`) in place to go out as
    /// `out_ssrc` with `out_pt`.
    pub(crate) fn rewrite(&mut self, header: &mut Header, out_ssrc: u32, out_pt: u8, now: Instant) {
        let (seq, ts) = (header.sequence_number, header.timestamp);
        let state = match self.state {
            Some(s) if s.source_ssrc == header.ssrc => s,
            Some(prev) => {
                // A new source: continue right after what was sent last.
                let elapsed = now.saturating_duration_since(prev.last_at);
                let ticks = (elapsed.as_micros() * u128::from(self.clock_rate) / 1_000_000)
                    .clamp(1, u128::from(u32::MAX / 2)) as u32;
                RewriteState {
                    source_ssrc: header.ssrc,
                    seq_delta: prev.last_seq.wrapping_add(1).wrapping_sub(seq),
                    ts_delta: prev.last_ts.wrapping_add(ticks).wrapping_sub(ts),
                    last_seq: prev.last_seq,
                    last_ts: prev.last_ts,
                    last_at: prev.last_at,
                }
            }
            None => RewriteState {
                // The first source passes through unshifted; a receiver never saw this
                // outgoing SSRC before, so any base is as good as another.
                source_ssrc: header.ssrc,
                seq_delta: 0,
                ts_delta: 0,
                last_seq: seq.wrapping_sub(1),
                last_ts: ts,
                last_at: now,
            },
        };
        let out_seq = seq.wrapping_add(state.seq_delta);
        let out_ts = ts.wrapping_add(state.ts_delta);
        let mut next = state;
        // Late (reordered or retransmitted) packets keep their place but do not move the
        // high-water mark a future source change continues from.
        if (out_seq.wrapping_sub(state.last_seq) as i16) > 0 {
            next.last_seq = out_seq;
            next.last_at = now;
        }
        if (out_ts.wrapping_sub(state.last_ts) as i32) > 0 {
            next.last_ts = out_ts;
        }
        self.state = Some(next);

        header.sequence_number = out_seq;
        header.timestamp = out_ts;
        header.ssrc = out_ssrc;
        header.payload_type = out_pt;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;
    use rtc::rtp::header::Extension;
    use rtc::rtp_transceiver::rtp_sender::RTCRtpCodec;
    use std::time::Duration;

    fn codec(pt: u8, mime: &str, clock_rate: u32, channels: u16) -> RTCRtpCodecParameters {
        RTCRtpCodecParameters {
            rtp_codec: RTCRtpCodec {
                mime_type: mime.into(),
                clock_rate,
                channels,
                ..Default::default()
            },
            payload_type: pt,
        }
    }

    fn chrome() -> Vec<RTCRtpCodecParameters> {
        vec![
            codec(111, "audio/opus", 48000, 2),
            codec(96, "video/VP8", 90000, 0),
        ]
    }

    fn firefox() -> Vec<RTCRtpCodecParameters> {
        vec![
            codec(109, "audio/opus", 48000, 2),
            codec(120, "video/vp8", 90000, 0),
        ]
    }

    #[test]
    fn payload_types_map_by_codec_not_by_number() {
        assert_eq!(map_payload_type(96, &chrome(), &firefox()), Some(120));
        assert_eq!(map_payload_type(120, &firefox(), &chrome()), Some(96));
        assert_eq!(map_payload_type(111, &chrome(), &firefox()), Some(109));
        assert_eq!(map_payload_type(111, &chrome(), &chrome()), Some(111));
    }

    #[test]
    fn unknown_or_unnegotiated_payload_types_do_not_map() {
        // Not negotiated on the incoming leg.
        assert_eq!(map_payload_type(100, &chrome(), &firefox()), None);
        // Negotiated there, but the outgoing leg has no VP8.
        let audio_only = vec![codec(111, "audio/opus", 48000, 2)];
        assert_eq!(map_payload_type(96, &chrome(), &audio_only), None);
        // Same name, different clock rate: not the same codec.
        let odd = vec![codec(97, "video/VP8", 45000, 0)];
        assert_eq!(map_payload_type(96, &chrome(), &odd), None);
    }

    #[test]
    fn mono_and_unspecified_channels_are_the_same() {
        let a = vec![codec(0, "audio/PCMU", 8000, 0)];
        let b = vec![codec(0, "audio/pcmu", 8000, 1)];
        assert_eq!(map_payload_type(0, &a, &b), Some(0));
    }

    #[test]
    fn transport_fields_are_stripped() {
        let mut h = Header {
            extension: true,
            extension_profile: 0xBEDE,
            extensions: vec![Extension {
                id: 3,
                payload: Bytes::from_static(&[0, 1]),
            }],
            padding: true,
            ..Default::default()
        };
        strip_transport_fields(&mut h);
        assert!(!h.extension && !h.padding);
        assert!(h.extensions.is_empty());
        assert_eq!(h.extension_profile, 0);
    }

    fn header(ssrc: u32, seq: u16, ts: u32) -> Header {
        Header {
            version: 2,
            ssrc,
            sequence_number: seq,
            timestamp: ts,
            payload_type: 96,
            ..Default::default()
        }
    }

    fn run(r: &mut StreamRewriter, ssrc: u32, seq: u16, ts: u32, now: Instant) -> (u16, u32) {
        let mut h = header(ssrc, seq, ts);
        r.rewrite(&mut h, 0xABCD, 120, now);
        assert_eq!((h.ssrc, h.payload_type), (0xABCD, 120));
        (h.sequence_number, h.timestamp)
    }

    #[test]
    fn one_source_passes_through_with_ssrc_and_pt_replaced() {
        let t0 = Instant::now();
        let mut r = StreamRewriter::new(90000);
        assert_eq!(run(&mut r, 1, 500, 9000, t0), (500, 9000));
        assert_eq!(run(&mut r, 1, 501, 12000, t0), (501, 12000));
        // Reordered packet: same shift, in place.
        assert_eq!(run(&mut r, 1, 499, 6000, t0), (499, 6000));
        // Wrap-around of the source's sequence numbers.
        assert_eq!(run(&mut r, 1, 65535, 15000, t0), (65535, 15000));
    }

    #[test]
    fn a_new_source_continues_the_outgoing_stream() {
        let t0 = Instant::now();
        let mut r = StreamRewriter::new(90000);
        run(&mut r, 1, 65534, 1_000, t0);
        run(&mut r, 1, 65535, 4_000, t0 + Duration::from_millis(33));
        // The participant reconnects two seconds later: a new SSRC with random bases.
        let t1 = t0 + Duration::from_millis(2033);
        let (seq, ts) = run(&mut r, 2, 17, 777_777, t1);
        assert_eq!(seq, 0, "the sequence number wraps to follow 65535");
        assert_eq!(
            ts,
            4_000 + 2 * 90000,
            "the timestamp advances with the pause"
        );
        // And the new source keeps its own spacing after that.
        assert_eq!(run(&mut r, 2, 18, 780_777, t1), (1, ts + 3000));
    }

    #[test]
    fn a_new_source_at_the_same_instant_still_moves_the_timestamp() {
        let t0 = Instant::now();
        let mut r = StreamRewriter::new(48000);
        run(&mut r, 1, 10, 960, t0);
        let (seq, ts) = run(&mut r, 2, 1000, 5, t0);
        assert_eq!((seq, ts), (11, 961));
    }

    #[test]
    fn switching_back_to_an_earlier_source_also_continues() {
        let t0 = Instant::now();
        let mut r = StreamRewriter::new(90000);
        run(&mut r, 1, 100, 100, t0);
        run(&mut r, 2, 5000, 5000, t0);
        let (seq, _) = run(&mut r, 1, 101, 3100, t0);
        assert_eq!(seq, 102);
    }
}
