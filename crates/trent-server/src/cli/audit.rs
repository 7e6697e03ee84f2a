//! `trent audit verify` and `trent audit search`: reading a data directory's audit trail
//! (the server may be running).

use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Subcommand;

#[derive(Debug, Subcommand)]
pub(super) enum AuditCommand {
    /// Check the hash chain and every signed digest; says where the trail was altered.
    Verify {
        #[arg(long, default_value = "./trent-data", env = "TRENT_DATA_DIR")]
        data_dir: PathBuf,
        /// The store, as `trent serve --store` takes it (a PostgreSQL URL reads the
        /// cluster's trail).
        #[arg(long, default_value = "sqlite", env = "TRENT_STORE")]
        store: String,
    },
    /// Print matching events as JSON lines (no filter: export the whole trail).
    Search {
        #[arg(long, default_value = "./trent-data", env = "TRENT_DATA_DIR")]
        data_dir: PathBuf,
        /// The store, as `trent serve --store` takes it.
        #[arg(long, default_value = "sqlite", env = "TRENT_STORE")]
        store: String,
        /// A key ARN or key id among the event's resources.
        #[arg(long)]
        key: Option<String>,
        /// The caller's ARN.
        #[arg(long)]
        principal: Option<String>,
        #[arg(long)]
        event_name: Option<String>,
        /// Earliest event time, RFC 3339 (2026-11-23T10:00:00Z) or epoch seconds.
        #[arg(long)]
        since: Option<String>,
        /// Latest event time, as --since.
        #[arg(long)]
        until: Option<String>,
        /// Failed calls only.
        #[arg(long)]
        errors: bool,
        #[arg(long, default_value_t = usize::MAX)]
        limit: usize,
    },
}

/// A time given as RFC 3339 or epoch seconds, in milliseconds.
/// Reads `--since`/`--until` into milliseconds since the epoch: epoch seconds, an RFC 3339
/// time with `Z` or any offset (`2026-11-23T10:00:00Z`, `2026-11-23T11:00:00.5+01:00`), or a
/// bare date (midnight UTC).
fn parse_time(text: &str) -> Option<i64> {
    use time::format_description::well_known::{Iso8601, Rfc3339};
    if let Ok(secs) = text.parse::<i64>() {
        return secs.checked_mul(1000);
    }
    // A time without an offset is ambiguous, and refused; a date alone is a UTC day.
    let t = if text.contains('T') || text.contains('t') {
        time::OffsetDateTime::parse(text, &Rfc3339).ok()?
    } else {
        time::Date::parse(text, &Iso8601::DATE)
            .ok()?
            .midnight()
            .assume_utc()
    };
    i64::try_from(t.unix_timestamp_nanos() / 1_000_000).ok()
}

pub(super) async fn audit(command: AuditCommand) -> ExitCode {
    async fn open(
        dir: &std::path::Path,
        store: &str,
    ) -> Result<std::sync::Arc<dyn trent_core::store::Store>, crate::failure::Failure> {
        let location = crate::run::server::StoreLocation::parse(store)?;
        crate::run::server::open_store_at(&location, dir).await
    }
    match command {
        AuditCommand::Verify { data_dir, store } => {
            let store = match open(&data_dir, &store).await {
                Ok(s) => s,
                Err(e) => {
                    eprintln!("trent audit: {e}");
                    return ExitCode::from(2);
                }
            };
            match crate::audit::verify(store.as_ref()).await {
                Ok(crate::audit::Verdict::Intact { events, digests }) => {
                    println!("intact: {events} events, {digests} signed digests");
                    ExitCode::SUCCESS
                }
                Ok(crate::audit::Verdict::Broken { at, problem }) => {
                    println!("TAMPERED at event {at}: {problem}");
                    ExitCode::FAILURE
                }
                Err(e) => {
                    eprintln!("trent audit: {e}");
                    ExitCode::from(2)
                }
            }
        }
        AuditCommand::Search {
            data_dir,
            store,
            key,
            principal,
            event_name,
            since,
            until,
            errors,
            limit,
        } => {
            let store = match open(&data_dir, &store).await {
                Ok(s) => s,
                Err(e) => {
                    eprintln!("trent audit: {e}");
                    return ExitCode::from(2);
                }
            };
            let time = |t: Option<String>| match t {
                None => Ok(None),
                Some(text) => parse_time(&text)
                    .map(Some)
                    .ok_or_else(|| format!("cannot read the time '{text}'")),
            };
            let (since, until) = match (time(since), time(until)) {
                (Ok(s), Ok(u)) => (s, u),
                (Err(e), _) | (_, Err(e)) => {
                    eprintln!("trent audit: {e}");
                    return ExitCode::from(2);
                }
            };
            let filter = crate::audit::Filter {
                key,
                principal,
                event_name,
                since,
                until,
                errors_only: errors,
                ..Default::default()
            };
            let filter = crate::audit::Filter {
                needle: filter.principal.as_deref().map(crate::audit::json_text),
                ..filter
            };
            if limit == 0 {
                return ExitCode::SUCCESS;
            }
            // Streams: each event is printed as its page is read.
            let mut printed = 0;
            let mut out = std::io::stdout().lock();
            let walked = crate::audit::walk(
                store.as_ref(),
                &filter,
                trent_core::model::AuditCursor::After(0),
                usize::MAX,
                |_, event| {
                    printed += 1;
                    writeln!(out, "{event}").is_ok() && printed < limit
                },
            )
            .await;
            match walked {
                Ok(_) => ExitCode::SUCCESS,
                Err(e) => {
                    eprintln!("trent audit: {e}");
                    ExitCode::from(2)
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::parse_time;

    #[test]
    fn audit_times_read_as_milliseconds() {
        let cases = [
            ("1764979200", Some(1_764_979_200_000)),
            ("2025-12-06T00:00:00Z", Some(1_764_979_200_000)),
            ("2025-12-06T02:00:00+02:00", Some(1_764_979_200_000)),
            ("2025-12-05T19:00:00-05:00", Some(1_764_979_200_000)),
            ("2025-12-06T00:00:00.250Z", Some(1_764_979_200_250)),
            ("2025-12-06", Some(1_764_979_200_000)),
            ("2025-12-06T00:00:00", None),
            ("2025-12-06 00:00:00", None),
            ("yesterday", None),
            ("", None),
        ];
        for (text, expected) in cases {
            assert_eq!(parse_time(text), expected, "{text}");
        }
    }
}
