//! Every cookie the sites set or read, on `axum-extra`'s `CookieJar` and the `cookie` crate:
//! the `__Host-` cookies of sessions and pre-login forms (Secure, HttpOnly, SameSite=Strict,
//! Path=/), clearing one, and the `lang` cookie of the language switch.

use axum::http::{HeaderMap, header};
use axum_extra::extract::cookie::SameSite;
pub use axum_extra::extract::cookie::{Cookie, CookieJar};

/// How long the language choice is kept (a year).
const LANG_MAX_AGE: time::Duration = time::Duration::days(365);

/// A `__Host-` cookie: only over HTTPS, never to scripts, never on cross-site requests, and
/// for the whole site (the prefix demands Secure and Path=/ and no Domain).
pub fn host(name: &str, value: impl Into<String>) -> Cookie<'static> {
    Cookie::build((name.to_string(), value.into()))
        .path("/")
        .secure(true)
        .http_only(true)
        .same_site(SameSite::Strict)
        .build()
}

/// The cookie that makes the browser forget `name`: empty and already expired, with the
/// attributes it was set with (a `__Host-` cookie without them is refused by browsers).
pub fn cleared(name: &str) -> Cookie<'static> {
    let mut c = host(name, "");
    c.make_removal();
    c
}

/// The language the visitor chose. Top-level navigations from other sites keep it (Lax).
pub fn lang(code: &str) -> Cookie<'static> {
    Cookie::build(("lang", code.to_string()))
        .path("/")
        .max_age(LANG_MAX_AGE)
        .same_site(SameSite::Lax)
        .secure(true)
        .build()
}

/// The value of the request's cookie `name`, as the browser sent it (the first one wins).
pub fn read<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(Cookie::split_parse)
        .filter_map(Result::ok)
        .find(|c| c.name() == name)
        .and_then(|c| c.value_raw())
}

/// A session or pre-login cookie's value, if it looks like one of ours (a random id).
pub fn session_id<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    read(headers, name).filter(|v| !v.is_empty() && v.len() <= 64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_cookies_carry_every_lock() {
        let set = host("__Host-x", "abc").to_string();
        for part in [
            "__Host-x=abc",
            "Path=/",
            "Secure",
            "HttpOnly",
            "SameSite=Strict",
        ] {
            assert!(set.contains(part), "{set}");
        }
        let gone = cleared("__Host-x").to_string();
        assert!(gone.starts_with("__Host-x=;"), "{gone}");
        for part in [
            "Max-Age=0",
            "Path=/",
            "Secure",
            "HttpOnly",
            "SameSite=Strict",
        ] {
            assert!(gone.contains(part), "{gone}");
        }
        let l = lang("mr").to_string();
        for part in [
            "lang=mr",
            "Path=/",
            "Max-Age=31536000",
            "SameSite=Lax",
            "Secure",
        ] {
            assert!(l.contains(part), "{l}");
        }
    }

    #[test]
    fn reads_the_named_cookie() {
        let mut h = HeaderMap::new();
        h.append(header::COOKIE, "a=1; lang=hi".parse().unwrap());
        h.append(header::COOKIE, "__Host-s=xyz".parse().unwrap());
        assert_eq!(read(&h, "lang"), Some("hi"));
        assert_eq!(read(&h, "__Host-s"), Some("xyz"));
        assert_eq!(read(&h, "b"), None);
        assert_eq!(session_id(&h, "a"), Some("1"));
    }
}
