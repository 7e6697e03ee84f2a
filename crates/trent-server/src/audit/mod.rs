//! The audit trail: one CloudTrail-format event per API call, hash-chained and written with
//! group commit before the call's response is sent, and sealed by signed digests.
//!
//! One writer task owns the chain. Requests hand it their event and wait; it writes every
//! event waiting at that moment in one transaction (so a burst of requests costs one commit),
//! then answers them all. Every `DIGEST_EVERY` events, and on demand, it signs a digest of the
//! chain with the audit signing key (Ed25519, sealed under the root key; its public key is
//! published at `GET /audit/public-key`), as CloudTrail's log file integrity validation does.
//! `event.rs` builds each request's event.

pub mod event;

use crate::failure::Failure;
use std::sync::Arc;

use aws_lc_rs::digest;
use aws_lc_rs::signature::{self, Ed25519KeyPair, KeyPair as _};
use tokio::sync::{mpsc, oneshot};
use trent_core::Kms;
use trent_core::model::{
    AuditCursor, AuditDigest, AuditEntry, AuditQuery, AuditRecord, UnixMillis,
};
use trent_core::store::AuditStore;
use trent_core::vault::ServerSecret;

/// A digest is signed after this many events (and on demand).
pub const DIGEST_EVERY: i64 = 1000;
/// The most events one transaction writes.
const BATCH: usize = 512;

enum Job {
    Event(AuditEntry, oneshot::Sender<Result<(), Failure>>),
    /// An unauthenticated call that was throttled: counted into its address's summary.
    Throttled(serde_json::Value),
    Digest(oneshot::Sender<Result<(), Failure>>),
}

/// How long the throttled calls of one address are counted into one summary event.
pub const SUMMARY_WINDOW_MS: i64 = 1000;
/// The most addresses summarised at once; the calls of any more share one summary.
const MAX_SUMMARIES: usize = 4096;

/// The throttled unauthenticated calls of one source address (and event source) in the
/// current window: the first one's event, and how many there were.
struct Summary {
    first: serde_json::Value,
    count: u64,
    last_time: serde_json::Value,
}

/// Throttled unauthenticated calls, counted per address until the window closes.
#[derive(Default)]
struct Summaries {
    since: Option<UnixMillis>,
    by_source: std::collections::HashMap<(String, String), Summary>,
}

impl Summaries {
    fn add(&mut self, event: serde_json::Value, now: UnixMillis) {
        self.since.get_or_insert(now);
        let text = |name: &str| event.get(name).and_then(|v| v.as_str()).unwrap_or("");
        let mut key = (
            text("sourceIPAddress").to_owned(),
            text("eventSource").to_owned(),
        );
        if self.by_source.len() >= MAX_SUMMARIES && !self.by_source.contains_key(&key) {
            key.0 = "*".to_owned();
        }
        let last_time = event.get("eventTime").cloned().unwrap_or_default();
        match self.by_source.get_mut(&key) {
            Some(s) => {
                s.count += 1;
                s.last_time = last_time;
            }
            None => {
                self.by_source.insert(
                    key,
                    Summary {
                        first: event,
                        count: 1,
                        last_time,
                    },
                );
            }
        }
    }

    fn due(&self, now: UnixMillis) -> bool {
        self.since
            .is_some_and(|t| now.0.saturating_sub(t.0) >= SUMMARY_WINDOW_MS)
    }

    /// One event per address: the first call's, with the count and the last call's time.
    fn take(&mut self) -> Vec<AuditEntry> {
        self.since = None;
        self.by_source
            .drain()
            .map(|((source, _), s)| {
                let mut event = s.first;
                if let Some(map) = event.as_object_mut() {
                    if source == "*" {
                        map.insert("sourceIPAddress".into(), serde_json::json!("*"));
                    }
                    map.insert(
                        "additionalEventData".into(),
                        serde_json::json!({
                            "summarizedRequests": s.count,
                            "lastEventTime": s.last_time,
                        }),
                    );
                }
                crate::audit::event::entry_of_value(&event)
            })
            .collect()
    }
}

/// The handle requests use to record their events.
#[derive(Clone, Debug)]
pub struct AuditLog {
    tx: mpsc::Sender<Job>,
}

impl std::fmt::Debug for Job {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Job::Event(..) => "Event",
            Job::Throttled(_) => "Throttled",
            Job::Digest(_) => "Digest",
        })
    }
}

