//! The officer as a console account (`console::Account`: their sessions in the station's
//! store, the `__Host-vappoint` cookie, the login page), `Me` (the logged-in officer with the
//! request's language), and the login and logout pages on the console toolkit.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use axum::Router;
use axum::extract::{ConnectInfo, Form, FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use fluent_bundle::{FluentArgs, FluentValue};
use serde_json::json;
use vappoint_store::{Action, Actor, Officer, OfficerId, Store, StoreError, Subject};

use super::officer::audit::record;
use super::officer::{page, see_other, with_status};
use crate::config::SessionConfig;
use crate::console::csrf::{Empty, pre_session_csrf};
use crate::console::login::{Login, LoginForm, log_in, log_out};
use crate::console::session::{ConsoleState, Credentials};
use crate::console::{Account, ConsoleError, CsrfForm, Session};
use crate::site::lang_of;
use crate::station::app::App;
use crate::station::calls::SignedOut;
use crate::ui::I18n;

pub const SESSION_COOKIE: &str = "__Host-vappoint";
/// Holds the CSRF value of the login and set-up forms (there is no session yet to hold it).
pub const LOGIN_COOKIE: &str = "__Host-vappoint-login";

pub fn routes() -> Router<Arc<App>> {
    Router::new()
        .route("/officer/login", get(login_form).post(login))
        .route("/officer/logout", post(logout))
}

impl ConsoleState for Arc<App> {
    type Account = Officer;
}

impl Account for Officer {
    type State = Arc<App>;
    const SESSION_COOKIE: &'static str = SESSION_COOKIE;
    const LOGIN_COOKIE: &'static str = LOGIN_COOKIE;

    fn config(app: &Arc<App>) -> &SessionConfig {
        &app.config.sessions
    }

    type Store = Store;

    fn store(state: &Self::State) -> &Arc<Store> {
        &state.store
    }

    async fn load(app: &Arc<App>, id: i64) -> Result<Option<Officer>, StoreError> {
        match app.db(move |s| s.officer(OfficerId(id))).await {
            Ok(o) => Ok(Some(o).filter(|o| o.active)),
            Err(StoreError::NotFound) => Ok(None),
            Err(e) => Err(e),
        }
    }

    async fn by_email(app: &Arc<App>, email: String) -> Result<Option<Credentials>, StoreError> {
        let o = app.db(move |s| s.officer_by_email(&email)).await?;
        Ok(o.map(|o| Credentials {
            account_id: o.id.0,
            password_hash: o.password_hash,
        }))
    }

    fn may_try(app: &Arc<App>, ip: IpAddr, email: &str) -> bool {
        app.limits.login(ip, email)
    }

    fn login_required(_: &Parts) -> Response {
        see_other("/officer/login")
    }

    fn is_admin(&self) -> bool {
        self.is_admin
    }
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

impl FromRequestParts<Arc<App>> for Me {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        app: &Arc<App>,
    ) -> Result<Self, Self::Rejection> {
        let s = Session::<Officer>::from_request_parts(parts, app).await?;
        Ok(Me {
            officer: s.account,
            csrf: s.csrf,
            id_hash: s.id_hash,
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

    /// Pages only admins may see (forms use `AdminForm`).
    pub fn require_admin(&self) -> Result<(), ConsoleError> {
        if self.officer.is_admin {
            Ok(())
        } else {
            Err(ConsoleError::admin_only())
        }
    }
}

// ---- login and logout ----

async fn login_form(State(app): State<Arc<App>>, headers: HeaderMap, ctx: super::Ctx) -> Response {
    let (csrf, set) = pre_session_csrf(&headers, LOGIN_COOKIE);
    let r = page(
        &app,
        "officer/login.html",
        None,
        json!({"csrf": csrf, "email": "", "lang": ctx.lang, "here": ctx.here}),
    );
    match set {
        Some(c) => (crate::console::cookies::CookieJar::new().add(c), r).into_response(),
        None => r,
    }
}

async fn login(
    State(app): State<Arc<App>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    ctx: super::Ctx,
    Form(f): Form<LoginForm>,
) -> Result<Response, ConsoleError> {
    match log_in::<Officer>(&app, &headers, peer.ip(), f).await? {
        Login::In {
            account_id,
            cookies,
        } => {
            tracing::info!(officer = account_id, "officer logged in");
            let who = OfficerId(account_id);
            record(
                &app,
                Actor::Officer(who),
                Action::Login,
                Subject::Officer(who),
            )
            .await?;
            Ok((cookies, see_other("/officer")).into_response())
        }
        Login::Wrong {
            csrf,
            email,
            account_id,
        } => {
            // Tried against an officer's account, or against an email that is nobody's.
            let (actor, subject) = match account_id.map(OfficerId) {
                Some(id) => (Actor::Officer(id), Subject::Officer(id)),
                None => (Actor::Unknown, Subject::None),
            };
            record(&app, actor, Action::LoginFailed, subject).await?;
            // The form's CSRF value stays: it was checked and the browser still holds it.
            let r = page(
                &app,
                "officer/login.html",
                None,
                json!({"csrf": csrf, "email": email, "error": ctx.t("console-login-wrong"), "lang": ctx.lang, "here": "/officer/login"}),
            );
            Ok(with_status(r, StatusCode::UNAUTHORIZED))
        }
    }
}

async fn logout(
    State(app): State<Arc<App>>,
    me: Session<Officer>,
    CsrfForm(Empty {}): CsrfForm<Empty>,
) -> Response {
    let who = me.account.id;
    if let Err(e) = record(
        &app,
        Actor::Officer(who),
        Action::Logout,
        Subject::Officer(who),
    )
    .await
    {
        // Logging out goes ahead all the same: refusing it would keep the session open.
        tracing::error!(error = ?e, "recording a logout in the audit log");
    }
    let cookies = log_out(&app, &me).await;
    // The session's sockets close with it: no citizen's name reaches a logged-out console.
    app.calls
        .sign_out_session(&me.id_hash, SignedOut::LoggedOut);
    (cookies, see_other("/officer/login")).into_response()
}
