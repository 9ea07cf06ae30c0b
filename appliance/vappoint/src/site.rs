//! What every site of the binary (station and hub) serves alike: HTML answers, the embedded
//! static files, the security headers, the page language and the language switch.

use std::sync::LazyLock;

use axum::extract::{Path, Query, Request};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use fluent_langneg::{NegotiationStrategy, negotiate_languages, parse_accepted_languages};
use serde::Deserialize;
use unic_langid::LanguageIdentifier;

use crate::console::cookies::{self, CookieJar};
use crate::ui::{LANGS, Web, known_lang};

/// The page language: `?lang=`, else the `lang` cookie, else the browser's preference.
pub fn lang_of(uri: &axum::http::Uri, headers: &HeaderMap) -> &'static str {
    let from_query = uri.query().and_then(|q| {
        form_urlencoded::parse(q.as_bytes())
            .find(|(k, _)| k == "lang")
            .and_then(|(_, v)| known_lang(&v))
    });
    if let Some(l) = from_query {
        return l;
    }
    if let Some(l) = cookies::read(headers, "lang").and_then(known_lang) {
        return l;
    }
    headers
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .map_or("en", accepted_lang)
}

/// The pages' languages as language identifiers, in the order of [`LANGS`].
static AVAILABLE: LazyLock<Vec<LanguageIdentifier>> = LazyLock::new(|| {
    LANGS
        .iter()
        .map(|(code, _)| code.parse().expect("the page languages are valid tags"))
        .collect()
});

