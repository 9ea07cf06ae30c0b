//! Officers' weekly hours, days off and slot length, and the slots they make on a given day.

use std::collections::BTreeSet;
use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveTime, Offset, TimeZone, Utc, Weekday};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

/// Slot lengths an officer may choose, in minutes. Short enough for the 5-minute pilot rule,
/// long enough for a difficult complaint.
pub const SLOT_MINUTES_RANGE: std::ops::RangeInclusive<u16> = 5..=60;

/// How far ahead citizens may book. Keeps the slot lists short and the data bounded.
pub const BOOKING_HORIZON_DAYS: i64 = 30;

/// The week from Monday, the order weekly hours are written and shown in.
pub const DAYS: [Weekday; 7] = [
    Weekday::Mon,
    Weekday::Tue,
    Weekday::Wed,
    Weekday::Thu,
    Weekday::Fri,
    Weekday::Sat,
    Weekday::Sun,
];

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ScheduleError {
    #[error("could not read the hours {0:?}: write them like \"Mon-Sat 11:00-13:00\"")]
    Syntax(String),
    #[error("unknown day {0:?}: use Mon, Tue, Wed, Thu, Fri, Sat or Sun")]
    Day(String),
    #[error("the time range {0:?} must end after it starts")]
    EmptyRange(String),
    #[error("the time ranges on {0} overlap")]
    Overlap(Weekday),
    #[error("slot length must be between 5 and 60 minutes, not {0}")]
    SlotLength(u16),
    #[error("too many time ranges (at most 28)")]
    TooMany,
}

/// One working window: `start..end` local time on each day in `days`.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Window {
    days: Vec<Weekday>,
    start: NaiveTime,
    /// `None` means midnight at the end of the day ("24:00").
    end: Option<NaiveTime>,
}

/// Weekly hours as an officer writes them: `Mon-Sat 11:00-13:00; Sun 10:00-11:00`.
/// Several ranges for the same days are separated by spaces: `Mon-Fri 11:00-13:00 16:00-17:00`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WeeklyHours {
    windows: Vec<Window>,
}

impl Default for WeeklyHours {
    /// The pilot's hours: Monday to Saturday, 11:00 to 13:00.
    fn default() -> Self {
        "Mon-Sat 11:00-13:00".parse().expect("default hours parse")
    }
}

fn parse_day(s: &str) -> Result<Weekday, ScheduleError> {
    let lower = s.to_ascii_lowercase();
    DAYS.iter()
        .copied()
        // `get`, not `[..3]`: the third byte of "Mӭn" is inside a character (found by fuzzing).
        .find(|d| {
            lower
                .get(..3)
                .is_some_and(|p| d.to_string().to_ascii_lowercase().starts_with(p))
        })
        .filter(|_| lower.len() <= 9)
        .ok_or_else(|| ScheduleError::Day(s.to_string()))
}

fn parse_days(s: &str) -> Result<Vec<Weekday>, ScheduleError> {
    let mut out = Vec::new();
    for part in s.split(',') {
        let part = part.trim();
        if let Some((a, b)) = part.split_once('-') {
            let (a, b) = (parse_day(a.trim())?, parse_day(b.trim())?);
            let mut d = a;
            loop {
                out.push(d);
                if d == b {
                    break;
                }
                d = d.succ();
            }
        } else {
            out.push(parse_day(part)?);
        }
    }
    out.sort_by_key(|d| d.num_days_from_monday());
    out.dedup();
    Ok(out)
}

fn parse_time(s: &str, whole: &str) -> Result<Option<NaiveTime>, ScheduleError> {
    if s == "24:00" {
        return Ok(None);
    }
    NaiveTime::parse_from_str(s, "%H:%M")
        .map(Some)
        .map_err(|_| ScheduleError::Syntax(whole.to_string()))
}

fn minutes(t: NaiveTime) -> u32 {
    use chrono::Timelike;
    t.hour() * 60 + t.minute()
}

impl Window {
    fn start_min(&self) -> u32 {
        minutes(self.start)
    }
    fn end_min(&self) -> u32 {
        self.end.map_or(24 * 60, minutes)
    }
}

