//! The front door: accepts connections under caps and timeouts, and serves each with hyper.
//!
//! Every listener (plain HTTP and TLS) goes through [`serve`]. Before a client has
//! authenticated it can hold only what these bounds allow:
//!
//! - a connection slot, out of `max_connections` in all and `max_connections_per_ip` per
//!   source address; past either cap a plain-HTTP client gets a `503` `ThrottlingException`
//!   at once and a TLS client a closed connection, never a stall;
//! - `header_timeout` to finish the TLS handshake and each request head (from the first byte
//!   of the head, or from the connection's start), however slowly it trickles in (the
//!   watchdog looks every quarter of it, so a head is cut off within 1.25 times the timeout);
//! - `idle_timeout` with no request in flight, after which a keep-alive connection is closed;
//! - a body, read by the dispatcher within `body_timeout` and only after reserving its
//!   declared length from a shared `body_memory` budget ([`BodyBudget`]);
//! - `max_header_bytes` of request head, and on HTTP/2 `max_streams_per_connection` streams.
//!
//! Plain-text HTTP/2 (h2c) is off unless asked for, as at AWS, whose endpoints speak HTTP/2
//! only over TLS (ALPN).

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::Router;
use axum::extract::ConnectInfo;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use prometheus_client::metrics::gauge::Gauge;
use tokio::io::{AsyncRead, AsyncReadExt as _, AsyncWrite, AsyncWriteExt as _, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, oneshot, watch};
use tokio::time::Instant;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls::ServerConfig;

use crate::http::metrics::ConnectionMetrics;

/// The bounds on what a client may hold; `[listener]` in the configuration file.
#[derive(Clone, Debug, PartialEq)]
pub struct Limits {
    /// To finish the TLS handshake, and each request head from its first byte.
    pub header_timeout: Duration,
    /// To receive a whole request body once its head has arrived.
    pub body_timeout: Duration,
    /// A connection with no request in flight for this long is closed.
    pub idle_timeout: Duration,
    /// Open connections in all.
    pub max_connections: usize,
    /// Open connections from one source address.
    pub max_connections_per_ip: usize,
    /// Concurrent HTTP/2 streams on one connection.
    pub max_streams_per_connection: u32,
    /// The largest request head (request line and headers).
    pub max_header_bytes: usize,
    /// Request bodies being received at once, in bytes (each reserves its declared length).
    pub body_memory: usize,
    /// Serve HTTP/2 with prior knowledge over plain TCP (h2c).
    pub h2c: bool,
    /// Failed authentications a source address may make per second, after a burst of
    /// `auth_failure_burst`; past them its requests are throttled before they are verified.
    pub auth_failures_per_second: u32,
    pub auth_failure_burst: u32,
    /// Admin API calls per account per second (a burst of ten times as many).
    pub admin_per_second: u32,
    /// `AssumeRole` calls per account per second.
    pub assume_role_per_second: u32,
    /// `LookupEvents` calls per account per second.
    pub lookup_events_per_second: u32,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            header_timeout: Duration::from_secs(10),
            body_timeout: Duration::from_secs(30),
            idle_timeout: Duration::from_secs(60),
            max_connections: 4096,
            max_connections_per_ip: 512,
            max_streams_per_connection: 100,
            max_header_bytes: 64 * 1024,
            body_memory: 64 * 1024 * 1024,
            h2c: false,
            auth_failures_per_second: 10,
            auth_failure_burst: 100,
            admin_per_second: 50,
            assume_role_per_second: 100,
            lookup_events_per_second: 10,
        }
    }
}

/// How long a stopping server lets in-flight requests finish.
const DRAIN: Duration = Duration::from_secs(30);

/// Refusals being written at once; past this a refused connection is just closed.
const REFUSALS: usize = 64;

/// What a plain-HTTP client over a connection cap reads before the connection closes.
const OVER_CAP: &str = "Too many open connections. Retry the request later.";

