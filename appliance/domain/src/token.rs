//! When and how often the 4-digit token may be tried and re-sent.

use chrono::{DateTime, Duration, Utc};

/// Wrong tries after which a token is dead.
pub const MAX_TRIES: u32 = 5;
/// New tokens a citizen may have emailed per hour.
pub const MAX_REISSUES_PER_HOUR: usize = 3;
/// How early before the slot the token starts to work.
pub const OPENS_BEFORE: Duration = Duration::minutes(15);

/// Why a token cannot be tried now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TokenRefusal {
    #[error("the token works from 15 minutes before the appointment")]
    TooEarly,
    #[error("the appointment has ended")]
    Ended,
    #[error("too many wrong tries; ask for a new token")]
    Dead,
}

/// Whether a token may be tried at `now` for a slot `start..end` after `wrong_tries`.
pub fn may_try(
    now: DateTime<Utc>,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    wrong_tries: u32,
) -> Result<(), TokenRefusal> {
    if wrong_tries >= MAX_TRIES {
        Err(TokenRefusal::Dead)
    } else if now < start - OPENS_BEFORE {
        Err(TokenRefusal::TooEarly)
    } else if now >= end {
        Err(TokenRefusal::Ended)
    } else {
        Ok(())
    }
}

/// Whether another token may be emailed, given when earlier ones were issued.
pub fn may_reissue(now: DateTime<Utc>, issued: &[DateTime<Utc>]) -> bool {
    issued
        .iter()
        .filter(|t| **t > now - Duration::hours(1))
        .count()
        < MAX_REISSUES_PER_HOUR
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn window_and_tries() {
        let start: DateTime<Utc> = "2026-11-30T06:00:00Z".parse().unwrap();
        let end = start + Duration::minutes(5);
        let m = Duration::minutes;
        assert_eq!(
            may_try(start - m(16), start, end, 0),
            Err(TokenRefusal::TooEarly)
        );
        assert_eq!(may_try(start - m(15), start, end, 0), Ok(()));
        assert_eq!(may_try(start + m(4), start, end, 4), Ok(()));
        assert_eq!(
            may_try(start + m(4), start, end, 5),
            Err(TokenRefusal::Dead)
        );
        assert_eq!(may_try(end, start, end, 0), Err(TokenRefusal::Ended));
    }

    #[test]
    fn reissue_limit() {
        let now: DateTime<Utc> = "2026-11-30T06:00:00Z".parse().unwrap();
        let m = Duration::minutes;
        assert!(may_reissue(now, &[now - m(10), now - m(70), now - m(80)]));
        assert!(!may_reissue(now, &[now - m(10), now - m(20), now - m(59)]));
    }
}
