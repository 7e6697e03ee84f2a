//! Everything that can go wrong reading or writing a message, as one error type.

/// Failures of encryption and decryption. The messages are meant for the person running the
/// command; none of them holds key material or plaintext.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    #[error("I/O: {0}")]
    Io(#[from] std::io::Error),
    /// The bytes are not a message this crate reads (version, suite, field lengths).
    #[error("not a valid message: {0}")]
    Malformed(String),
    /// The message ended before its final frame (or its footer).
    #[error("the message is truncated")]
    Truncated,
    /// The data key does not commit to this message: another key, or a tampered header.
    #[error("key commitment does not match: the message was not encrypted under this data key")]
    Commitment,
    /// An authentication tag or the signature does not verify.
    #[error("the message was altered: {0} does not authenticate")]
    Tampered(&'static str),
    /// A signed message was demanded and this one is not signed (or the reverse).
    #[error("{0}")]
    Policy(String),
    /// The keyring could not produce or unwrap a data key.
    #[error("{0}")]
    Keyring(String),
    #[error("cryptographic failure")]
    Crypto,
}
