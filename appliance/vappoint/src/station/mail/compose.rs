//! Building one message: text from the translations, the calendar file, a stable
//! Message-ID, sealed for the outbox (it may carry a token).

use chrono::{DateTime, Duration, Utc};
use icalendar::{Calendar, Component, Event, EventLike};
use lettre::Message;
use lettre::message::header::ContentType;
use lettre::message::{Attachment, Mailbox, MultiPart, SinglePart};
use serde_json::json;
use vappoint_domain::ReasonCategory;
use vappoint_store::{Appointment, NewMail, Officer};

use crate::station::app::App;
use crate::ui::{fmt_date, fmt_time};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MailKind {
    Booked,
    Moved,
    Cancelled,
    Token,
    /// Sent `[mail] reminder_before` ahead of the appointment, with the join link.
    Reminder,
    /// To the holder of an appointment when another was asked for with their address, the
    /// same officer and day, and not made. It cannot carry the link (only its hash is kept),
    /// so it has no links and no calendar file: it points to the first mail.
    AlreadyBooked,
}

impl MailKind {
    fn as_str(self) -> &'static str {
        match self {
            MailKind::Booked => "booked",
            MailKind::Moved => "moved",
            MailKind::Cancelled => "cancelled",
            MailKind::Token => "token",
            MailKind::Reminder => "reminder",
            MailKind::AlreadyBooked => "already_booked",
        }
    }
}

/// What a message is about.
pub struct Compose<'a> {
    pub kind: MailKind,
    pub reference: &'a str,
    pub name: &'a str,
    pub email: &'a str,
    pub lang: &'a str,
    /// A booking about domestic violence opens its mail with the emergency number.
    pub category: ReasonCategory,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    /// Bumped on every change, so calendars replace the event instead of adding one.
    pub sequence: u32,
    pub officer: &'a Officer,
    /// The citizen's link id (from the booking or the request carrying it).
    pub link: &'a str,
    pub token: Option<&'a str>,
}

impl<'a> Compose<'a> {
    /// A message of `kind` about the stored appointment `a` as it stands (its time, its
    /// calendar sequence), with no token; callers change what the message changes.
    pub fn about(kind: MailKind, a: &'a Appointment, officer: &'a Officer, link: &'a str) -> Self {
        Compose {
            kind,
            reference: &a.reference,
            name: &a.name,
            email: &a.email,
            lang: &a.lang,
            category: a.reason_category,
            start: a.start,
            end: a.end,
            sequence: a.sequence,
            officer,
            link,
            token: None,
        }
    }
}

fn host_of(url: &str) -> &str {
    let rest = url.split("://").nth(1).unwrap_or(url);
    let host = rest.split(['/', ':']).next().unwrap_or("");
    if host.is_empty() || host.starts_with('[') {
        "vappoint.local"
    } else {
        host
    }
}

/// Composes a message and seals it for the outbox.
pub fn compose(app: &App, c: &Compose) -> anyhow::Result<NewMail> {
    let profile = app.profile();
    let tz = profile.tz;
    let lang = c.lang;
    let i18n = &app.ui.i18n;
    let cutoff = c.start - Duration::from_std(app.config.booking.change_cutoff)?;
    let public_url = app.public_url();
    let join_url = format!("{public_url}/a/{}/join", c.link);
    let manage_url = format!("{public_url}/a/{}", c.link);
    let date_label = fmt_date(c.start, tz, lang);
    let time_label = fmt_time(c.start, tz);
    let (subject_id, intro) = match c.kind {
        MailKind::Booked => ("email-booked-subject", "email-booked-intro"),
        MailKind::Moved => ("email-moved-subject", "email-moved-intro"),
        MailKind::Cancelled => ("email-cancelled-subject", "email-cancelled-intro"),
        MailKind::Token => ("email-token-subject", "email-token-intro"),
        MailKind::Reminder => ("email-reminder-subject", "email-reminder-intro"),
        MailKind::AlreadyBooked => ("email-already-subject", "email-already-intro"),
    };
    let mut args = fluent_bundle::FluentArgs::new();
    args.set("reference", c.reference.to_string());
    args.set("date", date_label.clone());
    args.set("time", time_label.clone());
    let subject = i18n.t(lang, subject_id, Some(&args));
    let body = app.ui.render(
        "email/appointment.txt",
        minijinja::Value::from_serialize(json!({
            "lang": lang,
            "name": c.name,
            "intro": intro,
            "station": profile,
            "token": c.token,
            "date_label": date_label,
            "time_label": time_label,
            "officer": {"name": c.officer.name, "rank": c.officer.rank},
            "reference": c.reference,
            "show_links": !matches!(c.kind, MailKind::Cancelled | MailKind::AlreadyBooked),
            // By the time of a reminder, changing the appointment is usually closed.
            "show_manage": c.kind != MailKind::Reminder,
            "join_url": join_url,
            "manage_url": manage_url,
            "cutoff_time": fmt_time(cutoff, tz),
            "cutoff_date": fmt_date(cutoff, tz, lang),
            "urgent": c.category == ReasonCategory::DomesticViolence,
        })),
    )?;

    let host = host_of(&public_url);
    let message_id = format!("<{}@{}>", uuid::Uuid::new_v4(), host);
    let from: Mailbox = profile.mail_from.parse()?;
    let to = Mailbox::new(Some(c.name.to_string()), c.email.parse()?);
    let message = Message::builder()
        .from(from)
        .to(to)
        .subject(subject)
        .message_id(Some(message_id.clone()))
        .date(sent_at(app, c).into());
    let message = if c.kind == MailKind::AlreadyBooked {
        message.singlepart(SinglePart::plain(body))?
    } else {
        let (ics, method) = calendar(app, c);
        message.multipart(
            MultiPart::mixed()
                .singlepart(SinglePart::plain(body))
                .singlepart(Attachment::new("appointment.ics".into()).body(
                    ics,
                    ContentType::parse(&format!("text/calendar; charset=utf-8; method={method}"))?,
                )),
        )?
    };
    Ok(NewMail {
        message_id,
        kind: c.kind.as_str().to_string(),
        to_addr: c.email.to_string(),
        sealed: app.secrets.seal(&message.formatted()),
    })
}

