//! Reading a TLS ClientHello's server name before any handshake, so an HTTPS listener can
//! pass whole connections on undecrypted (the hub's relay) and serve the rest itself: the
//! bytes read are replayed to whichever side gets the connection ([`Prefixed`]).

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use axum_server::accept::Accept;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;

/// How long a client may take to send its ClientHello.
pub const HELLO_TIMEOUT: Duration = Duration::from_secs(10);
/// The most a ClientHello may take (several TLS records); a bigger one is not a browser's.
pub const HELLO_MAX: usize = 16 * 1024;

/// A stream with bytes already read from it in front: they are read again first.
pub struct Prefixed<S> {
    prefix: Vec<u8>,
    at: usize,
    inner: S,
}

impl<S> Prefixed<S> {
    pub fn new(prefix: Vec<u8>, inner: S) -> Self {
        Prefixed {
            prefix,
            at: 0,
            inner,
        }
    }
    pub fn get_ref(&self) -> &S {
        &self.inner
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for Prefixed<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        if self.at < self.prefix.len() {
            let n = buf.remaining().min(self.prefix.len() - self.at);
            let at = self.at;
            buf.put_slice(&self.prefix[at..at + n]);
            self.at += n;
            if self.at == self.prefix.len() {
                // Read once: the memory goes back now, not when the connection ends.
                self.prefix = Vec::new();
                self.at = 0;
            }
            return Poll::Ready(Ok(()));
        }
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Prefixed<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }
    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }
    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
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
}

/// Reads from `stream` until a whole ClientHello is in, without answering it. Returns the
/// server name it asks for (lowercase; `None` without one, e.g. for an IP address) and
/// every byte read. Fails on a timeout, a cap overrun or something that is not TLS.
pub async fn read_client_hello<S: AsyncRead + Unpin>(
    stream: &mut S,
) -> io::Result<(Option<String>, Vec<u8>)> {
    let mut seen = Vec::with_capacity(1024);
    let mut acceptor = rustls::server::Acceptor::default();
    let read = async {
        loop {
            let mut chunk = [0u8; 2048];
            let n = stream.read(&mut chunk).await?;
            if n == 0 {
                return Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    "closed before its ClientHello",
                ));
            }
            if seen.len() + n > HELLO_MAX {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    "ClientHello too large",
                ));
            }
            seen.extend_from_slice(&chunk[..n]);
            // rustls parses its own copy; ours is replayed to whoever gets the connection.
            let mut rest = &chunk[..n];
            while !rest.is_empty() {
                acceptor.read_tls(&mut rest)?;
            }
            match acceptor.accept() {
                Ok(Some(accepted)) => {
                    let name = accepted
                        .client_hello()
                        .server_name()
                        .map(str::to_ascii_lowercase);
                    return Ok(name);
                }
                Ok(None) => continue,
                Err((e, _)) => return Err(io::Error::new(io::ErrorKind::InvalidData, e)),
            }
        }
    };
    let name = tokio::time::timeout(HELLO_TIMEOUT, read)
        .await
        .map_err(|_| io::Error::new(io::ErrorKind::TimedOut, "no ClientHello in time"))??;
    Ok((name, seen))
}

/// Decides, by server name, which connections leave the listener's own TLS.
pub trait Passthrough: Send + Sync + 'static {
    /// Takes the connection for `name` (from `peer`) and carries it until it ends, or gives
    /// it back (`Some`) to be answered by the listener's own TLS.
    fn route(
        self: Arc<Self>,
        name: String,
        peer: SocketAddr,
        stream: Prefixed<TcpStream>,
    ) -> Pin<Box<dyn Future<Output = Option<Prefixed<TcpStream>>> + Send>>;
}

/// Wraps a TLS acceptor: reads the ClientHello first and offers the connection to the
/// [`Passthrough`]; what it gives back (and every connection, without one) goes on to
/// `inner` with the bytes read replayed.
#[derive(Clone)]
pub struct SniAcceptor<A> {
    passthrough: Option<Arc<dyn Passthrough>>,
    inner: A,
}

impl<A> SniAcceptor<A> {
    pub fn new(passthrough: Option<Arc<dyn Passthrough>>, inner: A) -> Self {
        SniAcceptor { passthrough, inner }
    }
}