impl FromStr for WeeklyHours {
    type Err = ScheduleError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let mut windows = Vec::new();
        for segment in s.split(';').map(str::trim).filter(|x| !x.is_empty()) {
            let mut words = segment.split_whitespace();
            let days = parse_days(
                words
                    .next()
                    .ok_or_else(|| ScheduleError::Syntax(s.into()))?,
            )?;
            let mut any = false;
            for range in words {
                let (a, b) = range
                    .split_once('-')
                    .ok_or_else(|| ScheduleError::Syntax(segment.to_string()))?;
                let start = parse_time(a, segment)?
                    .ok_or_else(|| ScheduleError::Syntax(segment.to_string()))?;
                let end = parse_time(b, segment)?;
                let w = Window {
                    days: days.clone(),
                    start,
                    end,
                };
                if w.end_min() <= w.start_min() {
                    return Err(ScheduleError::EmptyRange(range.to_string()));
                }
                windows.push(w);
                any = true;
            }
            if !any {
                return Err(ScheduleError::Syntax(segment.to_string()));
            }
        }
        if windows.len() > 28 {
            return Err(ScheduleError::TooMany);
        }
        let hours = WeeklyHours { windows };
        for day in DAYS {
            let mut ranges: Vec<(u32, u32)> = hours
                .windows_on(day)
                .map(|w| (w.start_min(), w.end_min()))
                .collect();
            ranges.sort();
            if ranges.windows(2).any(|p| p[1].0 < p[0].1) {
                return Err(ScheduleError::Overlap(day));
            }
        }
        Ok(hours)
    }
}

fn fmt_days(days: &[Weekday]) -> String {
    // Contiguous runs print as "Mon-Sat", others as "Mon,Wed".
    let idx: Vec<u32> = days.iter().map(|d| d.num_days_from_monday()).collect();
    let mut parts = Vec::new();
    let mut i = 0;
    while i < idx.len() {
        let mut j = i;
        while j + 1 < idx.len() && idx[j + 1] == idx[j] + 1 {
            j += 1;
        }
        if j > i {
            parts.push(format!("{}-{}", days[i], days[j]));
        } else {
            parts.push(days[i].to_string());
        }
        i = j + 1;
    }
    parts.join(",")
}

impl fmt::Display for WeeklyHours {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let parts: Vec<String> = self
            .windows
            .iter()
            .map(|w| {
                let end = w
                    .end
                    .map_or_else(|| "24:00".to_string(), |e| e.format("%H:%M").to_string());
                format!("{} {}-{}", fmt_days(&w.days), w.start.format("%H:%M"), end)
            })
            .collect();
        f.write_str(&parts.join("; "))
    }
}

impl WeeklyHours {
    fn windows_on(&self, day: Weekday) -> impl Iterator<Item = &Window> {
        self.windows.iter().filter(move |w| w.days.contains(&day))
    }

    pub fn is_empty(&self) -> bool {
        self.windows.is_empty()
    }

    /// The ranges as written, for forms that show them as day and time controls: the days,
    /// the start, and the end (`None` is midnight at the end of the day, "24:00").
    pub fn ranges(&self) -> impl Iterator<Item = (&[Weekday], NaiveTime, Option<NaiveTime>)> {
        self.windows
            .iter()
            .map(|w| (w.days.as_slice(), w.start, w.end))
    }
}

impl Serialize for WeeklyHours {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for WeeklyHours {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// A bookable interval, in UTC; shown to people in the station's time zone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Slot {
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
}

/// Everything that decides an officer's slots.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Schedule {
    pub hours: WeeklyHours,
    pub slot_minutes: u16,
    pub days_off: BTreeSet<NaiveDate>,
}

impl Schedule {
    pub fn new(
        hours: WeeklyHours,
        slot_minutes: u16,
        days_off: BTreeSet<NaiveDate>,
    ) -> Result<Self, ScheduleError> {
        if !SLOT_MINUTES_RANGE.contains(&slot_minutes) {
            return Err(ScheduleError::SlotLength(slot_minutes));
        }
        Ok(Schedule {
            hours,
            slot_minutes,
            days_off,
        })
    }

