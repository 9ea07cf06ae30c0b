//! The rules of a video call: its countdown (slot length, adjusted by the officer), the
//! warning before the end, what a waiting citizen is told about the queue, and the state a
//! call (or its absence) leaves the appointment in.

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;

use crate::AppointmentStatus;

/// The officer is warned this long before the end.
pub const WARNING_BEFORE: Duration = Duration::minutes(1);
/// Extensions the officer can give with one click, in minutes.
pub const EXTENSIONS: [i64; 2] = [2, 5];
/// A call never runs longer than this in all, whatever the extensions.
pub const MAX_CALL: Duration = Duration::minutes(60);
/// A citizen sent back to the waiting room keeps the time left, but gets at least this much
/// when called in again (sent back in the last seconds, a call of zero would end at once).
pub const MIN_RESUMED: Duration = Duration::minutes(1);

/// The countdown of a call that has started.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CallClock {
    pub started: DateTime<Utc>,
    /// The slot's length plus every adjustment, never below zero nor above `MAX_CALL`.
    pub length: Duration,
}

impl CallClock {
    pub fn new(started: DateTime<Utc>, slot_minutes: u16) -> CallClock {
        CallClock {
            started,
            length: Duration::minutes(i64::from(slot_minutes)),
        }
    }

    /// A call that resumes after the citizen was sent back: it gets the time that was left.
    pub fn resumed(started: DateTime<Utc>, left: Duration) -> CallClock {
        CallClock {
            started,
            length: resume_length(left),
        }
    }

    pub fn ends_at(&self) -> DateTime<Utc> {
        self.started + self.length
    }

    /// Adds (or, with a negative value, takes away) time; returns the new end. Time cannot be
    /// taken from before `now`, so shortening ends the call at once at most.
    pub fn adjust(&mut self, by: Duration, now: DateTime<Utc>) -> DateTime<Utc> {
        let floor = (now - self.started).max(Duration::zero());
        self.length = (self.length + by).clamp(floor, MAX_CALL);
        self.ends_at()
    }

    pub fn remaining(&self, now: DateTime<Utc>) -> Duration {
        (self.ends_at() - now).max(Duration::zero())
    }

    pub fn warning_at(&self) -> DateTime<Utc> {
        self.ends_at() - WARNING_BEFORE
    }
}

/// The length a call gets when it resumes with `left` of its time.
pub fn resume_length(left: Duration) -> Duration {
    left.clamp(MIN_RESUMED, MAX_CALL)
}

/// Who closed a call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EndedBy {
    Officer,
    Timer,
    Citizen,
}

impl EndedBy {
    pub fn as_str(self) -> &'static str {
        match self {
            EndedBy::Officer => "officer",
            EndedBy::Timer => "timer",
            EndedBy::Citizen => "citizen",
        }
    }
}

/// The final state a call leaves its appointment in. The officer closing the call (at any
/// time: they decide when the matter is dealt with) and the timer make it `Done`; the
/// citizen leaving while time was still left (`remaining` is `None` when the call never
/// connected) makes it `EndedEarly`.
pub fn after_call(by: EndedBy, remaining: Option<Duration>) -> AppointmentStatus {
    match by {
        EndedBy::Officer | EndedBy::Timer => AppointmentStatus::Done,
        EndedBy::Citizen if remaining == Some(Duration::zero()) => AppointmentStatus::Done,
        EndedBy::Citizen => AppointmentStatus::EndedEarly,
    }
}

/// How long after the end of their slot a citizen who checked in may still be called in. An
/// officer who runs late works through the queue, so the slot's end alone does not close it;
/// but a citizen must not be left in a waiting room that can never open, so some hours after
/// the slot the appointment is over: not called.
pub const CALL_IN_UNTIL: Duration = Duration::hours(3);

