//! What a booking is: the citizen's form, its validation, the reason categories, and the
//! status and outcome an appointment can have.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

/// Input limits, in characters. Generous for real names and reasons, small enough that a
/// hostile form cannot fill the disk.
pub const NAME_MAX: usize = 100;
pub const EMAIL_MAX: usize = 254;
pub const REASON_MAX: usize = 1000;
pub const NOTE_MAX: usize = 4000;

macro_rules! slug_enum {
    ($(#[$m:meta])* $name:ident { $($variant:ident = $slug:literal),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $slug),+ }
            }
        }

        impl FromStr for $name {
            type Err = UnknownValue;
            fn from_str(s: &str) -> Result<Self, UnknownValue> {
                match s { $($slug => Ok($name::$variant),)+ _ => Err(UnknownValue(s.chars().take(40).collect())) }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result { f.write_str(self.as_str()) }
        }
    };
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown value {0:?}")]
pub struct UnknownValue(pub String);

slug_enum!(
    /// Why a citizen asks for an appointment. The list is short on purpose: the free text
    /// says the rest, and the hub counts per category.
    ReasonCategory {
        Complaint = "complaint",
        FirFollowUp = "fir_follow_up",
        LostArticle = "lost_article",
        DomesticViolence = "domestic_violence",
        CyberFraud = "cyber_fraud",
        Other = "other",
    }
);

slug_enum!(
    /// What came of an appointment, recorded by the officer.
    Outcome {
        Resolved = "resolved",
        FirRegistered = "fir_registered",
        Referred = "referred",
        NoShow = "no_show",
        FollowUpNeeded = "follow_up_needed",
    }
);

slug_enum!(
    /// Where an appointment stands. `Booked` holds the slot and is the only state in which
    /// anything can still be done with it (join, cancel, move); the others are final.
    /// `Done` and `EndedEarly` are written when a call ends (`call::after_call`); `NoShow` and
    /// `NotCalled` are never stored, they are computed from the clock (`call::status_at`).
    AppointmentStatus {
        Booked = "booked",
        Cancelled = "cancelled",
        Done = "done",
        EndedEarly = "ended_early",
        NoShow = "no_show",
        NotCalled = "not_called",
    }
);

impl AppointmentStatus {
    /// Nothing more can happen to the appointment: no joining, cancelling or moving.
    pub fn is_final(self) -> bool {
        self != AppointmentStatus::Booked
    }
}

/// The booking form as it arrives, before anything is trusted.
#[derive(Debug, Clone, Default)]
pub struct BookingForm {
    pub name: String,
    pub email: String,
    pub mobile: String,
    pub reason_category: String,
    pub reason: String,
}

/// A validated booking form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BookingInput {
    pub name: String,
    pub email: String,
    pub mobile: Option<String>,
    pub reason_category: ReasonCategory,
    pub reason: String,
}

/// One problem with one field. `code` names the message shown to the citizen.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    pub field: &'static str,
    pub code: &'static str,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid booking form: {}", .0.iter().map(|e| format!("{} ({})", e.field, e.code)).collect::<Vec<_>>().join(", "))]
pub struct ValidationError(pub Vec<FieldError>);