    /// The slots of one local day, in order. Empty on a day off.
    pub fn slots_on(&self, date: NaiveDate, tz: Tz) -> Vec<Slot> {
        if self.days_off.contains(&date) {
            return Vec::new();
        }
        let len = u32::from(self.slot_minutes);
        let midnight = date.and_time(NaiveTime::MIN);
        // On a day without a change of UTC offset (every day in India), one offset serves
        // every slot: looking each time up in the zone's rules was most of a booking's
        // schedule work.
        let offset = match (
            tz.from_local_datetime(&midnight).single(),
            tz.from_local_datetime(&(midnight + Duration::days(1)))
                .single(),
        ) {
            (Some(a), Some(b)) if a.offset().fix() == b.offset().fix() => Some(a.offset().fix()),
            _ => None,
        };
        let mut out = Vec::new();
        for w in self.hours.windows_on(date.weekday()) {
            let mut m = w.start_min();
            while m + len <= w.end_min() {
                let local = midnight + Duration::minutes(i64::from(m));
                let start = match offset {
                    Some(o) => {
                        Some((local - Duration::seconds(i64::from(o.local_minus_utc()))).and_utc())
                    }
                    // Times that do not exist locally (a DST gap) have no slot.
                    None => tz
                        .from_local_datetime(&local)
                        .earliest()
                        .map(|t| t.with_timezone(&Utc)),
                };
                if let Some(start) = start {
                    out.push(Slot {
                        start,
                        end: start + Duration::minutes(i64::from(len)),
                    });
                }
                m += len;
            }
        }
        out.sort();
        out
    }

    /// The slot that starts exactly at `start`, if the schedule has one.
    pub fn slot_at(&self, start: DateTime<Utc>, tz: Tz) -> Option<Slot> {
        let date = start.with_timezone(&tz).date_naive();
        self.slots_on(date, tz)
            .into_iter()
            .find(|s| s.start == start)
    }
}

/// Why a slot cannot be booked at `now`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SlotRefusal {
    #[error("that time has already passed")]
    Past,
    #[error("that time is more than 30 days ahead")]
    TooFar,
    #[error("the officer does not hold appointments at that time")]
    NotOffered,
}

