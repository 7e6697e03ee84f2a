//! The KMS as a library: key model and state machine, the operations, the ciphertext envelope.
//!
//! `trent-core` does no I/O and links no crypto or database library.
//! Every effect goes through a trait that the server wires up: [`store::Store`] (persistence),
//! [`backend::KeyBackend`] (cryptography on key material), [`backend::RootKeyProvider`] (sealing
//! material at rest) and [`clock::Clock`] (time).
//! It never knows HTTP or AWS wire shapes: `trent-server` translates between `trent-api` and the
//! types here.
//!
//! The entry point is [`Kms`], one method per API operation.

pub mod backend;
pub mod cache;
pub mod clock;
pub mod envelope;
pub mod error;
pub mod iam;
pub mod kms;
pub mod model;
pub mod ops;
pub mod policy;
pub mod secret;
pub mod store;
#[cfg(any(test, feature = "testing"))]
pub mod testing;

pub use error::{Error, Result};
pub use kms::Kms;

#[doc(hidden)]
pub mod fuzzing {
    //! Entry points for the fuzz targets in `fuzz/`.

    /// Parses arbitrary bytes as a ciphertext blob.
    pub fn ciphertext_blob(data: &[u8]) {
        let _ = crate::envelope::Envelope::parse(data);
    }
}
