//! Cryptography for Trent on aws-lc-rs: the software [`KeyBackend`](trent_core::backend::KeyBackend)
//! and the root-key providers that seal material at rest.
//!
//! This crate never persists anything itself except the root key file it is pointed at, and
//! knows nothing of policies or the wire. `pkcs11` keeps the root key in a PKCS#11 token
//! instead (the module is loaded at run time: no cargo feature, no C build), and `cluster`
//! reaches the tokens of custom key stores.

pub mod cluster;
pub mod pkcs11;
pub mod root;
pub mod soft;

pub use cluster::{ClusterOptions, Pkcs11Clusters};
pub use pkcs11::{Pkcs11Options, Pkcs11RootKey, TokenSelector};
pub use root::FileRootKey;
pub use soft::SoftBackend;
