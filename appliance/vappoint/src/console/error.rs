//! `ConsoleError`: the one error answer of the console pages (officer console, set-up, hub
//! console). The person sees a safe message, a Fluent message id put into the request's
//! language by the site's error-page layer; the log gets the cause chain.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use vappoint_store::StoreError;

/// Why a console request did not do what it asked.
#[derive(Debug)]
pub struct ConsoleError {
    status: StatusCode,
    message: &'static str,
    cause: Option<anyhow::Error>,
}

/// What an error answer carries for the site's error-page layer: the message to show.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConsoleMessage(pub &'static str);

impl ConsoleError {
    /// An answer with `status` whose page says the console message `message`.
    pub fn new(status: StatusCode, message: &'static str) -> ConsoleError {
        ConsoleError {
            status,
            message,
            cause: None,
        }
    }

    /// Something failed that the person cannot fix: they read "something went wrong", the
    /// log reads `cause` with its chain.
    pub fn internal(cause: impl Into<anyhow::Error>) -> ConsoleError {
        ConsoleError {
            cause: Some(cause.into()),
            ..ConsoleError::new(StatusCode::INTERNAL_SERVER_ERROR, "console-internal")
        }
    }

    pub fn not_found() -> ConsoleError {
        ConsoleError::new(StatusCode::NOT_FOUND, "console-not-found")
    }

    pub fn forbidden(message: &'static str) -> ConsoleError {
        ConsoleError::new(StatusCode::FORBIDDEN, message)
    }

    /// A form whose CSRF value is not the session's (an old tab, another site).
    pub fn form_expired() -> ConsoleError {
        ConsoleError::forbidden("console-form-expired")
    }

    pub fn admin_only() -> ConsoleError {
        ConsoleError::forbidden("console-admin-only")
    }

    pub fn too_many_tries() -> ConsoleError {
        ConsoleError::new(StatusCode::TOO_MANY_REQUESTS, "console-too-many-tries")
    }

    pub fn status(&self) -> StatusCode {
        self.status
    }

    pub fn message(&self) -> &'static str {
        self.message
    }
}

impl From<StoreError> for ConsoleError {
    fn from(e: StoreError) -> ConsoleError {
        match e {
            StoreError::NotFound => ConsoleError::not_found(),
            e => ConsoleError::internal(e),
        }
    }
}

impl From<anyhow::Error> for ConsoleError {
    fn from(e: anyhow::Error) -> ConsoleError {
        ConsoleError::internal(e)
    }
}

impl From<tokio::task::JoinError> for ConsoleError {
    fn from(e: tokio::task::JoinError) -> ConsoleError {
        ConsoleError::internal(e)
    }
}

impl IntoResponse for ConsoleError {
    fn into_response(self) -> Response {
        if let Some(cause) = &self.cause {
            tracing::error!(error = %format!("{cause:#}"), status = %self.status, "console request failed");
        }
        let mut r = self.status.into_response();
        r.extensions_mut().insert(ConsoleMessage(self.message));
        r
    }
}

/// For a site's error-page layer: an answer carrying a `ConsoleMessage` becomes the page
/// `page(message)`, with the answer's status and headers (cookies stay); others pass.
pub fn render(r: Response, page: impl FnOnce(&'static str) -> Response) -> Response {
    let Some(ConsoleMessage(id)) = r.extensions().get::<ConsoleMessage>().copied() else {
        return r;
    };
    let mut out = page(id);
    *out.status_mut() = r.status();
    let keep = |k: &axum::http::HeaderName| {
        k != axum::http::header::CONTENT_TYPE && k != axum::http::header::CONTENT_LENGTH
    };
    for k in r.headers().keys().filter(|k| keep(k)) {
        out.headers_mut().remove(k);
    }
    for (k, v) in r.headers().iter().filter(|(k, _)| keep(k)) {
        out.headers_mut().append(k.clone(), v.clone());
    }
    out
}