/// Whether to turn a new connection from an address away before reading anything from it
/// (an address throttled for failing authentication): its requests would all be refused, so
/// the server does not parse them. Such a refusal is a connection refused, not a call: like
/// a refusal over the connection caps, it is counted in `trent_connections_refused` and
/// leaves no audit event.
pub type Shun = Option<Arc<dyn Fn(IpAddr) -> bool + Send + Sync>>;

/// A fixed `ThrottlingException` answer (`Retry-After: 1`) that closes the connection.
fn refusal(status: &str, message: &str) -> Vec<u8> {
    let body = trent_api::WireError::new(trent_api::ErrorCode::ThrottlingException, message).body();
    let mut out = format!(
        "HTTP/1.1 {status}\r\n\
         content-type: application/x-amz-json-1.1\r\n\
         retry-after: 1\r\n\
         connection: close\r\n\
         content-length: {}\r\n\r\n",
        body.len()
    )
    .into_bytes();
    out.extend_from_slice(&body);
    out
}

/// The shared allowance of request-body bytes being received.
///
/// A body reserves its declared length (or the largest body, when it declares none) before
/// any of it is read, and gives it back when the request is done: however many partial
/// bodies clients open, the bytes held for them stay within the budget, and one source
/// address holds at most a quarter of it, so that it cannot starve the others.
#[derive(Debug)]
pub struct BodyBudget {
    /// Permits are KiB.
    permits: Arc<Semaphore>,
    total_kib: u32,
    /// KiB reserved per source address.
    per_ip: PerAddress,
}

/// A body's reservation; released on drop.
#[derive(Debug)]
pub struct BodyReservation {
    _permit: OwnedSemaphorePermit,
    _share: Held,
}

/// Amounts held per source address (connections, KiB of bodies), each under a cap.
#[derive(Debug, Default)]
struct PerAddress(Arc<Mutex<HashMap<IpAddr, u64>>>);

/// What one holder holds for its address; given back on drop.
#[derive(Debug)]
struct Held {
    ip: IpAddr,
    amount: u64,
    per_ip: Arc<Mutex<HashMap<IpAddr, u64>>>,
}

impl PerAddress {
    /// Holds `amount` more for `ip`, or `None` if that would take it past `cap`.
    fn hold(&self, ip: IpAddr, amount: u64, cap: u64) -> Option<Held> {
        let mut per_ip = self.0.lock().unwrap_or_else(|e| e.into_inner());
        let used = per_ip.get(&ip).copied().unwrap_or(0);
        if used.saturating_add(amount) > cap {
            return None;
        }
        per_ip.insert(ip, used + amount);
        Some(Held {
            ip,
            amount,
            per_ip: self.0.clone(),
        })
    }
}

impl Drop for Held {
    fn drop(&mut self) {
        let mut per_ip = self.per_ip.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(used) = per_ip.get_mut(&self.ip) {
            *used = used.saturating_sub(self.amount);
            if *used == 0 {
                per_ip.remove(&self.ip);
            }
        }
    }
}

impl BodyBudget {
    pub fn new(bytes: usize) -> BodyBudget {
        let total_kib = u32::try_from(bytes.div_ceil(1024))
            .unwrap_or(u32::MAX)
            .clamp(1, u32::try_from(Semaphore::MAX_PERMITS).unwrap_or(u32::MAX));
        BodyBudget {
            permits: Arc::new(Semaphore::new(
                usize::try_from(total_kib).unwrap_or(usize::MAX),
            )),
            total_kib,
            per_ip: PerAddress::default(),
        }
    }

