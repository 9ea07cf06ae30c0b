//! Which addresses are on a LAN (private, loopback or link-local, IPv4 or IPv6): set-up mode
//! and `/metrics` answer only them. A citizen relayed through the hub arrives with their own,
//! public, address.

use std::net::IpAddr;

/// Addresses of the box's own network: set-up is refused to anything else, so a box whose
/// ports are already forwarded cannot be claimed from the internet; so is `/metrics`.
pub fn is_lan(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => v4.is_loopback() || v4.is_private() || v4.is_link_local(),
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_lan(IpAddr::V4(v4));
            }
            let first = v6.segments()[0];
            v6.is_loopback()
                || (first & 0xfe00) == 0xfc00 // unique local fc00::/7
                || (first & 0xffc0) == 0xfe80 // link local fe80::/10
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lan_addresses_are_told_from_the_internet() {
        for lan in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.9",
            "192.168.1.20",
            "169.254.3.4",
            "::1",
            "fe80::1",
            "fd12:3456::1",
            "::ffff:192.168.1.5",
        ] {
            assert!(is_lan(lan.parse().unwrap()), "{lan}");
        }
        for wan in [
            "49.36.1.2",
            "100.64.0.1",
            "172.32.0.1",
            "2401:4900::1",
            "::ffff:8.8.8.8",
        ] {
            assert!(!is_lan(wan.parse().unwrap()), "{wan}");
        }
    }
}
