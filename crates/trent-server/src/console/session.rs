//! The console's signed-in sessions: random ids behind an HttpOnly cookie, each with its
//! CSRF token, its credential and its idle deadline, held in memory and bounded in number.
//!
//! A session holds no secret of the principal's: only the access key id it signed in with and
//! the session token an STS credential needs, so each request is authorized from the
//! directory as it is at that moment (a key disabled or deleted ends its sessions at once).

use std::collections::HashMap;
use std::sync::Mutex;

use trent_core::model::{Region, UnixMillis};
use trent_core::secret::Secret;

/// The cookie that carries a session's id.
pub const COOKIE: &str = "trent-console";
/// The header every console call carries its CSRF token in.
pub const CSRF_HEADER: &str = "x-trent-csrf";

/// What a signed-in session is.
#[derive(Clone, Debug)]
pub struct Session {
    pub access_key_id: String,
    /// An STS credential's session token (zeroized, redacted in `Debug`).
    pub session_token: Option<std::sync::Arc<Secret>>,
    pub region: Region,
    /// The principal's ARN when it signed in (for display: each call looks it up again).
    pub principal_arn: String,
    pub account: String,
    /// The token a call must echo in [`CSRF_HEADER`].
    pub csrf: String,
    last_seen: UnixMillis,
}

/// Why a session cookie does not name a live session.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Gone {
    /// No cookie, or one no session has (signed out, restarted, made up).
    NotSignedIn,
    /// The session was idle past the timeout.
    Expired,
}

/// The sessions of one server.
#[derive(Debug)]
pub struct Sessions {
    /// By the SHA-256 of the cookie value, so that a lookup's timing says nothing of ids.
    by_hash: Mutex<HashMap<[u8; 32], Session>>,
    idle: i64,
    max: usize,
}

/// Sessions held at most by default; past it, the oldest idle one makes room.
pub const MAX_SESSIONS: usize = 1_000;
/// The default idle timeout.
pub const IDLE_TIMEOUT_SECS: u64 = 15 * 60;

fn digest(id: &str) -> [u8; 32] {
    let d = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, id.as_bytes());
    let mut out = [0u8; 32];
    out.copy_from_slice(d.as_ref());
    out
}

/// 32 random bytes as 64 hex digits; `None` if the system's generator fails.
fn random_token() -> Option<String> {
    use std::fmt::Write as _;
    let mut bytes = [0u8; 32];
    aws_lc_rs::rand::fill(&mut bytes).ok()?;
    Some(bytes.iter().fold(String::with_capacity(64), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    }))
}

/// A new session's credential and place.
#[derive(Debug)]
pub struct NewSession {
    pub access_key_id: String,
    pub session_token: Option<std::sync::Arc<Secret>>,
    pub region: Region,
    pub principal_arn: String,
    pub account: String,
}

impl Sessions {
    pub fn new(idle_timeout_secs: u64, max: usize) -> Sessions {
        Sessions {
            by_hash: Mutex::new(HashMap::new()),
            idle: i64::try_from(idle_timeout_secs.saturating_mul(1000)).unwrap_or(i64::MAX),
            max: max.max(1),
        }
    }

    /// The idle timeout in seconds.
    pub fn idle_timeout_secs(&self) -> i64 {
        self.idle / 1000
    }

    /// Starts a session; returns its cookie value and the session (`None` if no random id
    /// could be drawn). At the cap, expired sessions go first, then the least recently used.
    pub fn start(&self, new: NewSession, now: UnixMillis) -> Option<(String, Session)> {
        let id = random_token()?;
        let session = Session {
            access_key_id: new.access_key_id,
            session_token: new.session_token,
            region: new.region,
            principal_arn: new.principal_arn,
            account: new.account,
            csrf: random_token()?,
            last_seen: now,
        };
        let mut map = self.by_hash.lock().unwrap_or_else(|e| e.into_inner());
        if map.len() >= self.max {
            let idle = self.idle;
            map.retain(|_, s| now.0.saturating_sub(s.last_seen.0) < idle);
        }
        if map.len() >= self.max
            && let Some(oldest) = map
                .iter()
                .min_by_key(|(_, s)| s.last_seen.0)
                .map(|(k, _)| *k)
        {
            map.remove(&oldest);
        }
        map.insert(digest(&id), session.clone());
        Some((id, session))
    }

    /// The live session a cookie names, its idle deadline moved on; an expired one is removed.
    pub fn touch(&self, id: Option<&str>, now: UnixMillis) -> Result<Session, Gone> {
        let id = id.ok_or(Gone::NotSignedIn)?;
        let key = digest(id);
        let mut map = self.by_hash.lock().unwrap_or_else(|e| e.into_inner());
        let session = map.get_mut(&key).ok_or(Gone::NotSignedIn)?;
        if now.0.saturating_sub(session.last_seen.0) >= self.idle {
            map.remove(&key);
            return Err(Gone::Expired);
        }
        session.last_seen = UnixMillis(session.last_seen.0.max(now.0));
        Ok(session.clone())
    }

    /// Ends the session a cookie names (signing out); whether there was one.
    pub fn end(&self, id: &str) -> bool {
        let mut map = self.by_hash.lock().unwrap_or_else(|e| e.into_inner());
        map.remove(&digest(id)).is_some()
    }

    /// How many sessions are held.
    pub fn len(&self) -> usize {
        self.by_hash.lock().map(|m| m.len()).unwrap_or_default()
    }