/// The admin's test message (Station page): it goes through the outbox and the relay like a
/// citizen's mail, and ends with the same contact lines, so the admin sees what citizens get.
pub fn compose_test(app: &App, to: &str) -> anyhow::Result<NewMail> {
    let profile = app.profile();
    let i18n = &app.ui.i18n;
    let now = Utc::now();
    let mut contact = vec![i18n.t("en", "emergency-call-112", None)];
    for (label, value) in [
        ("station-phone-label", &profile.phone),
        ("station-address-label", &profile.address),
    ] {
        if !value.is_empty() {
            contact.push(format!("{} {value}", i18n.t("en", label, None)));
        }
    }
    let body = format!(
        "This is a test email from the V-Appointment box of {station}, sent {date}, {time} \
         from its Station page.\n\nIf you can read it, emails to citizens (with their tokens \
         and links) reach people through this mail relay.\n\n--\n{station}, {zone}\n{contact}\n",
        station = profile.name,
        zone = profile.zone,
        date = fmt_date(now, profile.tz, "en"),
        time = fmt_time(now, profile.tz),
        contact = contact.join("\n"),
    );
    let host = host_of(&profile.public_url);
    let message_id = format!("<{}@{}>", uuid::Uuid::new_v4(), host);
    let message = Message::builder()
        .from(profile.mail_from.parse::<Mailbox>()?)
        .to(to.parse::<Mailbox>()?)
        .subject(format!("Test email from {}", profile.name))
        .message_id(Some(message_id.clone()))
        .date_now()
        .singlepart(SinglePart::plain(body))?;
    Ok(NewMail {
        message_id,
        kind: "test".to_string(),
        to_addr: to.to_string(),
        sealed: app.secrets.seal(&message.formatted()),
    })
}

/// The message's Date: now, except for a reminder, composed at booking but sent when due
/// (else mail programs would file it back among the day it was booked).
fn sent_at(app: &App, c: &Compose) -> DateTime<Utc> {
    match c.kind {
        MailKind::Reminder => {
            c.start - Duration::from_std(app.config.mail.reminder_before).unwrap_or_default()
        }
        _ => Utc::now(),
    }
}

/// The appointment as an iCalendar file and its method: attached to every message, and
/// served by the citizen's pages ("Add to calendar"). The UID is the reference and the
/// sequence grows with every change, so calendars update the one event.
pub fn calendar(app: &App, c: &Compose) -> (String, &'static str) {
    let profile = app.profile();
    let public_url = app.public_url();
    let join_url = format!("{public_url}/a/{}/join", c.link);
    let uid = format!("{}@{}", c.reference, host_of(&public_url));
    let mut summary_args = fluent_bundle::FluentArgs::new();
    summary_args.set("name", c.officer.name.clone());
    summary_args.set("station", profile.name.clone());
    let mut event = Event::new();
    event
        .uid(&uid)
        .summary(&app.ui.i18n.t(c.lang, "ics-summary", Some(&summary_args)))
        .starts(c.start)
        .ends(c.end)
        .add_property("SEQUENCE", c.sequence.to_string())
        .add_property("DTSTAMP", Utc::now().format("%Y%m%dT%H%M%SZ").to_string());
    let method = if c.kind == MailKind::Cancelled {
        event.add_property("STATUS", "CANCELLED");
        "CANCEL"
    } else {
        event
            .url(&join_url)
            .description(&format!("{}\n{}", c.reference, join_url));
        "PUBLISH"
    };
    let mut calendar = Calendar::new();
    calendar.append_property(("METHOD", method));
    calendar.push(event.done());
    (calendar.done().to_string(), method)
}

#[cfg(test)]
mod tests {
    use super::host_of;

    /// Every address the booking form accepts is one a message can be composed to (else the
    /// booking fails with a 500 when its mail is composed).
    #[test]
    fn the_forms_addresses_are_the_mails_addresses() {
        use vappoint_domain::booking::valid_email;
        for a in [
            "asha@example.in",
            "a.b+c@mail.example.in",
            "o'brien@x.in",
            "आशा@उदाहरण.भारत",
            "a..b@x.in",
            ".a@x.in",
            "a.@x.in",
            "a@-x.in",
            "a@x_y.in",
            "a(b)@x.in",
            "a\\b@x.in",
            "a@[10.0.0.1]",
            "\"a b\"@x.in",
            "a@b@x.in",
            "a@x..in",
        ] {
            if valid_email(a) {
                assert!(a.parse::<lettre::Address>().is_ok(), "{a}");
            }
        }
        assert!(!valid_email("a..b@x.in"));
    }

    #[test]
    fn host_from_public_url() {
        assert_eq!(
            host_of("https://dgp.punepolice.example"),
            "dgp.punepolice.example"
        );
        assert_eq!(host_of("https://192.168.1.20:8443"), "192.168.1.20");
        assert_eq!(host_of("https://[::1]:8443"), "vappoint.local");
    }
}