/// SHA-256 over the previous hash, the sequence number and the event.
pub fn chain_hash(previous: &[u8], seq: i64, event: &str) -> Vec<u8> {
    let mut ctx = digest::Context::new(&digest::SHA256);
    ctx.update(previous);
    ctx.update(&seq.to_be_bytes());
    ctx.update(event.as_bytes());
    ctx.finish().as_ref().to_vec()
}

/// The hash the first record chains to.
pub const GENESIS: [u8; 32] = [0; 32];

impl AuditLog {
    /// Loads (or creates) the audit signing key and starts the writer.
    pub async fn start(kms: Arc<Kms>) -> Result<AuditLog, Failure> {
        let store = kms.audit_store();
        let opened = kms
            .server_secret(ServerSecret::AuditSigningKey)
            .await
            .map_err(|e| Failure::Audit(format!("cannot open the audit signing key: {e}")))?;
        let pkcs8 = match opened {
            Some(secret) => secret,
            None => {
                let rng = aws_lc_rs::rand::SystemRandom::new();
                let doc = Ed25519KeyPair::generate_pkcs8(&rng).map_err(|_| {
                    Failure::Audit("cannot generate the audit signing key".to_owned())
                })?;
                let secret = trent_core::secret::Secret::from_slice(doc.as_ref());
                let pair = Ed25519KeyPair::from_pkcs8(secret.as_slice())
                    .map_err(|_| Failure::Audit("audit signing key".to_owned()))?;
                store
                    .put_audit_public_key(pair.public_key().as_ref())
                    .await
                    .map_err(|e| Failure::Audit(e.to_string()))?;
                kms.put_server_secret(ServerSecret::AuditSigningKey, secret.as_slice())
                    .await
                    .map_err(|e| Failure::Audit(e.to_string()))?;
                secret
            }
        };
        let key = Ed25519KeyPair::from_pkcs8(pkcs8.as_slice())
            .map_err(|_| Failure::Audit("the audit signing key does not load".to_owned()))?;
        let tail = store
            .audit_tail()
            .await
            .map_err(|e| Failure::Audit(e.to_string()))?;
        let digests = store
            .audit_digests()
            .await
            .map_err(|e| Failure::Audit(e.to_string()))?;
        let (seq, hash) = tail
            .map(|r| (r.seq, r.hash))
            .unwrap_or((0, GENESIS.to_vec()));
        let digested = digests.last().map_or(0, |d| d.last_seq);
        let (tx, rx) = mpsc::channel(4096);
        tokio::spawn(writer(kms, key, rx, seq, hash, digested));
        Ok(AuditLog { tx })
    }

    /// Whether the writer is running (for `/ready`).
    pub fn is_running(&self) -> bool {
        !self.tx.is_closed()
    }

    /// Events waiting to be written (for `/metrics`).
    pub fn queue_depth(&self) -> usize {
        self.tx.max_capacity() - self.tx.capacity()
    }

    /// Records an event and waits until it is durable.
    pub async fn record(&self, event: &crate::audit::event::Event<'_>) -> Result<(), Failure> {
        self.record_entry(crate::audit::event::entry(event)).await
    }

    /// Records an event already written as its entry, and waits until it is durable.
    pub async fn record_entry(&self, entry: AuditEntry) -> Result<(), Failure> {
        let (done, wait) = oneshot::channel();
        self.tx
            .send(Job::Event(entry, done))
            .await
            .map_err(|_| Failure::Audit("the audit writer has stopped".to_owned()))?;
        wait.await
            .map_err(|_| Failure::Audit("the audit writer has stopped".to_owned()))?
    }

    /// Counts an unauthenticated call that was throttled into its source address's summary:
    /// one event per address and second of such calls, written when the second is over (or
    /// at the next digest), instead of one event per call. The answer does not wait for it.
    pub async fn summarize(&self, event: &crate::audit::event::Event<'_>) -> Result<(), Failure> {
        let event = serde_json::to_value(event)
            .map_err(|e| Failure::Audit(format!("cannot summarize an event: {e}")))?;
        self.tx
            .send(Job::Throttled(event))
            .await
            .map_err(|_| Failure::Audit("the audit writer has stopped".to_owned()))
    }

    /// Signs a digest of the events since the last one now (writing the pending summaries
    /// of throttled calls first).
    pub async fn seal(&self) -> Result<(), Failure> {
        let (done, wait) = oneshot::channel();
        self.tx
            .send(Job::Digest(done))
            .await
            .map_err(|_| Failure::Audit("the audit writer has stopped".to_owned()))?;
        wait.await
            .map_err(|_| Failure::Audit("the audit writer has stopped".to_owned()))?
    }
}

