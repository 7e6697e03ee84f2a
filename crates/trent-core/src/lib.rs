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

pub mod actions;
pub mod backend;
pub mod cache;
pub mod clock;
pub mod envelope;
pub mod error;
pub mod iam;
pub mod key;
pub mod kms;
pub mod model;
pub mod ops;
pub mod policy;
pub mod quota;
pub mod reseal;
pub mod secret;
pub mod store;
#[cfg(any(test, feature = "testing"))]
pub mod testing;
pub mod usage;
pub mod vault;

pub use error::{Error, KeyStoreFault, Result};
pub use kms::Kms;

#[doc(hidden)]
pub mod fuzzing {
    //! Entry points for the fuzz targets in `fuzz/`.

    /// Parses arbitrary bytes as a ciphertext blob.
    pub fn ciphertext_blob(data: &[u8]) {
        let _ = crate::envelope::Envelope::parse(data);
    }

    /// Parses arbitrary bytes as a key policy and an identity policy, and evaluates whatever
    /// parses against a request that carries every kind of condition value.
    pub fn policy_document(data: &[u8]) {
        use crate::policy::condition::MapContext;
        use crate::policy::eval::{Caller, IdentityPolicy, Request, evaluate};
        let Ok(text) = std::str::from_utf8(data) else {
            return;
        };
        let values: std::collections::HashMap<String, Vec<String>> = [
            ("aws:sourceip", "192.0.2.7"),
            ("aws:currenttime", "2026-11-23T12:00:00Z"),
            ("aws:epochtime", "1795435200"),
            ("aws:securetransport", "true"),
            ("aws:principaltag/team", "blue"),
            ("kms:encryptioncontext:purpose", "test"),
            ("kms:encryptioncontextkeys", "purpose"),
            ("aws:username", "alice"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), vec![v.to_owned()]))
        .collect();
        let context = MapContext(values);
        let request = Request {
            caller: Caller {
                arn: "arn:aws:iam::111122223333:user/alice",
                account: "111122223333",
                role_arn: None,
                unique_id: None,
            },
            action: "kms:Decrypt",
            resource: "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab",
            resource_account: "111122223333",
            context: &context,
            encryption_context: None,
            bound_principals: None,
        };
        let key = crate::policy::Policy::parse(text, true);
        let identity = crate::policy::Policy::parse(text, false);
        if let (Ok(key), Ok(identity)) = (&key, &identity) {
            let named = [IdentityPolicy {
                name: "fuzz",
                policy: identity,
            }];
            let _ = evaluate(&request, key, &named, &[]);
        } else if let Ok(identity) = &identity {
            let named = [IdentityPolicy {
                name: "fuzz",
                policy: identity,
            }];
            let _ = crate::policy::eval::evaluate_identity(&request, &named);
        }
    }
}
