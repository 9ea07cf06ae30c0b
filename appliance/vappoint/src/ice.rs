//! STUN/TURN servers for browsers and the bridge, with time-limited TURN credentials made
//! from a shared secret (the TURN REST scheme coturn's `use-auth-secret` checks), so no
//! long-lived TURN password ever reaches a browser.

use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use sha1::Sha1;
pub use vappoint_wire::signal::IceServer;

use crate::config::CallsConfig;

/// How long a TURN credential handed to a page stays valid.
const TURN_CREDENTIAL_HOURS: i64 = 12;

/// A TURN REST credential: the user name carries its expiry, the password is its HMAC-SHA1.
pub fn turn_credential(secret: &str, now: DateTime<Utc>, who: &str) -> (String, String) {
    let expiry = now.timestamp() + TURN_CREDENTIAL_HOURS * 3600;
    let username = format!("{expiry}:{who}");
    let mut mac = <Hmac<Sha1> as Mac>::new_from_slice(secret.as_bytes()).expect("any key length");
    mac.update(username.as_bytes());
    let credential = data_encoding::BASE64.encode(&mac.finalize().into_bytes());
    (username, credential)
}

/// The servers as a browser (or the bridge) should use them at `now`.
pub fn servers(config: &CallsConfig, now: DateTime<Utc>, who: &str) -> Vec<IceServer> {
    config
        .ice_servers
        .iter()
        .map(|s| {
            let is_turn = s.urls.iter().any(|u| u.starts_with("turn"));
            match (&s.username, &config.turn_secret) {
                (None, Some(secret)) if is_turn => {
                    let (u, c) = turn_credential(secret, now, who);
                    IceServer {
                        urls: s.urls.clone(),
                        username: Some(u),
                        credential: Some(c),
                    }
                }
                _ => s.clone(),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn turn_rest_credential_matches_the_known_scheme() {
        // Same inputs as coturn's documentation example shape: base64(hmac-sha1(secret, "expiry:user")).
        let now = DateTime::from_timestamp(1_700_000_000, 0).unwrap();
        let (u, c) = turn_credential("north", now, "vappoint");
        assert_eq!(u, "1700043200:vappoint");
        let mut mac = <Hmac<Sha1> as Mac>::new_from_slice(b"north").unwrap();
        mac.update(u.as_bytes());
        assert_eq!(
            c,
            data_encoding::BASE64.encode(&mac.finalize().into_bytes())
        );
        assert_eq!(c.len(), 28);
    }

    #[test]
    fn only_turn_without_username_gets_made_credentials() {
        let config: CallsConfig = toml::from_str(
            "turn_secret = \"s\"\n[[ice_servers]]\nurls = [\"stun:stun.example.in\"]\n[[ice_servers]]\nurls = [\"turn:turn.example.in?transport=udp\"]\n[[ice_servers]]\nurls = [\"turn:b.example.in\"]\nusername = \"u\"\ncredential = \"p\"",
        )
        .unwrap();
        let s = servers(&config, Utc::now(), "x");
        assert_eq!(s[0].username, None);
        assert!(s[1].username.as_deref().is_some_and(|u| u.ends_with(":x")));
        assert_eq!(s[2].credential.as_deref(), Some("p"));
    }
}