async fn writer(
    kms: Arc<Kms>,
    key: Ed25519KeyPair,
    mut rx: mpsc::Receiver<Job>,
    mut seq: i64,
    mut hash: Vec<u8>,
    mut digested: i64,
) {
    let store = kms.audit_store();
    let mut summaries = Summaries::default();
    loop {
        // While summaries are pending, wake when their window closes even if nothing comes.
        let first = if summaries.since.is_none() {
            rx.recv().await
        } else {
            let wait =
                std::time::Duration::from_millis(u64::try_from(SUMMARY_WINDOW_MS).unwrap_or(1000));
            match tokio::time::timeout(wait, rx.recv()).await {
                Ok(job) => job,
                Err(_) => Some(Job::Throttled(serde_json::Value::Null)),
            }
        };
        let Some(first) = first else {
            // Shutting down: the pending summaries are written before the writer ends.
            let pending = summaries.take();
            if !pending.is_empty()
                && let Err(e) = store
                    .append_audit(kms.clock().now(), pending, chain_hash)
                    .await
            {
                tracing::error!(error = %e, "could not write the summaries of throttled calls");
            }
            break;
        };
        let mut jobs = vec![first];
        // Group commit: take every event already waiting, then let the requests that are
        // ready to run reach their own audit point, as long as that brings more; a lone
        // request waits for one yield, no timer.
        loop {
            let before = jobs.len();
            while jobs.len() < BATCH {
                match rx.try_recv() {
                    Ok(job) => jobs.push(job),
                    Err(_) => break,
                }
            }
            if jobs.len() >= BATCH || (jobs.len() == before && before > 1) {
                break;
            }
            tokio::task::yield_now().await;
            if rx.is_empty() {
                break;
            }
        }
        let now = kms.clock().now();
        let mut events = Vec::new();
        let mut waiting = Vec::new();
        let mut digest_waiting = Vec::new();
        for job in jobs {
            match job {
                Job::Event(event, done) => {
                    events.push(event);
                    waiting.push(done);
                }
                Job::Throttled(serde_json::Value::Null) => {}
                Job::Throttled(event) => summaries.add(event, now),
                Job::Digest(done) => digest_waiting.push(done),
            }
        }
        if summaries.due(now) || (!digest_waiting.is_empty() && summaries.since.is_some()) {
            events.extend(summaries.take());
        }
        // The store numbers and chains the events from the tail it holds, so that nodes
        // sharing one store write one chain.
        let written = if events.is_empty() {
            Ok(())
        } else {
            match store.append_audit(now, events, chain_hash).await {
                Ok(tail) => {
                    (seq, hash) = tail;
                    Ok(())
                }
                Err(e) => Err(Failure::Audit(e.to_string())),
            }
        };
        if written.is_err() {
            tracing::error!(error = ?written, "could not write audit events; their requests fail");
        }
        for done in waiting {
            let _ = done.send(written.clone());
        }
        let due = seq - digested >= DIGEST_EVERY;
        if due || !digest_waiting.is_empty() {
            // A digest on demand covers the chain as the store holds it now (other nodes'
            // events too).
            if !digest_waiting.is_empty()
                && let Ok(Some(tail)) = store.audit_tail().await
            {
                (seq, hash) = (tail.seq, tail.hash);
            }
            if seq > digested {
                let mut d = AuditDigest {
                    first_seq: digested + 1,
                    last_seq: seq,
                    last_hash: hash.clone(),
                    time: now,
                    signature: Vec::new(),
                };
                d.signature = key.sign(&d.signed_bytes()).as_ref().to_vec();
                match store.put_audit_digest(&d).await {
                    // Another node signed a digest ending here first: the same statement.
                    Ok(()) | Err(trent_core::store::StoreError::Conflict { .. }) => {
                        digested = seq;
                    }
                    Err(e) => tracing::error!(error = %e, "could not write an audit digest"),
                }
            }
        }
        for done in digest_waiting {
            let _ = done.send(Ok(()));
        }
    }
}

/// What `trent audit verify` found.
#[derive(Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Every record chains, every digest verifies and covers what it says.
    Intact { events: i64, digests: usize },
    /// The first problem, with the sequence number where it shows.
    Broken { at: i64, problem: String },
}

