//! The AWS Encryption SDK message format, version 2, for Trent: envelope encryption of files and
//! streams under data keys that a keyring (AWS KMS, through Trent) generates and unwraps.
//!
//! The crate knows the format and its cryptography and nothing else: it reads and writes
//! [`std::io`] streams and asks a caller-supplied [`Keyring`] for data keys, so that the KMS
//! client (and its I/O) stays outside.
//!
//! - [`suite`]: the two committing algorithm suites (`0x0478` and the signed `0x0578`).
//! - [`header`]: the message header, its encryption context and encrypted data keys.
//! - [`materials`]: what a message needs from the keyring, and the data key cache.
//! - [`message`]: framed encryption and decryption in constant memory, with key commitment and,
//!   for the signed suite, the ECDSA P-384 footer.

pub mod error;
pub mod header;
pub mod materials;
pub mod message;
pub mod suite;

pub use error::Error;
pub use header::{EncryptedDataKey, EncryptionContext, Header};
pub use materials::{CacheLimits, CachingManager, EncryptionMaterials, MaterialsManager};
pub use message::{DataKey, Decryptor, Encryptor, decrypt, encrypt};
pub use suite::Suite;

/// Where data keys come from: generates one (with its encrypted copies) for a new message, and
/// unwraps one of a message's encrypted data keys.
pub trait Keyring {
    /// A new data key for `suite`, bound to `context`, with one or more encrypted copies.
    fn generate(
        &mut self,
        suite: Suite,
        context: &EncryptionContext,
    ) -> Result<(DataKey, Vec<EncryptedDataKey>), Error>;

    /// The data key that one of `keys` holds, under `context`.
    fn unwrap(
        &mut self,
        suite: Suite,
        keys: &[EncryptedDataKey],
        context: &EncryptionContext,
    ) -> Result<DataKey, Error>;
}

#[doc(hidden)]
pub mod fuzzing {
    //! Entry points for the fuzz targets in `fuzz/`.

    use crate::{DataKey, EncryptedDataKey, EncryptionContext, Error, Keyring, Suite};

    /// A keyring that answers every message with the same data key.
    struct Fixed;

    impl Keyring for Fixed {
        fn generate(
            &mut self,
            _: Suite,
            _: &EncryptionContext,
        ) -> Result<(DataKey, Vec<EncryptedDataKey>), Error> {
            Err(Error::Keyring("decrypt only".into()))
        }
        fn unwrap(
            &mut self,
            _: Suite,
            _: &[EncryptedDataKey],
            _: &EncryptionContext,
        ) -> Result<DataKey, Error> {
            DataKey::from_slice(&[7u8; 32])
        }
    }

    /// Reads arbitrary bytes as a message: its header, and as far as the data key lets it.
    pub fn message(data: &[u8]) {
        let _ =
            crate::Decryptor::default().decrypt(&mut Fixed, &mut &data[..], &mut std::io::sink());
    }
}