    /// Whether no session is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Whether a request's CSRF token is its session's (in constant time).
pub fn csrf_matches(session: &Session, given: Option<&str>) -> bool {
    given.is_some_and(|g| trent_api::sigv4::secrets_equal(session.csrf.as_bytes(), g.as_bytes()))
}

/// The value of the session cookie in a `Cookie` header (the first, if several).
pub fn cookie_value(header: Option<&str>) -> Option<&str> {
    header?.split(';').find_map(|pair| {
        let (name, value) = pair.trim().split_once('=')?;
        (name == COOKIE && !value.is_empty()).then_some(value)
    })
}

/// The `Set-Cookie` value that holds a session: HttpOnly, SameSite=Strict, scoped to the
/// console, `Secure` when served over TLS.
pub fn set_cookie(id: &str, secure: bool) -> String {
    format!(
        "{COOKIE}={id}; Path=/console; HttpOnly; SameSite=Strict{}",
        if secure { "; Secure" } else { "" }
    )
}

/// The `Set-Cookie` value that removes the session cookie.
pub fn clear_cookie(secure: bool) -> String {
    format!(
        "{COOKIE}=; Path=/console; HttpOnly; SameSite=Strict; Max-Age=0{}",
        if secure { "; Secure" } else { "" }
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn new_session(n: u32) -> NewSession {
        NewSession {
            access_key_id: format!("AKIA{n:016}"),
            session_token: None,
            region: Region::parse("us-east-1").unwrap(),
            principal_arn: format!("arn:aws:iam::111122223333:user/u{n}"),
            account: "111122223333".to_owned(),
        }
    }

    #[test]
    fn a_session_lives_while_used_and_expires_when_idle() {
        let sessions = Sessions::new(60, 10);
        let (id, s) = sessions.start(new_session(1), UnixMillis(0)).unwrap();
        assert_eq!(id.len(), 64);
        assert_eq!(s.csrf.len(), 64);
        assert_ne!(id, s.csrf);
        // Used every 50 s: the deadline moves on each time.
        for t in [50_000, 100_000, 150_000] {
            assert_eq!(
                sessions.touch(Some(&id), UnixMillis(t)).unwrap().csrf,
                s.csrf
            );
        }
        // 60 s idle: gone, and stays gone.
        assert_eq!(
            sessions.touch(Some(&id), UnixMillis(210_000)).unwrap_err(),
            Gone::Expired
        );
        assert_eq!(
            sessions.touch(Some(&id), UnixMillis(210_001)).unwrap_err(),
            Gone::NotSignedIn
        );
    }

    #[test]
    fn unknown_missing_and_ended_sessions_are_not_signed_in() {
        let sessions = Sessions::new(60, 10);
        let (id, _) = sessions.start(new_session(1), UnixMillis(0)).unwrap();
        let cases: [(Option<&str>, Gone); 3] = [
            (None, Gone::NotSignedIn),
            (Some(""), Gone::NotSignedIn),
            (Some("00"), Gone::NotSignedIn),
        ];
        for (cookie, want) in cases {
            assert_eq!(
                sessions.touch(cookie, UnixMillis(1)).unwrap_err(),
                want,
                "{cookie:?}"
            );
        }
        assert!(sessions.end(&id));
        assert!(!sessions.end(&id));
        assert_eq!(
            sessions.touch(Some(&id), UnixMillis(1)).unwrap_err(),
            Gone::NotSignedIn
        );
    }

    #[test]
    fn the_cap_evicts_expired_then_least_recently_used() {
        let sessions = Sessions::new(60, 3);
        let ids: Vec<String> = (0..3)
            .map(|n| {
                sessions
                    .start(new_session(n), UnixMillis(i64::from(n) * 1000))
                    .unwrap()
                    .0
            })
            .collect();
        // The first is used again, so the second is the least recently used.
        sessions.touch(Some(&ids[0]), UnixMillis(5_000)).unwrap();
        let (fourth, _) = sessions.start(new_session(3), UnixMillis(6_000)).unwrap();
        assert_eq!(sessions.len(), 3);
        assert!(sessions.touch(Some(&ids[1]), UnixMillis(6_000)).is_err());
        for id in [&ids[0], &ids[2], &fourth] {
            assert!(sessions.touch(Some(id), UnixMillis(6_000)).is_ok());
        }
    }

    proptest::proptest! {
        /// Any `Cookie` header parses without panicking, and what it finds is the value of a
        /// `trent-console=` pair in it.
        #[test]
        fn any_cookie_header_parses(header in ".{0,200}", id in "[0-9a-f]{1,64}") {
            if let Some(v) = cookie_value(Some(&header)) {
                let pair = format!("{COOKIE}={v}");
                proptest::prop_assert!(header.contains(&pair));
            }
            let with = format!("{header}; {COOKIE}={id}");
            let found = cookie_value(Some(&with));
            proptest::prop_assert!(found.is_some());
        }
    }

    #[test]
    fn csrf_tokens_and_cookies() {
        let sessions = Sessions::new(60, 3);
        let (id, s) = sessions.start(new_session(1), UnixMillis(0)).unwrap();
        assert!(csrf_matches(&s, Some(&s.csrf)));
        assert!(!csrf_matches(&s, None));
        assert!(!csrf_matches(&s, Some("")));
        assert!(!csrf_matches(&s, Some(&id)));
        let header = format!("a=b; {COOKIE}={id}; c=d");
        assert_eq!(cookie_value(Some(&header)), Some(id.as_str()));
        assert_eq!(cookie_value(Some("a=b")), None);
        assert_eq!(cookie_value(Some(&format!("{COOKIE}="))), None);
        assert_eq!(
            set_cookie("x", true),
            "trent-console=x; Path=/console; HttpOnly; SameSite=Strict; Secure"
        );
        assert!(!set_cookie("x", false).contains("Secure"));
        assert!(clear_cookie(false).contains("Max-Age=0"));
    }
}
