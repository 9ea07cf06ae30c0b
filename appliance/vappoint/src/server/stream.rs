//! HTTP over streams that do not come from a listener: serving one already-accepted byte
//! stream (a relayed connection that arrives through the station's tunnel) with the box's
//! own TLS and router as the HTTPS listener would (HTTP/1.1 or HTTP/2, WebSocket upgrades,
//! the client's address as `ConnectInfo`), and the client side of an HTTP/1.1 upgrade (the
//! tunnel itself).

use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::{Context, bail};
use axum::Router;
use axum::extract::ConnectInfo;
use http_body_util::{BodyExt, Empty};
use hyper::body::Incoming;
use hyper::{StatusCode, header};
use hyper_util::rt::{TokioExecutor, TokioIo};
use tokio::io::{AsyncRead, AsyncWrite};

/// A box's site: the TLS configuration and router of its HTTPS listener.
#[derive(Clone)]
pub struct Site {
    tls: Arc<rustls::ServerConfig>,
    router: Router,
}

impl Site {
    pub fn new(tls: Arc<rustls::ServerConfig>, router: Router) -> Self {
        Site { tls, router }
    }

    /// Runs TLS and then HTTP on `stream` until the connection ends; requests reach the
    /// router as if `peer` had connected directly.
    pub async fn serve<S>(&self, stream: S, peer: SocketAddr) -> anyhow::Result<()>
    where
        S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    {
        let stream = tokio_rustls::TlsAcceptor::from(self.tls.clone())
            .accept(stream)
            .await
            .context("TLS handshake")?;
        let router = self.router.clone();
        let service = hyper::service::service_fn(move |mut req: hyper::Request<Incoming>| {
            req.extensions_mut().insert(ConnectInfo(peer));
            let mut router = router.clone();
            async move { tower_service::Service::call(&mut router, req).await }
        });
        hyper_util::server::conn::auto::Builder::new(TokioExecutor::new())
            .serve_connection_with_upgrades(TokioIo::new(stream), service)
            .await
            .map_err(|e| anyhow::anyhow!(e))
            .context("serving a relayed connection")
    }
}

/// Asks for `GET path` with `Upgrade: protocol` on `stream` (already TLS) and returns the
/// upgraded connection. A refusal is an error carrying the server's answer.
pub async fn upgrade<S>(
    stream: S,
    authority: &str,
    path: &str,
    protocol: &str,
) -> anyhow::Result<impl AsyncRead + AsyncWrite + Unpin + Send + 'static>
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
    tokio::spawn(conn.with_upgrades());
    let request = hyper::Request::get(path)
        .header(header::HOST, authority)
        .header(header::CONNECTION, "upgrade")
        .header(header::UPGRADE, protocol)
        .body(Empty::<bytes::Bytes>::new())?;
    let response = sender.send_request(request).await?;
    let status = response.status();
    if status != StatusCode::SWITCHING_PROTOCOLS {
        let body = response.into_body().collect().await.map(|b| b.to_bytes());
        let text = body.map(|b| String::from_utf8_lossy(&b).into_owned());
        bail!("refused ({status}): {}", text.unwrap_or_default());
    }
    Ok(TokioIo::new(hyper::upgrade::on(response).await?))
}