    /// Reserves `bytes` for a body from `ip`, or `None` when the budget (or the address's
    /// share of it) is spent.
    pub fn reserve(&self, ip: IpAddr, bytes: usize) -> Option<BodyReservation> {
        let share = (self.total_kib / 4).max(1);
        let kib = u32::try_from(bytes.div_ceil(1024))
            .unwrap_or(u32::MAX)
            .clamp(1, share);
        // The address's share first; it is given back if the budget itself is spent.
        let share = self.per_ip.hold(ip, u64::from(kib), u64::from(share))?;
        let permit = self.permits.clone().try_acquire_many_owned(kib).ok()?;
        Some(BodyReservation {
            _permit: permit,
            _share: share,
        })
    }
}

/// Serves `app` on `listener` (over TLS when `tls` is given) until `shutdown` fires, then
/// lets in-flight requests finish (at most [`DRAIN`]).
pub async fn serve(
    listener: TcpListener,
    tls: Option<Arc<ServerConfig>>,
    app: Router,
    limits: Limits,
    metrics: ConnectionMetrics,
    shun: Shun,
    mut shutdown: oneshot::Receiver<()>,
) -> std::io::Result<()> {
    let limits = Arc::new(limits);
    let gate = Arc::new(Gate::new(&limits, metrics.open.clone()));
    let refusals = Arc::new(Semaphore::new(REFUSALS));
    let acceptor = tls.map(TlsAcceptor::from);
    let builder = Arc::new(builder(&limits, acceptor.is_some()));
    let (stop_tx, stop_rx) = watch::channel(false);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    // Out of file descriptors (or a connection reset before accept): keep
                    // serving the connections we have, and try again shortly.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            _ = &mut shutdown => break,
        };
        if shun.as_ref().is_some_and(|shun| shun(peer.ip())) {
            metrics.refused.inc();
            let answer = refusal("400 Bad Request", crate::http::auth::THROTTLED_ADDRESS);
            refuse(stream, acceptor.is_some(), &refusals, answer);
            continue;
        }
        let Some(admission) = gate.admit(peer.ip()) else {
            metrics.refused.inc();
            let answer = refusal("503 Service Unavailable", OVER_CAP);
            refuse(stream, acceptor.is_some(), &refusals, answer);
            continue;
        };
        let connection = Connection {
            limits: limits.clone(),
            builder: builder.clone(),
            app: app.clone(),
            peer,
            stop: stop_rx.clone(),
            _admission: admission,
        };
        let acceptor = acceptor.clone();
        tokio::spawn(connection.run(stream, acceptor));
    }
    drop(listener);
    let _ = stop_tx.send(true);
    let _ = tokio::time::timeout(DRAIN, gate.drained()).await;
    Ok(())
}

fn builder(limits: &Limits, tls: bool) -> auto::Builder<TokioExecutor> {
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        // The watchdog below times heads; hyper's own timer would also close idle
        // keep-alive connections after the (shorter) head timeout.
        .header_read_timeout(None)
        .max_buf_size(limits.max_header_bytes.max(8192));
    builder
        .http2()
        .timer(TokioTimer::new())
        .max_concurrent_streams(limits.max_streams_per_connection)
        .max_header_list_size(u32::try_from(limits.max_header_bytes).unwrap_or(u32::MAX))
        .keep_alive_interval(limits.idle_timeout / 2)
        .keep_alive_timeout(limits.header_timeout);
    if tls || limits.h2c {
        builder
    } else {
        builder.http1_only()
    }
}

/// Turns a connection over a cap away without stalling it: plain HTTP reads a `503`; TLS is
/// closed (a handshake to say no would cost what the cap saves).
fn refuse(mut stream: TcpStream, tls: bool, refusals: &Arc<Semaphore>, answer: Vec<u8>) {
    let Ok(permit) = refusals.clone().try_acquire_owned() else {
        return;
    };
    if tls {
        return;
    }
    tokio::spawn(async move {
        let _permit = permit;
        let _ = tokio::time::timeout(Duration::from_secs(2), async {
            stream.write_all(&answer).await?;
            stream.shutdown().await?;
            // Read what the client sent, so that closing does not reset the connection
            // before it has read the answer.
            let mut sink = [0u8; 4096];
            let mut left: usize = 64 * 1024;
            while left > 0 {
                let n = stream.read(&mut sink).await?;
                if n == 0 {
                    break;
                }
                left = left.saturating_sub(n);
            }
            std::io::Result::Ok(())
        })
        .await;
    });
}

