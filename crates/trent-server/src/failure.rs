//! What stops a start, a command or the audit trail: the failure's kind, and a message that
//! says what failed and where (printed as it is, to the operator).

/// A failure of the server or of a command, by kind.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Failure {
    /// The configuration file, the seed file or the command line.
    #[error("{0}")]
    Config(String),
    /// The data directory: locked by another Trent, unreadable; a backup or a restore.
    #[error("{0}")]
    DataDir(String),
    /// The root key: missing, its passphrase wrong, not the one the store was sealed under.
    #[error("{0}")]
    RootKey(String),
    /// The store: unreachable or damaged.
    #[error("{0}")]
    Store(String),
    /// The audit trail: its writer stopped, a write failed.
    #[error("{0}")]
    Audit(String),
    /// A listener, TLS, or a call to a running server.
    #[error("{0}")]
    Network(String),
    /// A file a command reads or writes.
    #[error("{0}")]
    Io(String),
}

impl Failure {
    /// The message, as the operator reads it.
    pub fn message(&self) -> &str {
        match self {
            Failure::Config(m)
            | Failure::DataDir(m)
            | Failure::RootKey(m)
            | Failure::Store(m)
            | Failure::Audit(m)
            | Failure::Network(m)
            | Failure::Io(m) => m,
        }
    }
}