fn clean(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn has_control(s: &str) -> bool {
    s.chars()
        .any(|c| c.is_control() && c != '\n' && c != '\r' && c != '\t')
}

/// A plausible address, and the one check of an address everywhere (the booking form, the
/// officers' details, set-up, the hub): an address it accepts is one the mail library accepts
/// too, so composing a message to it cannot fail. That is the `email_address` crate's rules
/// for the part before and after the last `@` (what `lettre` checks), plus ours: a dotted
/// domain, at most 64 characters before the `@` and `EMAIL_MAX` in all, and no spaces, quotes,
/// angle brackets, commas or control characters (so no quoted local parts and no address
/// lists). Whether it exists is proven by the token email arriving.
pub fn valid_email(email: &str) -> bool {
    let Some((local, domain)) = email.rsplit_once('@') else {
        return false;
    };
    !local.is_empty()
        && local.len() <= 64
        && !local.contains('@')
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !domain.contains("..")
        && email.len() <= EMAIL_MAX
        && email.chars().all(|c| {
            !c.is_whitespace() && !c.is_control() && c != '<' && c != '>' && c != '"' && c != ','
        })
        && email_address::EmailAddress::is_valid_local_part(local)
        && email_address::EmailAddress::is_valid_domain(domain)
}

/// A person's name as people write it in Marathi, Hindi or English: letters and combining
/// marks (Devanagari's vowel signs, virama and nukta), spaces and `.-'`, and the joiners
/// Devanagari spelling uses. Nothing else: the name is echoed as "Dear …" in a police-branded
/// mail, so digits, URLs, `@`, `/` and bidi or other format characters (U+202E turned text
/// around) are refused.
pub fn plausible_name(name: &str) -> bool {
    use unicode_properties::{GeneralCategoryGroup, UnicodeGeneralCategory};
    name.chars().any(char::is_alphabetic)
        && name.chars().all(|c| {
            matches!(
                c.general_category_group(),
                GeneralCategoryGroup::Letter | GeneralCategoryGroup::Mark
            ) || matches!(c, ' ' | '.' | '-' | '\'' | '\u{200C}' | '\u{200D}')
        })
}

impl BookingForm {
    pub fn validate(&self) -> Result<BookingInput, ValidationError> {
        let mut errors = Vec::new();
        let name = clean(&self.name);
        if name.chars().count() < 2 {
            errors.push(FieldError {
                field: "name",
                code: "required",
            });
        } else if name.chars().count() > NAME_MAX {
            errors.push(FieldError {
                field: "name",
                code: "too_long",
            });
        } else if !plausible_name(&name) {
            errors.push(FieldError {
                field: "name",
                code: "invalid_name",
            });
        }
        let email = self.email.trim().to_string();
        if email.is_empty() {
            errors.push(FieldError {
                field: "email",
                code: "required",
            });
        } else if !valid_email(&email) {
            errors.push(FieldError {
                field: "email",
                code: "invalid_email",
            });
        }
        let mobile = self.mobile.trim();
        let mobile = if mobile.is_empty() {
            None
        } else {
            let digits = mobile.chars().filter(char::is_ascii_digit).count();
            let allowed = mobile
                .chars()
                .all(|c| c.is_ascii_digit() || " +-()".contains(c));
            if !allowed || !(7..=15).contains(&digits) || mobile.len() > 24 {
                errors.push(FieldError {
                    field: "mobile",
                    code: "invalid_mobile",
                });
            }
            Some(mobile.to_string())
        };
        let category = self.reason_category.trim().parse::<ReasonCategory>();
        if category.is_err() {
            errors.push(FieldError {
                field: "reason_category",
                code: "required",
            });
        }
        let reason = self.reason.trim().to_string();
        if reason.chars().count() > REASON_MAX || has_control(&reason) {
            errors.push(FieldError {
                field: "reason",
                code: "too_long",
            });
        } else if reason.is_empty() && category == Ok(ReasonCategory::Other) {
            errors.push(FieldError {
                field: "reason",
                code: "required_for_other",
            });
        }
        if !errors.is_empty() {
            return Err(ValidationError(errors));
        }
        Ok(BookingInput {
            name,
            email,
            mobile,
            reason_category: category.expect("checked above"),
            reason,
        })
    }
}

/// The key under which "one active booking per email per officer per day" is enforced.
/// Addresses differ only in case in practice; the local part is kept as typed otherwise.
pub fn email_key(email: &str) -> String {
    email.trim().to_lowercase()
}

/// Whether a citizen may still cancel or move an appointment starting at `start`.
pub fn can_change(now: DateTime<Utc>, start: DateTime<Utc>, cutoff: Duration) -> bool {
    now + cutoff <= start
}

/// When to send the reminder of an appointment booked (or moved) at `now`, `lead` before its
/// `start`: none when reminders are off (`lead` is zero), and none when that moment has
/// already passed, since the mail just sent is reminder enough.
pub fn reminder_at(
    now: DateTime<Utc>,
    start: DateTime<Utc>,
    lead: Duration,
) -> Option<DateTime<Utc>> {
    let at = start - lead;
    (lead > Duration::zero() && at > now).then_some(at)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_letters_marks_and_a_little_punctuation() {
        for ok in [
            "Asha Patil",
            "D'Souza-Kulkarni",
            "Dr. R. K. Narayan",
            "आशा पाटील",
            "श्रीकृष्ण",
            "क़ादिर",
            "अर्‍या",
        ] {
            assert!(plausible_name(ok), "{ok:?}");
        }
        for bad in [
            "pay your e-challan fine at http://x.example",
            "Asha\u{202E}litaP",
            "Asha 007",
            "asha@example.in",
            "Asha <b>",
            "...",
            "Asha\u{2066}",
        ] {
            assert!(!plausible_name(bad), "{bad:?}");
        }
    }

    #[test]
    fn reminders_come_lead_before_unless_off_or_past() {
        let t = |s: &str| s.parse::<DateTime<Utc>>().unwrap();
        let start = t("2026-11-30T06:00:00Z");
        let hour = Duration::hours(1);
        assert_eq!(
            reminder_at(t("2026-11-29T10:00:00Z"), start, hour),
            Some(t("2026-11-30T05:00:00Z"))
        );
        assert_eq!(
            reminder_at(t("2026-11-30T04:59:59Z"), start, hour),
            Some(t("2026-11-30T05:00:00Z"))
        );
        // Booked within the lead: the confirmation was just sent.
        assert_eq!(reminder_at(t("2026-11-30T05:00:00Z"), start, hour), None);
        assert_eq!(reminder_at(t("2026-11-30T05:30:00Z"), start, hour), None);
        assert_eq!(
            reminder_at(t("2026-11-29T10:00:00Z"), start, Duration::zero()),
            None
        );
    }

    fn form() -> BookingForm {
        BookingForm {
            name: "  Asha   Patil ".into(),
            email: "asha@example.in".into(),
            mobile: "+91 98220 12345".into(),
            reason_category: "cyber_fraud".into(),
            reason: "UPI fraud".into(),
        }
    }

    #[test]
    fn valid_form_is_cleaned() {
        let b = form().validate().unwrap();
        assert_eq!(b.name, "Asha Patil");
        assert_eq!(b.reason_category, ReasonCategory::CyberFraud);
        assert_eq!(b.mobile.as_deref(), Some("+91 98220 12345"));
    }

    #[test]
    fn reports_every_bad_field() {
        let f = BookingForm {
            email: "nope".into(),
            mobile: "12ab".into(),
            ..Default::default()
        };
        let err = f.validate().unwrap_err();
        let fields: Vec<_> = err.0.iter().map(|e| e.field).collect();
        assert_eq!(fields, ["name", "email", "mobile", "reason_category"]);
    }

    #[test]
    fn other_needs_text() {
        let f = BookingForm {
            reason_category: "other".into(),
            reason: " ".into(),
            ..form()
        };
        assert_eq!(f.validate().unwrap_err().0[0].code, "required_for_other");
    }

    #[test]
    fn emails() {
        assert!(valid_email("a.b+c@mail.example.in"));
        for bad in [
            "a@b",
            "@b.in",
            "a b@c.in",
            "a@.in",
            "a@b..in",
            "<a@b.in>",
            "a@b.in.",
            // Passed the old check, then failed when the mail was composed (a 500).
            "a..b@x.in",
            ".a@x.in",
            "a.@x.in",
            "a@-x.in",
            "a@x-.in",
            "a@x.in]",
            "a(b)@x.in",
        ] {
            assert!(!valid_email(bad), "{bad}");
        }
        for good in [
            "asha.patil@mail.example.in",
            "o'brien+tag@x.in",
            "आशा@उदाहरण.भारत",
        ] {
            assert!(valid_email(good), "{good}");
        }
        assert_eq!(email_key(" Asha@Example.IN "), "asha@example.in");
    }

    #[test]
    fn slugs_round_trip() {
        for c in ReasonCategory::ALL {
            assert_eq!(c.as_str().parse::<ReasonCategory>().unwrap(), *c);
        }
        assert!("x".parse::<Outcome>().is_err());
    }

    #[test]
    fn cutoff() {
        let start: DateTime<Utc> = "2026-11-30T06:00:00Z".parse().unwrap();
        let h2 = Duration::hours(2);
        assert!(can_change(start - Duration::hours(3), start, h2));
        assert!(can_change(start - h2, start, h2));
        assert!(!can_change(start - Duration::minutes(119), start, h2));
    }
}