/// The status people see at `now`, on every page: the stored one, except that a booked
/// appointment whose slot is over without the citizen having checked in is a no-show, and one
/// where the citizen checked in but was never called in is `NotCalled` once `CALL_IN_UNTIL`
/// has passed after the slot.
///
/// The no-show is computed here, at read time, rather than written by a background sweep:
/// it is a pure function of facts the database already holds (the slot's end, the check-in),
/// so every page shows it at the same moment without a task that could lag, miss a run while
/// the box was off, or race a late check-in; and it cannot flip back, because a token can no
/// longer be tried once the slot is over (`token::may_try`) and a booking can no longer be
/// moved. Only the call's own end, which no clock can infer, is written (`after_call`).
pub fn status_at(
    stored: AppointmentStatus,
    end: DateTime<Utc>,
    checked_in: bool,
    now: DateTime<Utc>,
) -> AppointmentStatus {
    match stored {
        AppointmentStatus::Booked if !checked_in && now >= end => AppointmentStatus::NoShow,
        AppointmentStatus::Booked if checked_in && now >= end + CALL_IN_UNTIL => {
            AppointmentStatus::NotCalled
        }
        s => s,
    }
}

/// How a citizen on the officer's list stands at `now`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Presence {
    /// In the waiting room now.
    Waiting,
    /// Checked in earlier but not connected now (closed the page, lost signal).
    Away,
    /// Not arrived, and the slot has started.
    Late,
    /// Not arrived, and the slot is over.
    NoShow,
    /// Not arrived; the slot is still ahead.
    Expected,
}

pub fn presence(
    now: DateTime<Utc>,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    checked_in: bool,
    connected: bool,
) -> Presence {
    match (connected, checked_in) {
        (true, _) => Presence::Waiting,
        (false, true) => Presence::Away,
        (false, false) if now >= end => Presence::NoShow,
        (false, false) if now >= start => Presence::Late,
        _ => Presence::Expected,
    }
}

/// What the waiting room shows: place in the queue, an honest estimate, and whether the
/// officer is running late.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct QueueEstimate {
    /// 1 = next.
    pub position: usize,
    /// When the officer is expected to call this citizen.
    pub expected_at: DateTime<Utc>,
    /// Minutes behind the appointment's own time (0 if on time).
    pub late_minutes: i64,
}

