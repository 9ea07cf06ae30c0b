//! Rate limits on bookings, token tries and logins, kept in memory per IP address or email.
//! They protect the station from floods; the database rules protect correctness.

use std::net::IpAddr;
use std::num::NonZeroU32;

use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

use crate::config::Limits;

pub struct RateLimits {
    booking_ip: DefaultKeyedRateLimiter<IpAddr>,
    booking_email: DefaultKeyedRateLimiter<String>,
    token_ip: DefaultKeyedRateLimiter<IpAddr>,
    login_ip: DefaultKeyedRateLimiter<IpAddr>,
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
        }
    }

    pub fn booking_from(&self, ip: IpAddr) -> bool {
        self.booking_ip.check_key(&ip).is_ok()
    }

    pub fn booking_for(&self, email_key: &str) -> bool {
        self.booking_email.check_key(&email_key.to_string()).is_ok()
    }

    pub fn token_try_from(&self, ip: IpAddr) -> bool {
        self.token_ip.check_key(&ip).is_ok()
    }

    pub fn login_from(&self, ip: IpAddr) -> bool {
        self.login_ip.check_key(&ip).is_ok()
    }

    /// Forgets keys whose limits have recovered, so memory stays bounded.
    pub fn tidy(&self) {
        self.booking_ip.retain_recent();
        self.booking_email.retain_recent();
        self.token_ip.retain_recent();
        self.login_ip.retain_recent();
    }
}
