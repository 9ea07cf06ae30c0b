//! The STUN/TURN servers a call uses: the station's own `[calls]` servers (their TURN
//! credentials made for the call) and the city's TURN servers, whose credentials the hub
//! makes for this station. Those are fetched ahead of need by the federation loop and kept
//! until shortly before they expire, so a citizen's page never waits on the hub.

use std::sync::RwLock;
use std::time::Duration;

use chrono::{DateTime, Utc};
use reqwest::StatusCode;
use vappoint_wire::federation::{TurnAnswer, TurnRequest};
use vappoint_wire::signal::IceServer;

use crate::station::hub_link::HubLink;

/// Asked of the hub: a long call and its grace. Renewed when less than `RENEW_BELOW` is left,
/// so any call that starts with the current credentials can run at least that long.
const ASK_MINUTES: u32 = 180;
const RENEW_BELOW: chrono::TimeDelta = chrono::TimeDelta::minutes(90);
/// After a failure (hub away, or it offers no TURN), ask again this much later.
const RETRY: Duration = Duration::from_secs(300);

/// The hub's TURN servers with this station's current credentials.
#[derive(Default)]
pub struct HubTurn {
    state: RwLock<State>,
}

#[derive(Default)]
struct State {
    servers: Vec<IceServer>,
    expires: Option<DateTime<Utc>>,
    next_try: Option<std::time::Instant>,
}

impl HubTurn {
    /// The servers to hand a call starting at `now` (none when the credentials run out within
    /// `RENEW_BELOW`'s margin of a short call).
    pub fn servers(&self, now: DateTime<Utc>) -> Vec<IceServer> {
        let s = self.state.read().unwrap_or_else(|e| e.into_inner());
        match s.expires {
            Some(t) if t - now > chrono::TimeDelta::minutes(15) => s.servers.clone(),
            _ => Vec::new(),
        }
    }

    fn due(&self, now: DateTime<Utc>) -> bool {
        let s = self.state.read().unwrap_or_else(|e| e.into_inner());
        let renew = s.expires.is_none_or(|t| t - now < RENEW_BELOW);
        renew && s.next_try.is_none_or(|t| std::time::Instant::now() >= t)
    }

    fn set(&self, servers: Vec<IceServer>, expires: Option<DateTime<Utc>>) {
        let mut s = self.state.write().unwrap_or_else(|e| e.into_inner());
        s.servers = servers;
        s.expires = expires;
        s.next_try = None;
    }

    fn retry_later(&self) {
        let mut s = self.state.write().unwrap_or_else(|e| e.into_inner());
        s.next_try = Some(std::time::Instant::now() + RETRY);
    }

    /// Asks the hub for fresh credentials when the current ones run low. A hub that offers no
    /// TURN, or that revoked this station, leaves none; a hub that cannot be reached leaves
    /// the current ones to expire on their own.
    pub async fn refresh(&self, http: &reqwest::Client, link: &HubLink) {
        let now = Utc::now();
        if !self.due(now) {
            return;
        }
        match ask(http, link).await {
            Ok(Some(answer)) => {
                let expires = DateTime::from_timestamp(answer.expires, 0);
                tracing::debug!(
                    servers = answer.ice_servers.len(),
                    ?expires,
                    "TURN credentials from the hub"
                );
                self.set(answer.ice_servers, expires);
            }
            Ok(None) => {
                self.set(Vec::new(), None);
                self.retry_later();
            }
            Err(e) => {
                tracing::warn!(error = %format!("{e:#}"), "TURN credentials could not be fetched from the hub");
                self.retry_later();
            }
        }
    }
}

/// The hub's answer; `None` when it has no TURN for this station (none configured, revoked).
async fn ask(http: &reqwest::Client, link: &HubLink) -> anyhow::Result<Option<TurnAnswer>> {
    use anyhow::Context;
    let resp = http
        .post(format!("{}/federation/v1/turn", link.url))
        .json(&TurnRequest {
            minutes: ASK_MINUTES,
        })
        .send()
        .await
        .context("reaching the hub")?;
    match resp.status() {
        s if s.is_success() => Ok(Some(
            resp.json()
                .await
                .context("the hub's answer could not be read")?,
        )),
        StatusCode::NOT_FOUND | StatusCode::FORBIDDEN | StatusCode::UNAUTHORIZED => Ok(None),
        s => anyhow::bail!("the hub answered {s}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_are_handed_out_until_near_their_end_and_renewed_early() {
        let turn = HubTurn::default();
        let now = Utc::now();
        assert!(turn.due(now));
        assert!(turn.servers(now).is_empty());
        let server = IceServer {
            urls: vec!["turn:turn.v.test:3478".into()],
            username: Some("1:dgp".into()),
            credential: Some("x".into()),
        };
        turn.set(vec![server], Some(now + chrono::TimeDelta::minutes(210)));
        assert!(!turn.due(now));
        assert_eq!(turn.servers(now).len(), 1);
        // Two hours on: still handed out, but due for renewal.
        let later = now + chrono::TimeDelta::minutes(125);
        assert!(turn.due(later));
        assert_eq!(turn.servers(later).len(), 1);
        // Within a short call of the end: no longer handed out.
        assert!(
            turn.servers(now + chrono::TimeDelta::minutes(200))
                .is_empty()
        );
        // A failure waits before asking again.
        turn.retry_later();
        assert!(!turn.due(later));
    }
}
