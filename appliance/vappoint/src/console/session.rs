//! Console sessions, generic over who is logged in: the station's officers and the hub's
//! admins each implement `Account` (their store, their cookie, where to send a visitor who
//! is not logged in); `Session<A>` is the one extractor. A session lives server-side (only
//! a hash of its id is stored), ends after the configured idle time or maximum age, and is
//! touched on every use.

use std::future::Future;
use std::net::IpAddr;
use std::sync::Arc;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::response::Response;
use chrono::{DateTime, Duration, Utc};
use vappoint_store::{Sessions, StoreError};

use super::cookies;
use crate::config::SessionConfig;
use crate::db;
use crate::secrets::sha256;

/// What login checks a password against.
#[derive(Debug, Clone)]
pub struct Credentials {
    pub account_id: i64,
    pub password_hash: String,
}

type Db<T> = Result<T, StoreError>;

/// Someone who logs in to a console. `State` is the site's router state.
pub trait Account: Sized + Send + Sync + 'static {
    type State: Send + Sync + 'static;
    /// The `__Host-` cookie that holds the session id.
    const SESSION_COOKIE: &'static str;
    /// The `__Host-` cookie that holds the login form's CSRF value (no session yet).
    const LOGIN_COOKIE: &'static str;

    fn config(state: &Self::State) -> &SessionConfig;
    /// The database that holds this console's sessions.
    type Store: Sessions;
    fn store(state: &Self::State) -> &Arc<Self::Store>;
    /// The account a live session belongs to; `None` when it may no longer log in.
    fn load(state: &Self::State, account_id: i64) -> impl Future<Output = Db<Option<Self>>> + Send;
    /// The password hash of the account with this email, if there is one.
    fn by_email(
        state: &Self::State,
        email: String,
    ) -> impl Future<Output = Db<Option<Credentials>>> + Send;
    /// Whether `ip` may try the password of `email` now (the site's rate limits, per address
    /// and per account).
    fn may_try(state: &Self::State, ip: IpAddr, email: &str) -> bool;
    /// The answer to a request that needs a session and has none (a redirect to the login
    /// page, or a JSON 401 for an API).
    fn login_required(parts: &Parts) -> Response;
    /// Whether the account may send admin-only forms.
    fn is_admin(&self) -> bool {
        true
    }
}

/// A logged-in `A` with the session's CSRF token and the hash of its id.
pub struct Session<A> {
    pub account: A,
    pub csrf: String,
    pub id_hash: Vec<u8>,
}

/// What a checked session leaves in the request for the form extractors after it.
#[derive(Debug, Clone)]
pub(super) struct Checked {
    pub csrf: String,
    pub admin: bool,
}

/// Logs a session bookkeeping failure that must not fail the request.
fn log_failure(what: &'static str, e: &StoreError) {
    tracing::warn!(error = %format!("{e:#}"), "{what}");
}

/// Why a session no longer lets anyone in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Gone {
    /// Not in the store: logged out, or ended by a password change or the account's removal.
    Ended,
    /// Idle for longer than allowed, or older than the maximum age (now deleted).
    Expired,
    /// The account may no longer log in (removed).
    Account,
    /// The store could not say; refused like an ended session (and logged).
    Unreadable,
}

/// A session that lets its holder in now: the account, its CSRF token, when it was last
/// used, and when it expires unless used again.
pub struct Live<A> {
    pub account: A,
    pub csrf: String,
    pub last_seen_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

/// The one rule of whether the session with id hash `hash` lets its holder in at `now`: it
/// exists, has been used within the idle time, is younger than the maximum age, and its
/// account may still log in. An expired session is deleted. Requests check it through the
/// `Session` extractor; open sockets check it again while they last.
pub async fn check<A: Account>(
    state: &A::State,
    hash: &[u8],
    now: DateTime<Utc>,
) -> Result<Live<A>, Gone> {
    let stored = match db::blocking(A::store(state), {
        let h = hash.to_vec();
        move |s| s.session(&h)
    })
    .await
    {
        Ok(Some(s)) => s,
        Ok(None) => return Err(Gone::Ended),
        Err(e) => {
            log_failure("reading a console session", &e);
            return Err(Gone::Unreadable);
        }
    };
    let cfg = A::config(state);
    let idle = Duration::from_std(cfg.idle).unwrap_or(Duration::minutes(30));
    let max = Duration::from_std(cfg.max).unwrap_or(Duration::hours(12));
    let expires_at = (stored.last_seen_at + idle).min(stored.created_at + max);
    if now > expires_at {
        let h = hash.to_vec();
        if let Err(e) = db::blocking(A::store(state), move |s| s.delete_session(&h)).await {
            log_failure("ending an expired console session", &e);
        }
        return Err(Gone::Expired);
    }
    match A::load(state, stored.account_id).await {
        Ok(Some(account)) => Ok(Live {
            account,
            csrf: stored.csrf,
            last_seen_at: stored.last_seen_at,
            expires_at,
        }),
        Ok(None) => Err(Gone::Account),
        Err(e) => {
            log_failure("reading a console session's account", &e);
            Err(Gone::Unreadable)
        }
    }
}

/// Marks the session as used at `now`. A failed touch costs the person at most an early
/// logout, so it is logged, not returned.
pub async fn touch<A: Account>(state: &A::State, hash: &[u8], now: DateTime<Utc>) {
    let h = hash.to_vec();
    if let Err(e) = db::blocking(A::store(state), move |s| s.touch_session(&h, now)).await {
        log_failure("touching a console session", &e);
    }
}

impl<A: Account> FromRequestParts<A::State> for Session<A> {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &A::State) -> Result<Self, Response> {
        let Some(hash) = cookies::session_id(&parts.headers, A::SESSION_COOKIE).map(sha256) else {
            return Err(A::login_required(parts));
        };
        let now = Utc::now();
        let Ok(live) = check::<A>(state, &hash, now).await else {
            return Err(A::login_required(parts));
        };
        touch::<A>(state, &hash, now).await;
        parts.extensions.insert(Checked {
            csrf: live.csrf.clone(),
            admin: live.account.is_admin(),
        });
        Ok(Session {
            account: live.account,
            csrf: live.csrf,
            id_hash: hash,
        })
    }
}

impl<A: Account> Session<A> {
    /// Ends this session (logout); the caller clears the cookie.
    pub async fn end(&self, state: &A::State) {
        if let Err(e) = {
            let h = self.id_hash.clone();
            db::blocking(A::store(state), move |s| s.delete_session(&h)).await
        } {
            log_failure("ending a console session", &e);
        }
    }
}

/// A site's router state, naming who logs in to its console (for the form extractors).
pub trait ConsoleState: Send + Sync + 'static {
    type Account: Account<State = Self>;
}
