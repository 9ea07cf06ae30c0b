//! The bridge's configuration (UDP ports, local addresses, the public address) and the
//! STUN/TURN servers each leg is given, in webrtc's form. TURN is UDP-only here: `turns:`
//! and `?transport=tcp` URLs are dropped.

use std::net::IpAddr;
use std::ops::RangeInclusive;

use webrtc::peer_connection::RTCIceServer;

/// How the bridge reaches the network.
#[derive(Debug, Clone, PartialEq)]
pub struct BridgeConfig {
    /// UDP ports the bridge binds, one per leg per bind address (there is no UDP mux).
    /// Default 40000..=40199.
    pub udp_ports: RangeInclusive<u16>,
    /// Local addresses to bind. Empty = the machine's non-loopback interface addresses
    /// (looked up once, when the bridge is created).
    pub bind_ips: Vec<IpAddr>,
    /// Public address of a port-forwarded station. Announced to browsers as an extra candidate
    /// with the leg's port, because `SettingEngine::with_nat_1to1_ips` is stored but never used
    /// by webrtc 0.21.1.
    pub public_ip: Option<IpAddr>,
}

impl Default for BridgeConfig {
    fn default() -> Self {
        BridgeConfig {
            udp_ports: 40000..=40199,
            bind_ips: Vec::new(),
            public_ip: None,
        }
    }
}

/// One STUN or TURN server, as in the browser's `RTCIceServer`: the station's own type, so its
/// configuration reaches the bridge unchanged.
pub use vappoint_wire::signal::IceServer;

/// The addresses to bind when none are configured: every non-loopback, non-link-local address
/// of an interface that is up. Link-local addresses are skipped because a browser on another
/// link could not reach them and IPv6 ones would need a scope id.
pub(crate) fn discover_bind_ips() -> Vec<IpAddr> {
    match if_addrs::get_if_addrs() {
        Ok(interfaces) => {
            let mut ips: Vec<IpAddr> = interfaces
                .iter()
                .filter(|i| !i.is_loopback() && !i.is_link_local() && i.is_oper_up())
                .map(|i| i.ip())
                .collect();
            ips.sort();
            ips.dedup();
            ips
        }
        Err(e) => {
            tracing::warn!(error = %e, "cannot list network interfaces");
            Vec::new()
        }
    }
}

/// Whether this crate can use an ICE server URL: STUN, and TURN over UDP. The bridge's TURN
/// relaying is UDP-only, so a `turns:` URL or one asking for TCP would fail at gathering time;
/// leaving them out keeps the other URLs of the same server usable.
pub(crate) fn usable_ice_url(url: &str) -> bool {
    let lower = url.trim().to_ascii_lowercase();
    if lower.starts_with("stun:") {
        return true;
    }
    if let Some(rest) = lower.strip_prefix("turn:") {
        return match rest.split_once('?') {
            None => true,
            Some((_, query)) => query
                .split('&')
                .all(|kv| kv != "transport=tcp" && kv != "transport=tls"),
        };
    }
    false
}

/// The configured servers in webrtc's form, with the URLs it cannot use removed.
pub(crate) fn rtc_ice_servers(servers: &[IceServer]) -> Vec<RTCIceServer> {
    servers
        .iter()
        .filter_map(|s| {
            let (urls, dropped): (Vec<String>, Vec<String>) =
                s.urls.iter().cloned().partition(|u| usable_ice_url(u));
            for url in dropped {
                tracing::warn!(%url, "ignoring ICE server URL: the bridge only does STUN and TURN over UDP");
            }
            (!urls.is_empty()).then(|| RTCIceServer {
                urls,
                username: s.username.clone().unwrap_or_default(),
                credential: s.credential.clone().unwrap_or_default(),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_port_range_is_two_hundred_ports() {
        let c = BridgeConfig::default();
        assert_eq!(c.udp_ports, 40000..=40199);
        assert_eq!(c.udp_ports.clone().count(), 200);
    }

    #[test]
    fn only_stun_and_udp_turn_urls_are_kept() {
        assert!(usable_ice_url("stun:stun.example.org:3478"));
        assert!(usable_ice_url("turn:turn.example.org:3478"));
        assert!(usable_ice_url("turn:turn.example.org:3478?transport=udp"));
        assert!(!usable_ice_url("turn:turn.example.org:3478?transport=tcp"));
        assert!(!usable_ice_url("turns:turn.example.org:5349"));
        assert!(!usable_ice_url("https://example.org"));
    }

    #[test]
    fn servers_without_usable_urls_are_dropped() {
        let servers = vec![
            IceServer {
                urls: vec![
                    "turn:t.example.org?transport=tcp".into(),
                    "turn:t.example.org?transport=udp".into(),
                ],
                username: Some("u".into()),
                credential: Some("p".into()),
            },
            IceServer {
                urls: vec!["turns:t.example.org".into()],
                ..Default::default()
            },
        ];
        let rtc = rtc_ice_servers(&servers);
        assert_eq!(rtc.len(), 1);
        assert_eq!(rtc[0].urls, vec!["turn:t.example.org?transport=udp"]);
        assert_eq!(rtc[0].username, "u");
    }
}
