//! The redirect rule of every HTTP client here: follow a redirect only to the same scheme, host and
//! port, and at most [`MAX_REDIRECTS`] times.
//!
//! A health URL belongs to an agent, and an agent (or whatever answers on its port) could redirect the
//! probe to any host — an internal metadata service, somebody else's site — and have the supervisor
//! call it for them, with its headers. A redirect elsewhere is not followed: the 3xx itself is the
//! answer, which is not the 2xx a health check wants.

/// Redirects followed at most within one host.
pub const MAX_REDIRECTS: usize = 5;

/// The policy to give `reqwest::ClientBuilder::redirect`.
pub fn same_origin() -> reqwest::redirect::Policy {
    reqwest::redirect::Policy::custom(|attempt| {
        let same = attempt.previous().first().is_some_and(|first| {
            first.scheme() == attempt.url().scheme()
                && first.host_str() == attempt.url().host_str()
                && first.port_or_known_default() == attempt.url().port_or_known_default()
        });
        if same && attempt.previous().len() <= MAX_REDIRECTS {
            attempt.follow()
        } else {
            attempt.stop()
        }
    })
}
