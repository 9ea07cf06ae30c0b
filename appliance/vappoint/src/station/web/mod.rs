//! The HTTPS site: routes, the per-request page context (language), error answers, static
//! files and the headers every answer carries.

pub mod api;
pub(crate) mod auth;
mod calendar;
pub(crate) mod checklist;
pub mod citizen;
pub mod officer;
mod officers_admin;
pub mod setup;
pub mod upload;
pub mod ws;

use std::sync::Arc;

use axum::Router;
use axum::extract::{FromRequestParts, Path, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::json;
use vappoint_domain::ValidationError;
use vappoint_domain::booking::FieldError;
use vappoint_store::StoreError;
use vappoint_wire::{ErrorBody, ErrorDetail, FieldProblem};

use crate::station::app::App;
use crate::ui::{LANGS, Web, known_lang};

/// Why a request did not do what it asked. Each has a status, a stable code for clients,
/// and a message in the citizen's language (`err-<code>` in the translations).
#[derive(Debug, thiserror::Error)]
pub enum Failure {
    #[error("invalid input")]
    Invalid(ValidationError),
    #[error("bad request: {0}")]
    BadRequest(&'static str),
    #[error("not found")]
    NotFound,
    #[error("conflict: {0}")]
    Conflict(&'static str),
    #[error("forbidden: {0}")]
    Forbidden(&'static str),
    #[error("wrong token")]
    WrongToken { tries_left: u32 },
    #[error("too large")]
    TooLarge,
    #[error("unsupported document")]
    Unsupported,
    #[error("rate limited")]
    RateLimited,
    #[error("internal error")]
    Internal(#[source] anyhow::Error),
}

impl Failure {
    pub fn invalid_field(field: &'static str, code: &'static str) -> Failure {
        Failure::Invalid(ValidationError(vec![FieldError { field, code }]))
    }

    pub fn status(&self) -> StatusCode {
        match self {
            Failure::Invalid(_) | Failure::BadRequest(_) => StatusCode::BAD_REQUEST,
            Failure::NotFound => StatusCode::NOT_FOUND,
            Failure::Conflict(_) => StatusCode::CONFLICT,
            Failure::Forbidden(_) => StatusCode::FORBIDDEN,
            Failure::WrongToken { .. } => StatusCode::UNAUTHORIZED,
            Failure::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Failure::Unsupported => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Failure::RateLimited => StatusCode::TOO_MANY_REQUESTS,
            Failure::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    pub fn code(&self) -> &'static str {
        match self {
            Failure::Invalid(_) => "invalid",
            Failure::BadRequest(c) | Failure::Conflict(c) | Failure::Forbidden(c) => c,
            Failure::NotFound => "not_found",
            Failure::WrongToken { .. } => "wrong_token",
            Failure::TooLarge => "too_large",
            Failure::Unsupported => "unsupported_document",
            Failure::RateLimited => "rate_limited",
            Failure::Internal(_) => "internal",
        }
    }

    /// The message shown to a person, in `lang`.
    pub fn message(&self, app: &App, lang: &str) -> String {
        let mut args = fluent_bundle::FluentArgs::new();
        if let Failure::WrongToken { tries_left } = self {
            args.set("tries", *tries_left);
        }
        app.ui
            .i18n
            .t(lang, &format!("err-{}", self.code()), Some(&args))
    }

    /// Logs what the person does not see: the cause chain of internal errors.
    pub(crate) fn log(&self) {
        if let Failure::Internal(e) = self {
            tracing::error!(error = %format!("{e:#}"), "request failed");
        }
    }

    pub fn api(self, app: &App) -> Response {
        self.log();
        let fields = match &self {
            Failure::Invalid(v) => {
                v.0.iter()
                    .map(|f| FieldProblem {
                        field: f.field.into(),
                        code: f.code.into(),
                    })
                    .collect()
            }
            _ => vec![],
        };
        let tries_left = match &self {
            Failure::WrongToken { tries_left } => Some(*tries_left),
            _ => None,
        };
        let body = ErrorBody {
            error: ErrorDetail {
                code: self.code().into(),
                message: self.message(app, "en"),
                fields,
                tries_left,
            },
        };
        (self.status(), axum::Json(body)).into_response()
    }
}

impl From<StoreError> for Failure {
    fn from(e: StoreError) -> Failure {
        match e {
            StoreError::NotFound => Failure::NotFound,
            StoreError::Conflict(c) => Failure::Conflict(c),
            e => Failure::Internal(anyhow::Error::new(e)),
        }
    }
}

impl From<anyhow::Error> for Failure {
    fn from(e: anyhow::Error) -> Failure {
        Failure::Internal(e)
    }
}

/// Per-request context for pages: the app, the language, and the current path (for the
/// language switch to come back to).
pub struct Ctx {
    pub app: Arc<App>,
    pub lang: &'static str,
    pub here: String,
}

pub(crate) fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

fn pick_lang(parts: &Parts) -> &'static str {
    lang_of(&parts.uri, &parts.headers)
}

/// The page language: `?lang=`, else the `lang` cookie, else the browser's preference.
pub(crate) fn lang_of(uri: &axum::http::Uri, headers: &HeaderMap) -> &'static str {
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

impl FromRequestParts<Arc<App>> for Ctx {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        app: &Arc<App>,
    ) -> Result<Self, Self::Rejection> {
        let here = parts
            .uri
            .path_and_query()
            .map_or("/".to_string(), |p| p.as_str().to_string());
        Ok(Ctx {
            app: app.clone(),
            lang: pick_lang(parts),
            here,
        })
    }
}

impl Ctx {
    /// The same context for a page shown at another address: an answer to a POST names the
    /// page that answers GET, so its language links land on a real page.
    pub fn at(&self, here: String) -> Ctx {
        Ctx {
            app: self.app.clone(),
            lang: self.lang,
            here,
        }
    }

    /// Fills the fields every citizen page needs, then adds the page's own.
    pub fn page(&self, template: &str, mut extra: serde_json::Value) -> Response {
        let profile = self.app.profile();
        let base = json!({
            "lang": self.lang,
            "langs": LANGS,
            "here": self.here,
            "station": profile,
            "tz_name": profile.time_zone,
        });
        if let (Some(e), serde_json::Value::Object(b)) = (extra.as_object_mut(), base) {
            for (k, v) in b {
                e.entry(k).or_insert(v);
            }
        }
        match self
            .app
            .ui
            .render(template, minijinja::Value::from_serialize(&extra))
        {
            Ok(html) => html_response(StatusCode::OK, html),
            Err(e) => {
                tracing::error!(error = %format!("{e:#}"), template, "page failed to render");
                (StatusCode::INTERNAL_SERVER_ERROR, "internal error").into_response()
            }
        }
    }

    pub fn t(&self, id: &str) -> String {
        self.app.ui.i18n.t(self.lang, id, None)
    }

    /// An error page in the citizen's language.
    pub fn fail(&self, f: Failure) -> Response {
        f.log();
        let status = f.status();
        let message = f.message(&self.app, self.lang);
        let mut r = self.page(
            "message.html",
            json!({"heading": self.t("site-title"), "message": message, "is_error": true}),
        );
        *r.status_mut() = status;
        r
    }
}

/// A console error, made into a message page in the request's language by `error_pages`
/// (the console's handlers answer with it where they have no page of their own).
#[derive(Debug, Clone, Copy)]
pub(crate) struct ConsoleError(pub &'static str);

/// An answer with `status` whose page says the console message `id`.
pub(crate) fn console_error(status: StatusCode, id: &'static str) -> Response {
    let mut r = status.into_response();
    r.extensions_mut().insert(ConsoleError(id));
    r
}

/// Turns a `ConsoleError` answer into a message page in the request's language.
async fn error_pages(State(app): State<Arc<App>>, req: Request, next: Next) -> Response {
    let lang = lang_of(req.uri(), req.headers());
    let r = next.run(req).await;
    let Some(ConsoleError(id)) = r.extensions().get::<ConsoleError>().copied() else {
        return r;
    };
    let t = |id: &str| app.ui.i18n.t(lang, id, None);
    let page = officer::page(
        &app,
        "officer/message.html",
        None,
        json!({"lang": lang, "heading": t("console-error-heading"), "message": t(id)}),
    );
    let mut out = if page.status() == StatusCode::OK {
        page
    } else {
        // No page could be made: the message alone.
        t(id).into_response()
    };
    *out.status_mut() = r.status();
    for (k, v) in r.headers() {
        if k != header::CONTENT_TYPE && k != header::CONTENT_LENGTH {
            out.headers_mut().insert(k.clone(), v.clone());
        }
    }
    out
}

pub fn html_response(status: StatusCode, html: String) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        html,
    )
        .into_response()
}

pub(crate) async fn static_file(Path(path): Path<String>, headers: HeaderMap) -> Response {
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
pub(crate) async fn favicon(headers: HeaderMap) -> Response {
    static_file(Path("icon.svg".to_string()), headers).await
}

/// Headers on every answer. Pages carry personal data and secret links, so they are never
/// cached and never leak the URL in a Referer.
pub(crate) async fn security_headers(req: Request, next: Next) -> Response {
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

async fn not_found(ctx: Ctx) -> Response {
    ctx.fail(Failure::NotFound)
}

pub fn router(app: Arc<App>) -> Router {
    Router::new()
        .merge(setup::routes())
        .merge(citizen::routes())
        .merge(calendar::routes())
        .merge(api::routes())
        .merge(officer::routes())
        .merge(officers_admin::routes())
        .merge(ws::routes())
        .route("/static/{*path}", axum::routing::get(static_file))
        .route("/favicon.ico", axum::routing::get(favicon))
        .fallback(not_found)
        // Small bodies everywhere except where documents are uploaded (set per route).
        .layer(axum::extract::DefaultBodyLimit::max(64 * 1024))
        .layer(axum::middleware::from_fn_with_state(
            app.clone(),
            error_pages,
        ))
        .layer(axum::middleware::from_fn_with_state(
            app.clone(),
            setup::guard,
        ))
        .layer(axum::middleware::from_fn(security_headers))
        .with_state(app)
}

/// The HTTP port's only job: send people to HTTPS on the same host.
pub fn redirect_router(https_port: u16) -> Router {
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
