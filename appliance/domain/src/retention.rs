//! How long the box keeps what citizens gave it: documents, then the name, email, mobile and
//! reason, each for a period after the appointment (India's DPDP Act 2023: only as long as the
//! purpose needs). Pure rules on dates; the store removes, the station decides when.

use chrono::{DateTime, Duration, Utc};

/// The periods after an appointment's end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Policy {
    pub documents_after: Duration,
    pub personal_after: Duration,
}

/// The shortest period: an officer needs the documents at least for the follow-up.
pub const MIN_PERIOD: Duration = Duration::days(7);
/// The longest: past it, "keep" is a hold's job, not a period's.
pub const MAX_PERIOD: Duration = Duration::days(10 * 365);

impl Default for Policy {
    fn default() -> Policy {
        Policy {
            documents_after: Duration::days(90),
            personal_after: Duration::days(365),
        }
    }
}

/// Appointments that ended before these lose their documents, and their personal details.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cutoffs {
    pub documents: DateTime<Utc>,
    pub personal: DateTime<Utc>,
}

impl Policy {
    /// Checks the periods: at least `MIN_PERIOD`, and documents go no later than the
    /// personal details (a document without a name to it is still personal data).
    pub fn validate(&self) -> Result<(), String> {
        let range = MIN_PERIOD..=MAX_PERIOD;
        if !range.contains(&self.documents_after) || !range.contains(&self.personal_after) {
            return Err(format!(
                "retention periods are {} to {} days",
                MIN_PERIOD.num_days(),
                MAX_PERIOD.num_days()
            ));
        }
        if self.documents_after > self.personal_after {
            return Err("documents_after must not be longer than personal_after".into());
        }
        Ok(())
    }

    pub fn cutoffs(&self, now: DateTime<Utc>) -> Cutoffs {
        Cutoffs {
            documents: now - self.documents_after,
            personal: now - self.personal_after,
        }
    }

    /// When an appointment that ends at `end` loses its documents, and its personal details.
    pub fn removal_dates(&self, end: DateTime<Utc>) -> (DateTime<Utc>, DateTime<Utc>) {
        (end + self.documents_after, end + self.personal_after)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn cutoffs_and_dates_agree() {
        let p = Policy::default();
        let end = Utc.with_ymd_and_hms(2026, 12, 7, 6, 5, 0).unwrap();
        let (docs, personal) = p.removal_dates(end);
        assert_eq!(docs, Utc.with_ymd_and_hms(2027, 3, 7, 6, 5, 0).unwrap());
        assert_eq!(p.cutoffs(docs).documents, end);
        assert_eq!(p.cutoffs(personal).personal, end);
    }

    #[test]
    fn periods_are_checked() {
        assert!(Policy::default().validate().is_ok());
        let short = Policy {
            documents_after: Duration::days(1),
            ..Policy::default()
        };
        assert!(short.validate().is_err());
        let backwards = Policy {
            documents_after: Duration::days(400),
            personal_after: Duration::days(365),
        };
        assert!(backwards.validate().is_err());
    }
}
