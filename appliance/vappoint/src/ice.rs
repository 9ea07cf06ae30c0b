//! STUN/TURN servers for browsers and the bridge, with time-limited TURN credentials made
//! from a shared secret (the TURN REST scheme coturn's `use-auth-secret` checks), so no
//! long-lived TURN password ever reaches a browser. Credentials are made for each call (a
//! box runs for years; one made at start would expire under it).

use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use sha1::Sha1;
pub use vappoint_wire::signal::IceServer;

use crate::config::CallsConfig;

/// How long a credential made from the station's own `[calls] turn_secret` stays valid: a
/// call and its grace, with room for one that runs long.
const LOCAL_CREDENTIAL_HOURS: i64 = 3;

/// A TURN REST credential valid until `expiry`: the user name carries the expiry, the
/// password is its HMAC-SHA1.
pub fn turn_credential(secret: &str, expiry: DateTime<Utc>, who: &str) -> (String, String) {
    let username = format!("{}:{who}", expiry.timestamp());
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
                    let expiry = now + chrono::Duration::hours(LOCAL_CREDENTIAL_HOURS);
                    let (u, c) = turn_credential(secret, expiry, who);
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
        let expiry = DateTime::from_timestamp(1_700_043_200, 0).unwrap();
        let (u, c) = turn_credential("north", expiry, "vappoint");
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
