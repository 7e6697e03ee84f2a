//! HTTP and dispatch: the listeners' front door, bodies read and hashed, SigV4 authentication, the endpoint that turns
//! a request into a protocol call, the KMS error mapping, TLS and metrics.

pub mod auth;
pub mod body;
pub mod dispatch;
pub mod error;
pub mod front_door;
pub mod metrics;
pub mod tls;
