//! Free and taken slots: the officer's schedule minus the database's bookings. Only the
//! database can fail here, so its error is the one returned.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Duration, NaiveDate, Utc};
use vappoint_domain::Slot;
use vappoint_store::{Officer, OfficerId, StoreError};

use crate::station::app::App;

/// How far ahead the station page looks for free times.
pub const LOOKAHEAD_DAYS: i64 = 14;

/// The officers citizens are shown: those with weekly hours. An officer with none (an admin
/// who said at set-up they take no appointments) offers no slot, so listing them would only
/// promise what cannot be booked.
pub fn listed(officers: Vec<Officer>) -> Vec<Officer> {
    officers
        .into_iter()
        .filter(|o| !o.schedule.hours.is_empty())
        .collect()
}

/// A day's slots with whether each can still be booked.
pub async fn day(
    app: &Arc<App>,
    officer: &Officer,
    date: NaiveDate,
    now: DateTime<Utc>,
) -> Result<Vec<(Slot, bool)>, StoreError> {
    let slots = officer.schedule.slots_on(date, app.tz());
    let (Some(first), Some(last)) = (slots.first(), slots.last()) else {
        return Ok(Vec::new());
    };
    let (id, from, to) = (officer.id, first.start, last.end);
    let taken: HashSet<DateTime<Utc>> = app
        .db(move |s| s.booked_starts(id, from, to))
        .await?
        .into_iter()
        .collect();
    Ok(slots
        .into_iter()
        .map(|s| (s, s.start > now && !taken.contains(&s.start)))
        .collect())
}

/// The next `per_day` free slots on each of the next `days` days that have any, looking at
/// most `LOOKAHEAD_DAYS` ahead.
pub async fn next_free(
    app: &Arc<App>,
    officer: &Officer,
    now: DateTime<Utc>,
    days: usize,
    per_day: usize,
) -> Result<Vec<(NaiveDate, Vec<Slot>)>, StoreError> {
    let tz = app.tz();
    let id = officer.id;
    let until = now + Duration::days(LOOKAHEAD_DAYS + 1);
    let taken: HashSet<DateTime<Utc>> = app
        .db(move |s| s.booked_starts(id, now, until))
        .await?
        .into_iter()
        .collect();
    let today = now.with_timezone(&tz).date_naive();
    let mut out = Vec::new();
    for d in 0..=LOOKAHEAD_DAYS {
        let date = today + Duration::days(d);
        let free: Vec<Slot> = officer
            .schedule
            .slots_on(date, tz)
            .into_iter()
            .filter(|s| s.start > now && !taken.contains(&s.start))
            .take(per_day)
            .collect();
        if !free.is_empty() {
            out.push((date, free));
            if out.len() == days {
                break;
            }
        }
    }
    Ok(out)
}

/// A day's slots as the API sends them: the JSON body and its entity tag.
#[derive(Clone)]
pub struct DayJson {
    pub body: bytes::Bytes,
    pub etag: Arc<str>,
}

/// How long a kept day may be served at most. The store's commit count sees only this
/// process's writes; this bounds how long one from another process (an officer added on the
/// command line) goes unseen.
const KEEP_AT_MOST: Duration = Duration::seconds(1);

/// Days kept at most; past it the cache starts again (dates are the client's to choose).
const KEEP_DAYS: usize = 512;

/// A day's availability as last answered, kept while this process has committed nothing since
/// and no slot of the day has begun: the hot read of a booking site (every citizen looks at
/// several days before booking one) without a trip to the database or rebuilding the day.
/// Never stale after a booking is acknowledged: the booking's commit moves the count first.
pub struct DayCache<T> {
    kept: Mutex<HashMap<(OfficerId, NaiveDate), Kept<T>>>,
}

struct Kept<T> {
    commits: u64,
    until: DateTime<Utc>,
    value: T,
}

impl<T: Clone> DayCache<T> {
    pub fn new() -> DayCache<T> {
        DayCache {
            kept: Mutex::new(HashMap::new()),
        }
    }

    /// What was kept for the day, if the store has `commits` as when it was made and it is
    /// still good at `now`.
    pub fn get(
        &self,
        officer: OfficerId,
        date: NaiveDate,
        commits: u64,
        now: DateTime<Utc>,
    ) -> Option<T> {
        let kept = self.kept.lock().unwrap_or_else(|e| e.into_inner());
        kept.get(&(officer, date))
            .filter(|k| k.commits == commits && now < k.until)
            .map(|k| k.value.clone())
    }

    /// Keeps `value`, made from the database after the store had `commits`, from `day`'s slots
    /// as they were at `now`.
    pub fn put(
        &self,
        officer: OfficerId,
        date: NaiveDate,
        commits: u64,
        now: DateTime<Utc>,
        day: &[(Slot, bool)],
        value: T,
    ) {
        // A slot that begins stops being free: the day changes then, booked or not.
        let next_start = day.iter().map(|(s, _)| s.start).filter(|s| *s > now).min();
        let until = next_start.map_or(now + KEEP_AT_MOST, |s| s.min(now + KEEP_AT_MOST));
        let mut kept = self.kept.lock().unwrap_or_else(|e| e.into_inner());
        if kept.len() >= KEEP_DAYS && !kept.contains_key(&(officer, date)) {
            kept.clear();
        }
        kept.insert(
            (officer, date),
            Kept {
                commits,
                until,
                value,
            },
        );
    }
}

impl<T: Clone> Default for DayCache<T> {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn slot(at: DateTime<Utc>) -> (Slot, bool) {
        (
            Slot {
                start: at,
                end: at + Duration::minutes(5),
            },
            true,
        )
    }

    #[test]
    fn a_kept_day_goes_with_a_commit_a_beginning_slot_or_a_second() {
        let cache = DayCache::new();
        let (id, date) = (OfficerId(1), NaiveDate::from_ymd_opt(2026, 12, 2).unwrap());
        let now = Utc.with_ymd_and_hms(2026, 12, 2, 9, 59, 59).unwrap();
        let ten = Utc.with_ymd_and_hms(2026, 12, 2, 10, 0, 0).unwrap();
        cache.put(
            id,
            date,
            7,
            now,
            &[slot(now - Duration::minutes(5)), slot(ten)],
            "day",
        );
        assert_eq!(cache.get(id, date, 7, now), Some("day"));
        assert_eq!(
            cache.get(id, date, 8, now),
            None,
            "something was committed since"
        );
        assert_eq!(cache.get(OfficerId(2), date, 7, now), None);
        assert_eq!(
            cache.get(id, date, 7, ten),
            None,
            "the 10:00 slot has begun"
        );

        let later = Utc.with_ymd_and_hms(2026, 12, 2, 8, 0, 0).unwrap();
        cache.put(id, date, 7, later, &[slot(ten)], "day");
        assert_eq!(
            cache.get(id, date, 7, later + Duration::milliseconds(999)),
            Some("day")
        );
        assert_eq!(
            cache.get(id, date, 7, later + KEEP_AT_MOST),
            None,
            "kept a second at most"
        );
    }

    #[test]
    fn the_cache_holds_a_bounded_number_of_days() {
        let cache = DayCache::new();
        let now = Utc.with_ymd_and_hms(2026, 12, 2, 8, 0, 0).unwrap();
        let first = NaiveDate::from_ymd_opt(2026, 1, 1).unwrap();
        for i in 0..(KEEP_DAYS as i64 * 3) {
            cache.put(OfficerId(1), first + Duration::days(i), 1, now, &[], i);
        }
        assert!(cache.kept.lock().unwrap().len() <= KEEP_DAYS);
    }
}
