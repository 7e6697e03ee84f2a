//! The `trent` server: HTTP transport, SigV4 authentication, dispatch of AWS KMS operations to
//! `trent-core`, identities, seeding and background maintenance.
//!
//! This crate wires the layers together and translates between `trent-api` shapes and
//! `trent-core` types; it holds no business rules of its own.
//! [`server::start`] is the entry point for both the binary and the integration tests.

pub mod admin;
pub mod admin_client;
pub mod audit;
pub mod audit_event;
pub mod auth;
pub mod backup;
pub mod bootstrap;
pub mod cli;
pub mod cloudtrail;
pub mod config;
pub mod dispatch;
pub mod envelope_cli;
pub mod error;
pub mod esdk_keyring;
pub mod front_door;
pub mod handlers;
pub mod metrics;
pub mod root_key;
pub mod scheduler;
pub mod seed;
pub mod server;
pub mod state;
pub mod sts;
pub mod tls;

pub use server::{RunningServer, ServerOptions, StoreLocation, start};
