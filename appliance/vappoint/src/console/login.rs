//! The one login flow of the consoles (station officers, hub admins): the login form's CSRF
//! value, the rate limit, an Argon2 check on a blocking thread (also for unknown emails, so
//! timing does not tell which exist), a new session id in place of any old one, and the
//! cookies that go with it. Logout ends the session and clears its cookie.

use std::net::IpAddr;
use std::sync::LazyLock;

use axum::http::HeaderMap;
use chrono::Utc;
use serde::Deserialize;
use vappoint_store::Sessions;

use super::cookies::{self, CookieJar};
use super::csrf::pre_session_matches;
use super::error::ConsoleError;
use super::password::{check, hash_password};
use super::session::{Account, Session};
use crate::db;
use crate::secrets::{random_id, sha256};

/// The login form as sent.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct LoginForm {
    pub csrf: String,
    pub email: String,
    pub password: String,
}

/// What a login attempt came to, when the form itself was acceptable.
pub enum Login {
    /// Logged in: these cookies hold the new session (and clear the form's value).
    In { account_id: i64, cookies: CookieJar },
    /// Wrong email or password: show the form again with this CSRF value (still valid).
    /// `account_id` is the account the email belongs to, if any (for the audit log).
    Wrong {
        csrf: String,
        email: String,
        account_id: Option<i64>,
    },
}

/// A hash to verify against when the email is unknown: made like real ones, so checking it
/// costs what checking a real one does.
static DUMMY_HASH: LazyLock<String> = LazyLock::new(|| {
    // Hashing only fails on a bad salt, which ours never is; a blank hash would only make
    // unknown emails quicker to refuse.
    hash_password("not anyone's password").unwrap_or_default()
});

/// Logs in an `A` with the form `f` sent from `ip`; `Err` is the answer to give instead of
/// the login page (an expired form, too many tries, the store failing).
pub async fn log_in<A: Account>(
    state: &A::State,
    headers: &HeaderMap,
    ip: IpAddr,
    f: LoginForm,
) -> Result<Login, ConsoleError> {
    let Some(expected) = pre_session_matches(headers, A::LOGIN_COOKIE, &f.csrf) else {
        return Err(ConsoleError::forbidden("console-login-expired"));
    };
    let expected = expected.to_string();
    if !A::may_try(state, ip, &f.email) {
        return Err(ConsoleError::too_many_tries());
    }
    let found = A::by_email(state, f.email.trim().to_string()).await?;
    let hash = found.as_ref().map(|c| c.password_hash.clone());
    // Verify even for unknown emails, so timing does not tell which emails exist.
    let ok = match hash {
        Some(h) => check(f.password, h).await,
        None => {
            let _ = check(f.password, DUMMY_HASH.clone()).await;
            false
        }
    };
    let account_id = found.as_ref().map(|c| c.account_id);
    let Some(account) = found.filter(|_| ok) else {
        tracing::info!(%ip, "console login failed");
        return Ok(Login::Wrong {
            csrf: expected,
            email: f.email,
            account_id,
        });
    };
    // Rotate: whatever session this browser had ends; the new one gets a new id.
    if let Some(old) = cookies::session_id(headers, A::SESSION_COOKIE)
        && let Err(e) = {
            let h = sha256(old);
            db::blocking(A::store(state), move |s| s.delete_session(&h)).await
        }
    {
        tracing::warn!(error = %e, "ending the session a login replaces");
    }
    let id = random_id();
    let (hash, account_id, csrf) = (sha256(&id), account.account_id, random_id());
    db::blocking(A::store(state), move |s| {
        s.create_session(&hash, account_id, &csrf, Utc::now())
    })
    .await?;
    let cookies = CookieJar::new()
        .add(cookies::host(A::SESSION_COOKIE, id))
        .add(cookies::cleared(A::LOGIN_COOKIE));
    Ok(Login::In {
        account_id: account.account_id,
        cookies,
    })
}

/// Ends `session`; the cookies to answer with clear it in the browser.
pub async fn log_out<A: Account>(state: &A::State, session: &Session<A>) -> CookieJar {
    session.end(state).await;
    CookieJar::new().add(cookies::cleared(A::SESSION_COOKIE))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_dummy_hash_costs_a_real_check() {
        assert!(DUMMY_HASH.starts_with("$argon2id$"), "{}", *DUMMY_HASH);
        assert!(!super::super::password::verify_password("x", &DUMMY_HASH));
    }
}
