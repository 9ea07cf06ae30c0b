//! What every site of the binary (station and hub) serves alike: HTML answers, the embedded
//! static files, the security headers, the page language and the language switch.

use axum::extract::{Path, Query, Request};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use crate::console::cookies::CookieJar;
use crate::ui::{Web, known_lang};

/// The value of the request's cookie `name` (see `console::cookies`, which sets them all).
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    crate::console::cookies::read(headers, name)
}

/// The page language: `?lang=`, else the `lang` cookie, else the browser's preference.
pub fn lang_of(uri: &axum::http::Uri, headers: &HeaderMap) -> &'static str {
    let from_query = uri.query().and_then(|q| {
        q.split('&')
            .filter_map(|kv| kv.split_once('='))
            .find(|(k, _)| *k == "lang")
            .and_then(|(_, v)| known_lang(v))
    });
    if let Some(l) = from_query {
        return l;
    }
    if let Some(l) = cookie(headers, "lang").and_then(known_lang) {
        return l;
    }
    // Accept-Language: take the first listed language we have (browsers list in order).
    headers
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .into_iter()
        .flat_map(|v| v.split(','))
        .filter_map(|item| item.split(';').next())
        .filter_map(|tag| {
            known_lang(
                tag.trim()
                    .split('-')
                    .next()
                    .unwrap_or("")
                    .to_ascii_lowercase()
                    .as_str(),
            )
        })
        .next()
        .unwrap_or("en")
}

pub fn html_response(status: StatusCode, html: String) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        html,
    )
        .into_response()
}

pub async fn static_file(Path(path): Path<String>, headers: HeaderMap) -> Response {
    let Some(file) = Web::get(&format!("static/{path}")) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let etag = format!(
        "\"{}\"",
        data_encoding::HEXLOWER.encode(&file.metadata.sha256_hash()[..12])
    );
    let cache = "public, max-age=86400";
    if headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        == Some(etag.as_str())
    {
        return (
            StatusCode::NOT_MODIFIED,
            [
                (header::ETAG, etag),
                (header::CACHE_CONTROL, cache.to_string()),
            ],
        )
            .into_response();
    }
    let mime = match path.rsplit('.').next() {
        Some("css") => "text/css; charset=utf-8",
        Some("js") => "text/javascript; charset=utf-8",
        Some("svg") => "image/svg+xml",
        Some("png") => "image/png",
        _ => "application/octet-stream",
    };
    (
        [
            (header::CONTENT_TYPE, mime.to_string()),
            (header::ETAG, etag),
            (header::CACHE_CONTROL, cache.to_string()),
        ],
        file.data.into_owned(),
    )
        .into_response()
}

/// Browsers ask for `/favicon.ico` whatever the page links: they get the site's icon (SVG,
/// which they accept whatever the name says), never a page or a redirect.
pub async fn favicon(headers: HeaderMap) -> Response {
    static_file(Path("icon.svg".to_string()), headers).await
}

/// Headers on every answer. Pages carry personal data and secret links, so they are never
/// cached and never leak the URL in a Referer.
pub async fn security_headers(req: Request, next: Next) -> Response {
    let mut r = next.run(req).await;
    let h = r.headers_mut();
    let set = |h: &mut HeaderMap, k: header::HeaderName, v: &'static str| {
        h.entry(k).or_insert(HeaderValue::from_static(v));
    };
    set(h, header::X_CONTENT_TYPE_OPTIONS, "nosniff");
    set(h, header::REFERRER_POLICY, "no-referrer");
    set(h, header::X_FRAME_OPTIONS, "DENY");
    set(
        h,
        header::CONTENT_SECURITY_POLICY,
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; \
         connect-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'; object-src 'none'",
    );
    set(h, header::CACHE_CONTROL, "no-store");
    r
}

#[derive(Deserialize)]
pub struct NextQuery {
    pub next: Option<String>,
}

pub async fn set_lang(Path(code): Path<String>, Query(q): Query<NextQuery>) -> Response {
    let lang = known_lang(&code).unwrap_or("en");
    // Only paths on this site, never `//other.host`.
    let next = q
        .next
        .filter(|n| n.starts_with('/') && !n.starts_with("//") && !n.contains('\\'))
        .unwrap_or_else(|| "/".into());
    let next = strip_lang_param(&next);
    let jar = CookieJar::new().add(crate::console::cookies::lang(lang));
    (StatusCode::SEE_OTHER, [(header::LOCATION, next)], jar).into_response()
}

/// Drops a `lang=` query parameter so the cookie decides after a switch.
fn strip_lang_param(path: &str) -> String {
    match path.split_once('?') {
        None => path.to_string(),
        Some((p, q)) => {
            let rest: Vec<&str> = q.split('&').filter(|kv| !kv.starts_with("lang=")).collect();
            if rest.is_empty() {
                p.to_string()
            } else {
                format!("{p}?{}", rest.join("&"))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::strip_lang_param;

    #[test]
    fn lang_param_is_dropped() {
        assert_eq!(strip_lang_param("/?lang=mr"), "/");
        assert_eq!(
            strip_lang_param("/officers/1?date=2026-12-01&lang=hi"),
            "/officers/1?date=2026-12-01"
        );
        assert_eq!(strip_lang_param("/book"), "/book");
    }
}
