//! Start-up and background work: the server's options and start, the shared state, the
//! configuration and seed files, identities from the config, the root key's passphrase,
//! maintenance under its lease, and backups.

pub mod backup;
pub mod bootstrap;
pub mod config;
pub mod root_key;
pub mod scheduler;
pub mod seed;
pub mod server;
pub mod state;
