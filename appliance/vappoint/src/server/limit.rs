//! Limits on the HTTPS listener's connections, for a box on the open internet: at most so many
//! open at once in all and from one source (an IPv4 address, or an IPv6 /64), and each closed
//! when nothing has moved either way for a while (a connection that sends nothing, or trickles
//! nothing after its request, holds no descriptor for long). Header reading has its own,
//! shorter limit in hyper (see `server::serve`).

use std::collections::HashMap;
use std::future::Future;
use std::io;
use std::net::IpAddr;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use axum_server::accept::Accept;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio::time::{Instant, Sleep};

/// How many connections may be open, and for how long one may stay silent.
#[derive(Debug, Clone, Copy)]
pub struct ConnLimits {
    pub total: usize,
    /// Many citizens share one carrier-NAT address, and a browser opens several
    /// connections: generous, but far below `total`.
    pub per_source: usize,
    pub idle: Duration,
}

impl Default for ConnLimits {
    fn default() -> Self {
        ConnLimits {
            total: 4096,
            per_source: 256,
            idle: Duration::from_secs(120),
        }
    }
}

/// The connections open now, by source.
struct Open {
    limits: ConnLimits,
    by_source: Mutex<(usize, HashMap<IpAddr, usize>)>,
}

/// The key a connection counts under: the address (IPv4), or its /64 (IPv6).
fn source(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(_) => ip,
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => IpAddr::V6((u128::from(v6) & !((1u128 << 64) - 1)).into()),
        },
    }
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
        let mut guard = self.open.by_source.lock().unwrap_or_else(|e| e.into_inner());
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
        let slot = stream.peer_addr().ok().and_then(|a| self.open.admit(a.ip()));
        let (inner, idle) = (self.inner.clone(), self.open.limits.idle);
        Box::pin(async move {
            let Some(slot) = slot else {
                // Dropped unanswered: a flood gets nothing to read, and costs one accept.
                return Err(io::Error::other("too many connections"));
            };
            let (stream, service) = inner.accept(stream, service).await?;
            Ok((
                Limited {
                    inner: stream,
                    idle,
                    quiet: Box::pin(tokio::time::sleep(idle)),
                    _slot: slot,
                },
                service,
            ))
        })
    }
}

/// A connection that holds its slot and fails once nothing has been read or written for
/// `idle`.
pub struct Limited<S> {
    inner: S,
    idle: Duration,
    quiet: Pin<Box<Sleep>>,
    _slot: Slot,
}

impl<S> Limited<S> {
    fn moved(&mut self) {
        self.quiet.as_mut().reset(Instant::now() + self.idle);
    }

    /// Pending from the stream: has the connection been quiet for too long?
    fn check_quiet<T>(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<T>> {
        match self.quiet.as_mut().poll(cx) {
            Poll::Ready(()) => Poll::Ready(Err(io::ErrorKind::TimedOut.into())),
            Poll::Pending => Poll::Pending,
        }
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for Limited<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        match Pin::new(&mut self.inner).poll_read(cx, buf) {
            Poll::Ready(Ok(())) => {
                if buf.filled().len() > before {
                    self.moved();
                }
                Poll::Ready(Ok(()))
            }
            Poll::Ready(Err(e)) => Poll::Ready(Err(e)),
            Poll::Pending => self.check_quiet(cx),
        }
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Limited<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        match Pin::new(&mut self.inner).poll_write(cx, buf) {
            Poll::Ready(Ok(n)) => {
                if n > 0 {
                    self.moved();
                }
                Poll::Ready(Ok(n))
            }
            Poll::Ready(Err(e)) => Poll::Ready(Err(e)),
            // A peer that reads nothing (its window full) is as quiet as one that sends nothing.
            Poll::Pending => self.check_quiet(cx),
        }
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
            limits: ConnLimits {
                total,
                per_source,
                idle: Duration::from_secs(1),
            },
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

    #[tokio::test(start_paused = true)]
    async fn a_quiet_connection_fails_and_a_busy_one_does_not() {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let o = open(10, 10);
        let slot = o.admit("127.0.0.1".parse().unwrap()).unwrap();
        let (near, mut far) = tokio::io::duplex(64);
        let mut conn = Limited {
            inner: near,
            idle: Duration::from_secs(1),
            quiet: Box::pin(tokio::time::sleep(Duration::from_secs(1))),
            _slot: slot,
        };
        let mut buf = [0u8; 8];
        // Bytes every half second keep it open.
        for _ in 0..4 {
            tokio::time::advance(Duration::from_millis(500)).await;
            far.write_all(b"x").await.unwrap();
            assert_eq!(conn.read(&mut buf).await.unwrap(), 1);
        }
        // Then silence: the read fails once the idle time has passed.
        let err = conn.read(&mut buf).await.unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::TimedOut);
    }
}
