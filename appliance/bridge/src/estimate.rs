//! What the bridge tells a browser it may send, from what the viewer of that browser's video
//! reports about its downlink.
//!
//! Two reports arrive from the viewer: its own delay-based estimate (REMB), and the share of
//! the bridge's packets it lost (receiver reports). Either alone misleads on a mobile link:
//! - the receive-side delay estimate takes jitter for a queue, and on a link whose delay
//!   swings by 80 ms it falls to a few tens of kbit/s while every packet still arrives;
//! - loss alone also counts radio losses that no lower rate would avoid.
//!
//! A link that is really too slow shows both: its queue grows (the REMB falls) and then
//! overflows (packets are lost). So the sender is held to the higher of the two: the REMB,
//! and a loss-based rate with the thresholds of Google's congestion control: under 2 % loss
//! it grows 8 % a second; over 10 % it falls to what got through (the rate sent times
//! 1 - loss: on a full link, its capacity); in between it holds. Loss is counted over a
//! second or more from the reports' running totals: a browser reports several times a
//! second, and one lost packet in a report of ten would read as 10 %.
//! Pure: the caller passes the time and the bytes sent.

use std::time::{Duration, Instant};

/// Where the loss-based rate starts and how high it goes: above anything a call page sends
/// (500 kbit/s of video), so until loss says otherwise it holds no one back.
pub(crate) const CEILING: f32 = 2_500_000.0;
/// The least the bridge ever asks for: enough for a small, slow picture.
pub(crate) const FLOOR: f32 = 60_000.0;
/// The shortest stretch loss is counted over.
const WINDOW: Duration = Duration::from_secs(1);

/// A viewer's running totals at one report, and the bytes sent to it by then.
#[derive(Debug, Clone, Copy)]
struct Totals {
    at: Instant,
    lost: u32,
    highest_seq: u32,
    sent_bytes: u64,
}

/// Bitrate reports about one viewer's downlink, for the sender of what it views.
#[derive(Debug)]
pub(crate) struct DownlinkEstimate {
    loss_based: f32,
    remb: Option<f32>,
    /// Where the current loss window began.
    since: Option<Totals>,
}

impl Default for DownlinkEstimate {
    fn default() -> Self {
        DownlinkEstimate {
            loss_based: CEILING,
            remb: None,
            since: None,
        }
    }
}

impl DownlinkEstimate {
    /// The viewer's own estimate (REMB), in bits per second.
    pub(crate) fn on_remb(&mut self, bitrate: f32) {
        self.remb = Some(bitrate);
    }

    /// A receiver report block about the video: the viewer's running total of packets lost
    /// and the highest (extended) sequence number it has seen, when `sent_bytes` of video
    /// had been sent to it in all.
    pub(crate) fn on_report(&mut self, lost: u32, highest_seq: u32, sent_bytes: u64, now: Instant) {
        let totals = Totals {
            at: now,
            lost,
            highest_seq,
            sent_bytes,
        };
        let Some(since) = self.since else {
            self.since = Some(totals);
            return;
        };
        let seconds = now.duration_since(since.at);
        if seconds < WINDOW {
            return;
        }
        self.since = Some(totals);
        let expected = highest_seq.wrapping_sub(since.highest_seq);
        if expected == 0 || expected > u32::from(u16::MAX) {
            return; // nothing new, or the viewer started counting afresh
        }
        // The running total can fall (duplicates are counted as received).
        let lost = (lost.wrapping_sub(since.lost) as i32).max(0) as f32;
        let loss = (lost / expected as f32).min(1.0);
        let seconds = seconds.as_secs_f32();
        if loss > 0.10 {
            let sent_rate = sent_bytes.saturating_sub(since.sent_bytes) as f32 * 8.0 / seconds;
            self.loss_based = self.loss_based.min(sent_rate * (1.0 - loss));
        } else if loss < 0.02 {
            // A longer gap (a browser in the background) grows it no more than two seconds do.
            self.loss_based *= 1.08_f32.powf(seconds.min(2.0));
        }
        self.loss_based = self.loss_based.clamp(FLOOR, CEILING);
    }

    /// What the sender may send: the higher of the two estimates (see the module's text).
    pub(crate) fn target(&self) -> f32 {
        self.remb
            .map_or(self.loss_based, |r| r.max(self.loss_based))
            .max(FLOOR)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A viewer of 50 packets a second, `kbit` kbit/s, reporting five times a second for as
    /// many seconds as `losses` has entries, each the share of that second's packets lost.
    struct Viewer {
        e: DownlinkEstimate,
        now: Instant,
        seq: u32,
        lost: u32,
        sent: u64,
    }

    impl Viewer {
        fn new() -> Viewer {
            let mut v = Viewer {
                e: DownlinkEstimate::default(),
                now: Instant::now(),
                seq: 1000,
                lost: 0,
                sent: 0,
            };
            v.e.on_report(0, v.seq, 0, v.now);
            v
        }

        fn seconds(&mut self, losses: &[f32], kbit: u64) {
            for &loss in losses {
                for _ in 0..5 {
                    self.now += Duration::from_millis(200);
                    self.seq += 10;
                    self.lost += (10.0 * loss).round() as u32;
                    self.sent += kbit * 1000 / 8 / 5;
                    self.e.on_report(self.lost, self.seq, self.sent, self.now);
                }
            }
        }
    }

    #[test]
    fn a_viewer_that_loses_nothing_holds_no_one_back_whatever_its_remb_says() {
        let mut v = Viewer::new();
        v.e.on_remb(37_000.0); // jitter taken for a queue
        v.seconds(&[0.0; 5], 500);
        assert_eq!(v.e.target(), CEILING);
    }

    #[test]
    fn a_link_too_slow_brings_the_sender_down_to_what_gets_through() {
        let mut v = Viewer::new();
        v.e.on_remb(250_000.0);
        // 540 kbit/s sent into a link of about 320: 40 % lost.
        v.seconds(&[0.4], 540);
        let first = v.e.target();
        assert!(
            (315_000.0..=330_000.0).contains(&first),
            "540 x (1 - 0.4) = 324k got through, got {first}"
        );
        // Still sending too much while the encoder adjusts: held near the link.
        v.seconds(&[0.3, 0.2], 420);
        assert!(
            (250_000.0..=330_000.0).contains(&v.e.target()),
            "near the link, got {}",
            v.e.target()
        );
    }

    #[test]
    fn one_lost_packet_in_a_short_report_is_not_ten_percent() {
        let mut v = Viewer::new();
        // 1 packet in 50 (2 %) over a second, reported in fifths.
        v.seconds(&[0.02], 500);
        assert_eq!(v.e.target(), CEILING);
    }

    #[test]
    fn moderate_loss_holds_and_a_clean_link_grows_back() {
        let mut v = Viewer::new();
        v.seconds(&[0.5], 500);
        let low = v.e.target();
        v.seconds(&[0.05, 0.05], 300);
        assert_eq!(v.e.target(), low, "5 % loss holds");
        v.seconds(&[0.0; 10], 300);
        assert!(
            v.e.target() > 2.0 * low,
            "ten clean seconds grow it 8 % each"
        );
    }

    #[test]
    fn it_never_asks_for_less_than_the_floor() {
        let mut v = Viewer::new();
        v.seconds(&[1.0; 30], 50);
        assert_eq!(v.e.target(), FLOOR);
    }
}
