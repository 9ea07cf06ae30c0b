//! CSRF-checked forms. `CsrfForm<T>` deserializes a typed form and refuses it (403, "this
//! form has expired") unless its `csrf` field is the session's token; `AdminForm<T>` also
//! needs an admin. Forms shown before anyone is logged in (login, set-up) carry a value
//! held in a `__Host-` cookie instead (`pre_session_csrf`, `pre_session_matches`).

use axum::Form;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde::de::DeserializeOwned;

use super::cookies::{self, Cookie};
use super::error::ConsoleError;
use super::password::same;
use super::session::{Checked, ConsoleState, Session};

/// A form `T` whose `csrf` field matched the session's token. `T` names its own fields only.
pub struct CsrfForm<T>(pub T);

/// A `CsrfForm` only admins may send: the token first, then the right.
pub struct AdminForm<T>(pub T);

/// The form as sent: the token, and the rest for `T`.
#[derive(Deserialize)]
struct WithCsrf<T> {
    #[serde(default)]
    csrf: String,
    #[serde(flatten)]
    form: T,
}

/// Reads the form and checks its token against the session's (extracting the session if
/// the handler did not before this).
async fn checked<T, S>(req: Request, state: &S) -> Result<(T, Checked), Response>
where
    T: DeserializeOwned,
    S: ConsoleState,
{
    let (mut parts, body) = req.into_parts();
    let session = match parts.extensions.get::<Checked>().cloned() {
        Some(c) => c,
        None => {
            Session::<S::Account>::from_request_parts(&mut parts, state).await?;
            parts
                .extensions
                .get::<Checked>()
                .cloned()
                .ok_or_else(|| ConsoleError::form_expired().into_response())?
        }
    };
    let Form(sent) = Form::<WithCsrf<T>>::from_request(Request::from_parts(parts, body), state)
        .await
        .map_err(IntoResponse::into_response)?;
    if sent.csrf.is_empty() || !same(&sent.csrf, &session.csrf) {
        return Err(ConsoleError::form_expired().into_response());
    }
    Ok((sent.form, session))
}

impl<T, S> FromRequest<S> for CsrfForm<T>
where
    T: DeserializeOwned,
    S: ConsoleState,
{
    type Rejection = Response;

    async fn from_request(req: Request, state: &S) -> Result<Self, Response> {
        checked(req, state).await.map(|(form, _)| CsrfForm(form))
    }
}

impl<T, S> FromRequest<S> for AdminForm<T>
where
    T: DeserializeOwned,
    S: ConsoleState,
{
    type Rejection = Response;

    async fn from_request(req: Request, state: &S) -> Result<Self, Response> {
        let (form, session) = checked(req, state).await?;
        if !session.admin {
            return Err(ConsoleError::admin_only().into_response());
        }
        Ok(AdminForm(form))
    }
}

/// A form with no fields but its token (logout, "hide this list", retry).
#[derive(Debug, Default, Deserialize)]
pub struct Empty {}

/// Whether a pre-session value looks like one we made.
fn plausible(v: &&str) -> bool {
    v.len() >= 16
        && v.len() <= 64
        && v.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// The CSRF value of a form shown before anyone is logged in (login, set-up), held in the
/// cookie `name`. A browser that already has one keeps it: every GET (another tab, a
/// reload, the browser's own `/favicon.ico`) must leave a form that is already open valid,
/// so the value lives as long as the browser session, not one page view. Returns the value
/// and, when it is new, the cookie that gives it to the browser.
pub fn pre_session_csrf(headers: &HeaderMap, name: &str) -> (String, Option<Cookie<'static>>) {
    match cookies::read(headers, name).filter(plausible) {
        Some(v) => (v.to_string(), None),
        None => {
            let v = crate::secrets::random_id();
            (v.clone(), Some(cookies::host(name, v)))
        }
    }
}

/// The pre-session value of cookie `name` when the form's `given` value matches it.
pub fn pre_session_matches<'a>(headers: &'a HeaderMap, name: &str, given: &str) -> Option<&'a str> {
    cookies::read(headers, name).filter(|expected| !expected.is_empty() && same(expected, given))
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use axum::body::Body;
    use axum::http::header;

    use super::*;

    #[derive(Debug, Default, Deserialize)]
    #[serde(default)]
    struct Sent {
        given: Option<String>,
        absent: Option<String>,
        text: String,
        #[serde(flatten)]
        rest: BTreeMap<String, String>,
    }

    async fn parse(body: &'static str) -> WithCsrf<Sent> {
        let req = Request::builder()
            .method("POST")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(body))
            .unwrap();
        Form::<WithCsrf<Sent>>::from_request(req, &())
            .await
            .unwrap()
            .0
    }

    #[tokio::test]
    async fn the_token_is_taken_out_and_the_rest_typed() {
        let w = parse("csrf=tok&given=&text=x&r0_mon=on").await;
        assert_eq!(w.csrf, "tok");
        assert_eq!(w.form.given.as_deref(), Some(""));
        assert_eq!(w.form.absent, None);
        assert_eq!(w.form.text, "x");
        assert_eq!(w.form.rest.get("r0_mon").map(String::as_str), Some("on"));
        assert!(!w.form.rest.contains_key("csrf"));
        // No token at all is an empty one, which never matches a session's.
        assert_eq!(parse("text=y").await.csrf, "");
    }
}
