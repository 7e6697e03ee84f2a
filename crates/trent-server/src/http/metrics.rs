//! Prometheus metrics at `GET /metrics` (OpenMetrics text): requests and their latency per
//! operation, outcomes by AWS error `__type`, the key cache's hits and misses, and the audit
//! writer's queue. Labels carry operation names and error types only, never a key, a caller or
//! a value from a request.

use std::sync::Arc;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Outcome {
    operation: String,
    /// `ok`, or the error's `__type`.
    code: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Operation {
    operation: String,
}

fn latency_histogram() -> Histogram {
    // 50 µs to ~1.6 s.
    Histogram::new(exponential_buckets(0.000_05, 2.0, 16))
}

/// The server's metrics.
pub struct Metrics {
    registry: Registry,
    requests: Family<Outcome, Counter>,
    latency: Family<Operation, Histogram, fn() -> Histogram>,
    cache_hits: Gauge,
    cache_misses: Gauge,
    cache_evictions: Gauge,
    cache_entries: Gauge,
    audit_queue: Gauge,
    /// The front door's: connections open now, and those refused over a cap.
    pub connections: ConnectionMetrics,
}

/// What the front door counts; clones share the values.
#[derive(Clone, Debug, Default)]
pub struct ConnectionMetrics {
    pub open: Gauge,
    pub refused: Counter,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Metrics").finish_non_exhaustive()
    }
}

impl Default for Metrics {
    fn default() -> Metrics {
        let mut registry = Registry::with_prefix("trent");
        let requests = Family::<Outcome, Counter>::default();
        registry.register(
            "requests",
            "API requests by operation and outcome (ok or the AWS error __type)",
            requests.clone(),
        );
        let latency: Family<Operation, Histogram, fn() -> Histogram> =
            Family::new_with_constructor(latency_histogram);
        registry.register(
            "request_duration_seconds",
            "Time from the request's arrival to its response, audit write included",
            latency.clone(),
        );
        let cache_hits = Gauge::default();
        registry.register(
            "key_cache_hits",
            "Key lookups answered from memory since start",
            cache_hits.clone(),
        );
        let cache_misses = Gauge::default();
        registry.register(
            "key_cache_misses",
            "Key lookups that read the store since start",
            cache_misses.clone(),
        );
        let cache_evictions = Gauge::default();
        registry.register(
            "key_cache_evictions",
            "Keys dropped from memory since start to stay within --key-cache-size",
            cache_evictions.clone(),
        );
        let cache_entries = Gauge::default();
        registry.register(
            "key_cache_entries",
            "Keys held in memory now (at most --key-cache-size)",
            cache_entries.clone(),
        );
        let audit_queue = Gauge::default();
        registry.register(
            "audit_queue_depth",
            "Audit events waiting to be written",
            audit_queue.clone(),
        );
        let connections = ConnectionMetrics::default();
        registry.register(
            "connections_open",
            "Client connections open now",
            connections.open.clone(),
        );
        registry.register(
            "connections_refused",
            "Connections turned away: over the total or per-address cap, or from an address throttled for failing authentication",
            connections.refused.clone(),
        );
        Metrics {
            connections,
            registry,
            requests,
            latency,
            cache_hits,
            cache_misses,
            cache_evictions,
            cache_entries,
            audit_queue,
        }
    }
}

impl Metrics {
    /// Counts one finished request.
    pub fn observe(&self, operation: &str, code: &str, seconds: f64) {
        self.requests
            .get_or_create(&Outcome {
                operation: operation.to_owned(),
                code: code.to_owned(),
            })
            .inc();
        self.latency
            .get_or_create(&Operation {
                operation: operation.to_owned(),
            })
            .observe(seconds);
    }

    /// The exposition text, with the gauges read now.
    pub fn render(&self, kms: &Arc<trent_core::Kms>, audit_queue: usize) -> String {
        let cache = kms.key_cache();
        let gauge = |g: &Gauge, n: u64| {
            g.set(i64::try_from(n).unwrap_or(i64::MAX));
        };
        gauge(&self.cache_hits, cache.hits);
        gauge(&self.cache_misses, cache.misses);
        gauge(&self.cache_evictions, cache.evictions);
        gauge(
            &self.cache_entries,
            u64::try_from(cache.keys).unwrap_or(u64::MAX),
        );
        self.audit_queue
            .set(i64::try_from(audit_queue).unwrap_or(i64::MAX));
        let mut out = String::new();
        if prometheus_client::encoding::text::encode(&mut out, &self.registry).is_err() {
            out.clear();
        }
        out
    }
}
