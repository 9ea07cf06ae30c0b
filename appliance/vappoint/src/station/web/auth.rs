//! Officer sign-in: Argon2id passwords, server-side sessions behind a `__Host-` cookie,
//! idle and absolute expiry, rotation at login, and CSRF tokens on every form.

use std::sync::Arc;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{Duration, Utc};
use fluent_bundle::{FluentArgs, FluentValue};
use vappoint_store::Officer;

use crate::console::password::same;
use crate::secrets::sha256;
use crate::site::{cookie, lang_of};
use crate::station::app::App;
use crate::ui::I18n;

pub const SESSION_COOKIE: &str = "__Host-vappoint";
/// Holds the CSRF token of the login form (there is no session yet to hold it).
pub const LOGIN_COOKIE: &str = "__Host-vappoint-login";

pub fn session_cookie(id: &str) -> String {
    format!("{SESSION_COOKIE}={id}; Path=/; Secure; HttpOnly; SameSite=Strict")
}

/// The CSRF value of a form shown before anyone is logged in (login, set-up), held in
/// the cookie `name` (`LOGIN_COOKIE` on a station). A browser that already has one keeps it: every GET (another tab, a reload,
/// the browser's own `/favicon.ico`) must leave a form that is already open valid, so the value
/// lives as long as the browser session, not one page view. Returns the value and, when it
/// is new, the `Set-Cookie` that gives it to the browser.
pub fn pre_session_csrf(headers: &HeaderMap, name: &str) -> (String, Option<HeaderValue>) {
    let valid = |v: &&str| {
        v.len() >= 16
            && v.len() <= 64
            && v.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    };
    match cookie(headers, name).filter(valid) {
        Some(v) => (v.to_string(), None),
        None => {
            let v = crate::secrets::random_id();
            let c = format!("{name}={v}; Path=/; Secure; HttpOnly; SameSite=Strict");
            (v, Some(HeaderValue::from_str(&c).expect("an ASCII cookie")))
        }
    }
}

pub fn clear_cookie(name: &str) -> String {
    format!("{name}=; Path=/; Secure; HttpOnly; SameSite=Strict; Max-Age=0")
}

/// A logged-in officer, with their session's CSRF token and the language of the request
/// (the console follows `?lang=`, the `lang` cookie and Accept-Language like citizen pages).
pub struct Me {
    pub officer: Officer,
    pub csrf: String,
    pub id_hash: Vec<u8>,
    pub lang: &'static str,
    /// The path and query asked for, for the language links to come back to.
    pub here: String,
    i18n: Arc<I18n>,
}

fn to_login() -> Response {
    (
        StatusCode::SEE_OTHER,
        [(header::LOCATION, "/officer/login")],
    )
        .into_response()
}

pub fn session_hash(headers: &HeaderMap) -> Option<Vec<u8>> {
    cookie(headers, SESSION_COOKIE)
        .filter(|v| !v.is_empty() && v.len() <= 64)
        .map(sha256)
}

impl FromRequestParts<Arc<App>> for Me {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        app: &Arc<App>,
    ) -> Result<Self, Self::Rejection> {
        let Some(hash) = session_hash(&parts.headers) else {
            return Err(to_login());
        };
        let h = hash.clone();
        let session = app
            .db(move |s| s.session(&h))
            .await
            .map_err(|_| to_login())?;
        let Some(session) = session else {
            return Err(to_login());
        };
        let now = Utc::now();
        let cfg = &app.config.sessions;
        let idle = Duration::from_std(cfg.idle).unwrap_or(Duration::minutes(30));
        let max = Duration::from_std(cfg.max).unwrap_or(Duration::hours(12));
        if now - session.last_seen_at > idle || now - session.created_at > max {
            let h = hash.clone();
            let _ = app.db(move |s| s.delete_session(&h)).await;
            return Err(to_login());
        }
        let id = session.officer_id;
        let officer = match app.db(move |s| s.officer(id)).await {
            Ok(o) if o.active => o,
            _ => return Err(to_login()),
        };
        let h = hash.clone();
        let _ = app.db(move |s| s.touch_session(&h, now)).await;
        Ok(Me {
            officer,
            csrf: session.csrf,
            id_hash: hash,
            lang: lang_of(&parts.uri, &parts.headers),
            here: here_of(parts),
            i18n: app.ui.i18n.clone(),
        })
    }
}

/// Where the language links of a page come back to: the page itself, or after a form post
/// (whose path may have no page) the path it was posted under, e.g. `/officer/station` for
/// `/officer/station/enroll`. Pages that know better pass their own `here`.
fn here_of(parts: &Parts) -> String {
    let path = parts.uri.path();
    if parts.method == axum::http::Method::GET {
        return parts
            .uri
            .path_and_query()
            .map_or(path, |p| p.as_str())
            .to_string();
    }
    match path.rsplit_once('/') {
        Some((parent, _)) if parent.starts_with("/officer") => parent.to_string(),
        _ => "/officer".to_string(),
    }
}

impl Me {
    /// The console message `id` in this request's language.
    pub fn t(&self, id: &str) -> String {
        self.i18n.t(self.lang, id, None)
    }

    /// The console message `id` with arguments, in this request's language.
    pub fn t_args(&self, id: &str, args: &[(&'static str, FluentValue<'static>)]) -> String {
        let mut a = FluentArgs::new();
        for (k, v) in args {
            a.set(*k, v.clone());
        }
        self.i18n.t(self.lang, id, Some(&a))
    }

    /// Every state-changing form carries the session's CSRF token.
    pub fn check_csrf(&self, given: Option<&String>) -> Result<(), Response> {
        match given {
            Some(g) if same(g, &self.csrf) => Ok(()),
            _ => Err(super::console_error(
                StatusCode::FORBIDDEN,
                "console-form-expired",
            )),
        }
    }

    /// A form only admins may send: the CSRF token first, then the right.
    pub fn admin_form(
        &self,
        form: &std::collections::HashMap<String, String>,
    ) -> Result<(), Response> {
        self.check_csrf(form.get("csrf"))?;
        self.require_admin()
    }

    pub fn require_admin(&self) -> Result<(), Response> {
        if self.officer.is_admin {
            Ok(())
        } else {
            Err(super::console_error(
                StatusCode::FORBIDDEN,
                "console-admin-only",
            ))
        }
    }
}
