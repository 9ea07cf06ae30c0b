//! The plain-HTTP port: its only job is to send people to HTTPS on the same host.

use axum::Router;
use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;

/// Serves `http` until the returned task is aborted.
pub(super) fn serve(
    http: std::net::TcpListener,
    https_port: u16,
) -> anyhow::Result<tokio::task::JoinHandle<()>> {
    let redirect = router(https_port);
    let http = tokio::net::TcpListener::from_std(http)?;
    Ok(tokio::spawn(async move {
        if let Err(e) = axum::serve(http, redirect).await {
            tracing::error!(error = %e, "http redirect server stopped");
        }
    }))
}

/// Every request, whatever its path, is answered with a permanent redirect to HTTPS.
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