/// Checks that `start` is one of the officer's slots and still ahead of `now`.
pub fn bookable_slot(
    schedule: &Schedule,
    start: DateTime<Utc>,
    tz: Tz,
    now: DateTime<Utc>,
) -> Result<Slot, SlotRefusal> {
    if start <= now {
        return Err(SlotRefusal::Past);
    }
    if start > now + Duration::days(BOOKING_HORIZON_DAYS) {
        return Err(SlotRefusal::TooFar);
    }
    schedule.slot_at(start, tz).ok_or(SlotRefusal::NotOffered)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sched(h: &str, len: u16) -> Schedule {
        Schedule::new(h.parse().unwrap(), len, BTreeSet::new()).unwrap()
    }

    #[test]
    fn parses_and_prints_hours() {
        let h: WeeklyHours = "Mon-Sat 11:00-13:00".parse().unwrap();
        assert_eq!(h.to_string(), "Mon-Sat 11:00-13:00");
        let h: WeeklyHours = "mon,wed 09:00-10:00 16:00-17:30; Sun 10:00-24:00"
            .parse()
            .unwrap();
        assert_eq!(
            h.to_string(),
            "Mon,Wed 09:00-10:00; Mon,Wed 16:00-17:30; Sun 10:00-24:00"
        );
        assert_eq!(h.to_string().parse::<WeeklyHours>().unwrap(), h);
        let h: WeeklyHours = "Sat-Mon 10:00-11:00".parse().unwrap();
        assert_eq!(h.to_string(), "Mon,Sat-Sun 10:00-11:00");
    }

    #[test]
    fn refuses_bad_hours() {
        assert!(matches!(
            "Mon-Sat".parse::<WeeklyHours>(),
            Err(ScheduleError::Syntax(_))
        ));
        assert!(matches!(
            "Xyz 10:00-11:00".parse::<WeeklyHours>(),
            Err(ScheduleError::Day(_))
        ));
        assert!(matches!(
            "Mon 11:00-10:00".parse::<WeeklyHours>(),
            Err(ScheduleError::EmptyRange(_))
        ));
        assert!(matches!(
            "Mon 25:00-26:00".parse::<WeeklyHours>(),
            Err(ScheduleError::Syntax(_))
        ));
        assert_eq!(
            "Mon 10:00-12:00; Mon-Tue 11:00-13:00".parse::<WeeklyHours>(),
            Err(ScheduleError::Overlap(Weekday::Mon))
        );
        assert_eq!(
            Schedule::new(WeeklyHours::default(), 4, BTreeSet::new()),
            Err(ScheduleError::SlotLength(4))
        );
    }

    #[test]
    fn slots_in_kolkata_are_shown_in_local_time() {
        let s = sched("Mon-Sat 11:00-13:00", 5);
        let tz: Tz = "Asia/Kolkata".parse().unwrap();
        let monday = NaiveDate::from_ymd_opt(2026, 11, 30).unwrap();
        let slots = s.slots_on(monday, tz);
        assert_eq!(slots.len(), 24);
        // 11:00 IST is 05:30 UTC.
        assert_eq!(slots[0].start.to_rfc3339(), "2026-11-30T05:30:00+00:00");
        assert_eq!(
            slots[23].end.with_timezone(&tz).format("%H:%M").to_string(),
            "13:00"
        );
        let sunday = NaiveDate::from_ymd_opt(2026, 11, 29).unwrap();
        assert!(s.slots_on(sunday, tz).is_empty());
    }

    #[test]
    fn a_day_name_with_a_wide_character_is_an_error_not_a_panic() {
        // The fuzzer's input: a character that spans bytes 2..4 of the day's name.
        for hours in [
            "on\u{4ec}M0 11:00-13:00",
            "Mӭn 11:00-13:00",
            "ӭ-Sat 11:00-13:00",
        ] {
            assert!(hours.parse::<WeeklyHours>().is_err(), "{hours}");
        }
        assert!("Mon-Sat 11:00-13:00".parse::<WeeklyHours>().is_ok());
    }

    #[test]
    fn partial_slot_at_window_end_is_not_offered() {
        let s = sched("Mon 11:00-11:25", 10);
        let tz = chrono_tz::Asia::Kolkata;
        let monday = NaiveDate::from_ymd_opt(2026, 11, 30).unwrap();
        assert_eq!(s.slots_on(monday, tz).len(), 2);
    }

    #[test]
    fn days_off_have_no_slots() {
        let monday = NaiveDate::from_ymd_opt(2026, 11, 30).unwrap();
        let s = Schedule::new(WeeklyHours::default(), 5, [monday].into()).unwrap();
        assert!(s.slots_on(monday, chrono_tz::Asia::Kolkata).is_empty());
    }

    #[test]
    fn bookable_slot_rules() {
        let s = sched("Mon-Sun 00:00-24:00", 15);
        let tz = chrono_tz::Asia::Kolkata;
        let now: DateTime<Utc> = "2026-11-30T05:31:00Z".parse().unwrap();
        let next: DateTime<Utc> = "2026-11-30T05:45:00Z".parse().unwrap();
        assert!(bookable_slot(&s, next, tz, now).is_ok());
        let past: DateTime<Utc> = "2026-11-30T05:30:00Z".parse().unwrap();
        assert_eq!(bookable_slot(&s, past, tz, now), Err(SlotRefusal::Past));
        let odd: DateTime<Utc> = "2026-11-30T05:50:00Z".parse().unwrap();
        assert_eq!(
            bookable_slot(&s, odd, tz, now),
            Err(SlotRefusal::NotOffered)
        );
        let far = now + Duration::days(31);
        assert_eq!(bookable_slot(&s, far, tz, now), Err(SlotRefusal::TooFar));
    }

    #[test]
    fn dst_gap_has_no_slot() {
        // Europe/Berlin skips 02:00-03:00 on 2026-03-29.
        let s = sched("Sun 01:00-04:00", 30);
        let date = NaiveDate::from_ymd_opt(2026, 3, 29).unwrap();
        assert_eq!(s.slots_on(date, chrono_tz::Europe::Berlin).len(), 4);
    }

    #[test]
    fn every_slot_starts_when_the_zone_says_that_local_time_is() {
        // The zone's rules looked up for each slot, as before one offset served a whole day.
        let s = sched("Mon-Sun 00:00-24:00", 15);
        for (tz, days) in [
            (
                chrono_tz::Asia::Kolkata,
                ["2026-12-02", "2026-03-29", "2026-10-25"],
            ),
            (
                chrono_tz::Europe::Berlin,
                ["2026-07-01", "2026-03-29", "2026-10-25"],
            ),
            (
                chrono_tz::America::New_York,
                ["2026-03-08", "2026-03-09", "2026-11-01"],
            ),
        ] {
            for day in days {
                let date: NaiveDate = day.parse().unwrap();
                let expected: Vec<DateTime<Utc>> = (0..96)
                    .filter_map(|i| {
                        let local = date.and_time(NaiveTime::MIN) + Duration::minutes(15 * i);
                        tz.from_local_datetime(&local).earliest()
                    })
                    .map(|t| t.with_timezone(&Utc))
                    .collect();
                let got: Vec<DateTime<Utc>> =
                    s.slots_on(date, tz).iter().map(|x| x.start).collect();
                assert_eq!(got, expected, "{tz} {day}");
            }
        }
    }
}
