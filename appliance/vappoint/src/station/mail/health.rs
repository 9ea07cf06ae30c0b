//! Whether mail reaches people: while it does not, citizens are still told "we sent you an
//! email", so every console page says so (the banner in `officer/base.html`).

use chrono::{Duration, Utc};
use lettre::message::Mailbox;
use serde::Serialize;
use vappoint_store::StoreError;

use crate::station::app::App;

/// Refusals older than this stop showing in the banner: the Mail page keeps them.
const RECENT_DEAD_DAYS: i64 = 7;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MailHealth {
    /// True when anything below stops mail from reaching people.
    pub trouble: bool,
    /// No relay: mail is written to the spool folder and reaches nobody.
    pub no_relay: bool,
    /// The sender, when its domain is `.local`: other mail servers refuse or bin it.
    pub local_sender: Option<String>,
    /// Messages in the spool folder, waiting for a relay.
    pub spooled: u32,
    /// Messages the relay did not take: still retrying, or refused this week.
    pub failing: u32,
}

impl MailHealth {
    /// Decides from the settings and the outbox's counts, so the rules are testable alone.
    pub fn new(relay_set: bool, mail_from: &str, spooled: u32, retrying: u32, dead: u32) -> Self {
        let local_sender = mail_from
            .parse::<Mailbox>()
            .ok()
            .filter(|m| {
                let domain = m.email.domain().to_ascii_lowercase();
                domain == "local" || domain.ends_with(".local")
            })
            .map(|m| m.email.to_string());
        let failing = retrying + dead;
        MailHealth {
            trouble: !relay_set || local_sender.is_some() || failing > 0,
            no_relay: !relay_set,
            local_sender,
            spooled,
            failing,
        }
    }
}

/// The station's mail health now. One read of the outbox over its status index: console
/// pages call it inline.
pub fn check(app: &App) -> Result<MailHealth, StoreError> {
    let since = Utc::now() - Duration::days(RECENT_DEAD_DAYS);
    let (spooled, retrying, dead) = app.store.undelivered_mail(since)?;
    let p = app.profile();
    Ok(MailHealth::new(
        p.relay.is_some(),
        &p.mail_from,
        spooled,
        retrying,
        dead,
    ))
}

#[cfg(test)]
mod tests {
    use super::MailHealth;

    const GOOD: &str = "Deccan Police <noreply@dgp.punepolice.example>";

    #[test]
    fn mail_is_healthy_only_with_a_relay_a_real_sender_and_nothing_failing() {
        assert!(!MailHealth::new(true, GOOD, 0, 0, 0).trouble);

        let no_relay = MailHealth::new(false, GOOD, 3, 0, 0);
        assert!(no_relay.trouble && no_relay.no_relay);
        assert_eq!(no_relay.spooled, 3);

        let local = MailHealth::new(true, "V-Appointment <noreply@vappoint.local>", 0, 0, 0);
        assert!(local.trouble);
        assert_eq!(
            local.local_sender.as_deref(),
            Some("noreply@vappoint.local")
        );
        assert!(MailHealth::new(true, "x@DGP.LOCAL", 0, 0, 0).trouble);
        // A domain that merely contains "local" is fine.
        assert!(!MailHealth::new(true, "x@localpolice.example", 0, 0, 0).trouble);

        let failing = MailHealth::new(true, GOOD, 0, 1, 2);
        assert!(failing.trouble);
        assert_eq!(failing.failing, 3);
    }
}
