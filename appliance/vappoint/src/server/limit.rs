//! Limits on the HTTPS listener's connections, for a box on the open internet: at most so many
//! open at once in all and from one source (an IPv4 address, or an IPv6 /64), counted before
//! the TLS handshake spends anything on them. Time limits live elsewhere: the handshake's in
//! the TLS acceptor, reading a request's headers (and waiting for the next one) in hyper (see
//! `Listeners::serve`); upgraded connections (WebSockets, station tunnels) keep their own.

use std::collections::HashMap;
use std::future::Future;
use std::io;
use std::net::IpAddr;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use axum_server::accept::Accept;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;

use crate::limits::source;

/// How many connections may be open at once.
#[derive(Debug, Clone, Copy)]
pub struct ConnLimits {
    pub total: usize,
    /// Many citizens share one carrier-NAT address, and a browser opens several
    /// connections: generous, but far below `total`.
    pub per_source: usize,
}

impl ConnLimits {
    /// A station: its citizens, officers and the relay's streams (those come through the
    /// tunnel, not this listener). The unit allows 65,536 descriptors; the rest are for
    /// files, the bridge's sockets and the database.
    pub fn station() -> ConnLimits {
        ConnLimits {
            total: 4096,
            per_source: 256,
        }
    }

    /// A hub: every relay-mode station keeps one tunnel here, and citizens of all of them
    /// connect here, so far more in all (10,000 stations' tunnels fit, with room for their
    /// citizens); per source the same. Needs `LimitNOFILE` of at least 65,536
    /// (docs/reachability.md).
    pub fn hub() -> ConnLimits {
        ConnLimits {
            total: 40_000,
            per_source: 256,
        }
    }
}

/// The connections open now, by source.
struct Open {
    limits: ConnLimits,
    by_source: Mutex<(usize, HashMap<IpAddr, usize>)>,
}

/// One admitted connection's place; given back when it is dropped.
struct Slot {
    open: Arc<Open>,
    source: IpAddr,
}

impl Open {
    fn admit(self: &Arc<Self>, ip: IpAddr) -> Option<Slot> {
        let source = source(ip);
        let mut guard = self.by_source.lock().unwrap_or_else(|e| e.into_inner());
        let (total, by_source) = &mut *guard;
        let mine = by_source.entry(source).or_insert(0);
        if *total >= self.limits.total || *mine >= self.limits.per_source {
            return None;
        }
        *mine += 1;
        *total += 1;
        Some(Slot {
            open: self.clone(),
            source,
        })
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut guard = self
            .open
            .by_source
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        let (total, by_source) = &mut *guard;
        *total -= 1;
        if let Some(n) = by_source.get_mut(&self.source) {
            *n -= 1;
            if *n == 0 {
                by_source.remove(&self.source);
            }
        }
    }
}

/// An acceptor that admits a connection only within the limits, before `inner` (the TLS
/// handshake) spends anything on it.
#[derive(Clone)]
pub struct LimitAcceptor<A> {
    inner: A,
    open: Arc<Open>,
}

impl<A> LimitAcceptor<A> {
    pub fn new(inner: A, limits: ConnLimits) -> Self {
        LimitAcceptor {
            inner,
            open: Arc::new(Open {
                limits,
                by_source: Mutex::new((0, HashMap::new())),
            }),
        }
    }
}

impl<A, S> Accept<TcpStream, S> for LimitAcceptor<A>
where
    A: Accept<TcpStream, S> + Clone + Send + Sync + 'static,
    A::Future: Send,
    A::Stream: Send,
    A::Service: Send,
    S: Send + 'static,
{
    type Stream = Limited<A::Stream>;
    type Service = A::Service;
    type Future = Pin<Box<dyn Future<Output = io::Result<(Self::Stream, Self::Service)>> + Send>>;

    fn accept(&self, stream: TcpStream, service: S) -> Self::Future {
        let slot = stream
            .peer_addr()
            .ok()
            .and_then(|a| self.open.admit(a.ip()));
        let inner = self.inner.clone();
        Box::pin(async move {
            let Some(slot) = slot else {
                // Dropped unanswered: a flood gets nothing to read, and costs one accept.
                return Err(io::Error::other("too many connections"));
            };
            let (stream, service) = inner.accept(stream, service).await?;
            Ok((
                Limited {
                    inner: stream,
                    _slot: slot,
                },
                service,
            ))
        })
    }
}

/// A connection that holds its slot while it is open.
pub struct Limited<S> {
    inner: S,
    _slot: Slot,
}

impl<S: AsyncRead + Unpin> AsyncRead for Limited<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Limited<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn open(total: usize, per_source: usize) -> Arc<Open> {
        Arc::new(Open {
            limits: ConnLimits { total, per_source },
            by_source: Mutex::new((0, HashMap::new())),
        })
    }

    #[test]
    fn sources_and_the_total_are_capped_and_slots_come_back() {
        let o = open(3, 2);
        let a: IpAddr = "203.0.113.7".parse().unwrap();
        let (s1, s2) = (o.admit(a).unwrap(), o.admit(a).unwrap());
        assert!(o.admit(a).is_none(), "a third from one address");
        let v6 = o.admit("2001:db8::1".parse().unwrap()).unwrap();
        assert!(
            o.admit("2001:db8::2".parse().unwrap()).is_none(),
            "the total"
        );
        drop(s1);
        assert!(o.admit(a).is_some(), "a slot given back");
        drop((s2, v6));
        assert_eq!(o.by_source.lock().unwrap().0, 0);
        assert!(o.by_source.lock().unwrap().1.is_empty());
    }

    #[test]
    fn one_64_is_one_source() {
        let o = open(10, 1);
        let _first = o.admit("2001:db8:1:2::1".parse().unwrap()).unwrap();
        assert!(o.admit("2001:db8:1:2:abcd::9".parse().unwrap()).is_none());
        assert!(o.admit("2001:db8:1:3::1".parse().unwrap()).is_some());
    }
}
