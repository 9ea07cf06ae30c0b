//! Getting a viewer's feedback about the video it receives to the bridge: keyframe requests
//! (PLI, FIR), its estimate of its downlink (REMB) and how much of that video it lost
//! (receiver report blocks), for the browser that sends that video (see `estimate`).
//!
//! In webrtc 0.21.1 inbound RTCP is consumed by the interceptor chain (reports, NACK) and
//! stops at its end unless an interceptor marks a packet `DeliverToApplication`. This one,
//! placed last, keeps only the relayed parts of each compound packet and marks them. The
//! core then routes them by media SSRC to the local track they are about, where the bridge
//! reads them with `TrackLocal::poll` (see the `leg` module). Filtering before the routing
//! matters: the core routes a compound packet by its first part, which in a browser's
//! compound is the receiver report, not the PLI.

use std::collections::{HashSet, VecDeque};
use std::time::Instant;

use rtc::interceptor::{Attribute, Interceptor, Packet, StreamInfo, TaggedPacket};
use rtc::rtcp::payload_feedbacks::full_intra_request::FullIntraRequest;
use rtc::rtcp::payload_feedbacks::picture_loss_indication::PictureLossIndication;
use rtc::rtcp::payload_feedbacks::receiver_estimated_maximum_bitrate::ReceiverEstimatedMaximumBitrate;
use rtc::rtcp::receiver_report::ReceiverReport;
use rtc::rtcp::reception_report::ReceptionReport;
use rtc::rtcp::sender_report::SenderReport;
use rtc::sansio::Protocol;
use rtc::shared::error::Error;

/// The registry position: after every built-in interceptor, so they all see the full RTCP.
pub(crate) const SLOT: usize = 14_000;

/// Whether an RTCP packet asks for a keyframe.
pub(crate) fn is_keyframe_request(packet: &dyn rtc::rtcp::Packet) -> bool {
    let any = packet.as_any();
    any.is::<PictureLossIndication>() || any.is::<FullIntraRequest>()
}

/// The viewer's estimate of the bitrate it can receive (REMB), in bits per second.
pub(crate) fn estimated_bitrate(packet: &dyn rtc::rtcp::Packet) -> Option<f32> {
    packet
        .as_any()
        .downcast_ref::<ReceiverEstimatedMaximumBitrate>()
        .map(|remb| remb.bitrate)
}

/// The viewer's running totals in a report the marker passed on (which only keeps report
/// blocks about the bridge's own video): packets lost, and the highest sequence number seen.
pub(crate) fn video_totals(packet: &dyn rtc::rtcp::Packet) -> Option<(u32, u32)> {
    packet
        .as_any()
        .downcast_ref::<ReceiverReport>()
        .and_then(|rr| rr.reports.first())
        .map(|block| (block.total_lost, block.last_sequence_number))
}

fn is_relayed(packet: &dyn rtc::rtcp::Packet) -> bool {
    is_keyframe_request(packet) || estimated_bitrate(packet).is_some()
}

/// Passes inbound PLI, FIR and REMB on to the application, and the report blocks about the
/// bridge's outgoing video (as one receiver report, whichever report carried them), and
/// drops all other inbound RTCP (which the interceptors before it have already acted on).
/// Outbound traffic is untouched.
#[derive(Default)]
pub(crate) struct FeedbackMarker {
    /// The SSRCs of this connection's outgoing video: only their report blocks are passed
    /// on (no one reads the audio track's RTCP).
    video_ssrcs: HashSet<u32>,
    reads: VecDeque<TaggedPacket>,
    writes: VecDeque<TaggedPacket>,
}

impl Protocol<TaggedPacket, TaggedPacket, ()> for FeedbackMarker {
    type Rout = TaggedPacket;
    type Wout = TaggedPacket;
    type Eout = ();
    type Error = Error;
    type Time = Instant;

    fn handle_read(&mut self, mut msg: TaggedPacket) -> Result<(), Error> {
        if let Packet::Rtcp(packets) = &msg.message.packet {
            let mut relayed: Vec<Box<dyn rtc::rtcp::Packet>> = packets
                .iter()
                .filter(|p| is_relayed(p.as_ref()))
                .cloned()
                .collect();
            if let Some(rr) = self.video_blocks(packets) {
                // First: the core routes the packet by its first part's media SSRC, and a
                // report block names the video's.
                relayed.insert(0, Box::new(rr));
            }
            if relayed.is_empty() {
                return Ok(());
            }
            msg.message.packet = Packet::Rtcp(relayed);
            msg.message.add(Attribute::DeliverToApplication);
        }
        self.reads.push_back(msg);
        Ok(())
    }

    fn poll_read(&mut self) -> Option<TaggedPacket> {
        self.reads.pop_front()
    }

    fn handle_write(&mut self, msg: TaggedPacket) -> Result<(), Error> {
        self.writes.push_back(msg);
        Ok(())
    }

    fn poll_write(&mut self) -> Option<TaggedPacket> {
        self.writes.pop_front()
    }
}

impl FeedbackMarker {
    /// The report blocks of `packets` (receiver or sender reports) about outgoing video.
    fn video_blocks(&self, packets: &[Box<dyn rtc::rtcp::Packet>]) -> Option<ReceiverReport> {
        let mut reporter = 0;
        let mut blocks: Vec<ReceptionReport> = Vec::new();
        for p in packets {
            let any = p.as_any();
            let (ssrc, reports) = if let Some(rr) = any.downcast_ref::<ReceiverReport>() {
                (rr.ssrc, &rr.reports)
            } else if let Some(sr) = any.downcast_ref::<SenderReport>() {
                (sr.ssrc, &sr.reports)
            } else {
                continue;
            };
            for block in reports {
                if self.video_ssrcs.contains(&block.ssrc) {
                    reporter = ssrc;
                    blocks.push(block.clone());
                }
            }
        }
        (!blocks.is_empty()).then(|| ReceiverReport {
            ssrc: reporter,
            reports: blocks,
            ..Default::default()
        })
    }
}

impl Interceptor for FeedbackMarker {
    fn bind_local_stream(&mut self, info: &StreamInfo) {
        if info.mime_type.to_ascii_lowercase().starts_with("video/") {
            self.video_ssrcs.insert(info.ssrc);
        }
    }
    fn unbind_local_stream(&mut self, info: &StreamInfo) {
        self.video_ssrcs.remove(&info.ssrc);
    }
    fn bind_remote_stream(&mut self, _info: &StreamInfo) {}
    fn unbind_remote_stream(&mut self, _info: &StreamInfo) {}
}

#[cfg(test)]
mod tests {
    use super::*;
    use rtc::rtcp::receiver_report::ReceiverReport;

    #[test]
    fn recognises_keyframe_requests_and_estimates() {
        let pli = PictureLossIndication {
            sender_ssrc: 1,
            media_ssrc: 2,
        };
        let fir = FullIntraRequest {
            sender_ssrc: 1,
            media_ssrc: 2,
            fir: vec![],
        };
        let rr = ReceiverReport::default();
        let remb = ReceiverEstimatedMaximumBitrate {
            sender_ssrc: 1,
            bitrate: 300_000.0,
            ssrcs: vec![2],
        };
        assert!(is_keyframe_request(&pli));
        assert!(is_keyframe_request(&fir));
        assert!(!is_keyframe_request(&rr));
        assert!(!is_keyframe_request(&remb));
        assert_eq!(estimated_bitrate(&remb), Some(300_000.0));
        assert_eq!(estimated_bitrate(&pli), None);
        assert!(is_relayed(&remb) && is_relayed(&pli) && !is_relayed(&rr));
    }
}
