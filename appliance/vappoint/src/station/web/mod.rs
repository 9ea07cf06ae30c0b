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
use axum::extract::{FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::json;
use vappoint_domain::ValidationError;
use vappoint_domain::booking::FieldError;
use vappoint_domain::schedule::SlotRefusal;
use vappoint_domain::token::TokenRefusal;
use vappoint_store::StoreError;
use vappoint_wire::{ErrorBody, ErrorCode, ErrorDetail, FieldProblem};

use crate::site::{favicon, html_response, lang_of, security_headers, static_file};
use crate::station::app::App;
use crate::station::booking::BookingError;
use crate::station::documents::DocumentError;
use crate::ui::LANGS;

/// Why a request did not do what it asked: the web edge's one error type. Services return
/// their own errors (`BookingError`, `DocumentError`, `StoreError`); the `From`s below turn
/// them into a stable code (`ErrorCode`), and `status_of` gives each code its HTTP status.
/// The message shown is the code's translation, `err-<code>`, in the person's language.
#[derive(Debug, thiserror::Error)]
pub enum Failure {
    #[error("not found")]
    NotFound,
    /// Refused with this code (any but `NotFound`, `Invalid`, `WrongToken` and `Internal`,
    /// which have their own variants).
    #[error("refused: {0}")]
    Refused(ErrorCode),
    #[error("invalid input")]
    Invalid(ValidationError),
    #[error("wrong token")]
    WrongToken { tries_left: u32 },
    #[error("internal error")]
    Internal(#[source] anyhow::Error),
}

/// The HTTP status of each code, in one place.
pub fn status_of(code: ErrorCode) -> StatusCode {
    match code {
        ErrorCode::Invalid
        | ErrorCode::BadRequest
        | ErrorCode::UnknownOfficer
        | ErrorCode::InvalidStart
        | ErrorCode::Past
        | ErrorCode::TooFar
        | ErrorCode::NotOffered
        | ErrorCode::TooManyDocuments => StatusCode::BAD_REQUEST,
        ErrorCode::NotFound => StatusCode::NOT_FOUND,
        ErrorCode::SlotTaken
        | ErrorCode::NotBooked
        | ErrorCode::IdempotencyConflict
        | ErrorCode::TooLate => StatusCode::CONFLICT,
        ErrorCode::TooEarly | ErrorCode::Ended | ErrorCode::TokenDead => StatusCode::FORBIDDEN,
        ErrorCode::WrongToken => StatusCode::UNAUTHORIZED,
        ErrorCode::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
        ErrorCode::UnsupportedDocument => StatusCode::UNSUPPORTED_MEDIA_TYPE,
        ErrorCode::RateLimited
        | ErrorCode::DocumentQuota
        | ErrorCode::NetworkShare
        | ErrorCode::MailLimit => StatusCode::TOO_MANY_REQUESTS,
        ErrorCode::StorageFull => StatusCode::INSUFFICIENT_STORAGE,
        ErrorCode::Internal => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

impl Failure {
    pub fn invalid_field(field: &'static str, code: &'static str) -> Failure {
        Failure::Invalid(ValidationError(vec![FieldError { field, code }]))
    }

    pub fn status(&self) -> StatusCode {
        status_of(self.code())
    }

    pub fn code(&self) -> ErrorCode {
        match self {
            Failure::NotFound => ErrorCode::NotFound,
            Failure::Refused(c) => *c,
            Failure::Invalid(_) => ErrorCode::Invalid,
            Failure::WrongToken { .. } => ErrorCode::WrongToken,
            Failure::Internal(_) => ErrorCode::Internal,
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
            .t(lang, &format!("err-{}", self.code().as_str()), Some(&args))
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
                code: self.code().as_str().into(),
                message: self.message(app, "en"),
                fields,
                tries_left,
            },
        };
        (self.status(), axum::Json(body)).into_response()
    }
}

/// Turns any error the web edge knows into the API's JSON answer: `.map_err(api_error(&app))`.
pub fn api_error<E: Into<Failure>>(app: &App) -> impl Fn(E) -> Response + '_ {
    move |e| e.into().api(app)
}

impl From<StoreError> for Failure {
    fn from(e: StoreError) -> Failure {
        match e {
            StoreError::NotFound => Failure::NotFound,
            // A conflict the person can act on has its code; any other is our fault.
            StoreError::Conflict(c) => match c.parse::<ErrorCode>() {
                Ok(code) if status_of(code) == StatusCode::CONFLICT => Failure::Refused(code),
                _ => Failure::Internal(anyhow::Error::new(e)),
            },
            e => Failure::Internal(anyhow::Error::new(e)),
        }
    }
}

impl From<anyhow::Error> for Failure {
    fn from(e: anyhow::Error) -> Failure {
        Failure::Internal(e)
    }
}

impl From<BookingError> for Failure {
    fn from(e: BookingError) -> Failure {
        let code = match e {
            BookingError::Invalid(v) => return Failure::Invalid(v),
            BookingError::NotFound => return Failure::NotFound,
            BookingError::WrongToken { tries_left } => return Failure::WrongToken { tries_left },
            BookingError::Store(e) => return e.into(),
            BookingError::Internal(e) => return Failure::Internal(e),
            BookingError::UnknownOfficer => ErrorCode::UnknownOfficer,
            BookingError::Slot(SlotRefusal::Past) => ErrorCode::Past,
            BookingError::Slot(SlotRefusal::TooFar) => ErrorCode::TooFar,
            BookingError::Slot(SlotRefusal::NotOffered) => ErrorCode::NotOffered,
            BookingError::SlotTaken => ErrorCode::SlotTaken,
            BookingError::IdempotencyConflict => ErrorCode::IdempotencyConflict,
            BookingError::NetworkShare => ErrorCode::NetworkShare,
            BookingError::MailLimit => ErrorCode::MailLimit,
            BookingError::NotBooked => ErrorCode::NotBooked,
            BookingError::TooLate => ErrorCode::TooLate,
            BookingError::Token(TokenRefusal::TooEarly) => ErrorCode::TooEarly,
            BookingError::Token(TokenRefusal::Ended) => ErrorCode::Ended,
            BookingError::Token(TokenRefusal::Dead) => ErrorCode::TokenDead,
            BookingError::TooMany => ErrorCode::RateLimited,
            BookingError::StorageFull => ErrorCode::StorageFull,
        };
        Failure::Refused(code)
    }
}

impl From<DocumentError> for Failure {
    fn from(e: DocumentError) -> Failure {
        match e {
            DocumentError::TooLarge => Failure::Refused(ErrorCode::TooLarge),
            DocumentError::Unsupported => Failure::Refused(ErrorCode::UnsupportedDocument),
            DocumentError::TooMany => Failure::Refused(ErrorCode::TooManyDocuments),
            DocumentError::Quota => Failure::Refused(ErrorCode::DocumentQuota),
            // The card filled up while the file streamed in (the guard checks before).
            DocumentError::Io(e) if e.kind() == std::io::ErrorKind::StorageFull => {
                Failure::Refused(ErrorCode::StorageFull)
            }
            DocumentError::Io(e) => Failure::Internal(e.into()),
        }
    }
}

/// Per-request context for pages: the app, the language, and the current path (for the
/// language switch to come back to).
pub struct Ctx {
    pub app: Arc<App>,
    pub lang: &'static str,
    pub here: String,
}

fn pick_lang(parts: &Parts) -> &'static str {
    lang_of(&parts.uri, &parts.headers)
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
    pub fn fail(&self, f: impl Into<Failure>) -> Response {
        let f = f.into();
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

/// Turns a console error answer (`console::ConsoleError`) into a message page in the
/// request's language.
async fn error_pages(State(app): State<Arc<App>>, req: Request, next: Next) -> Response {
    let lang = lang_of(req.uri(), req.headers());
    let r = next.run(req).await;
    crate::console::error::render(r, |id| {
        let t = |id: &str| app.ui.i18n.t(lang, id, None);
        let page = officer::page(
            &app,
            "officer/message.html",
            None,
            json!({"lang": lang, "heading": t("console-error-heading"), "message": t(id)}),
        );
        if page.status() == StatusCode::OK {
            page
        } else {
            // No page could be made: the message alone.
            t(id).into_response()
        }
    })
}

/// `GET /metrics`: the box's health in Prometheus text, for the station's LAN only (anyone
/// else, a relayed citizen included, finds nothing there).
async fn metrics(
    State(app): State<Arc<App>>,
    axum::extract::ConnectInfo(peer): axum::extract::ConnectInfo<std::net::SocketAddr>,
) -> Response {
    if !crate::lan::is_lan(peer.ip()) {
        return StatusCode::NOT_FOUND.into_response();
    }
    let mut m = crate::metrics::Metrics::default();
    let code = app.profile().code;
    let health = crate::station::health::gather(&app);
    crate::metrics::health(&mut m, &[("station", &code)], &health);
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        m.render(),
    )
        .into_response()
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
        .route("/metrics", axum::routing::get(metrics))
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
