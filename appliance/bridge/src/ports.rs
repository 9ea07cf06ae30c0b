//! The pool of UDP ports the legs bind: which are leased, and which to try next.
//!
//! webrtc 0.21.1 has no UDP mux, so every leg binds a socket of its own per local address,
//! and a port-forwarded station can only forward a known range. The pool hands out ports of
//! that range round-robin — a port just released is the last to be reused, so late packets
//! meant for a closed leg do not land on a new one — and skips ports some other program holds
//! (found by test-binding them).

use std::collections::BTreeSet;
use std::net::{IpAddr, SocketAddr, UdpSocket};
use std::ops::RangeInclusive;
use std::sync::{Arc, Mutex};

/// The leased ports of a range and where the next search starts.
#[derive(Debug)]
pub(crate) struct PortPool {
    first: u16,
    last: u16,
    state: Mutex<PoolState>,
}

#[derive(Debug)]
struct PoolState {
    leased: BTreeSet<u16>,
    next: u16,
}

/// A port taken from the pool; it goes back when this is dropped.
#[derive(Debug)]
pub(crate) struct PortLease {
    pool: Arc<PortPool>,
    port: u16,
}

impl PortLease {
    pub(crate) fn port(&self) -> u16 {
        self.port
    }
}

impl Drop for PortLease {
    fn drop(&mut self) {
        self.pool.release(self.port);
    }
}

impl PortPool {
    pub(crate) fn new(range: RangeInclusive<u16>) -> Arc<PortPool> {
        let (first, last) = (*range.start(), *range.end());
        Arc::new(PortPool {
            first,
            last,
            state: Mutex::new(PoolState {
                leased: BTreeSet::new(),
                next: first,
            }),
        })
    }

    pub(crate) fn first(&self) -> u16 {
        self.first
    }

    pub(crate) fn last(&self) -> u16 {
        self.last
    }

    /// Leases the first port, in round-robin order, that is not leased and for which `usable`
    /// says yes (normally [`bindable`]). `None` when no port qualifies. An empty range
    /// (`first > last`) never yields a port.
    pub(crate) fn lease(
        self: &Arc<Self>,
        mut usable: impl FnMut(u16) -> bool,
    ) -> Option<PortLease> {
        if self.first > self.last {
            return None;
        }
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        let size = u32::from(self.last - self.first) + 1;
        let start = u32::from(state.next.clamp(self.first, self.last) - self.first);
        for i in 0..size {
            // The offset fits a u16: it is below `size`, itself at most 65536 only for the
            // full range, where `first + offset` still cannot pass `last`.
            let port = self.first + ((start + i) % size) as u16;
            if state.leased.contains(&port) || !usable(port) {
                continue;
            }
            state.leased.insert(port);
            state.next = if port == self.last {
                self.first
            } else {
                port + 1
            };
            return Some(PortLease {
                pool: Arc::clone(self),
                port,
            });
        }
        None
    }

    fn release(&self, port: u16) {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        state.leased.remove(&port);
    }

    #[cfg(test)]
    fn leased(&self) -> usize {
        self.state
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .leased
            .len()
    }
}

/// Whether `port` can be bound for UDP on every one of `ips` right now. The test sockets are
/// closed again at once; the peer connection binds its own moments later, and a program that
/// grabs the port in between only costs a retry.
pub(crate) fn bindable(ips: &[IpAddr], port: u16) -> bool {
    let mut held = Vec::with_capacity(ips.len());
    for ip in ips {
        match UdpSocket::bind(SocketAddr::new(*ip, port)) {
            // Held until every address is tried, so a wildcard and a concrete address of the
            // same list cannot both "succeed" one after the other.
            Ok(s) => held.push(s),
            Err(_) => return false,
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    const LOCAL: [IpAddr; 1] = [IpAddr::V4(std::net::Ipv4Addr::LOCALHOST)];

    #[test]
    fn leases_round_robin_and_skips_leased_ports() {
        let pool = PortPool::new(100..=102);
        let a = pool.lease(|_| true).unwrap();
        let b = pool.lease(|_| true).unwrap();
        assert_eq!((a.port(), b.port()), (100, 101));
        drop(a);
        // 100 is free again but the search goes on from 102 first.
        let c = pool.lease(|_| true).unwrap();
        assert_eq!(c.port(), 102);
        let d = pool.lease(|_| true).unwrap();
        assert_eq!(d.port(), 100);
        assert!(pool.lease(|_| true).is_none(), "all three are leased");
        assert_eq!(pool.leased(), 3);
        drop((b, c, d));
        assert_eq!(pool.leased(), 0);
    }

    #[test]
    fn skips_ports_that_are_not_usable() {
        let pool = PortPool::new(200..=203);
        let lease = pool.lease(|p| p % 2 == 1).unwrap();
        assert_eq!(lease.port(), 201);
        assert!(pool.lease(|p| p == 201).is_none(), "201 is already leased");
        assert!(pool.lease(|_| false).is_none());
    }

    #[test]
    fn a_single_port_range_and_an_empty_one() {
        let pool = PortPool::new(7..=7);
        let lease = pool.lease(|_| true).unwrap();
        assert_eq!(lease.port(), 7);
        assert!(pool.lease(|_| true).is_none());
        drop(lease);
        assert_eq!(pool.lease(|_| true).unwrap().port(), 7);

        #[allow(clippy::reversed_empty_ranges)]
        let empty = PortPool::new(9..=8);
        assert!(empty.lease(|_| true).is_none());
    }

    #[test]
    fn the_full_range_wraps_without_overflow() {
        let pool = PortPool::new(0..=u16::MAX);
        let hi = pool.lease(|p| p == u16::MAX).unwrap();
        assert_eq!(hi.port(), u16::MAX);
        // The cursor wrapped to the start of the range.
        assert_eq!(pool.lease(|_| true).unwrap().port(), 0);
    }

    #[test]
    fn a_port_held_by_another_socket_is_not_bindable() {
        let other = UdpSocket::bind("127.0.0.1:0").unwrap();
        let taken = other.local_addr().unwrap().port();
        assert!(!bindable(&LOCAL, taken));

        let pool = PortPool::new(taken..=taken.saturating_add(1));
        let lease = pool.lease(|p| bindable(&LOCAL, p));
        // The neighbour may be taken too on a busy machine; what matters is that the held
        // port is never handed out.
        if let Some(lease) = lease {
            assert_ne!(lease.port(), taken);
        }
    }
}
