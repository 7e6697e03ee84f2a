//! Test support: a fresh, empty PostgreSQL database per test on the server named by
//! `TRENT_TEST_POSTGRES` (which `scripts/test` starts).

/// The environment variable naming the test server, as `postgres://user@host:port`.
pub const SERVER_VAR: &str = "TRENT_TEST_POSTGRES";
/// Set by `scripts/test`: a missing server is then a failure, not a skip.
pub const REQUIRED_VAR: &str = "TRENT_REQUIRE_POSTGRES";

/// The URL of a new empty database, or `None` (with a note on stderr) when no test server
/// is configured and none is required.
///
/// # Panics
/// When a server is required but not configured, or cannot create the database.
#[allow(clippy::panic)]
pub async fn fresh_database() -> Option<String> {
    let Ok(server) = std::env::var(SERVER_VAR) else {
        if std::env::var(REQUIRED_VAR).is_ok_and(|v| v == "1") {
            panic!("{SERVER_VAR} is not set but {REQUIRED_VAR}=1: scripts/test starts the server");
        }
        eprintln!("skipped: no PostgreSQL ({SERVER_VAR} unset; scripts/test starts one)");
        return None;
    };
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or_default();
    let name = format!(
        "trent_test_{}_{}_{nanos}",
        std::process::id(),
        NEXT.fetch_add(1, std::sync::atomic::Ordering::SeqCst)
    );
    let server = server.trim_end_matches('/');
    let (client, connection) =
        match tokio_postgres::connect(&format!("{server}/postgres"), tokio_postgres::NoTls).await {
            Ok(pair) => pair,
            Err(e) => panic!("cannot reach the test PostgreSQL at {server}: {e}"),
        };
    let driver = tokio::spawn(connection);
    if let Err(e) = client
        .batch_execute(&format!("CREATE DATABASE {name}"))
        .await
    {
        panic!("cannot create a test database: {e}");
    }
    drop(client);
    let _ = driver.await;
    Some(format!("{server}/{name}"))
}