impl<A, S> Accept<TcpStream, S> for SniAcceptor<A>
where
    A: Accept<Prefixed<TcpStream>, S> + Clone + Send + Sync + 'static,
    A::Future: Send,
    S: Send + 'static,
{
    type Stream = A::Stream;
    type Service = A::Service;
    type Future = Pin<Box<dyn Future<Output = io::Result<(Self::Stream, Self::Service)>> + Send>>;

    fn accept(&self, mut stream: TcpStream, service: S) -> Self::Future {
        let inner = self.inner.clone();
        let passthrough = self.passthrough.clone();
        Box::pin(async move {
            // Small writes go out at once: a relayed connection and a station's tunnel carry
            // many, and Nagle's algorithm with delayed ACKs would add 40 ms to each exchange.
            stream.set_nodelay(true)?;
            // A peer that vanished without closing (a station's tunnel behind a NAT that
            // forgot it) is noticed in about two minutes rather than never.
            let keepalive = socket2::TcpKeepalive::new()
                .with_time(Duration::from_secs(60))
                .with_interval(Duration::from_secs(15))
                .with_retries(4);
            socket2::SockRef::from(&stream).set_tcp_keepalive(&keepalive)?;
            let Some(passthrough) = passthrough else {
                return inner
                    .accept(Prefixed::new(Vec::new(), stream), service)
                    .await;
            };
            let (name, hello) = read_client_hello(&mut stream).await?;
            let peer = stream.peer_addr()?;
            let stream = Prefixed::new(hello, stream);
            let stream = match name {
                Some(name) => match passthrough.route(name, peer, stream).await {
                    Some(stream) => stream,
                    // Relayed and finished: nothing for the HTTP server to do.
                    None => return Err(io::Error::other("relayed")),
                },
                None => stream,
            };
            inner.accept(stream, service).await
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::AsyncWriteExt;

    /// A real ClientHello, as rustls's client writes it for `name`.
    fn hello(name: &str) -> Vec<u8> {
        let config = rustls::ClientConfig::builder_with_provider(crate::server::tls::provider())
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_root_certificates(rustls::RootCertStore::empty())
            .with_no_client_auth();
        let mut conn =
            rustls::ClientConnection::new(Arc::new(config), name.to_string().try_into().unwrap())
                .unwrap();
        let mut out = Vec::new();
        conn.write_tls(&mut out).unwrap();
        out
    }

    #[tokio::test]
    async fn reads_the_name_and_replays_every_byte() {
        let bytes = hello("DGP.v.test");
        let (mut a, mut b) = tokio::io::duplex(64 * 1024);
        // Sent in small pieces, as a slow network would.
        let sent = bytes.clone();
        tokio::spawn(async move {
            for piece in sent.chunks(100) {
                a.write_all(piece).await.unwrap();
            }
            a.write_all(b"after").await.unwrap();
        });
        let (name, seen) = read_client_hello(&mut b).await.unwrap();
        assert_eq!(name.as_deref(), Some("dgp.v.test"));
        let mut replay = Prefixed::new(seen, b);
        let mut all = vec![0u8; bytes.len() + 5];
        replay.read_exact(&mut all).await.unwrap();
        assert_eq!(&all[..bytes.len()], &bytes[..]);
        assert_eq!(&all[bytes.len()..], b"after");
    }

    #[tokio::test]
    async fn refuses_what_is_not_tls_and_oversized_hellos() {
        let (mut a, mut b) = tokio::io::duplex(64 * 1024);
        a.write_all(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
            .await
            .unwrap();
        assert!(read_client_hello(&mut b).await.is_err());

        // A record header announcing a long handshake that never completes within the cap.
        let (mut a, mut b) = tokio::io::duplex(64 * 1024);
        tokio::spawn(async move {
            let mut junk = vec![0x16, 0x03, 0x01, 0x40, 0x00, 0x01, 0x00, 0xff, 0xff];
            junk.resize(HELLO_MAX + 10, 0);
            let _ = a.write_all(&junk).await;
        });
        assert!(read_client_hello(&mut b).await.is_err());
    }
}