/// The connection caps.
#[derive(Debug)]
struct Gate {
    slots: Arc<Semaphore>,
    total: usize,
    per_ip: PerAddress,
    max_per_ip: u64,
    open: Gauge,
}

/// A connection's place under the caps; given back on drop.
#[derive(Debug)]
struct Admission {
    _slot: OwnedSemaphorePermit,
    _share: Held,
    open: Gauge,
}

impl Gate {
    fn new(limits: &Limits, open: Gauge) -> Gate {
        let total = limits.max_connections.clamp(1, Semaphore::MAX_PERMITS);
        Gate {
            slots: Arc::new(Semaphore::new(total)),
            total,
            per_ip: PerAddress::default(),
            max_per_ip: u64::try_from(limits.max_connections_per_ip.max(1)).unwrap_or(u64::MAX),
            open,
        }
    }

    fn admit(&self, ip: IpAddr) -> Option<Admission> {
        let slot = self.slots.clone().try_acquire_owned().ok()?;
        let share = self.per_ip.hold(ip, 1, self.max_per_ip)?;
        self.open.inc();
        Some(Admission {
            _slot: slot,
            _share: share,
            open: self.open.clone(),
        })
    }

    /// Returns when every admitted connection has closed.
    async fn drained(&self) {
        let _ = self
            .slots
            .acquire_many(u32::try_from(self.total).unwrap_or(u32::MAX))
            .await;
    }
}

impl Drop for Admission {
    fn drop(&mut self) {
        self.open.dec();
    }
}

/// One admitted connection.
struct Connection {
    limits: Arc<Limits>,
    builder: Arc<auto::Builder<TokioExecutor>>,
    app: Router,
    peer: SocketAddr,
    stop: watch::Receiver<bool>,
    _admission: Admission,
}

impl Connection {
    async fn run(self, stream: TcpStream, tls: Option<TlsAcceptor>) {
        let _ = stream.set_nodelay(true);
        let activity = Arc::new(Activity::new());
        let io = Watched {
            inner: stream,
            activity: activity.clone(),
        };
        match tls {
            None => self.serve(io, activity, false).await,
            Some(acceptor) => {
                let handshake =
                    tokio::time::timeout(self.limits.header_timeout, acceptor.accept(io));
                if let Ok(Ok(tls)) = handshake.await {
                    self.serve(tls, activity, true).await;
                }
            }
        }
    }

    async fn serve<I>(mut self, io: I, activity: Arc<Activity>, over_tls: bool)
    where
        I: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    {
        let peer = self.peer;
        let app = self.app.clone();
        let tracked = activity.clone();
        let service = hyper::service::service_fn(
            move |mut request: hyper::Request<hyper::body::Incoming>| {
                let in_flight = tracked.begin(request.version() == hyper::Version::HTTP_2);
                request
                    .extensions_mut()
                    .insert(ConnectInfo::<SocketAddr>(peer));
                if over_tls {
                    request.extensions_mut().insert(crate::http::tls::OverTls);
                }
                let app = app.clone();
                async move {
                    use tower::ServiceExt as _;
                    let response = app.oneshot(request.map(axum::body::Body::new)).await;
                    drop(in_flight);
                    response
                }
            },
        );
        let conn = self.builder.serve_connection(TokioIo::new(io), service);
        tokio::pin!(conn);
        let watchdog = watchdog(&activity, &self.limits);
        tokio::pin!(watchdog);
        let mut stopping = false;
        loop {
            tokio::select! {
                _ = conn.as_mut() => return,
                // Dropping the connection closes it.
                _ = &mut watchdog => return,
                _ = self.stop.changed(), if !stopping => {
                    stopping = true;
                    conn.as_mut().graceful_shutdown();
                }
            }
        }
    }
}