/// Verifies the whole trail of a store: the chain from the first record, every digest's
/// signature against the published key, and that the records a digest covers still end in its
/// hash (so truncation, deletion, insertion, reordering and modification all show).
pub async fn verify(store: &dyn AuditStore) -> Result<Verdict, Failure> {
    let public = store
        .audit_public_key()
        .await
        .map_err(|e| Failure::Audit(e.to_string()))?
        .ok_or_else(|| Failure::Audit("this data directory has no audit signing key".to_owned()))?;
    let digests = store
        .audit_digests()
        .await
        .map_err(|e| Failure::Audit(e.to_string()))?;
    let verifier = signature::UnparsedPublicKey::new(&signature::ED25519, public);
    let mut hash = GENESIS.to_vec();
    let mut expected = 1;
    // Only the hashes that digests end at are kept, so verifying holds one page of the trail
    // in memory, whatever its size.
    let ends: std::collections::HashSet<i64> = digests.iter().map(|d| d.last_seq).collect();
    let mut hashes_at = std::collections::HashMap::new();
    let mut after = 0;
    loop {
        let page = store
            .audit_records(after, 1000)
            .await
            .map_err(|e| Failure::Audit(e.to_string()))?;
        if page.is_empty() {
            break;
        }
        for r in page {
            if r.seq != expected {
                return Ok(Verdict::Broken {
                    at: expected,
                    problem: format!("record {expected} is missing (next is {})", r.seq),
                });
            }
            let want = chain_hash(&hash, r.seq, &r.event);
            if want != r.hash {
                return Ok(Verdict::Broken {
                    at: r.seq,
                    problem: "the record does not chain: it was modified, inserted or moved"
                        .to_owned(),
                });
            }
            hash = want;
            if ends.contains(&r.seq) {
                hashes_at.insert(r.seq, hash.clone());
            }
            expected += 1;
            after = r.seq;
        }
    }
    let last = expected - 1;
    for d in &digests {
        if verifier.verify(&d.signed_bytes(), &d.signature).is_err() {
            return Ok(Verdict::Broken {
                at: d.last_seq,
                problem: "a digest's signature does not verify".to_owned(),
            });
        }
        match hashes_at.get(&d.last_seq) {
            Some(h) if *h == d.last_hash => {}
            Some(_) => {
                return Ok(Verdict::Broken {
                    at: d.last_seq,
                    problem: "the records differ from what the digest signed".to_owned(),
                });
            }
            None => {
                return Ok(Verdict::Broken {
                    at: last + 1,
                    problem: format!(
                        "the trail ends at {last} but a signed digest covers up to {}: records were removed",
                        d.last_seq
                    ),
                });
            }
        }
    }
    Ok(Verdict::Intact {
        events: last,
        digests: digests.len(),
    })
}

/// The published audit public key as PEM (an Ed25519 SubjectPublicKeyInfo).
pub async fn public_key_pem(store: &dyn AuditStore) -> Option<String> {
    let raw = store.audit_public_key().await.ok()??;
    // SubjectPublicKeyInfo for Ed25519: a fixed 12-byte prefix and the 32-byte key.
    let mut der = vec![
        0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00,
    ];
    der.extend_from_slice(&raw);
    Some(pem::encode(&pem::Pem::new("PUBLIC KEY", der)))
}

/// The current time as CloudTrail writes it.
pub fn event_time(t: UnixMillis) -> String {
    trent_core::policy::request::iso8601(t)
}

/// What `trent audit search` and `LookupEvents` select; every given filter must match.
#[derive(Debug, Default, Clone)]
pub struct Filter {
    /// The account whose trail it is (`recipientAccountId`).
    pub account: Option<String>,
    /// A key ARN or id among the event's resources.
    pub key: Option<String>,
    /// The caller's ARN.
    pub principal: Option<String>,
    pub event_name: Option<String>,
    /// Inclusive bounds on the event time, milliseconds since the epoch.
    pub since: Option<i64>,
    pub until: Option<i64>,
    /// Only failed calls (with an errorCode).
    pub errors_only: bool,
    /// An access key id.
    pub access_key_id: Option<String>,
    /// Text every matching event's JSON contains (a looked-up value, as JSON escapes it):
    /// events without it are passed over without being parsed.
    pub needle: Option<String>,
}

/// A string as it appears inside a JSON string literal (the event's own escaping).
pub fn json_text(value: &str) -> String {
    let quoted = serde_json::Value::String(value.to_owned()).to_string();
    quoted
        .strip_prefix('"')
        .and_then(|q| q.strip_suffix('"'))
        .unwrap_or(&quoted)
        .to_owned()
}

