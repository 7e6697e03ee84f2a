//! The operations, one file per family; each is an `impl Kms` block.
//!
//! [`pipeline`] holds what every key operation shares: resolving a key reference, checking the
//! key's state and usage, authorizing, and reaching the material.

pub mod agreement;
pub mod aliases;
pub mod data_keys;
pub mod encrypt;
pub mod grants;
pub mod import;
pub mod kem;
pub mod key_policies;
pub mod key_stores;
pub mod keys;
pub mod mac;
pub mod managed;
pub mod multi_region;
pub(crate) mod pipeline;
pub mod random;
pub mod rotation;
pub mod sign;
pub mod tags;
pub mod xks;
pub mod xks_proxy;

pub use pipeline::Aliases;