/// When a connection last did what, for its watchdog: milliseconds since it opened.
#[derive(Debug)]
struct Activity {
    opened: Instant,
    in_flight: AtomicU32,
    requests: AtomicU64,
    http2: AtomicBool,
    /// When the last request in flight ended (0: the connection's start).
    idle_since: AtomicU64,
    /// When the first byte of a head not yet complete arrived, plus one; 0: none pending.
    head_since: AtomicU64,
}

impl Activity {
    fn new() -> Activity {
        Activity {
            opened: Instant::now(),
            in_flight: AtomicU32::new(0),
            requests: AtomicU64::new(0),
            http2: AtomicBool::new(false),
            idle_since: AtomicU64::new(0),
            // A connection's first head is due from the moment it opens.
            head_since: AtomicU64::new(1),
        }
    }

    fn now(&self) -> u64 {
        u64::try_from(self.opened.elapsed().as_millis()).unwrap_or(u64::MAX)
    }

    fn begin(self: &Arc<Self>, http2: bool) -> InFlight {
        if http2 {
            self.http2.store(true, Ordering::Relaxed);
        }
        self.in_flight.fetch_add(1, Ordering::AcqRel);
        self.requests.fetch_add(1, Ordering::Relaxed);
        self.head_since.store(0, Ordering::Release);
        InFlight(self.clone())
    }

    /// Bytes arrived: if no request is in flight they start a head.
    fn read(&self) {
        if self.in_flight.load(Ordering::Acquire) == 0
            && self.head_since.load(Ordering::Relaxed) == 0
        {
            self.head_since.store(self.now() + 1, Ordering::Release);
        }
    }

    /// When the connection must close if nothing changes, or `None` while a request is in
    /// flight (its body and its work have their own bounds).
    fn deadline(&self, limits: &Limits) -> Option<u64> {
        if self.in_flight.load(Ordering::Acquire) > 0 {
            return None;
        }
        let ms = |d: Duration| u64::try_from(d.as_millis()).unwrap_or(u64::MAX);
        let mut deadline = self
            .idle_since
            .load(Ordering::Acquire)
            .saturating_add(ms(limits.idle_timeout));
        let head = self.head_since.load(Ordering::Acquire);
        // On HTTP/2, bytes between requests are frames (pings, settings), not a head.
        let heads =
            !self.http2.load(Ordering::Relaxed) || self.requests.load(Ordering::Relaxed) == 0;
        if head != 0 && heads {
            deadline = deadline.min((head - 1).saturating_add(ms(limits.header_timeout)));
        }
        Some(deadline)
    }
}

/// A request in flight; ends on drop.
struct InFlight(Arc<Activity>);

impl Drop for InFlight {
    fn drop(&mut self) {
        let activity = &self.0;
        activity.idle_since.store(activity.now(), Ordering::Release);
        activity.head_since.store(0, Ordering::Release);
        activity.in_flight.fetch_sub(1, Ordering::AcqRel);
    }
}

/// Resolves when the connection has outstayed its head or idle timeout.
///
/// It looks again at least every quarter of the head timeout, so that a head begun while it
/// sleeps is cut off within 1.25 times the timeout, without waking on every request.
async fn watchdog(activity: &Activity, limits: &Limits) {
    let check = (limits.header_timeout / 4).max(Duration::from_millis(10));
    loop {
        let now = activity.now();
        let wake = match activity.deadline(limits) {
            Some(deadline) if deadline <= now => return,
            Some(deadline) => Duration::from_millis(deadline - now).min(check),
            None => check,
        };
        tokio::time::sleep(wake).await;
    }
}

/// The socket, noting reads for the watchdog.
struct Watched {
    inner: TcpStream,
    activity: Arc<Activity>,
}