/// Estimates when the citizen with appointment `start` will be called. `busy_until` is when
/// the officer's current call is expected to end (if one is running); `ahead` are the slot
/// lengths of those waiting in front of this citizen.
pub fn estimate(
    now: DateTime<Utc>,
    start: DateTime<Utc>,
    busy_until: Option<DateTime<Utc>>,
    ahead: &[u16],
) -> QueueEstimate {
    let free_at = busy_until.unwrap_or(now).max(now);
    let queued: i64 = ahead.iter().map(|m| i64::from(*m)).sum();
    let expected_at = (free_at + Duration::minutes(queued)).max(start);
    let late = (expected_at - start).num_minutes().max(0);
    QueueEstimate {
        position: ahead.len() + 1,
        expected_at,
        late_minutes: late,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    #[test]
    fn clock_counts_down_and_adjusts() {
        let start = t("2026-11-30T05:30:00Z");
        let mut c = CallClock::new(start, 5);
        assert_eq!(c.ends_at(), t("2026-11-30T05:35:00Z"));
        assert_eq!(c.warning_at(), t("2026-11-30T05:34:00Z"));
        assert_eq!(
            c.remaining(t("2026-11-30T05:33:30Z")),
            Duration::seconds(90)
        );
        assert_eq!(
            c.adjust(Duration::minutes(2), start),
            t("2026-11-30T05:37:00Z")
        );
        // Shortening stops at "now": the call ends at once, never in the past.
        let now = t("2026-11-30T05:31:00Z");
        assert_eq!(c.adjust(Duration::minutes(-30), now), now);
        assert_eq!(c.remaining(now), Duration::zero());
        assert_eq!(c.adjust(Duration::minutes(500), now), start + MAX_CALL);
    }

    #[test]
    fn a_resumed_call_keeps_the_time_that_was_left() {
        let now = t("2026-11-30T05:40:00Z");
        let c = CallClock::resumed(now, Duration::seconds(150));
        assert_eq!(c.ends_at(), t("2026-11-30T05:42:30Z"));
        // Sent back in the last seconds: still a minute to say goodbye, not an instant end.
        let c = CallClock::resumed(now, Duration::zero());
        assert_eq!(c.remaining(now), MIN_RESUMED);
    }

    #[test]
    fn a_call_ends_done_or_early() {
        use AppointmentStatus::*;
        assert_eq!(after_call(EndedBy::Timer, Some(Duration::zero())), Done);
        // The officer decides when the matter is dealt with, even with time left.
        assert_eq!(
            after_call(EndedBy::Officer, Some(Duration::minutes(3))),
            Done
        );
        assert_eq!(after_call(EndedBy::Officer, None), Done);
        assert_eq!(
            after_call(EndedBy::Citizen, Some(Duration::minutes(3))),
            EndedEarly
        );
        assert_eq!(after_call(EndedBy::Citizen, None), EndedEarly);
        // Leaving during the grace after time is up is a normal end.
        assert_eq!(after_call(EndedBy::Citizen, Some(Duration::zero())), Done);
    }

    #[test]
    fn no_show_is_computed_from_the_given_now() {
        use AppointmentStatus::*;
        let end = t("2026-11-30T05:35:00Z");
        let before = t("2026-11-30T05:34:59Z");
        assert_eq!(status_at(Booked, end, false, before), Booked);
        assert_eq!(status_at(Booked, end, false, end), NoShow);
        // Checked in: still booked while the officer may run late, then not called.
        assert_eq!(status_at(Booked, end, true, end), Booked);
        assert_eq!(
            status_at(
                Booked,
                end,
                true,
                end + CALL_IN_UNTIL - Duration::seconds(1)
            ),
            Booked
        );
        assert_eq!(status_at(Booked, end, true, end + CALL_IN_UNTIL), NotCalled);
        assert!(NotCalled.is_final());
        // Checked in: they came; the officer's list shows them as waiting or away instead.
        assert_eq!(status_at(Booked, end, true, end), Booked);
        // Final states stay what they are.
        for s in [Done, EndedEarly, Cancelled] {
            assert_eq!(status_at(s, end, false, end), s);
            assert!(s.is_final());
        }
        assert!(NoShow.is_final());
        assert!(!Booked.is_final());
    }

    #[test]
    fn presence_over_the_slot() {
        let (s, e) = (t("2026-11-30T05:30:00Z"), t("2026-11-30T05:35:00Z"));
        assert_eq!(
            presence(t("2026-11-30T05:20:00Z"), s, e, false, false),
            Presence::Expected
        );
        assert_eq!(
            presence(t("2026-11-30T05:31:00Z"), s, e, false, false),
            Presence::Late
        );
        assert_eq!(
            presence(t("2026-11-30T05:36:00Z"), s, e, false, false),
            Presence::NoShow
        );
        assert_eq!(
            presence(t("2026-11-30T05:36:00Z"), s, e, true, false),
            Presence::Away
        );
        assert_eq!(
            presence(t("2026-11-30T05:20:00Z"), s, e, true, true),
            Presence::Waiting
        );
    }

    #[test]
    fn queue_estimates_tell_when_the_officer_runs_late() {
        let now = t("2026-11-30T05:28:00Z");
        let start = t("2026-11-30T05:30:00Z");
        // Nobody ahead, officer free: called at the appointment time, not before.
        let e = estimate(now, start, None, &[]);
        assert_eq!((e.position, e.expected_at, e.late_minutes), (1, start, 0));
        // A call running until 05:33 and one 5-minute citizen ahead: 05:38, 8 minutes late.
        let e = estimate(now, start, Some(t("2026-11-30T05:33:00Z")), &[5]);
        assert_eq!(
            (e.position, e.expected_at, e.late_minutes),
            (2, t("2026-11-30T05:38:00Z"), 8)
        );
    }
}
