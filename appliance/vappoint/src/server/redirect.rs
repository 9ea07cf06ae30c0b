//! The plain-HTTP port: it sends people to HTTPS on the same host, and answers ACME's HTTP-01
//! challenges (`/.well-known/acme-challenge/{token}`) while an order waits for them.

use std::sync::Arc;

use axum::Router;
use axum::extract::{Path, Request, State};
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;

use crate::server::certs::Certs;

/// Serves `http` until the returned task is aborted.
pub(super) fn serve(
    http: std::net::TcpListener,
    https_port: u16,
    certs: Arc<Certs>,
) -> anyhow::Result<tokio::task::JoinHandle<()>> {
    let redirect = router(https_port).merge(challenges(certs));
    let http = tokio::net::TcpListener::from_std(http)?;
    Ok(tokio::spawn(async move {
        if let Err(e) = axum::serve(http, redirect).await {
            tracing::error!(error = %e, "http redirect server stopped");
        }
    }))
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
fn router(https_port: u16) -> Router {
    Router::new()
        .fallback(move |State(()): State<()>, req: Request| async move {
            let host = req
                .headers()
                .get(header::HOST)
                .and_then(|h| h.to_str().ok())
                .map(|h| {
                    // Strip a port, keeping IPv6 brackets intact.
                    match h.rfind(':') {
                        Some(i) if !h[i..].contains(']') => &h[..i],
                        _ => h,
                    }
                })
                .filter(|h| {
                    !h.is_empty()
                        && h.bytes()
                            .all(|b| b.is_ascii_alphanumeric() || b"-.[]:".contains(&b))
                })
                .unwrap_or("localhost")
                .to_string();
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
        })
        .with_state(())
}
