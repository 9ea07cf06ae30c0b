//! Rate limits on bookings, token tries and logins, kept in memory per address or email.
//! They protect the station from floods; the database rules protect correctness. An IPv6
//! address counts by its /64, which one subscriber holds whole (rotating within it is free).

use std::net::IpAddr;
use std::num::NonZeroU32;

use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

use crate::config::Limits;

pub struct RateLimits {
    booking_ip: DefaultKeyedRateLimiter<IpAddr>,
    booking_email: DefaultKeyedRateLimiter<String>,
    token_ip: DefaultKeyedRateLimiter<IpAddr>,
    login_ip: DefaultKeyedRateLimiter<IpAddr>,
    login_account: DefaultKeyedRateLimiter<String>,
}

/// The key an address is limited by: itself (IPv4), or its /64 (IPv6): one subscriber's
/// share. The listener's connection caps count the same way.
pub fn source(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(_) => ip,
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => IpAddr::V6((u128::from(v6) & !((1u128 << 64) - 1)).into()),
        },
    }
}

fn nz(n: u32) -> NonZeroU32 {
    NonZeroU32::new(n).unwrap_or(NonZeroU32::MIN)
}

impl RateLimits {
    pub fn new(l: &Limits) -> RateLimits {
        RateLimits {
            booking_ip: RateLimiter::keyed(Quota::per_minute(nz(l.bookings_per_ip_per_minute))),
            booking_email: RateLimiter::keyed(Quota::per_hour(nz(l.bookings_per_email_per_hour))),
            token_ip: RateLimiter::keyed(Quota::per_minute(nz(l.token_tries_per_ip_per_minute))),
            login_ip: RateLimiter::keyed(Quota::per_minute(nz(l.logins_per_ip_per_minute))),
            login_account: RateLimiter::keyed(Quota::per_hour(nz(l.logins_per_account_per_hour))),
        }
    }

    pub fn booking_from(&self, ip: IpAddr) -> bool {
        self.booking_ip.check_key(&source(ip)).is_ok()
    }

    pub fn booking_for(&self, email_key: &str) -> bool {
        self.booking_email.check_key(&email_key.to_string()).is_ok()
    }

    pub fn token_try_from(&self, ip: IpAddr) -> bool {
        self.token_ip.check_key(&source(ip)).is_ok()
    }

    pub fn login_from(&self, ip: IpAddr) -> bool {
        self.login_ip.check_key(&source(ip)).is_ok()
    }

    /// A password try at the account `email` from `ip`: both the address and the account
    /// must have tries left (an unknown email counts too, so probing costs the same).
    pub fn login(&self, ip: IpAddr, email: &str) -> bool {
        self.login_from(ip)
            && self
                .login_account
                .check_key(&email.trim().to_lowercase())
                .is_ok()
    }

    /// Forgets keys whose limits have recovered, so memory stays bounded.
    pub fn tidy(&self) {
        self.booking_ip.retain_recent();
        self.booking_email.retain_recent();
        self.token_ip.retain_recent();
        self.login_ip.retain_recent();
        self.login_account.retain_recent();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ipv6_counts_by_its_64_and_accounts_count_across_addresses() {
        let limits = RateLimits::new(&Limits {
            logins_per_ip_per_minute: 2,
            logins_per_account_per_hour: 3,
            ..Limits::default()
        });
        let a: IpAddr = "2001:db8:1:2::10".parse().unwrap();
        let b: IpAddr = "2001:db8:1:2:ffff::99".parse().unwrap();
        assert!(limits.login_from(a));
        assert!(limits.login_from(b));
        assert!(!limits.login_from(a), "the same /64 shares its tries");
        assert!(limits.login_from("2001:db8:1:3::10".parse().unwrap()));
        // One account, three addresses each with tries left: three tries in all.
        let tried: Vec<bool> = (1..=4)
            .map(|i| limits.login(IpAddr::from([10, 0, 0, i]), " PI@Station.example "))
            .collect();
        assert_eq!(tried, [true, true, true, false]);
        assert!(limits.login(IpAddr::from([10, 0, 0, 9]), "other@station.example"));
    }
}