/// The first language of an Accept-Language header that the pages have ("mr-IN" is "mr"),
/// else English. Browsers list languages in order of preference, which is what
/// `fluent-langneg` goes by (it ignores the q-values).
fn accepted_lang(header: &str) -> &'static str {
    let requested = parse_accepted_languages(header);
    let default = &AVAILABLE[0];
    negotiate_languages(
        &requested,
        &AVAILABLE,
        Some(default),
        NegotiationStrategy::Lookup,
    )
    .first()
    .and_then(|l| known_lang(l.language.as_str()))
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
    let mime = mime_guess::from_path(&path).first_or_octet_stream();
    // Text files (scripts, style sheets) are UTF-8; say so, as browsers otherwise guess.
    let mime = if mime.type_() == mime_guess::mime::TEXT {
        format!("{mime}; charset=utf-8")
    } else {
        mime.to_string()
    };
    (
        [
            (header::CONTENT_TYPE, mime),
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
    // HSTS only where the browser saw a certificate it trusts: sent under the self-signed
    // one (LAN names, addresses) it would lock people out of the box after a certificate
    // warning they clicked through.
    let trusted = req
        .extensions()
        .get::<std::sync::Arc<crate::server::certs::Certs>>()
        .zip(request_host(&req))
        .is_some_and(|(certs, host)| certs.is_trusted(&host));
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
    // Camera and microphone for the call pages on this site only; nothing else may ask.
    set(
        h,
        header::HeaderName::from_static("permissions-policy"),
        "camera=(self), microphone=(self), geolocation=(), payment=(), usb=()",
    );
    if trusted {
        set(h, header::STRICT_TRANSPORT_SECURITY, "max-age=31536000");
    }
    r
}

/// The name the request was addressed to (HTTP/2's authority or HTTP/1's Host), without a
/// port, lowercase.
fn request_host(req: &Request) -> Option<String> {
    let host = match req.uri().host() {
        Some(h) => h.to_string(),
        None => {
            let h = req.headers().get(header::HOST)?.to_str().ok()?;
            // No IPv6 literal is a name with a trusted certificate, so the port split can
            // be naive.
            h.rsplit_once(':').map_or(h, |(h, _)| h).to_string()
        }
    };
    Some(host.to_ascii_lowercase())
}

#[derive(Deserialize)]
pub struct NextQuery {
    pub next: Option<String>,
}

pub async fn set_lang(Path(code): Path<String>, Query(q): Query<NextQuery>) -> Response {
    let lang = known_lang(&code).unwrap_or("en");
    let next = strip_lang_param(&same_site_path(q.next.as_deref()));
    let jar = CookieJar::new().add(cookies::lang(lang));
    (StatusCode::SEE_OTHER, [(header::LOCATION, next)], jar).into_response()
}

/// `next` as a path on this site, or `/`. It is resolved the way a browser would resolve it
/// (a URL parser: tabs and newlines dropped, `\\` read as `/`), and kept only when it stays on
/// this site, so `/%09/evil.example` (which browsers read as `//evil.example`) is refused.
fn same_site_path(next: Option<&str>) -> String {
    const BASE: &str = "https://this.site.invalid/";
    let base = url::Url::parse(BASE).expect("a valid base");
    next.filter(|n| n.starts_with('/'))
        .and_then(|n| base.join(n).ok())
        .filter(|u| u.origin() == base.origin())
        .map(|u| match u.query() {
            Some(q) => format!("{}?{q}", u.path()),
            None => u.path().to_string(),
        })
        .unwrap_or_else(|| "/".into())
}

/// Drops a `lang` query parameter so the cookie decides after a switch. The other parameters
/// are kept byte for byte (re-encoding them could change how the next page reads them).
fn strip_lang_param(path: &str) -> String {
    match path.split_once('?') {
        None => path.to_string(),
        Some((p, q)) => {
            let is_lang = |kv: &str| {
                form_urlencoded::parse(kv.as_bytes())
                    .next()
                    .is_some_and(|(k, _)| k == "lang")
            };
            let rest: Vec<&str> = q.split('&').filter(|kv| !is_lang(kv)).collect();
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
    use super::*;

    #[test]
    fn only_same_site_paths_are_followed() {
        for (next, to) in [
            (Some("/a/xyz/manage?x=1"), "/a/xyz/manage?x=1"),
            (Some("/\t/evil.example"), "/"),
            (Some("/\n/evil.example"), "/"),
            (Some("//evil.example"), "/"),
            (Some("/\\evil.example"), "/"),
            (Some("https://evil.example/"), "/"),
            (Some("evil.example"), "/"),
            (Some("/officer/../officer/calls"), "/officer/calls"),
            (None, "/"),
        ] {
            assert_eq!(same_site_path(next), to, "{next:?}");
        }
    }

    fn lang(uri: &str, cookie: Option<&str>, accept: Option<&str>) -> &'static str {
        let mut headers = HeaderMap::new();
        if let Some(c) = cookie {
            headers.insert(header::COOKIE, HeaderValue::from_str(c).unwrap());
        }
        if let Some(a) = accept {
            headers.insert(header::ACCEPT_LANGUAGE, HeaderValue::from_str(a).unwrap());
        }
        lang_of(&uri.parse().unwrap(), &headers)
    }

    #[test]
    fn query_then_cookie_then_accept_language_then_english() {
        assert_eq!(lang("/?lang=mr", Some("lang=hi"), Some("hi")), "mr");
        assert_eq!(lang("/book?date=2026-12-01&lang=hi", None, None), "hi");
        assert_eq!(lang("/?lang=m%72", None, None), "mr", "percent-encoded");
        assert_eq!(lang("/?lang=xx", Some("a=1; lang=hi"), Some("mr")), "hi");
        assert_eq!(lang("/", Some("lang=xx"), Some("mr")), "mr");
        assert_eq!(lang("/", None, None), "en");
        assert_eq!(lang("/", None, Some("")), "en");
    }

    #[test]
    fn accept_language_takes_the_first_listed_language_the_pages_have() {
        assert_eq!(accepted_lang("mr-IN"), "mr");
        assert_eq!(accepted_lang("MR-in,en;q=0.5"), "mr");
        assert_eq!(accepted_lang("hi;q=0.9"), "hi");
        assert_eq!(accepted_lang("de-DE,de;q=0.9,hi;q=0.8,en;q=0.7"), "hi");
        assert_eq!(accepted_lang("en-IN,en;q=0.9,mr;q=0.8"), "en");
        assert_eq!(accepted_lang("hi-Latn-IN, mr;q=0.9"), "hi");
        assert_eq!(accepted_lang("fr-FR, de;q=0.5"), "en");
        assert_eq!(accepted_lang("*"), "en");
        assert_eq!(accepted_lang(";;,,q=x"), "en");
    }

    #[test]
    fn static_files_have_their_types() {
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let ty = |path: &str| {
            let r = rt.block_on(static_file(Path(path.to_string()), HeaderMap::new()));
            r.headers()
                .get(header::CONTENT_TYPE)
                .map(|v| v.to_str().unwrap().to_string())
        };
        assert_eq!(ty("icon.svg").as_deref(), Some("image/svg+xml"));
        assert_eq!(ty("site.css").as_deref(), Some("text/css; charset=utf-8"));
        assert_eq!(
            ty("book.js").as_deref(),
            Some("text/javascript; charset=utf-8")
        );
        assert_eq!(ty("missing.css"), None);
    }

    #[test]
    fn lang_param_is_dropped() {
        assert_eq!(strip_lang_param("/?lang=mr"), "/");
        assert_eq!(
            strip_lang_param("/officers/1?date=2026-12-01&lang=hi"),
            "/officers/1?date=2026-12-01"
        );
        assert_eq!(strip_lang_param("/book"), "/book");
        assert_eq!(
            strip_lang_param("/?q=Karve%20Road&lang=mr&x"),
            "/?q=Karve%20Road&x"
        );
    }
}
