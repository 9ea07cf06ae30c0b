//! Rate limits on bookings, token tries and logins, kept in memory per address or email,
//! and the day's quota of document bytes per address and in all. They protect the station
//! from floods; the database rules protect correctness. An IPv6 address counts by its /64,
//! which one subscriber holds whole (rotating within it is free).

use std::collections::HashMap;
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::{Arc, Mutex};

use chrono::NaiveDate;
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

use crate::config::Limits;

pub struct RateLimits {
    booking_ip: DefaultKeyedRateLimiter<IpAddr>,
    booking_email: DefaultKeyedRateLimiter<String>,
    token_ip: DefaultKeyedRateLimiter<IpAddr>,
    login_ip: DefaultKeyedRateLimiter<IpAddr>,
    login_account: DefaultKeyedRateLimiter<String>,
    pub documents: Arc<DocumentQuota>,
}

/// Document bytes stored per local day, per source (its keyed tag) and in all. Charged as
/// each chunk is written, before it is, and refunded when the booking is not made, so what
/// is on disk never passes the quota, whatever runs in parallel. The counts live in memory;
/// after a restart the caller seeds a source's (and the total) from the documents booked
/// that day (`known`, `seed`).
pub struct DocumentQuota {
    per_source: u64,
    total: u64,
    day: Mutex<QuotaDay>,
}

/// How many sources a day's quota keeps in memory before it stops keeping those with nothing
/// stored (about 100 bytes each).
const ZERO_SOURCES_KEPT: usize = 10_000;

#[derive(Default)]
struct QuotaDay {
    date: NaiveDate,
    total: Option<u64>,
    by_source: HashMap<Vec<u8>, u64>,
}

impl DocumentQuota {
    pub fn new(per_source: u64, total: u64) -> DocumentQuota {
        DocumentQuota {
            per_source,
            total,
            day: Mutex::default(),
        }
    }

    /// The day's counts, started afresh when the day changes.
    fn on(&self, date: NaiveDate) -> std::sync::MutexGuard<'_, QuotaDay> {
        let mut day = self.day.lock().unwrap_or_else(|e| e.into_inner());
        if day.date != date {
            *day = QuotaDay {
                date,
                ..QuotaDay::default()
            };
        }
        day
    }

    /// Whether the counts of `date` include the total and `source`.
    pub fn known(&self, date: NaiveDate, source: &[u8]) -> bool {
        let day = self.on(date);
        day.total.is_some() && day.by_source.contains_key(source)
    }

    /// Counts read from the database; counts already kept in memory win (they are newer).
    /// A source with nothing stored is kept too, as 0, so most citizens (who book without a
    /// document) cost the database one count a day, not one per request; past
    /// [`ZERO_SOURCES_KEPT`] sources a flood of new addresses is read again instead of
    /// growing memory.
    pub fn seed(&self, date: NaiveDate, source: &[u8], source_bytes: u64, total_bytes: u64) {
        let mut day = self.on(date);
        day.total.get_or_insert(total_bytes);
        if source_bytes > 0 || day.by_source.len() < ZERO_SOURCES_KEPT {
            day.by_source.entry(source.to_vec()).or_insert(source_bytes);
        }
    }

    /// Takes `n` bytes from the day's quotas, or refuses (taking nothing).
    pub fn charge(&self, date: NaiveDate, source: &[u8], n: u64) -> bool {
        let mut day = self.on(date);
        let total = day.total.unwrap_or(0);
        let mine = day.by_source.get(source).copied().unwrap_or(0);
        if total + n > self.total || mine + n > self.per_source {
            return false;
        }
        day.total = Some(total + n);
        day.by_source.insert(source.to_vec(), mine + n);
        true
    }

    /// Gives back bytes of documents that were not kept (a day that has passed is gone).
    pub fn refund(&self, date: NaiveDate, source: &[u8], n: u64) {
        let mut day = self.day.lock().unwrap_or_else(|e| e.into_inner());
        if day.date != date {
            return;
        }
        if let Some(t) = &mut day.total {
            *t = t.saturating_sub(n);
        }
        if let Some(mine) = day.by_source.get_mut(source) {
            *mine = mine.saturating_sub(n);
        }
    }
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

/// The network a booking counts towards for an officer's day: the /24 (IPv4), or the /64
/// (IPv6). A flood from one hosting range or subscriber fills at most its share.
pub fn network(ip: IpAddr) -> IpAddr {
    match source(ip) {
        IpAddr::V4(v4) => IpAddr::V4((u32::from(v4) & !0xff).into()),
        v6 => v6,
    }
}

const MB: u64 = 1_000_000;

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
            documents: Arc::new(DocumentQuota::new(
                l.document_mb_per_address_per_day.saturating_mul(MB),
                l.document_mb_per_day.saturating_mul(MB),
            )),
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

    #[test]
    fn document_bytes_stop_at_the_quotas_and_come_back_when_refunded() {
        let q = DocumentQuota::new(100, 250);
        let day = NaiveDate::from_ymd_opt(2026, 12, 7).unwrap();
        assert!(!q.known(day, b"a"));
        q.seed(day, b"a", 40, 40);
        assert!(q.known(day, b"a"));
        assert!(q.charge(day, b"a", 60));
        assert!(!q.charge(day, b"a", 1), "a's day is full");
        q.refund(day, b"a", 10);
        assert!(q.charge(day, b"a", 10));
        assert!(q.charge(day, b"b", 100));
        assert!(!q.charge(day, b"c", 60), "everyone's day is full");
        assert!(q.charge(day, b"c", 50));
        // The next day starts afresh.
        assert!(q.charge(day.succ_opt().unwrap(), b"a", 100));
    }

    #[test]
    fn a_source_with_nothing_stored_is_read_once_until_too_many_are_kept() {
        let q = DocumentQuota::new(100, 250);
        let day = NaiveDate::from_ymd_opt(2026, 12, 7).unwrap();
        q.seed(day, b"a", 0, 0);
        assert!(q.known(day, b"a"), "nothing stored is a count too");
        for i in 0..ZERO_SOURCES_KEPT as u32 {
            q.seed(day, &i.to_be_bytes(), 0, 0);
        }
        q.seed(day, b"late", 0, 0);
        assert!(!q.known(day, b"late"), "past the cap, read again");
        q.seed(day, b"late", 5, 0);
        assert!(
            q.known(day, b"late"),
            "a source that stored something is always kept"
        );
    }

    #[test]
    fn a_network_is_a_24_or_a_64() {
        let n = |s: &str| network(s.parse().unwrap()).to_string();
        assert_eq!(n("203.0.113.77"), "203.0.113.0");
        assert_eq!(n("::ffff:203.0.113.77"), "203.0.113.0");
        assert_eq!(n("2001:db8:1:2:ffff::99"), "2001:db8:1:2::");
    }
}
