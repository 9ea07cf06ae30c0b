//! The plain-HTTP port: it sends people to HTTPS on the same host, and answers ACME's HTTP-01
//! challenges (`/.well-known/acme-challenge/{token}`) while an order waits for them.

use std::net::IpAddr;
use std::sync::Arc;

use axum::Router;
use axum::extract::connect_info::{ConnectInfo, Connected};
use axum::extract::{Path, Request, State};
use axum::http::uri::Authority;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use axum::serve::IncomingStream;

use crate::server::certs::Certs;

/// Serves `http` until the returned task is aborted.
pub(super) fn serve(
    http: std::net::TcpListener,
    https_port: u16,
    certs: Arc<Certs>,
) -> anyhow::Result<tokio::task::JoinHandle<()>> {
    let redirect = router(https_port, certs.clone()).merge(challenges(certs));
    let http = tokio::net::TcpListener::from_std(http)?;
    Ok(tokio::spawn(async move {
        let service = redirect.into_make_service_with_connect_info::<LocalAddr>();
        if let Err(e) = axum::serve(http, service).await {
            tracing::error!(error = %e, "http redirect server stopped");
        }
    }))
}

/// The box's own address a connection arrived at (not the listener's, which may be
/// `0.0.0.0`): a person who typed the box's IP is sent to HTTPS on that IP.
#[derive(Clone, Copy)]
struct LocalAddr(Option<IpAddr>);

impl Connected<IncomingStream<'_, tokio::net::TcpListener>> for LocalAddr {
    fn connect_info(stream: IncomingStream<'_, tokio::net::TcpListener>) -> Self {
        LocalAddr(stream.io().local_addr().ok().map(|a| a.ip()))
    }
}

/// RFC 8555 8.3: the key authorisation as plain text; an unknown token is a 404, never a
/// redirect (the validation would follow it and fail less clearly).
fn challenges(certs: Arc<Certs>) -> Router {
    Router::new()
        .route(
            "/.well-known/acme-challenge/{token}",
            axum::routing::get(
                |State(certs): State<Arc<Certs>>, Path(token): Path<String>| async move {
                    match certs.http_challenge(&token) {
                        Some(answer) => (
                            StatusCode::OK,
                            [(header::CONTENT_TYPE, "application/octet-stream")],
                            answer,
                        )
                            .into_response(),
                        None => StatusCode::NOT_FOUND.into_response(),
                    }
                },
            ),
        )
        .with_state(certs)
}

/// Every other request, whatever its path, is answered with a permanent redirect to HTTPS.
fn router(https_port: u16, certs: Arc<Certs>) -> Router {
    Router::new()
        .fallback(
            move |State(certs): State<Arc<Certs>>,
                  ConnectInfo(local): ConnectInfo<LocalAddr>,
                  req: Request| async move {
                let asked = req
                    .headers()
                    .get(header::HOST)
                    .and_then(|h| h.to_str().ok());
                let host = target_host(asked, &certs, local.0);
                let path = req.uri().path_and_query().map_or("/", |p| p.as_str());
                let port = if https_port == 443 {
                    String::new()
                } else {
                    format!(":{https_port}")
                };
                let location = format!("https://{host}{port}{path}");
                (
                    StatusCode::PERMANENT_REDIRECT,
                    [(header::LOCATION, location)],
                )
                    .into_response()
            },
        )
        .with_state(certs)
}

/// Where to send a plain-HTTP request: to the name it asked for only when that is a name of
/// this box (or the address it reached), so the redirect never points at a host an attacker
/// wrote into `Host`; otherwise to the box's public name, or the address it reached.
fn target_host(asked: Option<&str>, certs: &Certs, local: Option<IpAddr>) -> String {
    // A dual-stack listener sees IPv4 clients at `::ffff:a.b.c.d`.
    let local = local.map(|ip| ip.to_canonical());
    let local_host = |ip: IpAddr| match ip {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => format!("[{v6}]"),
    };
    if let Some(asked) = asked.and_then(|h| h.parse::<Authority>().ok()) {
        let name = asked.host();
        let ip = name
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<IpAddr>()
            .ok()
            .map(|ip| ip.to_canonical());
        match ip {
            Some(ip) if Some(ip) == local => return local_host(ip),
            Some(_) => {}
            None if certs.serves(name) => return name.to_ascii_lowercase(),
            None => {}
        }
    }
    certs
        .public_name()
        .or_else(|| local.map(local_host))
        .unwrap_or_else(|| "localhost".to_string())
}
