//! The `trent` server: HTTP transport, SigV4 authentication, dispatch of AWS KMS operations to
//! `trent-core`, identities, seeding and background maintenance.
//!
//! This crate wires the layers together and translates between `trent-api` shapes and
//! `trent-core` types; it holds no business rules of its own. Its folders say their jobs:
//! `http/` (front door, authentication, dispatch), `protocols/` (KMS, STS, admin, CloudTrail),
//! `audit/` (the trail's writer and events), `run/` (start-up and background work) and `cli/`
//! (the commands). [`run::server::start`] is the entry point for both the binary and the
//! integration tests.

pub mod audit;
pub mod cli;
pub mod console;
pub mod failure;
pub mod http;
pub mod protocols;
pub mod run;
pub mod xks;

pub use failure::Failure;
pub use run::server::{RunningServer, ServerOptions, StoreLocation, start};