impl Filter {
    /// The part of the filter the store's indexes answer, from `cursor`, at most `limit`.
    pub fn query(&self, cursor: AuditCursor, limit: usize) -> AuditQuery {
        AuditQuery {
            account: self.account.clone(),
            event_name: self.event_name.clone(),
            // An ARN names its key by the id after `key/`.
            key_id: self
                .key
                .as_ref()
                .map(|k| k.rsplit('/').next().unwrap_or(k).to_owned()),
            since: self.since.map(UnixMillis),
            until: self.until.map(UnixMillis),
            cursor,
            limit,
        }
    }

    pub fn matches(&self, record: &AuditRecord, event: &serde_json::Value) -> bool {
        let s = |v: &serde_json::Value| v.as_str().map(str::to_owned);
        let key_ok = self.key.as_ref().is_none_or(|k| {
            crate::audit::event::field(event, &["resources"])
                .as_array()
                .is_some_and(|rs| {
                    rs.iter().any(|r| {
                        s(crate::audit::event::field(r, &["ARN"]))
                            .is_some_and(|a| a == *k || a.ends_with(&format!("/{k}")))
                    })
                })
        });
        key_ok
            && self.account.as_ref().is_none_or(|a| {
                crate::audit::event::field(event, &["recipientAccountId"]).as_str() == Some(a)
            })
            && self.principal.as_ref().is_none_or(|p| {
                s(crate::audit::event::field(event, &["userIdentity", "arn"])).as_ref() == Some(p)
            })
            && self.event_name.as_ref().is_none_or(|n| {
                s(crate::audit::event::field(event, &["eventName"])).as_ref() == Some(n)
            })
            && self.access_key_id.as_ref().is_none_or(|a| {
                s(crate::audit::event::field(
                    event,
                    &["userIdentity", "accessKeyId"],
                ))
                .as_ref()
                    == Some(a)
            })
            && self.since.is_none_or(|t| record.time.0 >= t)
            && self.until.is_none_or(|t| record.time.0 <= t)
            && (!self.errors_only || event.get("errorCode").is_some())
    }
}

/// Records read from the store per round trip when the filter leaves checks to do: a page
/// holds at most this many events (each a few KiB, or 100 KiB of request parameters at most).
pub const PAGE: usize = 100;

/// Where a walk stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Walked {
    /// The trail holds nothing more that matches.
    End,
    /// The visitor asked to stop after the record with this sequence number.
    Stopped(i64),
    /// `budget` records were read; the walk can go on after this sequence number.
    Budget(i64),
}

/// Walks the matching events in the cursor's order, one page of the store's index at a time
/// (so memory holds one page, whatever the trail's size), handing each to `visit` until it
/// returns `false`, or until `budget` records have been read.
pub async fn walk(
    store: &dyn AuditStore,
    filter: &Filter,
    mut cursor: AuditCursor,
    budget: usize,
    mut visit: impl FnMut(AuditRecord, serde_json::Value) -> bool,
) -> Result<Walked, Failure> {
    let mut read = 0usize;
    loop {
        let want = PAGE.min(budget - read);
        if want == 0 {
            let at = match cursor {
                AuditCursor::After(n) | AuditCursor::Before(n) => n,
            };
            return Ok(Walked::Budget(at));
        }
        let page = store
            .audit_lookup(&filter.query(cursor, want))
            .await
            .map_err(|e| Failure::Audit(e.to_string()))?;
        let full = page.len() == want;
        read += page.len();
        for r in page {
            cursor = match cursor {
                AuditCursor::After(_) => AuditCursor::After(r.seq),
                AuditCursor::Before(_) => AuditCursor::Before(r.seq),
            };
            let seq = r.seq;
            if filter
                .needle
                .as_ref()
                .is_some_and(|n| !r.event.contains(n.as_str()))
            {
                continue;
            }
            let event: serde_json::Value =
                serde_json::from_str(&r.event).unwrap_or(serde_json::Value::Null);
            if filter.matches(&r, &event) && !visit(r, event) {
                return Ok(Walked::Stopped(seq));
            }
        }
        if !full {
            return Ok(Walked::End);
        }
    }
}

/// The events that match, oldest first (at most `limit`).
pub async fn search(
    store: &dyn AuditStore,
    filter: &Filter,
    limit: usize,
) -> Result<Vec<(AuditRecord, serde_json::Value)>, Failure> {
    let mut found = Vec::new();
    if limit == 0 {
        return Ok(found);
    }
    walk(store, filter, AuditCursor::After(0), usize::MAX, |r, e| {
        found.push((r, e));
        found.len() < limit
    })
    .await?;
    Ok(found)
}