impl AsyncRead for Watched {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        let poll = Pin::new(&mut self.inner).poll_read(cx, buf);
        if matches!(poll, Poll::Ready(Ok(()))) && buf.filled().len() > before {
            self.activity.read();
        }
        poll
    }
}

impl AsyncWrite for Watched {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits() -> Limits {
        Limits {
            header_timeout: Duration::from_millis(100),
            idle_timeout: Duration::from_millis(1000),
            ..Limits::default()
        }
    }

    #[test]
    fn deadlines_follow_heads_and_idleness() {
        let limits = limits();
        let a = Arc::new(Activity::new());
        // A new connection owes its first head within the head timeout.
        assert_eq!(a.deadline(&limits), Some(100));
        // A request in flight: no deadline of the watchdog's.
        let request = a.begin(false);
        assert_eq!(a.deadline(&limits), None);
        a.read();
        assert_eq!(a.deadline(&limits), None);
        drop(request);
        // Idle after it: the idle timeout, from the request's end.
        let idle = a.idle_since.load(Ordering::Relaxed);
        assert_eq!(a.deadline(&limits), Some(idle + 1000));
        // The first byte of the next head starts the head timeout, which later bytes do not
        // extend.
        a.head_since.store(501, Ordering::Relaxed);
        a.read();
        assert_eq!(a.deadline(&limits), Some((idle + 1000).min(600)));
    }

    #[test]
    fn http2_frames_between_requests_are_not_a_head() {
        let limits = limits();
        let a = Arc::new(Activity::new());
        drop(a.begin(true));
        a.head_since.store(11, Ordering::Relaxed);
        let idle = a.idle_since.load(Ordering::Relaxed);
        assert_eq!(a.deadline(&limits), Some(idle + 1000));
    }

    #[test]
    fn the_gate_caps_in_all_and_per_address() {
        let open = Gauge::default();
        let gate = Gate::new(
            &Limits {
                max_connections: 3,
                max_connections_per_ip: 2,
                ..Limits::default()
            },
            open.clone(),
        );
        let one: IpAddr = "127.0.0.1".parse().unwrap();
        let two: IpAddr = "127.0.0.2".parse().unwrap();
        let a = gate.admit(one).unwrap();
        let _b = gate.admit(one).unwrap();
        assert!(gate.admit(one).is_none(), "per address");
        let c = gate.admit(two).unwrap();
        assert!(gate.admit(two).is_none(), "in all");
        drop(c);
        let _c = gate.admit(two).unwrap();
        drop(a);
        assert_eq!(gate.per_ip.0.lock().unwrap().get(&one), Some(&1));
        let _a = gate.admit(one).unwrap();
        assert!(gate.admit(two).is_none());
        assert_eq!(open.get(), 3);
    }

    #[test]
    fn the_body_budget_is_shared_and_given_back() {
        let budget = BodyBudget::new(400 * 1024);
        let ips: Vec<IpAddr> = (1..=5)
            .map(|i| format!("127.0.0.{i}").parse().unwrap())
            .collect();
        // One address holds at most a quarter.
        let a = budget.reserve(ips[0], 60 * 1024).unwrap();
        assert!(budget.reserve(ips[0], 41 * 1024).is_none());
        let b = budget.reserve(ips[0], 40 * 1024).unwrap();
        assert!(budget.reserve(ips[0], 1).is_none());
        // Others share the rest, until it is spent.
        let _c = budget.reserve(ips[1], 100 * 1024).unwrap();
        let _d = budget.reserve(ips[2], 100 * 1024).unwrap();
        let _e = budget.reserve(ips[3], 100 * 1024).unwrap();
        assert!(budget.reserve(ips[4], 1).is_none());
        drop(a);
        drop(b);
        assert_eq!(budget.per_ip.0.lock().unwrap().get(&ips[0]), None);
        // A body larger than an address's share reserves the share.
        let _f = budget.reserve(ips[4], 10 * 1024 * 1024).unwrap();
        assert!(budget.reserve(ips[0], 1).is_none());
    }
}
